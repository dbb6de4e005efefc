"""The one place validated settings become component args.

Components take their own plain, typed args and know nothing of the `groundwork:` config; the
config package knows no component. __main__.py calls these functions to wire one stack.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from components.aws.addon_identities import AddonRolesArgs
from components.aws.cluster import AUTO_MODE, EksCluster, EksClusterArgs
from components.aws.core_addons import CoreAddonsArgs, NodeAddonsArgs
from components.aws.fleet import FleetHubArgs, SpokeAccess, SpokeAccessArgs
from components.aws.karpenter import KarpenterInfraArgs
from components.aws.network import NetworkArgs
from components.aws.node_groups import NodeGroupArgs, NodeGroupsArgs
from components.aws.workload_identity import WorkloadIdentityArgs
from components.common.catalog import EKS_ADDONS
from components.common.fleet_roles import SPOKE
from components.common.gitops_model import GitCredentials
from components.common.ordering import after
from components.config import Settings
from components.config.settings import NodeGroupSettings
from components.gitops.bootstrap import (
    BootstrapArgs,
    GitCredentialsArgs,
    SeedAppArgs,
    SyncPolicyArgs,
)
from components.gitops.bridge import ClusterBridgeArgs
from components.gitops.delivery import GitOpsArgs
from components.gitops.fleet import (
    FleetAppArgs,
    FleetAppsArgs,
    FleetRegistrarsArgs,
    SpokeRegistrationArgs,
)
from components.gitops.fleet_manifests import (
    ENGINE_NAMESPACES,
    ENGINE_SERVICE_ACCOUNTS,
    REGISTRAR_GROUP,
    registration_name,
)
from components.gitops.placement import PlacementArgs, TolerationArgs
from components.kubernetes.existing_cluster import ExistingClusterArgs
from components.kubernetes.storage import AUTO_MODE_EBS, EBS_CSI, DefaultStorageArgs


def tags(settings: Settings) -> dict[str, str]:
    return {"environment": settings.environment, "managed-by": "groundwork",
            "groundwork:stack": settings.stack}


def network(settings: Settings, zones: Sequence[str]) -> NetworkArgs:
    return NetworkArgs(
        cidr=str(settings.network.cidr),
        availability_zones=list(zones[: settings.network.az_count]),
        nat_gateways=settings.network.nat_gateways,
        cluster_name=settings.cluster.name,
        karpenter_discovery=settings.cluster.compute == "karpenter",
        tags=tags(settings),
        protect=settings.protect,
    )


def eks_cluster(settings: Settings, vpc_id: pulumi.Input[str],
                private_subnet_ids: Sequence[pulumi.Input[str]], region: str,
                partition: str) -> EksClusterArgs:
    cluster = settings.cluster
    return EksClusterArgs(
        name=cluster.name,
        version=cluster.version,
        vpc_id=vpc_id,
        private_subnet_ids=list(private_subnet_ids),
        region=region,
        partition=partition,
        endpoint_public_access=cluster.endpoint_public_access,
        endpoint_private_access=cluster.endpoint_private_access,
        public_access_cidrs=list(cluster.public_access_cidrs),
        log_types=list(cluster.log_types),
        secrets_encryption=cluster.secrets_encryption,
        admin_role_arns=list(cluster.admin_role_arns),
        viewer_role_arns=list(cluster.viewer_role_arns),
        tags=tags(settings),
        protect=settings.protect,
        compute=cluster.compute,
    )


def eks_addons(settings: Settings) -> list[str]:
    """The EKS add-ons the stack runs: none under Auto Mode, which runs them itself."""
    return [] if settings.cluster.compute == AUTO_MODE else [a.name for a in EKS_ADDONS]


def workload_identity(settings: Settings, cluster: EksCluster) -> WorkloadIdentityArgs:
    return WorkloadIdentityArgs(
        mode=settings.cluster.workload_identity, cluster_name=cluster.cluster_name,
        cluster_arn=cluster.cluster_arn, oidc_provider_arn=cluster.oidc_provider_arn,
        oidc_issuer_url=cluster.oidc_issuer_url)


def core_addons(settings: Settings, cluster: EksCluster,
                versions: Mapping[str, str]) -> CoreAddonsArgs:
    return CoreAddonsArgs(cluster_name=cluster.cluster_name, kubernetes_version=cluster.version,
                          versions=dict(versions), tags=tags(settings))


def node_addons(settings: Settings, cluster: EksCluster,
                nodes: Sequence[pulumi.Input[str]], versions: Mapping[str, str],
                partition: str) -> NodeAddonsArgs:
    return NodeAddonsArgs(cluster_name=cluster.cluster_name, nodes=list(nodes),
                          versions=dict(versions),
                          identity=workload_identity(settings, cluster), partition=partition,
                          tags=tags(settings))


def default_storage(settings: Settings) -> DefaultStorageArgs:
    return DefaultStorageArgs(provisioner=AUTO_MODE_EBS if settings.cluster.compute == AUTO_MODE
                              else EBS_CSI)


def karpenter(settings: Settings, cluster: EksCluster, partition: str, region: str,
              account_id: str) -> KarpenterInfraArgs:
    return KarpenterInfraArgs(cluster_name=cluster.cluster_name,
                              cluster_security_group_id=cluster.cluster_security_group_id,
                              partition=partition, region=region, account_id=account_id,
                              tags=tags(settings))


# The add-on that owns the node groups' desired sizes once it runs.
AUTOSCALER = "cluster-autoscaler"


def desired_size(group: NodeGroupSettings, live: int | None, autoscaled: bool) -> int:
    """Without an autoscaler the config decides. With one, the autoscaler's live size stands,
    raised to a new minSize or lowered to a new maxSize: EKS rejects a scaling config whose
    desired size is outside [min, max], so sending the stale size with a raised minimum fails."""
    if autoscaled and live is not None:
        return min(max(live, group.min_size), group.max_size)
    return group.desired_size


def node_groups(settings: Settings, cluster_name: pulumi.Input[str],
                node_role_arn: pulumi.Input[str],
                subnet_ids: pulumi.Input[list[pulumi.Input[str]]],
                live_sizes: Mapping[str, int]) -> NodeGroupsArgs:
    """`live_sizes`: the desired size of each group that already exists, by group name."""
    autoscaled = AUTOSCALER in settings.gitops.addons
    return NodeGroupsArgs(
        cluster_name=cluster_name,
        node_role_arn=node_role_arn,
        subnet_ids=subnet_ids,
        groups=[NodeGroupArgs(
            name=group.name,
            instance_types=list(group.instance_types),
            capacity_type=group.capacity_type,
            min_size=group.min_size,
            desired_size=desired_size(group, live_sizes.get(group.name), autoscaled),
            max_size=group.max_size,
            labels=dict(group.labels),
            taints=[{"key": t.key, "value": t.value, "effect": t.effect} for t in group.taints],
            version=group.version,
        ) for group in settings.cluster.node_groups],
        tags=tags(settings),
    )


def addon_roles(settings: Settings, cluster: EksCluster, partition: str, region: str,
                account_id: str) -> AddonRolesArgs:
    return AddonRolesArgs(
        addons=list(settings.gitops.addons),
        cluster_name=cluster.cluster_name,
        identity=workload_identity(settings, cluster),
        partition=partition,
        region=region,
        account_id=account_id,
        dns_zone_ids=list(settings.gitops.dns_zone_ids),
        tags=tags(settings),
    )


def engine_nodes(settings: Settings,
                 node_group_arns: Sequence[pulumi.Input[str]]) -> list[pulumi.Input[str]]:
    """What the engine's release waits for, from the node groups' ARNs in config order: the
    system node group's alone when `cluster.systemNodeGroup` names one, since the engine's pods
    and hook jobs are placed there (`placement` below), so a slower pool such as prod's spot
    workloads does not delay the engine; every group otherwise, since the pods may land on any."""
    pool = settings.cluster.system_pool
    if pool is None:
        return list(node_group_arns)
    return [node_group_arns[settings.cluster.node_groups.index(pool)]]


def existing_cluster(settings: Settings) -> ExistingClusterArgs:
    return ExistingClusterArgs(context=settings.cluster.context,
                               cluster_name=settings.cluster.name)


def bridge(settings: Settings, cluster_name: pulumi.Input[str], *, region: str = "",
           account_id: str = "", vpc_id: pulumi.Input[str] = "",
           role_arns: Mapping[str, pulumi.Input[str]] | None = None,
           karpenter_names: tuple[pulumi.Input[str], pulumi.Input[str]] | None = None
           ) -> ClusterBridgeArgs:
    """The cluster bridge; without `region` (an existing cluster) it has no AWS keys.
    `karpenter_names`: Karpenter's node role and interruption queue, with compute karpenter."""
    args = ClusterBridgeArgs(environment=settings.environment, cluster_name=cluster_name,
                             addons=list(settings.gitops.addons),
                             dns_zone_ids=list(settings.gitops.dns_zone_ids),
                             self_signed_kubelet_certs=settings.cluster.self_signed_kubelet_certs,
                             kubernetes_version=settings.cluster.version,
                             fleet_role=settings.fleet.role)
    if region:
        args["aws_region"] = region
        args["aws_account_id"] = account_id
        args["aws_vpc_id"] = vpc_id
        args["addon_role_arns"] = dict(role_arns or {})
        args["workload_identity"] = settings.cluster.workload_identity
        args["compute"] = settings.cluster.compute
    if karpenter_names is not None:
        args["karpenter_node_role"], args["karpenter_interruption_queue"] = karpenter_names
    return args


# EKS spells taint effects the API's way; pods tolerate them in Kubernetes' spelling.
_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute",
            "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


# Auto Mode's built-in system pool: its nodes carry the NodePool's name as a label and taint
# CriticalAddonsOnly (EKS user guide, "Run critical add-ons on dedicated instances").
AUTO_MODE_SYSTEM = PlacementArgs(
    node_selector={"karpenter.sh/nodepool": "system"},
    tolerations=[TolerationArgs(key="CriticalAddonsOnly", operator="Exists",
                                effect="NoSchedule")])


def system_placement(settings: Settings) -> PlacementArgs | None:
    """Where the platform runs: the system node group, Auto Mode's system pool, or anywhere."""
    if settings.cluster.provider == "eks" and settings.cluster.compute == AUTO_MODE:
        return AUTO_MODE_SYSTEM
    pool = settings.cluster.system_pool
    return placement(pool) if pool is not None else None


def placement(pool: NodeGroupSettings) -> PlacementArgs:
    """The system node group as a placement: its labels, and a toleration per taint."""
    tolerations: list[TolerationArgs] = []
    for taint in pool.taints:
        toleration = TolerationArgs(key=taint.key, operator="Equal" if taint.value else "Exists",
                                    effect=_EFFECTS[taint.effect])
        if taint.value:
            toleration["value"] = taint.value
        tolerations.append(toleration)
    return PlacementArgs(node_selector=dict(pool.labels), tolerations=tolerations)


def _credentials(credentials: GitCredentials) -> GitCredentialsArgs:
    fields = {"username": credentials.username, "password": credentials.password,
              "ssh_private_key": credentials.ssh_private_key,
              "known_hosts": credentials.known_hosts}
    return GitCredentialsArgs(**{key: value for key, value in fields.items()  # type: ignore[typeddict-item]
                                 if value is not None})


def gitops(settings: Settings, bridge_args: ClusterBridgeArgs,
           wait_for: pulumi.Input[list[pulumi.Input[str]]]) -> GitOpsArgs:
    delivery = settings.gitops
    sync = delivery.sync
    if settings.fleet.role == SPOKE:
        # The hub delivers a spoke's add-ons; an engine of the spoke's own installs none.
        bridge_args = ClusterBridgeArgs(**{**bridge_args, "addons": []})
    bootstrap = BootstrapArgs(
        repo_url=delivery.source.repo_url,
        revision=delivery.source.revision,
        path=delivery.source.path,
        bridge=bridge_args,
        sync=SyncPolicyArgs(automated=sync.automated, prune=sync.prune, self_heal=sync.self_heal),
        # The apps of this stack's own cluster; a hub's apps for spokes go to `hub_apps`.
        apps=[SeedAppArgs(name=app.name, path=app.source.path, namespace=app.namespace,
                          repo_url=app.source.repo_url, revision=app.source.revision,
                          wave=app.wave) for app in delivery.apps if app.spokes is None],
        health_timeout_seconds=delivery.health_timeout_seconds,
        ownership=delivery.ownership,
    )
    if settings.git_credentials is not None:
        bootstrap["credentials"] = _credentials(settings.git_credentials)
    if (where := system_placement(settings)) is not None:
        bootstrap["placement"] = where
    argocd, flux = delivery.argocd, delivery.flux
    return GitOpsArgs(
        engine=delivery.engine,
        bootstrap=bootstrap,
        argocd={"chart_version": argocd.chart_version, "ha": argocd.ha,
                "values": dict(argocd.values), "application_set": argocd.application_set,
                "secret_values": dict(argocd.secret_values)},
        flux={"chart_version": flux.chart_version, "values": dict(flux.values),
              "interval": flux.interval, "resource_set": flux.resource_set,
              "secret_values": dict(flux.secret_values)},
        wait_for=wait_for,
    )


def fleet_hub(settings: Settings, cluster: EksCluster, partition: str) -> FleetHubArgs:
    """The hub's fleet role, bound to its engine's controllers, and its registrars' access."""
    engine = settings.gitops.engine
    return FleetHubArgs(identity=workload_identity(settings, cluster),
                        namespace=ENGINE_NAMESPACES[engine],
                        service_accounts=list(ENGINE_SERVICE_ACCOUNTS[engine]),
                        partition=partition,
                        registrar_role_arns=list(settings.fleet.registrars),
                        registrar_group=REGISTRAR_GROUP, tags=tags(settings))


def fleet_registrars(settings: Settings, namespace: pulumi.Input[str]) -> FleetRegistrarsArgs:
    return FleetRegistrarsArgs(engine=settings.gitops.engine, namespace=namespace,
                               repo_url=settings.gitops.source.repo_url)


def spoke_access(settings: Settings, cluster: EksCluster, hub_role_arn: str, hub_engine: str,
                 account_id: str, partition: str) -> SpokeAccessArgs:
    """Access for the hub's role; through a role of this account when the hub is in another and
    its engine can assume one (Argo CD's awsAuthConfig.roleARN; Flux has no such setting)."""
    hub_account = hub_role_arn.split(":")[4]
    return SpokeAccessArgs(cluster_name=cluster.cluster_name, hub_role_arn=hub_role_arn,
                           assume_role=hub_account != account_id and hub_engine == "argocd",
                           hub_account_id=hub_account, partition=partition,
                           tags=tags(settings))


def hub_apps(settings: Settings) -> dict[str, Any]:
    """A hub's apps for its spokes, as each spoke reads them (the `fleetApps` output): what
    FleetAppsArgs takes, plus for each app the labels a spoke must carry to run it."""
    delivery, has_credentials = settings.gitops, settings.git_credentials is not None
    return {
        "apps": [{"name": app.name, "repo_url": app.source.repo_url,
                  "revision": app.source.revision, "path": app.source.path,
                  "namespace": app.namespace,
                  "credentials": has_credentials
                  and app.source.repo_url == delivery.source.repo_url,
                  "spokes": dict(app.spokes)} for app in delivery.apps if app.spokes is not None],
        "sync": {"automated": delivery.sync.automated, "prune": delivery.sync.prune,
                 "self_heal": delivery.sync.self_heal},
        "interval": delivery.flux.interval,
    }


def spoke_apps(settings: Settings, exported: Mapping[str, Any] | None) -> FleetAppsArgs | None:
    """The hub's apps (its `fleetApps` output, None from a hub that exports none) whose labels
    this spoke's `fleet.labels` carry."""
    if not exported:
        return None
    labels = dict(settings.fleet.labels)
    return FleetAppsArgs(
        apps=[FleetAppArgs(name=app["name"], repo_url=app["repo_url"], revision=app["revision"],
                           path=app["path"], namespace=app["namespace"],
                           credentials=app["credentials"])
              for app in exported["apps"]
              if all(labels.get(key) == value for key, value in app["spokes"].items())],
        sync=exported["sync"], interval=exported["interval"])


def spoke_registration(settings: Settings, engine: str, hub_kubeconfig: pulumi.Input[str],
                       bridge_args: ClusterBridgeArgs, cluster: EksCluster,
                       access: SpokeAccess, apps: FleetAppsArgs | None,
                       identity_namespace: pulumi.Input[str] | None,
                       wait_for: Sequence[pulumi.Input[str]]) -> SpokeRegistrationArgs:
    """The spoke's registration in its hub, whose engine is `engine`, with the hub's `apps` for
    it; `identity_namespace`: the spoke's own `flux-system`, where its own Flux made one. It
    waits for the spoke's access and, as an engine of the spoke's own does, for the nodes and
    the default StorageClass (`wait_for`): a destroy keeps them until the hub's engine has
    removed what it runs there, load balancers and volumes included."""
    source = settings.gitops.source
    name = registration_name(settings.stack)
    args = SpokeRegistrationArgs(
        engine=engine, name=name, hub_kubeconfig=hub_kubeconfig,
        bridge=ClusterBridgeArgs(**{**bridge_args, "fleet_name": name}),
        repo_url=source.repo_url, revision=source.revision,
        cluster_arn=cluster.cluster_arn, endpoint=cluster.endpoint,
        ca_data=cluster.certificate_authority,
        access=after(access.principal_arn, list(wait_for)),
        assumed_role_arn=access.assumed_role_arn)
    if (where := system_placement(settings)) is not None:
        args["placement"] = where
    if apps is not None:
        args["apps"] = apps
    if identity_namespace is not None:
        args["identity_namespace"] = identity_namespace
        args["own_namespaces"] = sorted({app.namespace for app in settings.gitops.apps})
    return args
