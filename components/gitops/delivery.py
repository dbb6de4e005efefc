"""GitOps: the delivery layer. Installs the engine `engine` names, Argo CD or Flux, from the same
engine-agnostic bootstrap.

Destroy order: every custom resource, Secret and ConfigMap of an engine depends on that engine's
Helm release, so `pulumi destroy` deletes them first, while the engine's controllers still run.
The seed apps depend on the root app, so they go first: their resources finalizer (Argo CD) or
prune (Flux) deletes their workloads, Services of type LoadBalancer included, while the load
balancer controller the root app installed is still there to delete the AWS load balancers. The
root app goes next and takes the add-ons with it. Pulumi waits for each object to be gone,
finalizers included, before it uninstalls the release, and the release waits for the node groups,
so all of this happens before the nodes, the cluster and the VPC are deleted; no load balancer or
ENI is left behind to block the VPC's deletion.
"""

from typing import NotRequired, TypedDict

import pulumi

from components.common.renames import renamed_from
from components.gitops.argocd import ArgoCd, ArgoCdArgs, ArgoCdOptions
from components.gitops.bootstrap import BootstrapArgs
from components.gitops.flux import Flux, FluxArgs, FluxOptions

TYPE = "groundwork:index:GitOps"
ENGINES = ("argocd", "flux")


class GitOpsArgs(TypedDict):
    """Inputs of GitOps."""

    engine: str
    """`argocd` or `flux`."""
    bootstrap: BootstrapArgs
    """The root app, seed apps, bridge and credentials the engine is seeded with."""
    argocd: NotRequired[ArgoCdOptions]
    """How Argo CD is installed; required when engine is `argocd`."""
    flux: NotRequired[FluxOptions]
    """How Flux is installed; required when engine is `flux`."""
    wait_for: NotRequired[pulumi.Input[list[pulumi.Input[str]]]]
    """Outputs of what the engine's pods need before they can schedule: the node groups on EKS,
    nothing on an existing cluster. Not the add-on roles: nothing in the install needs them."""


class GitOps(pulumi.ComponentResource):
    """The engine `engine` names, as a child named `<name>-<engine>`. Pass the cluster's
    Kubernetes provider in `opts.providers`; every child inherits it."""

    engine: pulumi.Output[str]
    """The engine that runs: `argocd` or `flux`."""
    namespace: pulumi.Output[str]
    """The namespace the engine runs in."""

    def __init__(self, name: str, args: GitOpsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, renamed_from("groundwork:gitops:GitOps", opts))
        engine = args["engine"]
        if engine not in ENGINES or engine not in args:
            raise ValueError(f"GitOps: engine must be one of {', '.join(ENGINES)}, with its "
                             f"options under the key of the same name; got {engine!r}")
        child = pulumi.ResourceOptions(parent=self)
        wait_for = args.get("wait_for") or []
        self.component: ArgoCd | Flux
        if engine == "argocd":
            self.component = ArgoCd(f"{name}-argocd", ArgoCdArgs(
                bootstrap=args["bootstrap"], options=args["argocd"], wait_for=wait_for), child)
        else:
            self.component = Flux(f"{name}-flux", FluxArgs(
                bootstrap=args["bootstrap"], options=args["flux"], wait_for=wait_for), child)
        self.engine = pulumi.Output.from_input(engine)
        self.namespace = self.component.namespace
        self.register_outputs({"engine": self.engine, "namespace": self.namespace})
