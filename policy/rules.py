"""The guardrails groundwork's platform team enforces on every stack.

Policies see what the engine sends: resource inputs in camelCase, wrapped in read-only proxies
(Mappings and Sequences, not dicts and lists) that raise UnknownValueError when a value is only
known after the update. The SDK turns that error into an advisory "can't run during preview"
note, and the policy runs again with real values during `pulumi up`.

A policy cannot read the program's config, so whether a stack is protected comes from the pack
config (`protectedStack`, see config.dev.json and config.prod.json). Without a config file every
policy treats the stack as protected: an unconfigured run is as strict as prod.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

import documents
import taggable
from props import as_list, get, json_object, known, set_or_computed

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
KMS_KEY = "aws:kms/key:Key"
IAM_ROLE = "aws:iam/role:Role"
POD_IDENTITY_ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
ARGO_APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
ARGO_APPLICATION_SET = "kubernetes:argoproj.io/v1alpha1:ApplicationSet"
ARGO_APP_PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject"
FLUX_GIT_REPOSITORY = "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository"
FLUX_RESOURCE_SET = "kubernetes:fluxcd.controlplane.io/v1:ResourceSet"

# Resource types whose `policy` input is a whole IAM policy document.
POLICY_DOCUMENT_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
POLICY_ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
# The VPC, the cluster and the key that encrypts its Secrets: losing any of them loses the
# environment, so protected stacks mark them `protect`.
CRITICAL_TYPES = (VPC, EKS_CLUSTER, KMS_KEY)

TAGGABLE_TYPES = taggable.load()
# Tag key -> required value (None: any non-empty value).
REQUIRED_TAGS = {"environment": None, "managed-by": "groundwork"}
WORLD_CIDRS = ("0.0.0.0/0", "::/0")
ADMIN_MANAGED_POLICY = ":policy/AdministratorAccess"
# The EKS Auth service, which a role trusts to be assumed through Pod Identity associations.
POD_IDENTITY_ACCOUNT_TAG = "aws:RequestTag/kubernetes-service-account"
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
# What identifies the service account an association binds; EKS takes one association for each.
SERVICE_ACCOUNT_KEYS = ("clusterName", "namespace", "serviceAccount")

PROTECTED_DEFAULT = True
PROTECTED_SCHEMA = PolicyConfigSchema(properties={
    "protectedStack": {
        "type": "boolean",
        "default": PROTECTED_DEFAULT,
        "description": "The stack holds a long-lived environment (prod); the policy "
                       "applies only then.",
    },
})

EXACT_VERSION = re.compile(
    r"v?(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)"
    r"(?:-(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")
COMMIT = re.compile(r"[0-9a-f]{40}")
REVISION_RULE = "a release tag such as v1.4.0 or a full 40-character commit SHA"
SERVICE_ACCOUNT_SUBJECT = re.compile(
    r"system:serviceaccount:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?:[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?")
FLUX_GROUP = re.compile(r"kubernetes:[a-z.]+\.toolkit\.fluxcd\.io/")


def _skip_unless_protected(args: ResourceValidationArgs) -> None:
    if not args.get_config().get("protectedStack", PROTECTED_DEFAULT):
        args.not_applicable("the stack is not protected (pack config protectedStack: false)")


# --- EKS ---------------------------------------------------------------------------------------

def eks_secrets_encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    _skip_unless_protected(args)
    encryption = args.props.get("encryptionConfig")
    if not isinstance(encryption, Mapping):
        report_violation("encryptionConfig is not set, so Secrets are stored without envelope "
                         "encryption. Set groundwork:cluster.secretsEncryption to true.")
        return
    if "secrets" not in as_list(encryption.get("resources")):
        report_violation('encryptionConfig.resources does not include "secrets".')
    if not set_or_computed(encryption.get("provider"), "keyArn"):
        report_violation("encryptionConfig.provider.keyArn is empty.")


def eks_audit_logging(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    _skip_unless_protected(args)
    log_types = as_list(args.props.get("enabledClusterLogTypes"))
    if "audit" not in log_types:
        report_violation(f'enabledClusterLogTypes {sorted(log_types)} does not include "audit". '
                         "Add audit to groundwork:cluster.logTypes.")


def eks_endpoint_not_public(args: ResourceValidationArgs,
                            report_violation: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    _skip_unless_protected(args)
    vpc_config = args.props.get("vpcConfig") or {}
    # AWS makes the endpoint public when endpointPublicAccess is not given.
    if not vpc_config.get("endpointPublicAccess", True):
        return
    cidrs = as_list(vpc_config.get("publicAccessCidrs"))
    if not cidrs:
        report_violation("The API endpoint is public and publicAccessCidrs is empty, which AWS "
                         "treats as 0.0.0.0/0. List the allowed CIDRs in "
                         "groundwork:cluster.publicAccessCidrs or turn endpointPublicAccess off.")
        return
    open_to_world = [cidr for cidr in cidrs if cidr in WORLD_CIDRS]
    if open_to_world:
        report_violation(f"The public API endpoint is open to {', '.join(open_to_world)}. List the "
                         "allowed CIDRs in groundwork:cluster.publicAccessCidrs or turn "
                         "endpointPublicAccess off.")


def eks_node_group_subnets(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != NODE_GROUP:
        return
    # len() reads no element: IDs of subnets created in the same update are unknown in preview.
    count = len(args.props.get("subnetIds") or [])
    if count < 2:
        report_violation(f"The node group has {count} subnet(s); with fewer than 2 one zone "
                         "outage takes every node down.")


def eks_node_groups_multi_az(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    # Two subnets in one zone pass the subnet count and still die together; only the subnet
    # resources know their zones, so this looks across the stack. Subnets passed in as plain IDs
    # (an existing VPC) leave no dependency to follow and are not judged here.
    for group in args.resources:
        if group.resource_type != NODE_GROUP:
            continue
        subnets = [dependency for dependency in group.property_dependencies.get("subnetIds", [])
                   if dependency.resource_type == SUBNET]
        if not subnets:
            continue
        zones = {subnet.props.get("availabilityZone") or subnet.props.get("availabilityZoneId")
                 for subnet in subnets}
        if len(zones) < 2:
            report_violation(f"Node group {group.name} has subnets in {len(zones)} "
                             f"availability zone(s) ({', '.join(sorted(map(str, zones)))}); it "
                             "needs at least 2.", group.urn)


# --- Network and keys --------------------------------------------------------------------------

def vpc_dns(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != VPC:
        return
    # AWS defaults: DNS resolution on, DNS hostnames off. EKS nodes need both to join the cluster
    # and private endpoints need both to resolve.
    if not args.props.get("enableDnsSupport", True):
        report_violation("enableDnsSupport is false.")
    if not args.props.get("enableDnsHostnames", False):
        report_violation("enableDnsHostnames is not true.")


def kms_key_rotation(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != KMS_KEY:
        return
    # AWS rotates only symmetric encryption keys; asymmetric and HMAC keys cannot rotate.
    if args.props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return
    if not args.props.get("enableKeyRotation", False):
        report_violation("enableKeyRotation is not true.")


def protect_critical_resources(args: ResourceValidationArgs,
                               report_violation: ReportViolation) -> None:
    if args.resource_type not in CRITICAL_TYPES:
        return
    _skip_unless_protected(args)
    if not args.opts.protect:
        report_violation(f"{args.resource_type} {args.name} is not protected; a mistaken delete "
                         "would destroy the environment. Set groundwork:protect to true.")


def aws_required_tags(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in TAGGABLE_TYPES:
        return
    # Tags set once on the provider (aws:defaultTags) reach every resource as well.
    provider_props = args.provider.props if args.provider else {}
    tags = dict(get(json_object(provider_props.get("defaultTags")), "tags") or {})
    tags.update(args.props.get("tags") or {})
    for key, expected in REQUIRED_TAGS.items():
        value = tags.get(key)
        if not value:
            report_violation(f'Tag "{key}" is missing.')
        elif expected is not None and value != expected:
            report_violation(f'Tag "{key}" is "{value}", expected "{expected}".')


# --- IAM ---------------------------------------------------------------------------------------

def _documents(args: ResourceValidationArgs) -> list[tuple[str, Any]]:
    """The permission documents a resource carries, each with where it came from."""
    if args.resource_type in POLICY_DOCUMENT_TYPES:
        return [("policy", args.props.get("policy"))]
    if args.resource_type == IAM_ROLE:
        return [(f"inlinePolicies[{index}] ({inline.get('name')})", inline.get("policy"))
                for index, inline in enumerate(args.props.get("inlinePolicies") or [])]
    return []


def iam_no_wildcard_admin(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for source, document in _documents(args):
        if document is None:
            continue
        try:
            found = documents.statements(document)
        except documents.DocumentError as error:
            report_violation(f"{source} cannot be checked: {error}.")
            continue
        for index, statement in enumerate(found):
            actions = as_list(statement.get("Action"))
            resources = as_list(statement.get("Resource"))
            if (documents.allows(statement) and ("*" in actions or "*:*" in actions)
                    and "*" in resources):
                report_violation(f'{source}: {documents.label(statement, index)} allows Action "*" '
                                 'on Resource "*" (full admin).')


def iam_no_admin_managed_policy(args: ResourceValidationArgs,
                                report_violation: ReportViolation) -> None:
    if args.resource_type in POLICY_ATTACHMENT_TYPES:
        arns = as_list(args.props.get("policyArn"))
    elif args.resource_type == IAM_ROLE:
        arns = as_list(args.props.get("managedPolicyArns"))
    else:
        return
    for arn in arns:
        if isinstance(arn, str) and arn.endswith(ADMIN_MANAGED_POLICY):
            report_violation(f"{arn} grants full admin; attach a least-privilege policy instead.")


def _trust_statements(args: ResourceValidationArgs, report_violation: ReportViolation) -> list:
    if args.resource_type != IAM_ROLE:
        return []
    try:
        return documents.statements(args.props.get("assumeRolePolicy"))
    except documents.DocumentError as error:
        report_violation(f"assumeRolePolicy cannot be checked: {error}.")
        return []


def iam_irsa_trust_scoped(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for index, statement in enumerate(_trust_statements(args, report_violation)):
        if "sts:AssumeRoleWithWebIdentity" not in as_list(statement.get("Action")):
            continue
        where = documents.label(statement, index)
        condition = statement.get("Condition") or {}
        for federated in documents.principals(statement, "Federated"):
            if not isinstance(federated, str) or "oidc-provider/" not in federated:
                continue
            issuer = federated.split("oidc-provider/", 1)[1]
            sub, aud = f"{issuer}:sub", f"{issuer}:aud"
            for operator, keys in condition.items():
                if operator != "StringEquals" and isinstance(keys, Mapping) and sub in keys:
                    report_violation(f"{where}: {operator} on {sub} can match many service "
                                     "accounts; use StringEquals with one subject.")
            equals = condition.get("StringEquals") or {}
            subjects = as_list(equals.get(sub))
            if len(subjects) != 1 or not SERVICE_ACCOUNT_SUBJECT.fullmatch(str(subjects[0])):
                report_violation(f"{where}: StringEquals {sub} must be exactly one "
                                 f"system:serviceaccount:<namespace>:<name>, found {subjects}.")
            if as_list(equals.get(aud)) != ["sts.amazonaws.com"]:
                report_violation(f'{where}: StringEquals {aud} must be "sts.amazonaws.com".')


def iam_no_public_trust(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for index, statement in enumerate(_trust_statements(args, report_violation)):
        if documents.allows(statement) and "*" in documents.principals(statement):
            report_violation(f'{documents.label(statement, index)} trusts Principal "*": any AWS '
                             "account could assume this role.")


def _pod_identity_accounts(role: PolicyResource) -> int:
    """How many service accounts the role's Pod Identity trust admits: the values of its
    `aws:RequestTag/kubernetes-service-account` conditions, 1 where the trust names none (any
    one service account), 0 where it does not trust Pod Identity. Raises UnknownValueError while
    the trust document is unknown (it names the cluster)."""
    try:
        found = documents.statements(role.props.get("assumeRolePolicy"))
    except documents.DocumentError:
        return 0  # iam-no-public-trust reports a trust document that cannot be read
    accounts: set[str] = set()
    trusted = False
    for statement in found:
        if documents.allows(statement) and POD_IDENTITY_SERVICE in documents.principals(
                statement, "Service"):
            trusted = True
            named = ((statement.get("Condition") or {}).get("StringEquals") or {}).get(
                POD_IDENTITY_ACCOUNT_TAG, [])
            accounts.update([named] if isinstance(named, str) else named)
    return max(len(accounts), 1) if trusted else 0


def _bound_role(association: PolicyResource,
                roles_by_arn: Mapping[str, PolicyResource]) -> PolicyResource | None:
    """The stack's role an association binds: the one whose ARN its roleArn is. In a preview a
    role created in the same update has no ARN yet and neither has the roleArn taken from it, so
    then it is the role the engine says roleArn came from."""
    arn = known(association.props, "roleArn")
    if isinstance(arn, str) and arn in roles_by_arn:
        return roles_by_arn[arn]
    return next((dependency for dependency in association.property_dependencies.get("roleArn", [])
                 if dependency.resource_type == IAM_ROLE), None)


def iam_pod_identity_bound_once(args: StackValidationArgs,
                                report_violation: ReportViolation) -> None:
    # A Pod Identity role no association binds gives no pod its permissions, and one bound twice
    # serves two service accounts. Values unknown in a preview (a trust naming a new cluster)
    # leave their part undecided: everything else is reported first, then the first unknown goes
    # to the SDK, which notes that the policy could not fully run during preview.
    undecided: list[UnknownValueError] = []
    associations = [r for r in args.resources if r.resource_type == POD_IDENTITY_ASSOCIATION]
    by_service_account: dict[tuple[Any, ...], list[PolicyResource]] = {}
    for association in associations:
        try:
            target = tuple(association.props.get(key) for key in SERVICE_ACCOUNT_KEYS)
        except UnknownValueError as error:
            undecided.append(error)
            continue
        by_service_account.setdefault(target, []).append(association)
    for (cluster, namespace, account), found in by_service_account.items():
        for association in found[1:]:
            report_violation(f"Pod Identity association {association.name} binds service account "
                             f"{namespace}/{account} of cluster {cluster}, which {found[0].name} "
                             "already binds; EKS takes one association per service account.",
                             association.urn)

    roles = [r for r in args.resources if r.resource_type == IAM_ROLE]
    roles_by_arn = {arn: role for role in roles
                    if isinstance(arn := known(role.props, "arn"), str)}
    bound_by: dict[str, list[str]] = {role.urn: [] for role in roles}
    for association in associations:
        role = _bound_role(association, roles_by_arn)
        if role is not None:
            bound_by[role.urn].append(association.name)
    for role in roles:
        try:
            expected = _pod_identity_accounts(role)
        except UnknownValueError as error:
            undecided.append(error)
            continue
        if not expected:
            continue
        names = bound_by[role.urn]
        if not names:
            report_violation(f"IAM role {role.name} trusts {POD_IDENTITY_SERVICE} but no Pod "
                             "Identity association binds it, so no pod gets its permissions; bind "
                             "it to one service account or remove it.", role.urn)
        elif len(names) != expected:
            # A role several controllers share (a fleet hub's) names each service account in its
            # trust and is bound once per account; any other count binds one too many or too few.
            listed = ", ".join(sorted(names))
            want = ("exactly one service account" if expected == 1 else
                    f"exactly the {expected} service accounts its trust names, once each")
            report_violation(f"IAM role {role.name} trusts {POD_IDENTITY_SERVICE} and is bound by "
                             f"{len(names)} Pod Identity associations ({listed}); bind it to "
                             f"{want}.", role.urn)
    if undecided:
        raise undecided[0]


# --- Delivery (Helm, Argo CD, Flux) ------------------------------------------------------------

def helm_release_version_pinned(args: ResourceValidationArgs,
                                report_violation: ReportViolation) -> None:
    if args.resource_type != HELM_RELEASE:
        return
    chart = args.props.get("chart")
    version = args.props.get("version")
    if not version:
        report_violation(f"Chart {chart} has no version, so Helm installs whatever is newest.")
    elif not EXACT_VERSION.fullmatch(str(version)):
        report_violation(f'Chart {chart} version "{version}" is not an exact SemVer version.')


def _pinned(revision: Any) -> bool:
    return isinstance(revision, str) and bool(COMMIT.fullmatch(revision)
                                              or EXACT_VERSION.fullmatch(revision))


def _check_revision(where: str, revision: Any, report_violation: ReportViolation) -> None:
    if not _pinned(revision):
        shown = f'"{revision}"' if revision else "empty (HEAD)"
        report_violation(f"{where} is {shown}; a protected stack must track {REVISION_RULE}.")


def _argo_sources(spec: Any, prefix: str) -> list[tuple[str, Any]]:
    found = []
    if isinstance(get(spec, "source"), Mapping):
        found.append((f"{prefix}.source.targetRevision", get(spec, "source", "targetRevision")))
    for index, source in enumerate(get(spec, "sources") or []):
        found.append((f"{prefix}.sources[{index}].targetRevision", get(source, "targetRevision")))
    return found


def gitops_revision_pinned(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in (ARGO_APPLICATION, ARGO_APPLICATION_SET, FLUX_GIT_REPOSITORY,
                                  FLUX_RESOURCE_SET):
        return
    _skip_unless_protected(args)
    spec = args.props.get("spec")
    if args.resource_type == ARGO_APPLICATION:
        for where, revision in _argo_sources(spec, "spec"):
            _check_revision(where, revision, report_violation)
    elif args.resource_type == ARGO_APPLICATION_SET:
        for where, revision in _argo_sources(get(spec, "template", "spec"), "spec.template.spec"):
            # A templated revision is filled in by the generators, whose revisions are checked.
            if not (isinstance(revision, str) and "{{" in revision):
                _check_revision(where, revision, report_violation)
        for index, generator in enumerate(get(spec, "generators") or []):
            if isinstance(get(generator, "git"), Mapping):
                _check_revision(f"spec.generators[{index}].git.revision",
                                get(generator, "git", "revision"), report_violation)
    elif args.resource_type == FLUX_RESOURCE_SET:
        # groundwork's seed apps (components/gitops/flux_manifests.py, app_input): an app with a
        # GitRepository of its own gives its `ref` kind and `revision` in its input.
        for index, inputs in enumerate(get(spec, "inputs") or []):
            if isinstance(inputs, Mapping) and inputs.get("ref"):
                _check_flux_ref({inputs["ref"]: inputs.get("revision")}, report_violation,
                                f"spec.inputs[{index}] ({inputs.get('name')}): GitRepository ")
    else:
        _check_flux_ref(get(spec, "ref") or {}, report_violation)


def _check_flux_ref(ref: Mapping[str, Any], report_violation: ReportViolation,
                    where: str = "") -> None:
    """`where`: what precedes `spec.ref` in a message, for a GitRepository described elsewhere."""
    # Flux resolves commit first, then name, semver, tag and finally branch.
    if ref.get("commit"):
        if not COMMIT.fullmatch(str(ref["commit"])):
            report_violation(f'{where}spec.ref.commit "{ref["commit"]}" is not a full '
                             "40-character SHA.")
    elif ref.get("name"):
        if not str(ref["name"]).startswith("refs/tags/"):
            report_violation(f'{where}spec.ref.name "{ref["name"]}" is not a tag reference '
                             "(refs/tags/...).")
    elif ref.get("semver"):
        report_violation(f'{where}spec.ref.semver "{ref["semver"]}" is a range that follows new '
                         "tags; pin spec.ref.tag or spec.ref.commit.")
    elif not ref.get("tag"):
        branch = ref.get("branch") or "master (the Flux default)"
        report_violation(f"{where}spec.ref follows branch {branch}; a protected stack must track "
                         f"{REVISION_RULE} (spec.ref.tag or spec.ref.commit).")


def argocd_appproject_no_wildcards(args: ResourceValidationArgs,
                                   report_violation: ReportViolation) -> None:
    if args.resource_type != ARGO_APP_PROJECT:
        return
    spec = args.props.get("spec") or {}
    for index, repo in enumerate(spec.get("sourceRepos") or []):
        if "*" in str(repo):
            report_violation(f'spec.sourceRepos[{index}] "{repo}" is a wildcard; list the '
                             "repositories.")
    for index, destination in enumerate(spec.get("destinations") or []):
        for field in ("server", "name", "namespace"):
            value = get(destination, field)
            if value is not None and "*" in str(value):
                report_violation(f'spec.destinations[{index}].{field} "{value}" is a wildcard; '
                                 "name the cluster and namespace.")


def _is_gitops_custom_resource(resource: PolicyResource) -> bool:
    return (resource.resource_type.startswith("kubernetes:argoproj.io/")
            or bool(FLUX_GROUP.match(resource.resource_type)))


def _depends_on_release(resource: PolicyResource) -> bool:
    seen: set[str] = set()
    pending = list(resource.dependencies)
    while pending:
        dependency = pending.pop()
        if dependency.urn in seen:
            continue
        seen.add(dependency.urn)
        if dependency.resource_type == HELM_RELEASE:
            return True
        pending.extend(dependency.dependencies)
    return False


def gitops_resources_depend_on_release(args: StackValidationArgs,
                                       report_violation: ReportViolation) -> None:
    # Created before the release, a custom resource fails because its CRD does not exist yet;
    # deleted after it, it hangs on a finalizer no controller removes.
    for resource in args.resources:
        if _is_gitops_custom_resource(resource) and not _depends_on_release(resource):
            report_violation(f"{resource.resource_type} {resource.name} does not depend on the "
                             "Helm release that installs its CRD and controller.", resource.urn)


POLICIES = [
    ResourceValidationPolicy(
        name="eks-secrets-encryption",
        description="EKS clusters in protected stacks encrypt Kubernetes Secrets with a KMS key.",
        validate=eks_secrets_encryption,
        severity=Severity.HIGH,
        config_schema=PROTECTED_SCHEMA,
    ),
    ResourceValidationPolicy(
        name="eks-audit-logging",
        description="EKS clusters in protected stacks send the audit log to CloudWatch.",
        validate=eks_audit_logging,
        severity=Severity.HIGH,
        config_schema=PROTECTED_SCHEMA,
    ),
    ResourceValidationPolicy(
        name="eks-endpoint-not-public",
        description="The EKS API endpoint of a protected stack is not reachable from 0.0.0.0/0.",
        validate=eks_endpoint_not_public,
        severity=Severity.CRITICAL,
        config_schema=PROTECTED_SCHEMA,
    ),
    ResourceValidationPolicy(
        name="eks-node-group-subnets",
        description="EKS node groups span at least 2 subnets.",
        validate=eks_node_group_subnets,
        severity=Severity.MEDIUM,
    ),
    StackValidationPolicy(
        name="eks-node-groups-multi-az",
        description="EKS node groups have subnets in at least 2 availability zones.",
        validate=eks_node_groups_multi_az,
        severity=Severity.MEDIUM,
    ),
    ResourceValidationPolicy(
        name="vpc-dns-enabled",
        description="VPCs have DNS support and DNS hostnames enabled.",
        validate=vpc_dns,
        severity=Severity.MEDIUM,
    ),
    ResourceValidationPolicy(
        name="kms-key-rotation",
        description="Symmetric KMS keys rotate their key material yearly.",
        validate=kms_key_rotation,
        severity=Severity.MEDIUM,
    ),
    ResourceValidationPolicy(
        name="protect-critical-resources",
        description="In protected stacks the VPC, the EKS cluster and KMS keys are marked protect.",
        validate=protect_critical_resources,
        severity=Severity.HIGH,
        config_schema=PROTECTED_SCHEMA,
    ),
    ResourceValidationPolicy(
        name="aws-required-tags",
        description='AWS resources that take tags carry "environment" and '
                    '"managed-by: groundwork".',
        validate=aws_required_tags,
        severity=Severity.LOW,
    ),
    ResourceValidationPolicy(
        name="iam-no-wildcard-admin",
        description='No IAM policy allows Action "*" on Resource "*".',
        validate=iam_no_wildcard_admin,
        severity=Severity.CRITICAL,
    ),
    ResourceValidationPolicy(
        name="iam-no-admin-managed-policy",
        description="No IAM role, user or group gets the AdministratorAccess managed policy.",
        validate=iam_no_admin_managed_policy,
        severity=Severity.CRITICAL,
    ),
    ResourceValidationPolicy(
        name="iam-irsa-trust-scoped",
        description="An IRSA role trusts exactly one Kubernetes service account, for audience "
                    "sts.amazonaws.com.",
        validate=iam_irsa_trust_scoped,
        severity=Severity.HIGH,
    ),
    StackValidationPolicy(
        name="iam-pod-identity-bound-once",
        description="An IAM role that trusts EKS Pod Identity is bound by exactly one "
                    "PodIdentityAssociation per service account its trust names (one, for "
                    "an add-on's role), and no two associations bind the same service account.",
        validate=iam_pod_identity_bound_once,
        severity=Severity.HIGH,
    ),
    ResourceValidationPolicy(
        name="iam-no-public-trust",
        description='No IAM role trusts Principal "*".',
        validate=iam_no_public_trust,
        severity=Severity.CRITICAL,
    ),
    ResourceValidationPolicy(
        name="helm-release-version-pinned",
        description="Helm releases (the Argo CD and Flux installs) pin an exact chart version.",
        validate=helm_release_version_pinned,
        severity=Severity.MEDIUM,
    ),
    ResourceValidationPolicy(
        name="gitops-revision-pinned",
        description="In protected stacks Argo CD Applications and Flux GitRepositories (the "
                    "seed apps' ResourceSet's too) track a release tag or a commit, not a branch.",
        validate=gitops_revision_pinned,
        severity=Severity.HIGH,
        config_schema=PROTECTED_SCHEMA,
    ),
    ResourceValidationPolicy(
        name="argocd-appproject-no-wildcards",
        description="Argo CD AppProjects name their source repositories and destinations; no "
                    '"*" wildcards.',
        validate=argocd_appproject_no_wildcards,
        severity=Severity.HIGH,
    ),
    StackValidationPolicy(
        name="gitops-resources-depend-on-release",
        description="Argo CD and Flux custom resources depend on the Helm release that installs "
                    "their CRDs.",
        validate=gitops_resources_depend_on_release,
        severity=Severity.MEDIUM,
    ),
]
