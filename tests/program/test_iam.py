"""Least privilege in every IAM document the program registers, in prod with every add-on of the
catalog enabled (those a compute mode conflicts with or brings itself aside), under each workload
identity: no wildcard principal outside a deny, no `*` action, each add-on role trusted by exactly
its add-on's service account (IRSA: only for STS tokens; Pod Identity: only this cluster's, through
exactly one association), and the bridge telling GitOps that same service account."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import pytest
import yaml

from components.common.catalog import CATALOG, COMPUTE_ADDONS, listable
from tools.harness import ROOT

POLICY_INPUTS = {"aws:iam/role:Role": "assumeRolePolicy", "aws:iam/rolePolicy:RolePolicy": "policy",
                 "aws:iam/policy:Policy": "policy"}
BROAD_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
STS_AUDIENCE = "sts.amazonaws.com"


# (compute, identity): between them every catalog add-on gets a role under each identity.
MODES = [("nodeGroups", "irsa"), ("karpenter", "podIdentity"), ("nodeGroups", "podIdentity"),
         ("karpenter", "irsa")]


def enabled(compute: str) -> set[str]:
    """The add-ons a stack with every listable add-on runs: those plus the compute mode's own."""
    return {*listable(compute), *([COMPUTE_ADDONS[compute]] if compute in COMPUTE_ADDONS else [])}


def run_mode(run_stack, compute: str, identity: str, **overrides):
    return run_stack("prod", gitops__addons=listable(compute), cluster__compute=compute,
                     cluster__workloadIdentity=identity, **overrides)


@pytest.fixture(params=MODES, ids=["-".join(mode) for mode in MODES])
def prod(run_stack, request):
    run = run_mode(run_stack, *request.param)
    run.mode = request.param
    return run


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
    assert len(roles) >= 2 + len([a for a in enabled(prod.mode[0]) if CATALOG[a].calls_aws])
    for name, document in documents:
        assert document["Version"] == "2012-10-17", name
        for statement in document["Statement"]:
            assert not {"NotAction", "NotResource", "NotPrincipal"} & set(statement), name
            if statement["Effect"] == "Deny":
                continue  # a deny only narrows (the interruption queue refuses plain HTTP)
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


# What each AWS service principal may do: assume a role, and for the EKS Auth service (Pod
# Identity) tag the session it takes.
SERVICE_ACTIONS = {"ec2.amazonaws.com": "sts:AssumeRole", "eks.amazonaws.com": "sts:AssumeRole",
                   "pods.eks.amazonaws.com": ["sts:AssumeRole", "sts:TagSession"]}


def test_service_roles_trust_only_their_service(prod):
    services = []
    for name, document in _documents(prod):
        for statement in document["Statement"]:
            principal = statement.get("Principal", {})
            if "Service" in principal and name.startswith("aws:iam/role:Role"):
                assert statement["Action"] == SERVICE_ACTIONS[principal["Service"]], name
                services.append(principal["Service"])
    expected = {"ec2.amazonaws.com", "eks.amazonaws.com"}
    if prod.mode[1] == "podIdentity":
        expected.add("pods.eks.amazonaws.com")
    assert set(services) == expected


def _addon_roles(run) -> dict[str, Any]:
    """Add-on name -> its role, for catalog add-ons and the EKS add-ons with roles of their own."""
    roles = {}
    for role in run.by_type("aws:iam/role:Role"):
        if role.name.startswith("addons-"):
            roles[role.name.removeprefix("addons-")] = role
        elif role.name == "cluster-aws-ebs-csi-driver":
            roles["aws-ebs-csi-driver"] = role
    return roles


def _service_account(name: str) -> str:
    if name == "aws-ebs-csi-driver":
        return "kube-system:ebs-csi-controller-sa"
    return f"{CATALOG[name].namespace}:{CATALOG[name].service_account}"


@pytest.mark.parametrize("compute", ["nodeGroups", "karpenter"])
def test_irsa_roles_trust_exactly_their_service_account(run_stack, compute):
    run = run_mode(run_stack, compute, "irsa")
    [provider] = run.by_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["clientIdLists"] == [STS_AUDIENCE]
    issuer = provider.inputs["url"].removeprefix("https://")
    oidc_arn = run.outputs["oidcProviderArn"].value
    roles = _addon_roles(run)
    assert set(roles) == {*(a for a in enabled(compute) if CATALOG[a].calls_aws),
                          "aws-ebs-csi-driver"}
    for name, role in roles.items():
        [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Federated": oidc_arn}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert set(statement["Condition"]) == {"StringEquals"}
        namespace, account = _service_account(name).split(":")
        assert statement["Condition"]["StringEquals"] == {
            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{account}",
            f"{issuer}:aud": STS_AUDIENCE}
    assert not run.by_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    # The role ARN the stack reports belongs to the role that trusts that add-on.
    arns = run.outputs["addonRoleArns"].value
    for name, role in roles.items():
        if name in arns:
            assert arns[name].rsplit("/", 1)[1].startswith(role.inputs["namePrefix"])
    [ebs] = [a for a in run.by_type("aws:eks/addon:Addon")
             if a.inputs["addonName"] == "aws-ebs-csi-driver"]
    assert ebs.inputs["serviceAccountRoleArn"].rsplit("/", 1)[1].startswith(
        roles["aws-ebs-csi-driver"].inputs["namePrefix"])


@pytest.mark.parametrize("compute", ["nodeGroups", "karpenter", "autoMode"])
def test_pod_identity_roles_trust_this_cluster_and_service_account_through_one_association(
        run_stack, compute):
    overrides = ({"cluster__nodeGroups": [], "cluster__systemNodeGroup": ""}
                 if compute == "autoMode" else {})
    run = run_mode(run_stack, compute, "podIdentity", **overrides)
    [cluster] = run.by_type("aws:eks/cluster:Cluster")
    cluster_arn = f"arn:aws:eks:eu-west-1:123456789012:cluster/{cluster.inputs['name']}"
    roles = _addon_roles(run)
    expected = {a for a in enabled(compute) if CATALOG[a].calls_aws}
    if compute != "autoMode":
        expected.add("aws-ebs-csi-driver")  # Auto Mode runs block storage itself
    assert set(roles) == expected
    associations = run.by_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    bound = {}
    for association in associations:
        role_name = association.inputs["roleArn"].rsplit("/", 1)[1]
        key = f"{association.inputs['namespace']}:{association.inputs['serviceAccount']}"
        assert association.inputs["clusterName"] == cluster.inputs["name"]
        assert key not in bound.values(), key
        bound[role_name] = key
    assert len(bound) == len(associations) == len(roles)
    for name, role in roles.items():
        [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        namespace, account = _service_account(name).split(":")
        assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
        assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
        assert statement["Condition"] == {"StringEquals": {
            "aws:RequestTag/eks-cluster-arn": cluster_arn,
            "aws:RequestTag/kubernetes-namespace": namespace,
            "aws:RequestTag/kubernetes-service-account": account}}
        [role_name] = [r for r in bound if r.startswith(role.inputs["namePrefix"])]
        assert bound[role_name] == f"{namespace}:{account}"
    addons = run.by_type("aws:eks/addon:Addon")
    assert not [a for a in addons if "serviceAccountRoleArn" in a.inputs]


@pytest.mark.parametrize("engine", ["argocd", "flux"])
@pytest.mark.parametrize("identity", ["podIdentity", "irsa"])
def test_bridge_names_the_service_account_the_role_trusts(run_stack, engine, identity):
    compute = "karpenter"
    run = run_mode(run_stack, compute, identity, gitops__engine=engine)
    bridge = {}
    for resource in (run.by_type("kubernetes:core/v1:Secret")
                     + run.by_type("kubernetes:core/v1:ConfigMap")):
        bridge.update(resource.inputs["metadata"].get("annotations") or {})
        bridge.update(resource.inputs.get("data") or {})
    arns = run.outputs["addonRoleArns"].value
    assert bridge["aws_workload_identity"] == identity
    for addon in (CATALOG[name] for name in enabled(compute)):
        prefix = addon.name.replace("-", "_")
        assert bridge[f"{prefix}_namespace"] == addon.namespace
        assert bridge[f"{prefix}_service_account"] == addon.service_account
        annotations = json.loads(bridge[f"{prefix}_service_account_annotations"])
        if addon.calls_aws:
            assert bridge[f"{prefix}_iam_role_arn"] == arns[addon.name]
            # IRSA names the role on the service account; Pod Identity's association binds it.
            assert annotations == ({"eks.amazonaws.com/role-arn": arns[addon.name]}
                                   if identity == "irsa" else {})
        else:
            assert f"{prefix}_iam_role_arn" not in bridge
            assert annotations == {}


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
    run = run_stack("prod", gitops__addons=listable("nodeGroups"), **overrides)
    zones = zones or yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"][
        "groundwork:gitops"]["dnsZoneIds"]
    expected = sorted(f"arn:aws:route53:::hostedzone/{zone}" for zone in zones)
    for addon in DNS_ADDONS:
        statements = _policy_of(run, addon)
        scoped = [s for s in statements if set(_listed(s["Action"])) & RECORD_ACTIONS]
        assert {a for s in scoped for a in _listed(s["Action"])} == RECORD_ACTIONS, addon
        assert all(sorted(_listed(s["Resource"])) == expected for s in scoped), addon
        assert "hostedzone/*" not in json.dumps(statements), addon
