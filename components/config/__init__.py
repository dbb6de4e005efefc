"""The `groundwork:` stack configuration: keys, validation and the settings it yields.

`load()` reads every key once into frozen dataclasses (settings.py) or raises one `ConfigError`
naming every problem; `preflight` checks settings against facts only AWS knows. This package
imports no component: components take their own args, and components/stack_args.py maps settings
to them.
"""

from components.common.fleet_roles import HUB, SPOKE
from components.config.errors import ConfigError
from components.config.keys import (
    APP_KEYS,
    ARGOCD_KEYS,
    CLUSTER_KEYS,
    CREDENTIALS_KEY,
    ENGINES,
    FLEET_KEYS,
    FLUX_KEYS,
    GITOPS_KEYS,
    HTTPS_CREDENTIAL_KEYS,
    NAMESPACE,
    NETWORK_KEYS,
    NO_ENGINE,
    NODE_GROUP_KEYS,
    PROJECT_FILE,
    SECRET_KEYS,
    SECRET_VALUES_KEY,
    SECRET_VALUES_KEYS,
    SSH_CREDENTIAL_KEYS,
    SYNC_KEYS,
    TAINT_KEYS,
    TOP_LEVEL_KEYS,
)
from components.config.load import PolicySizes, load, project_declarations
from components.config.preflight import (
    HUB_APPS,
    HUB_OUTPUTS,
    HUB_ROLE,
    check_access,
    check_engine_switch,
    check_hub,
    check_region,
    check_roles,
    check_upgrade,
)
from components.config.settings import Settings

__all__ = [
    "APP_KEYS",
    "ARGOCD_KEYS",
    "CLUSTER_KEYS",
    "CREDENTIALS_KEY",
    "ENGINES",
    "FLEET_KEYS",
    "FLUX_KEYS",
    "GITOPS_KEYS",
    "HTTPS_CREDENTIAL_KEYS",
    "HUB",
    "HUB_APPS",
    "HUB_OUTPUTS",
    "HUB_ROLE",
    "NAMESPACE",
    "NETWORK_KEYS",
    "NODE_GROUP_KEYS",
    "NO_ENGINE",
    "PROJECT_FILE",
    "SECRET_KEYS",
    "SECRET_VALUES_KEY",
    "SECRET_VALUES_KEYS",
    "SPOKE",
    "SSH_CREDENTIAL_KEYS",
    "SYNC_KEYS",
    "TAINT_KEYS",
    "TOP_LEVEL_KEYS",
    "ConfigError",
    "PolicySizes",
    "Settings",
    "check_access",
    "check_engine_switch",
    "check_hub",
    "check_region",
    "check_roles",
    "check_upgrade",
    "load",
    "project_declarations",
]
