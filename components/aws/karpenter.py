"""KarpenterInfra: what Karpenter needs of AWS beside its controller role (AddonRoles, policy in
addon_policies.karpenter_policy): the role its nodes run as with their access entry, the SQS queue
EC2 and AWS Health interruption events reach it through, and the discovery tag on the cluster's
security group (the Network tags the private subnets).

After Karpenter 1.14's getting-started CloudFormation (v1.14.1): the node role's four policies,
the queue (five minutes of retention, SSE, HTTPS only) and the five EventBridge rules it lists.
The Karpenter chart itself, its NodePool and its EC2NodeClass are in the GitOps tree
(gitops/addons), fed by the bridge: `karpenter_node_role` and `karpenter_interruption_queue`.
"""

import functools
import json
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components.aws.addon_policies import PolicyScope, karpenter_names
from components.aws.iam import assume_role_policy, document, managed_policy_arn
from components.common.ordering import after

TYPE = "groundwork:index:KarpenterInfra"
DISCOVERY_TAG = "karpenter.sh/discovery"
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy",
                 "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore")
# EventBridge rule name suffix -> event pattern (Karpenter's CloudFormation at v1.14.1).
INTERRUPTION_EVENTS = {
    "health": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "state": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
    "reservation": {"source": ["aws.ec2"],
                    "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"]},
}


def queue_policy(queue_arn: str) -> dict:
    """EventBridge and SQS may send to the queue; nothing reaches it without TLS."""
    return document(
        {"Sid": "EventBridgeSend", "Effect": "Allow",
         "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
         "Action": "sqs:SendMessage", "Resource": queue_arn},
        {"Sid": "DenyHTTP", "Effect": "Deny", "Principal": "*", "Action": "sqs:*",
         "Resource": queue_arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    )


class KarpenterInfraArgs(TypedDict):
    """Inputs of KarpenterInfra."""

    cluster_name: pulumi.Input[str]
    """The cluster Karpenter launches nodes for (EksCluster.cluster_name)."""
    cluster_security_group_id: pulumi.Input[str]
    """The cluster security group, which Karpenter's nodes join (discovery tag)."""
    partition: str
    """AWS partition."""
    region: str
    """AWS region."""
    account_id: str
    """AWS account id."""
    tags: NotRequired[dict[str, str]]
    """Tags for every resource."""


def _names(part: int, partition: str, region: str, account_id: str, cluster_name: str) -> str:
    return karpenter_names(PolicyScope(partition, region, account_id, cluster_name))[part]


class KarpenterInfra(pulumi.ComponentResource):
    """Karpenter's node role, access entry, interruption queue and rules, discovery tag."""

    node_role_name: pulumi.Output[str]
    """The role Karpenter's nodes run as (EC2NodeClass `role`), once it can join the cluster."""
    queue_name: pulumi.Output[str]
    """The interruption queue (chart value `settings.interruptionQueue`), once events reach it."""

    def __init__(self, name: str, args: KarpenterInfraArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.get("tags") or {}
        cluster = pulumi.Output.from_input(args["cluster_name"])
        scope = (args["partition"], args["region"], args["account_id"])
        role = aws.iam.Role(
            f"{name}-node",
            name_prefix=cluster.apply(functools.partial(_names, 0, *scope)),
            description="Role of the nodes Karpenter launches",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            tags=tags, opts=child)
        attachments = [aws.iam.RolePolicyAttachment(
            f"{name}-node-{policy}", role=role.name,
            policy_arn=managed_policy_arn(args["partition"], policy), opts=child)
            for policy in NODE_POLICIES]
        # Nodes of a role that is not a node group's join through an EC2_LINUX access entry.
        entry = aws.eks.AccessEntry(
            f"{name}-node", cluster_name=args["cluster_name"], principal_arn=role.arn,
            type="EC2_LINUX", tags=tags, opts=child)
        self.node_role_name = after(role.name, entry.access_entry_arn,
                                    *[attachment.id for attachment in attachments])

        queue = aws.sqs.Queue(
            f"{name}-interruption",
            name_prefix=cluster.apply(functools.partial(_names, 1, *scope)),
            message_retention_seconds=300,
            sqs_managed_sse_enabled=True,
            tags=tags, opts=child)
        policy = aws.sqs.QueuePolicy(
            f"{name}-interruption", queue_url=queue.url,
            policy=queue.arn.apply(lambda arn: json.dumps(queue_policy(arn))), opts=child)
        targets = []
        for suffix, pattern in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{suffix}",
                description=f"Karpenter interruption events: {pattern['detail-type'][0]}",
                event_pattern=json.dumps(pattern), tags=tags, opts=child)
            targets.append(aws.cloudwatch.EventTarget(
                f"{name}-{suffix}", rule=rule.name, arn=queue.arn, opts=child))
        self.queue_name = after(queue.name, policy.id, *[target.id for target in targets])

        # Karpenter's nodes join the cluster security group, as managed nodes do.
        aws.ec2.Tag(f"{name}-discovery", resource_id=args["cluster_security_group_id"],
                    key=DISCOVERY_TAG, value=args["cluster_name"], opts=child)
        self.register_outputs({"nodeRoleName": self.node_role_name, "queueName": self.queue_name})
