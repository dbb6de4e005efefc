"""Least-privilege IAM policies of the catalog's add-ons that call AWS, scoped to the cluster
where the AWS API allows it."""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from components.aws.iam import allow, document


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


# Add-on name to its policy; exactly the catalog's add-ons that call AWS (tested).
POLICIES: Mapping[str, PolicyBuilder] = {
    "aws-load-balancer-controller": load_balancer_controller_policy,
    "external-dns": external_dns_policy,
    "cluster-autoscaler": cluster_autoscaler_policy,
    "cert-manager": cert_manager_policy,
    "external-secrets": external_secrets_policy,
}


def inline_policy_sizes(addons: Sequence[str], *, cluster_name: str, partition: str, region: str,
                        dns_zone_ids: Sequence[str]) -> dict[str, int]:
    """The size IAM counts for the inline policy of each of `addons` that has one: characters
    outside whitespace (IAM quotas). Account ids are always 12 digits, so any will do."""
    scope = PolicyScope(partition, region, "0" * 12, cluster_name, tuple(dns_zone_ids))
    return {name: len(json.dumps(POLICIES[name](scope), separators=(",", ":")))
            for name in addons if name in POLICIES}
