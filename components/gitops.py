"""The GitOps layer: which engine runs, and what the infrastructure tells it.

`GitOps` installs the engine named by `gitops.engine` (Argo CD or Flux) from the same
engine-agnostic `Bootstrap`, so that key is the only edit that moves a stack between engines.

The cluster bridge (`cluster_metadata`) carries infrastructure outputs into Git-managed
configuration: the environment, `enable_<addon>` flags, and on EKS the region, account, cluster
name, VPC and each add-on's IRSA role ARN, namespace and service account. Argo CD reads them as
labels and annotations of its in-cluster cluster Secret; Flux as `${key}` from the `cluster-vars`
ConfigMap. The add-ons tree is the root repository at the root revision under `ADDONS_BASEPATH`
(`addons_repo_url`, `addons_repo_revision`, `addons_repo_basepath`), so add-on definitions are
versioned with the bootstrap that enables them; the basepath ends in `/` so templates append a
directory to it. The repository `gitops.repoUrl` names must therefore hold the sample tree's
layout (gitops/README.md): the root at `gitops/{engine}` and the add-ons under `ADDONS_BASEPATH`.

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

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from components.addons import CATALOG
from components.argocd import ArgoCd, ArgoCdArgs
from components.config import GitCredentials, GitopsSettings, Settings
from components.flux import Flux, FluxArgs
from components.model import AddonBinding, Bootstrap, ClusterMetadata, GitSource

ADDONS_BASEPATH = "gitops/addons/"


@dataclass(frozen=True)
class AwsFacts:
    """What only an AWS cluster has to tell GitOps."""

    region: str
    account_id: str
    vpc_id: pulumi.Input[str]
    # Add-on name to IRSA role ARN, for the enabled add-ons that call AWS (AddonRoles.role_arns).
    role_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


def cluster_metadata(settings: Settings, cluster_name: pulumi.Input[str],
                     aws: AwsFacts | None = None) -> ClusterMetadata:
    """The bridge for this stack; without `aws` (an existing cluster) it has no AWS keys."""
    source = settings.gitops.source
    addons = tuple(
        AddonBinding(name, CATALOG[name].namespace, CATALOG[name].service_account,
                     aws.role_arns.get(name) if aws is not None else None)
        for name in settings.gitops.addons
    )
    return ClusterMetadata(
        environment=settings.environment,
        cluster_name=cluster_name,
        addons_source=GitSource(source.repo_url, source.revision, ADDONS_BASEPATH),
        aws_region=aws.region if aws is not None else "",
        aws_account_id=aws.account_id if aws is not None else "",
        aws_vpc_id=aws.vpc_id if aws is not None else "",
        addons=addons,
    )


@dataclass
class GitOpsArgs:
    settings: GitopsSettings
    metadata: ClusterMetadata
    credentials: GitCredentials | None = None
    # What the engine's pods need before they can schedule: the node groups on EKS, nothing on an
    # existing cluster. Not the add-on roles: nothing in the engine's install needs them.
    depends_on: Sequence[pulumi.Resource] = ()


class GitOps(pulumi.ComponentResource):
    """The engine `settings.engine` names, as a child named `<name>-<engine>`. Pass the cluster's
    Kubernetes provider in `opts.providers`; every child inherits it."""

    engine: str
    namespace: pulumi.Output[str]
    component: ArgoCd | Flux

    def __init__(self, name: str, args: GitOpsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:gitops:GitOps", name, None, opts)
        settings = args.settings
        bootstrap = Bootstrap(settings.source, settings.sync, settings.apps, args.metadata,
                              args.credentials)
        child = pulumi.ResourceOptions(parent=self)
        self.engine = settings.engine
        if settings.engine == "argocd":
            self.component = ArgoCd(f"{name}-argocd",
                                    ArgoCdArgs(bootstrap, settings.argocd, args.depends_on), child)
        else:
            self.component = Flux(f"{name}-flux",
                                  FluxArgs(bootstrap, settings.flux, args.depends_on), child)
        self.namespace = self.component.namespace
        self.register_outputs({"engine": self.engine, "namespace": self.namespace})
