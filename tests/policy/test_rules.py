"""Each policy in policy/rules.py, with resources that pass it and resources that break it.

Props are shaped the way the engine delivers pulumi-aws and pulumi-kubernetes inputs: camelCase,
IAM documents as JSON strings, and the SDK's sentinel where a value is only known after the update.
"""

from __future__ import annotations

import json

import pytest
from pulumi_policy import StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

import rules

PROD = {"protectedStack": True}
DEV = {"protectedStack": False}
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
OIDC_PROVIDER = f"arn:aws:iam::111122223333:oidc-provider/{ISSUER}"
SHA = "3f786850e387550fdab836ed7e6dc881de23001b"


def cluster(**overrides):
    props = {
        "name": "groundwork-prod",
        "encryptionConfig": {"provider": {"keyArn": KEY_ARN}, "resources": ["secrets"]},
        "enabledClusterLogTypes": ["api", "audit", "authenticator"],
        "vpcConfig": {"endpointPublicAccess": True, "endpointPrivateAccess": True,
                      "publicAccessCidrs": ["203.0.113.0/24"],
                      "subnetIds": ["subnet-a", "subnet-b"]},
    }
    props.update(overrides)
    return props


def document(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def irsa_trust(condition, federated=OIDC_PROVIDER):
    return document({"Effect": "Allow", "Principal": {"Federated": federated},
                     "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition})


SCOPED = {"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:kube-system:external-dns",
                           f"{ISSUER}:aud": "sts.amazonaws.com"}}


# --- eks-secrets-encryption --------------------------------------------------------------------

def test_encrypted_cluster_passes(violations):
    assert violations("eks-secrets-encryption", rules.EKS_CLUSTER, cluster(), config=PROD) == []


def test_key_created_in_the_same_update_counts_as_set(violations):
    # During preview the new key's ARN is unknown.
    props = cluster(encryptionConfig={"provider": {"keyArn": UNKNOWN_STRING_VALUE},
                                      "resources": ["secrets"]})
    assert violations("eks-secrets-encryption", rules.EKS_CLUSTER, props, config=PROD) == []


def test_cluster_without_encryption_fails(violations):
    props = cluster()
    del props["encryptionConfig"]
    found = violations("eks-secrets-encryption", rules.EKS_CLUSTER, props, config=PROD)
    assert len(found) == 1 and found[0].startswith("encryptionConfig is not set")


def test_encryption_of_other_resources_without_key_fails_twice(violations):
    props = cluster(encryptionConfig={"provider": {"keyArn": ""}, "resources": ["configmaps"]})
    assert violations("eks-secrets-encryption", rules.EKS_CLUSTER, props, config=PROD) == [
        'encryptionConfig.resources does not include "secrets".',
        "encryptionConfig.provider.keyArn is empty.",
    ]


def test_unconfigured_pack_treats_the_stack_as_protected(violations):
    props = cluster()
    del props["encryptionConfig"]
    assert len(violations("eks-secrets-encryption", rules.EKS_CLUSTER, props)) == 1


@pytest.mark.parametrize("policy, resource_type", [
    ("eks-secrets-encryption", rules.EKS_CLUSTER),
    ("eks-audit-logging", rules.EKS_CLUSTER),
    ("eks-endpoint-not-public", rules.EKS_CLUSTER),
    ("protect-critical-resources", rules.VPC),
])
def test_protected_only_policies_skip_unprotected_stacks(not_applicable, policy, resource_type):
    props = {"encryptionConfig": None, "enabledClusterLogTypes": [], "vpcConfig": {}}
    assert not_applicable(policy, resource_type, props, config=DEV) == (
        "the stack is not protected (pack config protectedStack: false)")


def test_other_resource_types_are_not_judged(violations, not_applicable):
    assert violations("eks-secrets-encryption", rules.VPC, {"cidrBlock": "10.0.0.0/16"},
                      config=PROD) == []
    assert not_applicable("eks-secrets-encryption", rules.VPC, {}, config=DEV) is None


# --- eks-audit-logging -------------------------------------------------------------------------

def test_audit_log_enabled_passes(violations):
    assert violations("eks-audit-logging", rules.EKS_CLUSTER, cluster(), config=PROD) == []


@pytest.mark.parametrize("log_types", [["api", "authenticator"], [], None])
def test_cluster_without_audit_log_fails(violations, log_types):
    found = violations("eks-audit-logging", rules.EKS_CLUSTER,
                       cluster(enabledClusterLogTypes=log_types), config=PROD)
    assert len(found) == 1 and 'does not include "audit"' in found[0]


# --- eks-endpoint-not-public -------------------------------------------------------------------

def test_public_endpoint_limited_to_listed_cidrs_passes(violations):
    assert violations("eks-endpoint-not-public", rules.EKS_CLUSTER, cluster(), config=PROD) == []


def test_private_endpoint_passes(violations):
    props = cluster(vpcConfig={"endpointPublicAccess": False, "endpointPrivateAccess": True})
    assert violations("eks-endpoint-not-public", rules.EKS_CLUSTER, props, config=PROD) == []


@pytest.mark.parametrize("cidrs", [["0.0.0.0/0"], ["203.0.113.0/24", "0.0.0.0/0"], ["::/0"]])
def test_public_endpoint_open_to_the_world_fails(violations, cidrs):
    props = cluster(vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": cidrs})
    found = violations("eks-endpoint-not-public", rules.EKS_CLUSTER, props, config=PROD)
    assert len(found) == 1 and found[0].startswith("The public API endpoint is open to")


@pytest.mark.parametrize("vpc_config", [
    {"endpointPublicAccess": True, "publicAccessCidrs": []},
    {"endpointPublicAccess": True},
    # AWS makes the endpoint public when the flag is left out.
    {"subnetIds": ["subnet-a", "subnet-b"]},
])
def test_public_endpoint_without_cidrs_is_open_to_the_world(violations, vpc_config):
    found = violations("eks-endpoint-not-public", rules.EKS_CLUSTER, cluster(vpcConfig=vpc_config),
                       config=PROD)
    assert len(found) == 1 and "publicAccessCidrs is empty" in found[0]


# --- eks-node-group-subnets / eks-node-groups-multi-az ----------------------------------------

def test_node_group_in_two_subnets_passes(violations):
    # Subnet IDs of subnets created in the same update are unknown during preview; counting them
    # must not read them.
    props = {"subnetIds": [UNKNOWN_STRING_VALUE, UNKNOWN_STRING_VALUE]}
    assert violations("eks-node-group-subnets", rules.NODE_GROUP, props) == []


@pytest.mark.parametrize("subnets", [["subnet-a"], []])
def test_node_group_in_one_subnet_fails(violations, subnets):
    found = violations("eks-node-group-subnets", rules.NODE_GROUP, {"subnetIds": subnets})
    assert found == [f"The node group has {len(subnets)} subnet(s); with fewer than 2 one zone "
                     "outage takes every node down."]


def test_node_group_across_two_zones_passes(stack):
    a = stack.add(rules.SUBNET, "private-a", {"availabilityZone": "eu-west-1a"})
    b = stack.add(rules.SUBNET, "private-b", {"availabilityZone": "eu-west-1b"})
    stack.add(rules.NODE_GROUP, "system", {"subnetIds": ["subnet-a", "subnet-b"]},
              property_dependencies={"subnetIds": [a, b]})
    assert stack.violations("eks-node-groups-multi-az") == []


def test_node_group_with_two_subnets_in_one_zone_fails(stack):
    a = stack.add(rules.SUBNET, "private-a", {"availabilityZone": "eu-west-1a"})
    b = stack.add(rules.SUBNET, "private-a2", {"availabilityZone": "eu-west-1a"})
    group = stack.add(rules.NODE_GROUP, "system", {"subnetIds": ["subnet-a", "subnet-a2"]},
                      property_dependencies={"subnetIds": [a, b]})
    assert stack.violations("eks-node-groups-multi-az") == [
        ("Node group system has subnets in 1 availability zone(s) (eu-west-1a); "
         "it needs at least 2.", group.urn),
    ]


def test_node_group_on_subnets_outside_the_stack_is_not_judged(stack):
    stack.add(rules.NODE_GROUP, "system", {"subnetIds": ["subnet-existing"]})
    assert stack.violations("eks-node-groups-multi-az") == []


# --- vpc-dns-enabled ---------------------------------------------------------------------------

def test_vpc_with_dns_passes(violations):
    props = {"cidrBlock": "10.0.0.0/16", "enableDnsSupport": True, "enableDnsHostnames": True}
    assert violations("vpc-dns-enabled", rules.VPC, props) == []


def test_vpc_dns_support_defaults_to_on(violations):
    assert violations("vpc-dns-enabled", rules.VPC, {"enableDnsHostnames": True}) == []


def test_vpc_without_dns_hostnames_fails(violations):
    assert violations("vpc-dns-enabled", rules.VPC, {"enableDnsSupport": True}) == [
        "enableDnsHostnames is not true."]


def test_vpc_without_dns_support_fails(violations):
    assert violations("vpc-dns-enabled", rules.VPC,
                      {"enableDnsSupport": False, "enableDnsHostnames": True}) == [
        "enableDnsSupport is false."]


# --- kms-key-rotation --------------------------------------------------------------------------

def test_rotating_key_passes(violations):
    assert violations("kms-key-rotation", rules.KMS_KEY, {"enableKeyRotation": True}) == []


def test_key_without_rotation_fails(violations):
    assert violations("kms-key-rotation", rules.KMS_KEY, {"description": "secrets"}) == [
        "enableKeyRotation is not true."]


def test_asymmetric_key_cannot_rotate_and_is_not_judged(violations):
    assert violations("kms-key-rotation", rules.KMS_KEY,
                      {"customerMasterKeySpec": "RSA_2048"}) == []


# --- protect-critical-resources ----------------------------------------------------------------

@pytest.mark.parametrize("resource_type", [rules.VPC, rules.EKS_CLUSTER, rules.KMS_KEY])
def test_protected_critical_resource_passes(violations, resource_type):
    assert violations("protect-critical-resources", resource_type, {}, config=PROD,
                      protect=True) == []


@pytest.mark.parametrize("resource_type", [rules.VPC, rules.EKS_CLUSTER, rules.KMS_KEY])
def test_unprotected_critical_resource_fails(violations, resource_type):
    found = violations("protect-critical-resources", resource_type, {}, name="main", config=PROD)
    assert len(found) == 1 and found[0].startswith(f"{resource_type} main is not protected")


def test_other_resources_need_no_protect(violations):
    assert violations("protect-critical-resources", rules.SUBNET, {}, config=PROD) == []


# --- aws-required-tags -------------------------------------------------------------------------

TAGS = {"environment": "prod", "managed-by": "groundwork", "groundwork:stack": "prod"}


def test_tagged_resource_passes(violations):
    assert violations("aws-required-tags", rules.SUBNET, {"tags": TAGS}) == []


def test_provider_default_tags_count(violations):
    # Provider inputs of object type reach the policy JSON-encoded.
    provider = {"region": "eu-west-1", "defaultTags": json.dumps({"tags": TAGS})}
    assert violations("aws-required-tags", rules.SUBNET, {}, provider_props=provider) == []


def test_untagged_resource_fails_for_each_tag(violations):
    assert violations("aws-required-tags", rules.VPC, {"cidrBlock": "10.0.0.0/16"}) == [
        'Tag "environment" is missing.', 'Tag "managed-by" is missing.']


def test_resource_managed_by_someone_else_fails(violations):
    props = {"tags": {"environment": "prod", "managed-by": "terraform"}}
    assert violations("aws-required-tags", rules.EKS_CLUSTER, props) == [
        'Tag "managed-by" is "terraform", expected "groundwork".']


def test_resource_tag_overrides_provider_default(violations):
    provider = {"defaultTags": {"tags": TAGS}}
    props = {"tags": {"environment": ""}}
    assert violations("aws-required-tags", rules.SUBNET, props, provider_props=provider) == [
        'Tag "environment" is missing.']


@pytest.mark.parametrize("resource_type", [
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:kms/alias:Alias",
    "kubernetes:core/v1:Namespace",
])
def test_types_that_take_no_tags_are_skipped(violations, resource_type):
    assert violations("aws-required-tags", resource_type, {}) == []


# --- iam-no-wildcard-admin ---------------------------------------------------------------------

SCOPED_POLICY = document({"Effect": "Allow", "Action": ["route53:ChangeResourceRecordSets"],
                          "Resource": "arn:aws:route53:::hostedzone/*"},
                         {"Effect": "Allow", "Action": "route53:ListHostedZones", "Resource": "*"})


def test_scoped_policy_passes(violations):
    assert violations("iam-no-wildcard-admin", "aws:iam/policy:Policy",
                      {"policy": SCOPED_POLICY}) == []


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Sid": "Everything", "Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": ["*"]},
    {"Effect": "Allow", "Action": "*:*", "Resource": ["arn:aws:s3:::bucket", "*"]},
])
def test_full_admin_statement_fails(violations, statement):
    found = violations("iam-no-wildcard-admin", "aws:iam/rolePolicy:RolePolicy",
                       {"policy": document({"Effect": "Allow", "Action": "s3:ListBucket",
                                            "Resource": "*"}, statement)})
    label = 'statement "Everything"' if "Sid" in statement else "statement 1"
    assert found == [f'policy: {label} allows Action "*" on Resource "*" (full admin).']


def test_every_action_on_one_resource_is_not_full_admin(violations):
    scoped = document({"Effect": "Allow", "Action": "*",
                       "Resource": "arn:aws:s3:::groundwork-artifacts/*"})
    assert violations("iam-no-wildcard-admin", "aws:iam/policy:Policy", {"policy": scoped}) == []


def test_deny_everything_passes(violations):
    deny = document({"Effect": "Deny", "Action": "*", "Resource": "*"})
    assert violations("iam-no-wildcard-admin", "aws:iam/policy:Policy", {"policy": deny}) == []


def test_admin_inline_policy_on_a_role_fails(violations):
    props = {"assumeRolePolicy": document(), "inlinePolicies": [
        {"name": "ok", "policy": SCOPED_POLICY},
        {"name": "admin", "policy": document({"Effect": "Allow", "Action": "*", "Resource": "*"})},
    ]}
    assert violations("iam-no-wildcard-admin", rules.IAM_ROLE, props) == [
        'inlinePolicies[1] (admin): statement 0 allows Action "*" on Resource "*" (full admin).']


def test_policy_given_as_an_object_is_read_too(violations):
    props = {"policy": {"Version": "2012-10-17",
                        "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}}
    assert len(violations("iam-no-wildcard-admin", "aws:iam/policy:Policy", props)) == 1


def test_unreadable_policy_fails(violations):
    found = violations("iam-no-wildcard-admin", "aws:iam/policy:Policy", {"policy": "{not json"})
    assert len(found) == 1 and found[0].startswith("policy cannot be checked: not valid JSON")


# --- iam-no-admin-managed-policy ---------------------------------------------------------------

def test_least_privilege_attachment_passes(violations):
    props = {"role": "node", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"}
    assert violations("iam-no-admin-managed-policy", rules.POLICY_ATTACHMENT_TYPES[0], props) == []


def test_administrator_access_attachment_fails(violations):
    props = {"role": "node", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert violations("iam-no-admin-managed-policy", rules.POLICY_ATTACHMENT_TYPES[0], props) == [
        "arn:aws:iam::aws:policy/AdministratorAccess grants full admin; attach a least-privilege "
        "policy instead."]


def test_administrator_access_in_managed_policy_arns_fails(violations):
    props = {"assumeRolePolicy": document(),
             "managedPolicyArns": ["arn:aws-us-gov:iam::aws:policy/AdministratorAccess"]}
    assert len(violations("iam-no-admin-managed-policy", rules.IAM_ROLE, props)) == 1


# --- iam-irsa-trust-scoped ---------------------------------------------------------------------

def test_irsa_trust_for_one_service_account_passes(violations):
    assert violations("iam-irsa-trust-scoped", rules.IAM_ROLE,
                      {"assumeRolePolicy": irsa_trust(SCOPED)}) == []


def test_service_trust_is_not_irsa(violations):
    trust = document({"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
                      "Action": "sts:AssumeRole"})
    assert violations("iam-irsa-trust-scoped", rules.IAM_ROLE, {"assumeRolePolicy": trust}) == []


def test_irsa_trust_with_string_like_fails(violations):
    condition = {"StringLike": {f"{ISSUER}:sub": "system:serviceaccount:kube-system:*"},
                 "StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"}}
    found = violations("iam-irsa-trust-scoped", rules.IAM_ROLE,
                       {"assumeRolePolicy": irsa_trust(condition)})
    assert found == [
        f"statement 0: StringLike on {ISSUER}:sub can match many service accounts; use "
        "StringEquals with one subject.",
        f"statement 0: StringEquals {ISSUER}:sub must be exactly one "
        "system:serviceaccount:<namespace>:<name>, found [].",
    ]


@pytest.mark.parametrize("subject", [
    ["system:serviceaccount:kube-system:external-dns", "system:serviceaccount:kube-system:other"],
    "system:serviceaccount:kube-system:*",
    "system:serviceaccount:kube-system",
])
def test_irsa_trust_for_more_than_one_service_account_fails(violations, subject):
    condition = {"StringEquals": {f"{ISSUER}:sub": subject, f"{ISSUER}:aud": "sts.amazonaws.com"}}
    found = violations("iam-irsa-trust-scoped", rules.IAM_ROLE,
                       {"assumeRolePolicy": irsa_trust(condition)})
    assert len(found) == 1 and f"StringEquals {ISSUER}:sub must be exactly one" in found[0]


def test_irsa_trust_without_audience_fails(violations):
    condition = {"StringEquals": {
        f"{ISSUER}:sub": "system:serviceaccount:kube-system:external-dns"}}
    found = violations("iam-irsa-trust-scoped", rules.IAM_ROLE,
                       {"assumeRolePolicy": irsa_trust(condition)})
    assert found == [f'statement 0: StringEquals {ISSUER}:aud must be "sts.amazonaws.com".']


def test_irsa_trust_is_read_during_update_not_guessed_during_preview(violations):
    # The issuer URL comes from the cluster, so during preview the whole document is unknown; the
    # SDK reports that as an advisory "can't run during preview" and the policy runs at `up`.
    with pytest.raises(UnknownValueError):
        violations("iam-irsa-trust-scoped", rules.IAM_ROLE,
                   {"assumeRolePolicy": UNKNOWN_STRING_VALUE})


# --- iam-pod-identity-bound-once ---------------------------------------------------------------

POD_IDENTITY_TRUST = document({
    "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
    "Action": ["sts:AssumeRole", "sts:TagSession"],
    "Condition": {"StringEquals": {"aws:RequestTag/kubernetes-namespace": "kube-system"}}})


def pod_identity_role(stack, name, *, arn=None, trust=POD_IDENTITY_TRUST):
    """A role as a stack policy sees it: its outputs, the ARN unknown in a preview."""
    return stack.add(rules.IAM_ROLE, name, {
        "assumeRolePolicy": trust,
        "arn": arn or f"arn:aws:iam::111122223333:role/{name}"})


def association(stack, name, role, *, account=None, role_arn=None):
    """An association of `role` with kube-system/`account` (default: `name`), its roleArn taken
    from the role."""
    return stack.add(rules.POD_IDENTITY_ASSOCIATION, name, {
        "clusterName": "groundwork-prod", "namespace": "kube-system",
        "serviceAccount": account or name, "roleArn": role_arn or role.props["arn"]},
        property_dependencies={"roleArn": [role]})


def test_pod_identity_role_bound_once_passes(stack):
    role = pod_identity_role(stack, "external-dns")
    association(stack, "external-dns", role)
    assert stack.violations("iam-pod-identity-bound-once") == []


def test_pod_identity_role_created_in_a_preview_is_matched_by_where_its_arn_comes_from(stack):
    role = pod_identity_role(stack, "external-dns", arn=UNKNOWN_STRING_VALUE)
    association(stack, "external-dns", role, role_arn=UNKNOWN_STRING_VALUE)
    assert stack.violations("iam-pod-identity-bound-once") == []


def test_pod_identity_role_without_an_association_fails(stack):
    role = pod_identity_role(stack, "external-dns")
    # Roles that trust other services need none.
    stack.add(rules.IAM_ROLE, "node", {"assumeRolePolicy": document({
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"})})
    assert stack.violations("iam-pod-identity-bound-once") == [(
        "IAM role external-dns trusts pods.eks.amazonaws.com but no Pod Identity association "
        "binds it, so no pod gets its permissions; bind it to one service account or remove it.",
        role.urn)]


def test_pod_identity_role_bound_twice_fails(stack):
    role = pod_identity_role(stack, "external-dns")
    association(stack, "external-dns", role)
    association(stack, "cert-manager", role)
    assert stack.violations("iam-pod-identity-bound-once") == [(
        "IAM role external-dns trusts pods.eks.amazonaws.com and is bound by 2 Pod Identity "
        "associations (cert-manager, external-dns); bind it to exactly one service account.",
        role.urn)]


SHARED_TRUST = document({
    "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
    "Action": ["sts:AssumeRole", "sts:TagSession"],
    "Condition": {"StringEquals": {
        "aws:RequestTag/kubernetes-namespace": "argocd",
        "aws:RequestTag/kubernetes-service-account": ["argocd-application-controller",
                                                      "argocd-server"]}}})


def test_a_role_shared_by_the_accounts_its_trust_names_is_bound_once_per_account(stack):
    role = pod_identity_role(stack, "fleet", trust=SHARED_TRUST)
    association(stack, "argocd-application-controller", role)
    association(stack, "argocd-server", role)
    assert stack.violations("iam-pod-identity-bound-once") == []


def test_a_shared_role_bound_for_fewer_accounts_than_its_trust_names_fails(stack):
    role = pod_identity_role(stack, "fleet", trust=SHARED_TRUST)
    association(stack, "argocd-server", role)
    assert stack.violations("iam-pod-identity-bound-once") == [(
        "IAM role fleet trusts pods.eks.amazonaws.com and is bound by 1 Pod Identity "
        "associations (argocd-server); bind it to exactly the 2 service accounts its trust "
        "names, once each.", role.urn)]


def test_two_associations_for_one_service_account_fail(stack):
    dns = pod_identity_role(stack, "external-dns")
    other = pod_identity_role(stack, "other")
    association(stack, "external-dns", dns)
    second = association(stack, "other", other, account="external-dns")
    assert stack.violations("iam-pod-identity-bound-once") == [(
        "Pod Identity association other binds service account kube-system/external-dns of "
        "cluster groundwork-prod, which external-dns already binds; EKS takes one association "
        "per service account.", second.urn)]


def test_association_of_a_role_outside_the_stack_is_not_judged(stack):
    stack.add(rules.POD_IDENTITY_ASSOCIATION, "existing", {
        "clusterName": "groundwork-prod", "namespace": "team", "serviceAccount": "app",
        "roleArn": "arn:aws:iam::111122223333:role/existing"})
    assert stack.violations("iam-pod-identity-bound-once") == []


def test_pod_identity_reports_what_it_can_before_a_trust_unknown_in_preview(stack):
    # A Pod Identity trust names the cluster's ARN, unknown while the cluster is new; the SDK
    # turns the error into a "can't run during preview" note, after the violations found.
    pod_identity_role(stack, "pending", trust=UNKNOWN_STRING_VALUE)
    unbound = pod_identity_role(stack, "external-dns")
    reported = []
    policy = next(p for p in rules.POLICIES if p.name == "iam-pod-identity-bound-once")
    with pytest.raises(UnknownValueError):
        policy.validate(StackValidationArgs(stack.resources),
                        lambda message, urn=None: reported.append(urn))
    assert reported == [unbound.urn]


# --- iam-no-public-trust -----------------------------------------------------------------------

def test_trust_in_a_service_passes(violations):
    trust = document({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                      "Action": "sts:AssumeRole"})
    assert violations("iam-no-public-trust", rules.IAM_ROLE, {"assumeRolePolicy": trust}) == []


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"},
                                       {"AWS": ["arn:aws:iam::111122223333:root", "*"]}])
def test_trust_in_anyone_fails(violations, principal):
    trust = document({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})
    assert violations("iam-no-public-trust", rules.IAM_ROLE, {"assumeRolePolicy": trust}) == [
        'statement 0 trusts Principal "*": any AWS account could assume this role.']


# --- helm-release-version-pinned ---------------------------------------------------------------

@pytest.mark.parametrize("chart, version", [("argo-cd", "10.1.1"), ("flux2", "2.18.3"),
                                            ("argo-cd", "10.2.0-rc.1"),
                                            ("oci://ghcr.io/x/chart", "v1.4.0")])
def test_exact_chart_version_passes(violations, chart, version):
    assert violations("helm-release-version-pinned", rules.HELM_RELEASE,
                      {"chart": chart, "version": version}) == []


@pytest.mark.parametrize("version", ["latest", "^10.1.0", "~2.18", "10.1", ">=1.0.0", "10.x", "*"])
def test_version_range_fails(violations, version):
    props = {"chart": "argo-cd", "version": version}
    assert violations("helm-release-version-pinned", rules.HELM_RELEASE, props) == [
        f'Chart argo-cd version "{version}" is not an exact SemVer version.']


@pytest.mark.parametrize("props", [{"chart": "flux2"}, {"chart": "flux2", "version": ""}])
def test_missing_version_fails(violations, props):
    assert violations("helm-release-version-pinned", rules.HELM_RELEASE, props) == [
        "Chart flux2 has no version, so Helm installs whatever is newest."]


# --- gitops-revision-pinned --------------------------------------------------------------------

def application(revision):
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "root", "namespace": "argocd"},
            "spec": {"project": "default",
                     "source": {"repoURL": "https://github.com/groundwork-dev/groundwork.git",
                                "path": "gitops/argocd", "targetRevision": revision},
                     "destination": {"server": "https://kubernetes.default.svc",
                                     "namespace": "argocd"}}}


@pytest.mark.parametrize("revision", ["v1.4.0", "1.4.0", SHA])
def test_application_on_a_tag_or_commit_passes(violations, revision):
    assert violations("gitops-revision-pinned", rules.ARGO_APPLICATION, application(revision),
                      config=PROD) == []


@pytest.mark.parametrize("revision, shown", [("main", '"main"'), ("master", '"master"'),
                                             ("HEAD", '"HEAD"'),
                                             ("", "empty (HEAD)"), (None, "empty (HEAD)"),
                                             (SHA[:12], f'"{SHA[:12]}"')])
def test_application_on_a_branch_fails(violations, revision, shown):
    assert violations("gitops-revision-pinned", rules.ARGO_APPLICATION, application(revision),
                      config=PROD) == [
        f"spec.source.targetRevision is {shown}; a protected stack must track a release tag "
        "such as v1.4.0 or a full 40-character commit SHA."]


def test_each_source_of_a_multi_source_application_is_checked(violations):
    props = application("v1.4.0")
    source = props["spec"].pop("source")
    props["spec"]["sources"] = [source, {**source, "targetRevision": "develop"}]
    found = violations("gitops-revision-pinned", rules.ARGO_APPLICATION, props, config=PROD)
    assert len(found) == 1 and found[0].startswith('spec.sources[1].targetRevision is "develop"')


def test_application_set_generator_on_a_branch_fails(violations):
    props = {"spec": {
        "generators": [{"git": {"repoURL": "https://github.com/groundwork-dev/groundwork.git",
                                "revision": "main", "directories": [{"path": "apps/*"}]}}],
        "template": {"spec": {"source": {"repoURL": "https://github.com/groundwork-dev/groundwork.git",
                                         "targetRevision": "{{.revision}}",
                                         "path": "{{.path.path}}"}}},
    }}
    found = violations("gitops-revision-pinned", rules.ARGO_APPLICATION_SET, props, config=PROD)
    assert len(found) == 1 and found[0].startswith('spec.generators[0].git.revision is "main"')


def test_application_set_template_on_a_tag_passes(violations):
    props = {"spec": {"generators": [{"list": {"elements": [{"name": "a"}]}}],
                      "template": {"spec": {"source": {"targetRevision": "v2.0.1"}}}}}
    assert violations("gitops-revision-pinned", rules.ARGO_APPLICATION_SET, props,
                      config=PROD) == []


def git_repository(ref):
    return {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "groundwork", "namespace": "flux-system"},
            "spec": {"url": "https://github.com/groundwork-dev/groundwork.git", "interval": "5m",
                     "ref": ref}}


@pytest.mark.parametrize("ref", [{"tag": "v1.4.0"}, {"commit": SHA},
                                 {"branch": "main", "commit": SHA},
                                 {"name": "refs/tags/v1.4.0"}])
def test_git_repository_on_a_tag_or_commit_passes(violations, ref):
    assert violations("gitops-revision-pinned", rules.FLUX_GIT_REPOSITORY, git_repository(ref),
                      config=PROD) == []


@pytest.mark.parametrize("ref, start", [
    ({"branch": "main"}, "spec.ref follows branch main;"),
    (None, "spec.ref follows branch master (the Flux default);"),
    ({"semver": ">=1.0.0"}, 'spec.ref.semver ">=1.0.0" is a range'),
    ({"commit": "3f78685"}, 'spec.ref.commit "3f78685" is not a full 40-character SHA.'),
    ({"name": "refs/heads/main"}, 'spec.ref.name "refs/heads/main" is not a tag reference'),
])
def test_git_repository_on_a_branch_or_range_fails(violations, ref, start):
    found = violations("gitops-revision-pinned", rules.FLUX_GIT_REPOSITORY, git_repository(ref),
                       config=PROD)
    assert len(found) == 1 and found[0].startswith(start)


def resource_set(*inputs):
    return {"apiVersion": "fluxcd.controlplane.io/v1", "kind": "ResourceSet",
            "metadata": {"name": "seed-apps", "namespace": "flux-system"},
            "spec": {"inputs": list(inputs), "resourcesTemplate": "---\n"}}


def test_resource_set_apps_with_their_own_repository_are_checked_like_git_repositories(
        violations):
    """An app on the root's GitRepository (no `ref` of its own) is checked there."""
    props = resource_set({"name": "root-source", "ref": "", "revision": ""},
                         {"name": "tagged", "ref": "tag", "revision": "v2.0.0"},
                         {"name": "pinned", "ref": "commit", "revision": SHA},
                         {"name": "branch", "ref": "branch", "revision": "main"})
    found = violations("gitops-revision-pinned", rules.FLUX_RESOURCE_SET, props, config=PROD)
    assert found == [f"spec.inputs[3] (branch): GitRepository spec.ref follows branch main; a "
                     f"protected stack must track {rules.REVISION_RULE} (spec.ref.tag or "
                     "spec.ref.commit)."]


@pytest.mark.parametrize("resource_type, props", [
    (rules.ARGO_APPLICATION, application("main")),
    (rules.FLUX_GIT_REPOSITORY, git_repository({"branch": "main"})),
    (rules.FLUX_RESOURCE_SET, resource_set({"name": "a", "ref": "branch", "revision": "main"})),
])
def test_dev_may_follow_a_branch(not_applicable, resource_type, props):
    assert "not protected" in not_applicable("gitops-revision-pinned", resource_type, props,
                                             config=DEV)


# --- argocd-appproject-no-wildcards ------------------------------------------------------------

def app_project(source_repos, destinations):
    return {"spec": {"sourceRepos": source_repos, "destinations": destinations}}


def test_named_project_passes(violations):
    props = app_project(["https://github.com/groundwork-dev/groundwork.git"],
                        [{"server": "https://kubernetes.default.svc", "namespace": "apps"},
                         {"name": "in-cluster", "namespace": "monitoring"}])
    assert violations("argocd-appproject-no-wildcards", rules.ARGO_APP_PROJECT, props) == []


def test_any_source_repo_fails(violations):
    props = app_project(["https://github.com/groundwork-dev/groundwork.git", "*"],
                        [{"server": "https://kubernetes.default.svc", "namespace": "apps"}])
    assert violations("argocd-appproject-no-wildcards", rules.ARGO_APP_PROJECT, props) == [
        'spec.sourceRepos[1] "*" is a wildcard; list the repositories.']


def test_wildcard_destinations_fail_per_field(violations):
    props = app_project(["https://github.com/groundwork-dev/groundwork.git"],
                        [{"server": "*", "namespace": "team-*"}])
    assert violations("argocd-appproject-no-wildcards", rules.ARGO_APP_PROJECT, props) == [
        'spec.destinations[0].server "*" is a wildcard; name the cluster and namespace.',
        'spec.destinations[0].namespace "team-*" is a wildcard; name the cluster and namespace.',
    ]


# --- gitops-resources-depend-on-release --------------------------------------------------------

def test_custom_resources_after_the_release_pass(stack):
    release = stack.add(rules.HELM_RELEASE, "argocd", {"chart": "argo-cd", "version": "10.1.1"})
    project = stack.add(rules.ARGO_APP_PROJECT, "platform", depends_on=[release])
    # Depending on something that depends on the release is just as safe.
    stack.add(rules.ARGO_APPLICATION, "root", depends_on=[project])
    stack.add("kubernetes:core/v1:Namespace", "apps")
    assert stack.violations("gitops-resources-depend-on-release") == []


def test_custom_resource_without_the_release_fails(stack):
    stack.add(rules.HELM_RELEASE, "flux", {"chart": "flux2", "version": "2.18.3"})
    repository = stack.add(rules.FLUX_GIT_REPOSITORY, "groundwork")
    kustomization = stack.add("kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization", "root",
                              depends_on=[repository])
    assert stack.violations("gitops-resources-depend-on-release") == [
        (f"{rules.FLUX_GIT_REPOSITORY} groundwork does not depend on the Helm release that "
         "installs its CRD and controller.", repository.urn),
        ("kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization root does not depend on the Helm "
         "release that installs its CRD and controller.", kustomization.urn),
    ]
