"""The cluster bridge: infrastructure facts the GitOps tree reads.

Argo CD reads them as labels and annotations of its in-cluster cluster Secret; Flux as `${key}`
from the `cluster-vars` ConfigMap. They are the environment, `enable_<addon>` flags and, on EKS,
the region, account, cluster name, VPC and each add-on's IAM role ARN, namespace and service
account. The add-ons tree is the root repository at the root revision under `ADDONS_BASEPATH`
(`addons_repo_url`, `addons_repo_revision`, `addons_repo_basepath`), so add-on definitions are
versioned with the bootstrap that enables them; the basepath ends in `/` so templates append a
directory to it. The repository `gitops.repoUrl` names must therefore hold the sample tree's
layout (gitops/README.md): the root at `gitops/{engine}` and the add-ons under `ADDONS_BASEPATH`.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

import pulumi

from components.common.catalog import CATALOG
from components.common.fleet_roles import STANDALONE
from components.common.gitops_model import GitSource
from components.gitops.placement import PlacementArgs
from components.gitops.placement import bridge_keys as placement_keys

ADDONS_BASEPATH = "gitops/addons/"
# Karpenter's default NodePool and EC2NodeClass: a chart of the add-ons tree that the program
# itself has the engine install (argocd.py, flux.py) after the root, so a destroy removes them,
# and Karpenter terminates its nodes, while Karpenter still runs.
KARPENTER_NODES_CHART = ADDONS_BASEPATH + "karpenter-nodes"
KARPENTER_NAMESPACE = "kube-system"
# The Argo CD project of a cluster's add-ons (`addons_project`): the hub's own, or each spoke's,
# which its registration creates so a spoke's destroy can wait for its add-ons to be gone.
ADDONS_PROJECT = "addons"
# The ConfigMap a cluster's Flux variables are substituted from (`cluster_vars`): the cluster's
# own, or in a hub one per spoke (fleet_manifests.cluster_vars_name).
CLUSTER_VARS = "cluster-vars"


class ClusterBridgeArgs(TypedDict):
    """What the infrastructure tells the GitOps tree about the cluster it runs in."""

    environment: str
    """The environment name, the `environment` label the add-on ApplicationSets select on."""
    cluster_name: pulumi.Input[str]
    """The cluster's name (`aws_cluster_name` on EKS)."""
    addons: NotRequired[list[str]]
    """Enabled add-ons from the catalog; each gets an `enable_<addon>` label and its namespace and
    service account as `<addon>_namespace` and `<addon>_service_account`."""
    aws_region: NotRequired[str]
    """AWS region. Without it the bridge has no AWS keys, so templates can tell clusters apart."""
    aws_account_id: NotRequired[str]
    """AWS account id of the cluster."""
    aws_vpc_id: NotRequired[pulumi.Input[str]]
    """VPC id of the cluster."""
    addon_role_arns: NotRequired[dict[str, pulumi.Input[str]]]
    """Add-on name to the IAM role ARN it assumes (`<addon>_iam_role_arn`), for add-ons that
    call AWS."""
    dns_zone_ids: NotRequired[list[str]]
    """Route 53 hosted zones the DNS add-ons may change (`dns_zone_ids`, a JSON list)."""
    self_signed_kubelet_certs: NotRequired[bool]
    """Kubelets serve self-signed certificates (kind): metrics-server skips their verification
    (`metrics_server_args`)."""
    kubernetes_version: NotRequired[str]
    """The control plane's Kubernetes minor version (`kubernetes_version`), so the tree can pick
    chart versions per cluster."""
    workload_identity: NotRequired[str]
    """How add-ons get their roles on EKS (`aws_workload_identity`): podIdentity (the service
    accounts carry no annotation) or irsa (`<addon>_service_account_annotations` names the
    role)."""
    compute: NotRequired[str]
    """What runs the nodes on EKS (`aws_compute`): nodeGroups, autoMode or karpenter."""
    karpenter_node_role: NotRequired[pulumi.Input[str]]
    """The role of Karpenter's nodes (`karpenter_node_role`), for the default EC2NodeClass."""
    karpenter_interruption_queue: NotRequired[pulumi.Input[str]]
    """Karpenter's interruption queue (`karpenter_interruption_queue`)."""
    fleet_role: NotRequired[str]
    """The cluster's place in a fleet (`fleet_role` label): standalone (the default), hub, or
    spoke, whose add-ons its hub delivers."""
    fleet_name: NotRequired[str]
    """A spoke's name in its hub (fleet_manifests.registration_name), which names the objects
    the hub keeps for it; empty for the hub's own cluster."""


@dataclass(frozen=True)
class AddonBinding:
    """An enabled add-on as the GitOps side sees it: where it runs and which IAM role it assumes
    (None for add-ons that do not call AWS)."""

    name: str
    namespace: str
    service_account: str
    iam_role_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class ClusterMetadata:
    """The bridge from infrastructure to GitOps. Every field becomes a label or annotation of the
    Argo CD cluster Secret, or a key of Flux's `cluster-vars` ConfigMap."""

    environment: str
    cluster_name: pulumi.Input[str]
    addons_source: GitSource
    aws_region: pulumi.Input[str] = ""
    aws_account_id: pulumi.Input[str] = ""
    aws_vpc_id: pulumi.Input[str] = ""
    addons: tuple[AddonBinding, ...] = field(default_factory=tuple)
    dns_zone_ids: tuple[str, ...] = ()
    self_signed_kubelet_certs: bool = False
    kubernetes_version: str = ""
    workload_identity: str = ""
    compute: str = ""
    # Karpenter's node role and interruption queue, with compute karpenter.
    karpenter: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # `system_node_selector` and `system_tolerations` (placement.bridge_keys).
    placement: Mapping[str, str] = field(default_factory=lambda: placement_keys(None))
    fleet_role: str = STANDALONE
    fleet_name: str = ""

    def annotations(self) -> Mapping[str, pulumi.Input[str]]:
        """The bridge keys of DESIGN.md, in a stable order. AWS keys are left out on clusters that
        are not on AWS, so GitOps templates can tell the two apart."""
        keys: dict[str, pulumi.Input[str]] = {}
        if self.aws_region:
            keys.update(
                aws_region=self.aws_region,
                aws_account_id=self.aws_account_id,
                aws_cluster_name=self.cluster_name,
                aws_vpc_id=self.aws_vpc_id,
                aws_workload_identity=self.workload_identity,
                aws_compute=self.compute,
            )
        if self.kubernetes_version:
            keys["kubernetes_version"] = self.kubernetes_version
        keys.update(self.karpenter)
        for addon in self.addons:
            prefix = addon.name.replace("-", "_")
            if addon.iam_role_arn is not None:
                keys[f"{prefix}_iam_role_arn"] = addon.iam_role_arn
            keys[f"{prefix}_namespace"] = addon.namespace
            keys[f"{prefix}_service_account"] = addon.service_account
            keys[f"{prefix}_service_account_annotations"] = _annotations_json(
                service_account_annotations(self.workload_identity, addon.iam_role_arn))
        keys.update(self.placement)
        # JSON, which is YAML flow syntax: the tree inlines them as lists.
        keys["dns_zone_ids"] = json.dumps(list(self.dns_zone_ids))
        keys["metrics_server_args"] = json.dumps(
            ["--kubelet-insecure-tls"] if self.self_signed_kubelet_certs else [])
        keys.update(
            addons_repo_url=self.addons_source.repo_url,
            addons_repo_revision=self.addons_source.revision,
            addons_repo_basepath=self.addons_source.path,
        )
        keys.update(self.fleet_keys())
        return keys

    def fleet_keys(self) -> Mapping[str, str]:
        """What tells the hub's objects for a spoke apart from its own: Argo CD's project of the
        cluster's add-ons, and for Flux a suffix for the names of the hub's objects for the
        cluster and the ConfigMap of its variables."""
        if not self.fleet_name:
            return {"addons_project": ADDONS_PROJECT, "fleet_suffix": "",
                    "cluster_vars": CLUSTER_VARS}
        return {"addons_project": self.fleet_name, "fleet_suffix": f"-{self.fleet_name}",
                "cluster_vars": f"{self.fleet_name}-{CLUSTER_VARS}"}

    def labels(self) -> Mapping[str, str]:
        """`environment` plus `enable_<addon>: "true"` for each enabled add-on, which the add-ons
        ApplicationSet selects on."""
        labels = {"environment": self.environment, "fleet_role": self.fleet_role}
        labels.update({f"enable_{addon.name.replace('-', '_')}": "true" for addon in self.addons})
        return labels

    def karpenter_nodes_values(self) -> dict[str, pulumi.Input[str]] | None:
        """The values of KARPENTER_NODES_CHART for this cluster; None without Karpenter."""
        if not self.karpenter:
            return None
        return {"clusterName": self.cluster_name,
                "nodeRole": self.karpenter["karpenter_node_role"]}

    def variables(self) -> Mapping[str, pulumi.Input[str]]:
        """Labels and annotations as one flat map: what Flux substitutes as `${key}`."""
        return {**self.labels(), **self.annotations()}


# The annotation IRSA's webhook reads to inject a role; Pod Identity needs none.
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


def service_account_annotations(workload_identity: str, role_arn: pulumi.Input[str] | None
                                ) -> Mapping[str, pulumi.Input[str]]:
    """What an add-on's service account carries: the role's ARN under IRSA, nothing with Pod
    Identity (its association binds the role) or without a role."""
    if workload_identity == "irsa" and role_arn is not None:
        return {IRSA_ANNOTATION: role_arn}
    return {}


def _annotations_json(annotations: Mapping[str, pulumi.Input[str]]) -> pulumi.Input[str]:
    """JSON, which is YAML flow syntax: the tree inlines it as the service account's
    annotations."""
    if not annotations:
        return "{}"
    return pulumi.Output.all(**annotations).apply(lambda values: json.dumps(values,
                                                                           sort_keys=True))


def cluster_metadata(bridge: ClusterBridgeArgs, root: GitSource,
                     placement: PlacementArgs | None = None) -> ClusterMetadata:
    """The bridge for a cluster whose root tree is `root`; the add-ons tree is beside it."""
    role_arns = bridge.get("addon_role_arns") or {}
    addons: Sequence[str] = bridge.get("addons") or ()
    return ClusterMetadata(
        environment=bridge["environment"],
        cluster_name=bridge["cluster_name"],
        addons_source=GitSource(root.repo_url, root.revision, ADDONS_BASEPATH),
        aws_region=bridge.get("aws_region", ""),
        aws_account_id=bridge.get("aws_account_id", ""),
        aws_vpc_id=bridge.get("aws_vpc_id", ""),
        addons=tuple(AddonBinding(name, CATALOG[name].namespace, CATALOG[name].service_account,
                                  role_arns.get(name)) for name in addons),
        placement=placement_keys(placement),
        dns_zone_ids=tuple(bridge.get("dns_zone_ids") or ()),
        self_signed_kubelet_certs=bridge.get("self_signed_kubelet_certs", False),
        kubernetes_version=bridge.get("kubernetes_version", ""),
        workload_identity=bridge.get("workload_identity", ""),
        compute=bridge.get("compute", ""),
        karpenter={key: bridge[key] for key in ("karpenter_node_role",
                                                "karpenter_interruption_queue") if key in bridge},
        fleet_role=bridge.get("fleet_role", STANDALONE),
        fleet_name=bridge.get("fleet_name", ""),
    )
