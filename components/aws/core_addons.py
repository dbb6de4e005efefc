"""CoreAddons: the EKS add-ons every cluster runs (VPC CNI, kube-proxy, Pod Identity agent,
CoreDNS), each ordered by what it needs."""

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components.aws.cluster import former_cluster_child
from components.common.ordering import after

TYPE = "groundwork:index:CoreAddons"
# Add-ons that run without nodes, so node groups need not wait for them. EKS bootstraps
# self-managed vpc-cni and kube-proxy, which keep the first nodes working until these take over.
# It bootstraps no pod identity agent: until that add-on is ready, only pods using EKS Pod Identity
# lack credentials, and none of the nodes' own components do.
EARLY_ADDONS = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
# CoreDNS is a Deployment: created before any node exists it stays degraded and the add-on
# times out.
AFTER_NODES_ADDONS = ("coredns",)


class CoreAddonsArgs(TypedDict):
    """Inputs of CoreAddons."""

    cluster_name: pulumi.Input[str]
    """The cluster (EksCluster.cluster_name, so the add-ons wait for it)."""
    nodes: pulumi.Input[list[pulumi.Input[str]]]
    """Outputs of the node groups (NodeGroups.arns); CoreDNS waits for them."""
    tags: NotRequired[dict[str, str]]
    """Tags for every add-on."""


class CoreAddons(pulumi.ComponentResource):
    """The cluster's EKS-managed core add-ons."""

    def __init__(self, name: str, args: CoreAddonsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        tags = args.get("tags") or {}
        for addon in EARLY_ADDONS:
            self._addon(name, args["cluster_name"], addon, tags)
        for addon in AFTER_NODES_ADDONS:
            self._addon(name, after(args["cluster_name"], args["nodes"]), addon, tags)
        self.register_outputs({})

    def _addon(self, name: str, cluster_name: pulumi.Input[str], addon: str,
               tags: Mapping[str, Any]) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=cluster_name,
            addon_name=addon,
            # Take over the self-managed copy EKS bootstrapped instead of failing on it.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            # Nothing waits for the add-ons, so a destroy removes them first; without `preserve`
            # that would take DNS, kube-proxy and pod networking away from the controllers still
            # deleting the GitOps apps and their load balancers. The cluster's deletion ends them.
            preserve=True,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, aliases=[former_cluster_child(name)]),
        )
