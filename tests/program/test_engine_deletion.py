"""The engines' own deletion order, modeled from their source, run against what each stack
creates and what the sample tree holds: Pulumi's destroy order hands objects to Argo CD or Flux,
and the model checks that no object then waits on something already gone.

Argo CD v3.4.4 (argoproj/argo-cd), controller/appcontroller.go:
- finalizeApplicationDeletion first reads the Application's AppProject (getAppProj) and returns
  the error when it is missing, so the resources finalizer never completes: the Application is
  stuck (argoproj/argo-cd#4369, #21111).
- It then deletes the live objects of the highest sync wave only (controller/sort_delete.go,
  FilterObjectsForDeletion) and waits until they are gone before the next lower wave ("Wait for
  objects pending deletion to complete before proceeding with next sync wave").
- finalizeProjectDeletion keeps an AppProject with the resources finalizer until no
  Application names it.
- An ApplicationSet is deleted with foreground propagation, so its generated Applications (and
  their finalizers) finish before it is gone.
Within one wave the objects are deleted in parallel; the model lets every object without a
finalizer vanish first, the worst order a real cluster can produce.

Flux kustomize-controller v1.8.3, internal/controller/kustomization_controller.go:
- finalize deletes the inventory only if finalizerShouldDeleteResources: never while
  `spec.suspend`, then by `deletionPolicy` (MirrorPrune: only with prune; Delete and
  WaitForTermination: always; Orphan: never); otherwise it drops the finalizer and orphans.
- WaitForTermination waits at most `spec.timeout` (GetTimeout: interval - 30s by default, at
  least 30s), then drops the finalizer and leaves the objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from components.common.catalog import listable
from components.gitops import budgets
from components.gitops.bridge import ADDONS_PROJECT
from tests.conftest import STACKS, WAVE_APPS
from tools.harness import ROOT, Resource, Run
from tools.harness.graph import Graph
from tools.render.manifests import plain

ARGO = "argoproj.io/v1alpha1"
WAVE = "argocd.argoproj.io/sync-wave"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
ADDONS_PROJECT_TEMPLATE = "{{.metadata.annotations.addons_project}}"
RELEASE = "kubernetes:helm.sh/v3:Release"
SYNC_VARIANTS = {
    "automated": {},
    "manual": {"gitops__sync": {"automated": False, "prune": True, "selfHeal": False}},
    "no-prune": {"gitops__sync": {"automated": True, "prune": False, "selfHeal": True}},
}


class Stuck(Exception):
    """An object that can never finish deleting."""


# --- Argo CD -------------------------------------------------------------------------------------


@dataclass
class Obj:
    kind: str
    name: str
    wave: int = 0
    finalizer: bool = False
    project: str = ""                                        # an Application's AppProject
    children: list[Obj] = field(default_factory=list)        # what an Application deployed
    generated: list[Obj] = field(default_factory=list)       # an ApplicationSet's Applications


def _obj(doc: dict, children_of) -> Obj:
    meta = doc["metadata"]
    obj = Obj(doc["kind"], meta["name"], int((meta.get("annotations") or {}).get(WAVE, 0)),
              FINALIZER in (meta.get("finalizers") or []))
    if doc["kind"] == "Application":
        # An add-on ApplicationSet names its cluster's add-ons project through the bridge; the
        # model destroys the hub's own cluster, whose project is `addons`.
        obj.project = doc["spec"]["project"].replace(ADDONS_PROJECT_TEMPLATE, ADDONS_PROJECT)
        obj.children = children_of(doc["spec"])
    elif doc["kind"] == "ApplicationSet":
        obj.generated = [_obj({"kind": "Application", **doc["spec"]["template"]}, children_of)]
    return obj


def _documents(directory: Path) -> list[dict]:
    return [doc for path in sorted(directory.glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def _tree_children(enabled: set[str]):
    """What an Application deploys: for a path of the sample tree its documents (add-on
    ApplicationSets generate only for the add-ons the bridge enables), anything else a workload
    with a load balancer."""
    def children_of(spec: dict) -> list[Obj]:
        path = spec.get("source", {}).get("path", "")
        if "{{" in path:  # cluster-addons: the add-on ApplicationSets under the bridge's basepath
            path = "gitops/addons/argocd"
        if path in ("gitops/argocd", "gitops/addons/argocd"):
            docs = [doc for doc in _documents(ROOT / path)
                    if doc["kind"] != "ApplicationSet" or path == "gitops/argocd"
                    or doc["metadata"]["name"].removeprefix("addon-") in enabled]
            return [_obj(doc, children_of) for doc in docs]
        return [Obj("Service", "load-balancer")]
    return children_of


class ArgoCd:
    def __init__(self) -> None:
        self.projects: dict[str, bool] = {}     # live AppProjects -> has the finalizer
        self.applications: set[str] = set()     # Applications that exist, by project:name
        self.controller = True
        self.finalized: list[str] = []

    def create(self, obj: Obj) -> None:
        if obj.kind == "AppProject":
            self.projects[obj.name] = obj.finalizer
        elif obj.kind == "Application":
            self.applications.add(f"{obj.project}:{obj.name}")
            for child in obj.children:
                self.create(child)
        for app in obj.generated:
            self.create(app)

    def referenced(self, project: str) -> bool:
        return any(app.split(":", 1)[0] == project for app in self.applications)

    def delete(self, obj: Obj) -> None:
        """Delete `obj` and wait until it is gone."""
        if obj.kind == "AppProject":
            if obj.finalizer and self.referenced(obj.name):
                raise Stuck(f"AppProject {obj.name} is still named by an Application")
            self.projects.pop(obj.name, None)
        elif obj.kind in ("Application", "ApplicationSet"):
            for app in [obj] if obj.kind == "Application" else obj.generated:
                if app.finalizer:
                    self.finalize(app)
                else:  # no resources finalizer: the Application goes, what it deployed stays
                    self.applications.discard(f"{app.project}:{app.name}")

    def finalize(self, app: Obj) -> None:
        if not self.controller:
            raise Stuck(f"Application {app.name}: no controller left to run its finalizer")
        if app.project not in self.projects:
            raise Stuck(f"Application {app.name}: its AppProject {app.project} is gone")
        for wave in sorted({child.wave for child in app.children}, reverse=True):
            batch = [child for child in app.children if child.wave == wave]
            # Parallel within a wave: objects without a finalizer vanish first.
            for child in batch:
                if child.kind == "AppProject" and not child.finalizer:
                    self.delete(child)
            for child in batch:
                if child.kind in ("Application", "ApplicationSet"):
                    self.delete(child)
            for child in batch:
                if child.kind == "AppProject" and child.finalizer:
                    self.delete(child)
        self.applications.discard(f"{app.project}:{app.name}")
        self.finalized.append(app.name)


def _argo_objects(run: Run) -> dict[str, Obj]:
    enabled = set(run.settings.gitops.addons)
    children_of = _tree_children(enabled)
    return {r.urn: _obj(plain(r.inputs) | {"kind": r.type.rsplit(":", 1)[1]}, children_of)
            for r in run.resources if r.type.startswith(f"kubernetes:{ARGO}:")}


def _destroy(run: Run, engine_kinds: str) -> list[Resource]:
    """Pulumi's destroy order: the reverse of a topological create order."""
    return [r for r in reversed(Graph(run).topological())
            if r.type.startswith(engine_kinds) or r.type == RELEASE]


def argo_destroy(run: Run, first: str | None = None) -> ArgoCd:
    """Create everything, then destroy the stack the way Pulumi orders it (with the program's
    AppProject named `first` deleted before anything else, to show what that order would do)."""
    objects = _argo_objects(run)
    cluster = ArgoCd()
    for obj in objects.values():
        if obj.kind == "AppProject":
            cluster.create(obj)
    for obj in objects.values():
        if obj.kind != "AppProject":
            cluster.create(obj)
    order = _destroy(run, f"kubernetes:{ARGO}:")
    order.sort(key=lambda r: not (objects.get(r.urn) and objects[r.urn].kind == "AppProject"
                                  and objects[r.urn].name == first))
    for resource in order:
        if resource.type == RELEASE:
            cluster.controller = False
        else:
            cluster.delete(objects[resource.urn])
    return cluster


@pytest.mark.parametrize("sync", SYNC_VARIANTS)
@pytest.mark.parametrize("stack", STACKS)
def test_argo_cd_destroy_finalizes_every_application(run_stack, stack, sync):
    run = run_stack(stack, gitops__engine="argocd",
                    gitops__addons=(listable("nodeGroups") if stack != "local"
                                    else ["metrics-server"]),
                    gitops__dnsZoneIds=["Z0123456789ABCDEFGHIJ"], **SYNC_VARIANTS[sync])
    cluster = argo_destroy(run)
    assert not cluster.applications and not cluster.projects
    # Seed apps, the root, the add-ons tree and every enabled add-on were finalized.
    addons = {f"{addon}-{{{{.name}}}}" for addon in run.settings.gitops.addons}
    assert {"podinfo", "root", "addons-{{.name}}", *addons} <= set(cluster.finalized)
    # Argo CD's own Application (gitops.ownership git) goes without deleting Argo CD, whose
    # release Pulumi uninstalls last.
    assert "argocd" not in cluster.finalized


def test_the_model_finds_the_deadlock_of_the_addons_project_deleted_before_the_root(run_stack):
    """The add-on Applications name the add-ons project, which the program creates: were it
    deleted before the root, its finalizer would hold it while they still name it."""
    run = run_stack("dev", gitops__engine="argocd")
    with pytest.raises(Stuck, match="AppProject addons is still named by an Application"):
        argo_destroy(run, first=ADDONS_PROJECT)


def test_every_project_the_tree_names_is_the_programs_and_outlives_the_root(run_stack, graph_of):
    """The tree defines no AppProject: the add-on ApplicationSets name their cluster's add-ons
    project, which the program creates before the root app and so deletes after it."""
    assert not [doc for doc in _documents(ROOT / "gitops" / "argocd")
                if doc["kind"] == "AppProject"]
    for doc in _documents(ROOT / "gitops" / "addons" / "argocd"):
        assert doc["spec"]["template"]["spec"]["project"] == ADDONS_PROJECT_TEMPLATE
    run = run_stack("prod", gitops__engine="argocd")
    resources = {plain(r.inputs)["metadata"]["name"]: r for r in run.resources
                 if r.type.startswith(f"kubernetes:{ARGO}:")}
    assert graph_of(run).waits_for(resources["root"], resources[ADDONS_PROJECT])


def test_program_projects_carry_the_finalizer(run_stack):
    run = run_stack("prod", gitops__engine="argocd")
    projects = [plain(r.inputs) for r in run.resources if r.type.endswith(":AppProject")]
    assert len(projects) == 4  # root, seed apps, add-ons, Argo CD's own (ownership git)
    assert all(FINALIZER in p["metadata"]["finalizers"] for p in projects)


# --- Flux ----------------------------------------------------------------------------------------


def _minutes(duration: str) -> float:
    units = {"h": 60, "m": 1, "s": 1 / 60}
    return sum(float(n) * units[u] for n, u in re.findall(r"([0-9.]+)([hms])", duration))


def flux_deletes_inventory(spec: dict, suspended: bool) -> bool:
    """kustomize-controller v1.8.3, finalizerShouldDeleteResources."""
    if suspended:
        return False
    policy = spec.get("deletionPolicy", "MirrorPrune")
    return {"MirrorPrune": spec.get("prune", False), "Delete": True,
            "WaitForTermination": True}.get(policy, False)


@pytest.mark.parametrize("waves", [False, True], ids=["stack-apps", "waves"])
@pytest.mark.parametrize("sync", SYNC_VARIANTS)
@pytest.mark.parametrize("stack", STACKS)
def test_flux_destroy_deletes_what_every_kustomization_applied(run_stack, graph_of, stack, sync,
                                                               waves):
    run = run_stack(stack, gitops__engine="flux", **SYNC_VARIANTS[sync],
                    **({"gitops__apps": WAVE_APPS} if waves else {}))
    graph = graph_of(run)
    kustomizations = [r for r in run.resources if r.type.endswith(":Kustomization")]
    patches = [r for r in run.resources if r.type.endswith(":KustomizationPatch")]
    # Wave gates apply nothing and are never suspended (flux_manifests.wave_gate).
    gates = [r for r in kustomizations if r.inputs["metadata"]["name"].endswith(".gate")]
    assert len(gates) == (3 if waves else 0)
    assert all(not plain(gate.inputs)["spec"].get("suspend") for gate in gates)
    assert len(patches) == (len(kustomizations) - len(gates) if sync == "manual" else 0)
    for resource in kustomizations:
        spec = plain(resource.inputs)["spec"]
        # A patch that suspends it is deleted first (it waits for the Kustomization), so the
        # Kustomization is suspended at its own deletion only through its own spec.
        for patch in patches:
            if patch.inputs["metadata"]["name"] == resource.inputs["metadata"]["name"]:
                assert patch.inputs["spec"] == {"suspend": True}
                assert graph.waits_for(patch, resource)
        assert flux_deletes_inventory(spec, spec.get("suspend", False)), resource.name


def test_the_flux_model_sees_what_used_to_orphan():
    assert not flux_deletes_inventory({"prune": True, "suspend": True,
                                       "deletionPolicy": "WaitForTermination"}, True)
    assert not flux_deletes_inventory({"prune": False}, False)


def test_flux_waits_fit_inside_each_other_and_inside_pulumis(run_stack):
    """The root's inventory holds the tree's add-on list, whose inventory holds the add-on
    Kustomizations, so each must wait longer than what it holds, and Pulumi longer than the
    controller (fluxcd/flux2#4570: when the wait runs out, the finalizer goes and the objects
    stay)."""
    run = run_stack("prod", gitops__engine="flux")
    addons = [doc for doc in _documents(ROOT / "gitops" / "addons" / "flux")
              if doc["kind"] == "Kustomization" and "spec" in doc]
    [addon_list] = [doc for doc in _documents(ROOT / "gitops" / "flux")
                    if doc["metadata"]["name"] == "addons"]
    assert addons and all(_minutes(doc["spec"]["timeout"]) == budgets.ADDON.total_seconds() / 60
                          for doc in addons)
    assert _minutes(addon_list["spec"]["timeout"]) == budgets.ADDONS.total_seconds() / 60
    assert budgets.ROOT > budgets.ADDONS > budgets.ADDON
    for resource in run.resources:
        if not resource.type.endswith(":Kustomization"):
            continue
        spec = plain(resource.inputs)["spec"]
        controller_wait = _minutes(spec["timeout"])
        assert _minutes(resource.custom_timeouts["delete"]) > controller_wait, resource.name
        if resource.inputs["metadata"]["name"] == "flux-system":
            assert controller_wait > _minutes(addon_list["spec"]["timeout"])


def test_argo_cd_waits_fit_inside_pulumis(run_stack):
    """Argo CD puts no bound on its finalizer; Pulumi's delete timeout covers the cascade."""
    run = run_stack("prod", gitops__engine="argocd")
    apps = {r.inputs["metadata"]["name"]: r for r in run.resources
            if r.type.endswith(":Application")}
    assert _minutes(apps["root"].custom_timeouts["delete"]) > budgets.ROOT.total_seconds() / 60
    assert _minutes(apps["podinfo"].custom_timeouts["delete"]) > budgets.APP.total_seconds() / 60
    assert budgets.ROOT > budgets.ADDON
