"""gitops.flux.resourceSet: the seed apps as one Flux Operator ResourceSet. Built the way the
operator builds it (tools/render/expand.py), it makes exactly the objects the per-app path
creates, waves included; it validates against the upstream CRD; and Pulumi registers the same
resources whatever the number of apps."""

from __future__ import annotations

from typing import Any

import pytest

from components.gitops import budgets
from components.gitops import flux_manifests as flux
from components.gitops.bootstrap import BootstrapArgs
from components.gitops.flux import Flux, FluxArgs
from tools import harness
from tools.render.expand import build_resource_set
from tools.render.manifests import kubernetes_objects, plain
from tools.render.validate import Validator

RESOURCE_SET = "kubernetes:fluxcd.controlplane.io/v1:ResourceSet"
CREDENTIALS = {"username": "bot", "password": "token-value"}
# Apps over three waves, a negative one included: the root's repository at its revision and at
# another (which reads the root's credentials), other repositories over HTTPS and SSH at a tag
# and a commit, a namespace two apps share, one the cluster already has, and values YAML would
# read as something else unquoted (a namespace `123`, a branch `1.0`, a path with `"` and `: `).
APPS: list[dict[str, Any]] = [
    {"name": "base", "path": "gitops/apps/podinfo", "namespace": "default", "wave": -1},
    {"name": "web", "path": "gitops/apps/podinfo", "namespace": "web"},
    {"name": "api", "path": 'deploy/it\'s: "quoted" #1', "namespace": "web", "revision": "1.0"},
    {"name": "ledger", "path": "deploy", "namespace": "123", "wave": 2,
     "repoUrl": "git@github.com:example/ledger.git", "revision": "v2.0.0"},
    {"name": "pinned", "path": "deploy/prod", "namespace": "pinned", "wave": 2,
     "repoUrl": "https://github.com/example/pinned.git",
     "revision": "0123456789abcdef0123456789abcdef01234567"},
]


def _run(resource_set: bool, apps: list[dict[str, Any]] = APPS, **overrides: Any) -> harness.Run:
    return harness.run("local", {"gitops.engine": "flux", "gitops.apps": apps,
                                 "gitops.flux.resourceSet": resource_set, **overrides})


def _keyed(objects: list[dict[str, Any]]) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """Objects by apiVersion, kind, namespace and name, as the operator tells them apart."""
    keyed = {(o["apiVersion"], o["kind"], o["metadata"].get("namespace", ""),
              o["metadata"]["name"]): o for o in objects}
    assert len(keyed) == len(objects)
    return keyed


def _cluster(run: harness.Run) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """Every object the cluster ends up with from the program: what Pulumi creates, and what
    the ResourceSet it creates makes, in place of the ResourceSet."""
    objects = [dict(o.body) for o in kubernetes_objects(run)]
    made = [built for o in objects if o["kind"] == "ResourceSet" for built in build_resource_set(o)]
    return _keyed([o for o in objects if o["kind"] != "ResourceSet"] + made)


@pytest.fixture(scope="module")
def per_app() -> harness.Run:
    return _run(False, gitCredentials=CREDENTIALS)


@pytest.fixture(scope="module")
def one_set() -> harness.Run:
    return _run(True, gitCredentials=CREDENTIALS)


def test_the_resource_set_makes_exactly_what_the_per_app_path_creates(per_app, one_set):
    per_app_objects, made = _cluster(per_app), _cluster(one_set)
    assert made.keys() == per_app_objects.keys()
    assert made == per_app_objects
    # The cases above all occur: each app's own objects, shared and existing namespaces, the
    # three kinds of ref, credentials only for the root's repository, dependencies on gates.
    kinds = [kind for _, kind, _, _ in per_app_objects]
    assert kinds.count("Kustomization") == len(APPS) + 1 + 2  # the root and two gates
    assert {name for _, kind, _, name in per_app_objects if kind == "Namespace"} == {
        "flux-system", "web", "123", "pinned"}
    sources = {name: o["spec"] for (_, kind, _, name), o in per_app_objects.items()
               if kind == "GitRepository"}
    assert {name: spec["ref"] for name, spec in sources.items()} == {
        "flux-system": {"branch": "main"}, "app-api": {"branch": "1.0"},
        "app-ledger": {"tag": "v2.0.0"},
        "app-pinned": {"commit": "0123456789abcdef0123456789abcdef01234567"}}
    assert sources["app-ledger"]["url"] == "ssh://git@github.com/example/ledger.git"
    assert {name for name, spec in sources.items() if "secretRef" in spec} == {
        "flux-system", "app-api"}
    depends_on = {name: [d["name"] for d in o["spec"].get("dependsOn", [])]
                  for (_, kind, _, name), o in per_app_objects.items() if kind == "Kustomization"}
    assert depends_on["base"] == [] and depends_on["web"] == depends_on["api"] == [
        "wave-minus-1.gate"]
    assert depends_on["ledger"] == depends_on["pinned"] == ["wave-0.gate"]
    assert depends_on["wave-0.gate"] == ["web", "api"]


def test_the_resource_set_and_what_it_makes_validate_against_the_upstream_schemas(one_set,
                                                                                 schemas_dir):
    [resource_set] = [o for o in kubernetes_objects(one_set) if o.kind == "ResourceSet"]
    validator = Validator(schemas_dir, "1.34")
    assert ("fluxcd.controlplane.io/v1", "ResourceSet") in validator.crds()
    assert validator.validate(resource_set.body) == []
    made = build_resource_set(resource_set.body)
    assert {o["kind"] for o in made} == {"Namespace", "GitRepository", "ServiceAccount",
                                         "RoleBinding", "Kustomization"}
    assert [str(p) for o in made for p in validator.validate(o)] == []


def test_one_input_per_app_of_what_its_objects_vary_on(one_set):
    [resource_set] = one_set.by_type(RESOURCE_SET)
    inputs = plain(resource_set.inputs)["spec"]["inputs"]
    assert [i["name"] for i in inputs] == [app["name"] for app in APPS]
    assert {tuple(sorted(i)) for i in inputs} == {(
        "createNamespace", "dependsOn", "name", "namespace", "path", "ref", "revision",
        "secretRef", "source", "url")}
    assert inputs[0] == {"name": "base", "namespace": "default", "path": "gitops/apps/podinfo",
                         "createNamespace": False, "source": flux.ROOT, "url": "", "ref": "",
                         "revision": "", "secretRef": "", "dependsOn": ""}


def test_the_resource_set_waits_for_the_root_and_goes_within_pulumis_wait(one_set, graph_of):
    graph = graph_of(one_set)
    [resource_set] = one_set.by_type(RESOURCE_SET)
    [root] = [r for r in one_set.by_type("kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization")
              if r.inputs["metadata"]["name"] == flux.ROOT]
    # After the root and Flux itself, like the apps, and after the credentials its apps'
    # GitRepositories read; so a destroy deletes it first, while they all still exist.
    for dependency in (root, *one_set.by_type("kubernetes:fluxcd.controlplane.io/v1:FluxInstance"),
                       *one_set.by_type("kubernetes:core/v1:Secret")):
        assert graph.waits_for(resource_set, dependency), dependency.name
    assert resource_set.custom_timeouts["delete"] == budgets.pulumi_timeouts(
        budgets.RESOURCE_SET_GC).delete


def _apps(count: int) -> list[dict[str, Any]]:
    """`count` apps, each in a namespace of its own, over three waves."""
    return [{"name": f"app-{i}", "path": "gitops/apps/podinfo", "namespace": f"app-{i}",
             "wave": i % 3} for i in range(count)]


def test_the_resources_do_not_grow_with_the_apps():
    few, many = (_run(True, _apps(count)).resources for count in (3, 30))
    assert sorted(r.type for r in few) == sorted(r.type for r in many)
    assert sum(r.type == RESOURCE_SET for r in many) == 1
    # Each app adds its own Namespace, ServiceAccount, RoleBinding and Kustomization otherwise.
    assert len(_run(False, _apps(30)).resources) - len(_run(False, _apps(3)).resources) == 27 * 4


def test_no_apps_no_resource_set():
    """With no input the operator would render the template once, over nothing."""
    assert not _run(True, []).by_type(RESOURCE_SET)


@pytest.mark.parametrize("bootstrap", [{"ownership": "pulumi"},
                                       {"ownership": "git", "sync": {"automated": False}}],
                         ids=["without-the-operator", "manual-sync"])
def test_the_component_refuses_a_resource_set_it_cannot_stand_for(bootstrap):
    """A program composing Flux itself gets what the stack config says (test_config_validation)."""
    args = BootstrapArgs(repo_url="https://github.com/example/tree.git", revision="main",
                         path="gitops/flux", bridge={"environment": "dev", "cluster_name": "c"},
                         apps=[{"name": "web", "path": "web", "namespace": "web"}],
                         **bootstrap)  # type: ignore[typeddict-item]

    def program() -> None:
        Flux("flux", FluxArgs(bootstrap=args, options={"chart_version": "2.18.3",
                                                       "resource_set": True}))

    with pytest.raises(ValueError, match="resource_set needs ownership 'git'"):
        harness.run("local", program=program)
