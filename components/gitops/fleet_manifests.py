"""Fleet manifests: pure builders of a spoke's registration in its hub and of the hub's RBAC for
the identities that register spokes (leaves may be `pulumi.Input`s; nothing here registers a
resource).

A registration is what the hub's engine needs to deliver the spoke's add-ons, in an order whose
reverse lets the engine remove them again before the spoke's access goes (fleet.py creates each
after the one before it):

- Argo CD: (1) the spoke's cluster Secret in `argocd`, the same builder as the hub's own
  (argocd_manifests.cluster_secret) but with no bridge yet; its `config` has no credential:
  Argo CD's controllers sign EKS tokens as the hub's fleet role (`awsAuthConfig`), assuming the
  spoke's own role first when the spoke names one (`roleARN`, across accounts). (2) The spoke's
  add-ons AppProject, limited to the spoke's server, which the add-on ApplicationSets name
  through the bridge's `addons_project`. (3) The bridge, as labels and annotations patched onto
  the Secret, so the ApplicationSets that select clusters by label deliver to it.
  On destroy the patch goes first (pulumi-kubernetes relinquishes a Patch's fields:
  provider/pkg/await/await.go Deletion, ssa.Relinquish), so the ApplicationSets delete the
  spoke's Applications while the Secret still lets Argo CD reach the spoke (argo-cd v3.4.4
  controller/appcontroller.go finalizeApplicationDeletion orphans everything once the cluster is
  gone); the project's finalizer holds it until no Application names it (finalizeProjectDeletion),
  and Pulumi waits for the project to be gone before it deletes the Secret.
- Flux: (1) a ConfigMap for `spec.kubeConfig.configMapRef` (`provider: aws`: kustomize-controller
  and helm-controller reach the spoke as the fleet role through workload identity, no static
  token) and (2) the spoke's `cluster-vars` under its own name; (3) the spoke's add-on list, the
  hub's tree (gitops/addons/flux) with the spoke's variables, its releases and objects sent to
  the spoke through that kubeConfig. Pulumi waits for its deletion, which waits for every add-on
  to be uninstalled from the spoke (WaitForTermination), before the ConfigMaps go.
- A registrar may create, read back, change and delete exactly those kinds in the engine's
  namespace (REGISTRATION_RESOURCES), through a Role bound to its Kubernetes group.
"""

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from components.common import naming
from components.common.gitops_model import SeedApp, SyncPolicy
from components.common.patterns import Pattern
from components.gitops import argocd_manifests, budgets, flux_manifests
from components.gitops.bridge import ADDONS_BASEPATH, CLUSTER_VARS, ClusterMetadata

RBAC_API = "rbac.authorization.k8s.io/v1"
# The Kubernetes group of registrars: the hub's access entries put them in it (EKS refuses
# groups starting with `system:`, `eks:`, `amazon:`, `aws:` and `iam:`).
REGISTRAR_GROUP = "groundwork-fleet-registrars"
REGISTRAR_ROLE = "groundwork-fleet-registrar"
# What a registration, and the hub's apps for the spoke, are made of, per engine, as RBAC names
# the resources: (API group, resource). A registrar may touch these and nothing else.
REGISTRATION_RESOURCES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "argocd": (("", "secrets"), ("argoproj.io", "appprojects"), ("argoproj.io", "applications")),
    "flux": (("", "configmaps"), ("", "serviceaccounts"),
             ("kustomize.toolkit.fluxcd.io", "kustomizations"),
             ("source.toolkit.fluxcd.io", "gitrepositories")),
}
# Server-side apply creates and changes with patch; Pulumi reads an object back (get) after apply,
# on refresh and while it waits for a deletion.
REGISTRAR_VERBS = ("create", "get", "update", "patch", "delete")
# Pulumi waits for a deleted object through an informer of its kind in its namespace, unless a
# read right after the delete finds it gone (pulumi-kubernetes provider/pkg/await/condition/
# source.go, DeletionSource.Watch): the informer lists and watches. Granted only on the kinds
# whose finalizers keep them after the delete, which hold no credentials; never on Secrets, whose
# list would show Argo CD's repository credentials, nor ConfigMaps, which go at once.
WATCHED_RESOURCES = frozenset({"appprojects", "applications", "kustomizations",
                               "gitrepositories"})
# The service accounts of the controllers that reach spokes: Argo CD's application controller
# (sync) and server (live state in the UI), with the argo-cd chart's names for release `argocd`;
# Flux's kustomize-controller and helm-controller.
ENGINE_SERVICE_ACCOUNTS: Mapping[str, tuple[str, ...]] = {
    "argocd": ("argocd-application-controller", "argocd-server"),
    "flux": ("kustomize-controller", "helm-controller"),
}
ENGINE_NAMESPACES: Mapping[str, str] = {"argocd": argocd_manifests.NAMESPACE,
                                        "flux": flux_manifests.NAMESPACE}
# Flux's provider for `kubeConfig.configMapRef` on EKS.
FLUX_PROVIDER = "aws"
# Which add-on Kustomizations of the tree's list apply objects for the cluster itself rather than
# releases beside the engine (gitops/addons/flux/addons.yaml).
TARGET_LABEL = "groundwork.dev/target"
_NOT_IN_LABEL = Pattern(r"[^a-z0-9-]+")
_PREFIX = "spoke-"


def registration_name(stack: str) -> str:
    """The spoke's name in its hub, from its stack's name (unique in the project, where cluster
    names and environments need not be): `spoke-<stack>` as a DNS label, for the Secret or
    ConfigMaps and for the Applications the hub's ApplicationSets name after the cluster."""
    label = "-".join(_NOT_IN_LABEL.split(stack.lower())).strip("-") or "stack"
    return _PREFIX + naming.shortened(label, naming.DNS_LABEL_MAX - len(_PREFIX))


def registrar_role(engine: str) -> dict:
    rules = [{"apiGroups": [group], "resources": [resource],
              "verbs": [*REGISTRAR_VERBS, *(("list", "watch") if resource in WATCHED_RESOURCES
                                            else ())]}
             for group, resource in REGISTRATION_RESOURCES[engine]]
    return {"apiVersion": RBAC_API, "kind": "Role",
            "metadata": {"name": REGISTRAR_ROLE, "namespace": ENGINE_NAMESPACES[engine]},
            "rules": rules}


def registrar_binding(engine: str) -> dict:
    return {"apiVersion": RBAC_API, "kind": "RoleBinding",
            "metadata": {"name": REGISTRAR_ROLE, "namespace": ENGINE_NAMESPACES[engine]},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                        "name": REGISTRAR_ROLE},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                          "name": REGISTRAR_GROUP}]}


ADMISSION_API = "admissionregistration.k8s.io/v1"
REGISTRAR_POLICY = "groundwork-fleet-registrars"
_OBJECT = "(request.operation == 'DELETE' ? oldObject : object)"
_WRITE = "request.operation != 'DELETE'"


def _is(resource: str) -> str:
    return f"request.resource.resource == '{resource}'"


def _remote(server: str) -> str:
    """A destination server that is a spoke's: named, not the cluster the engine runs in, and
    not a pattern."""
    return (f"{server} != '{argocd_manifests.IN_CLUSTER}' && !{server}.contains('*')")


# A spoke's add-on list may set these and no other field (the rest could rename, retarget or
# reshape what the list applies in the hub); `force` is the CRD's default.
_ADDON_LIST_KEYS = ("interval", "path", "prune", "wait", "deletionPolicy", "timeout", "sourceRef",
                    "postBuild", "patches", "force", "suspend", "retryInterval")
# Stands for the spoke's name in what spoke_addons writes, for the policy to compare against: no
# name has an `@`, and JSON leaves it as it is.
_NAME = "@spoke@"


def _cel(value: Any) -> str:
    """`value` as a CEL literal; the spoke's name (_NAME) in a string becomes the object's."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_cel(k)}: {_cel(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_cel(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    quoted = ("'" + part.replace("\\", "\\\\").replace("'", "\\'") + "'"
              for part in str(value).split(_NAME))
    return " + object.metadata.name + ".join(quoted)


def _spoke_addons_patches() -> list[dict]:
    """The patches of a spoke's add-on list, with _NAME where the spoke's name goes."""
    return list(spoke_addons(_NAME)["spec"]["patches"])


# What RBAC cannot say about a registrar's writes (CEL, Kubernetes ValidatingAdmissionPolicy):
# (message, expression) per engine. RBAC grants kinds in a namespace; these keep a registrar to
# spoke-named objects that reach spokes only, so it cannot aim the hub's engine at the hub.
def registrar_rules() -> Mapping[str, tuple[tuple[str, str], ...]]:
    """(message, expression) per engine (see above)."""
    return {
        "argocd": (
            ("a cluster Secret's `server` must be a spoke's, not the hub's in-cluster address, its "
             "`config` may not run a command (execProviderConfig), and its add-ons project must be "
             "its own (`addons_project` equal to its name)",
             f"!({_WRITE} && {_is('secrets')}) || ("
             f"has(object.metadata.labels) && '{argocd_manifests.SECRET_TYPE}' in "
             f"object.metadata.labels && "
             f"object.metadata.labels['{argocd_manifests.SECRET_TYPE}'] == 'cluster' && "
             f"(!has(object.data) || !('server' in object.data) || "
             f"{_remote('string(object.data.server)')}) && "
             "(!has(object.data) || !('config' in object.data) || "
             "!string(object.data.config).contains('execProviderConfig')) && "
             "(!has(object.metadata.annotations) || "
             "!('addons_project' in object.metadata.annotations) || "
             "object.metadata.annotations['addons_project'] == object.metadata.name))"),
            ("a cluster Secret that carries a bridge is a spoke's (`fleet_role: spoke`), which the "
             "hub's own trees (cluster-addons, Argo CD's self-management) never select",
             f"!({_WRITE} && {_is('secrets')}) || !has(object.metadata.labels) || ("
             f"!('{argocd_manifests.SELF_MANAGED_LABEL}' in object.metadata.labels) && "
             "(!('environment' in object.metadata.labels) || "
             "('fleet_role' in object.metadata.labels && "
             "object.metadata.labels['fleet_role'] == 'spoke')))"),
            ("an AppProject may name spoke servers only (no in-cluster, no name, no pattern), no "
             "repository pattern and no roles",
             f"!({_WRITE} && {_is('appprojects')}) || ("
             "object.spec.destinations.all(d, has(d.server) && !has(d.name) && "
             f"{_remote('d.server')}) && "
             "object.spec.sourceRepos.all(r, !r.contains('*')) && !has(object.spec.roles))"),
            ("an Application must use a spoke's project and target a spoke server",
             f"!({_WRITE} && {_is('applications')}) || ("
             "object.spec.project.startsWith('spoke-') && "
             "has(object.spec.destination.server) && !has(object.spec.destination.name) && "
             f"{_remote('object.spec.destination.server')})"),
        ),
        "flux": (
            ("a Kustomization must apply to a spoke (spec.kubeConfig), or be a spoke's add-on list "
             "exactly as groundwork writes it for that spoke (its name's variables and kubeConfig)",
             f"!({_WRITE} && {_is('kustomizations')}) || has(object.spec.kubeConfig) || ("
             f"object.spec.all(key, key in {_cel(list(_ADDON_LIST_KEYS))}) && "
             f"object.spec.path == './{ADDONS_BASEPATH}flux' && "
             f"object.spec.sourceRef.name == '{flux_manifests.ROOT}' && "
             "!has(object.spec.sourceRef.namespace) && "
             "!has(object.spec.postBuild.substitute) && "
             "object.spec.postBuild.substituteFrom.size() == 1 && "
             "object.spec.postBuild.substituteFrom[0].kind == 'ConfigMap' && "
             "object.spec.postBuild.substituteFrom[0].name == "
             f"object.metadata.name + '-{CLUSTER_VARS}' && "
             f"object.spec.patches == {_cel(_spoke_addons_patches())})"),
            ("a spoke's variables must name their own ConfigMap and a spoke's suffix, so the hub's "
             "objects for it never take the names of the hub's own",
             f"!({_WRITE} && {_is('configmaps')}) || !has(object.data) || "
             "!('cluster_vars' in object.data || 'fleet_suffix' in object.data) || ("
             "'cluster_vars' in object.data && object.data.cluster_vars == object.metadata.name && "
             f"'fleet_suffix' in object.data && object.data.fleet_suffix.startsWith('-{_PREFIX}') "
             "&& 'fleet_role' in object.data && object.data.fleet_role == 'spoke')"),
        ),
    }
# A GitRepository may use the hub's Git credentials only for the hub's own repository.
_CREDENTIALS_RULE = ("a GitRepository may use the hub's Git credentials only for the hub's own "
                     "repository")


def _credentials_rule(repo_url: str) -> str:
    return (f"!({_WRITE} && {_is('gitrepositories')}) || !has(object.spec.secretRef) || "
            f"object.spec.url == '{flux_manifests.git_url(repo_url)}'")


def registrar_policy(engine: str, repo_url: str) -> tuple[dict, dict]:
    """The ValidatingAdmissionPolicy (Kubernetes 1.30+) for registrars' requests, and its binding
    to the engine's namespace: every object a registrar creates, changes or deletes is named
    `spoke-...`, and registrar_rules hold (under Flux, with `repo_url`, the hub's root
    repository, the only one its credentials may serve)."""
    namespace = ENGINE_NAMESPACES[engine]
    rules = [{"apiGroups": [group], "apiVersions": ["*"],
              "operations": ["CREATE", "UPDATE", "DELETE"], "resources": [resource]}
             for group, resource in REGISTRATION_RESOURCES[engine]]
    validations = [{"expression": f"{_OBJECT}.metadata.name.startsWith('{_PREFIX}')",
                    "message": f"a registrar may only touch objects named {_PREFIX}<stack>"},
                   *({"expression": expression, "message": message}
                     for message, expression in registrar_rules()[engine])]
    if engine == "flux":
        validations.append({"expression": _credentials_rule(repo_url),
                            "message": _CREDENTIALS_RULE})
    policy = {"apiVersion": ADMISSION_API, "kind": "ValidatingAdmissionPolicy",
              "metadata": {"name": REGISTRAR_POLICY},
              "spec": {"failurePolicy": "Fail",
                       "matchConstraints": {"resourceRules": rules},
                       "matchConditions": [{
                           "name": "registrar",
                           "expression": "request.userInfo.groups.exists(g, g == "
                                         f"'{REGISTRAR_GROUP}')"}],
                       "validations": validations}}
    binding = {"apiVersion": ADMISSION_API, "kind": "ValidatingAdmissionPolicyBinding",
               "metadata": {"name": REGISTRAR_POLICY},
               "spec": {"policyName": REGISTRAR_POLICY, "validationActions": ["Deny"],
                        "matchResources": {"namespaceSelector": {"matchLabels": {
                            "kubernetes.io/metadata.name": namespace}}}}}
    return policy, binding


def _aws_auth(cluster_name: str, role_arn: str, ca_data: str) -> str:
    auth = {"clusterName": cluster_name}
    if role_arn:
        auth["roleARN"] = role_arn
    return json.dumps({"awsAuthConfig": auth, "tlsClientConfig": {"caData": ca_data}})


def argocd_registration(metadata: ClusterMetadata, name: str, server: pulumi.Input[str],
                        ca_data: pulumi.Input[str], role_arn: pulumi.Input[str]
                        ) -> tuple[dict, dict, dict]:
    """The spoke's cluster Secret, its add-ons project, and its bridge as a patch of the Secret.
    `ca_data`: the cluster's CA, base64 PEM as EKS reports it; `role_arn`: the spoke's role the
    hub's role assumes, or empty to reach it as itself."""
    config = pulumi.Output.all(metadata.cluster_name, role_arn, ca_data).apply(
        lambda values: _aws_auth(*values))
    secret = argocd_manifests.cluster_secret(metadata, name=name, server=server, config=config)
    meta = secret["metadata"]
    bridge = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": name, "namespace": meta["namespace"],
                           "labels": {k: v for k, v in meta["labels"].items()
                                      if k != argocd_manifests.SECRET_TYPE},
                           "annotations": meta.pop("annotations")}}
    meta["labels"] = {argocd_manifests.SECRET_TYPE: meta["labels"][argocd_manifests.SECRET_TYPE]}
    return secret, argocd_manifests.addons_project(name, server), bridge


def kubeconfig_name(name: str) -> str:
    return f"{name}-kubeconfig"


def cluster_vars_name(name: str) -> str:
    return f"{name}-{CLUSTER_VARS}"


def _json_patch(*operations: dict) -> str:
    """A JSON 6902 patch as Kustomization `spec.patches[].patch` takes it (a YAML string)."""
    return json.dumps(list(operations))


def spoke_addons(name: str) -> dict:
    """The hub's Kustomization of the spoke's add-on list, named as the spoke is in the hub (so
    the admission policy can tie every name in it to its own): the tree's list with the spoke's
    variables (`${cluster_vars}` and `${fleet_suffix}` name the spoke's objects apart from the
    hub's), its `cluster` Kustomizations applying to the spoke, and its `engine` ones giving
    each HelmRelease the spoke's kubeConfig and a storage namespace there: helm-controller keeps
    release Secrets in the release's own namespace on the hub by default, which the spoke need
    not have (helm-controller v1.5.3 GetStorageNamespace), whereas the target namespace is
    created with the release (`install.createNamespace`)."""
    kubeconfig = {"configMapRef": {"name": kubeconfig_name(name)}}
    release = _json_patch({"op": "add", "path": "/spec/kubeConfig", "value": kubeconfig},
                          {"op": "copy", "from": "/spec/targetNamespace",
                           "path": "/spec/storageNamespace"})
    return flux_manifests.kustomization(
        name, ADDONS_BASEPATH + "flux", flux_manifests.ROOT, SyncPolicy(), "10m",
        budgets.ADDONS,
        postBuild={"substituteFrom": [{"kind": "ConfigMap", "name": cluster_vars_name(name)}]},
        patches=[
            {"target": {"kind": "Kustomization", "labelSelector": f"{TARGET_LABEL}=cluster"},
             "patch": _json_patch({"op": "add", "path": "/spec/kubeConfig",
                                   "value": kubeconfig})},
            {"target": {"kind": "Kustomization", "labelSelector": f"{TARGET_LABEL}=engine"},
             "patch": _json_patch({"op": "add", "path": "/spec/patches", "value": [
                 {"target": {"kind": "HelmRelease"}, "patch": release}]})},
        ])


def flux_registration(metadata: ClusterMetadata, name: str, cluster_arn: pulumi.Input[str],
                      server: pulumi.Input[str], ca_data: pulumi.Input[str]
                      ) -> tuple[dict, dict, dict]:
    """The spoke's kubeConfig ConfigMap, its cluster-vars and its add-on list. `ca.crt` is PEM,
    which EKS reports base64-encoded; with `address` and `ca.crt` given, Flux does not look the
    cluster up (fluxcd/pkg auth/aws/provider.go NewRESTConfig), so the hub's role needs no
    eks:DescribeCluster and may sit in another account."""
    pem = pulumi.Output.from_input(ca_data).apply(lambda data: base64.b64decode(data).decode())
    return (flux_manifests.config_map(kubeconfig_name(name), {
                "provider": FLUX_PROVIDER, "cluster": cluster_arn, "address": server,
                "ca.crt": pem}),
            flux_manifests.cluster_vars(metadata, name=cluster_vars_name(name)),
            spoke_addons(name))


# --- a hub's apps for its spokes ------------------------------------------------------------------


def app_name(name: str, app: SeedApp) -> str:
    """The hub's object for the spoke `name`'s copy of `app`."""
    return f"{name}-{app.name}"


def apps_project_name(name: str) -> str:
    return f"{name}-apps"


def argocd_apps(name: str, server: pulumi.Input[str], apps: Sequence[SeedApp],
                sync: SyncPolicy) -> list[dict]:
    """The spoke's apps from its hub: their project, limited to their repositories and
    namespaces on the spoke, then one Application each, whose finalizer removes the app from the
    spoke before Pulumi moves on (the registration deletes them before the cluster Secret)."""
    project = apps_project_name(name)
    return [argocd_manifests.apps_project(project, apps, server),
            *(argocd_manifests.application(app_name(name, app), project, app.source,
                                           app.namespace, sync, create_namespace=True,
                                           server=server) for app in apps)]


def flux_apps(name: str, apps: Sequence[tuple[SeedApp, bool]], sync: SyncPolicy,
              interval: str) -> list[dict]:
    """The spoke's apps from its hub: per app (with whether its repository takes the hub's
    credentials) a GitRepository, a ServiceAccount with no rights, and a Kustomization that
    applies to the spoke through its kubeConfig, impersonating there the app's own identity
    (`spoke_identities`), as the hub's seed apps do on the hub. All three share the name
    `<spoke>-<app>`. The ServiceAccount on the hub is the same identity's name and nothing more:
    before it deletes, kustomize-controller checks that the account it impersonates exists with
    its own client, the hub's, and without it skips pruning and orphans the app on the spoke
    (kustomize-controller v1.8.3 finalize, fluxcd/pkg runtime client/impersonator.go
    CanImpersonate)."""
    objects: list[dict] = []
    for app, credentials in apps:
        own = app_name(name, app)
        objects.append(flux_manifests.git_repository(
            own, app.source.repo_url, app.source.revision, interval,
            flux_manifests.CREDENTIALS if credentials else None))
        objects.append(flux_manifests.app_service_account(app, own))
        kustomization = flux_manifests.app_kustomization(app, own, sync, interval, ())
        kustomization["metadata"]["name"] = own
        kustomization["spec"]["serviceAccountName"] = own
        kustomization["spec"]["kubeConfig"] = {"configMapRef": {"name": kubeconfig_name(name)}}
        objects.append(kustomization)
    return objects


def spoke_identities(name: str, apps: Sequence[SeedApp],
                     existing: Sequence[str] = ()) -> list[dict]:
    """What a hub's Flux impersonates on the spoke `name` for each app (`<spoke>-<app>`, apart
    from any app of the spoke's own Flux): its Namespace, its ServiceAccount in `flux-system`
    (the hub's Kustomization's namespace, where kustomize-controller impersonates it on the
    remote cluster) and its RoleBinding to `admin` in the app's namespace. Namespaces in
    `existing` (the spoke's own Flux makes them for its own apps) are not made again."""
    namespaces = {app.namespace: flux_manifests.app_namespace(app) for app in apps
                  if app.namespace not in {*flux_manifests.EXISTING_NAMESPACES, *existing}}
    return [*namespaces.values(),
            *(doc for app in apps for doc in (
                flux_manifests.app_service_account(app, app_name(name, app)),
                flux_manifests.app_role_binding(app, app_name(name, app))))]
