"""The validated stack settings: frozen dataclasses, one per config object."""

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.common.gitops_model import GitCredentials, GitSource, SeedApp, SyncPolicy


@dataclass(frozen=True)
class NetworkSettings:
    """`groundwork:network`: the VPC's range, zones and NAT strategy."""

    cidr: ipaddress.IPv4Network
    az_count: int
    nat_gateways: str


@dataclass(frozen=True)
class Taint:
    """A taint of every node in a node group."""

    key: str
    value: str
    effect: str


@dataclass(frozen=True)
class NodeGroupSettings:
    """One entry of `groundwork:cluster.nodeGroups`."""

    name: str
    instance_types: tuple[str, ...]
    capacity_type: str
    min_size: int
    desired_size: int
    max_size: int
    labels: Mapping[str, str]
    taints: tuple[Taint, ...]
    # Kubernetes minor version of the group's nodes: the cluster's unless held back for a staged
    # upgrade (within the kubelet skew the control plane allows).
    version: str


@dataclass(frozen=True)
class ClusterSettings:
    """`groundwork:cluster`: the EKS cluster (or the context of an existing one)."""

    provider: str
    name: str
    version: str
    endpoint_public_access: bool
    endpoint_private_access: bool
    public_access_cidrs: tuple[str, ...]
    log_types: tuple[str, ...]
    secrets_encryption: bool
    admin_role_arns: tuple[str, ...]
    viewer_role_arns: tuple[str, ...]
    node_groups: tuple[NodeGroupSettings, ...]
    # The node group that runs the platform: the engine, the add-ons, their hook jobs.
    system_node_group: str
    # Kubelets serve self-signed certificates (kind): metrics-server must not verify them.
    self_signed_kubelet_certs: bool
    # nodeGroups, autoMode or karpenter (keys.COMPUTE_MODES).
    compute: str
    # podIdentity or irsa (keys.WORKLOAD_IDENTITIES).
    workload_identity: str
    # EKS add-on name -> version pinned in config; the others resolve to the newest version
    # compatible with `version` (aws.eks.get_addon_version).
    addon_versions: Mapping[str, str]
    context: str

    @property
    def system_pool(self) -> NodeGroupSettings | None:
        return next((g for g in self.node_groups if g.name == self.system_node_group), None)


@dataclass(frozen=True)
class ArgoCdSettings:
    """`groundwork:gitops.argocd`: how Argo CD is installed."""

    chart_version: str
    ha: bool
    values: Mapping[str, Any]
    application_set: bool
    # `secretValues.argocd`: merged over `values`, every leaf a secret Output.
    secret_values: Mapping[str, Any]


@dataclass(frozen=True)
class FluxSettings:
    """`groundwork:gitops.flux`: how Flux is installed."""

    chart_version: str
    values: Mapping[str, Any]
    interval: str
    # The seed apps as one Flux Operator ResourceSet instead of objects of their own.
    resource_set: bool
    # `secretValues.flux`: merged over `values`, every leaf a secret Output.
    secret_values: Mapping[str, Any]


@dataclass(frozen=True)
class GitopsSettings:
    """`groundwork:gitops`: the engine, what it seeds from Git, and the add-ons."""

    engine: str
    source: GitSource
    sync: SyncPolicy
    addons: tuple[str, ...]
    dns_zone_ids: tuple[str, ...]
    apps: tuple[SeedApp, ...]
    argocd: ArgoCdSettings
    flux: FluxSettings
    # How long `pulumi up` waits for the engine to report the bootstrap healthy; 0: no wait.
    health_timeout_seconds: int
    # `git`: the engine manages itself from the tree after bootstrap; `pulumi`: `pulumi up` does.
    ownership: str


@dataclass(frozen=True)
class FleetSettings:
    """`groundwork:fleet`: the stack's place in a hub-and-spoke fleet."""

    # standalone, hub or spoke (keys.FLEET_ROLES).
    role: str
    # A spoke's hub: the fully qualified name of the hub's stack; empty otherwise.
    hub: str
    # A hub's registrars: IAM roles that may register spokes in it (the spokes' deployers).
    registrars: tuple[str, ...]
    # A spoke's labels, which its hub's apps select spokes by (`gitops.apps[].clusters`).
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Settings:
    """The whole validated stack configuration."""

    stack: str
    environment: str
    protect: bool
    network: NetworkSettings
    cluster: ClusterSettings
    gitops: GitopsSettings
    git_credentials: GitCredentials | None
    fleet: FleetSettings
