"""The components served as a Pulumi component package (see PulumiPlugin.yaml and __main__.py).

Any Pulumi language consumes them with `pulumi package add` pointing at this folder. The SDK's
analyzer infers the package schema from each component's typed args (TypedDicts whose fields are
plain values or `pulumi.Input`s, with a docstring each) and its `pulumi.Output` attributes.
"""

import json
from typing import Any

import pulumi
from pulumi.provider.experimental.component import ComponentProvider

from components.aws.addon_identities import AddonRoles
from components.aws.cluster import EksCluster
from components.aws.core_addons import CoreAddons, NodeAddons
from components.aws.fleet import FleetHub, SpokeAccess
from components.aws.karpenter import KarpenterInfra
from components.aws.network import Network
from components.aws.node_groups import NodeGroups
from components.gitops.argocd import ArgoCd
from components.gitops.delivery import GitOps
from components.gitops.fleet import FleetRegistrars, SpokeRegistration
from components.gitops.flux import Flux
from components.kubernetes.existing_cluster import ExistingCluster
from components.kubernetes.storage import DefaultStorage

NAME = "groundwork"
VERSION = "0.1.0"
COMPONENTS: list[type[pulumi.ComponentResource]] = [
    Network, EksCluster, NodeGroups, CoreAddons, NodeAddons, DefaultStorage, KarpenterInfra,
    AddonRoles, ExistingCluster, ArgoCd, Flux, GitOps, FleetHub, FleetRegistrars, SpokeAccess,
    SpokeRegistration,
]


def provider() -> ComponentProvider:
    return ComponentProvider(COMPONENTS, NAME, version=VERSION)


def schema() -> dict[str, Any]:
    """The package schema the provider serves, built offline."""
    return json.loads(provider().schema or "{}")
