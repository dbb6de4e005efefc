"""Stack configuration: read once, validated whole, returned as frozen dataclasses.

Every problem is collected with its full key path (`groundwork:network.cidr`) and raised together
in one `ConfigError` before any resource is registered. `ConfigError` is a `pulumi.RunError`, so the
CLI prints the message without a Python traceback.

Object-valued keys are merged field by field over the defaults declared in Pulumi.yaml, so a stack
file names only what it changes. The Pulumi CLI applies those same defaults to keys a stack leaves
out entirely; reading Pulumi.yaml here keeps it the single source of defaults.

Every key the stack sets is checked, not only those read: a misspelled top-level key would
otherwise be dropped without a word, credentials included. Secrecy is checked per top-level key,
the CLI's own granularity (keys.py): a key that names things may not be secret, and a key that
holds secrets must be.
"""

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import pulumi
import yaml
from pulumi.runtime import config as runtime_config

from components.common import limits, naming
from components.common.catalog import CATALOG, COMPUTE_ADDONS
from components.common.deep_merge import merge
from components.common.partitions import LONGEST_PARTITION, partition_of
from components.config import delivery, infrastructure
from components.config.errors import ConfigError
from components.config.fleet import fleet as read_fleet
from components.config.keys import (
    CREDENTIALS_KEY,
    NAMESPACE,
    PLAIN_KEYS,
    PROJECT_FILE,
    SECRET_KEYS,
    SECRET_VALUES_KEY,
    TOP_LEVEL_KEYS,
)
from components.config.reader import Reader
from components.config.settings import Settings

# Where the config names no region, a policy size assumes a region name this long.
_LONGEST_REGION = "x" * 20


class PolicySizes(Protocol):
    """Measures the inline IAM policy of each add-on that calls AWS, in characters as IAM counts
    them. The AWS layer builds the policies (components/aws/addon_policies.py); the program
    hands the measure to `load`, which knows no component."""

    def __call__(self, addons: Sequence[str], *, cluster_name: str, partition: str, region: str,
                 dns_zone_ids: Sequence[str]) -> Mapping[str, int]: ...


def project_declarations(project_file: Path = PROJECT_FILE) -> dict[str, dict[str, Any]]:
    """Every key declared in Pulumi.yaml's `config:` block, with its type and default."""
    # libyaml's loader where PyYAML has it (its wheels do): the program reads this file on every
    # run, and the pure-Python loader takes most of a spoke's evaluation beyond the SDK floor.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(project_file.read_text(), Loader=loader)["config"]


def given_keys() -> set[str]:
    """Every `groundwork:` key this run was given, set or defaulted. The language host hands the
    program its whole config (PULUMI_CONFIG) through `set_all_config`, which the runtime holds;
    `get_config` reads single keys from the same map, or from the environment without it."""
    given = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    return {key.split(":", 1)[1] for key in given if key.startswith(f"{NAMESPACE}:")}


def _check_keys(reader: Reader, given: Collection[str], secret: Collection[str]) -> None:
    for key in sorted(given):
        if key not in TOP_LEVEL_KEYS:
            reader.unknown(key, key, TOP_LEVEL_KEYS)
        elif key in secret and key in PLAIN_KEYS:
            reader.problem(key, f"must not be set with --secret: {PLAIN_KEYS[key]}; keep secrets "
                                f"in {CREDENTIALS_KEY} (Git) or {SECRET_VALUES_KEY} (Helm values)")


def _check_secrecy(reader: Reader, key: str, value: Any, secret: Collection[str]) -> None:
    if value and key not in secret:
        # Plaintext here means plaintext in the stack file, which is usually committed.
        reader.problem(key, "must be set with `pulumi config set --secret --path`; it is stored "
                            "in plaintext in the stack file")


def _check_policy_sizes(reader: Reader, measure: PolicySizes, settings: Settings,
                        region: str | None) -> None:
    """Each add-on role's inline policy must fit IAM's limit; the DNS add-ons' grow with every
    hosted zone they may change."""
    partition = (partition_of(region) if region else None) or LONGEST_PARTITION
    gitops = settings.gitops
    addons = [name for name in gitops.addons if name in CATALOG]
    sizes = measure(addons, cluster_name=settings.cluster.name, partition=partition,
                    region=region or _LONGEST_REGION, dns_zone_ids=gitops.dns_zone_ids)
    limit = limits.IAM_INLINE_ROLE_POLICY
    for name, size in sizes.items():
        if size > limit.value:
            path = ("gitops.dnsZoneIds" if CATALOG[name].needs_dns_zones
                    else "cluster.compute" if name in COMPUTE_ADDONS.values()
                    else f"gitops.addons[{gitops.addons.index(name)}]")
            reader.problem(path, f"makes the inline IAM policy of {name} {size:,} characters; "
                                 f"IAM accepts at most {limit.value:,} ({limit.source})")


def load(stack: str | None = None, config: pulumi.Config | None = None, *,
         policy_sizes: PolicySizes | None = None) -> Settings:
    """Read and validate the whole stack configuration. Raises ConfigError listing every problem.
    With `policy_sizes`, an EKS stack's add-on policies are measured against IAM's limit too."""
    stack = stack or pulumi.get_stack()
    config = config or pulumi.Config(NAMESPACE)
    declarations = project_declarations()
    given = given_keys()
    secret = {key for key in given if pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}")}
    # Values of keys that hold secrets are never quoted, even when wrongly set in plain text.
    reader = Reader(secret | set(SECRET_KEYS))
    _check_keys(reader, given, secret)

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
        return default if value is None else merge(default, value)

    region = pulumi.Config("aws").get("region")
    environment = reader.typed("environment", raw("environment"), str, "") or stack
    if not naming.is_dns_label(environment, naming.ENVIRONMENT_MAX):
        reader.problem("environment", f"{reader.show('environment', environment)} must be a "
                       f"DNS-1123 label of at most {naming.ENVIRONMENT_MAX} characters (lowercase "
                       "ASCII letters, digits, '-')")
    protect = reader.typed("protect", raw("protect"), bool, False)
    network = infrastructure.network(reader, raw("network"))
    cluster = infrastructure.cluster(reader, raw("cluster"), environment, protect,
                                     partition_of(region) if region else None)
    if cluster.provider == "eks" and network.nat_gateways == "none":
        reader.problem("network.natGateways", "'none' leaves nodes in the private subnets unable "
                       "to pull images (groundwork creates no VPC endpoints); use 'single' or "
                       "'perAz'")
    secret_values = raw(SECRET_VALUES_KEY)
    _check_secrecy(reader, SECRET_VALUES_KEY, secret_values, secret)
    gitops = delivery.gitops(reader, raw("gitops"), cluster,
                             delivery.read_secret_values(reader, secret_values))
    git_credentials = raw(CREDENTIALS_KEY)
    _check_secrecy(reader, CREDENTIALS_KEY, git_credentials, secret)
    credentials = delivery.credentials(reader, git_credentials, gitops.source.repo_url)
    fleet = read_fleet(reader, raw("fleet"), cluster, gitops,
                       partition_of(region) if region else None)
    settings = Settings(stack, environment, protect, network, cluster, gitops, credentials, fleet)
    if policy_sizes is not None and cluster.provider == "eks":
        _check_policy_sizes(reader, policy_sizes, settings, region)
    if reader.problems:
        raise ConfigError(reader.problems)
    return settings
