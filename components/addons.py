"""The catalog of GitOps-managed add-ons the cluster bridge supports, and their IRSA roles.

groundwork does not install these add-ons: the GitOps tree does, selected by the `enable_<addon>`
labels of the bridge. groundwork creates what only infrastructure can: an IAM role per add-on that
calls AWS, trusted by exactly that add-on's service account (IRSA), and passes its ARN across the
bridge. Policies are least privilege and scoped to the cluster where the AWS API allows it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import naming


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


@dataclass(frozen=True)
class Addon:
    name: str
    namespace: str
    service_account: str
    # Short, stable word used in IAM role names, which are limited to 64 characters.
    role_purpose: str = ""
    policy: PolicyBuilder | None = None
    # Its policy writes Route 53 records, so gitops.dnsZoneIds must name the zones.
    needs_dns_zones: bool = False


def _document(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(sid: str, actions: list[str], resources: list[str] | str, **condition: dict) -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


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
    return _document(
        _allow("ServiceLinkedRole", ["iam:CreateServiceLinkedRole"], "*",
               StringEquals={"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}),
        _allow("Describe", [
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
        _allow("CertificatesWafShield", [
            "cognito-idp:DescribeUserPoolClient", "acm:ListCertificates",
            "acm:DescribeCertificate", "iam:ListServerCertificates", "iam:GetServerCertificate",
            "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource",
            "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL",
            "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL",
            "wafv2:DisassociateWebACL", "shield:GetSubscriptionState",
            "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection",
        ], "*"),
        _allow("SecurityGroupIngress", [
            "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
        ], "*"),
        _allow("CreateSecurityGroups", ["ec2:CreateSecurityGroup"], "*"),
        _allow("TagNewSecurityGroups", ["ec2:CreateTags"], security_groups,
               StringEquals={"ec2:CreateAction": "CreateSecurityGroup",
                             request_tag: scope.cluster_name},
               Null={request_tag: "false"}),
        _allow("TagOwnSecurityGroups", ["ec2:CreateTags", "ec2:DeleteTags"], security_groups,
               **owned_and_tag_kept),
        _allow("ManageOwnSecurityGroups", [
            "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
            "ec2:DeleteSecurityGroup",
        ], "*", **owned),
        _allow("CreateLoadBalancers", [
            "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
        ], "*", **tagged_request),
        _allow("ListenersAndRules", [
            "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule",
        ], "*"),
        _allow("TagOwnLoadBalancers", [
            "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
        ], load_balancers_and_groups, **owned_and_tag_kept),
        _allow("TagListenersAndRules", [
            "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
        ], listeners_and_rules),
        _allow("ManageOwnLoadBalancers", [
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
        _allow("TagOnCreate", ["elasticloadbalancing:AddTags"], load_balancers_and_groups,
               StringEquals={"elasticloadbalancing:CreateAction": ["CreateTargetGroup",
                                                                   "CreateLoadBalancer"],
                             request_tag: scope.cluster_name},
               Null={request_tag: "false"}),
        _allow("Targets", [
            "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
        ], f"{elb}:targetgroup/*/*"),
        _allow("ListenerSettings", [
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
    return _document(
        _allow("ChangeRecords", [
            "route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets",
        ], _hosted_zones(scope)),
        _allow("ReadZones", ["route53:ListHostedZones", "route53:ListTagsForResources"], "*"),
    )


def cert_manager_policy(scope: PolicyScope) -> dict:
    """DNS-01 challenges through Route 53, in the listed zones only."""
    return _document(
        _allow("ReadChanges", ["route53:GetChange"], f"arn:{scope.partition}:route53:::change/*"),
        _allow("ChangeRecords", [
            "route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets",
        ], _hosted_zones(scope)),
        _allow("FindZones", ["route53:ListHostedZonesByName"], "*"),
    )


def cluster_autoscaler_policy(scope: PolicyScope) -> dict:
    """Scaling writes only on Auto Scaling groups EKS tagged as owned by this cluster."""
    return _document(
        _allow("Describe", [
            "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
            "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
            "autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
            "ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements",
            "eks:DescribeNodegroup",
        ], "*"),
        _allow("ScaleOwnGroups", [
            "autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup",
        ], "*", StringEquals={
            f"aws:ResourceTag/k8s.io/cluster-autoscaler/{scope.cluster_name}": "owned",
        }),
    )


def external_secrets_policy(scope: PolicyScope) -> dict:
    """Read-only, and only secrets and parameters under the cluster's own `<cluster>/` path."""
    region_account = f"{scope.region}:{scope.account_id}"
    return _document(
        _allow("ReadClusterSecrets", [
            "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
            "secretsmanager:ListSecretVersionIds",
        ], f"arn:{scope.partition}:secretsmanager:{region_account}:secret:{scope.cluster_name}/*"),
        _allow("ReadClusterParameters", [
            "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
        ], f"arn:{scope.partition}:ssm:{region_account}:parameter/{scope.cluster_name}/*"),
    )


CATALOG: Mapping[str, Addon] = {
    addon.name: addon
    for addon in (
        Addon("aws-load-balancer-controller", "kube-system", "aws-load-balancer-controller",
              "lbc", load_balancer_controller_policy),
        Addon("external-dns", "external-dns", "external-dns", "dns", external_dns_policy,
              needs_dns_zones=True),
        Addon("cluster-autoscaler", "kube-system", "cluster-autoscaler", "autoscaler",
              cluster_autoscaler_policy),
        Addon("cert-manager", "cert-manager", "cert-manager", "certs", cert_manager_policy,
              needs_dns_zones=True),
        Addon("external-secrets", "external-secrets", "external-secrets", "secrets",
              external_secrets_policy),
        Addon("metrics-server", "kube-system", "metrics-server"),
    )
}


def irsa_trust_policy(oidc_provider_arn: str, issuer_url: str, namespace: str,
                      service_account: str) -> dict:
    """Trust for exactly one service account, and only for tokens minted for STS."""
    issuer = issuer_url.removeprefix("https://")
    return _document({
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
            f"{issuer}:aud": "sts.amazonaws.com",
        }},
    })


@dataclass
class AddonRolesArgs:
    addons: tuple[str, ...]
    cluster_name: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    partition: str
    region: str
    account_id: str
    dns_zone_ids: tuple[str, ...] = ()
    tags: Mapping[str, str] | None = None


class AddonRoles(pulumi.ComponentResource):
    """One IRSA role with an inline least-privilege policy for each enabled add-on that calls
    AWS. `role_arns` maps add-on name to role ARN."""

    role_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AddonRolesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:addons:AddonRoles", name, None, opts)
        self.role_arns = {}
        for addon in (CATALOG[n] for n in args.addons):
            if addon.policy is None:
                continue
            trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer_url).apply(
                lambda values, a=addon: json.dumps(
                    irsa_trust_policy(values[0], values[1], a.namespace, a.service_account)))
            role = aws.iam.Role(
                f"{name}-{addon.name}",
                name_prefix=pulumi.Output.from_input(args.cluster_name).apply(
                    lambda cluster, a=addon: naming.iam_role_prefix(cluster, a.role_purpose)),
                description=f"IRSA role of {addon.name} ({addon.namespace}/{addon.service_account})",
                assume_role_policy=trust,
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            policy = aws.iam.RolePolicy(
                f"{name}-{addon.name}",
                role=role.id,
                policy=pulumi.Output.from_input(args.cluster_name).apply(
                    lambda cluster, a=addon: json.dumps(a.policy(PolicyScope(
                        args.partition, args.region, args.account_id, cluster,
                        args.dns_zone_ids)))),
                opts=pulumi.ResourceOptions(parent=self),
            )
            # The ARN resolves only once the policy is attached, so whatever reads it (the GitOps
            # bridge) is created after the policy and, on destroy, deleted before it: the add-on
            # keeps its permissions while it cleans up, e.g. deletes its load balancers.
            self.role_arns[addon.name] = pulumi.Output.all(role.arn, policy.id).apply(
                lambda values: values[0])
        self.register_outputs({"roleArns": self.role_arns})
