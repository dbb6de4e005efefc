"""ExistingCluster: deploy the GitOps layer onto a cluster groundwork did not build.

No AWS at all: the Kubernetes provider uses a context of the user's kubeconfig (KUBECONFIG or
~/.kube/config). This is the `local` stack, for example a kind cluster on a laptop.
"""

from typing import TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.common.kubernetes_provider import PROVIDER_SETTINGS
from components.common.renames import renamed_from

TYPE = "groundwork:index:ExistingCluster"


class ExistingClusterArgs(TypedDict):
    """Inputs of ExistingCluster."""

    context: str
    """Name of a kubeconfig context, for example kind-groundwork."""
    cluster_name: str
    """The name GitOps sees in the bridge and the stack output reports."""


class ExistingCluster(pulumi.ComponentResource):
    """A Kubernetes provider for a context of the user's kubeconfig."""

    cluster_name: pulumi.Output[str]
    """The cluster's name as given."""
    kubeconfig: pulumi.Output[str]
    """Names the context rather than copying credentials out of the user's kubeconfig (secret,
    so the output contract is the same on every stack)."""

    def __init__(self, name: str, args: ExistingClusterArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None,
                         renamed_from("groundwork:existing:ExistingCluster", opts))
        self.provider = k8s.Provider(
            f"{name}-k8s",
            context=args["context"],
            **PROVIDER_SETTINGS,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.cluster_name = pulumi.Output.from_input(args["cluster_name"])
        self.kubeconfig = pulumi.Output.secret(f"context: {args['context']}")
        self.register_outputs({"clusterName": self.cluster_name, "kubeconfig": self.kubeconfig})
