"""NodeGroups: EKS managed node groups joining a cluster, one per entry of `groups`.

Each group boots from a launch template of its own that only sets the instance metadata service:
IMDSv2 tokens required, and a hop limit of 1, so a token response never reaches a pod behind the
node's network bridge. Pods cannot take the node role's credentials that way; add-ons get their
own roles through IRSA, and host-network pods (the VPC CNI, kube-proxy) still reach the service.
The template sets no instance type or AMI: the group keeps those, and EKS adds its bootstrap.
"""

from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components.aws.cluster import former_cluster_child
from components.common import naming

TYPE = "groundwork:index:NodeGroups"


class TaintArgs(TypedDict):
    """A Kubernetes taint on every node of a group."""

    key: str
    """Taint key."""
    effect: str
    """NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE."""
    value: NotRequired[str]
    """Taint value; may be empty."""


class NodeGroupArgs(TypedDict):
    """One managed node group."""

    name: str
    """Short name; AWS appends a unique suffix, so a replacement can come up beside it."""
    instance_types: list[str]
    """EC2 instance types, e.g. t3.large."""
    min_size: int
    """Fewest nodes."""
    desired_size: int
    """Desired nodes. Where an autoscaler owns the size, pass its live value (kept within
    min and max); the group takes whatever is passed."""
    max_size: int
    """Most nodes."""
    capacity_type: NotRequired[str]
    """ON_DEMAND (default) or SPOT."""
    labels: NotRequired[dict[str, str]]
    """Kubernetes labels of every node."""
    taints: NotRequired[list[TaintArgs]]
    """Kubernetes taints of every node."""
    version: NotRequired[pulumi.Input[str]]
    """Kubernetes minor version of the nodes; default the control plane's. EKS rolls the group
    to a new version node by node, honouring PodDisruptionBudgets."""


class NodeGroupsArgs(TypedDict):
    """Inputs of NodeGroups."""

    cluster_name: pulumi.Input[str]
    """The cluster the nodes join: EksCluster.cluster_name resolved after CoreAddons.arns, so the
    groups come up, and upgrade, after the control plane and the add-ons nodes need."""
    node_role_arn: pulumi.Input[str]
    """The nodes' IAM role (EksCluster.node_role_arn, so the groups wait for its policies)."""
    subnet_ids: pulumi.Input[list[pulumi.Input[str]]]
    """Private subnets with a route out (Network.node_subnet_ids, so the groups wait for it)."""
    groups: list[NodeGroupArgs]
    """The node groups."""
    tags: NotRequired[dict[str, str]]
    """Tags for every node group."""


class NodeGroups(pulumi.ComponentResource):
    """Managed node groups of one cluster."""

    arns: list[pulumi.Output[str]]
    """ARNs of the node groups, in the order of `groups`. What needs nodes waits for these."""

    def __init__(self, name: str, args: NodeGroupsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        self.groups: list[aws.eks.NodeGroup] = []
        for group in args["groups"]:
            template = aws.ec2.LaunchTemplate(
                f"{name}-{group['name']}",
                description=f"Instance metadata settings of node group {group['name']}",
                metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                    http_endpoint="enabled",
                    http_tokens="required",
                    http_put_response_hop_limit=1,
                ),
                tags=args.get("tags"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.groups.append(aws.eks.NodeGroup(
                f"{name}-{group['name']}",
                cluster_name=args["cluster_name"],
                # A changed instance type replaces the group; with a prefix the new group can come
                # up before the old one drains.
                node_group_name_prefix=naming.node_group_prefix(group["name"]),
                node_role_arn=args["node_role_arn"],
                subnet_ids=args["subnet_ids"],
                version=group.get("version"),
                instance_types=list(group["instance_types"]),
                capacity_type=group.get("capacity_type", "ON_DEMAND"),
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=group["min_size"],
                    desired_size=group["desired_size"],
                    max_size=group["max_size"],
                ),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
                # A changed template is a new version, which EKS rolls out node by node.
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                    id=template.id, version=template.latest_version.apply(str)),
                labels=dict(group.get("labels") or {}) or None,
                taints=[aws.eks.NodeGroupTaintArgs(key=taint["key"],
                                                   value=taint.get("value") or None,
                                                   effect=taint["effect"])
                        for taint in group.get("taints") or []] or None,
                tags=args.get("tags"),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    aliases=[former_cluster_child(name)],
                ),
            ))
        self.arns = [group.arn for group in self.groups]
        self.register_outputs({"arns": self.arns})
