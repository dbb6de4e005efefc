"""What the Argo CD and Flux components share: the engine's namespace, its Helm release, and the
rule that every object of the engine's kinds waits for that release.

Engines install with `kubernetes.helm.v3.Release`, not `helm.v4.Chart`: v4 drops Helm hooks, and
the argo-cd chart creates its Redis secret in a pre-install hook. Waiting for the release means
an object is created only once the CRDs and controllers exist and, at destroy time, deleted while
the controllers still run to clear its finalizers.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.common.ordering import after
from components.gitops import budgets
from components.gitops.health import gated


@dataclass(frozen=True)
class Chart:
    """A pinned Helm chart installed as one release into its own namespace."""

    release_name: str
    chart: str
    repository: str
    version: str
    namespace: str
    values: Mapping[str, Any]
    timeout_seconds: int = 600
    # `git` ownership: the engine upgrades itself from the tree, so Pulumi installs the release
    # once and leaves its version and values to Git (and a preview shows no drift after an
    # upgrade from Git). Nothing else is ignored.
    owned_by_git: bool = False

    @property
    def oci(self) -> bool:
        return self.chart.startswith("oci://")


# What Git owns of the release once the engine manages itself (tested: exactly these).
GIT_OWNED_RELEASE_FIELDS = ("version", "values")

class EngineComponent(pulumi.ComponentResource):
    """Base of ArgoCd and Flux: `_install` the chart, then objects `_after_release`."""

    def _install(self, name: str, chart: Chart, wait_for: pulumi.Input[Any]) -> None:
        """The namespace and the release. The release waits for `wait_for` (outputs of the nodes
        its pods need) and for nothing else, so the engine starts as early as the cluster allows."""
        home = self._namespace(f"{name}-namespace", chart.namespace)
        self.namespace: pulumi.Output[str] = home.metadata.name
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            k8s.helm.v3.ReleaseArgs(
                name=chart.release_name,
                chart=chart.chart,
                version=chart.version,
                # An OCI chart names its registry in `chart`.
                repository_opts=(None if chart.oci
                                 else k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository)),
                namespace=after(self.namespace, wait_for),
                values=dict(chart.values),
                timeout=chart.timeout_seconds,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                ignore_changes=list(GIT_OWNED_RELEASE_FIELDS) if chart.owned_by_git else None),
        )
        # What the engine's objects wait for: the release, or what an operator makes of it.
        self.ready: pulumi.Resource = self.release

    def _after_release(self, *others: pulumi.Resource,
                       timeouts: pulumi.CustomTimeouts | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=[self.ready, *others],
                                      custom_timeouts=timeouts)

    def _namespace(self, name: str, namespace: str) -> k8s.core.v1.Namespace:
        return k8s.core.v1.Namespace(name, metadata={"name": namespace},
                                     opts=pulumi.ResourceOptions(parent=self))

    def _secret(self, name: str, manifest: Mapping[str, Any]) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(name, metadata=manifest["metadata"], type=manifest["type"],
                                  string_data=manifest["stringData"], opts=self._after_release())

    def _config_map(self, name: str, manifest: Mapping[str, Any]) -> k8s.core.v1.ConfigMap:
        return k8s.core.v1.ConfigMap(name, metadata=manifest["metadata"], data=manifest["data"],
                                     opts=self._after_release())

    def _custom(self, name: str, manifest: Mapping[str, Any], *others: pulumi.Resource,
                timeouts: pulumi.CustomTimeouts | None = None
                ) -> k8s.apiextensions.CustomResource:
        """A custom resource after the release and after `others`."""
        return k8s.apiextensions.CustomResource(
            name, api_version=manifest["apiVersion"], kind=manifest["kind"],
            metadata=manifest["metadata"], spec=manifest["spec"],
            opts=self._after_release(*others, timeouts=timeouts))

    def _finalized(self, name: str, manifest: Mapping[str, Any], *others: pulumi.Resource,
                   engine_wait: timedelta, gate: Sequence[str] = (),
                   health: timedelta | None = None) -> k8s.apiextensions.CustomResource:
        """A custom resource the engine finalizes within `engine_wait` on delete, behind the
        health gate `gate` when `health` bounds one (see budgets.py and health.py)."""
        if gate and health is not None:
            manifest = gated(manifest, gate)
        return self._custom(name, manifest, *others, timeouts=budgets.pulumi_timeouts(
            engine_wait, health if gate else None))
