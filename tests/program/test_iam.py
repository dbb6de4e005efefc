"""Least privilege in every IAM document the program registers, in prod with every add-on of the
catalog enabled: no wildcard principal, no `*` action, each IRSA role trusted by exactly its
add-on's service account and only for STS tokens, and the bridge telling GitOps that same
service account."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import pytest
import yaml

from components.common.catalog import CATALOG
from tools.harness import ROOT

POLICY_INPUTS = {"aws:iam/role:Role": "assumeRolePolicy", "aws:iam/rolePolicy:RolePolicy": "policy",
                 "aws:iam/policy:Policy": "policy"}
BROAD_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
STS_AUDIENCE = "sts.amazonaws.com"


@pytest.fixture
def prod(run_stack):
    return run_stack("prod", gitops__addons=sorted(CATALOG))


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _documents(run) -> Iterable[tuple[str, dict]]:
    for resource in run.resources:
        key = POLICY_INPUTS.get(resource.type)
        if key is not None:
            yield f"{resource.type} {resource.name}", json.loads(resource.inputs[key])


def _principals(principal: Any) -> Iterable[str]:
    if isinstance(principal, dict):
        for value in principal.values():
            yield from _listed(value)
    else:
        yield principal


def test_every_policy_document_is_narrow(prod):
    documents = list(_documents(prod))
    roles = [name for name, _ in documents if name.startswith("aws:iam/role:Role")]
    assert len(roles) >= 2 + len([a for a in CATALOG.values() if a.calls_aws])
    for name, document in documents:
        assert document["Version"] == "2012-10-17", name
        for statement in document["Statement"]:
            assert not {"NotAction", "NotResource", "NotPrincipal"} & set(statement), name
            assert statement["Effect"] == "Allow", name
            actions = _listed(statement["Action"])
            assert "*" not in actions, name
            assert not [a for a in actions if a.endswith(":*")], name
            if "Principal" in statement:
                principals = list(_principals(statement["Principal"]))
                assert principals and not [p for p in principals if "*" in p], name
            else:
                assert statement["Resource"], name


def test_no_broad_managed_policy_is_attached(prod):
    attached = [r.inputs["policyArn"] for r in prod.by_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert attached
    assert not [arn for arn in attached if arn.rsplit("/", 1)[1] in BROAD_MANAGED_POLICIES]


def test_service_roles_trust_only_their_service(prod):
    services = {}
    for name, document in _documents(prod):
        for statement in document["Statement"]:
            principal = statement.get("Principal", {})
            if "Service" in principal:
                assert statement["Action"] == "sts:AssumeRole", name
                services[name] = principal["Service"]
    assert sorted(services.values()) == ["ec2.amazonaws.com", "eks.amazonaws.com"]


def test_irsa_roles_trust_exactly_their_service_account(prod):
    [provider] = prod.by_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["clientIdLists"] == [STS_AUDIENCE]
    issuer = provider.inputs["url"].removeprefix("https://")
    oidc_arn = prod.outputs["oidcProviderArn"].value
    trusted = {}
    for role in prod.by_type("aws:iam/role:Role"):
        document = json.loads(role.inputs["assumeRolePolicy"])
        federated = [s for s in document["Statement"] if "Federated" in s.get("Principal", {})]
        if not federated:
            continue
        [statement] = document["Statement"]
        assert statement["Principal"] == {"Federated": oidc_arn}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert set(statement["Condition"]) == {"StringEquals"}
        condition = statement["Condition"]["StringEquals"]
        assert condition == {f"{issuer}:sub": condition[f"{issuer}:sub"],
                             f"{issuer}:aud": STS_AUDIENCE}
        addon = CATALOG[role.name.removeprefix("addons-")]
        assert condition[f"{issuer}:sub"] == (
            f"system:serviceaccount:{addon.namespace}:{addon.service_account}")
        trusted[addon.name] = role
    assert set(trusted) == {a.name for a in CATALOG.values() if a.calls_aws}
    # The role ARN the stack reports belongs to the role that trusts that add-on.
    arns = prod.outputs["addonRoleArns"].value
    for name, role in trusted.items():
        assert arns[name].rsplit("/", 1)[1].startswith(role.inputs["namePrefix"])


@pytest.mark.parametrize("engine", ["argocd", "flux"])
def test_bridge_names_the_service_account_the_role_trusts(run_stack, engine):
    run = run_stack("prod", gitops__addons=sorted(CATALOG), gitops__engine=engine)
    bridge = {}
    for resource in (run.by_type("kubernetes:core/v1:Secret")
                     + run.by_type("kubernetes:core/v1:ConfigMap")):
        bridge.update(resource.inputs["metadata"].get("annotations") or {})
        bridge.update(resource.inputs.get("data") or {})
    arns = run.outputs["addonRoleArns"].value
    for addon in CATALOG.values():
        prefix = addon.name.replace("-", "_")
        assert bridge[f"{prefix}_namespace"] == addon.namespace
        assert bridge[f"{prefix}_service_account"] == addon.service_account
        if addon.calls_aws:
            assert bridge[f"{prefix}_iam_role_arn"] == arns[addon.name]
        else:
            assert f"{prefix}_iam_role_arn" not in bridge


# --- aws-load-balancer-controller: upstream v2.13 (chart 1.13.0), scoped to this cluster ---------

LBC_ACTIONS = sorted([
    "acm:DescribeCertificate", "acm:ListCertificates", "cognito-idp:DescribeUserPoolClient",
    "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateSecurityGroup", "ec2:CreateTags",
    "ec2:DeleteSecurityGroup", "ec2:DeleteTags", "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones", "ec2:DescribeCoipPools",
    "ec2:DescribeInstances", "ec2:DescribeInternetGateways", "ec2:DescribeIpamPools",
    "ec2:DescribeNetworkInterfaces", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets", "ec2:DescribeTags", "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeVpcs", "ec2:GetCoipPoolUsage", "ec2:GetSecurityGroupsForVpc",
    "ec2:RevokeSecurityGroupIngress", "elasticloadbalancing:AddListenerCertificates",
    "elasticloadbalancing:AddTags", "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteRule",
    "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:DescribeCapacityReservation",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeListenerCertificates", "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:ModifyCapacityReservation",
    "elasticloadbalancing:ModifyIpPools", "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyListenerAttributes",
    "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:RemoveListenerCertificates",
    "elasticloadbalancing:RemoveTags", "elasticloadbalancing:SetIpAddressType",
    "elasticloadbalancing:SetRulePriorities", "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetSubnets", "elasticloadbalancing:SetWebAcl",
    "iam:CreateServiceLinkedRole", "iam:GetServerCertificate", "iam:ListServerCertificates",
    "shield:CreateProtection", "shield:DeleteProtection", "shield:DescribeProtection",
    "shield:GetSubscriptionState", "waf-regional:AssociateWebACL",
    "waf-regional:DisassociateWebACL", "waf-regional:GetWebACL",
    "waf-regional:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
    "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
])
REQUEST_TAG = "aws:RequestTag/elbv2.k8s.aws/cluster"
RESOURCE_TAG = "aws:ResourceTag/elbv2.k8s.aws/cluster"
TAGGING = {"ec2:CreateTags", "ec2:DeleteTags", "elasticloadbalancing:AddTags",
           "elasticloadbalancing:RemoveTags"}
# Writes on what the controller created; upstream allows them only where its tag is.
OWNED_WRITES = {
    "ec2:DeleteSecurityGroup", "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:ModifyListenerAttributes",
    "elasticloadbalancing:ModifyCapacityReservation", "elasticloadbalancing:ModifyIpPools",
    "elasticloadbalancing:SetIpAddressType", "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetSubnets",
}
CREATES = {"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"}


def _policy_of(run, addon: str) -> list[dict]:
    [policy] = [r for r in run.by_type("aws:iam/rolePolicy:RolePolicy")
                if r.name == f"addons-{addon}"]
    return json.loads(policy.inputs["policy"])["Statement"]


def test_load_balancer_controller_is_granted_exactly_the_upstream_actions(prod):
    statements = _policy_of(prod, "aws-load-balancer-controller")
    granted = {action for s in statements for action in _listed(s["Action"])}
    assert sorted(granted) == LBC_ACTIONS
    # Backend rules on the node and cluster security groups, which the controller does not own.
    assert [s for s in statements if s.get("Condition") is None and s["Resource"] == "*"
            and set(_listed(s["Action"])) == {"ec2:AuthorizeSecurityGroupIngress",
                                              "ec2:RevokeSecurityGroupIngress"}]


def test_load_balancer_controller_writes_only_what_it_tagged_for_this_cluster(prod):
    cluster = prod.outputs["clusterName"].value
    statements = _policy_of(prod, "aws-load-balancer-controller")
    checked = set()
    for statement in statements:
        actions = set(_listed(statement["Action"]))
        resources = _listed(statement["Resource"])
        condition = statement.get("Condition", {})
        null, equals = condition.get("Null", {}), condition.get("StringEquals", {})
        if actions & OWNED_WRITES:
            assert (null.get(RESOURCE_TAG) == "false"
                    and equals.get(RESOURCE_TAG) == cluster), statement
            checked |= actions & OWNED_WRITES
        if actions & CREATES:
            assert (null.get(REQUEST_TAG) == "false"
                    and equals.get(REQUEST_TAG) == cluster), statement
            checked |= actions & CREATES
        if not actions & TAGGING:
            continue
        if all(re.search(r":listener(-rule)?/(app|net)/\*/\*/\*$", r) for r in resources):
            # Listeners and rules carry no ownership tag of their own.
            continue
        created = equals.get("ec2:CreateAction") or equals.get("elasticloadbalancing:CreateAction")
        if created:
            # Tagging while creating: the new resource must carry this cluster's tag.
            assert not actions - {"ec2:CreateTags", "elasticloadbalancing:AddTags"}, statement
            assert (null.get(REQUEST_TAG) == "false"
                    and equals.get(REQUEST_TAG) == cluster), statement
        else:
            # Retagging: only resources already this cluster's, and never the ownership tag.
            assert null == {REQUEST_TAG: "true", RESOURCE_TAG: "false"}, statement
            assert equals.get(RESOURCE_TAG) == cluster, statement
        checked.add(f"{'create' if created else 'retag'} {','.join(sorted(resources))}")
    assert checked >= OWNED_WRITES | CREATES
    # Tag-on-create and retagging, for security groups and for load balancers and target groups.
    assert len(checked - OWNED_WRITES - CREATES) == 4


# --- Route 53: only the listed hosted zones ----------------------------------------------------

DNS_ADDONS = ("external-dns", "cert-manager")
RECORD_ACTIONS = {"route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"}


@pytest.mark.parametrize("zones", [None, ["Z0123456789ABCDEFGHIJ", "Z1D633PJN98FT9"]],
                         ids=["prod-stack", "two-zones"])
def test_dns_addons_change_records_only_in_the_listed_zones(run_stack, zones):
    overrides = {} if zones is None else {"gitops__dnsZoneIds": zones}
    run = run_stack("prod", gitops__addons=sorted(CATALOG), **overrides)
    zones = zones or yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"][
        "groundwork:gitops"]["dnsZoneIds"]
    expected = sorted(f"arn:aws:route53:::hostedzone/{zone}" for zone in zones)
    for addon in DNS_ADDONS:
        statements = _policy_of(run, addon)
        scoped = [s for s in statements if set(_listed(s["Action"])) & RECORD_ACTIONS]
        assert {a for s in scoped for a in _listed(s["Action"])} == RECORD_ACTIONS, addon
        assert all(sorted(_listed(s["Resource"])) == expected for s in scoped), addon
        assert "hostedzone/*" not in json.dumps(statements), addon
