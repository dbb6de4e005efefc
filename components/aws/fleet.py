"""Fleet access on AWS: how a hub's engine reaches its spokes, and who may register spokes.

- `FleetHub`, on the hub: one IAM role the engine's controllers run as (Pod Identity or IRSA,
  workload_identity.py), exported so every spoke can grant it access; and for each registrar an
  access entry whose only rights are those the hub's RBAC gives its Kubernetes group
  (components/gitops/fleet.py: the registration objects in the engine's namespace).
- `SpokeAccess`, on a spoke: an access entry on the spoke's cluster for the hub's role or, across
  accounts under Argo CD, for a role of the spoke's account that the hub's role assumes
  (`spoke_trust_policy`). Flux cannot assume a role from a registration (its kubeConfig
  ConfigMap has no role key), so across accounts the spoke grants the hub's role itself a
  STANDARD access entry, which EKS allows for a principal of another account (EKS user guide,
  grant-k8s-access: "If the type is STANDARD, the ARN can be in the same, or different, AWS
  account").

Nothing on the hub grows with the spokes: a spoke's access lives in the spoke's stack.
"""

import json
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components.aws.cluster import access_policy_arn, grant_access
from components.aws.iam import allow, document
from components.aws.workload_identity import WorkloadIdentityArgs, bind, service_account_role
from components.common import naming
from components.common.ordering import after

HUB_TYPE = "groundwork:index:FleetHub"
SPOKE_TYPE = "groundwork:index:SpokeAccess"
# Per-spoke roles live under this IAM path, so the hub's role can be allowed to assume exactly
# them, in any account, without naming a spoke.
SPOKE_ROLE_PATH = "/groundwork-fleet/"
# The hub's engine installs add-ons on a spoke: CRDs, ClusterRoles, Namespaces, webhooks. That is
# cluster-admin, which the engine also holds on its own cluster; no narrower EKS access policy
# (AmazonEKSAdminPolicy has no cluster-scoped RBAC or CRDs) lets it do its job.
SPOKE_ACCESS_POLICY = "AmazonEKSClusterAdminPolicy"


def fleet_role_policy(partition: str) -> dict:
    """What the hub's role needs beside its access entries: assume the per-spoke roles (their
    trust decides which spoke lets it in). No eks:DescribeCluster: every registration carries the
    spoke's endpoint and CA, so neither engine looks the cluster up (Flux's aws provider calls it
    only when `address` or `ca.crt` is missing: fluxcd/pkg auth/aws/provider.go NewRESTConfig)."""
    return document(
        allow("AssumeSpokeRoles", ["sts:AssumeRole"],
              f"arn:{partition}:iam::*:role{SPOKE_ROLE_PATH}*"),
    )


def spoke_trust_policy(partition: str, hub_account_id: str, hub_role_arn: str) -> dict:
    """Trust of a spoke's role: the hub's account, and in it only the hub's role.

    The principal is the account and the role is named in an `aws:PrincipalArn` condition, so
    the hub's account must allow the assumption too (the role's `fleet_role_policy`): both
    accounts consent. No ExternalId: it guards a third party that assumes roles for many
    customers against the confused deputy (IAM user guide, "Access to AWS accounts owned by
    third parties"), whereas here the caller is the fleet's own hub, and Argo CD's awsAuthConfig
    cannot send one (it takes clusterName, roleARN and profile only)."""
    return document({
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{hub_account_id}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"ArnEquals": {"aws:PrincipalArn": hub_role_arn}},
    })


class FleetHubArgs(TypedDict):
    """Inputs of FleetHub."""

    identity: WorkloadIdentityArgs
    """How the hub's role is trusted by, and bound to, the engine's service accounts."""
    namespace: str
    """The engine's namespace, e.g. argocd or flux-system."""
    service_accounts: list[str]
    """The engine's controllers that reach spokes, e.g. argocd-application-controller."""
    partition: str
    """AWS partition, e.g. aws."""
    registrar_role_arns: NotRequired[list[str]]
    """IAM roles that may register spokes (their deployers): each gets an access entry in
    `registrar_group` and nothing else."""
    registrar_group: NotRequired[str]
    """The Kubernetes group registrars join; the hub's RBAC binds what they may do to it.
    Required with `registrar_role_arns`."""
    tags: NotRequired[dict[str, str]]
    """Tags for every resource."""


class FleetHub(pulumi.ComponentResource):
    """The hub's side of a fleet: the role its engine reaches spokes as, and registrars' access."""

    role_arn: pulumi.Output[str]
    """The role spokes grant access to, resolving once its policy is attached and it is bound to
    every service account."""

    def __init__(self, name: str, args: FleetHubArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(HUB_TYPE, name, None, opts)
        identity, namespace = args["identity"], args["namespace"]
        accounts = tuple(args["service_accounts"])
        tags = args.get("tags") or {}
        role = service_account_role(f"{name}-engine", identity, "fleet", namespace, accounts,
                                    "Role a hub's engine reaches its spokes as", tags, self)
        policy = aws.iam.RolePolicy(
            f"{name}-engine", role=role.id,
            policy=json.dumps(fleet_role_policy(args["partition"])),
            opts=pulumi.ResourceOptions(parent=self))
        self.role_arn = after(role.arn, [
            bind(f"{name}-engine-{account}", identity, role, namespace, account, policy.id, tags,
                 self) for account in accounts])
        registrars = args.get("registrar_role_arns") or []
        if registrars and not args.get("registrar_group"):
            raise ValueError("FleetHub: registrar_role_arns need a registrar_group")
        for index, arn in enumerate(registrars):
            grant_access(f"{name}-registrar-{index}", identity["cluster_name"], arn, tags, self,
                         kubernetes_groups=[args.get("registrar_group", "")])
        self.register_outputs({"roleArn": self.role_arn})


class SpokeAccessArgs(TypedDict):
    """Inputs of SpokeAccess."""

    cluster_name: pulumi.Input[str]
    """The spoke's cluster."""
    hub_role_arn: str
    """The role the hub's engine runs as (the hub's `fleetRoleArn` output)."""
    assume_role: bool
    """Grant access to a role of the spoke's account that the hub's role assumes, instead of to
    the hub's role itself: for a spoke in another account than the hub whose engine can assume
    roles (Argo CD), so that account owns the role the hub comes in as."""
    hub_account_id: str
    """The hub's AWS account id."""
    partition: str
    """AWS partition, e.g. aws."""
    tags: NotRequired[dict[str, str]]
    """Tags for every resource."""


class SpokeAccess(pulumi.ComponentResource):
    """The spoke's side of a fleet: cluster-admin for the hub's engine on the spoke's cluster."""

    principal_arn: pulumi.Output[str]
    """The role with access, resolving once its access entry and policy exist: a registration
    that takes it is created after the access and deleted before it."""
    assumed_role_arn: pulumi.Output[str]
    """The role the hub's engine assumes to reach the spoke; empty when it reaches it as itself."""

    def __init__(self, name: str, args: SpokeAccessArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(SPOKE_TYPE, name, None, opts)
        partition, tags = args["partition"], args.get("tags") or {}
        principal: pulumi.Output[str] = pulumi.Output.from_input(args["hub_role_arn"])
        self.assumed_role_arn = pulumi.Output.from_input("")
        if args["assume_role"]:
            role = aws.iam.Role(
                f"{name}-hub",
                name_prefix=pulumi.Output.from_input(args["cluster_name"]).apply(
                    lambda cluster: naming.iam_role_prefix(cluster, "hub")),
                path=SPOKE_ROLE_PATH,
                description="Role the fleet hub's engine assumes to reach this cluster",
                assume_role_policy=json.dumps(spoke_trust_policy(
                    partition, args["hub_account_id"], args["hub_role_arn"])),
                tags=tags, opts=pulumi.ResourceOptions(parent=self))
            principal = self.assumed_role_arn = role.arn
        access = grant_access(f"{name}-hub", args["cluster_name"], principal, tags, self,
                              policy_arn=access_policy_arn(partition, SPOKE_ACCESS_POLICY))
        self.principal_arn = after(principal, [resource.urn for resource in access])
        self.register_outputs({"principalArn": self.principal_arn,
                               "assumedRoleArn": self.assumed_role_arn})

