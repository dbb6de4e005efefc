"""Least-privilege IAM policies of the catalog's add-ons that call AWS, scoped to the cluster
where the AWS API allows it."""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from components.aws.iam import allow, document
from components.common import naming


@dataclass(frozen=True)
class PolicyScope:
    """What a policy may be narrowed to: this cluster, in this account, region and partition."""

    partition: str
    region: str
    account_id: str
    cluster_name: str
    # Route 53 hosted zones the DNS add-ons may change records in.
    dns_zone_ids: tuple[str, ...] = ()


PolicyBuilder = Callable[[PolicyScope], dict]


def load_balancer_controller_policy(scope: PolicyScope) -> dict:
    """The upstream policy of controller v2.13 (chart 1.13.0), statement for statement.

    Writes are scoped by the controller's ownership tag `elbv2.k8s.aws/cluster`: created only with
    it, changed or deleted only where it is present, and never added or removed by a tag call, so
    the role cannot adopt a load balancer or security group it did not create. On top of upstream,
    the tag must name this cluster. Ingress rules stay unconditioned, as upstream: the controller
    also opens the node and cluster security groups, which it does not own, to its load balancers.
    """
    elb = f"arn:{scope.partition}:elasticloadbalancing:*:*"
    load_balancers_and_groups = [f"{elb}:targetgroup/*/*", f"{elb}:loadbalancer/net/*/*",
                                 f"{elb}:loadbalancer/app/*/*"]
    listeners_and_rules = [f"{elb}:{kind}/{lb}/*/*/*" for kind in ("listener", "listener-rule")
                           for lb in ("net", "app")]
    security_groups = f"arn:{scope.partition}:ec2:*:*:security-group/*"
    request_tag, resource_tag = (f"aws:{kind}/elbv2.k8s.aws/cluster"
                                 for kind in ("RequestTag", "ResourceTag"))
    # Null "false": the tag is present. Null "true": the request does not set it.
    tagged_request = {"Null": {request_tag: "false"},
                      "StringEquals": {request_tag: scope.cluster_name}}
    owned = {"Null": {resource_tag: "false"}, "StringEquals": {resource_tag: scope.cluster_name}}
    owned_and_tag_kept = {"Null": {request_tag: "true", resource_tag: "false"},
                          "StringEquals": {resource_tag: scope.cluster_name}}
    return document(
        allow("ServiceLinkedRole", ["iam:CreateServiceLinkedRole"], "*",
               StringEquals={"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}),
        allow("Describe", [
            "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses",
            "ec2:DescribeAvailabilityZones", "ec2:DescribeInternetGateways", "ec2:DescribeVpcs",
            "ec2:DescribeVpcPeeringConnections", "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
            "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage",
            "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools",
            "ec2:DescribeRouteTables", "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeListenerCertificates",
            "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeTrustStores",
            "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:DescribeCapacityReservation",
        ], "*"),
        allow("CertificatesWafShield", [
            "cognito-idp:DescribeUserPoolClient", "acm:ListCertificates",
            "acm:DescribeCertificate", "iam:ListServerCertificates", "iam:GetServerCertificate",
            "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource",
            "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL",
            "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL",
            "wafv2:DisassociateWebACL", "shield:GetSubscriptionState",
            "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection",
        ], "*"),
        allow("SecurityGroupIngress", [
            "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
        ], "*"),
        allow("CreateSecurityGroups", ["ec2:CreateSecurityGroup"], "*"),
        allow("TagNewSecurityGroups", ["ec2:CreateTags"], security_groups,
               StringEquals={"ec2:CreateAction": "CreateSecurityGroup",
                             request_tag: scope.cluster_name},
               Null={request_tag: "false"}),
        allow("TagOwnSecurityGroups", ["ec2:CreateTags", "ec2:DeleteTags"], security_groups,
               **owned_and_tag_kept),
        allow("ManageOwnSecurityGroups", [
            "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
            "ec2:DeleteSecurityGroup",
        ], "*", **owned),
        allow("CreateLoadBalancers", [
            "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
        ], "*", **tagged_request),
        allow("ListenersAndRules", [
            "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule",
        ], "*"),
        allow("TagOwnLoadBalancers", [
            "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
        ], load_balancers_and_groups, **owned_and_tag_kept),
        allow("TagListenersAndRules", [
            "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
        ], listeners_and_rules),
        allow("ManageOwnLoadBalancers", [
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:SetIpAddressType", "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets", "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:ModifyListenerAttributes",
            "elasticloadbalancing:ModifyCapacityReservation",
            "elasticloadbalancing:ModifyIpPools",
        ], "*", **owned),
        allow("TagOnCreate", ["elasticloadbalancing:AddTags"], load_balancers_and_groups,
               StringEquals={"elasticloadbalancing:CreateAction": ["CreateTargetGroup",
                                                                   "CreateLoadBalancer"],
                             request_tag: scope.cluster_name},
               Null={request_tag: "false"}),
        allow("Targets", [
            "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
        ], f"{elb}:targetgroup/*/*"),
        allow("ListenerSettings", [
            "elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:AddListenerCertificates",
            "elasticloadbalancing:RemoveListenerCertificates", "elasticloadbalancing:ModifyRule",
            "elasticloadbalancing:SetRulePriorities",
        ], "*"),
    )


def _hosted_zones(scope: PolicyScope) -> list[str]:
    return [f"arn:{scope.partition}:route53:::hostedzone/{zone}" for zone in scope.dns_zone_ids]


def external_dns_policy(scope: PolicyScope) -> dict:
    """Records change only in the listed zones; listing the zones is account-wide in Route 53."""
    return document(
        allow("ChangeRecords", [
            "route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets",
        ], _hosted_zones(scope)),
        allow("ReadZones", ["route53:ListHostedZones", "route53:ListTagsForResources"], "*"),
    )


def cert_manager_policy(scope: PolicyScope) -> dict:
    """DNS-01 challenges through Route 53, in the listed zones only."""
    return document(
        allow("ReadChanges", ["route53:GetChange"], f"arn:{scope.partition}:route53:::change/*"),
        allow("ChangeRecords", [
            "route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets",
        ], _hosted_zones(scope)),
        allow("FindZones", ["route53:ListHostedZonesByName"], "*"),
    )


def cluster_autoscaler_policy(scope: PolicyScope) -> dict:
    """Scaling writes only on Auto Scaling groups EKS tagged as owned by this cluster."""
    return document(
        allow("Describe", [
            "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
            "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
            "autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
            "ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements",
            "eks:DescribeNodegroup",
        ], "*"),
        allow("ScaleOwnGroups", [
            "autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup",
        ], "*", StringEquals={
            f"aws:ResourceTag/k8s.io/cluster-autoscaler/{scope.cluster_name}": "owned",
        }),
    )


def external_secrets_policy(scope: PolicyScope) -> dict:
    """Read-only, and only secrets and parameters under the cluster's own `<cluster>/` path."""
    region_account = f"{scope.region}:{scope.account_id}"
    return document(
        allow("ReadClusterSecrets", [
            "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
            "secretsmanager:ListSecretVersionIds",
        ], f"arn:{scope.partition}:secretsmanager:{region_account}:secret:{scope.cluster_name}/*"),
        allow("ReadClusterParameters", [
            "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
        ], f"arn:{scope.partition}:ssm:{region_account}:parameter/{scope.cluster_name}/*"),
    )


def karpenter_names(scope: PolicyScope) -> tuple[str, str]:
    """The name prefixes of Karpenter's node role and interruption queue in this cluster: the
    controller policy is scoped to them, and components/aws/karpenter.py creates them with these
    prefixes."""
    return (naming.iam_role_prefix(scope.cluster_name, "karpenter-node"),
            naming.iam_role_prefix(scope.cluster_name, "karpenter"))


def karpenter_policy(scope: PolicyScope) -> dict:
    """Karpenter 1.14's controller policy (its getting-started CloudFormation at v1.14.1, the
    NodeLifecycle, IAMIntegration, EKSIntegration, Interruption, ZonalShift and ResourceDiscovery
    policies), statement for statement, as one document.

    Instances, fleets, launch templates and their tags are created only with this cluster's
    ownership tag and a NodePool tag, and changed or deleted only where those tags are present;
    instance profiles likewise with the EC2NodeClass tag. PassRole reaches only this cluster's
    Karpenter node role, and the queue only this cluster's interruption queue.
    """
    arn = f"arn:{scope.partition}"
    cluster = scope.cluster_name
    region_account = f"{scope.region}:{scope.account_id}"
    node_role, queue = karpenter_names(scope)
    owned = f"kubernetes.io/cluster/{cluster}"
    request_owned = {f"aws:RequestTag/{owned}": "owned", "aws:RequestTag/eks:eks-cluster-name":
                     cluster}
    resource_owned = {f"aws:ResourceTag/{owned}": "owned"}
    nodepool_request = {"aws:RequestTag/karpenter.sh/nodepool": "*"}
    nodepool_resource = {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
    profile_request = {f"aws:RequestTag/{owned}": "owned",
                       "aws:RequestTag/eks:eks-cluster-name": cluster,
                       "aws:RequestTag/topology.kubernetes.io/region": scope.region}
    profile_resource = {f"aws:ResourceTag/{owned}": "owned",
                        "aws:ResourceTag/topology.kubernetes.io/region": scope.region}
    ec2 = f"{arn}:ec2:{scope.region}"
    created = [f"{ec2}:*:{kind}/*" for kind in ("fleet", "instance", "volume", "network-interface",
                                                 "launch-template", "spot-instances-request")]
    return document(
        allow("AllowScopedEC2InstanceAccessActions", ["ec2:RunInstances", "ec2:CreateFleet"],
              [f"{ec2}::image/*", f"{ec2}::snapshot/*", f"{ec2}:*:security-group/*",
               f"{ec2}:*:subnet/*", f"{ec2}:*:capacity-reservation/*",
               f"{ec2}:*:placement-group/*"]),
        allow("AllowScopedEC2LaunchTemplateAccessActions", ["ec2:RunInstances", "ec2:CreateFleet"],
              f"{ec2}:*:launch-template/*", StringEquals=resource_owned,
              StringLike=nodepool_resource),
        allow("AllowScopedEC2InstanceActionsWithTags",
              ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"], created,
              StringEquals=request_owned, StringLike=nodepool_request),
        allow("AllowScopedResourceCreationTagging", ["ec2:CreateTags"], created,
              StringEquals={**request_owned, "ec2:CreateAction": [
                  "RunInstances", "CreateFleet", "CreateLaunchTemplate"]},
              StringLike=nodepool_request),
        allow("AllowScopedResourceTagging", ["ec2:CreateTags"], f"{ec2}:*:instance/*",
              StringEquals=resource_owned, StringLike=nodepool_resource,
              StringEqualsIfExists={"aws:RequestTag/eks:eks-cluster-name": cluster},
              **{"ForAllValues:StringEquals": {"aws:TagKeys": [
                  "eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]}}),
        allow("AllowScopedDeletion", ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
              [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
              StringEquals=resource_owned, StringLike=nodepool_resource),
        allow("AllowPassingInstanceRole", ["iam:PassRole"],
              f"{arn}:iam::{scope.account_id}:role/{node_role}*",
              StringEquals={"iam:PassedToService": ["ec2.amazonaws.com",
                                                    "ec2.amazonaws.com.cn"]}),
        allow("AllowScopedInstanceProfileCreationActions", ["iam:CreateInstanceProfile"],
              f"{arn}:iam::{scope.account_id}:instance-profile/*",
              StringEquals=profile_request,
              StringLike={"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"}),
        allow("AllowScopedInstanceProfileTagActions", ["iam:TagInstanceProfile"],
              f"{arn}:iam::{scope.account_id}:instance-profile/*",
              StringEquals={**profile_resource, **profile_request},
              StringLike={"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                          "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"}),
        allow("AllowScopedInstanceProfileActions",
              ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
               "iam:DeleteInstanceProfile"],
              f"{arn}:iam::{scope.account_id}:instance-profile/*",
              StringEquals=profile_resource,
              StringLike={"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}),
        allow("AllowAPIServerEndpointDiscovery", ["eks:DescribeCluster"],
              f"{arn}:eks:{region_account}:cluster/{cluster}"),
        allow("AllowInterruptionQueueActions",
              ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
              f"{arn}:sqs:{region_account}:{queue}*"),
        allow("AllowZonalShiftRead", ["arc-zonal-shift:GetManagedResource"], "*",
              StringEquals={"arc-zonal-shift:ResourceIdentifier":
                            f"{arn}:eks:{region_account}:cluster/{cluster}"}),
        allow("AllowRegionalReadActions", [
            "ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances",
            "ec2:DescribeInstanceStatus", "ec2:DescribeInstanceTypeOfferings",
            "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates",
            "ec2:DescribePlacementGroups", "ec2:DescribeSecurityGroups",
            "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets"], "*",
              StringEquals={"aws:RequestedRegion": scope.region}),
        allow("AllowSSMReadActions", ["ssm:GetParameter"],
              f"{arn}:ssm:{scope.region}::parameter/aws/service/*"),
        allow("AllowPricingReadActions", ["pricing:GetProducts"], "*"),
        allow("AllowInstanceProfileReadActions",
              ["iam:ListInstanceProfiles", "iam:GetInstanceProfile"], "*"),
    )


# Add-on name to its policy; exactly the catalog's add-ons that call AWS (tested).
POLICIES: Mapping[str, PolicyBuilder] = {
    "aws-load-balancer-controller": load_balancer_controller_policy,
    "external-dns": external_dns_policy,
    "cluster-autoscaler": cluster_autoscaler_policy,
    "cert-manager": cert_manager_policy,
    "external-secrets": external_secrets_policy,
    "karpenter": karpenter_policy,
}


def inline_policy_sizes(addons: Sequence[str], *, cluster_name: str, partition: str, region: str,
                        dns_zone_ids: Sequence[str]) -> dict[str, int]:
    """The size IAM counts for the inline policy of each of `addons` that has one: characters
    outside whitespace (IAM quotas). Account ids are always 12 digits, so any will do."""
    scope = PolicyScope(partition, region, "0" * 12, cluster_name, tuple(dns_zone_ids))
    return {name: len(json.dumps(POLICIES[name](scope), separators=(",", ":")))
            for name in addons if name in POLICIES}
