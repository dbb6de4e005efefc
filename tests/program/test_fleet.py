"""Fleets (hub and spoke), run from the example stacks: the hub `fleet-hub`, `fleet-spoke-a` in the
hub's account and `fleet-spoke-b` in another (its `aws:allowedAccountIds`). Each spoke reads the
hub's outputs through a StackReference, which the mocks answer with those of the hub's run.

What must hold: the hub's engine reaches spokes as one exported role bound to its controllers; a
registrar may manage registration objects in the engine's namespace and nothing else; a spoke's
registration carries its bridge, validates against the upstream schemas, and is created after
the spoke's access for the hub (deleted before it); across accounts the hub reaches the spoke
through a role of the spoke's account that trusts only the hub's role; nothing on the hub grows
with the spokes; a spoke of a hub that is not one, or runs the other engine, is a config error.
"""

from __future__ import annotations

import base64
import fnmatch
import functools
import json

import pytest
import yaml

from components.aws.fleet import SPOKE_ACCESS_POLICY, SPOKE_ROLE_PATH
from components.config import ConfigError
from components.gitops import budgets
from components.gitops.fleet_manifests import (
    ENGINE_NAMESPACES,
    ENGINE_SERVICE_ACCOUNTS,
    REGISTRAR_GROUP,
    REGISTRATION_RESOURCES,
    kubeconfig_name,
    registration_name,
)
from tests.conftest import ENGINES
from tests.program.test_engine_deletion import _minutes
from tools import harness
from tools.harness.graph import Graph
from tools.render.command import cluster_version
from tools.render.manifests import kubernetes_objects
from tools.render.validate import Validator

HUB = "fleet-hub"
HUB_REFERENCE = "acme/groundwork/fleet-hub"
SPOKES = ("fleet-spoke-a", "fleet-spoke-b")
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
CLUSTER = "aws:eks/cluster:Cluster"
K8S_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
K8S_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
SECRET, SECRET_PATCH = "kubernetes:core/v1:Secret", "kubernetes:core/v1:SecretPatch"
PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
KUSTOMIZATION = "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization"


def _caller(stack: str) -> str:
    """The stack's deployer: in the account its `aws:allowedAccountIds` names, else the mocks'."""
    return harness.deployer(harness.stack_values(stack)[0])


@functools.cache
def hub(engine: str) -> harness.Run:
    return harness.run(HUB, {"gitops.engine": engine})


def hub_cloud(engine: str, apps: bool = True) -> harness.Cloud:
    """The hub's outputs as a spoke reads them; without `apps`, as a hub with no apps for
    spokes exports them."""
    return harness.Cloud(stacks={HUB_REFERENCE: {name: output.value for name, output
                                                 in hub(engine).outputs.items()
                                                 if apps or name != "fleetApps"}})


@functools.cache
def spoke(stack: str, engine: str) -> harness.Run:
    return harness.run(stack, caller_arn=_caller(stack), cloud=hub_cloud(engine))


def _fleet(run: harness.Run) -> list[harness.Resource]:
    """The resources of the run's fleet components and their children."""
    components = {r.urn for r in run.resources if r.type.startswith("groundwork:index:Fleet")
                  or r.type.startswith("groundwork:index:Spoke")}
    return [r for r in run.resources if r.urn in components or r.parent in components]


def _one(resources: list[harness.Resource], typ: str) -> harness.Resource:
    [found] = [r for r in resources if r.type == typ]
    return found


def _endpoint(run: harness.Run) -> tuple[str, str]:
    """The spoke cluster's API server and CA, as its kubeconfig output names them."""
    [cluster] = yaml.safe_load(run.outputs["kubeconfig"].value)["clusters"]
    return cluster["cluster"]["server"], cluster["cluster"]["certificate-authority-data"]


def _arn(role: harness.Resource) -> str:
    """A role's ARN as IAM makes it (the mocks' account): its path, then its name."""
    return f"arn:aws:iam::{harness.ACCOUNT_ID}:role{role.inputs.get('path', '/')}{role.id}"


def _plural(kind: str) -> str:
    """The resource name RBAC uses for a kind (the CRDs' and core kinds' plurals)."""
    lower = kind.lower()
    return lower[:-1] + "ies" if lower.endswith("y") else lower + "s"


def spoke_apps(run: harness.Run, engine: str) -> list[str]:
    """The names of the hub's apps for spokes that this spoke's labels select."""
    labels = dict(run.settings.fleet.labels)
    return [app["name"] for app in hub(engine).outputs["fleetApps"].value["apps"]
            if all(labels.get(key) == value for key, value in app["spokes"].items())]


def _hub_provider(run: harness.Run) -> harness.Resource:
    [provider] = [r for r in _fleet(run) if r.type == "pulumi:providers:kubernetes"]
    return provider


def _registrations(run: harness.Run) -> list[harness.Resource]:
    """The objects a spoke's registration creates in its hub, through the hub's provider."""
    hub_urn = _hub_provider(run).urn
    return [r for r in _fleet(run) if r.type.startswith("kubernetes:")
            and r.provider.startswith(hub_urn)]


def _identities(run: harness.Run) -> list[harness.Resource]:
    """What the registration creates on the spoke itself: under Flux, what the hub's
    Kustomizations of the hub's apps impersonate there."""
    hub_urn = _hub_provider(run).urn
    return [r for r in _fleet(run) if r.type.startswith("kubernetes:")
            and not r.provider.startswith(hub_urn)]


# --- the hub --------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_hub_exports_one_role_its_engine_controllers_assume(engine):
    run = hub(engine)
    fleet = _fleet(run)
    role = next(r for r in fleet if r.type == ROLE)
    assert run.outputs["fleetRoleArn"].value == _arn(role)
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    conditions = trust["Condition"]["StringEquals"]
    namespace, accounts = ENGINE_NAMESPACES[engine], list(ENGINE_SERVICE_ACCOUNTS[engine])
    assert conditions["aws:RequestTag/kubernetes-namespace"] == namespace
    assert conditions["aws:RequestTag/kubernetes-service-account"] == accounts
    associations = [r for r in fleet if r.type == POD_IDENTITY]
    assert sorted(a.inputs["serviceAccount"] for a in associations) == sorted(accounts)
    assert {a.inputs["namespace"] for a in associations} == {namespace}
    assert {a.inputs["roleArn"] for a in associations} == {run.outputs["fleetRoleArn"].value}


def test_hub_role_uses_irsa_when_the_cluster_does():
    run = harness.run(HUB, {"cluster.workloadIdentity": "irsa"})
    role = next(r for r in _fleet(run) if r.type == ROLE)
    conditions = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]
    [subjects] = [v for k, v in conditions["StringEquals"].items() if k.endswith(":sub")]
    assert subjects == [f"system:serviceaccount:argocd:{account}"
                        for account in ENGINE_SERVICE_ACCOUNTS["argocd"]]
    assert not [r for r in _fleet(run) if r.type == POD_IDENTITY]


def test_standalone_stacks_have_no_fleet():
    run = harness.run("dev")
    assert _fleet(run) == [] and "fleetRoleArn" not in run.outputs


@pytest.mark.parametrize("engine", ENGINES)
def test_registrar_rbac_allows_only_the_registration_kinds_in_the_engine_namespace(engine):
    run = hub(engine)
    fleet = _fleet(run)
    namespace = ENGINE_NAMESPACES[engine]
    role, binding = _one(fleet, K8S_ROLE), _one(fleet, K8S_BINDING)
    assert role.inputs["metadata"]["namespace"] == binding.inputs["metadata"]["namespace"] \
        == namespace
    rules = role.inputs["rules"]
    # Exactly the kinds a spoke's registration creates, no reading of others: list and watch,
    # which would show every Secret of the namespace, only where Pulumi waits for a deletion.
    registrations = _registrations(spoke(SPOKES[0], engine))
    registered = {(r.inputs["apiVersion"].rpartition("/")[0], _plural(r.inputs["kind"]))
                  for r in registrations}
    assert {(group, resource) for rule in rules for group in rule["apiGroups"]
            for resource in rule["resources"]} == registered == set(
        REGISTRATION_RESOURCES[engine])
    assert all(len(rule["apiGroups"]) == len(rule["resources"]) == 1 for rule in rules)
    waited = {_plural(r.inputs["kind"]) for r in registrations
              if r.custom_timeouts.get("delete")}
    for rule in rules:
        assert not {"*", "escalate", "bind", "impersonate"} & set(rule["verbs"])
        assert ({"list", "watch"} <= set(rule["verbs"])) == (rule["resources"][0] in waited)
        assert rule["resources"] != ["secrets"] or "list" not in rule["verbs"]
    assert binding.inputs["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                         "name": role.inputs["metadata"]["name"]}
    assert binding.inputs["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io",
                                           "kind": "Group", "name": REGISTRAR_GROUP}]
    # Each registrar is an access entry in that group only: no access policy beside it.
    registrars = run.settings.fleet.registrars
    entries = [r for r in fleet if r.type == ACCESS_ENTRY]
    assert sorted(e.inputs["principalArn"] for e in entries) == sorted(registrars)
    assert all(e.inputs["kubernetesGroups"] == [REGISTRAR_GROUP] for e in entries)
    assert [r for r in fleet if r.type == ASSOCIATION] == []
    # After the engine's namespace, which a destroy deletes after them.
    graph = Graph(run)
    [home] = [r for r in run.by_type("kubernetes:core/v1:Namespace")
              if r.inputs["metadata"]["name"] == namespace]
    assert graph.waits_for(role, home) and graph.waits_for(binding, home)


# --- a spoke's registration -----------------------------------------------------------------------

@pytest.mark.parametrize("stack,engine", [(s, "argocd") for s in SPOKES]
                         + [(SPOKES[0], "flux")])
def test_registration_objects_validate_strictly(schemas_dir, stack, engine):
    run = spoke(stack, engine)
    validator = Validator(schemas_dir, cluster_version(run))
    registered = _registrations(run)
    objects = [o for o in kubernetes_objects(run) if o.resource in [*registered, *_identities(run)]]
    kinds = sorted(o.body["kind"] for o in objects)
    # The registration, then the hub's apps this spoke's labels select (one, or two with
    # `team: payments`): under Flux each with a GitRepository, and on the spoke its Namespace,
    # identity and binding (and flux-system, the spoke running no Flux of its own).
    apps = len(spoke_apps(run, engine))
    assert kinds == sorted({"argocd": ["AppProject", "Secret", "AppProject",
                                       *["Application"] * apps],
                            "flux": ["ConfigMap", "ConfigMap", "Kustomization", "Namespace",
                                     *["GitRepository", "ServiceAccount", "Kustomization",
                                       "Namespace", "ServiceAccount", "RoleBinding"] * apps]
                            }[engine])
    # Argo CD's bridge is a patch of the cluster Secret: valid merged into it.
    patches = [r for r in registered if r.type == SECRET_PATCH]
    assert len(patches) == (engine == "argocd")
    bodies = [o.body for o in objects]
    for patch in patches:
        [secret] = [b for b in bodies if b["kind"] == "Secret"]
        secret["metadata"] = {**secret["metadata"],
                              "labels": {**secret["metadata"]["labels"],
                                         **patch.inputs["metadata"]["labels"]},
                              "annotations": patch.inputs["metadata"]["annotations"]}
        assert patch.inputs["metadata"]["name"] == secret["metadata"]["name"]
    assert [str(p) for body in bodies for p in validator.validate(body)] == []
    assert {o.body["metadata"]["namespace"] for o in objects
            if o.resource in registered} == {ENGINE_NAMESPACES[engine]}
    # Through the hub's provider only, never the spoke's own.
    [provider] = [r for r in _fleet(run) if r.type == "pulumi:providers:kubernetes"]
    assert all(r.provider.startswith(provider.urn) for r in registered)
    assert provider.secret_paths == ["kubeconfig"]


@pytest.mark.parametrize("stack", SPOKES)
def test_argocd_registration_carries_the_bridge_and_aws_auth(stack):
    run = spoke(stack, "argocd")
    registered = _registrations(run)
    secret, patch = _one(registered, SECRET), _one(registered, SECRET_PATCH)
    data, metadata = secret.inputs["stringData"], secret.inputs["metadata"]
    cluster = _one(run.resources, CLUSTER)
    name = registration_name(stack)
    assert metadata["name"] == data["name"] == patch.inputs["metadata"]["name"] == name
    # The Secret alone selects nothing: the bridge comes with the patch.
    assert metadata["labels"] == {"argocd.argoproj.io/secret-type": "cluster"}
    assert "annotations" not in metadata
    labels = patch.inputs["metadata"]["labels"]
    annotations = patch.inputs["metadata"]["annotations"]
    assert labels["environment"] == run.settings.environment
    assert labels["fleet_role"] == "spoke"
    assert {f"enable_{a.replace('-', '_')}" for a in run.settings.gitops.addons} <= set(labels)
    assert annotations["aws_cluster_name"] == cluster.inputs["name"]
    assert annotations["aws_account_id"] == _caller(stack).split(":")[4]
    assert annotations["addons_project"] == name
    server, ca_data = _endpoint(run)
    assert data["server"] == server
    config = json.loads(data["config"])
    assert config["tlsClientConfig"] == {"caData": ca_data}
    assert config["awsAuthConfig"]["clusterName"] == cluster.inputs["name"]
    # Same account: the hub's role signs as itself; across accounts it assumes the spoke's role.
    roles = [r for r in _fleet(run) if r.type == ROLE]
    assert config["awsAuthConfig"].get("roleARN") == (_arn(roles[0]) if roles else None)
    assert bool(roles) == (stack == "fleet-spoke-b")


def test_flux_registration_is_what_a_remote_kustomization_reads():
    run = spoke(SPOKES[0], "flux")
    maps = {r.inputs["metadata"]["name"]: r.inputs["data"] for r in _registrations(run)
            if r.type == "kubernetes:core/v1:ConfigMap"}
    name = registration_name(SPOKES[0])
    kubeconfig = maps[kubeconfig_name(name)]
    cluster = _one(run.resources, CLUSTER)
    server, ca_data = _endpoint(run)
    assert kubeconfig["provider"] == "aws"
    assert kubeconfig["cluster"].endswith(f":cluster/{cluster.inputs['name']}")
    assert kubeconfig["address"] == server
    assert kubeconfig["ca.crt"] == base64.b64decode(ca_data).decode()
    assert kubeconfig["ca.crt"].startswith("-----BEGIN CERTIFICATE-----")
    variables = maps[f"{name}-cluster-vars"]
    assert variables["aws_cluster_name"] == cluster.inputs["name"]
    assert variables["cluster_vars"] == f"{name}-cluster-vars"
    assert variables["fleet_suffix"] == f"-{name}" and variables["fleet_role"] == "spoke"
    # The hub's Kustomization of the spoke's add-on list: the tree's list, the spoke's variables,
    # the spoke's kubeConfig for what reaches the spoke.
    addons = _addons_holder(run).inputs["spec"]
    assert addons["path"] == "./gitops/addons/flux"
    assert addons["postBuild"]["substituteFrom"] == [{"kind": "ConfigMap",
                                                      "name": f"{name}-cluster-vars"}]
    assert addons["deletionPolicy"] == "WaitForTermination" and addons["prune"]
    patches = {p["target"]["labelSelector"]: yaml.safe_load(p["patch"])
               for p in addons["patches"]}
    remote = {"configMapRef": {"name": kubeconfig_name(name)}}
    assert patches["groundwork.dev/target=cluster"] == [
        {"op": "add", "path": "/spec/kubeConfig", "value": remote}]
    [inner] = patches["groundwork.dev/target=engine"]
    [release] = inner["value"]
    assert release["target"] == {"kind": "HelmRelease"}
    assert {"op": "add", "path": "/spec/kubeConfig", "value": remote} in yaml.safe_load(
        release["patch"])


@pytest.mark.parametrize("stack,engine", [(s, "argocd") for s in SPOKES]
                         + [(SPOKES[0], "flux")])
def test_destroy_removes_the_registration_then_the_access_then_the_cluster(stack, engine):
    run = spoke(stack, engine)
    graph, fleet = Graph(run), _fleet(run)
    cluster = _one(run.resources, CLUSTER)
    access = [r for r in fleet if r.type in (ACCESS_ENTRY, ASSOCIATION)]
    assert len(access) == 2
    for entry in access:
        assert graph.waits_for(entry, cluster)
    registrations = _registrations(run)
    assert registrations
    # And after the nodes and the default StorageClass, as a spoke's own engine would be: the
    # hub's engine removes load balancers and volumes while their controllers can still run.
    platform = [r for r in run.resources if r.type in (
        "aws:eks/nodeGroup:NodeGroup", "kubernetes:storage.k8s.io/v1:StorageClass")]
    assert len(platform) >= 2
    for registration in registrations:
        assert all(graph.waits_for(registration, entry) for entry in access)
        assert all(graph.waits_for(registration, needed) for needed in platform)
    # Within the registration, the object that holds the destroy until the engine has removed
    # the spoke's add-ons (Argo CD: the project; Flux: the add-on list) goes before what lets
    # the engine reach the spoke, and after what stops the delivery (Argo CD: the bridge).
    holder = _addons_holder(run)
    for reach in (r for r in registrations if r.type in (SECRET, "kubernetes:core/v1:ConfigMap")):
        assert graph.waits_for(holder, reach)
    if engine == "argocd":
        assert graph.waits_for(_one(registrations, SECRET_PATCH), holder)
    assert _minutes(holder.custom_timeouts["delete"]) > budgets.ADDONS.total_seconds() / 60
    # The association grants cluster-admin to the role the registration names.
    association = _one(fleet, ASSOCIATION)
    assert association.inputs["policyArn"].endswith(f"/{SPOKE_ACCESS_POLICY}")


# --- the hub's apps for its spokes ---------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_the_hubs_apps_for_spokes_run_on_no_hub_and_are_exported(engine):
    run = hub(engine)
    exported = run.outputs["fleetApps"].value
    assert {app["name"]: app["spokes"] for app in exported["apps"]} == {
        "podinfo": {}, "payments": {"team": "payments"}}
    kinds = ("Application", "ApplicationSet", "Kustomization")
    names = {r.inputs["metadata"]["name"] for r in run.resources
             if r.type.rsplit(":", 1)[-1] in kinds}
    assert not {"podinfo", "payments"} & names


@pytest.mark.parametrize("stack", SPOKES)
def test_argocd_spoke_apps_are_applications_of_the_hub_on_the_spoke_alone(stack):
    run = spoke(stack, "argocd")
    graph, registered = Graph(run), _registrations(run)
    name, (server, _) = registration_name(stack), _endpoint(run)
    apps = [r for r in registered if r.type == APPLICATION]
    assert sorted(r.inputs["metadata"]["name"] for r in apps) == sorted(
        f"{name}-{app}" for app in spoke_apps(run, "argocd"))
    [project] = [r for r in registered if r.type == PROJECT
                 and r.inputs["metadata"]["name"] == f"{name}-apps"]
    spec = project.inputs["spec"]
    assert {d["server"] for d in spec["destinations"]} == {server}
    assert sorted(d["namespace"] for d in spec["destinations"]) == sorted(
        app.inputs["spec"]["destination"]["namespace"] for app in apps)
    secret = _one(registered, SECRET)
    for app in apps:
        assert app.inputs["spec"]["destination"]["server"] == server
        assert app.inputs["spec"]["project"] == f"{name}-apps"
        assert "resources-finalizer.argocd.argoproj.io" in app.inputs["metadata"]["finalizers"]
        # Removed from the spoke while the hub can reach it: before the project and the Secret.
        assert graph.waits_for(app, project) and graph.waits_for(app, secret)


@pytest.mark.parametrize("stack", SPOKES)
def test_flux_spoke_apps_apply_to_the_spoke_as_their_own_identity_there(stack):
    run = spoke(stack, "flux")
    graph, registered = Graph(run), _registrations(run)
    name = registration_name(stack)
    kustomizations = {r.inputs["metadata"]["name"]: r for r in registered
                      if r.type == KUSTOMIZATION and r.urn != _addons_holder(run).urn}
    assert sorted(kustomizations) == sorted(f"{name}-{app}" for app in spoke_apps(run, "flux"))
    identities = {(r.inputs["kind"], r.inputs["metadata"]["name"]): r for r in _identities(run)}
    for app in spoke_apps(run, "flux"):
        kustomization = kustomizations[f"{name}-{app}"]
        spec = kustomization.inputs["spec"]
        assert spec["kubeConfig"] == {"configMapRef": {"name": kubeconfig_name(name)}}
        assert spec["sourceRef"] == {"kind": "GitRepository", "name": f"{name}-{app}"}
        account = identities[("ServiceAccount", spec["serviceAccountName"])]
        assert account.inputs["metadata"]["namespace"] == "flux-system"
        # Its name in the hub too, with no binding there: kustomize-controller checks it exists
        # (with its own client) before it prunes the app from the spoke.
        [checked] = [r for r in registered if r.inputs.get("kind") == "ServiceAccount"
                     and r.inputs["metadata"]["name"] == spec["serviceAccountName"]]
        assert graph.waits_for(kustomization, checked)
        assert not [r for r in registered if r.inputs.get("kind") == "RoleBinding"]
        binding = identities[("RoleBinding", f"flux-{spec['serviceAccountName']}")]
        assert binding.inputs["metadata"]["namespace"] == spec["targetNamespace"]
        # Deleted while the identity it impersonates on the spoke still exists.
        assert graph.waits_for(kustomization, account) and graph.waits_for(kustomization, binding)
    # On the spoke's own cluster (its EksCluster's provider), not the hub.
    [own] = [r for r in run.resources if r.type == "pulumi:providers:kubernetes"
             and r.parent == _one(run.resources, "groundwork:index:EksCluster").urn]
    assert identities and all(r.provider.startswith(own.urn) for r in identities.values())


def test_a_flux_spoke_running_flux_shares_a_namespace_with_the_hubs_app_once():
    """A spoke's own Flux makes the Namespaces of its own apps; a hub app in one of them gets its
    identity there without a second Namespace object (two would fight over one namespace)."""
    run = harness.run(SPOKES[0], {"gitops.engine": "flux", "gitops.apps": [
        {"name": "own", "path": "gitops/apps/podinfo", "namespace": "podinfo"}]},
        caller_arn=_caller(SPOKES[0]), cloud=hub_cloud("flux"))
    namespaces = [r.inputs["metadata"]["name"] for r in run.resources
                  if r.type == "kubernetes:core/v1:Namespace"]
    assert namespaces.count("podinfo") == 1
    assert namespaces.count("flux-system") == 1
    binding = [r for r in _identities(run) if r.inputs.get("kind") == "RoleBinding"]
    assert [b.inputs["metadata"]["namespace"] for b in binding] == ["podinfo"]


# --- the engine's cleanup when a spoke goes (modeled) -----------------------------------------
#
# What Pulumi's destroy order hands the hub's engine, modeled from the engines' source:
# - pulumi-kubernetes (provider/pkg/await/await.go, Deletion): deleting an object waits until it is
#   gone, finalizers included; deleting a Patch only relinquishes its fields (ssa.Relinquish).
# - Argo CD v3.4.4: an ApplicationSet deletes the Applications of a cluster its selector no longer
#   matches (applicationset/controllers/applicationset_controller.go, deleteInCluster); an
#   Application deletes what it deployed only while its cluster's Secret exists, else it drops its
#   finalizer and orphans everything (controller/appcontroller.go, finalizeApplicationDeletion);
#   an AppProject with the resources finalizer stays until no Application names it
#   (finalizeProjectDeletion).
# - Flux kustomize-controller v1.8.3: deleting a Kustomization with a kubeConfig deletes what it
#   applied on the remote cluster, and retries without end while the kubeConfig's ConfigMap is
#   missing or the cluster refuses it (internal/controller/kustomization_controller.go, finalize).


def _spoke_destroy(run: harness.Run, engine: str, order: list[harness.Resource]) -> str:
    """Walk the spoke's destroy in `order`; what happened to what the hub's engine installed on
    the spoke (its add-ons and the hub's apps for it): "removed", "orphaned", or "stuck" (a wait
    that never ends)."""
    live = {r.urn for r in order}
    registered = {r.urn: r for r in _registrations(run)}
    access = {r.urn for r in _fleet(run) if r.type in (ACCESS_ENTRY, ASSOCIATION)}
    name = registration_name(run.stack)
    holder = _addons_holder(run)
    apps = {urn: r for urn, r in registered.items()
            if r.type in (APPLICATION, KUSTOMIZATION) and urn != holder.urn}
    identities = {r.inputs["metadata"]["name"]: r.urn for r in _identities(run)
                  if r.type == "kubernetes:core/v1:ServiceAccount"}
    # The same name in the hub, which kustomize-controller checks before it prunes.
    checked = {r.inputs["metadata"]["name"]: r.urn for r in registered.values()
               if r.type == "kubernetes:core/v1:ServiceAccount"}

    def reachable() -> bool:  # the engine can still reach the spoke
        return access <= live and all(urn in live for urn, r in registered.items()
                                      if r.type in (SECRET, "kubernetes:core/v1:ConfigMap"))

    installed, selected = True, engine == "argocd"
    for resource in order:
        if resource.urn in apps:
            identity = resource.inputs.get("spec", {}).get("serviceAccountName")
            if not reachable() or (identity and not {identities[identity],
                                                     checked[identity]} <= live):
                return "orphaned"  # no cluster, or nobody to impersonate: skipped
        elif engine == "argocd" and resource.type == SECRET_PATCH:
            selected = False  # the ApplicationSets delete the spoke's add-on Applications
        elif engine == "argocd" and resource.type == SECRET and installed:
            return "orphaned"  # Applications still finalizing lose their cluster
        elif resource.type == PROJECT and resource.inputs["metadata"]["name"] != name:
            if apps.keys() & live:
                return "stuck"  # the apps' project, still named by their Applications
        elif resource.urn == holder.urn:
            if selected:
                return "stuck"  # add-on Applications still name the project
            if not reachable():
                return "stuck" if engine == "flux" else "orphaned"
            installed = False  # Pulumi waits until the engine has removed the add-ons
        elif resource.urn in access and (installed or apps.keys() & live):
            return "orphaned"
        live.discard(resource.urn)
    return "orphaned" if installed or apps.keys() & live else "removed"


def _addons_holder(run: harness.Run) -> harness.Resource:
    """The registration's object whose deletion waits for the spoke's add-ons to be removed:
    under Argo CD the spoke's add-ons project, under Flux its add-on list."""
    name = registration_name(run.stack)
    [holder] = [r for r in _registrations(run)
                if r.inputs["metadata"]["name"] == name
                and r.type in (PROJECT, KUSTOMIZATION)]
    return holder


@pytest.mark.parametrize("stack,engine", [(s, e) for s in SPOKES for e in ENGINES])
def test_destroying_a_spoke_lets_the_hubs_engine_remove_its_add_ons_first(stack, engine):
    run = spoke(stack, engine)
    order = list(reversed(Graph(run).topological()))
    assert _spoke_destroy(run, engine, order) == "removed"
    # The model tells the orders apart: the registration deleted as one, in creation order.
    registered = {r.urn for r in _registrations(run)}
    created = [r for r in order if r.urn in registered][::-1]
    others = [r for r in order if r.urn not in registered]
    assert _spoke_destroy(run, engine, created + others) != "removed"


# --- across accounts ------------------------------------------------------------------------------

def test_cross_account_spoke_role_trusts_only_the_hub_role_and_the_hub_may_assume_it():
    run, hub_run = spoke("fleet-spoke-b", "argocd"), hub("argocd")
    fleet = _fleet(run)
    role = _one(fleet, ROLE)
    hub_role = hub_run.outputs["fleetRoleArn"].value
    assert role.inputs["path"] == SPOKE_ROLE_PATH
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{hub_role.split(':')[4]}:root"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"ArnEquals": {"aws:PrincipalArn": hub_role}}
    # The spoke's role, not the hub's, holds the access entry.
    assert _one(fleet, ACCESS_ENTRY).inputs["principalArn"] == _arn(role)
    # The hub's role may assume it: its policy's resource pattern matches the role's ARN.
    policy = json.loads(_one(_fleet(hub_run), ROLE_POLICY).inputs["policy"])
    [assume] = [s for s in policy["Statement"] if s["Action"] == ["sts:AssumeRole"]]
    assert fnmatch.fnmatchcase(_arn(role), assume["Resource"])
    assert not fnmatch.fnmatchcase(hub_role, assume["Resource"])


def test_same_account_spoke_grants_the_hub_role_itself():
    run = spoke("fleet-spoke-a", "argocd")
    assert [r for r in _fleet(run) if r.type == ROLE] == []
    assert _one(_fleet(run), ACCESS_ENTRY).inputs["principalArn"] == \
        hub("argocd").outputs["fleetRoleArn"].value


# --- what a spoke costs ---------------------------------------------------------------------------

@pytest.mark.parametrize("stack,engine,count", [
    ("fleet-spoke-a", "argocd", 8), ("fleet-spoke-b", "argocd", 9), ("fleet-spoke-a", "flux", 8),
    ("fleet-spoke-b", "flux", 8)])
def test_a_spoke_adds_a_few_resources_to_its_own_stack_and_none_to_the_hub(stack, engine, count):
    """SpokeAccess (entry, association; under Argo CD the spoke's role across accounts) and
    SpokeRegistration (the hub's provider; a Secret, a project and a patch, or two ConfigMaps and
    a Kustomization), components included."""
    run = harness.run(stack, caller_arn=_caller(stack), cloud=hub_cloud(engine, apps=False))
    assert len(_fleet(run)) == count
    # Without the fleet the same stack registers exactly the rest.
    standalone = harness.run(stack, {"fleet": {"role": "standalone"}},
                             caller_arn=_caller(stack))
    assert len(run.resources) - len(standalone.resources) == count
    # The hub's run takes no input from any spoke: its resources are its own config's.
    assert [r for r in hub(engine).resources if "spoke" in r.name] == []


# --- a spoke's hub --------------------------------------------------------------------------------

def _rejected(stack: str, cloud: harness.Cloud, **overrides) -> ConfigError:
    """`overrides` as key paths with `__` for dots."""
    paths = {key.replace("__", "."): value for key, value in overrides.items()}
    with pytest.raises(ConfigError) as caught:
        harness.run(stack, paths, caller_arn=_caller(stack), cloud=cloud)
    assert caught.value.partial_run.resources == []
    return caught.value


def test_a_spoke_of_a_stack_that_is_no_hub_is_a_config_error():
    error = _rejected(SPOKES[0], harness.Cloud(stacks={HUB_REFERENCE: {"clusterName": "x"}}))
    assert [p.split(":")[1] for p in error.problems] == ["fleet.hub"]
    assert HUB_REFERENCE in str(error)


def test_a_spoke_of_a_hub_never_deployed_is_a_config_error():
    error = _rejected(SPOKES[0], harness.Cloud(stacks={HUB_REFERENCE: {}}))
    assert "groundwork:fleet.hub" in str(error)


def test_a_spoke_of_a_stack_that_does_not_exist_fails_naming_it():
    with pytest.raises(LookupError, match=HUB_REFERENCE):
        harness.run(SPOKES[0], caller_arn=_caller(SPOKES[0]))


@pytest.mark.parametrize("own,hub_engine", [("flux", "argocd"), ("argocd", "flux")])
def test_a_spoke_running_another_engine_than_its_hub_is_a_config_error(own, hub_engine):
    error = _rejected(SPOKES[0], hub_cloud(hub_engine), gitops__engine=own)
    assert [p.split(": ")[0] for p in error.problems] == ["groundwork:gitops.engine"]
    assert hub_engine in str(error)


def test_a_spoke_may_run_its_hubs_engine_too():
    run = harness.run(SPOKES[0], {"gitops.engine": "argocd"}, caller_arn=_caller(SPOKES[0]),
                      cloud=hub_cloud("argocd"))
    assert run.outputs["gitopsEngine"].value == "argocd" and _registrations(run)


def test_a_flux_spoke_in_another_account_grants_the_hub_role_itself():
    """Flux cannot assume a role from a registration; EKS takes a principal of another account
    in a STANDARD access entry, and Flux reads the spoke's endpoint and CA from the ConfigMap
    rather than looking the cluster up in the hub's account."""
    run, hub_run = spoke("fleet-spoke-b", "flux"), hub("flux")
    fleet = _fleet(run)
    assert [r for r in fleet if r.type == ROLE] == []
    hub_role = hub_run.outputs["fleetRoleArn"].value
    assert hub_role.split(":")[4] != _caller("fleet-spoke-b").split(":")[4]
    assert _one(fleet, ACCESS_ENTRY).inputs["principalArn"] == hub_role
    maps = {r.inputs["metadata"]["name"]: r.inputs["data"] for r in _registrations(run)
            if r.type == "kubernetes:core/v1:ConfigMap"}
    kubeconfig = maps[kubeconfig_name(registration_name("fleet-spoke-b"))]
    assert kubeconfig["address"] and kubeconfig["ca.crt"]
    policy = json.loads(_one(_fleet(hub_run), ROLE_POLICY).inputs["policy"])
    assert [a for s in policy["Statement"] for a in s["Action"]] == ["sts:AssumeRole"]
