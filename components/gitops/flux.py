"""Flux: Flux from the community Helm chart, seeded from Git the way `flux bootstrap` seeds it.

The objects and the choice of sources come from the pure builders in flux_manifests.py; this
component only wraps them in resources and orders them.
"""

import importlib.metadata
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.common.deep_merge import merge
from components.common.gitops_model import SeedApp, secret_leaves
from components.common.renames import renamed_from
from components.gitops import budgets, health
from components.gitops import flux_manifests as manifests
from components.gitops.bootstrap import Bootstrap, BootstrapArgs, bootstrap
from components.gitops.health import gated
from components.gitops.helm_install import Chart, EngineComponent

TYPE = "groundwork:index:Flux"


class FluxOptions(TypedDict):
    """How Flux itself is installed."""

    chart_version: str
    """Exact version of the flux2 community Helm chart."""
    values: NotRequired[dict[str, Any]]
    """Chart values merged over groundwork's, Helm's way (maps merge, lists replace)."""
    secret_values: NotRequired[dict[str, Any]]
    """Chart values merged over `values`, each leaf passed on as a secret."""
    interval: NotRequired[str]
    """Reconcile interval of the GitRepositories and Kustomizations; defaults to 5m."""
    resource_set: NotRequired[bool]
    """Create the seed apps as one Flux Operator ResourceSet instead of objects of their own, so
    the resources do not grow with the apps. Needs `ownership` `git` (the operator) and automated
    sync."""


class FluxArgs(TypedDict):
    """Inputs of Flux."""

    bootstrap: BootstrapArgs
    """The root Kustomization, seed apps, bridge and credentials Flux is seeded with."""
    options: FluxOptions
    """Chart version, values and interval."""
    wait_for: NotRequired[pulumi.Input[list[pulumi.Input[str]]]]
    """Outputs of what the chart's pods need before they can schedule, such as node group ARNs;
    the release is created after them and deleted before them."""


class Flux(EngineComponent):
    """Flux installed from the community chart and seeded from Git. Every custom resource, Secret
    and ConfigMap waits for the release (see helm_install.py), so Kustomization finalizers can
    prune what the apps deployed before the controllers go."""

    namespace: pulumi.Output[str]
    """The namespace Flux runs in."""
    chart_version: pulumi.Output[str]
    """The installed chart version."""

    def __init__(self, name: str, args: FluxArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, renamed_from("groundwork:flux:Flux", opts))
        model = bootstrap(args["bootstrap"])
        options = args["options"]
        interval = options.get("interval", "5m")
        resource_set = options.get("resource_set", False)
        if resource_set and not (model.owned_by_git and model.sync.automated):
            raise ValueError("Flux: resource_set needs ownership 'git', which installs the Flux "
                             "Operator, and automated sync (see flux_manifests.app_template)")
        if model.owned_by_git:
            self._install(name, Chart(
                release_name=manifests.OPERATOR_RELEASE, chart=manifests.OPERATOR_CHART,
                repository="", version=manifests.OPERATOR_VERSION,
                namespace=manifests.NAMESPACE,
                values=manifests.operator_values(model.placement), owned_by_git=True,
            ), args.get("wait_for") or [])
            # Flux's own CRDs arrive with the instance, so everything else waits for it Ready.
            # Git owns its spec from the first sync of the tree's copy on.
            instance = gated(manifests.flux_instance(model.placement), health.FLUX_READY)
            self.ready = k8s.apiextensions.CustomResource(
                f"{name}-instance", api_version=instance["apiVersion"], kind=instance["kind"],
                metadata=instance["metadata"], spec=instance["spec"],
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[self.release], ignore_changes=["spec"],
                    custom_timeouts=budgets.pulumi_timeouts(budgets.ROOT, budgets.INSTALL)))
        else:
            self._install(name, Chart(
                release_name=manifests.RELEASE_NAME, chart=manifests.CHART,
                repository=manifests.CHART_REPOSITORY, version=options["chart_version"],
                namespace=manifests.NAMESPACE,
                values=merge(manifests.helm_values(options.get("values") or {}, model.placement,
                                                   len(model.apps)),
                             secret_leaves(options.get("secret_values") or {})),
            ), args.get("wait_for") or [])
        credentials: list[pulumi.Resource] = []
        if model.credentials is not None:
            credentials.append(self._secret(f"{name}-credentials",
                                            manifests.credentials_secret(model.credentials)))
        variables = self._config_map(f"{name}-cluster-vars",
                                     manifests.cluster_vars(model.metadata, model.owned_by_git))
        sources = {
            source: self._finalized(f"{name}-{plan.suffix}", plan.manifest,
                                    *(credentials if plan.uses_credentials else []),
                                    engine_wait=timedelta(0),
                                    # The gate shows a wrong URL, revision or credential.
                                    gate=health.FLUX_READY if source == manifests.ROOT else (),
                                    health=model.health_timeout)
            for source, plan in manifests.git_sources(model, interval,
                                                      apps=not resource_set).items()
        }
        # Apps wait for the root so a destroy prunes them while the add-ons it installed run.
        # Only the root is gated: it is Ready once everything it applied is.
        root = self._kustomization(f"{name}-root", manifests.root_kustomization(model, interval),
                                   model, budgets.ROOT, sources[manifests.ROOT], variables,
                                   gate=health.FLUX_READY)
        # Gates, like apps, wait for the root, so a destroy deletes them first; they finalize at
        # once, having applied nothing.
        for wave, apps in manifests.wave_gates(model.apps).items():
            self._finalized(f"{name}-wave-{wave}",
                            manifests.wave_gate(wave, apps, model, interval), root,
                            sources[manifests.ROOT], engine_wait=budgets.APP)
        # After the root, so a destroy removes Karpenter's NodePool and EC2NodeClass (and, through
        # their finalizers, its nodes) while the tree's Karpenter still runs.
        if (nodes := manifests.karpenter_nodes_release(model, interval)) is not None:
            self._finalized(f"{name}-{manifests.KARPENTER_NODES}", nodes, root,
                            sources[manifests.ROOT], engine_wait=budgets.ADDON)
        if not resource_set:
            self._apps(name, model, interval, root, sources)
        elif model.apps:  # without inputs the operator would render the template once, on none
            # After the root, like the apps it stands for, and after the credentials their
            # GitRepositories may read. Deleting it deletes what it made (budgets.py).
            self._finalized(f"{name}-{manifests.SEED_APPS}",
                            manifests.resource_set(model, interval), root, *credentials,
                            engine_wait=budgets.RESOURCE_SET_GC)
        self.chart_version = pulumi.Output.from_input(options["chart_version"])
        self.register_outputs({"namespace": self.namespace, "chartVersion": self.chart_version})

    def _apps(self, name: str, model: Bootstrap, interval: str, root: pulumi.Resource,
              sources: Mapping[str, pulumi.Resource]) -> None:
        """Each seed app's namespace (unless the cluster has it), identity and Kustomization."""
        namespaces = {ns: self._namespace(f"{name}-namespace-{ns}", ns)
                      for ns in model.app_namespaces() if ns not in manifests.EXISTING_NAMESPACES}
        dependencies = manifests.wave_dependencies(model.apps)
        for app in model.apps:
            identity = self._app_identity(f"{name}-app-{app.name}", app,
                                          namespaces.get(app.namespace))
            # After its identity, so a destroy deletes the Kustomization (and, waiting for
            # termination, what it applied) while the identity that prunes still exists.
            source = manifests.app_source(app, model)
            self._kustomization(
                f"{name}-app-{app.name}",
                manifests.app_kustomization(app, source, model.sync, interval,
                                            dependencies[app.name]),
                model, budgets.APP, root, sources[source], *identity)

    def _kustomization(self, name: str, manifest: dict, model: Bootstrap, engine_wait: timedelta,
                       *others: pulumi.Resource, gate: tuple[str, ...] = ()) -> pulumi.Resource:
        """A Kustomization that finalizes within `engine_wait`, behind `gate` unless in manual
        mode (it would never become Ready). In manual mode it is suspended by a patch that a
        destroy removes before it (see flux_manifests.suspension)."""
        automated = model.sync.automated
        kustomization = self._finalized(
            name, manifest, *others, engine_wait=engine_wait, gate=gate if automated else (),
            health=model.health_timeout)
        if not automated:
            patch = manifests.suspension(manifest)
            k8s.apiextensions.CustomResourcePatch(
                f"{name}-suspend", api_version=patch["apiVersion"], kind=patch["kind"],
                metadata=patch["metadata"], spec=patch["spec"],
                opts=self._after_release(kustomization))
        return kustomization

    def _app_identity(self, name: str, app: SeedApp,
                      namespace: k8s.core.v1.Namespace | None) -> list[pulumi.Resource]:
        """The app's ServiceAccount and its RoleBinding, the binding after the app's namespace
        when Pulumi creates it."""
        account = manifests.app_service_account(app)
        service_account = k8s.core.v1.ServiceAccount(f"{name}-identity",
                                                     metadata=account["metadata"],
                                                     opts=self._after_release())
        role_binding = RoleBinding(
            f"{name}-admin", manifests.app_role_binding(app),
            self._after_release(service_account, *([namespace] if namespace else [])))
        return [service_account, role_binding]


class RoleBinding(pulumi.CustomResource):
    """An rbac.authorization.k8s.io/v1 RoleBinding under pulumi-kubernetes' own type token and
    with the same inputs as its typed class, minus the aliases that class adds (to the v1alpha1
    and v1beta1 types, for stacks that created bindings before v1). groundwork never created
    those, and resolving two aliases costs the SDK about as much as registering the binding: a
    fifth of a Flux seed app's evaluation (bench/README.md). The engine and the provider see the
    same object either way."""

    TYPE = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
    # The typed classes pin their plugin version the same way, for a default provider.
    VERSION = importlib.metadata.version("pulumi_kubernetes")

    def __init__(self, name: str, manifest: Mapping[str, Any], opts: pulumi.ResourceOptions):
        super().__init__(self.TYPE, name, dict(manifest), pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(version=self.VERSION)))
