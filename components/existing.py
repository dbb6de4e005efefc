"""ExistingCluster: deploy the GitOps layer onto a cluster groundwork did not build.

No AWS at all: the Kubernetes provider uses a context of the user's kubeconfig (KUBECONFIG or
~/.kube/config). This is the `local` stack, for example a kind cluster on a laptop.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s


@dataclass
class ExistingClusterArgs:
    # Name of a kubeconfig context, for example kind-groundwork.
    context: str
    # The name GitOps sees in the bridge and the stack output reports.
    cluster_name: str


class ExistingCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    provider: k8s.Provider

    def __init__(self, name: str, args: ExistingClusterArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:existing:ExistingCluster", name, None, opts)
        self.provider = k8s.Provider(
            f"{name}-k8s",
            context=args.context,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.cluster_name = pulumi.Output.from_input(args.cluster_name)
        # The stack output names the context rather than copying credentials out of the user's
        # kubeconfig; it is still marked secret so the output contract is the same on every stack.
        self.kubeconfig = pulumi.Output.secret(f"context: {args.context}")
        self.register_outputs({"clusterName": self.cluster_name, "kubeconfig": self.kubeconfig})
