"""AddonRoles: an IAM role for each enabled add-on that calls AWS, trusted by exactly that add-on's
service account (IRSA), with the add-on's least-privilege policy (addon_policies.py)."""

import functools
import json
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components.aws.addon_policies import POLICIES, PolicyBuilder, PolicyScope
from components.aws.iam import document
from components.common import naming
from components.common.catalog import CATALOG, Addon
from components.common.ordering import after
from components.common.renames import renamed_from

TYPE = "groundwork:index:AddonRoles"


def irsa_trust_policy(oidc_provider_arn: str, issuer_url: str, namespace: str,
                      service_account: str) -> dict:
    """Trust for exactly one service account, and only for tokens minted for STS."""
    issuer = issuer_url.removeprefix("https://")
    return document({
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
            f"{issuer}:aud": "sts.amazonaws.com",
        }},
    })


def _trust_document(addon: Addon, values: list[str]) -> str:
    return json.dumps(irsa_trust_policy(values[0], values[1], addon.namespace,
                                        addon.service_account))


def _policy_document(build: PolicyBuilder, partition: str, region: str, account_id: str,
                     zone_ids: tuple[str, ...], cluster_name: str) -> str:
    return json.dumps(build(PolicyScope(partition, region, account_id, cluster_name, zone_ids)))


def _role_prefix(addon: Addon, cluster_name: str) -> str:
    return naming.iam_role_prefix(cluster_name, addon.role_purpose)


class AddonRolesArgs(TypedDict):
    """Inputs of AddonRoles."""

    addons: list[str]
    """Enabled add-ons from the catalog; those that call AWS get a role."""
    cluster_name: pulumi.Input[str]
    """The cluster the roles belong to; policies are scoped to it."""
    oidc_provider_arn: pulumi.Input[str]
    """ARN of the cluster's IAM OIDC provider."""
    oidc_issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer URL."""
    partition: str
    """AWS partition, e.g. aws."""
    region: str
    """AWS region of the cluster."""
    account_id: str
    """AWS account id of the cluster."""
    dns_zone_ids: NotRequired[list[str]]
    """Route 53 hosted zones external-dns and cert-manager may change."""
    tags: NotRequired[dict[str, str]]
    """Tags for every role."""


class AddonRoles(pulumi.ComponentResource):
    """One IRSA role with an inline least-privilege policy for each enabled add-on that calls
    AWS."""

    role_arns: dict[str, pulumi.Output[str]]
    """Add-on name to role ARN. Each ARN resolves only once the role's policy is attached."""

    def __init__(self, name: str, args: AddonRolesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, renamed_from("groundwork:addons:AddonRoles", opts))
        self.role_arns = {}
        zone_ids = tuple(args.get("dns_zone_ids") or ())
        for addon in (CATALOG[n] for n in args["addons"]):
            policy_of = POLICIES.get(addon.name)
            if policy_of is None:
                continue
            trust = pulumi.Output.all(args["oidc_provider_arn"], args["oidc_issuer_url"]).apply(
                functools.partial(_trust_document, addon))
            role = aws.iam.Role(
                f"{name}-{addon.name}",
                name_prefix=pulumi.Output.from_input(args["cluster_name"]).apply(
                    functools.partial(_role_prefix, addon)),
                description=(f"IRSA role of {addon.name} "
                             f"({addon.namespace}/{addon.service_account})"),
                assume_role_policy=trust,
                tags=args.get("tags"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            policy = aws.iam.RolePolicy(
                f"{name}-{addon.name}",
                role=role.id,
                policy=pulumi.Output.from_input(args["cluster_name"]).apply(functools.partial(
                    _policy_document, policy_of, args["partition"], args["region"],
                    args["account_id"], zone_ids)),
                opts=pulumi.ResourceOptions(parent=self),
            )
            # The ARN resolves only once the policy is attached, so whatever reads it (the GitOps
            # bridge) is created after the policy and, on destroy, deleted before it: the add-on
            # keeps its permissions while it cleans up, e.g. deletes its load balancers.
            self.role_arns[addon.name] = after(role.arn, policy.id)
        self.register_outputs({"roleArns": self.role_arns})
