"""The EKS add-ons every cluster on node groups or Karpenter runs, at versions that match the
control plane, in the order an upgrade needs.

- CoreAddons: the DaemonSets that need no node to become active (VPC CNI, kube-proxy, Pod Identity
  agent). They take the control plane's version as an output, so a version bump updates the
  control plane first, then them; node groups take their ARNs, so the nodes follow.
- NodeAddons: the Deployments (CoreDNS, the EBS CSI driver with its own identity). Created before
  any node exists they stay degraded and the add-on times out, so they follow the nodes.

Every add-on carries an explicit version (EksAddon versions, resolved from the cluster's
Kubernetes version or pinned in config), so a preview shows what an upgrade changes.
Auto Mode runs all of them itself and gets neither component.
"""

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components.aws.cluster import former_cluster_child
from components.aws.iam import managed_policy_arn
from components.aws.workload_identity import WorkloadIdentityArgs, bind, service_account_role
from components.common.catalog import EKS_ADDONS, EksAddon
from components.common.ordering import after

TYPE = "groundwork:index:CoreAddons"
NODE_ADDONS_TYPE = "groundwork:index:NodeAddons"
# EKS bootstraps self-managed vpc-cni and kube-proxy, which keep the first nodes working until
# these take over. It bootstraps no pod identity agent: until that add-on is ready, only pods
# using EKS Pod Identity lack credentials, and none of the nodes' own components do.
EARLY_ADDONS = tuple(addon for addon in EKS_ADDONS if not addon.needs_nodes)
AFTER_NODES_ADDONS = tuple(addon for addon in EKS_ADDONS if addon.needs_nodes)
NAMESPACE = "kube-system"


class CoreAddonsArgs(TypedDict):
    """Inputs of CoreAddons."""

    cluster_name: pulumi.Input[str]
    """The cluster (EksCluster.cluster_name, so the add-ons wait for it)."""
    kubernetes_version: pulumi.Input[str]
    """The control plane's version (EksCluster.version, so an upgrade moves it first)."""
    versions: Mapping[str, str]
    """EKS add-on name to the version to run, compatible with `kubernetes_version`."""
    tags: NotRequired[dict[str, str]]
    """Tags for every add-on."""


class NodeAddonsArgs(TypedDict):
    """Inputs of NodeAddons."""

    cluster_name: pulumi.Input[str]
    """The cluster (EksCluster.cluster_name)."""
    nodes: pulumi.Input[list[pulumi.Input[str]]]
    """Outputs of the node groups (NodeGroups.arns); the add-ons wait for them."""
    versions: Mapping[str, str]
    """EKS add-on name to the version to run."""
    identity: WorkloadIdentityArgs
    """How add-ons that call AWS (the EBS CSI driver) get their role."""
    partition: NotRequired[str]
    """AWS partition of the managed policies; default aws."""
    tags: NotRequired[dict[str, str]]
    """Tags for every add-on and role."""


def _addon(parent: pulumi.Resource, name: str, cluster_name: pulumi.Input[str], addon: EksAddon,
           version: str, tags: Mapping[str, Any], aliases: tuple[pulumi.Alias, ...] = (),
           **extra: Any) -> aws.eks.Addon:
    return aws.eks.Addon(
        f"{name}-{addon.name}",
        cluster_name=cluster_name,
        addon_name=addon.name,
        addon_version=version,
        # Take over the self-managed copy EKS bootstrapped instead of failing on it.
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="PRESERVE",
        # Nothing waits for the add-ons, so a destroy removes them first; without `preserve`
        # that would take DNS, kube-proxy, pod networking and volumes away from the controllers
        # still deleting the GitOps apps and their load balancers. The cluster's deletion ends
        # them.
        preserve=True,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent,
                                    aliases=[former_cluster_child(name), *aliases]),
        **extra,
    )


class CoreAddons(pulumi.ComponentResource):
    """The EKS add-ons that come up before the nodes."""

    arns: list[pulumi.Output[str]]
    """ARNs of the add-ons; node groups wait for these."""

    def __init__(self, name: str, args: CoreAddonsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        tags = args.get("tags") or {}
        after_control_plane = after(args["cluster_name"], args["kubernetes_version"])
        self.arns = [_addon(self, name, after_control_plane, addon, args["versions"][addon.name],
                            tags).arn for addon in EARLY_ADDONS]
        self.register_outputs({"arns": self.arns})


class NodeAddons(pulumi.ComponentResource):
    """The EKS add-ons that need nodes, each add-on that calls AWS with a role of its own."""

    def __init__(self, name: str, args: NodeAddonsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(NODE_ADDONS_TYPE, name, None, opts)
        tags = args.get("tags") or {}
        after_nodes = after(args["cluster_name"], args["nodes"])
        for addon in AFTER_NODES_ADDONS:
            extra = {}
            if addon.managed_policy:
                role_arn = self._role(name, addon, args, tags)
                if args["identity"]["mode"] != "podIdentity":
                    extra["service_account_role_arn"] = role_arn
                # With Pod Identity the association exists before the add-on's pods start, so
                # they get credentials from their first call.
                cluster: pulumi.Input[str] = after(after_nodes, role_arn)
            else:
                cluster = after_nodes
            # CoreDNS was a child of CoreAddons before the add-ons that need nodes moved here.
            _addon(self, name, cluster, addon, args["versions"][addon.name], tags,
                   (pulumi.Alias(parent=pulumi.create_urn(name, TYPE)),), **extra)
        self.register_outputs({})

    def _role(self, name: str, addon: EksAddon, args: NodeAddonsArgs,
              tags: Mapping[str, str]) -> pulumi.Output[str]:
        """The add-on's role: AWS's managed policy for it, bound to its service account."""
        resource = f"{name}-{addon.name}"
        role = service_account_role(
            resource, args["identity"], addon.name.removeprefix("aws-"), NAMESPACE,
            addon.service_account, f"Role of the {addon.name} EKS add-on", tags, self)
        attachment = aws.iam.RolePolicyAttachment(
            resource,
            role=role.name,
            policy_arn=managed_policy_arn(args.get("partition", "aws"), addon.managed_policy),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return bind(resource, args["identity"], role, NAMESPACE, addon.service_account,
                    attachment.id, tags, self)
