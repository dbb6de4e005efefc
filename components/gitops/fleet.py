"""Fleet objects in a hub's cluster (pure builders in fleet_manifests.py):

- `FleetRegistrars`, on the hub: the Role and RoleBinding that let registrars (the hub's access
  entries in REGISTRAR_GROUP, components/aws/fleet.py) manage registrations and nothing else, and
  the admission policy that keeps those to spoke-named objects reaching spokes only.
- `SpokeRegistration`, on a spoke: the spoke's registration in its hub, through a Kubernetes
  provider for the hub built from the hub's kubeconfig, so registering a spoke is the spoke's
  `pulumi up` and unregistering it is the first step of the spoke's destroy.
"""

from datetime import timedelta
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.common.gitops_model import GitSource, SeedApp
from components.common.kubernetes_provider import PROVIDER_SETTINGS
from components.common.ordering import after
from components.gitops import budgets, flux_manifests
from components.gitops import fleet_manifests as manifests
from components.gitops.bootstrap import SyncPolicyArgs, sync_policy
from components.gitops.bridge import ClusterBridgeArgs, cluster_metadata
from components.gitops.flux import RoleBinding
from components.gitops.placement import PlacementArgs

REGISTRARS_TYPE = "groundwork:index:FleetRegistrars"
REGISTRATION_TYPE = "groundwork:index:SpokeRegistration"


class FleetRegistrarsArgs(TypedDict):
    """Inputs of FleetRegistrars."""

    engine: str
    """The hub's engine, `argocd` or `flux`: which kinds a registration is made of."""
    namespace: pulumi.Input[str]
    """The engine's namespace, once it exists (the engine's `namespace` output)."""
    repo_url: str
    """The hub's root repository, the only one a registration may read with the hub's Git
    credentials."""


class FleetRegistrars(pulumi.ComponentResource):
    """What registrars may do on the hub. Pass the hub's Kubernetes provider in
    `opts.providers`."""

    def __init__(self, name: str, args: FleetRegistrarsArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(REGISTRARS_TYPE, name, None, opts)
        engine = args["engine"]
        role, binding = manifests.registrar_role(engine), manifests.registrar_binding(engine)
        # In the namespace as the engine created it: after it, and deleted before it.
        for manifest in (role, binding):
            manifest["metadata"]["namespace"] = after(manifest["metadata"]["namespace"],
                                                      args["namespace"])
        # What RBAC cannot say (names, what a registration may reach) first, so no registrar
        # request goes unchecked.
        policy, policy_binding = manifests.registrar_policy(engine, args["repo_url"])
        checks = k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
            f"{name}-registrar", metadata=policy["metadata"], spec=policy["spec"],
            opts=pulumi.ResourceOptions(parent=self))
        checked = k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            f"{name}-registrar", metadata=policy_binding["metadata"],
            spec=policy_binding["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[checks]))
        registrar = k8s.rbac.v1.Role(f"{name}-registrar", metadata=role["metadata"],
                                     rules=role["rules"],
                                     opts=pulumi.ResourceOptions(parent=self,
                                                                 depends_on=[checked]))
        RoleBinding(f"{name}-registrar", binding,
                    pulumi.ResourceOptions(parent=self, depends_on=[registrar]))
        self.register_outputs({})


class FleetAppArgs(TypedDict):
    """One of the hub's apps for spokes."""

    name: str
    """The app's name in the hub's config; the hub's objects for it on a spoke are named
    `<spoke>-<name>`."""
    repo_url: str
    """The app's Git repository."""
    revision: str
    """Branch, tag or commit of that repository."""
    path: str
    """The app's path in that repository."""
    namespace: str
    """The app's namespace on the spoke."""
    credentials: bool
    """Its repository is the hub's root repository, whose credentials the hub holds."""


class FleetAppsArgs(TypedDict):
    """The hub's apps for a spoke, as the hub exports them (`fleetApps`)."""

    apps: list[FleetAppArgs]
    """The apps this spoke runs."""
    sync: SyncPolicyArgs
    """How the hub's engine syncs them: the hub's `gitops.sync`."""
    interval: str
    """How often the hub's Flux reads their repositories: the hub's `gitops.flux.interval`."""


class SpokeRegistrationArgs(TypedDict):
    """Inputs of SpokeRegistration."""

    engine: str
    """The hub's engine, `argocd` or `flux`."""
    name: str
    """The spoke's name in the hub (fleet_manifests.registration_name): a DNS label."""
    hub_kubeconfig: pulumi.Input[str]
    """A kubeconfig of the hub's cluster (its `kubeconfig` output), used as the deploying
    identity, which must be one of the hub's registrars."""
    bridge: ClusterBridgeArgs
    """The spoke's bridge, which the hub's templates read for it."""
    repo_url: str
    """The spoke's GitOps repository, whose add-ons tree its bridge names."""
    revision: str
    """Branch, tag or commit of that repository."""
    placement: NotRequired[PlacementArgs]
    """Where the spoke runs its platform (its system node group), carried by the bridge."""
    cluster_arn: pulumi.Input[str]
    """The spoke cluster's ARN (Flux looks it up)."""
    endpoint: pulumi.Input[str]
    """The spoke's API server URL."""
    ca_data: pulumi.Input[str]
    """The spoke's cluster CA, base64 PEM as EKS reports it."""
    access: pulumi.Input[str]
    """What the registration waits for: the spoke's grant of access to the hub (SpokeAccess's
    principal ARN). The hub's engine must reach the spoke as long as it is registered, so a
    destroy deletes the registration, and the engine what it deployed there, first."""
    assumed_role_arn: NotRequired[pulumi.Input[str]]
    """The spoke's role the hub's engine assumes (across accounts, Argo CD); empty: none."""
    apps: NotRequired[FleetAppsArgs]
    """The hub's apps this spoke runs (those whose `clusters` its labels match)."""
    identity_namespace: NotRequired[pulumi.Input[str]]
    """Flux: the spoke's `flux-system` namespace where its own Flux created it; without it the
    registration creates the namespace on the spoke for the apps' identities."""
    own_namespaces: NotRequired[list[str]]
    """Flux: the namespaces the spoke's own Flux creates for its own apps, which the hub's apps
    may share; the registration does not create them again."""


class SpokeRegistration(pulumi.ComponentResource):
    """The spoke's registration objects in its hub, after the spoke's access for the hub, each
    after the one before it (fleet_manifests.py says why that order)."""

    def __init__(self, name: str, args: SpokeRegistrationArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(REGISTRATION_TYPE, name, None, opts)
        hub = k8s.Provider(f"{name}-hub", kubeconfig=args["hub_kubeconfig"], **PROVIDER_SETTINGS,
                           opts=pulumi.ResourceOptions(parent=self))
        metadata = cluster_metadata(args["bridge"], GitSource(args["repo_url"], args["revision"],
                                                              ""), args.get("placement"))
        registration = args["name"]
        objects: dict[str, dict]
        if args["engine"] == "argocd":
            cluster, project, bridge = manifests.argocd_registration(
                metadata, registration, args["endpoint"], args["ca_data"],
                args.get("assumed_role_arn", ""))
            objects = {"cluster": cluster, "project": project, "bridge": bridge}
        else:
            kubeconfig, variables, addons = manifests.flux_registration(
                metadata, registration, args["cluster_arn"], args["endpoint"], args["ca_data"])
            objects = {"kubeconfig": kubeconfig, "cluster-vars": variables, "addons": addons}
        before: list[pulumi.Resource] = []
        for suffix, manifest in objects.items():
            made = self._create(f"{name}-{suffix}", manifest, _waiting(manifest, args["access"]),
                                pulumi.ResourceOptions(parent=self, provider=hub,
                                                       depends_on=list(before)))
            before.append(made)
        self._apps(name, args, hub, before[-1])
        self.register_outputs({})

    def _apps(self, name: str, args: SpokeRegistrationArgs, hub: k8s.Provider,
              registration: pulumi.Resource) -> None:
        """The hub's apps for this spoke, after the registration and deleted before it, each
        after what it needs: its project or GitRepository, and under Flux the identity it
        impersonates on the spoke."""
        fleet_apps = args.get("apps")
        if not fleet_apps or not fleet_apps["apps"]:
            return
        apps = [(SeedApp(app["name"], GitSource(app["repo_url"], app["revision"], app["path"]),
                         app["namespace"]), app["credentials"]) for app in fleet_apps["apps"]]
        sync = sync_policy(fleet_apps["sync"])
        needs: list[pulumi.Resource] = [registration]
        if args["engine"] == "argocd":
            objects = manifests.argocd_apps(args["name"], args["endpoint"],
                                            [app for app, _ in apps], sync)
        else:
            needs += self._identities(name, args, [app for app, _ in apps])
            objects = manifests.flux_apps(args["name"], apps, sync, fleet_apps["interval"])
        # An app waits for its project (Argo CD), or for its GitRepository and the account it is
        # checked against (Flux): the objects before it of every app, or of its own name.
        shared: list[pulumi.Resource] = []
        own: dict[str, list[pulumi.Resource]] = {}
        for manifest in objects:
            title = manifest["metadata"]["name"]
            made = self._create(f"{name}-{title}-{manifest['kind'].lower()}", manifest,
                                manifest["metadata"],
                                pulumi.ResourceOptions(parent=self, provider=hub, depends_on=[
                                    *needs, *shared, *own.get(title, [])]),
                                budgets.APP)
            if manifest["kind"] == "AppProject":
                shared.append(made)
            elif manifest["kind"] in ("GitRepository", "ServiceAccount"):
                own.setdefault(title, []).append(made)

    def _identities(self, name: str, args: SpokeRegistrationArgs,
                    apps: list[SeedApp]) -> list[pulumi.Resource]:
        """On the spoke (the provider this component was given), what the hub's Flux
        impersonates there for each app; the hub's Kustomizations wait for it, so a destroy
        deletes them, and through them the apps, while it can still be impersonated."""
        namespace = args.get("identity_namespace")
        made: list[pulumi.Resource] = []
        if namespace is None:
            home = k8s.core.v1.Namespace(
                f"{name}-flux-system", metadata={"name": flux_manifests.NAMESPACE},
                opts=pulumi.ResourceOptions(parent=self))
            namespace, made = home.metadata.name, [home]
        for doc in manifests.spoke_identities(args["name"], apps,
                                              args.get("own_namespaces") or []):
            metadata: Any = dict(doc["metadata"])
            if doc["kind"] == "ServiceAccount":
                metadata["namespace"] = after(metadata["namespace"], namespace)
            made.append(self._create(f"{name}-{doc['kind'].lower()}-{doc['metadata']['name']}",
                                     doc, metadata,
                                     pulumi.ResourceOptions(parent=self, depends_on=list(made))))
        return made

    @staticmethod
    def _create(name: str, manifest: dict, metadata: Any, opts: pulumi.ResourceOptions,
                engine_wait: timedelta = budgets.ADDONS) -> pulumi.Resource:
        kind = manifest["kind"]
        if kind == "Secret" and "stringData" not in manifest:
            return k8s.core.v1.SecretPatch(name, metadata=metadata, opts=opts)
        if kind == "Secret":
            return k8s.core.v1.Secret(name, metadata=metadata, type=manifest["type"],
                                      string_data=manifest["stringData"], opts=opts)
        if kind == "ConfigMap":
            return k8s.core.v1.ConfigMap(name, metadata=metadata, data=manifest["data"],
                                         opts=opts)
        if kind == "ServiceAccount":
            return k8s.core.v1.ServiceAccount(name, metadata=metadata, opts=opts)
        if kind == "Namespace":
            return k8s.core.v1.Namespace(name, metadata=metadata, opts=opts)
        if kind == "RoleBinding":
            return RoleBinding(name, {**manifest, "metadata": metadata}, opts)
        # The engine's finalizer holds an AppProject, Application or Kustomization until what it
        # stands for is gone from the spoke (within `engine_wait`); Pulumi waits a little more.
        return k8s.apiextensions.CustomResource(
            name, api_version=manifest["apiVersion"], kind=kind, metadata=metadata,
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                custom_timeouts=budgets.pulumi_timeouts(engine_wait))))


def _waiting(manifest: dict, access: pulumi.Input[str]) -> dict[str, Any]:
    """The object's metadata with a name that resolves only after `access`: every object of the
    registration is created after the spoke's access and deleted before it."""
    metadata = dict(manifest["metadata"])
    metadata["name"] = after(metadata["name"], access)
    return metadata
