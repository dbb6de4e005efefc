"""A Flux bootstrap with apps over several waves and repositories, under mocks."""

from __future__ import annotations

from components.gitops import flux_manifests as flux
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
    assert kustomizations["web"]["dependsOn"] == [{"name": "base"}]
    assert kustomizations["ledger"]["dependsOn"] == [{"name": "web"}]
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
