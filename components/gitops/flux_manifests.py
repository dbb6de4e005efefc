"""Flux manifests: pure builders of what the Flux component creates, seeded from Git the way
`flux bootstrap` seeds it (leaves may be `pulumi.Input`s; nothing here registers a resource).
What they make, all in `flux-system`:

- the `flux-system` GitRepository over `gitops.repoUrl` at `gitops.revision` (a branch, a semver
  tag such as v1.2.3, or a 40-character commit), with a credentials Secret when private;
- the `cluster-vars` ConfigMap: the cluster bridge, the same keys as the Argo CD cluster Secret;
- the root Kustomization `flux-system` over `gitops.path`, which substitutes `${key}` from
  cluster-vars in everything it applies;
- one Kustomization per seed app into its namespace, from `flux-system` or from its own
  GitRepository when the app names another repository or revision;
- with several sync waves, one gate per wave but the last: a Kustomization `wave-<n>.gate` that
  applies nothing (WAVE_GATE_PATH) and depends on every app of its wave; each app of the next
  wave depends on that gate alone, so the dependency entries grow with the number of apps, not
  with its square (see `wave_gate`);
- per seed app, a ServiceAccount `app-<name>` in `flux-system` and a RoleBinding in the app's
  namespace to the built-in `admin` ClusterRole. The app's Kustomization names that account in
  `serviceAccountName`, so kustomize-controller applies, prunes and health-checks the app as an
  identity that can act in the app's namespace and nowhere else: `targetNamespace` alone only
  rewrites namespaced objects, and the controller itself is cluster-admin;
- or, with `gitops.flux.resourceSet`, all of each app's objects (namespace, GitRepository,
  identity, Kustomization) as one Flux Operator ResourceSet over one input per app, whose
  template these same builders write (see `resource_set`).

Flux impersonates `system:serviceaccount:<the Kustomization's namespace>:<serviceAccountName>`, so
the account lives beside the Kustomization in `flux-system`, out of the app's reach; its power
comes only from the RoleBinding. The Kustomizations stay in `flux-system` too, so an app cannot
edit its own Kustomization, and no reference crosses namespaces (`--no-cross-namespace-refs`
stays possible).

Sync policy: `automated: false` suspends the Kustomizations through a separate patch (Flux's
manual mode: `flux resume`), removed first on destroy; `prune` is the Kustomizations' prune. Flux
has no switch for `selfHeal`: kustomize-controller re-applies Git at every interval and so always
reverts drift.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pulumi

from components.common import naming
from components.common.deep_merge import merge
from components.common.gitops_model import GitCredentials, GitSource, SeedApp, SyncPolicy
from components.common.patterns import Pattern
from components.gitops import budgets, concurrency, placement, secrets
from components.gitops.bootstrap import Bootstrap
from components.gitops.bridge import (
    CLUSTER_VARS,
    KARPENTER_NAMESPACE,
    KARPENTER_NODES_CHART,
    ClusterMetadata,
)
from components.gitops.placement import PlacementArgs
from components.gitops.resourceset_template import When, field, template

NAMESPACE = "flux-system"
CHART = "flux2"
CHART_REPOSITORY = "https://fluxcd-community.github.io/helm-charts"
RELEASE_NAME = "flux"
SOURCE_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
ROOT = naming.FLUX_ROOT
CREDENTIALS = naming.FLUX_ROOT
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
    # Helm deletes a release's CRDs with it, and every Flux object with them: keep them, so
    # replacing or reinstalling the release leaves the cluster's Kustomizations in place.
    "crds": {"annotations": {"helm.sh/resource-policy": "keep"}},
}
# Every pod the chart runs, controllers and the pre-install `flux check` job (`cli`), reads its
# placement from its own section; none falls back to a shared one (flux2 2.18.3 templates).
PLACEMENT_PATHS = ("cli", "crds.migration", "helmController", "imageAutomationController",
                   "imageReflectionController", "kustomizeController", "notificationController",
                   "sourceController", "sourceWatcher")
# What a wave gate applies: an empty kustomization in the root repository at the root revision,
# like the add-ons under ADDONS_BASEPATH (the sample tree holds it; gitops/README.md).
WAVE_GATE_PATH = "gitops/flux/waves"
# The built-in ClusterRole a seed app's identity holds, bound in the app's namespace only.
APP_ROLE = "admin"
_SEMVER_TAG = Pattern(r"v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?"
                      r"(\+[0-9A-Za-z.-]+)?")
_COMMIT = Pattern(r"[0-9a-f]{40}")
_SCP_LIKE = Pattern(r"(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?P<path>[^/\s]\S*)")


def helm_values(user_values: Mapping[str, Any], where: PlacementArgs | None = None,
                apps: int = 0) -> dict:
    """groundwork's values, the placement of every pod, kustomize-controller's workers for `apps`
    seed apps, then the user's values over them."""
    values = merge(_BASE_VALUES, placement.at(PLACEMENT_PATHS, where)) if where else _BASE_VALUES
    return merge(merge(values, _workers(apps)), user_values)


def _workers(apps: int) -> dict:
    """`--concurrent` for `apps` (components/gitops/concurrency.py); nothing at the default."""
    workers = concurrency.flux_concurrent(apps)
    if workers == concurrency.FLUX_DEFAULT_CONCURRENT:
        return {}
    return {"kustomizeController": {"container": {"additionalArgs": [f"--concurrent={workers}"]}}}


# Self-management (groundwork:gitops.ownership git), the Flux maintainers' way: the Flux Operator
# from its chart, and a FluxInstance that installs Flux. Pulumi creates both once; the tree's own
# FluxInstance (gitops/engine/flux/true/) then owns Flux's version and components.
OPERATOR_RELEASE = "flux-operator"
OPERATOR_CHART = "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator"
OPERATOR_VERSION = "0.49.0"
INSTANCE_API = "fluxcd.controlplane.io/v1"
INSTANCE = "flux"
# The Flux the pinned CRDs describe (v2.8.5), any patch release of it.
DISTRIBUTION = {"version": "2.8.x", "registry": "ghcr.io/fluxcd"}
# Image automation writes to Git; off, as with the community chart.
COMPONENTS = ("source-controller", "kustomize-controller", "helm-controller",
              "notification-controller")


def operator_values(where: PlacementArgs | None) -> dict:
    """The operator chart's values: its single Deployment on the system pool, if any."""
    return placement.at(("",), where)[""] if where else {}


def flux_instance(where: PlacementArgs | None) -> dict:
    """The FluxInstance the bootstrap creates and the tree then owns, with the placement patched
    into every Flux controller (the same patch the tree's copy makes from the bridge)."""
    patch = [{"op": "add", "path": "/spec/template/spec/nodeSelector",
              "value": placement.node_selector(where)},
             {"op": "add", "path": "/spec/template/spec/tolerations",
              "value": placement.tolerations(where)}]
    return {"apiVersion": INSTANCE_API, "kind": "FluxInstance",
            "metadata": {"name": INSTANCE, "namespace": NAMESPACE},
            "spec": {"distribution": dict(DISTRIBUTION), "components": list(COMPONENTS),
                     "cluster": {"type": "kubernetes", "networkPolicy": True},
                     "kustomize": {"patches": [
                         {"target": {"kind": "Deployment"},
                          "patch": json.dumps(patch, sort_keys=True)},
                         *({"target": {"kind": "ClusterRole", "name": role},
                            "patch": _DELETE.format(role=role)} for role in AGGREGATED_ROLES)]}}}


# Flux's install aggregates its kinds into the built-in admin, edit and view roles (the chart's
# rbac.createAggregation, off for the same reason): a seed app's namespaced admin could otherwise
# create a Kustomization without serviceAccountName that the cluster-admin controller applies.
AGGREGATED_ROLES = ("flux-edit-flux-system", "flux-view-flux-system")
# One line of JSON (YAML flow), a strategic-merge patch that deletes the object it names.
_DELETE = ('{{"$patch": "delete", "apiVersion": "rbac.authorization.k8s.io/v1", '
           '"kind": "ClusterRole", "metadata": {{"name": "{role}"}}}}')


def instance_variables() -> dict[str, str]:
    """cluster-vars keys of self-management: the switch that applies the tree's FluxInstance
    (its placement comes from the bridge's system_* keys)."""
    return {"flux_self_managed": "true"}


def git_url(url: str) -> str:
    """Flux takes SSH only as a URL: `git@host:org/repo.git` becomes
    `ssh://git@host/org/repo.git`. Other URLs pass unchanged."""
    match = _SCP_LIKE.parse(url)
    if match is None:
        return url
    return f"ssh://{match['user']}@{match['host']}/{match['path']}"


def git_ref(revision: str) -> dict[str, str]:
    if _COMMIT.matches(revision):
        return {"commit": revision}
    if _SEMVER_TAG.matches(revision):
        return {"tag": revision}
    return {"branch": revision}


def credentials_secret(credentials: GitCredentials) -> dict:
    """Git credentials in the form source-controller reads, one secret Output as a whole."""
    return secrets.secret(CREDENTIALS, NAMESPACE, secrets.credential_data(
        credentials, {"identity": "ssh_private_key", "known_hosts": "known_hosts"}))


def cluster_vars(metadata: ClusterMetadata, self_managed: bool = False,
                 name: str = CLUSTER_VARS) -> dict:
    """The bridge as the ConfigMap Kustomizations substitute from: this cluster's
    `cluster-vars`, or under another `name` a fleet spoke's, in its hub (fleet_manifests.py)."""
    data = dict(metadata.variables())
    if self_managed:
        data.update(instance_variables())
    return config_map(name, data)


def config_map(name: str, data: Mapping[str, pulumi.Input[str]]) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": NAMESPACE}, "data": dict(data)}


def git_repository(name: str, repo_url: str, revision: str, interval: str,
                   secret: str | None) -> dict:
    return _git_repository(name, git_url(repo_url), git_ref(revision), interval, secret)


def _git_repository(name: str, url: str, ref: Mapping[str, str], interval: str,
                    secret: str | None) -> dict:
    """A GitRepository at `url` (as Flux takes it) and `ref` (as `git_ref` spells it)."""
    spec: dict[str, Any] = {"interval": interval, "url": url, "ref": dict(ref)}
    if secret is not None:
        spec["secretRef"] = {"name": secret}
    return {"apiVersion": SOURCE_API, "kind": "GitRepository",
            "metadata": {"name": name, "namespace": NAMESPACE}, "spec": spec}


def kustomization(name: str, path: str, source: str, sync: SyncPolicy, interval: str,
                  timeout: timedelta, **spec: Any) -> dict:
    """`wait` makes Ready mean "everything applied is healthy", which is what dependsOn waits
    for. Deletion waits until what the Kustomization applied is gone, whatever `prune` says
    (kustomize-controller v1.8.3, finalizerShouldDeleteResources: WaitForTermination deletes even
    with prune off, while the default MirrorPrune would orphan), so a destroy removes an app's
    load balancers while the controller that deletes them still runs. `timeout` bounds that wait
    (components/gitops/budgets.py). Manual mode is not `suspend` here (a suspended Kustomization
    deletes nothing): see `suspension`."""
    base: dict[str, Any] = {"interval": interval, "path": f"./{path}", "prune": sync.prune,
                            "wait": True, "deletionPolicy": "WaitForTermination",
                            "timeout": budgets.duration(timeout),
                            "sourceRef": {"kind": "GitRepository", "name": source}}
    return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
            "metadata": {"name": name, "namespace": NAMESPACE}, "spec": {**base, **spec}}


HELM_API = "helm.toolkit.fluxcd.io/v2"
KARPENTER_NODES = "karpenter-nodes"
# The tree's Karpenter release (gitops/addons/flux/karpenter), which brings the CRDs.
KARPENTER_RELEASE = "karpenter"


def karpenter_nodes_release(bootstrap: Bootstrap, interval: str) -> dict | None:
    """The chart of Karpenter's defaults from the root repository with this cluster's values, or
    None without Karpenter. It waits for the tree's Karpenter release (its CRDs); deleting it
    uninstalls the chart and waits (helm-controller's uninstall wait, within `timeout`) until the
    NodePool and EC2NodeClass are gone, which their finalizers hold until Karpenter has
    terminated its nodes."""
    values = bootstrap.metadata.karpenter_nodes_values()
    if values is None:
        return None
    remediation = {"retries": -1}
    return {
        "apiVersion": HELM_API, "kind": "HelmRelease",
        "metadata": {"name": KARPENTER_NODES, "namespace": NAMESPACE},
        "spec": {
            "interval": interval,
            "releaseName": KARPENTER_NODES,
            "targetNamespace": KARPENTER_NAMESPACE,
            "timeout": budgets.duration(budgets.ADDON),
            "dependsOn": [{"name": KARPENTER_RELEASE}],
            "install": {"remediation": remediation},
            "upgrade": {"remediation": {**remediation, "remediateLastFailure": True}},
            "chart": {"spec": {
                "chart": f"./{KARPENTER_NODES_CHART}",
                # The chart's version stays while its templates change: a new artifact per
                # Git revision, or edits to the NodePool would never roll out.
                "reconcileStrategy": "Revision",
                "sourceRef": {"kind": "GitRepository", "name": ROOT},
            }},
            "values": values,
        },
    }


def suspension(manifest: Mapping[str, Any]) -> dict:
    """What a server-side-apply patch of `manifest` sets for manual mode (`sync.automated:
    false`): `spec.suspend`, and nothing else. Pulumi deletes the patch before the Kustomization
    it targets, and deleting a patch relinquishes its fields (pulumi-kubernetes ssa.Relinquish),
    so the Kustomization is no longer suspended when its own deletion starts and its finalizer
    deletes what it applied; a suspended one would delete nothing."""
    return {"apiVersion": manifest["apiVersion"], "kind": manifest["kind"],
            "metadata": {"name": manifest["metadata"]["name"],
                         "namespace": manifest["metadata"]["namespace"]},
            "spec": {"suspend": True}}


def root_kustomization(bootstrap: Bootstrap, interval: str) -> dict:
    """The root's inventory holds the add-on Kustomizations, so it waits longest."""
    return kustomization(ROOT, bootstrap.source.path, ROOT, bootstrap.sync, interval,
                         budgets.ROOT,
                         postBuild={"substituteFrom": [{"kind": "ConfigMap",
                                                        "name": CLUSTER_VARS}]})


@dataclass(frozen=True)
class SourcePlan:
    """One GitRepository of the bootstrap: its resource-name suffix, the object, and whether it
    reads the credentials Secret (and so must wait for it)."""

    suffix: str
    manifest: dict
    uses_credentials: bool


def git_sources(bootstrap: Bootstrap, interval: str, apps: bool = True) -> dict[str, SourcePlan]:
    """Every GitRepository by name: the root's, plus, unless `apps` is false (a ResourceSet
    makes them), one per app that names another repository or revision."""
    has_credentials = bootstrap.credentials is not None
    main = bootstrap.source
    plans = {ROOT: SourcePlan("source", git_repository(
        ROOT, main.repo_url, main.revision, interval, CREDENTIALS if has_credentials else None),
        has_credentials)}
    for app in bootstrap.apps if apps else ():
        source = app_source(app, bootstrap)
        if source in plans:
            continue
        uses_credentials = _uses_credentials(app, bootstrap)
        plans[source] = SourcePlan(f"source-{app.name}", git_repository(
            source, app.source.repo_url, app.source.revision, interval,
            CREDENTIALS if uses_credentials else None), uses_credentials)
    return plans


def _uses_credentials(app: SeedApp, bootstrap: Bootstrap) -> bool:
    """Whether the app's own GitRepository reads the root's credentials, which serve the root's
    repository only."""
    return bootstrap.credentials is not None and app.source.repo_url == bootstrap.source.repo_url


def app_source(app: SeedApp, bootstrap: Bootstrap) -> str:
    """The GitRepository an app reads: the root's unless it names another repository or
    revision."""
    main = bootstrap.source
    if (app.source.repo_url, app.source.revision) == (main.repo_url, main.revision):
        return ROOT
    return f"app-{app.name}"


def wave_gate_name(wave: int) -> str:
    """`wave-<n>.gate`, or `wave-minus-<n>.gate` below zero. The dot keeps it a valid object name
    (a DNS subdomain) that no seed app can take, since app names are DNS labels."""
    return f"wave-{wave}.gate" if wave >= 0 else f"wave-minus-{-wave}.gate"


def _apps_by_wave(apps: Sequence[SeedApp]) -> dict[int, list[str]]:
    """App names by wave, lowest wave first."""
    by_wave: dict[int, list[str]] = {}
    for app in apps:
        by_wave.setdefault(app.wave, []).append(app.name)
    return dict(sorted(by_wave.items()))


def wave_gates(apps: Sequence[SeedApp]) -> dict[int, list[str]]:
    """The apps each wave's gate waits for, by wave: every wave that has a wave after it."""
    return dict(list(_apps_by_wave(apps).items())[:-1])


def wave_dependencies(apps: Sequence[SeedApp]) -> dict[str, list[str]]:
    """For each app, the gate of the nearest lower wave (nothing in the lowest wave); through the
    gates it waits for every lower wave, as Argo CD sync waves do."""
    waves = list(_apps_by_wave(apps))
    before = dict(zip(waves[1:], waves, strict=False))
    return {app.name: [wave_gate_name(before[app.wave])] if app.wave in before else []
            for app in apps}


def wave_gate(wave: int, apps: Sequence[str], bootstrap: Bootstrap, interval: str) -> dict:
    """The gate after `wave`: a Kustomization over an empty directory of the root repository
    that depends on every app of the wave (`apps`).

    It is Ready exactly when its wave is, from Flux's dependsOn semantics (kustomize-controller
    v1.8.3, checkDependencies): a Kustomization whose dependency does not exist, has not observed
    its latest generation, is not Ready, or, reading the same source, has not applied that
    source's current revision, is not reconciled and stays not Ready (DependencyNotReady). The
    gate applies nothing, so once every app of its wave passes that check it becomes Ready, and
    not before; an app of the next wave, which depends on the gate alone, therefore starts only
    when every app of this wave is Ready (with `wait`, when what they applied is healthy), the
    same condition as listing them all. Reading the root source, the gate also carries the
    per-revision order to the next wave's apps on that source, as direct entries would. A
    Kustomization whose dependencies are not ready retries after `--requeue-dependency` (30 s by
    default), so the extra hop adds at most one such retry per wave.

    A gate is never suspended, even in manual mode: it applies nothing from Git, and it only
    passes on the readiness of apps the user resumes."""
    return kustomization(wave_gate_name(wave), WAVE_GATE_PATH, ROOT, bootstrap.sync, interval,
                         budgets.APP, dependsOn=[{"name": name} for name in apps])


def app_identity(app: SeedApp) -> str:
    """The ServiceAccount (in `flux-system`) the app's Kustomization runs as."""
    return f"app-{app.name}"


def app_service_account(app: SeedApp, identity: str | None = None) -> dict:
    """The app's ServiceAccount: `app_identity`, or another `identity` (a fleet spoke's)."""
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": identity or app_identity(app), "namespace": NAMESPACE}}


def app_role_binding(app: SeedApp, identity: str | None = None) -> dict:
    """`admin` bound in the app's namespace: everything there (RoleBindings included, within
    admin's own rights), nothing cluster-scoped, nothing elsewhere."""
    account = identity or app_identity(app)
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": f"flux-{account}", "namespace": app.namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": APP_ROLE},
        "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": NAMESPACE}],
    }


def app_kustomization(app: SeedApp, source: str, sync: SyncPolicy, interval: str,
                      depends_on: Sequence[str]) -> dict:
    """The app's Kustomization over the GitRepository `source` (`app_source`)."""
    spec: dict[str, Any] = {"targetNamespace": app.namespace,
                            "serviceAccountName": app_identity(app)}
    if depends_on:
        spec["dependsOn"] = [{"name": name} for name in depends_on]
    return kustomization(app.name, app.source.path, source, sync, interval, budgets.APP, **spec)


def app_namespace(app: SeedApp) -> dict:
    """The app's Namespace, as the per-app path creates it (EngineComponent._namespace)."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": app.namespace}}


# One Flux Operator ResourceSet for every seed app (groundwork:gitops.flux.resourceSet): Pulumi
# registers it and no object per app, so the resources and the evaluation time stay the same
# however many apps there are, as with Argo CD's ApplicationSet. The operator renders its template
# once per input into the objects the per-app path creates (the builders above write the
# template), and deduplicates them, so apps sharing a namespace create it once.
RESOURCE_SET_API = INSTANCE_API
SEED_APPS = "seed-apps"
# A seed app whose every value is an input field; the template reads nothing else of it.
_TEMPLATE_APP = SeedApp(field("name"), GitSource("", "", field("path")), field("namespace"))


def app_input(app: SeedApp, bootstrap: Bootstrap, depends_on: Sequence[str]) -> dict[str, Any]:
    """One app's input: exactly what its objects vary on, each a value they hold.

    `createNamespace` is false for a namespace the cluster already has (EXISTING_NAMESPACES),
    which the ResourceSet must not own: its garbage collection would delete it. `url`, `ref`,
    `revision` and `secretRef` describe the app's own GitRepository and are empty when it reads
    the root's (`source` is then `flux-system`). `dependsOn` is the gate of the nearest lower
    wave, empty in the lowest: `wave_dependencies` names at most one.
    """
    source = app_source(app, bootstrap)
    own = source != ROOT
    [(ref, revision)] = git_ref(app.source.revision).items() if own else [("", "")]
    return {"name": app.name, "namespace": app.namespace, "path": app.source.path,
            "createNamespace": app.namespace not in EXISTING_NAMESPACES, "source": source,
            "url": git_url(app.source.repo_url) if own else "", "ref": ref, "revision": revision,
            "secretRef": CREDENTIALS if own and _uses_credentials(app, bootstrap) else "",
            "dependsOn": depends_on[0] if depends_on else ""}


def app_template(sync: SyncPolicy, interval: str) -> str:
    """What the per-app path creates for one app, as the ResourceSet's template over
    `app_input`'s fields.

    Waves work as in the per-app path: the gates stay outside the ResourceSet (one per wave, not
    per app, see `wave_gate`), and each app's Kustomization depends on its `dependsOn` gate by
    name in flux-system, where both live; Flux resolves a dependency by name whoever created it.
    Manual sync has no template form (components/config/delivery.py refuses it): it suspends
    each Kustomization through a patch of its own that a destroy removes first (`suspension`)."""
    app = _TEMPLATE_APP
    repository = _git_repository(field("source"), field("url"),
                                 {field("ref"): field("revision")}, interval, field("secretRef"))
    repository["spec"]["secretRef"] = When("secretRef", repository["spec"]["secretRef"])
    kustomization = app_kustomization(app, field("source"), sync, interval, [field("dependsOn")])
    kustomization["spec"]["dependsOn"] = When("dependsOn", kustomization["spec"]["dependsOn"])
    return template([When("createNamespace", app_namespace(app)), When("url", repository),
                     app_service_account(app), app_role_binding(app), kustomization])


def resource_set(bootstrap: Bootstrap, interval: str) -> dict:
    """Every seed app as one ResourceSet in flux-system. It runs as the operator (no
    serviceAccountName): it creates namespaces and RoleBindings in them, as Pulumi does in the
    per-app path."""
    dependencies = wave_dependencies(bootstrap.apps)
    return {"apiVersion": RESOURCE_SET_API, "kind": "ResourceSet",
            "metadata": {"name": SEED_APPS, "namespace": NAMESPACE},
            "spec": {"inputs": [app_input(app, bootstrap, dependencies[app.name])
                                for app in bootstrap.apps],
                     "resourcesTemplate": app_template(bootstrap.sync, interval)}}
