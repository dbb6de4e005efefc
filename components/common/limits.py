"""Service limits: what AWS, Kubernetes, Git and the GitOps engines refuse, in one table.

The config checks every value against these before anything is created (components/config), and
naming.py fits generated names into them, so a value the API would refuse ten minutes into
`pulumi up` fails at once with its key path instead. Each entry names where the service documents
it. Limits groundwork chooses for itself (an environment name of at most 32 characters, two to six
zones) are not here but beside the check that applies them.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """A number a service does not let a value exceed."""

    what: str
    value: int
    source: str


@dataclass(frozen=True)
class Rule:
    """A shape a service requires that is not a number."""

    what: str
    source: str


EKS_CLUSTER_NAME = Limit(
    "characters in an EKS cluster name", 100,
    "EKS API CreateCluster: name, 1-100 characters")
EKS_NODE_GROUP_NAME = Limit(
    "characters in a managed node group name", 63,
    "EKS API CreateNodegroup: nodegroupName, 1-63 characters")
EKS_PUBLIC_ACCESS_CIDRS = Limit(
    "CIDR blocks allowed to reach a public API endpoint", 40,
    "EKS service quotas: public endpoint access CIDR ranges per cluster, not adjustable")
EKS_TAINTS_PER_NODE_GROUP = Limit(
    "taints on a managed node group", 50,
    "EKS API CreateNodegroup: taints, at most 50 per node group")
EKS_TAINT_KEY = Limit(
    "characters in a node group taint key", 63, "EKS API Taint: key, 1-63 characters")
EKS_TAINT_VALUE = Limit(
    "characters in a node group taint value", 63, "EKS API Taint: value, 0-63 characters")
EKS_LABEL_KEY = Limit(
    "characters in a node group label key", 63,
    "EKS API CreateNodegroup and UpdateLabelsPayload: label keys, 1-63 characters")
EKS_LABEL_VALUE = Limit(
    "characters in a node group label value", 63,
    "EKS API CreateNodegroup and UpdateLabelsPayload: label values, 1-63 characters")
IAM_ROLE_NAME = Limit(
    "characters in an IAM role name", 64, "IAM API CreateRole: RoleName, 1-64 characters")
IAM_ROLE_PATH = Limit(
    "characters in an IAM role path", 512, "IAM API CreateRole: Path, 1-512 characters")
IAM_INLINE_ROLE_POLICY = Limit(
    "characters in a role's inline policies, whitespace not counted", 10_240,
    "IAM quotas: role policy size, the sum of a role's inline policies")
ROUTE53_ZONE_ID = Limit(
    "characters in a Route 53 hosted zone id", 32,
    "Route 53 API HostedZone: Id, at most 32 characters")
DNS_LABEL = Limit(
    "characters in a Kubernetes name, namespace or label value", 63,
    "Kubernetes object names: RFC 1123 label")
DNS_SUBDOMAIN = Limit(
    "characters in a Kubernetes object name or label key prefix", 253,
    "Kubernetes object names: RFC 1123 subdomain")
INT32_MAX = Limit(
    "size of a node count or sync wave", 2**31 - 1,
    "EKS API NodegroupScalingConfig and Kubernetes int32 fields; Pulumi sends numbers as "
    "doubles, exact up to 2**53")
KUBELET_VERSION_SKEW = Limit(
    "minor versions a node's kubelet may be older than the control plane", 3,
    "Kubernetes version skew policy (kubernetes.io/releases/version-skew-policy): kubelet must "
    "not be newer than kube-apiserver and may be up to three minor versions older (since 1.28)")
EKS_CONTROL_PLANE_UPGRADE = Limit(
    "minor versions an EKS control plane moves in one update", 1,
    "EKS user guide, Update existing cluster to new Kubernetes version: one minor version at a "
    "time")
GIT_REVISION = Rule(
    "a Git branch, tag or 40-character commit: a valid ref name that is neither HEAD nor a full "
    "`refs/...` name",
    "git check-ref-format; Flux GitRepository spec.ref reads a name as a branch, tag or commit "
    "and looks up `refs/heads/<branch>`, so HEAD or refs/heads/main never resolve")

LIMITS: tuple[Limit | Rule, ...] = (
    EKS_CLUSTER_NAME, EKS_NODE_GROUP_NAME, EKS_PUBLIC_ACCESS_CIDRS, EKS_TAINTS_PER_NODE_GROUP,
    EKS_TAINT_KEY, EKS_TAINT_VALUE, EKS_LABEL_KEY, EKS_LABEL_VALUE, IAM_ROLE_NAME, IAM_ROLE_PATH,
    KUBELET_VERSION_SKEW, EKS_CONTROL_PLANE_UPGRADE,
    IAM_INLINE_ROLE_POLICY, ROUTE53_ZONE_ID, DNS_LABEL, DNS_SUBDOMAIN, INT32_MAX, GIT_REVISION,
)
