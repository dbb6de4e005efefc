"""Stack configuration: read once, validated whole, returned as frozen dataclasses.

Every problem is collected with its full key path (`groundwork:network.cidr`) and raised together
in one `ConfigError` before any resource is registered. `ConfigError` is a `pulumi.RunError`, so the
CLI prints the message without a Python traceback.

Object-valued keys are merged field by field over the defaults declared in Pulumi.yaml, so a stack
file names only what it changes. The Pulumi CLI applies those same defaults to keys a stack leaves
out entirely; reading Pulumi.yaml here keeps it the single source of defaults.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml

from components import addons, naming
from components.model import GitSource, SeedApp, SyncPolicy

NAMESPACE = "groundwork"
PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"

NAT_STRATEGIES = ("none", "single", "perAz")
PROVIDERS = ("eks", "existing")
ENGINES = ("argocd", "flux")
CAPACITY_TYPES = ("ON_DEMAND", "SPOT")
TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# EKS standard and extended support at the time of writing; older versions cannot be created.
SUPPORTED_VERSIONS = ("1.31", "1.32", "1.33", "1.34", "1.35")
AZ_COUNT_RANGE = (2, 6)
# A /16 leaves room to grow; below /24 the per-AZ subnets would be smaller than EKS needs.
VPC_PREFIX_RANGE = (16, 24)

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$")
_HTTPS_GIT = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?/[^\s]+$")
_SSH_GIT = re.compile(r"^(ssh://[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d+)?/[^\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s/][^\s]*)$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,64}$")
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,32}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_VERSION = re.compile(r"^1\.\d{2}$")
_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$")
# Pulumi sends numbers as doubles and the AWS and Kubernetes APIs read them as 32-bit integers, so
# counts and waves stay in that range to arrive exactly as written.
INT32_RANGE = (-(2**31), 2**31 - 1)
# A hard EKS limit: it cannot be raised by a quota request.
PUBLIC_ACCESS_CIDRS_MAX = 40

# The keys each object accepts. Pulumi.yaml describes every one of them (tested).
NETWORK_KEYS = ("cidr", "azCount", "natGateways")
CLUSTER_KEYS = ("provider", "name", "version", "endpointPublicAccess", "endpointPrivateAccess",
                "publicAccessCidrs", "allowPublicEndpointFromAnywhere", "logTypes",
                "secretsEncryption", "adminRoleArns", "viewerRoleArns", "nodeGroups", "context")
NODE_GROUP_KEYS = ("name", "instanceTypes", "capacityType", "minSize", "desiredSize", "maxSize",
                   "labels", "taints")
TAINT_KEYS = ("key", "value", "effect")
GITOPS_KEYS = ("engine", "repoUrl", "revision", "path", "sync", "addons", "dnsZoneIds", "apps",
               "argocd", "flux")
SYNC_KEYS = ("automated", "prune", "selfHeal")
APP_KEYS = ("name", "path", "namespace", "repoUrl", "revision", "wave")
ARGOCD_KEYS = ("chartVersion", "ha", "values", "applicationSet")
FLUX_KEYS = ("chartVersion", "values", "interval")
# The one config key that holds secrets. Its values must arrive as secrets from the CLI.
CREDENTIALS_KEY = "gitCredentials"
HTTPS_CREDENTIAL_KEYS = ("username", "password")
SSH_CREDENTIAL_KEYS = ("sshPrivateKey", "knownHosts")


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. Lists every problem, one per line, each with its key path."""

    def __init__(self, problems: list[str]):
        self.problems = tuple(problems)
        listing = "\n".join(f"  - {problem}" for problem in problems)
        count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
        super().__init__(f"invalid groundwork configuration ({count}):\n{listing}")


# --- settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkSettings:
    cidr: ipaddress.IPv4Network
    az_count: int
    nat_gateways: str


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str


@dataclass(frozen=True)
class NodeGroupSettings:
    name: str
    instance_types: tuple[str, ...]
    capacity_type: str
    min_size: int
    desired_size: int
    max_size: int
    labels: Mapping[str, str]
    taints: tuple[Taint, ...]


@dataclass(frozen=True)
class ClusterSettings:
    provider: str
    name: str
    version: str
    endpoint_public_access: bool
    endpoint_private_access: bool
    public_access_cidrs: tuple[str, ...]
    log_types: tuple[str, ...]
    secrets_encryption: bool
    admin_role_arns: tuple[str, ...]
    viewer_role_arns: tuple[str, ...]
    node_groups: tuple[NodeGroupSettings, ...]
    context: str


@dataclass(frozen=True)
class ArgoCdSettings:
    chart_version: str
    ha: bool
    values: Mapping[str, Any]
    application_set: bool


@dataclass(frozen=True)
class FluxSettings:
    chart_version: str
    values: Mapping[str, Any]
    interval: str


@dataclass(frozen=True)
class GitopsSettings:
    engine: str
    source: GitSource
    sync: SyncPolicy
    addons: tuple[str, ...]
    dns_zone_ids: tuple[str, ...]
    apps: tuple[SeedApp, ...]
    argocd: ArgoCdSettings
    flux: FluxSettings


@dataclass(frozen=True)
class GitCredentials:
    """Exactly one shape is set. Values are secret Outputs, never plain strings, so they cannot
    leak into a non-secret input or a log line by accident."""

    username: pulumi.Output[str] | None = None
    password: pulumi.Output[str] | None = None
    ssh_private_key: pulumi.Output[str] | None = None
    known_hosts: pulumi.Output[str] | None = None

    @property
    def is_ssh(self) -> bool:
        return self.ssh_private_key is not None


@dataclass(frozen=True)
class Settings:
    stack: str
    environment: str
    protect: bool
    network: NetworkSettings
    cluster: ClusterSettings
    gitops: GitopsSettings
    git_credentials: GitCredentials | None


# --- reading -------------------------------------------------------------------------------------


class _Reader:
    """Typed access to raw config values that records a problem instead of raising, so one run
    reports every mistake. A value of the wrong type yields the fallback and a problem."""

    _KINDS: Mapping[type, str] = {str: "a string", bool: "true or false", int: "an integer",
                                  list: "a list", dict: "an object"}

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{NAMESPACE}:{path}: {message}")

    def typed(self, path: str, value: Any, kind: type, fallback: Any, secret: bool = False) -> Any:
        # bool is an int in Python; a YAML `true` where a number belongs is still a mistake.
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        # A secret value is named by its type only: the message reaches terminals and CI logs.
        given = f"a {type(value).__name__}" if secret else repr(value)
        self.problem(path, f"expected {self._KINDS[kind]}, got {given}")
        return fallback

    def integer(self, path: str, value: Any, fallback: int,
                bounds: tuple[int, int] = INT32_RANGE) -> int:
        number = self.typed(path, value, int, fallback)
        low, high = bounds
        if not low <= number <= high:
            self.problem(path, f"{number} must be between {low} and {high}")
        return number

    def fields(self, path: str, value: Any, allowed: tuple[str, ...],
               required: tuple[str, ...] = (), secret: bool = False) -> dict[str, Any]:
        obj = self.typed(path, value, dict, {}, secret)
        for key in obj:
            if key not in allowed:
                self.problem(f"{path}.{key}", f"unknown key; valid keys are {', '.join(allowed)}")
        for key in required:
            if key not in obj:
                self.problem(f"{path}.{key}", "is required")
        return obj

    def choice(self, path: str, value: Any, choices: tuple[str, ...]) -> str:
        text = self.typed(path, value, str, choices[0])
        if text not in choices:
            self.problem(path, f"{text!r} is not one of {', '.join(choices)}")
            return choices[0]
        return text

    def strings(self, path: str, value: Any) -> tuple[str, ...]:
        items = self.typed(path, value, list, [])
        return tuple(self.typed(f"{path}[{i}]", item, str, "") for i, item in enumerate(items))

    def string_map(self, path: str, value: Any) -> dict[str, str]:
        obj = self.typed(path, value, dict, {})
        return {str(k): self.typed(f"{path}.{k}", v, str, "") for k, v in obj.items()}

    def each(self, path: str, value: Any, read: Callable[[str, Any], Any]) -> tuple[Any, ...]:
        items = self.typed(path, value, list, [])
        return tuple(read(f"{path}[{i}]", item) for i, item in enumerate(items))

    def unique(self, path: str, items: tuple[str, ...], suffix: str = "") -> None:
        """Report each repeat of an earlier item at `path[i]<suffix>`."""
        for i, item in enumerate(items):
            if item in items[:i]:
                self.problem(f"{path}[{i}]{suffix}", f"{item!r} is listed twice")


def _merged(defaults: Any, override: Any) -> Any:
    """Field-by-field merge of a stack value over the Pulumi.yaml default. Lists replace."""
    if isinstance(defaults, dict) and isinstance(override, dict):
        merged = dict(defaults)
        for key, value in override.items():
            merged[key] = _merged(defaults.get(key), value)
        return merged
    return override


def project_declarations(project_file: Path = PROJECT_FILE) -> dict[str, dict[str, Any]]:
    """Every key declared in Pulumi.yaml's `config:` block, with its type and default."""
    return yaml.safe_load(project_file.read_text())["config"]


def load(stack: str | None = None, config: pulumi.Config | None = None) -> Settings:
    """Read and validate the whole stack configuration. Raises ConfigError listing every problem."""
    stack = stack or pulumi.get_stack()
    config = config or pulumi.Config(NAMESPACE)
    declarations = project_declarations()
    reader = _Reader()

    def raw(key: str) -> Any:
        default = declarations[key].get("default")
        if declarations[key]["type"] == "string":
            value = config.get(key)
        else:
            try:
                value = config.get_object(key)
            except pulumi.config.ConfigTypeError:
                reader.problem(key, f"expected {declarations[key]['type']} as JSON or YAML")
                return default
        return default if value is None else _merged(default, value)

    environment = reader.typed("environment", raw("environment"), str, "") or stack
    if not naming.is_dns_label(environment, naming.ENVIRONMENT_MAX):
        reader.problem("environment", f"{environment!r} must be a DNS-1123 label of at most "
                       f"{naming.ENVIRONMENT_MAX} characters (lowercase letters, digits, '-')")
    protect = reader.typed("protect", raw("protect"), bool, False)
    network = _network(reader, raw("network"))
    cluster = _cluster(reader, raw("cluster"), environment, protect)
    if cluster.provider == "eks" and network.nat_gateways == "none":
        reader.problem("network.natGateways", "'none' leaves nodes in the private subnets unable "
                       "to pull images (groundwork creates no VPC endpoints); use 'single' or "
                       "'perAz'")
    gitops = _gitops(reader, raw("gitops"), cluster)
    credentials = _credentials(reader, raw(CREDENTIALS_KEY), gitops.source.repo_url)
    if reader.problems:
        raise ConfigError(reader.problems)
    return Settings(stack, environment, protect, network, cluster, gitops, credentials)


def check_access(settings: Settings, caller_role_arn: str) -> None:
    """The identity creating an EKS cluster gets admin from EKS itself (the cluster creator's
    access entry); a second access entry for it fails the deployment with ResourceInUseException.
    `caller_role_arn` is that identity as IAM names it: the role, not the assumed-role session."""
    problems = [f"{NAMESPACE}:{path}[{i}]: {arn!r} is the identity running this deployment; EKS "
                "already grants it admin as the cluster creator; remove it"
                for path, arns in (("cluster.adminRoleArns", settings.cluster.admin_role_arns),
                                   ("cluster.viewerRoleArns", settings.cluster.viewer_role_arns))
                for i, arn in enumerate(arns) if arn == caller_role_arn]
    if problems:
        raise ConfigError(problems)


def check_zones(settings: Settings, available: list[str]) -> None:
    """azCount needs that many zones in the region; asked of AWS before anything is created."""
    if settings.cluster.provider == "eks" and settings.network.az_count > len(available):
        raise ConfigError([f"{NAMESPACE}:network.azCount: {settings.network.az_count} exceeds the "
                           f"{len(available)} availability zones of this region "
                           f"({', '.join(available)})"])


def _network(reader: _Reader, value: Any) -> NetworkSettings:
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


def _cluster(reader: _Reader, value: Any, environment: str, protect: bool) -> ClusterSettings:
    obj = reader.fields("cluster", value, CLUSTER_KEYS)
    provider = reader.choice("cluster.provider", obj.get("provider"), PROVIDERS)
    name = reader.typed("cluster.name", obj.get("name"), str, "") or f"groundwork-{environment}"
    if not naming.is_cluster_name(name):
        reader.problem("cluster.name", f"{name!r} must start with a letter or digit, contain only "
                       f"letters, digits, '-' and '_', and be at most {naming.CLUSTER_NAME_MAX} "
                       "characters")
    version = reader.typed("cluster.version", obj.get("version"), str, SUPPORTED_VERSIONS[-1])
    if not _VERSION.match(version):
        reader.problem("cluster.version", f"{version!r} is not a Kubernetes minor version such as "
                       f"\"{SUPPORTED_VERSIONS[-2]}\"")
    elif version not in SUPPORTED_VERSIONS:
        reader.problem("cluster.version", f"{version!r} is not supported; use one of "
                       f"{', '.join(SUPPORTED_VERSIONS)}")
    public = reader.typed("cluster.endpointPublicAccess", obj.get("endpointPublicAccess"), bool, True)
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
    return ClusterSettings(provider, name, version, public, private, cidrs, log_types, encryption,
                           admins, viewers, node_groups, context)


def _role_arns(reader: _Reader, path: str, value: Any) -> tuple[str, ...]:
    arns = reader.strings(path, value)
    for i, arn in enumerate(arns):
        if not _ROLE_ARN.match(arn):
            reader.problem(f"{path}[{i}]", f"{arn!r} is not an IAM role ARN "
                           "(arn:aws:iam::<12-digit account>:role/<name>)")
    reader.unique(path, arns)
    return arns


def _node_group(reader: _Reader) -> Callable[[str, Any], NodeGroupSettings]:
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
            if not _INSTANCE_TYPE.match(instance_type):
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


def _taint(reader: _Reader) -> Callable[[str, Any], Taint]:
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


def _repo_url(reader: _Reader, path: str, value: Any) -> str:
    url = reader.typed(path, value, str, "")
    if url.startswith("https://") and "@" in urllib.parse.urlsplit(url).netloc:
        # Not echoed: what stands before the '@' is usually a token.
        reader.problem(path, "must not embed credentials; set them in gitCredentials")
    elif not (_HTTPS_GIT.match(url) or _SSH_GIT.match(url)):
        reader.problem(path, f"{url!r} is not an https:// or ssh Git URL "
                       "(https://host/org/repo.git, ssh://git@host/org/repo.git or "
                       "git@host:org/repo.git)")
    return url


def _repo_path(reader: _Reader, path: str, value: Any) -> str:
    text = reader.typed(path, value, str, ".")
    parts = text.split("/")
    if not text or text.startswith("/") or ".." in parts or "\\" in text:
        reader.problem(path, f"{text!r} must be a relative path inside the repository, without "
                       "'..'")
    return text


def _revision(reader: _Reader, path: str, value: Any) -> str:
    revision = reader.typed(path, value, str, "")
    if not revision.strip():
        reader.problem(path, "must not be empty (a branch, tag or commit)")
    elif re.search(r"\s", revision):
        reader.problem(path, f"{revision!r} contains whitespace, which no Git ref can")
    return revision


def _gitops(reader: _Reader, value: Any, cluster: ClusterSettings) -> GitopsSettings:
    obj = reader.fields("gitops", value, GITOPS_KEYS)
    engine = reader.choice("gitops.engine", obj.get("engine"), ENGINES)
    source = GitSource(
        repo_url=_repo_url(reader, "gitops.repoUrl", obj.get("repoUrl")),
        revision=_revision(reader, "gitops.revision", obj.get("revision")),
        path=_repo_path(reader, "gitops.path", obj.get("path")).replace("{engine}", engine),
    )
    sync_obj = reader.fields("gitops.sync", obj.get("sync"), SYNC_KEYS)
    sync = SyncPolicy(
        automated=reader.typed("gitops.sync.automated", sync_obj.get("automated", True), bool, True),
        prune=reader.typed("gitops.sync.prune", sync_obj.get("prune", True), bool, True),
        self_heal=reader.typed("gitops.sync.selfHeal", sync_obj.get("selfHeal", True), bool, True),
    )
    enabled = reader.strings("gitops.addons", obj.get("addons"))
    for i, name in enumerate(enabled):
        addon = addons.CATALOG.get(name)
        if addon is None:
            reader.problem(f"gitops.addons[{i}]", f"{name!r} is not in the add-on catalog; valid "
                           f"names are {', '.join(sorted(addons.CATALOG))}")
        elif addon.policy is not None and cluster.provider != "eks":
            reader.problem(f"gitops.addons[{i}]", f"{name!r} needs an AWS IAM role, which only "
                           "provider 'eks' can create")
    reader.unique("gitops.addons", enabled)
    zone_ids = reader.strings("gitops.dnsZoneIds", obj.get("dnsZoneIds"))
    for i, zone_id in enumerate(zone_ids):
        if not _HOSTED_ZONE_ID.match(zone_id):
            reader.problem(f"gitops.dnsZoneIds[{i}]", f"{zone_id!r} is not a Route 53 hosted zone "
                           "id such as Z0123456789ABCDEFGHIJ")
    reader.unique("gitops.dnsZoneIds", zone_ids)
    dns_addons = [name for name in enabled
                  if (addon := addons.CATALOG.get(name)) is not None and addon.needs_dns_zones]
    if dns_addons and not zone_ids:
        reader.problem("gitops.dnsZoneIds", f"must list the Route 53 hosted zones "
                       f"{' and '.join(dns_addons)} may change")
    apps = reader.each("gitops.apps", obj.get("apps"), _app(reader, source))
    reader.unique("gitops.apps", tuple(app.name for app in apps), ".name")
    argo_obj = reader.fields("gitops.argocd", obj.get("argocd"), ARGOCD_KEYS)
    argocd = ArgoCdSettings(
        chart_version=_chart_version(reader, "gitops.argocd.chartVersion",
                                     argo_obj.get("chartVersion")),
        ha=reader.typed("gitops.argocd.ha", argo_obj.get("ha", False), bool, False),
        values=reader.typed("gitops.argocd.values", argo_obj.get("values", {}), dict, {}),
        application_set=reader.typed("gitops.argocd.applicationSet",
                                     argo_obj.get("applicationSet", False), bool, False),
    )
    flux_obj = reader.fields("gitops.flux", obj.get("flux"), FLUX_KEYS)
    interval = reader.typed("gitops.flux.interval", flux_obj.get("interval", "5m"), str, "5m")
    if not _DURATION.match(interval):
        reader.problem("gitops.flux.interval", f"{interval!r} is not a duration such as 1m or 10m30s")
    flux = FluxSettings(
        chart_version=_chart_version(reader, "gitops.flux.chartVersion", flux_obj.get("chartVersion")),
        values=reader.typed("gitops.flux.values", flux_obj.get("values", {}), dict, {}),
        interval=interval,
    )
    return GitopsSettings(engine, source, sync, enabled, zone_ids, apps, argocd, flux)


def _chart_version(reader: _Reader, path: str, value: Any) -> str:
    version = reader.typed(path, value, str, "")
    if not _SEMVER.match(version):
        reader.problem(path, f"{version!r} is not an exact chart version such as 1.2.3 (ranges and "
                       "'latest' are not allowed)")
    return version


def _app(reader: _Reader, default_source: GitSource) -> Callable[[str, Any], SeedApp]:
    def read(path: str, value: Any) -> SeedApp:
        obj = reader.fields(path, value, APP_KEYS, required=("name", "path", "namespace"))
        name = reader.typed(f"{path}.name", obj.get("name", ""), str, "")
        if not naming.is_dns_label(name):
            reader.problem(f"{path}.name", f"{name!r} must be a DNS-1123 label (lowercase letters, "
                           "digits and '-', at most 63 characters)")
        if name in naming.RESERVED_APP_NAMES:
            reader.problem(f"{path}.name", f"{name!r} is the name of the engine's root object; "
                           f"choose another (reserved: {', '.join(naming.RESERVED_APP_NAMES)})")
        namespace = reader.typed(f"{path}.namespace", obj.get("namespace", ""), str, "")
        if not naming.is_dns_label(namespace):
            reader.problem(f"{path}.namespace", f"{namespace!r} must be a DNS-1123 label")
        if namespace in naming.RESERVED_APP_NAMESPACES:
            reader.problem(f"{path}.namespace", f"{namespace!r} is reserved for the platform; "
                           "admin there is cluster admin (reserved: "
                           f"{', '.join(naming.RESERVED_APP_NAMESPACES)})")
        source = GitSource(
            repo_url=(_repo_url(reader, f"{path}.repoUrl", obj["repoUrl"]) if "repoUrl" in obj
                      else default_source.repo_url),
            revision=(_revision(reader, f"{path}.revision", obj["revision"]) if "revision" in obj
                      else default_source.revision),
            path=_repo_path(reader, f"{path}.path", obj.get("path", ".")),
        )
        wave = reader.integer(f"{path}.wave", obj.get("wave", 0), 0)
        return SeedApp(name, source, namespace, wave)

    return read


def _credentials(reader: _Reader, value: Any, repo_url: str) -> GitCredentials | None:
    obj = reader.fields(CREDENTIALS_KEY, value, HTTPS_CREDENTIAL_KEYS + SSH_CREDENTIAL_KEYS,
                        secret=True)
    if not obj:
        return None
    shapes = [keys for keys in (HTTPS_CREDENTIAL_KEYS, SSH_CREDENTIAL_KEYS)
              if any(key in obj for key in keys)]
    if len(shapes) != 1:
        reader.problem(CREDENTIALS_KEY, "set exactly one of {username, password} or "
                       "{sshPrivateKey, knownHosts}")
        return None
    missing = [key for key in shapes[0] if not isinstance(obj.get(key), str) or not obj[key]]
    for key in missing:
        # The value is secret: name the key, never echo what was given.
        reader.problem(f"gitCredentials.{key}", "is required and must be a non-empty string")
    if missing:
        return None
    if not pulumi.runtime.is_config_secret(f"{NAMESPACE}:{CREDENTIALS_KEY}"):
        # Plaintext here means plaintext in the stack file, which is usually committed.
        reader.problem(CREDENTIALS_KEY, "must be set with `pulumi config set --secret --path`; "
                       "it is stored in plaintext in the stack file")
    is_ssh = shapes[0] == SSH_CREDENTIAL_KEYS
    if is_ssh and _HTTPS_GIT.match(repo_url):
        reader.problem(CREDENTIALS_KEY, "holds an SSH key but gitops.repoUrl is https://")
    if not is_ssh and _SSH_GIT.match(repo_url):
        reader.problem(CREDENTIALS_KEY, "holds a username and password but gitops.repoUrl is SSH")
    secret = {key: pulumi.Output.secret(text) for key, text in obj.items()}
    return GitCredentials(
        username=secret.get("username"),
        password=secret.get("password"),
        ssh_private_key=secret.get("sshPrivateKey"),
        known_hosts=secret.get("knownHosts"),
    )
