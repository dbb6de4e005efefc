"""ArgoCd: Argo CD from its Helm chart, seeded from Git as an app of apps.

The objects come from the pure builders in argocd_manifests.py; this component only wraps them in
resources and orders them.
"""

from typing import Any, NotRequired, TypedDict

import pulumi

from components.common.deep_merge import merge
from components.common.gitops_model import secret_leaves
from components.common.renames import renamed_from
from components.gitops import argocd_manifests as manifests
from components.gitops import budgets, health
from components.gitops.bootstrap import BootstrapArgs, bootstrap
from components.gitops.helm_install import Chart, EngineComponent

TYPE = "groundwork:index:ArgoCd"


class ArgoCdOptions(TypedDict):
    """How Argo CD itself is installed."""

    chart_version: str
    """Exact version of the argo-cd Helm chart."""
    ha: NotRequired[bool]
    """The chart's HA layout (Redis HA, two replicas of the server, repo server and
    ApplicationSet controller)."""
    values: NotRequired[dict[str, Any]]
    """Chart values merged over groundwork's, Helm's way (maps merge, lists replace)."""
    secret_values: NotRequired[dict[str, Any]]
    """Chart values merged over `values`, each leaf passed on as a secret (an admin password)."""
    application_set: NotRequired[bool]
    """Create the seed apps as one ApplicationSet instead of one Application each."""


class ArgoCdArgs(TypedDict):
    """Inputs of ArgoCd."""

    bootstrap: BootstrapArgs
    """The root app, seed apps, bridge and credentials Argo CD is seeded with."""
    options: ArgoCdOptions
    """Chart version, HA and values."""
    wait_for: NotRequired[pulumi.Input[list[pulumi.Input[str]]]]
    """Outputs of what the chart's pods need before they can schedule, such as node group ARNs;
    the release is created after them and deleted before them."""


class ArgoCd(EngineComponent):
    """Argo CD installed from its chart and seeded from Git. Every custom resource and Secret waits
    for the release (see helm_install.py), so Application finalizers can remove what the apps
    deployed before the controllers go."""

    namespace: pulumi.Output[str]
    """The namespace Argo CD runs in."""
    chart_version: pulumi.Output[str]
    """The installed chart version."""

    def __init__(self, name: str, args: ArgoCdArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, renamed_from("groundwork:argocd:ArgoCd", opts))
        model = bootstrap(args["bootstrap"])
        options = args["options"]
        credentials = model.credentials
        known_hosts = credentials.known_hosts if credentials is not None else None
        values = manifests.helm_values(options.get("ha", False), options.get("values") or {},
                                       known_hosts, model.placement, len(model.apps))
        self._install(name, Chart(
            release_name=manifests.RELEASE_NAME, chart=manifests.CHART,
            repository=manifests.CHART_REPOSITORY, version=options["chart_version"],
            namespace=manifests.NAMESPACE,
            # Secret values reach the release only, never the bridge (the config refuses them
            # when Git owns the engine: Git could not carry them).
            values=merge(values, secret_leaves(options.get("secret_values") or {})),
            # Redis HA needs three pods scheduled and ready before the release settles.
            timeout_seconds=900, owned_by_git=model.owned_by_git,
        ), args.get("wait_for") or [])
        engine = (manifests.self_managed(options["chart_version"], values)
                  if model.owned_by_git else None)
        before_root: list[pulumi.Resource] = [
            self._secret(f"{name}-cluster", manifests.cluster_secret(model.metadata, engine))]
        if model.owned_by_git:
            # Before the root, which creates the Application that names it; after it on destroy.
            before_root.append(self._custom(f"{name}-engine-project", manifests.engine_project()))
        if credentials is not None:
            before_root.append(self._secret(f"{name}-repository", manifests.repository_secret(
                model.source.repo_url, credentials)))
        platform = self._custom(f"{name}-project", manifests.root_project(model))
        # What the root's add-on ApplicationSets make for this cluster names it: before the root,
        # and after it on destroy (Argo CD cannot finish deleting an Application whose project is
        # gone: controller/appcontroller.go finalizeApplicationDeletion).
        before_root.append(self._custom(f"{name}-addons-project", manifests.addons_project()))
        # The root app waits for its project and Secrets, and the seed apps for the root, so a
        # destroy deletes the seed apps (and their load balancers) while the add-ons the root app
        # installed, such as the load balancer controller, still run.
        # The root's cascade holds the add-ons; Argo CD puts no bound on it, so Pulumi's does
        # (budgets.py). Gated on Synced and Healthy unless sync is manual.
        root = self._finalized(
            f"{name}-root", manifests.root_application(model), platform, *before_root,
            engine_wait=budgets.ROOT,
            gate=health.ARGOCD_APPLICATION if model.sync.automated else (),
            health=model.health_timeout)
        # After the root, so a destroy removes Karpenter's NodePool and EC2NodeClass (and, through
        # their finalizers, its nodes) while the tree's Karpenter still runs.
        if (nodes := manifests.karpenter_nodes_application(model)) is not None:
            project = self._custom(f"{name}-karpenter-project",
                                   manifests.karpenter_nodes_project(model))
            self._finalized(f"{name}-{manifests.KARPENTER_APP}", nodes, project, root,
                            engine_wait=budgets.ADDON)
        seeds = manifests.seed_manifests(model, options.get("application_set", False))
        if seeds:
            seed_apps = self._custom(f"{name}-seed-project", manifests.seed_project(model))
            for suffix, manifest in seeds.items():
                self._finalized(f"{name}-{suffix}", manifest, seed_apps, root,
                                engine_wait=budgets.APP)
        self.chart_version = pulumi.Output.from_input(options["chart_version"])
        self.register_outputs({"namespace": self.namespace, "chartVersion": self.chart_version})
