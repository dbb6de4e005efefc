"""The GitOps layer of every stack under either engine: strict validation, what waits for the
engine's release, the cluster bridge, where credentials go, the seed apps; and the sample tree
under gitops/ that the stacks point at."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from components.common.catalog import CATALOG
from components.common.gitops_model import GitSource
from components.gitops import argocd_manifests as argocd
from components.gitops import flux_manifests
from components.gitops.bridge import (
    ADDONS_BASEPATH,
    AddonBinding,
    ClusterMetadata,
    cluster_metadata,
)
from tests.conftest import ENGINES, STACKS
from tools.harness import ACCOUNT_ID, ROOT, Run
from tools.render import command as render_command
from tools.render.command import cluster_version
from tools.render.expand import object_files

# The leaf walker spells paths exactly as the mock runner spells secret paths.
from tools.render.manifests import HELM_RELEASE_TYPE, K8sObject, kubernetes_objects, leaves
from tools.render.validate import Validator, load_documents

COMBINATIONS = [(stack, engine) for stack in STACKS for engine in ENGINES]
ENGINE_KINDS = {"argocd": {"AppProject", "Application"}, "flux": {"GitRepository", "Kustomization"}}
ROOT_NAMES = {"argocd": "root", "flux": "flux-system"}
SECRET_TYPE = "argocd.argoproj.io/secret-type"
CANARY = "canary-5d1f0b7e9a"
SSH_REPO = "git@github.com:groundwork-dev/groundwork.git"
GITOPS = ROOT / "gitops"


def _gitops_config(run: Run) -> dict[str, Any]:
    return run.config["groundwork:gitops"]


def _objects(run: Run, kind: str) -> list[K8sObject]:
    return [obj for obj in kubernetes_objects(run) if obj.kind == kind]


def _release(run: Run):
    (release,) = run.by_type(HELM_RELEASE_TYPE)
    return release


# What each engine's self-management adds for its own tree (gitops.ownership git), not shared.
ENGINE_KEYS = {"argocd_self_managed", "argocd_chart_version", "argocd_chart_values",
               "flux_self_managed"}


def _bridge(run: Run, engine: str) -> dict[str, str]:
    """The bridge as the engine sees it: the cluster Secret's labels and annotations, or the
    cluster-vars ConfigMap, without the engine's own self-management keys."""
    if engine == "flux":
        (variables,) = _objects(run, "ConfigMap")
        data = dict(variables.body["data"])
    else:
        (secret,) = [obj for obj in _objects(run, "Secret")
                     if obj.body["metadata"]["labels"].get(SECRET_TYPE) == "cluster"]
        metadata = secret.body["metadata"]
        labels = {k: v for k, v in metadata["labels"].items() if k != SECRET_TYPE}
        data = {**labels, **metadata.get("annotations", {})}
    return {k: v for k, v in data.items() if k not in ENGINE_KEYS}


def _key(addon: str) -> str:
    return addon.replace("-", "_")


@pytest.mark.parametrize("stack,engine", COMBINATIONS)
def test_every_object_validates_strictly(run_stack, schemas_dir, stack, engine):
    run = run_stack(stack, gitops__engine=engine)
    objects = kubernetes_objects(run)
    validator = Validator(schemas_dir, cluster_version(run))
    assert [str(p) for obj in objects for p in validator.validate(obj.body)] == []
    kinds = {obj.kind for obj in objects}
    other = next(e for e in ENGINES if e != engine)
    assert ENGINE_KINDS[engine] <= kinds and not ENGINE_KINDS[other] & kinds
    assert run.outputs["gitopsEngine"].value == engine


@pytest.mark.parametrize("stack,engine", COMBINATIONS)
def test_engine_objects_wait_for_the_release_and_the_release_for_nodes_only(
        run_stack, graph_of, stack, engine):
    run = run_stack(stack, gitops__engine=engine)
    graph, release = graph_of(run), _release(run)
    waited = graph.ancestors(release.urn)
    for obj in kubernetes_objects(run):
        if obj.kind == "StorageClass":
            # The cluster's default storage outlives the engine and the volumes it deletes.
            assert obj.resource.urn in waited
        elif obj.kind != "Namespace":
            assert graph.waits_for(obj.resource, release), f"{obj.slug} does not wait"
    assert (stack == "local") != any(obj.kind == "StorageClass" for obj in kubernetes_objects(run))
    node_groups = run.by_type("aws:eks/nodeGroup:NodeGroup")
    # The groups its pods run on: the system group where one is named (prod), else all.
    pool = run.settings.cluster.system_pool
    assert [g.name for g in node_groups if g.urn in waited] == [
        g.name for g in node_groups if pool is None or g.name == f"cluster-{pool.name}"]
    assert bool(node_groups) == (stack != "local")
    # The modeled critical path: neither the EKS add-ons that run on nodes nor the add-on roles
    # hold up the engine. (The node groups follow the add-ons their nodes need, so an upgrade
    # moves control plane, add-ons, nodes in that order.)
    late = [r for r in run.resources if r.type in ("aws:eks/addon:Addon", "aws:iam/role:Role",
                                                   "aws:iam/rolePolicy:RolePolicy")
            and ("AddonRoles" in r.parent or "NodeAddons" in r.parent)]
    assert [r.name for r in late if r.urn in waited] == []
    assert late or stack == "local"
    # Everything goes to the stack's cluster, through its provider, never an ambient kubeconfig.
    (provider,) = run.by_type("pulumi:providers:kubernetes")
    assert all(obj.resource.provider.startswith(f"{provider.urn}::")
               for obj in kubernetes_objects(run)) and release.provider.startswith(provider.urn)


@pytest.mark.parametrize("stack,engine", COMBINATIONS)
def test_seed_apps_wait_for_the_root_and_argo_apps_carry_the_finalizer(
        run_stack, graph_of, stack, engine):
    run = run_stack(stack, gitops__engine=engine)
    graph = graph_of(run)
    kind = "Application" if engine == "argocd" else "Kustomization"
    apps = _objects(run, kind)
    (root,) = [obj for obj in apps if obj.name == ROOT_NAMES[engine]]
    seeds = [obj for obj in apps if obj is not root]
    assert seeds and all(graph.waits_for(seed.resource, root.resource) for seed in seeds)
    if engine == "argocd":
        assert all(obj.body["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
                   for obj in apps)
        assert root.body["spec"]["source"]["path"] == "gitops/argocd"
    else:
        assert root.body["spec"]["path"] == "./gitops/flux"
        assert root.body["spec"]["postBuild"]["substituteFrom"] == [
            {"kind": "ConfigMap", "name": "cluster-vars"}]


@pytest.mark.parametrize("stack,engine", COMBINATIONS)
def test_bridge_carries_the_mocked_infrastructure(run_stack, stack, engine):
    run = run_stack(stack, gitops__engine=engine)
    bridge, gitops = _bridge(run, engine), _gitops_config(run)
    assert bridge["environment"] == stack
    assert {k for k in bridge if k.startswith("enable_")} == {
        f"enable_{_key(a)}" for a in gitops["addons"]}
    assert all(bridge[f"enable_{_key(a)}"] == "true" for a in gitops["addons"])
    for addon in gitops["addons"]:
        assert bridge[f"{_key(addon)}_namespace"] == CATALOG[addon].namespace
        assert bridge[f"{_key(addon)}_service_account"] == CATALOG[addon].service_account
    assert (bridge["addons_repo_url"], bridge["addons_repo_basepath"]) == (
        gitops.get("repoUrl", "https://github.com/groundwork-dev/groundwork.git"), ADDONS_BASEPATH)
    assert bridge["addons_repo_revision"] == gitops["revision"]
    role_arns = {k: v for k, v in bridge.items() if k.endswith("_iam_role_arn")}
    if stack == "local":
        assert not [k for k in bridge if k.startswith("aws_")] and not role_arns
        return
    assert bridge["aws_region"] == run.config["aws:region"]
    assert bridge["aws_account_id"] == ACCOUNT_ID
    assert bridge["aws_cluster_name"] == run.outputs["clusterName"].value
    assert bridge["aws_vpc_id"] == run.outputs["vpcId"].value
    outputs = run.outputs["addonRoleArns"].value
    assert outputs and role_arns == {f"{_key(a)}_iam_role_arn": arn for a, arn in outputs.items()}
    # Each ARN is the ARN of the role AddonRoles created for that add-on.
    roles = {r.name.removeprefix("addons-"): r.inputs["namePrefix"]
             for r in run.by_type("aws:iam/role:Role") if "AddonRoles" in r.parent}
    assert all(arn.split(":role/")[1].startswith(roles[a]) for a, arn in outputs.items())


@pytest.mark.parametrize("stack", STACKS)
def test_both_engines_get_the_same_bridge_and_the_same_infrastructure(run_stack, stack):
    argo, flux = (run_stack(stack, gitops__engine=engine) for engine in ENGINES)
    assert _bridge(argo, "argocd") == _bridge(flux, "flux")

    def infrastructure(run: Run) -> dict[str, Any]:
        by_urn = run.by_urn()

        def in_gitops(resource) -> bool:
            while resource is not None:
                if resource.type == "groundwork:index:GitOps":
                    return True
                resource = by_urn.get(resource.parent)
            return False

        kept = {r.urn: r.inputs for r in run.resources if not in_gitops(r)}
        assert any(r.type == "pulumi:providers:kubernetes" for r in run.resources
                   if r.urn in kept)
        return kept

    assert infrastructure(argo) == infrastructure(flux)


def _under(path: str, secret_paths: Iterable[str]) -> bool:
    return any(path == s or path.startswith((f"{s}.", f"{s}[")) for s in secret_paths)


CREDENTIALS = {
    "https": ({"username": "bot", "password": CANARY}, {}),
    "ssh": ({"sshPrivateKey": f"-----BEGIN OPENSSH PRIVATE KEY-----\n{CANARY}\n",
             "knownHosts": f"github.com ssh-ed25519 {CANARY}"}, {"gitops__repoUrl": SSH_REPO}),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("shape", sorted(CREDENTIALS))
def test_credentials_appear_only_in_secret_inputs(run_stack, engine, shape):
    credentials, overrides = CREDENTIALS[shape]
    run = run_stack("dev", gitops__engine=engine, gitCredentials=credentials, **overrides)
    found = []
    for resource in run.resources:
        for path, leaf in leaves(resource.inputs):
            if isinstance(leaf, str) and CANARY in leaf:
                assert _under(path, resource.secret_paths), f"{resource.name}: {path} is plain"
                found.append((resource.type.rpartition(":")[2], path.partition(".")[0]))
    assert ("Secret", "stringData") in found
    assert (("Release", "values") in found) == (shape == "ssh" and engine == "argocd")
    assert all(CANARY not in str(output.value) or output.secret for output in run.outputs.values())
    assert not any(CANARY in line for line in run.logs)


@pytest.mark.parametrize("stack,engine", COMBINATIONS)
def test_seed_apps_map_one_to_one(run_stack, stack, engine):
    run = run_stack(stack, gitops__engine=engine)
    apps = {app["name"]: app for app in _gitops_config(run)["apps"]}
    if engine == "argocd":
        seeds = {o.name: o.body for o in _objects(run, "Application") if o.name != "root"}
        assert seeds.keys() == apps.keys()
        for name, body in seeds.items():
            assert body["spec"]["destination"]["namespace"] == apps[name]["namespace"]
            assert body["spec"]["source"]["path"] == apps[name]["path"]
            assert body["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == str(
                apps[name].get("wave", 0))
    else:
        seeds = {o.name: o.body for o in _objects(run, "Kustomization") if o.name != "flux-system"}
        assert seeds.keys() == apps.keys()
        for name, body in seeds.items():
            assert body["spec"]["targetNamespace"] == apps[name]["namespace"]
            assert body["spec"]["path"] == f"./{apps[name]['path']}"


@pytest.mark.parametrize("stack", STACKS)
def test_application_set_lists_every_seed_app(run_stack, schemas_dir, stack):
    run = run_stack(stack, gitops__engine="argocd", gitops__argocd__applicationSet=True)
    (appset,) = _objects(run, "ApplicationSet")
    assert [o.name for o in _objects(run, "Application")] == ["root"]
    elements = appset.body["spec"]["generators"][0]["list"]["elements"]
    apps = _gitops_config(run)["apps"]
    assert [(e["name"], e["namespace"], e["path"]) for e in elements] == [
        (a["name"], a["namespace"], a["path"]) for a in apps]
    assert Validator(schemas_dir, cluster_version(run)).validate(appset.body) == []


def test_prod_runs_argo_cd_highly_available(run_stack):
    values = _release(run_stack("prod")).inputs["values"]
    assert values["redis-ha"]["enabled"] is True
    assert all(values[part]["replicas"] >= 2 for part in ("server", "repoServer", "applicationSet"))
    assert "redis-ha" not in _release(run_stack("dev")).inputs["values"]


# --- the sample tree -----------------------------------------------------------------------------


def _documents(under: Path) -> list[tuple[Path, dict]]:
    """Every Kubernetes document under `under`; a local chart's files are templates, not
    objects (the render expands them with a release's values)."""
    return [(file, doc) for file in object_files(under) for doc in load_documents(file)]


def _all_bridge_keys() -> set[str]:
    """Every key the bridge can carry: EKS with the whole catalog enabled."""
    metadata = ClusterMetadata(
        environment="dev", cluster_name="c", addons_source=GitSource("u", "r", ADDONS_BASEPATH),
        aws_region="eu-west-1", aws_account_id=ACCOUNT_ID, aws_vpc_id="vpc-1",
        addons=tuple(AddonBinding(a.name, a.namespace, a.service_account,
                                  "arn" if a.calls_aws else None) for a in CATALOG.values()),
        karpenter={"karpenter_node_role": "r", "karpenter_interruption_queue": "q"})
    return set(metadata.variables())


def test_sample_tree_validates_strictly(schemas_dir):
    """As Flux builds it for a cluster that sets no variable (defaults taken)."""
    validator = Validator(schemas_dir, "1.34")
    documents = _documents(GITOPS)
    assert len(documents) > 20
    assert [str(p) for file, doc in documents
            for p in validator.validate(render_command._defaulted(doc), str(file))] == []


@pytest.mark.parametrize("stack", STACKS)
def test_stack_paths_exist_in_the_sample_tree(run_stack, stack):
    apps = _gitops_config(run_stack(stack))["apps"]
    for path in ["gitops/argocd", "gitops/flux", ADDONS_BASEPATH + "argocd",
                 flux_manifests.WAVE_GATE_PATH, *(app["path"] for app in apps)]:
        assert any((ROOT / path).glob("*.yaml")), path


def test_sample_tree_references_only_bridge_keys():
    text = "\n".join(file.read_text() for file in GITOPS.rglob("*.yaml"))
    argo = set(re.findall(r"\.metadata\.annotations\.(\w+)", text))
    flux = set(re.findall(r"\$\{(\w+)(?::=\w*)?\}", text))
    assert argo and flux
    assert argo | flux <= _all_bridge_keys() | ENGINE_KEYS


def test_every_catalog_add_on_has_both_engines_switched_by_its_label():
    appsets = {doc["metadata"]["name"]: doc for _, doc in _documents(GITOPS / "addons" / "argocd")}
    kustomizations = {render_command._defaulted(doc)["metadata"]["name"]: doc
                      for _, doc in _documents(GITOPS / "addons" / "flux")
                      if doc["apiVersion"].startswith("kustomize.toolkit.fluxcd.io/")}
    for addon in CATALOG.values():
        key = _key(addon.name)
        appset = appsets[f"addon-{addon.name}"]["spec"]
        (generator,) = appset["generators"]
        assert generator["clusters"]["selector"]["matchLabels"] == {f"enable_{key}": "true"}
        assert appset["template"]["spec"]["destination"]["namespace"] == (
            f"{{{{.metadata.annotations.{key}_namespace}}}}")
        path = kustomizations[f"addon-{addon.name}"]["spec"]["path"]
        assert path == f"./${{addons_repo_basepath}}flux/{addon.name}/${{enable_{key}:=false}}"
        for switch in ("true", "false"):
            assert any((GITOPS / "addons" / "flux" / addon.name / switch).glob("*.yaml"))


@pytest.mark.parametrize("name,server", [(argocd.ADDONS_PROJECT, argocd.IN_CLUSTER),
                                         ("spoke-a", "https://A.gr7.eu-west-1.eks.amazonaws.com")])
def test_addons_project_allows_exactly_the_add_on_charts_and_namespaces(name, server):
    project = argocd.addons_project(name, server)
    charts = {doc["spec"]["template"]["spec"]["source"]["repoURL"]
              for _, doc in _documents(GITOPS / "addons" / "argocd")}
    assert project["metadata"]["name"] == name
    assert set(project["spec"]["sourceRepos"]) == charts
    assert {d["namespace"] for d in project["spec"]["destinations"]} == {
        a.namespace for a in CATALOG.values()}
    assert {d["server"] for d in project["spec"]["destinations"]} == {server}
    assert "*" not in str(project)


# --- who may do what -----------------------------------------------------------------------------


def _is_flux_kustomization(doc: dict) -> bool:
    return doc.get("kind") == "Kustomization" and doc.get("apiVersion", "").startswith(
        "kustomize.toolkit.fluxcd.io/")


def test_every_flux_kustomization_in_the_tree_waits_for_what_it_deletes():
    kustomizations = [(file, doc) for file, doc in _documents(GITOPS)
                      if _is_flux_kustomization(doc)]
    assert len(kustomizations) >= len(CATALOG)
    # Except flux-engine, which orphans Flux's own FluxInstance so that a destroy never takes Flux
    # away while Flux still deletes the apps (Pulumi deletes the instance last).
    assert [f"{file.relative_to(ROOT)}: {doc['metadata']['name']}" for file, doc in kustomizations
            if doc["spec"].get("deletionPolicy") != "WaitForTermination"] == [
        "gitops/flux/engine.yaml: flux-engine"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_pruning_kustomization_the_program_creates_waits_for_termination(run_stack, stack):
    kustomizations = [o.body for o in _objects(run_stack(stack, gitops__engine="flux"),
                                               "Kustomization")]
    pruning = [k for k in kustomizations if k["spec"]["prune"]]
    assert len(pruning) >= 2
    assert [k["metadata"]["name"] for k in pruning
            if k["spec"].get("deletionPolicy") != "WaitForTermination"] == []


def _projects(run: Run) -> dict[str, dict]:
    return {o.name: o.body["spec"] for o in _objects(run, "AppProject")}


@pytest.mark.parametrize("application_set", [False, True])
@pytest.mark.parametrize("stack", STACKS)
def test_seed_apps_get_their_own_project_without_argocd(run_stack, graph_of, stack,
                                                        application_set):
    run = run_stack(stack, gitops__engine="argocd",
                    gitops__argocd__applicationSet=application_set)
    gitops, graph = _gitops_config(run), graph_of(run)
    root_repo = gitops.get("repoUrl", "https://github.com/groundwork-dev/groundwork.git")
    applications = _objects(run, "Application") + _objects(run, "ApplicationSet")
    (root,) = [o for o in applications if o.name == "root"]
    seeds = [o for o in applications if o is not root]
    seed_specs = [o.body["spec"]["template"]["spec"] if o.kind == "ApplicationSet"
                  else o.body["spec"] for o in seeds]
    projects = {o.name: o for o in _objects(run, "AppProject")}
    root_project = projects[root.body["spec"]["project"]].body["spec"]
    (seed_name,) = {spec["project"] for spec in seed_specs}
    seed_project = projects[seed_name].body["spec"]
    # Root, seed apps, the add-ons, and Argo CD's own (gitops.ownership git).
    assert seed_name != root.body["spec"]["project"] and set(projects) == {
        root.body["spec"]["project"], seed_name, argocd.ADDONS_PROJECT, argocd.ENGINE_PROJECT}
    assert root_project["sourceRepos"] == [root_repo]
    assert [d["namespace"] for d in root_project["destinations"]] == ["argocd"]
    assert "clusterResourceWhitelist" not in root_project
    assert seed_project["sourceRepos"] == list(dict.fromkeys(
        app.get("repoUrl", root_repo) for app in gitops["apps"]))
    namespaces = [d["namespace"] for d in seed_project["destinations"]]
    assert "argocd" not in namespaces
    assert namespaces == list(dict.fromkeys(app["namespace"] for app in gitops["apps"]))
    assert {(k["kind"], k.get("name")) for k in seed_project["clusterResourceWhitelist"]} == {
        ("Namespace", ns) for ns in namespaces}
    assert all(graph.waits_for(seed.resource, projects[seed_name].resource) for seed in seeds)


def test_every_project_the_tree_names_exists():
    """The root tree's Applications run in a project the program creates: the root app's,
    Argo CD's own, or their cluster's add-ons project, which the bridge names."""
    documents = [doc for _, doc in _documents(GITOPS)]
    assert not [doc for doc in documents if doc["kind"] == "AppProject"]
    named = {doc["spec"]["template"]["spec"]["project"] for doc in documents
             if doc["kind"] == "ApplicationSet"}
    addons = "{{.metadata.annotations.addons_project}}"
    assert addons in named and named <= {argocd.ROOT_PROJECT, argocd.ENGINE_PROJECT, addons}
    metadata = cluster_metadata({"environment": "dev", "cluster_name": "c"},
                                GitSource("u", "r", "gitops/argocd"))
    assert metadata.annotations()["addons_project"] == argocd.ADDONS_PROJECT


@pytest.mark.parametrize("stack", STACKS)
def test_flux_seed_apps_run_as_an_identity_bound_to_their_namespace(run_stack, graph_of, stack):
    run = run_stack(stack, gitops__engine="flux")
    graph = graph_of(run)
    accounts = {(o.namespace, o.name): o for o in _objects(run, "ServiceAccount")}
    bindings = _objects(run, "RoleBinding")
    seeds = [o for o in _objects(run, "Kustomization") if o.name != "flux-system"]
    assert seeds and len(accounts) == len(bindings) == len(seeds)
    assert not {o.kind for o in kubernetes_objects(run)} & {"ClusterRole", "ClusterRoleBinding"}
    for seed in seeds:
        spec = seed.body["spec"]
        # kustomize-controller impersonates the account of that name in the Kustomization's
        # own namespace.
        account = accounts[(seed.namespace, spec["serviceAccountName"])]
        (binding,) = [b for b in bindings if b.body["subjects"] == [
            {"kind": "ServiceAccount", "name": account.name, "namespace": account.namespace}]]
        assert binding.namespace == spec["targetNamespace"]
        assert binding.body["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io",
                                           "kind": "ClusterRole", "name": "admin"}
        assert graph.waits_for(seed.resource, account.resource)
        assert graph.waits_for(seed.resource, binding.resource)
        namespace = [o for o in _objects(run, "Namespace") if o.name == binding.namespace]
        assert all(graph.waits_for(binding.resource, ns.resource) for ns in namespace)
    # Namespaced admin must not include Flux's kinds, or an app could create a Kustomization
    # that the cluster-admin controller applies without impersonation.
    release = _release(run)
    if release.inputs["chart"] == "flux2":
        assert release.inputs["values"]["rbac"]["createAggregation"] is False
    else:  # the Flux Operator: the instance deletes the aggregated roles
        [instance] = run.by_type("kubernetes:fluxcd.controlplane.io/v1:FluxInstance")
        deleted = {p["target"].get("name") for p in instance.inputs["spec"]["kustomize"]["patches"]
                   if '"$patch": "delete"' in p["patch"]}
        assert deleted == {"flux-edit-flux-system", "flux-view-flux-system"}
