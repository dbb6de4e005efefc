"""A Flux bootstrap with apps over several waves and repositories, under mocks; the waves' order
read back from the recorded Kustomizations."""

from __future__ import annotations

import pulumi_kubernetes as k8s
import pytest
import yaml

from components.gitops import flux_manifests as flux
from components.gitops.flux import RoleBinding
from tests.conftest import WAVE_APPS
from tools import harness
from tools.harness import ROOT
from tools.render.manifests import kubernetes_objects
from tools.render.validate import Validator

APPS = [
    {"name": "base", "path": "gitops/apps/podinfo", "namespace": "default", "wave": 0},
    {"name": "web", "path": "gitops/apps/podinfo", "namespace": "web", "wave": 1},
    {"name": "ledger", "path": "deploy", "namespace": "ledger", "wave": 2,
     "repoUrl": "https://github.com/example/ledger.git", "revision": "v2.0.0"},
]


def test_bootstrap_with_waves_and_repositories(run_stack, schemas_dir, graph_of):
    run = run_stack("local", gitops__apps=APPS,
                    gitCredentials={"username": "bot", "password": "token-value"})
    objects = {(o.kind, o.name): o for o in kubernetes_objects(run)}
    validator = Validator(schemas_dir, "1.34")
    assert [str(p) for o in objects.values() for p in validator.validate(o.body)] == []
    graph = graph_of(run)
    kustomizations = {name: o.body["spec"] for (kind, name), o in objects.items()
                      if kind == "Kustomization"}
    assert kustomizations["web"]["dependsOn"] == [{"name": "wave-0.gate"}]
    assert kustomizations["wave-0.gate"]["dependsOn"] == [{"name": "base"}]
    assert kustomizations["ledger"]["dependsOn"] == [{"name": "wave-1.gate"}]
    assert kustomizations["wave-1.gate"]["dependsOn"] == [{"name": "web"}]
    assert "dependsOn" not in kustomizations["base"]
    assert kustomizations["ledger"]["sourceRef"]["name"] == "app-ledger"
    ledger_source = objects[("GitRepository", "app-ledger")].body["spec"]
    assert ledger_source["ref"] == {"tag": "v2.0.0"}
    # The root's credentials are for the root's repository only.
    assert "secretRef" not in ledger_source
    assert objects[("GitRepository", "flux-system")].body["spec"]["secretRef"] == {
        "name": flux.CREDENTIALS}
    # Pulumi creates the apps' namespaces, never one the cluster already has.
    namespaces = {name for kind, name in objects if kind == "Namespace"}
    assert namespaces == {"flux-system", "web", "ledger"}
    web = objects[("Kustomization", "web")].resource
    assert graph.waits_for(web, objects[("Namespace", "web")].resource)
    # Each app's identity is bound where the app deploys, existing namespaces included, and
    # never in flux-system, beside the root's credentials and Kustomization.
    assert sorted(o.namespace for (kind, _), o in objects.items() if kind == "RoleBinding") == (
        sorted(app["namespace"] for app in APPS))



def _depends_on(run) -> dict[str, list[str]]:
    """Kustomization name -> the names it depends on, as Flux reads them."""
    return {o.name: [d["name"] for d in o.body["spec"].get("dependsOn", [])]
            for o in kubernetes_objects(run) if o.kind == "Kustomization"}


def _waits_for(graph: dict[str, list[str]], name: str) -> set[str]:
    """Everything `name` transitively depends on."""
    found: set[str] = set()
    stack = list(graph[name])
    while stack:
        dependency = stack.pop()
        if dependency not in found:
            found.add(dependency)
            stack.extend(graph[dependency])
    return found


@pytest.mark.parametrize("stack", ["local", "dev"])
def test_an_app_starts_only_after_every_app_of_every_lower_wave(run_stack, stack):
    run = run_stack(stack, gitops__engine="flux", gitops__apps=WAVE_APPS)
    graph = _depends_on(run)
    waves = {app["name"]: app["wave"] for app in WAVE_APPS}
    # Every name Flux would look up exists, in flux-system beside the apps.
    assert all(dependency in graph for names in graph.values() for dependency in names)
    for app, wave in waves.items():
        assert _waits_for(graph, app) & set(waves) == {
            other for other, lower in waves.items() if lower < wave}, app
    # Linear: one entry per app of a wave with a wave before it, one per app of a wave with a
    # wave after it (listing every app of the wave before made it 8 + 16 + 12 = 36 here).
    assert sum(map(len, graph.values())) == 11 + 10
    gates = [name for name in graph if name not in waves and name != flux.ROOT]
    assert sorted(gates) == ["wave-0.gate", "wave-2.gate", "wave-minus-1.gate"]


def test_gates_apply_an_empty_directory_of_the_sample_tree_and_go_before_the_root(run_stack,
                                                                                  graph_of):
    run = run_stack("local", gitops__engine="flux", gitops__apps=WAVE_APPS)
    objects = {o.name: o for o in kubernetes_objects(run) if o.kind == "Kustomization"}
    gates = [o for name, o in objects.items() if name.endswith(".gate")]
    assert len(gates) == 3
    for gate in gates:
        assert gate.body["spec"]["path"] == f"./{flux.WAVE_GATE_PATH}"
        assert gate.body["spec"]["sourceRef"]["name"] == flux.ROOT
        assert graph_of(run).waits_for(gate.resource, objects[flux.ROOT].resource)
    [tree] = yaml.safe_load_all((ROOT / flux.WAVE_GATE_PATH / "kustomization.yaml").read_text())
    assert tree == {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                    "resources": []}


def test_app_role_bindings_register_what_the_typed_class_registers(run_stack):
    """The same type token and inputs as pulumi-kubernetes' RoleBinding, without its aliases."""
    [ours] = run_stack("local", gitops__engine="flux").by_type(RoleBinding.TYPE)
    body = ours.inputs

    def typed() -> None:
        k8s.rbac.v1.RoleBinding(ours.name, metadata=body["metadata"], role_ref=body["roleRef"],
                                subjects=body["subjects"])

    [theirs] = harness.run("local", program=typed).resources
    assert (theirs.type, theirs.inputs) == (ours.type, ours.inputs)
    assert body["metadata"] == {"name": "flux-app-podinfo", "namespace": "podinfo"}
