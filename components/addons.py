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


PolicyBuilder = Callable[[PolicyScope], dict]


@dataclass(frozen=True)
class Addon:
    name: str
    namespace: str
    service_account: str
    # Short, stable word used in IAM role names, which are limited to 64 characters.
    role_purpose: str = ""
    policy: PolicyBuilder | None = None


def _document(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(sid: str, actions: list[str], resources: list[str] | str, **condition: dict) -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def _cluster_tag(scope: PolicyScope) -> str:
    return f"aws:ResourceTag/kubernetes.io/cluster/{scope.cluster_name}"


def load_balancer_controller_policy(scope: PolicyScope) -> dict:
    """The controller's documented policy, with writes limited to resources tagged for this
    cluster's controller (`elbv2.k8s.aws/cluster`)."""
    owned = {"StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": scope.cluster_name}}
    return _document(
        _allow("Describe", [
            "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses",
            "ec2:DescribeAvailabilityZones", "ec2:DescribeInternetGateways", "ec2:DescribeVpcs",
            "ec2:DescribeVpcPeeringConnections", "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
            "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage",
            "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools",
            "ec2:DescribeRouteTables", "elasticloadbalancing:Describe*",
            "acm:ListCertificates", "acm:DescribeCertificate", "iam:ListServerCertificates",
            "iam:GetServerCertificate", "cognito-idp:DescribeUserPoolClient",
            "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource",
            "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "shield:GetSubscriptionState",
            "shield:DescribeProtection",
        ], "*"),
        _allow("ServiceLinkedRole", ["iam:CreateServiceLinkedRole"], "*",
               StringEquals={"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}),
        _allow("CreateSecurityGroups", ["ec2:CreateSecurityGroup"], "*"),
        _allow("TagNewSecurityGroups", ["ec2:CreateTags"],
               f"arn:{scope.partition}:ec2:*:*:security-group/*",
               StringEquals={"ec2:CreateAction": "CreateSecurityGroup"}),
        _allow("ManageOwnSecurityGroups", [
            "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
            "ec2:DeleteSecurityGroup", "ec2:CreateTags", "ec2:DeleteTags",
        ], "*", **owned),
        _allow("CreateLoadBalancers", [
            "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
        ], "*", StringEquals={"aws:RequestTag/elbv2.k8s.aws/cluster": scope.cluster_name}),
        _allow("ListenersAndRules", [
            "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule",
        ], "*"),
        _allow("TagLoadBalancers", [
            "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
        ], [
            f"arn:{scope.partition}:elasticloadbalancing:*:*:targetgroup/*/*",
            f"arn:{scope.partition}:elasticloadbalancing:*:*:loadbalancer/net/*/*",
            f"arn:{scope.partition}:elasticloadbalancing:*:*:loadbalancer/app/*/*",
        ]),
        _allow("ManageOwnLoadBalancers", [
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:SetIpAddressType", "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets", "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:DeleteTargetGroup",
        ], "*", **owned),
        _allow("Targets", [
            "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
        ], f"arn:{scope.partition}:elasticloadbalancing:*:*:targetgroup/*/*"),
        _allow("ListenerSettings", [
            "elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:AddListenerCertificates",
            "elasticloadbalancing:RemoveListenerCertificates", "elasticloadbalancing:ModifyRule",
            "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
            "shield:CreateProtection", "shield:DeleteProtection",
        ], "*"),
    )


def external_dns_policy(scope: PolicyScope) -> dict:
    return _document(
        _allow("ChangeRecords", ["route53:ChangeResourceRecordSets"],
               f"arn:{scope.partition}:route53:::hostedzone/*"),
        _allow("ReadZones", [
            "route53:ListHostedZones", "route53:ListResourceRecordSets",
            "route53:ListTagsForResources",
        ], "*"),
    )


def cert_manager_policy(scope: PolicyScope) -> dict:
    """DNS-01 challenges through Route 53."""
    return _document(
        _allow("ReadChanges", ["route53:GetChange"], f"arn:{scope.partition}:route53:::change/*"),
        _allow("ChangeRecords", [
            "route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets",
        ], f"arn:{scope.partition}:route53:::hostedzone/*"),
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
        Addon("external-dns", "external-dns", "external-dns", "dns", external_dns_policy),
        Addon("cluster-autoscaler", "kube-system", "cluster-autoscaler", "autoscaler",
              cluster_autoscaler_policy),
        Addon("cert-manager", "cert-manager", "cert-manager", "certs", cert_manager_policy),
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
                        args.partition, args.region, args.account_id, cluster)))),
                opts=pulumi.ResourceOptions(parent=self),
            )
            # The ARN resolves only once the policy is attached, so whatever reads it (the GitOps
            # bridge) is created after the policy and, on destroy, deleted before it: the add-on
            # keeps its permissions while it cleans up, e.g. deletes its load balancers.
            self.role_arns[addon.name] = pulumi.Output.all(role.arn, policy.id).apply(
                lambda values: values[0])
        self.register_outputs({"roleArns": self.role_arns})
