"""Workload identity: an IAM role that exactly one Kubernetes service account of one cluster
assumes, through EKS Pod Identity (the default) or IRSA.

- Pod Identity: the role trusts the EKS Auth service (`pods.eks.amazonaws.com`, `sts:AssumeRole`
  and `sts:TagSession`), conditioned on the session tags EKS sets for the pod: the cluster's ARN
  (which names the account), the namespace and the service account (EKS user guide, "Create IAM
  role with trust policy required by EKS Pod Identity" and "Grant pods access to AWS resources
  based on tags"). One PodIdentityAssociation binds the role to that service account; nothing is
  annotated on the service account.
- IRSA: the role trusts the cluster's OIDC provider for tokens of that service account minted for
  STS; the tree annotates the service account with the role's ARN (the bridge's
  `<addon>_service_account_annotations`).
"""

import functools
import json
from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components.aws.iam import document
from components.common import naming
from components.common.ordering import after

POD_IDENTITY = "podIdentity"
IRSA = "irsa"
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"


# One service account, or several of one namespace that share a role (a hub engine's controllers,
# components/aws/fleet.py). IAM reads a list of values in a condition as any one of them.
ServiceAccounts = str | tuple[str, ...]


def _value(service_account: ServiceAccounts, spell: str = "{}") -> str | list[str]:
    if isinstance(service_account, str):
        return spell.format(service_account)
    return [spell.format(account) for account in service_account]


def pod_identity_trust_policy(cluster_arn: str, namespace: str,
                              service_account: ServiceAccounts) -> dict:
    """Trust of the EKS Auth service for the service account(s) of one cluster."""
    return document({
        "Effect": "Allow",
        "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {
            "aws:RequestTag/eks-cluster-arn": cluster_arn,
            "aws:RequestTag/kubernetes-namespace": namespace,
            "aws:RequestTag/kubernetes-service-account": _value(service_account),
        }},
    })


def irsa_trust_policy(oidc_provider_arn: str, issuer_url: str, namespace: str,
                      service_account: ServiceAccounts) -> dict:
    """Trust for exactly the service account(s), and only for tokens minted for STS."""
    issuer = issuer_url.removeprefix("https://")
    return document({
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            f"{issuer}:sub": _value(service_account, f"system:serviceaccount:{namespace}:{{}}"),
            f"{issuer}:aud": "sts.amazonaws.com",
        }},
    })


class WorkloadIdentityArgs(TypedDict):
    """How the roles of one cluster's service accounts are trusted and bound."""

    mode: str
    """podIdentity (default) or irsa."""
    cluster_name: pulumi.Input[str]
    """The cluster whose service accounts assume the roles."""
    cluster_arn: pulumi.Input[str]
    """The cluster's ARN, which Pod Identity's trust is conditioned on."""
    oidc_provider_arn: NotRequired[pulumi.Input[str]]
    """ARN of the cluster's IAM OIDC provider (IRSA)."""
    oidc_issuer_url: NotRequired[pulumi.Input[str]]
    """The cluster's OIDC issuer URL (IRSA)."""


def _trust(mode: str, namespace: str, service_account: ServiceAccounts, values: list[str]) -> str:
    if mode == POD_IDENTITY:
        return json.dumps(pod_identity_trust_policy(values[0], namespace, service_account))
    return json.dumps(irsa_trust_policy(values[0], values[1], namespace, service_account))


def trust_policy(identity: WorkloadIdentityArgs, namespace: str,
                 service_account: ServiceAccounts) -> pulumi.Output[str]:
    """The role's trust document for `identity`'s mode."""
    mode = identity["mode"]
    inputs = ([identity["cluster_arn"]] if mode == POD_IDENTITY
              else [identity["oidc_provider_arn"], identity["oidc_issuer_url"]])
    return pulumi.Output.all(*inputs).apply(
        lambda values: _trust(mode, namespace, service_account, values))


def _role_prefix(purpose: str, cluster_name: str) -> str:
    return naming.iam_role_prefix(cluster_name, purpose)


def service_account_role(name: str, identity: WorkloadIdentityArgs, purpose: str, namespace: str,
                         service_account: ServiceAccounts, description: str,
                         tags: Mapping[str, str] | None, parent: pulumi.Resource) -> aws.iam.Role:
    """A role named `<cluster>-<purpose>-...` that exactly `namespace/service_account` of the
    cluster may assume (each of them, given several); `bind` it to each once its policy is
    attached."""
    accounts = _value(service_account)
    shown = accounts if isinstance(accounts, str) else ", ".join(accounts)
    return aws.iam.Role(
        name,
        name_prefix=pulumi.Output.from_input(identity["cluster_name"]).apply(
            functools.partial(_role_prefix, purpose)),
        description=f"{description} ({namespace}/{shown})",
        assume_role_policy=trust_policy(identity, namespace, service_account),
        tags=dict(tags or {}),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def bind(name: str, identity: WorkloadIdentityArgs, role: aws.iam.Role, namespace: str,
         service_account: str, ready: pulumi.Input[str], tags: Mapping[str, str] | None,
         parent: pulumi.Resource) -> pulumi.Output[str]:
    """The role's ARN, resolving once `ready` (its policy) has and, with Pod Identity, once its
    one association exists: whatever takes the ARN (the bridge, an EKS add-on) is created after
    the binding and, on destroy, deleted before it."""
    if identity["mode"] != POD_IDENTITY:
        return after(role.arn, ready)
    association = aws.eks.PodIdentityAssociation(
        name,
        cluster_name=identity["cluster_name"],
        namespace=namespace,
        service_account=service_account,
        role_arn=role.arn,
        tags=dict(tags or {}),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return after(role.arn, ready, association.association_id)
