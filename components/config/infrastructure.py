"""Readers of the infrastructure settings: `network` and `cluster` (with its node groups)."""

import ipaddress
from collections.abc import Callable
from typing import Any

from components.common import naming
from components.config.keys import (
    AZ_COUNT_RANGE,
    CAPACITY_TYPES,
    CLUSTER_KEYS,
    INSTANCE_TYPE,
    INT32_RANGE,
    LOG_TYPES,
    NAT_STRATEGIES,
    NETWORK_KEYS,
    NODE_GROUP_KEYS,
    PROVIDERS,
    PUBLIC_ACCESS_CIDRS_MAX,
    ROLE_ARN,
    SUPPORTED_VERSIONS,
    TAINT_EFFECTS,
    TAINT_KEYS,
    VERSION,
    VPC_PREFIX_RANGE,
)
from components.config.reader import Reader
from components.config.settings import ClusterSettings, NetworkSettings, NodeGroupSettings, Taint


def network(reader: Reader, value: Any) -> NetworkSettings:
    obj = reader.fields("network", value, NETWORK_KEYS)
    cidr_text = reader.typed("network.cidr", obj.get("cidr"), str, "10.0.0.0/16")
    try:
        cidr = ipaddress.IPv4Network(cidr_text)
    except ValueError:
        reader.problem("network.cidr", f"{cidr_text!r} is not a valid IPv4 network")
        cidr = ipaddress.IPv4Network("10.0.0.0/16")
    else:
        low, high = VPC_PREFIX_RANGE
        if not low <= cidr.prefixlen <= high:
            reader.problem("network.cidr", f"{cidr_text!r} must be between /{low} and /{high}")
        if not cidr.is_private:
            reader.problem("network.cidr", f"{cidr_text!r} is not a private range "
                           "(10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10)")
    az_count = reader.integer("network.azCount", obj.get("azCount"), 2, AZ_COUNT_RANGE)
    nat = reader.choice("network.natGateways", obj.get("natGateways"), NAT_STRATEGIES)
    return NetworkSettings(cidr, az_count, nat)


def cluster(reader: Reader, value: Any, environment: str, protect: bool) -> ClusterSettings:
    obj = reader.fields("cluster", value, CLUSTER_KEYS)
    provider = reader.choice("cluster.provider", obj.get("provider"), PROVIDERS)
    name = reader.typed("cluster.name", obj.get("name"), str, "") or f"groundwork-{environment}"
    if not naming.is_cluster_name(name):
        reader.problem("cluster.name", f"{name!r} must start with a letter or digit, contain only "
                       f"letters, digits, '-' and '_', and be at most {naming.CLUSTER_NAME_MAX} "
                       "characters")
    version = reader.typed("cluster.version", obj.get("version"), str, SUPPORTED_VERSIONS[-1])
    if not VERSION.match(version):
        reader.problem("cluster.version", f"{version!r} is not a Kubernetes minor version such as "
                       f"\"{SUPPORTED_VERSIONS[-2]}\"")
    elif version not in SUPPORTED_VERSIONS:
        reader.problem("cluster.version", f"{version!r} is not supported; use one of "
                       f"{', '.join(SUPPORTED_VERSIONS)}")
    public = reader.typed("cluster.endpointPublicAccess", obj.get("endpointPublicAccess"), bool,
                          True)
    private = reader.typed("cluster.endpointPrivateAccess", obj.get("endpointPrivateAccess"),
                           bool, True)
    if not public and not private:
        reader.problem("cluster.endpointPrivateAccess", "must be true when endpointPublicAccess is "
                       "false, or the API server is unreachable")
    cidrs = reader.strings("cluster.publicAccessCidrs", obj.get("publicAccessCidrs"))
    anywhere = False
    for i, cidr in enumerate(cidrs):
        try:
            # Written any way (0.0.0.0/0, 0.0.0.0/00), a /0 is the whole internet.
            anywhere |= ipaddress.IPv4Network(cidr).prefixlen == 0
        except ValueError:
            reader.problem(f"cluster.publicAccessCidrs[{i}]", f"{cidr!r} is not a valid IPv4 "
                           "network (host bits must be zero)")
    if public and not cidrs:
        reader.problem("cluster.publicAccessCidrs", "must list at least one CIDR when "
                       "endpointPublicAccess is true")
    if len(cidrs) > PUBLIC_ACCESS_CIDRS_MAX:
        reader.problem("cluster.publicAccessCidrs", f"lists {len(cidrs)} CIDRs; EKS accepts at "
                       f"most {PUBLIC_ACCESS_CIDRS_MAX}")
    open_to_world = reader.typed("cluster.allowPublicEndpointFromAnywhere",
                                 obj.get("allowPublicEndpointFromAnywhere"), bool, False)
    if protect and public and anywhere and not open_to_world:
        reader.problem("cluster.publicAccessCidrs", "contains 0.0.0.0/0 in a protected stack; list "
                       "your networks, set endpointPublicAccess to false, or set "
                       "allowPublicEndpointFromAnywhere to true")
    log_types = reader.strings("cluster.logTypes", obj.get("logTypes"))
    for i, log_type in enumerate(log_types):
        if log_type not in LOG_TYPES:
            reader.problem(f"cluster.logTypes[{i}]", f"{log_type!r} is not one of "
                           f"{', '.join(LOG_TYPES)}")
    encryption = reader.typed("cluster.secretsEncryption", obj.get("secretsEncryption"), bool, True)
    admins = _role_arns(reader, "cluster.adminRoleArns", obj.get("adminRoleArns"))
    viewers = _role_arns(reader, "cluster.viewerRoleArns", obj.get("viewerRoleArns"))
    for i, arn in enumerate(viewers):
        if arn in admins:
            # EKS allows one access entry per principal.
            reader.problem(f"cluster.viewerRoleArns[{i}]", f"{arn!r} is also in adminRoleArns; "
                           "list it in one of them")
    node_groups = reader.each("cluster.nodeGroups", obj.get("nodeGroups"), _node_group(reader))
    context = reader.typed("cluster.context", obj.get("context"), str, "")
    if provider == "existing" and not context:
        reader.problem("cluster.context", "is required when provider is 'existing' (the kubeconfig "
                       "context to deploy to)")
    if provider == "eks":
        if context:
            reader.problem("cluster.context", "is only valid when provider is 'existing'")
        if not node_groups:
            reader.problem("cluster.nodeGroups", "must define at least one node group for EKS")
        reader.unique("cluster.nodeGroups", tuple(group.name for group in node_groups), ".name")
    system = reader.typed("cluster.systemNodeGroup", obj.get("systemNodeGroup"), str, "")
    if system and system not in {group.name for group in node_groups}:
        reader.problem("cluster.systemNodeGroup", f"{system!r} names no node group; use one of "
                       f"{', '.join(group.name for group in node_groups) or '(none defined)'}")
    self_signed = reader.typed("cluster.selfSignedKubeletCerts",
                               obj.get("selfSignedKubeletCerts", False), bool, False)
    if self_signed and provider == "eks":
        reader.problem("cluster.selfSignedKubeletCerts", "EKS kubelets serve certificates the "
                       "cluster CA signs; set it only for provider 'existing' (e.g. kind)")
    return ClusterSettings(provider, name, version, public, private, cidrs, log_types, encryption,
                           admins, viewers, node_groups, system, self_signed, context)


def _role_arns(reader: Reader, path: str, value: Any) -> tuple[str, ...]:
    arns = reader.strings(path, value)
    for i, arn in enumerate(arns):
        if not ROLE_ARN.match(arn):
            reader.problem(f"{path}[{i}]", f"{arn!r} is not an IAM role ARN "
                           "(arn:aws:iam::<12-digit account>:role/<name>)")
    reader.unique(path, arns)
    return arns


def _node_group(reader: Reader) -> Callable[[str, Any], NodeGroupSettings]:
    def read(path: str, value: Any) -> NodeGroupSettings:
        obj = reader.fields(path, value, NODE_GROUP_KEYS, required=("name", "instanceTypes"))
        name = reader.typed(f"{path}.name", obj.get("name", ""), str, "")
        if not naming.is_dns_label(name, naming.NODE_GROUP_SETTING_MAX):
            reader.problem(f"{path}.name", f"{name!r} must be a DNS-1123 label of at most "
                           f"{naming.NODE_GROUP_SETTING_MAX} characters")
        types = reader.strings(f"{path}.instanceTypes", obj.get("instanceTypes", []))
        if "instanceTypes" in obj and not types:
            reader.problem(f"{path}.instanceTypes", "must list at least one instance type")
        for i, instance_type in enumerate(types):
            if not INSTANCE_TYPE.match(instance_type):
                reader.problem(f"{path}.instanceTypes[{i}]", f"{instance_type!r} is not an EC2 "
                               "instance type such as t3.large")
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
            if not naming.is_label_key(key):
                reader.problem(f"{path}.labels", f"{key!r} is not a valid Kubernetes label key")
            if not naming.is_label_value(label):
                reader.problem(f"{path}.labels.{key}", f"{label!r} is not a valid label value")
        taints = reader.each(f"{path}.taints", obj.get("taints", []), _taint(reader))
        return NodeGroupSettings(name, types, capacity, sizes["minSize"], sizes["desiredSize"],
                                 sizes["maxSize"], labels, taints)

    return read


def _taint(reader: Reader) -> Callable[[str, Any], Taint]:
    def read(path: str, value: Any) -> Taint:
        obj = reader.fields(path, value, TAINT_KEYS, required=("key", "effect"))
        key = reader.typed(f"{path}.key", obj.get("key", "taint"), str, "taint")
        if not naming.is_label_key(key):
            reader.problem(f"{path}.key", f"{key!r} is not a valid taint key")
        taint_value = reader.typed(f"{path}.value", obj.get("value", ""), str, "")
        if not naming.is_label_value(taint_value):
            reader.problem(f"{path}.value", f"{taint_value!r} is not a valid taint value")
        effect = reader.choice(f"{path}.effect", obj.get("effect", TAINT_EFFECTS[0]), TAINT_EFFECTS)
        return Taint(key, taint_value, effect)

    return read
