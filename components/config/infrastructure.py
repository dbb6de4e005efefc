"""Readers of the infrastructure settings: `network` and `cluster` (with its node groups)."""

import ipaddress
from collections.abc import Callable
from typing import Any

from components.common import limits, naming
from components.common.catalog import EKS_ADDONS
from components.common.partitions import PARTITIONS
from components.config.keys import (
    ADDON_VERSION,
    AZ_COUNT_RANGE,
    CAPACITY_TYPES,
    CLUSTER_KEYS,
    COMPUTE_MODES,
    INSTANCE_TYPE,
    INT32_RANGE,
    LOG_TYPES,
    NAT_STRATEGIES,
    NETWORK_KEYS,
    NODE_GROUP_KEYS,
    PROVIDERS,
    ROLE_ARN,
    SPECIAL_RANGES,
    SUPPORTED_VERSIONS,
    TAINT_EFFECTS,
    TAINT_KEYS,
    VERSION,
    VPC_PREFIX_RANGE,
    VPC_RANGES,
    WORKLOAD_IDENTITIES,
    minor,
)
from components.config.reader import Reader
from components.config.settings import ClusterSettings, NetworkSettings, NodeGroupSettings, Taint

_DEFAULT_VPC = ipaddress.IPv4Network("10.0.0.0/16")


def _special(network: ipaddress.IPv4Network) -> str | None:
    """How a message names a range no VPC or client uses (`loopback`), or None."""
    return next((name for flag, name in SPECIAL_RANGES if getattr(network, flag)), None)


def _ipv4_network(reader: Reader, path: str, text: str) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(text)
    except ValueError:
        reader.problem(path, f"{reader.show(path, text)} is not a valid IPv4 network in CIDR "
                             "notation (host bits must be zero)")
        return None


def network(reader: Reader, value: Any) -> NetworkSettings:
    obj = reader.fields("network", value, NETWORK_KEYS)
    cidr_text = reader.typed("network.cidr", obj.get("cidr"), str, str(_DEFAULT_VPC))
    cidr = _ipv4_network(reader, "network.cidr", cidr_text) or _DEFAULT_VPC
    shown = reader.show("network.cidr", cidr_text)
    low, high = VPC_PREFIX_RANGE
    if not low <= cidr.prefixlen <= high:
        reader.problem("network.cidr", f"{shown} must be between /{low} and /{high}")
    if not any(cidr.subnet_of(space) for space in VPC_RANGES):
        kind = _special(cidr) or "outside the private ranges"
        allowed = ", ".join(str(space) for space in VPC_RANGES)
        reader.problem("network.cidr", f"{shown} is {kind}; a VPC takes a range inside one of "
                                       f"{allowed}")
    az_count = reader.integer("network.azCount", obj.get("azCount"), 2, AZ_COUNT_RANGE)
    nat = reader.choice("network.natGateways", obj.get("natGateways"), NAT_STRATEGIES)
    return NetworkSettings(cidr, az_count, nat)


def cluster(reader: Reader, value: Any, environment: str, protect: bool,
            partition: str | None) -> ClusterSettings:
    """`partition`: the AWS partition of the stack's region, when the config names the region."""
    obj = reader.fields("cluster", value, CLUSTER_KEYS)
    provider = reader.choice("cluster.provider", obj.get("provider"), PROVIDERS)
    name = reader.typed("cluster.name", obj.get("name"), str, "") or f"groundwork-{environment}"
    if not naming.is_cluster_name(name):
        reader.problem("cluster.name", f"{reader.show('cluster.name', name)} must start with a "
                       "letter or digit, contain only ASCII letters, digits, '-' and '_', and be "
                       f"at most {naming.CLUSTER_NAME_MAX} characters")
    version = reader.typed("cluster.version", obj.get("version"), str, SUPPORTED_VERSIONS[-1])
    if not VERSION.matches(version):
        reader.problem("cluster.version", f"{reader.show('cluster.version', version)} is not a "
                       f"Kubernetes minor version such as \"{SUPPORTED_VERSIONS[-2]}\"")
    elif version not in SUPPORTED_VERSIONS:
        reader.problem("cluster.version", f"{reader.show('cluster.version', version)} is not "
                       f"supported; use one of {', '.join(SUPPORTED_VERSIONS)}")
    public = reader.typed("cluster.endpointPublicAccess", obj.get("endpointPublicAccess"), bool,
                          True)
    private = reader.typed("cluster.endpointPrivateAccess", obj.get("endpointPrivateAccess"),
                           bool, True)
    if not public and not private:
        reader.problem("cluster.endpointPrivateAccess", "must be true when endpointPublicAccess is "
                       "false, or the API server is unreachable")
    cidrs = reader.strings("cluster.publicAccessCidrs", obj.get("publicAccessCidrs"))
    anywhere = False
    for i, cidr_text in enumerate(cidrs):
        path = f"cluster.publicAccessCidrs[{i}]"
        cidr = _ipv4_network(reader, path, cidr_text)
        if cidr is None:
            continue
        # Written any way (0.0.0.0/0, 0.0.0.0/00), a /0 is the whole internet.
        anywhere |= cidr.prefixlen == 0
        if cidr.prefixlen and (kind := _special(cidr)):
            reader.problem(path, f"{reader.show(path, cidr_text)} is {kind}, which no client of "
                                 "a public endpoint comes from")
    if public and not cidrs:
        reader.problem("cluster.publicAccessCidrs", "must list at least one CIDR when "
                       "endpointPublicAccess is true")
    cidr_limit = limits.EKS_PUBLIC_ACCESS_CIDRS
    if len(cidrs) > cidr_limit.value:
        reader.problem("cluster.publicAccessCidrs", f"lists {len(cidrs)} CIDRs; EKS accepts at "
                       f"most {cidr_limit.value} ({cidr_limit.source})")
    open_to_world = reader.typed("cluster.allowPublicEndpointFromAnywhere",
                                 obj.get("allowPublicEndpointFromAnywhere"), bool, False)
    if protect and public and anywhere and not open_to_world:
        reader.problem("cluster.publicAccessCidrs", "contains 0.0.0.0/0 in a protected stack; list "
                       "your networks, set endpointPublicAccess to false, or set "
                       "allowPublicEndpointFromAnywhere to true")
    log_types = reader.strings("cluster.logTypes", obj.get("logTypes"))
    for i, log_type in enumerate(log_types):
        if log_type not in LOG_TYPES:
            reader.problem(f"cluster.logTypes[{i}]", f"{reader.show('cluster.logTypes', log_type)} "
                           f"is not one of {', '.join(LOG_TYPES)}")
    encryption = reader.typed("cluster.secretsEncryption", obj.get("secretsEncryption"), bool, True)
    admins = role_arns(reader, "cluster.adminRoleArns", obj.get("adminRoleArns"), partition)
    viewers = role_arns(reader, "cluster.viewerRoleArns", obj.get("viewerRoleArns"), partition)
    for i, arn in enumerate(viewers):
        if arn in admins:
            # EKS allows one access entry per principal.
            path = f"cluster.viewerRoleArns[{i}]"
            reader.problem(path, f"{reader.show(path, arn)} is also in adminRoleArns; list it in "
                                 "one of them")
    node_groups = reader.each("cluster.nodeGroups", obj.get("nodeGroups"),
                              _node_group(reader, version))
    context = reader.typed("cluster.context", obj.get("context"), str, "")
    compute = reader.choice("cluster.compute", obj.get("compute", COMPUTE_MODES[0]), COMPUTE_MODES)
    identity = reader.choice("cluster.workloadIdentity",
                             obj.get("workloadIdentity", WORKLOAD_IDENTITIES[0]),
                             WORKLOAD_IDENTITIES)
    system = reader.typed("cluster.systemNodeGroup", obj.get("systemNodeGroup"), str, "")
    if provider == "existing" and not context:
        reader.problem("cluster.context", "is required when provider is 'existing' (the kubeconfig "
                       "context to deploy to)")
    if provider == "eks":
        if context:
            reader.problem("cluster.context", "is only valid when provider is 'existing'")
        _compute(reader, compute, node_groups, system)
        reader.unique("cluster.nodeGroups", tuple(group.name for group in node_groups), ".name")
    if system and system not in {group.name for group in node_groups}:
        names = ", ".join(group.name for group in node_groups) or "(none defined)"
        shown = reader.show("cluster.systemNodeGroup", system)
        reader.problem("cluster.systemNodeGroup", f"{shown} names no node group" + (
            "" if reader.is_secret("cluster.nodeGroups") else f"; use one of {names}"))
    addon_versions = _addon_versions(reader, obj.get("addonVersions", {}), compute)
    self_signed = reader.typed("cluster.selfSignedKubeletCerts",
                               obj.get("selfSignedKubeletCerts", False), bool, False)
    if self_signed and provider == "eks":
        reader.problem("cluster.selfSignedKubeletCerts", "EKS kubelets serve certificates the "
                       "cluster CA signs; set it only for provider 'existing' (e.g. kind)")
    return ClusterSettings(provider, name, version, public, private, cidrs, log_types, encryption,
                           admins, viewers, node_groups, system, self_signed, compute, identity,
                           addon_versions, context)


def _compute(reader: Reader, compute: str, node_groups: tuple[NodeGroupSettings, ...],
             system: str) -> None:
    """What each compute mode needs of the node groups: some for nodeGroups, none for Auto Mode
    (EKS runs the nodes), a system group for Karpenter (its controller cannot run on the nodes it
    launches)."""
    if compute == "nodeGroups" and not node_groups:
        reader.problem("cluster.nodeGroups", "must define at least one node group for EKS with "
                       "compute 'nodeGroups' (or set cluster.compute to 'autoMode')")
    elif compute == "autoMode":
        for key, given in (("nodeGroups", bool(node_groups)), ("systemNodeGroup", bool(system))):
            if given:
                reader.problem(f"cluster.{key}", "must be empty with compute 'autoMode' (set "
                               f"{'[]' if key == 'nodeGroups' else chr(34) * 2}; the default "
                               "defines one): EKS runs the nodes, in its built-in system and "
                               "general-purpose pools")
    elif compute == "karpenter" and not system:
        reader.problem("cluster.systemNodeGroup", "must name a node group with compute "
                       "'karpenter': Karpenter, the engine and CoreDNS run there, not on the "
                       "nodes Karpenter launches")


def _addon_versions(reader: Reader, value: Any, compute: str) -> dict[str, str]:
    """Pinned EKS add-on versions, for add-ons this compute mode runs."""
    versions = reader.string_map("cluster.addonVersions", value)
    names = [addon.name for addon in EKS_ADDONS]
    for name, version in versions.items():
        path = f"cluster.addonVersions.{name}"
        if compute == "autoMode":
            reader.problem(path, f"{name!r} is run by EKS Auto Mode itself; remove it")
        elif name not in names:
            reader.problem(path, f"{name!r} is not an EKS add-on groundwork installs; use one of "
                                 f"{', '.join(names)}")
        elif not ADDON_VERSION.matches(version):
            reader.problem(path, f"{reader.show(path, version)} is not an EKS add-on version such "
                                 "as v1.20.1-eksbuild.3 (aws eks describe-addon-versions)")
    return versions


def role_arns(reader: Reader, path: str, value: Any,
               partition: str | None) -> tuple[str, ...]:
    arns = reader.strings(path, value)
    expected = partition or "<partition>"
    for i, arn in enumerate(arns):
        shown = reader.show(path, arn)
        match = ROLE_ARN.parse(arn)
        if match is None or len(match["path"]) > limits.IAM_ROLE_PATH.value:
            reader.problem(f"{path}[{i}]", f"{shown} is not an IAM role ARN "
                           f"(arn:{expected}:iam::<12-digit account>:role/<optional path/><name>)")
        elif match["partition"] not in PARTITIONS:
            reader.problem(f"{path}[{i}]", f"{shown} names partition {match['partition']!r}, "
                           f"which AWS does not have ({', '.join(PARTITIONS)})")
        elif partition is not None and match["partition"] != partition:
            reader.problem(f"{path}[{i}]", f"{shown} is in partition {match['partition']!r}, but "
                           f"aws:region is in {partition!r}; a role of another partition cannot "
                           "be granted access")
    reader.unique(path, arns)
    return arns


def _node_version(reader: Reader, path: str, value: Any, cluster_version: str) -> str:
    """A node group's version: the cluster's by default; held back at most the kubelet skew."""
    version = reader.typed(path, value, str, cluster_version) or cluster_version
    shown, cluster_shown = reader.show(path, version), reader.show("cluster.version",
                                                                   cluster_version)
    if not VERSION.matches(version):
        reader.problem(path, f"{shown} is not a Kubernetes minor version such as "
                             f"\"{SUPPORTED_VERSIONS[-2]}\"")
        return cluster_version
    if VERSION.matches(cluster_version):
        behind = minor(cluster_version) - minor(version)
        skew = limits.KUBELET_VERSION_SKEW
        if behind < 0:
            reader.problem(path, f"{shown} is newer than cluster.version {cluster_shown}; nodes "
                                 f"may not run ahead of the control plane ({skew.source})")
        elif behind > skew.value:
            reader.problem(path, f"{shown} is {behind} minor versions behind cluster.version "
                                 f"{cluster_shown}; at most {skew.value} are allowed "
                                 f"({skew.source}): upgrade the group first")
    return version


def _node_group(reader: Reader, cluster_version: str) -> Callable[[str, Any], NodeGroupSettings]:
    def read(path: str, value: Any) -> NodeGroupSettings:
        obj = reader.fields(path, value, NODE_GROUP_KEYS, required=("name", "instanceTypes"))
        name = reader.typed(f"{path}.name", obj.get("name", ""), str, "")
        if not naming.is_dns_label(name, naming.NODE_GROUP_SETTING_MAX):
            reader.problem(f"{path}.name", f"{reader.show(path, name)} must be a DNS-1123 label "
                           f"of at most {naming.NODE_GROUP_SETTING_MAX} characters")
        types = reader.strings(f"{path}.instanceTypes", obj.get("instanceTypes", []))
        if "instanceTypes" in obj and not types:
            reader.problem(f"{path}.instanceTypes", "must list at least one instance type")
        for i, instance_type in enumerate(types):
            if not INSTANCE_TYPE.matches(instance_type):
                reader.problem(f"{path}.instanceTypes[{i}]", f"{reader.show(path, instance_type)} "
                               "is not an EC2 instance type such as t3.large")
        capacity = reader.choice(f"{path}.capacityType", obj.get("capacityType", "ON_DEMAND"),
                                 CAPACITY_TYPES)
        sizes = {key: reader.integer(f"{path}.{key}", obj.get(key, 1), 1, (0, INT32_RANGE[1]))
                 for key in ("minSize", "desiredSize", "maxSize")}
        if sizes["maxSize"] < 1:
            reader.problem(f"{path}.maxSize", f"{sizes['maxSize']} must be at least 1")
        if not sizes["minSize"] <= sizes["desiredSize"] <= sizes["maxSize"]:
            reader.problem(f"{path}.desiredSize", "must satisfy minSize <= desiredSize <= maxSize "
                           f"(got {sizes['minSize']} <= {sizes['desiredSize']} <= "
                           f"{sizes['maxSize']})")
        labels = reader.string_map(f"{path}.labels", obj.get("labels", {}))
        for key, label in labels.items():
            _label(reader, f"{path}.labels", key, label)
        taints = reader.each(f"{path}.taints", obj.get("taints", []), _taint(reader))
        taint_limit = limits.EKS_TAINTS_PER_NODE_GROUP
        if len(taints) > taint_limit.value:
            reader.problem(f"{path}.taints", f"lists {len(taints)} taints; EKS accepts at most "
                           f"{taint_limit.value} ({taint_limit.source})")
        version = _node_version(reader, f"{path}.version", obj.get("version", cluster_version),
                                cluster_version)
        return NodeGroupSettings(name, types, capacity, sizes["minSize"], sizes["desiredSize"],
                                 sizes["maxSize"], labels, taints, version)

    return read


def _label(reader: Reader, path: str, key: str, label: str) -> None:
    """A node label as EKS takes it: a Kubernetes label, within EKS's lengths, which are shorter
    than Kubernetes' for a prefixed key, and no empty value."""
    key_limit, value_limit = limits.EKS_LABEL_KEY, limits.EKS_LABEL_VALUE
    if not naming.is_label_key(key):
        reader.problem(path, f"{reader.show(path, key)} is not a valid Kubernetes label key")
    elif len(key) > key_limit.value:
        reader.problem(path, f"{reader.show(path, key)} has {len(key)} characters; EKS accepts at "
                             f"most {key_limit.value} ({key_limit.source})")
    if not naming.is_label_value(label):
        reader.problem(f"{path}.{key}", f"{reader.show(path, label)} is not a valid label value")
    elif not label:
        # Kubernetes takes an empty label value; EKS does not.
        reader.problem(f"{path}.{key}", f"must not be empty; EKS takes 1 to {value_limit.value} "
                                        f"characters ({value_limit.source})")


def _taint(reader: Reader) -> Callable[[str, Any], Taint]:
    def read(path: str, value: Any) -> Taint:
        obj = reader.fields(path, value, TAINT_KEYS, required=("key", "effect"))
        key_limit, value_limit = limits.EKS_TAINT_KEY, limits.EKS_TAINT_VALUE
        key = reader.typed(f"{path}.key", obj.get("key", "taint"), str, "taint")
        if not naming.is_label_key(key):
            reader.problem(f"{path}.key", f"{reader.show(path, key)} is not a valid taint key")
        elif len(key) > key_limit.value:
            reader.problem(f"{path}.key", f"has {len(key)} characters; EKS accepts at most "
                                          f"{key_limit.value} ({key_limit.source})")
        taint_value = reader.typed(f"{path}.value", obj.get("value", ""), str, "")
        if not naming.is_label_value(taint_value):
            # Kubernetes' label values are EKS's taint values: at most 63 characters.
            reader.problem(f"{path}.value", f"{reader.show(path, taint_value)} is not a valid "
                                            f"taint value of at most {value_limit.value} "
                                            f"characters ({value_limit.source})")
        effect = reader.choice(f"{path}.effect", obj.get("effect", TAINT_EFFECTS[0]), TAINT_EFFECTS)
        return Taint(key, taint_value, effect)

    return read
