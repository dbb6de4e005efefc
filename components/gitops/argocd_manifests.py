"""Argo CD manifests: pure builders of what the ArgoCd component creates (leaves may be
`pulumi.Input`s; nothing here registers a resource). What they make:

- AppProjects, so that no repository gets more than its own part needs:
  - `platform`, the root app's: the root repository only, the `argocd` namespace only, and there
    only Applications, ApplicationSets and AppProjects (what the root tree holds), no
    cluster-scoped kind. The root tree's own Applications use it too (gitops/argocd/).
  - `seed-apps`, the seed apps': only their repositories, only their namespaces (never
    `argocd`, where an Application, AppProject or the cluster Secret would be a way to
    cluster-admin), and as the only cluster-scoped objects the Namespaces of those namespaces,
    which CreateNamespace=true creates. Within its namespaces a seed app may create anything;
    nothing there reaches beyond them.
  - `addons`, the add-on Applications' on this cluster (`addons_project`): only the add-on chart
    repositories, only the catalog's namespaces and the cluster-scoped kinds the charts install.
    A fleet hub's spokes each get one of their own (fleet_manifests.py), limited to the spoke.
- the in-cluster cluster Secret, which carries the cluster bridge as labels and annotations for
  the add-ons ApplicationSets in Git to select on and read;
- a repository Secret when the repository is private;
- the root Application, an app of apps over `gitops.path`;
- one Application per seed app, or one ApplicationSet over all of them.

Every Application carries the resources finalizer, so deleting it deletes what it deployed first.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from components.common import naming
from components.common.catalog import CATALOG
from components.common.deep_merge import merge
from components.common.gitops_model import GitCredentials, GitSource, SeedApp, SyncPolicy
from components.gitops import concurrency, placement, secrets
from components.gitops.bootstrap import Bootstrap
from components.gitops.bridge import (
    ADDONS_PROJECT,
    KARPENTER_NAMESPACE,
    KARPENTER_NODES_CHART,
    ClusterMetadata,
)
from components.gitops.placement import PlacementArgs

NAMESPACE = "argocd"
CHART = "argo-cd"
CHART_REPOSITORY = "https://argoproj.github.io/argo-helm"
# Service and workload names follow the release: argocd-server, argocd-repo-server, ...
RELEASE_NAME = "argocd"
API_VERSION = "argoproj.io/v1alpha1"
ROOT_PROJECT = "platform"
SEED_PROJECT = "seed-apps"
ROOT_APP = naming.ARGOCD_ROOT_APP
SEED_APPS = "seed-apps"
IN_CLUSTER = "https://kubernetes.default.svc"
# Argo CD's own name for the cluster it runs in; keeping it lets `destination.name: in-cluster`
# go on working once the Secret below replaces the built-in entry.
IN_CLUSTER_NAME = "in-cluster"
REPOSITORY_SECRET = "platform-repository"
SECRET_TYPE = "argocd.argoproj.io/secret-type"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"

def _requests(cpu: str, memory: str) -> dict:
    return {"resources": {"requests": {"cpu": cpu, "memory": memory}}}


_BASE_VALUES: Mapping[str, Any] = {
    # No SSO is configured here; Dex would only run idle. Enable it through `values` with a config.
    "dex": {"enabled": False},
    # The chart's default, argocd.example.com, becomes argocd-cm's `url` (links in the UI and in
    # notifications). Without an ingress Argo CD is reached through
    # `kubectl -n argocd port-forward svc/argocd-server 8080:443`; set `global.domain` through
    # `values` when it is exposed.
    "global": {"domain": "localhost:8080"},
    # Requests for every container the chart runs (argo-cd 10.1.1 templates), so the scheduler
    # reserves room for the engine instead of packing it onto a full node.
    "controller": _requests("250m", "512Mi"),
    "repoServer": {**_requests("100m", "256Mi"), "copyutil": _requests("10m", "32Mi")},
    "server": _requests("50m", "128Mi"),
    "applicationSet": _requests("50m", "128Mi"),
    "notifications": _requests("10m", "64Mi"),
    "redisSecretInit": _requests("10m", "32Mi"),
    "redis": _requests("50m", "64Mi"),
}
# The chart's documented HA layout without autoscaling. Redis HA spreads over three nodes (hard
# anti-affinity: the config requires that many, see components/config/delivery.py); one
# controller is enough because replicas shard by cluster and this Argo CD manages one cluster.
_HA_VALUES: Mapping[str, Any] = {
    "redis-ha": {
        "enabled": True,
        # redis-ha renders a PodDisruptionBudget only when these are set (redis-ha-pdb.yaml,
        # redis-haproxy-pdb.yaml), so a node drain could otherwise take down two replicas.
        "podDisruptionBudget": {"maxUnavailable": 1},
        "redis": _requests("50m", "128Mi"),
        "sentinel": _requests("10m", "32Mi"),
        "init": _requests("10m", "32Mi"),
        "splitBrainDetection": _requests("10m", "32Mi"),
        "haproxy": {"podDisruptionBudget": {"maxUnavailable": 1},
                    **_requests("50m", "64Mi"), "init": _requests("10m", "32Mi")},
    },
    "controller": {"replicas": 1},
    "server": {"replicas": 2, "pdb": {"enabled": True, "minAvailable": 1}},
    "repoServer": {"replicas": 2, "pdb": {"enabled": True, "minAvailable": 1}},
    "applicationSet": {"replicas": 2, "pdb": {"enabled": True, "minAvailable": 1}},
}
# Argo CD's own components, its pre-install redis-secret-init job included, fall back to
# `global` placement; the redis-ha subchart reads only its own top-level keys, for both Redis and
# HAProxy (redis-ha 4.38.0 reads no `haproxy.nodeSelector` or `haproxy.tolerations`).
PLACEMENT_PATHS = ("global", "redis-ha")
# On a fresh cluster an app can reference CRDs or namespaces another app is still creating.
_RETRY: Mapping[str, Any] = {"limit": 5,
                             "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}}


def helm_values(ha: bool, user_values: Mapping[str, Any],
                known_hosts: pulumi.Input[str] | None = None,
                where: PlacementArgs | None = None, apps: int = 0) -> dict:
    """Chart values: the base, the HA layout when `ha`, the placement of every pod, extra SSH
    known hosts, the controller's processors for `apps` seed apps, then the user's values over
    all of it."""
    values = merge(_BASE_VALUES, _HA_VALUES) if ha else dict(_BASE_VALUES)
    processors = concurrency.argocd_processors(apps)
    if processors != concurrency.argocd_processors(0):
        # argocd-cmd-params-cm, which the application controller reads its flags from.
        values = merge(values, {"configs": {"params": {
            "controller.status.processors": processors.status,
            "controller.operation.processors": processors.operation}}})
    if where:
        values = merge(values, placement.at(PLACEMENT_PATHS, where))
    if known_hosts is not None:
        # Appended to the chart's defaults (GitHub, GitLab, Bitbucket, Azure DevOps).
        values = merge(values, {"configs": {"ssh": {"extraHosts": known_hosts}}})
    return merge(values, user_values)


def _secret(name: str, secret_type: str, string_data: Any, *,
            labels: Mapping[str, str] | None = None,
            annotations: Mapping[str, pulumi.Input[str]] | None = None) -> dict:
    """A Secret Argo CD reads, labelled with its `secret-type`."""
    return secrets.secret(name, NAMESPACE, string_data,
                          labels={SECRET_TYPE: secret_type, **(labels or {})},
                          annotations=annotations)


def repository_secret(repo_url: str, credentials: GitCredentials) -> dict:
    """Credentials for `repo_url`, one secret Output as a whole."""
    string_data = secrets.credential_data(credentials, {"sshPrivateKey": "ssh_private_key"},
                                          {"type": "git", "url": repo_url})
    return _secret(REPOSITORY_SECRET, "repository", string_data)


def cluster_secret(metadata: ClusterMetadata,
                   engine: Mapping[str, pulumi.Input[str]] | None = None, *,
                   name: str = IN_CLUSTER_NAME, server: pulumi.Input[str] = IN_CLUSTER,
                   config: pulumi.Input[str] | None = None) -> dict:
    """A cluster Argo CD delivers to, labelled and annotated with its bridge keys: by default the
    one Argo CD runs in, which holds no credential (Argo CD reaches it through its service
    account); a fleet's spoke (fleet_manifests.py) names its own `server` and `config`. With
    `engine` (self-management, see `self_managed`) it also says how Argo CD itself was
    installed."""
    labels = dict(metadata.labels())
    annotations = dict(metadata.annotations())
    if engine is not None:
        labels[SELF_MANAGED_LABEL] = "true"
        annotations.update(engine)
    return _secret(
        name, "cluster",
        {"name": name, "server": server,
         "config": config if config is not None
         else json.dumps({"tlsClientConfig": {"insecure": False}})},
        labels=labels,
        annotations=annotations,
    )


# The tree's self-managing ApplicationSet (gitops/argocd/argocd.yaml) selects the cluster by this
# label and installs the chart at the version and with the values these annotations carry: the
# ones the bootstrap used, so its first sync changes nothing.
SELF_MANAGED_LABEL = "argocd_self_managed"
ENGINE_PROJECT = "argocd-engine"


def self_managed(version: str, values: Mapping[str, Any]) -> dict[str, pulumi.Output[str]]:
    """Bridge annotations of the installed chart: version, and values as JSON (YAML flow)."""
    return {"argocd_chart_version": pulumi.Output.from_input(version),
            "argocd_chart_values": pulumi.Output.from_input(values).apply(
                lambda plain: json.dumps(plain, sort_keys=True))}


def engine_project() -> dict:
    """The project of Argo CD's own Application: the chart repository, the argocd namespace,
    and the cluster-scoped kinds the chart installs."""
    return _project(
        ENGINE_PROJECT, "Argo CD managing its own installation from Git", [CHART_REPOSITORY],
        [NAMESPACE],
        clusterResourceWhitelist=[{"group": group, "kind": kind} for group, kind in (
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
            ("rbac.authorization.k8s.io", "ClusterRole"),
            ("rbac.authorization.k8s.io", "ClusterRoleBinding"))])


def _project(name: str, description: str, repos: Sequence[str], namespaces: Sequence[str],
             server: pulumi.Input[str] = IN_CLUSTER, **restrictions: list[dict[str, str]]
             ) -> dict:
    """With the resources finalizer Argo CD keeps a project until no Application names it
    (controller/appcontroller.go, finalizeProjectDeletion): an Application whose project is gone
    can never finish its own deletion (finalizeApplicationDeletion returns at getAppProj)."""
    return {
        "apiVersion": API_VERSION,
        "kind": "AppProject",
        "metadata": {"name": name, "namespace": NAMESPACE, "finalizers": [RESOURCES_FINALIZER]},
        "spec": {
            "description": description,
            "sourceRepos": list(repos),
            "destinations": [{"server": server, "namespace": ns} for ns in namespaces],
            **restrictions,
        },
    }


def root_project(bootstrap: Bootstrap) -> dict:
    """The root app's project. Without a clusterResourceWhitelist no cluster-scoped kind is
    allowed; the namespaced whitelist keeps the root tree off the Secrets beside it (the cluster
    bridge, repository credentials)."""
    return _project(
        ROOT_PROJECT, "Root app of the groundwork bootstrap and the Applications it creates",
        [bootstrap.source.repo_url], [NAMESPACE],
        namespaceResourceWhitelist=[{"group": "argoproj.io", "kind": kind}
                                    for kind in ("AppProject", "ApplicationSet", "Application")])


# The `repoURL` of each add-on ApplicationSet in gitops/addons/argocd/ (a test holds them equal).
ADDON_REPOSITORIES = (
    "https://aws.github.io/eks-charts",
    "https://charts.external-secrets.io",
    "https://charts.jetstack.io",
    "https://kubernetes-sigs.github.io/external-dns/",
    "https://kubernetes-sigs.github.io/metrics-server/",
    "https://kubernetes.github.io/autoscaler",
    "oci://public.ecr.aws/karpenter/karpenter",
)
# The cluster-scoped kinds the add-on charts install, and what cert-manager's and
# external-secrets' add-ons create for the cluster to use (a ClusterIssuer, a ClusterSecretStore).
ADDON_CLUSTER_KINDS = (
    ("", "Namespace"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("apiregistration.k8s.io", "APIService"),
    ("networking.k8s.io", "IngressClass"),
    ("elbv2.k8s.aws", "IngressClassParams"),
    ("cert-manager.io", "ClusterIssuer"),
    ("external-secrets.io", "ClusterSecretStore"),
)


def addons_project(name: str = ADDONS_PROJECT, server: pulumi.Input[str] = IN_CLUSTER) -> dict:
    """The project of a cluster's add-on Applications (the add-on ApplicationSets name the one
    their cluster's `addons_project` annotation says): the add-on charts, the catalog's namespaces
    on that one cluster, and the cluster-scoped kinds the charts install. The hub's own is
    `addons` on the cluster Argo CD runs in; a spoke's is named after it and reaches only it."""
    return _project(
        name, "Cluster add-ons enabled through the groundwork cluster bridge",
        ADDON_REPOSITORIES, sorted({addon.namespace for addon in CATALOG.values()}), server,
        clusterResourceWhitelist=[{"group": group, "kind": kind}
                                  for group, kind in ADDON_CLUSTER_KINDS])


def seed_project(bootstrap: Bootstrap) -> dict:
    """The seed apps' project."""
    return apps_project(SEED_PROJECT, bootstrap.apps)


def apps_project(name: str, apps: Sequence[SeedApp], server: pulumi.Input[str] = IN_CLUSTER
                 ) -> dict:
    """A project of seed apps on the cluster at `server`: the hub's own, or a spoke's apps
    from its hub (fleet_manifests.py). A seed app whose namespace is `argocd` gets no
    destination there and so fails to sync rather than reach Argo CD's own objects."""
    namespaces = [ns for ns in dict.fromkeys(app.namespace for app in apps) if ns != NAMESPACE]
    return _project(
        name, "Seed apps of the groundwork bootstrap",
        tuple(dict.fromkeys(app.source.repo_url for app in apps)), namespaces, server,
        # CreateNamespace=true needs Namespace; the names keep an app from adopting, and on
        # prune deleting, any other namespace.
        clusterResourceWhitelist=[{"group": "", "kind": "Namespace", "name": ns}
                                  for ns in namespaces])


def sync_policy(sync: SyncPolicy, *, create_namespace: bool) -> dict:
    options = ["ServerSideApply=true"]
    if create_namespace:
        options.append("CreateNamespace=true")
    policy: dict[str, Any] = {"syncOptions": options, "retry": dict(_RETRY)}
    if sync.automated:
        policy["automated"] = {"prune": sync.prune, "selfHeal": sync.self_heal}
    return policy


def application(name: str, project: str, source: GitSource, namespace: str, sync: SyncPolicy, *,
                create_namespace: bool, wave: int | str | None = None,
                server: pulumi.Input[str] = IN_CLUSTER) -> dict:
    metadata: dict[str, Any] = {"name": name, "namespace": NAMESPACE,
                                "finalizers": [RESOURCES_FINALIZER]}
    if wave is not None:
        metadata["annotations"] = {SYNC_WAVE: str(wave)}
    return {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": metadata,
        "spec": {
            "project": project,
            "source": {"repoURL": source.repo_url, "targetRevision": source.revision,
                       "path": source.path},
            "destination": {"server": server, "namespace": namespace},
            "syncPolicy": sync_policy(sync, create_namespace=create_namespace),
        },
    }


KARPENTER_PROJECT = KARPENTER_APP = "karpenter-nodes"


def karpenter_nodes_project(bootstrap: Bootstrap) -> dict:
    """The project of Karpenter's default NodePool and EC2NodeClass: this repository, the two
    cluster-scoped kinds and no namespaced one (an empty whitelist allows none)."""
    return _project(
        KARPENTER_PROJECT, "Karpenter's default NodePool and EC2NodeClass",
        [bootstrap.source.repo_url], [KARPENTER_NAMESPACE],
        clusterResourceWhitelist=[{"group": "karpenter.sh", "kind": "NodePool"},
                                  {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass"}],
        namespaceResourceWhitelist=[])


def karpenter_nodes_application(bootstrap: Bootstrap) -> dict | None:
    """The chart of Karpenter's defaults with this cluster's values, or None without Karpenter.
    Its sync is retried until Karpenter's CRDs exist (the add-on installs them); deleting it
    deletes the NodePool and EC2NodeClass, whose finalizers wait for Karpenter to terminate its
    nodes."""
    values = bootstrap.metadata.karpenter_nodes_values()
    if values is None:
        return None
    source = GitSource(bootstrap.source.repo_url, bootstrap.source.revision,
                       KARPENTER_NODES_CHART)
    app = application(KARPENTER_APP, KARPENTER_PROJECT, source, KARPENTER_NAMESPACE,
                      SyncPolicy(automated=True, prune=True, self_heal=True),
                      create_namespace=False)
    app["spec"]["source"]["helm"] = {"releaseName": KARPENTER_APP, "valuesObject": values}
    app["spec"]["syncPolicy"]["retry"] = {"limit": -1, "backoff": dict(_RETRY["backoff"])}
    return app


def root_application(bootstrap: Bootstrap) -> dict:
    """The app of apps: whatever `gitops.path` holds (the add-ons ApplicationSets in the sample
    tree), applied into the `argocd` namespace."""
    return application(ROOT_APP, ROOT_PROJECT, bootstrap.source, NAMESPACE, bootstrap.sync,
                       create_namespace=False)


def seed_application(app: SeedApp, sync: SyncPolicy) -> dict:
    """The sync-wave annotation orders the app whenever a parent app syncs it (for example after
    it moves into the Git tree); Pulumi itself creates all seed apps at once."""
    return application(app.name, SEED_PROJECT, app.source, app.namespace, sync,
                       create_namespace=True, wave=app.wave)


def list_element(app: SeedApp) -> dict[str, str]:
    """One list-generator element; every value is a string because templates render strings."""
    return {"name": app.name, "namespace": app.namespace, "repoURL": app.source.repo_url,
            "revision": app.source.revision, "path": app.source.path, "wave": str(app.wave)}


def application_set(apps: Sequence[SeedApp], sync: SyncPolicy) -> dict:
    """All seed apps as one ApplicationSet; each element renders the same Application that
    `seed_application` builds."""
    template = application("{{.name}}", SEED_PROJECT,
                           GitSource("{{.repoURL}}", "{{.revision}}", "{{.path}}"),
                           "{{.namespace}}", sync, create_namespace=True, wave="{{.wave}}")
    return {
        "apiVersion": API_VERSION,
        "kind": "ApplicationSet",
        "metadata": {"name": SEED_APPS, "namespace": NAMESPACE},
        "spec": {
            "goTemplate": True,
            # A typo in a template key fails the generation instead of rendering "<no value>".
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": [list_element(app) for app in apps]}}],
            "template": {"metadata": template["metadata"], "spec": template["spec"]},
        },
    }


def seed_manifests(bootstrap: Bootstrap, use_application_set: bool) -> dict[str, dict]:
    """Seed-app manifests by resource-name suffix (their project not included)."""
    if not bootstrap.apps:
        return {}
    if use_application_set:
        return {SEED_APPS: application_set(bootstrap.apps, bootstrap.sync)}
    return {f"app-{app.name}": seed_application(app, bootstrap.sync) for app in bootstrap.apps}
