"""Flux: Flux from the community Helm chart, seeded from Git the way `flux bootstrap` seeds it.

The builders return plain manifests (leaves may be `pulumi.Input`s); `Flux` only wraps them in
resources. What they make, all in `flux-system`:

- the `flux-system` GitRepository over `gitops.repoUrl` at `gitops.revision` (a branch, a semver
  tag such as v1.2.3, or a 40-character commit), with a credentials Secret when private;
- the `cluster-vars` ConfigMap: the cluster bridge, the same keys as the Argo CD cluster Secret;
- the root Kustomization `flux-system` over `gitops.path`, which substitutes `${key}` from
  cluster-vars in everything it applies;
- one Kustomization per seed app into its namespace, after the apps of the wave before it, from
  `flux-system` or from its own GitRepository when the app names another repository or revision;
- per seed app, a ServiceAccount `app-<name>` in `flux-system` and a RoleBinding in the app's
  namespace to the built-in `admin` ClusterRole. The app's Kustomization names that account in
  `serviceAccountName`, so kustomize-controller applies, prunes and health-checks the app as an
  identity that can act in the app's namespace and nowhere else: `targetNamespace` alone only
  rewrites namespaced objects, and the controller itself is cluster-admin.

Flux impersonates `system:serviceaccount:<the Kustomization's namespace>:<serviceAccountName>`, so
the account lives beside the Kustomization in `flux-system`, out of the app's reach; its power
comes only from the RoleBinding. The Kustomizations stay in `flux-system` too, so an app cannot
edit its own Kustomization, and no reference crosses namespaces (`--no-cross-namespace-refs`
stays possible).

Sync policy: `automated: false` suspends the Kustomizations (Flux's manual mode: `flux resume`),
`prune` is the Kustomizations' prune. Flux has no switch for `selfHeal`: kustomize-controller
re-applies Git at every interval and so always reverts drift.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import naming
from components.config import FluxSettings, GitCredentials
from components.engine import Chart, EngineComponent
from components.model import Bootstrap, ClusterMetadata, SeedApp, SyncPolicy, overlay

NAMESPACE = "flux-system"
CHART = "flux2"
CHART_REPOSITORY = "https://fluxcd-community.github.io/helm-charts"
RELEASE_NAME = "flux"
SOURCE_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
ROOT = naming.FLUX_ROOT
CREDENTIALS = naming.FLUX_ROOT
CLUSTER_VARS = "cluster-vars"
# Namespaces a cluster already has; a seed app may deploy into them but Pulumi must not own them.
EXISTING_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease",
                                 NAMESPACE})

_BASE_VALUES: Mapping[str, Any] = {
    # Image update automation writes to Git; off unless asked for through `values`.
    "imageAutomationController": {"create": False},
    "imageReflectionController": {"create": False},
    # The chart aggregates Flux's kinds into the built-in admin and edit roles. With that, the
    # namespaced admin each seed app runs as could create a Kustomization or HelmRelease without
    # serviceAccountName, which the cluster-admin controllers would then apply.
    "rbac": {"createAggregation": False},
}
# The built-in ClusterRole a seed app's identity holds, bound in the app's namespace only.
APP_ROLE = "admin"
_SEMVER_TAG = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?"
                         r"(\+[0-9A-Za-z.-]+)?$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_SCP_LIKE = re.compile(r"^(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?P<path>[^/\s]\S*)$")


def helm_values(settings: FluxSettings) -> dict:
    return overlay(_BASE_VALUES, settings.values)


def git_url(url: str) -> str:
    """Flux takes SSH only as a URL: `git@host:org/repo.git` becomes
    `ssh://git@host/org/repo.git`. Other URLs pass unchanged."""
    match = _SCP_LIKE.match(url)
    if match is None:
        return url
    return f"ssh://{match['user']}@{match['host']}/{match['path']}"


def git_ref(revision: str) -> dict[str, str]:
    if _COMMIT.match(revision):
        return {"commit": revision}
    if _SEMVER_TAG.match(revision):
        return {"tag": revision}
    return {"branch": revision}


def credentials_secret(credentials: GitCredentials) -> dict:
    """Git credentials in the form source-controller reads. The whole stringData is one secret
    Output, so no field of it can reach state or a preview in plain text."""
    fields = ({"identity": credentials.ssh_private_key, "known_hosts": credentials.known_hosts}
              if credentials.is_ssh
              else {"username": credentials.username, "password": credentials.password})
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": CREDENTIALS, "namespace": NAMESPACE},
        "type": "Opaque",
        "stringData": pulumi.Output.secret(pulumi.Output.all(**fields)),
    }


def cluster_vars(metadata: ClusterMetadata) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": CLUSTER_VARS, "namespace": NAMESPACE},
        "data": dict(metadata.variables()),
    }


def git_repository(name: str, repo_url: str, revision: str, interval: str,
                   secret: str | None) -> dict:
    spec: dict[str, Any] = {"interval": interval, "url": git_url(repo_url),
                            "ref": git_ref(revision)}
    if secret is not None:
        spec["secretRef"] = {"name": secret}
    return {"apiVersion": SOURCE_API, "kind": "GitRepository",
            "metadata": {"name": name, "namespace": NAMESPACE}, "spec": spec}


def kustomization(name: str, path: str, source: str, sync: SyncPolicy, interval: str,
                  **spec: Any) -> dict:
    """`wait` makes Ready mean "everything applied is healthy", which is what dependsOn waits
    for. With pruning on, deletion waits until what the Kustomization applied is gone, so a
    destroy removes an app's load balancers while the controller that deletes them still runs;
    the default (MirrorPrune) would return at once and leave them to block the subnets'
    deletion. The Kustomizations in gitops/flux/ carry the same policy for the same reason."""
    base: dict[str, Any] = {"interval": interval, "path": f"./{path}", "prune": sync.prune,
                            "wait": True, "sourceRef": {"kind": "GitRepository", "name": source}}
    if sync.prune:
        base["deletionPolicy"] = "WaitForTermination"
    if not sync.automated:
        base["suspend"] = True
    return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
            "metadata": {"name": name, "namespace": NAMESPACE}, "spec": {**base, **spec}}


def root_kustomization(bootstrap: Bootstrap, interval: str) -> dict:
    return kustomization(ROOT, bootstrap.source.path, ROOT, bootstrap.sync, interval,
                         postBuild={"substituteFrom": [{"kind": "ConfigMap",
                                                        "name": CLUSTER_VARS}]})


def app_source(app: SeedApp, bootstrap: Bootstrap) -> str:
    """The GitRepository an app reads: the root's unless it names another repository or
    revision."""
    main = bootstrap.source
    if (app.source.repo_url, app.source.revision) == (main.repo_url, main.revision):
        return ROOT
    return f"app-{app.name}"


def wave_dependencies(apps: Sequence[SeedApp]) -> dict[str, list[str]]:
    """For each app, the apps of the nearest lower wave; through them it waits for every lower
    wave, as Argo CD sync waves do."""
    waves = sorted({app.wave for app in apps})
    earlier = {wave: waves[i - 1] for i, wave in enumerate(waves) if i}
    return {app.name: [other.name for other in apps if other.wave == earlier.get(app.wave)]
            for app in apps}


def app_identity(app: SeedApp) -> str:
    """The ServiceAccount (in `flux-system`) the app's Kustomization runs as."""
    return f"app-{app.name}"


def app_service_account(app: SeedApp) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": app_identity(app), "namespace": NAMESPACE}}


def app_role_binding(app: SeedApp) -> dict:
    """`admin` bound in the app's namespace: everything there (RoleBindings included, within
    admin's own rights), nothing cluster-scoped, nothing elsewhere."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": f"flux-{app_identity(app)}", "namespace": app.namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": APP_ROLE},
        "subjects": [{"kind": "ServiceAccount", "name": app_identity(app),
                      "namespace": NAMESPACE}],
    }


def app_kustomization(app: SeedApp, bootstrap: Bootstrap, interval: str,
                      depends_on: Sequence[str]) -> dict:
    spec: dict[str, Any] = {"targetNamespace": app.namespace,
                            "serviceAccountName": app_identity(app)}
    if depends_on:
        spec["dependsOn"] = [{"name": name} for name in depends_on]
    return kustomization(app.name, app.source.path, app_source(app, bootstrap), bootstrap.sync,
                         interval, **spec)


@dataclass
class FluxArgs:
    bootstrap: Bootstrap
    settings: FluxSettings
    # What the chart's pods need before they can schedule: the node groups on EKS.
    depends_on: Sequence[pulumi.Resource] = ()


class Flux(EngineComponent):
    """Flux installed from the community chart and seeded from Git. Every custom resource, Secret
    and ConfigMap waits for the release (see components/engine.py), so Kustomization finalizers
    can prune what the apps deployed before the controllers go."""

    def __init__(self, name: str, args: FluxArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:flux:Flux", name, None, opts)
        bootstrap, interval = args.bootstrap, args.settings.interval
        self._install(name, Chart(
            release_name=RELEASE_NAME, chart=CHART, repository=CHART_REPOSITORY,
            version=args.settings.chart_version, namespace=NAMESPACE,
            values=helm_values(args.settings),
        ), args.depends_on)
        credentials: list[pulumi.Resource] = []
        if bootstrap.credentials is not None:
            credentials.append(self._secret(f"{name}-credentials",
                                            credentials_secret(bootstrap.credentials)))
        variables = self._config_map(f"{name}-cluster-vars", cluster_vars(bootstrap.metadata))
        sources = {ROOT: self._custom(f"{name}-source", git_repository(
            ROOT, bootstrap.source.repo_url, bootstrap.source.revision, interval,
            CREDENTIALS if credentials else None), *credentials)}
        # Apps wait for the root so a destroy prunes them while the add-ons it installed run.
        root = self._custom(f"{name}-root", root_kustomization(bootstrap, interval),
                            sources[ROOT], variables)
        namespaces = {ns: self._namespace(f"{name}-namespace-{ns}", ns)
                      for ns in bootstrap.app_namespaces() if ns not in EXISTING_NAMESPACES}
        dependencies = wave_dependencies(bootstrap.apps)
        for app in bootstrap.apps:
            source = app_source(app, bootstrap)
            same_repo = app.source.repo_url == bootstrap.source.repo_url
            if source not in sources:
                # The root's credentials serve the root's repository only.
                sources[source] = self._custom(
                    f"{name}-source-{app.name}",
                    git_repository(source, app.source.repo_url, app.source.revision, interval,
                                   CREDENTIALS if credentials and same_repo else None),
                    *(credentials if same_repo else []))
            identity = self._app_identity(f"{name}-app-{app.name}", app,
                                          namespaces.get(app.namespace))
            # After its identity, so a destroy deletes the Kustomization (and, waiting for
            # termination, what it applied) while the identity that prunes still exists.
            self._custom(f"{name}-app-{app.name}",
                         app_kustomization(app, bootstrap, interval, dependencies[app.name]),
                         root, sources[source], *identity)
        self.register_outputs({"namespace": self.namespace,
                               "chartVersion": args.settings.chart_version})

    def _app_identity(self, name: str, app: SeedApp,
                      namespace: k8s.core.v1.Namespace | None) -> list[pulumi.Resource]:
        """The app's ServiceAccount and its RoleBinding, the binding after the app's namespace
        when Pulumi creates it."""
        account = app_service_account(app)
        binding = app_role_binding(app)
        service_account = k8s.core.v1.ServiceAccount(f"{name}-identity",
                                                     metadata=account["metadata"],
                                                     opts=self._after_release())
        role_binding = k8s.rbac.v1.RoleBinding(
            f"{name}-admin", metadata=binding["metadata"], role_ref=binding["roleRef"],
            subjects=binding["subjects"],
            opts=self._after_release(service_account, *([namespace] if namespace else [])))
        return [service_account, role_binding]
