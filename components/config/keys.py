"""The shape of the `groundwork:` config: the top-level keys and which of them may be secret,
accepted keys per object, allowed values, and the patterns values are checked against.

Service limits are in components/common/limits.py; patterns match whole values, in ASCII
(components/common/patterns.py).
"""

import ipaddress
from collections.abc import Mapping
from pathlib import Path

from components.common import limits
from components.common.patterns import Pattern

NAMESPACE = "groundwork"
PROJECT_FILE = Path(__file__).resolve().parents[2] / "Pulumi.yaml"

NAT_STRATEGIES = ("none", "single", "perAz")
PROVIDERS = ("eks", "existing")
ENGINES = ("argocd", "flux")
# `none` runs no engine: the first half of switching a live stack from one engine to the other.
NO_ENGINE = "none"
ENGINE_CHOICES = (*ENGINES, NO_ENGINE)
# Who owns the engine after bootstrap: Git (the engine manages itself) or Pulumi (`pulumi up`
# upgrades it).
OWNERSHIP = ("git", "pulumi")
CAPACITY_TYPES = ("ON_DEMAND", "SPOT")
# What runs the cluster's pods: managed node groups (with cluster-autoscaler as an add-on), EKS
# Auto Mode, or Karpenter beside one managed node group for the system pool.
COMPUTE_MODES = ("nodeGroups", "autoMode", "karpenter")
# How add-ons get AWS credentials: EKS Pod Identity (associations) or IRSA (OIDC web identity).
WORKLOAD_IDENTITIES = ("podIdentity", "irsa")
TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# EKS standard and extended support at the time of writing; older versions cannot be created.
SUPPORTED_VERSIONS = ("1.31", "1.32", "1.33", "1.34", "1.35")
AZ_COUNT_RANGE = (2, 6)
# A /16 leaves room to grow; below /24 the per-AZ subnets would be smaller than EKS needs.
VPC_PREFIX_RANGE = (16, 24)
# What a VPC may use: the RFC 1918 private ranges and the RFC 6598 shared space, as the Amazon VPC
# user guide lists them for a VPC's IPv4 CIDR. The check and its message both read this tuple.
VPC_RANGES = tuple(ipaddress.IPv4Network(text) for text in
                   ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))
# `ipaddress` properties of ranges no client or VPC uses, with how a message names them.
SPECIAL_RANGES = (("is_unspecified", "the unspecified range"), ("is_loopback", "loopback"),
                  ("is_link_local", "link-local"), ("is_multicast", "multicast"),
                  ("is_reserved", "reserved"))

SEMVER = Pattern(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?")
# RFC 3986 characters of a URL path, without space; lowercase schemes only, as the Flux
# GitRepository CRD's `^(http|https|ssh)://.*$` requires.
_URL_PATH = r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]+"
_HOST = r"[A-Za-z0-9.-]+(:[0-9]{1,5})?"
HTTPS_GIT = Pattern(rf"https://{_HOST}{_URL_PATH}")
SSH_GIT = Pattern(rf"ssh://[A-Za-z0-9._-]+@{_HOST}{_URL_PATH}"
                  r"|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._~-][A-Za-z0-9._~/-]*")
# arn:<partition>:iam::<account>:role/<path/><name>, as IAM names a role (CreateRole: a path of
# printable ASCII that starts and ends with `/`, a name of [\w+=,.@-]).
ROLE_ARN = Pattern(r"arn:(?P<partition>[^:]*):iam::(?P<account>[0-9]{12}):role"
                   r"(?P<path>/(?:[!-~]*/)?)(?P<name>[A-Za-z0-9_+=,.@-]{1,64})")
HOSTED_ZONE_ID = Pattern(rf"Z[A-Z0-9]{{1,{limits.ROUTE53_ZONE_ID.value - 1}}}")
INSTANCE_TYPE = Pattern(r"[a-z][a-z0-9-]*\.[a-z0-9]+")
VERSION = Pattern(r"1\.[0-9]{2}")


def minor(version: str) -> int:
    """The minor number of a version VERSION accepts: 34 for "1.34"."""
    return int(version.split(".")[1])


# An EKS add-on version as DescribeAddonVersions lists it, e.g. v1.20.1-eksbuild.3.
ADDON_VERSION = Pattern(r"v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+")
DURATION = Pattern(r"([0-9]+(\.[0-9]+)?(ms|s|m|h))+")
DURATION_PART = Pattern(r"([0-9.]+)(ms|s|m|h)")
# What git check-ref-format refuses anywhere in a ref name: control characters, space and
# ~ ^ : ? * [ \ (limits.GIT_REVISION); the rest of its rules are structural (delivery.py).
GIT_REF_CHARACTERS = Pattern(r"[^\x00-\x20\x7f~^:?*\[\\]+")
INT32_RANGE = (-limits.INT32_MAX.value - 1, limits.INT32_MAX.value)

# The keys each object accepts. Pulumi.yaml describes every one of them (tested).
NETWORK_KEYS = ("cidr", "azCount", "natGateways")
CLUSTER_KEYS = ("provider", "name", "version", "endpointPublicAccess", "endpointPrivateAccess",
                "publicAccessCidrs", "allowPublicEndpointFromAnywhere", "logTypes",
                "secretsEncryption", "adminRoleArns", "viewerRoleArns", "nodeGroups",
                "systemNodeGroup", "selfSignedKubeletCerts", "compute", "workloadIdentity",
                "addonVersions", "context")
NODE_GROUP_KEYS = ("name", "instanceTypes", "capacityType", "minSize", "desiredSize", "maxSize",
                   "labels", "taints", "version")
TAINT_KEYS = ("key", "value", "effect")
GITOPS_KEYS = ("engine", "ownership", "repoUrl", "revision", "path", "sync", "addons",
               "dnsZoneIds", "apps",
               "healthTimeout", "argocd", "flux")
SYNC_KEYS = ("automated", "prune", "selfHeal")
APP_KEYS = ("name", "path", "namespace", "repoUrl", "revision", "wave", "clusters")
# Where a seed app runs (`gitops.apps[].clusters`): the stack's own cluster, or on a fleet hub
# every spoke (or, given as a map of labels, the spokes whose `fleet.labels` have them all).
OWN_CLUSTER, ALL_SPOKES = "hub", "spokes"
ARGOCD_KEYS = ("chartVersion", "ha", "values", "applicationSet")
FLUX_KEYS = ("chartVersion", "values", "interval", "resourceSet")
CREDENTIALS_KEY = "gitCredentials"
HTTPS_CREDENTIAL_KEYS = ("username", "password")
SSH_CREDENTIAL_KEYS = ("sshPrivateKey", "knownHosts")
# Helm values merged over gitops.argocd.values and gitops.flux.values, each one a secret.
SECRET_VALUES_KEY = "secretValues"
SECRET_VALUES_KEYS = ENGINES
# Fleets: a hub's engine delivers to spokes; a spoke names its hub's stack and registers in it.
FLEET_KEYS = ("role", "hub", "registrars", "labels")
# A fully qualified stack name as a StackReference takes it: `<organization>/<project>/<stack>`
# (the CLI's names: organization and project of [A-Za-z0-9_.-], stacks of [A-Za-z0-9_.-]).
STACK_NAME = Pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")

# The top-level keys. The CLI marks a whole top-level key secret when any value under it was set
# with --secret, so whether a value may be secret is decided per top-level key.
# These hold secrets: the program takes them only as secrets and passes every value on as one.
SECRET_KEYS = (CREDENTIALS_KEY, SECRET_VALUES_KEY)
# These may not be secret, and why: Pulumi records names, tags, URNs and resource options in
# plain text whatever the config's secrecy, so a secret here could not stay secret.
PLAIN_KEYS: Mapping[str, str] = {
    "environment": "it is part of AWS resource names and tags",
    "protect": "it is a resource option, which Pulumi records in plain text",
    "network": "it shapes the VPC, whose ranges, subnets and NAT gateways are plain resources",
    "cluster": "it names the EKS cluster, its node groups, IAM roles and tags",
    "gitops": "it names Pulumi resources and Kubernetes objects (engine, apps, namespaces, "
              "add-ons)",
    "fleet": "it names the hub's stack and the IAM roles granted access to the hub",
}
TOP_LEVEL_KEYS = (*PLAIN_KEYS, *SECRET_KEYS)
