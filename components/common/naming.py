"""Names of generated AWS and Kubernetes objects, and the service limits they must fit.

Every name groundwork derives goes through here, so one property test can show that any
environment and cluster name the config accepts yields names within each service's limit.
"""

from __future__ import annotations

import hashlib

from components.common import limits
from components.common.patterns import Pattern

# groundwork's own bound: the environment goes into every name and tag beside longer parts.
ENVIRONMENT_MAX = 32
CLUSTER_NAME_MAX = limits.EKS_CLUSTER_NAME.value
DNS_LABEL_MAX = limits.DNS_LABEL.value
DNS_SUBDOMAIN_MAX = limits.DNS_SUBDOMAIN.value
IAM_ROLE_NAME_MAX = limits.IAM_ROLE_NAME.value
# AWS appends a 26-character unique suffix to a name_prefix.
AWS_UNIQUE_SUFFIX = 26
IAM_ROLE_PREFIX_MAX = IAM_ROLE_NAME_MAX - AWS_UNIQUE_SUFFIX
NODE_GROUP_NAME_MAX = limits.EKS_NODE_GROUP_NAME.value
# A node group setting name is used as `<name>-` plus the 26-character suffix.
NODE_GROUP_SETTING_MAX = NODE_GROUP_NAME_MAX - AWS_UNIQUE_SUFFIX - 1

# Names of the root objects each engine's bootstrap creates. Seed apps may not take them, under
# either engine, so that switching engines never turns a valid config invalid.
ARGOCD_ROOT_APP = "root"
# `flux bootstrap`'s name, so Flux's docs and CLI defaults (`flux reconcile ks flux-system`) apply.
FLUX_ROOT = "flux-system"
RESERVED_APP_NAMES = (ARGOCD_ROOT_APP, FLUX_ROOT)
# Namespaces a seed app may not deploy into under either engine: a Flux seed app is bound to
# `admin` in its namespace, and admin of an engine's namespace or kube-system is cluster admin.
RESERVED_APP_NAMESPACES = ("argocd", "flux-system", "kube-system")

# Kubernetes' own expressions (apimachinery validation), and EKS's for a cluster name.
_DNS_LABEL = Pattern(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = Pattern(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_CLUSTER_NAME = Pattern(r"[0-9A-Za-z][A-Za-z0-9_-]*")
_LABEL_NAME = Pattern(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_LABEL_VALUE = Pattern(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


def is_dns_label(text: str, limit: int = DNS_LABEL_MAX) -> bool:
    return _DNS_LABEL.matches(text) and len(text) <= limit


def is_dns_subdomain(text: str) -> bool:
    return _DNS_SUBDOMAIN.matches(text) and len(text) <= DNS_SUBDOMAIN_MAX


def is_cluster_name(text: str) -> bool:
    return _CLUSTER_NAME.matches(text) and len(text) <= CLUSTER_NAME_MAX


def is_label_key(text: str) -> bool:
    """A Kubernetes label or annotation key: an optional DNS subdomain prefix and a name."""
    prefix, _, name = text.rpartition("/")
    if prefix and not is_dns_subdomain(prefix):
        return False
    return _LABEL_NAME.matches(name) and len(name) <= DNS_LABEL_MAX


def is_label_value(text: str) -> bool:
    return _LABEL_VALUE.matches(text) and len(text) <= DNS_LABEL_MAX


def shortened(text: str, limit: int) -> str:
    """`text` if it fits, else a truncation plus a hash of the whole, so distinct long inputs stay
    distinct after shortening."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{text[: limit - len(digest) - 1]}-{digest}"


def iam_role_prefix(cluster_name: str, purpose: str) -> str:
    """name_prefix of an IAM role: `<cluster>-<purpose>-`, within the 38 characters AWS allows."""
    suffix = f"-{purpose}-"
    return shortened(cluster_name, IAM_ROLE_PREFIX_MAX - len(suffix)) + suffix


def node_group_prefix(group: str) -> str:
    """node_group_name_prefix: AWS appends 26 characters, so a new group can be created before the
    old one is deleted when a change forces replacement."""
    return f"{group}-"


def kms_alias(cluster_name: str) -> str:
    return f"alias/{cluster_name}-secrets"
