"""Stack configuration: read once, validated whole, returned as frozen dataclasses.

Every problem is collected with its full key path (`groundwork:network.cidr`) and raised together
in one `ConfigError` before any resource is registered. `ConfigError` is a `pulumi.RunError`, so the
CLI prints the message without a Python traceback.

Object-valued keys are merged field by field over the defaults declared in Pulumi.yaml, so a stack
file names only what it changes. The Pulumi CLI applies those same defaults to keys a stack leaves
out entirely; reading Pulumi.yaml here keeps it the single source of defaults.
"""

from pathlib import Path
from typing import Any

import pulumi
import yaml

from components.common import naming
from components.common.deep_merge import merge
from components.config import delivery, infrastructure
from components.config.errors import ConfigError
from components.config.keys import CREDENTIALS_KEY, NAMESPACE, PROJECT_FILE
from components.config.reader import Reader
from components.config.settings import Settings


def project_declarations(project_file: Path = PROJECT_FILE) -> dict[str, dict[str, Any]]:
    """Every key declared in Pulumi.yaml's `config:` block, with its type and default."""
    return yaml.safe_load(project_file.read_text())["config"]


def load(stack: str | None = None, config: pulumi.Config | None = None) -> Settings:
    """Read and validate the whole stack configuration. Raises ConfigError listing every problem."""
    stack = stack or pulumi.get_stack()
    config = config or pulumi.Config(NAMESPACE)
    declarations = project_declarations()
    reader = Reader()

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

    environment = reader.typed("environment", raw("environment"), str, "") or stack
    if not naming.is_dns_label(environment, naming.ENVIRONMENT_MAX):
        reader.problem("environment", f"{environment!r} must be a DNS-1123 label of at most "
                       f"{naming.ENVIRONMENT_MAX} characters (lowercase letters, digits, '-')")
    protect = reader.typed("protect", raw("protect"), bool, False)
    network = infrastructure.network(reader, raw("network"))
    cluster = infrastructure.cluster(reader, raw("cluster"), environment, protect)
    if cluster.provider == "eks" and network.nat_gateways == "none":
        reader.problem("network.natGateways", "'none' leaves nodes in the private subnets unable "
                       "to pull images (groundwork creates no VPC endpoints); use 'single' or "
                       "'perAz'")
    gitops = delivery.gitops(reader, raw("gitops"), cluster)
    credentials = delivery.credentials(reader, raw(CREDENTIALS_KEY), gitops.source.repo_url)
    if reader.problems:
        raise ConfigError(reader.problems)
    return Settings(stack, environment, protect, network, cluster, gitops, credentials)
