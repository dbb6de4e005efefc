"""How every Kubernetes provider groundwork makes is configured, whichever cluster it reaches."""

from typing import TypedDict


class ProviderSettings(TypedDict):
    """Keyword arguments of `kubernetes.Provider`, beside how it reaches its cluster."""

    enable_server_side_apply: bool
    enable_config_map_mutable: bool
    enable_secret_mutable: bool


# Server-side apply lets large CRD-based objects and field managers coexist. Bridge and credential
# changes update in place: a replaced cluster Secret would make the add-on ApplicationSets drop
# their Applications and uninstall the add-ons.
PROVIDER_SETTINGS = ProviderSettings(enable_server_side_apply=True,
                                     enable_config_map_mutable=True, enable_secret_mutable=True)
