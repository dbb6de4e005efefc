"""AddonRoles: an IAM role for each enabled add-on that calls AWS, trusted by exactly that add-on's
service account (Pod Identity or IRSA, workload_identity.py), with the add-on's least-privilege
policy (addon_policies.py)."""

import functools
import json
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components.aws.addon_policies import POLICIES, PolicyBuilder, PolicyScope
from components.aws.workload_identity import WorkloadIdentityArgs, bind, service_account_role
from components.common.catalog import CATALOG
from components.common.renames import renamed_from

TYPE = "groundwork:index:AddonRoles"


def _policy_document(build: PolicyBuilder, partition: str, region: str, account_id: str,
                     zone_ids: tuple[str, ...], cluster_name: str) -> str:
    return json.dumps(build(PolicyScope(partition, region, account_id, cluster_name, zone_ids)))


class AddonRolesArgs(TypedDict):
    """Inputs of AddonRoles."""

    addons: list[str]
    """Enabled add-ons from the catalog; those that call AWS get a role."""
    cluster_name: pulumi.Input[str]
    """The cluster the roles belong to; policies are scoped to it."""
    identity: WorkloadIdentityArgs
    """How each role is trusted by, and bound to, its add-on's service account."""
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
    """One role with an inline least-privilege policy for each enabled add-on that calls AWS,
    bound to the add-on's service account."""

    role_arns: dict[str, pulumi.Output[str]]
    """Add-on name to role ARN. Each ARN resolves only once the role's policy is attached and,
    with Pod Identity, its association exists."""

    def __init__(self, name: str, args: AddonRolesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, renamed_from("groundwork:addons:AddonRoles", opts))
        self.role_arns = {}
        zone_ids = tuple(args.get("dns_zone_ids") or ())
        for addon in (CATALOG[n] for n in args["addons"]):
            policy_of = POLICIES.get(addon.name)
            if policy_of is None:
                continue
            role = service_account_role(
                f"{name}-{addon.name}", args["identity"], addon.role_purpose, addon.namespace,
                addon.service_account, f"Role of {addon.name}", args.get("tags"), self)
            policy = aws.iam.RolePolicy(
                f"{name}-{addon.name}",
                role=role.id,
                policy=pulumi.Output.from_input(args["cluster_name"]).apply(functools.partial(
                    _policy_document, policy_of, args["partition"], args["region"],
                    args["account_id"], zone_ids)),
                opts=pulumi.ResourceOptions(parent=self),
            )
            # The ARN resolves only once the role is usable, so whatever reads it (the GitOps
            # bridge) is created after the policy and binding and, on destroy, deleted before
            # them: the add-on keeps its permissions while it cleans up, e.g. deletes its load
            # balancers.
            self.role_arns[addon.name] = bind(
                f"{name}-{addon.name}", args["identity"], role, addon.namespace,
                addon.service_account, policy.id, args.get("tags"), self)
        self.register_outputs({"roleArns": self.role_arns})
