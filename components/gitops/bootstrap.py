"""What an engine seeds from Git, whichever engine it is, as component args and as the model the
manifest builders read.

`BootstrapArgs` is what ArgoCd, Flux and GitOps take (plain values and `pulumi.Input`s, documented
per field for the component package's schema); `bootstrap()` turns it into `Bootstrap`, the
engine-agnostic model both engines' pure builders consume.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import NotRequired, TypedDict

import pulumi

from components.common.gitops_model import GitCredentials, GitSource, SeedApp, SyncPolicy
from components.gitops.bridge import ClusterBridgeArgs, ClusterMetadata, cluster_metadata
from components.gitops.placement import PlacementArgs


class SyncPolicyArgs(TypedDict, total=False):
    """How the engine reconciles. Every field defaults to true."""

    automated: bool
    """Apply changes from Git without a manual sync (Flux: false suspends the Kustomizations)."""
    prune: bool
    """Delete from the cluster what left Git."""
    self_heal: bool
    """Revert drift made in the cluster (Argo CD; Flux always re-applies)."""


class SeedAppArgs(TypedDict):
    """One application the bootstrap creates."""

    name: str
    """The application's name: a DNS-1123 label, not `root` or `flux-system`."""
    path: str
    """Path of its manifests inside the repository."""
    namespace: str
    """Namespace it deploys into (created when missing)."""
    repo_url: NotRequired[str]
    """Its Git repository; defaults to the root's."""
    revision: NotRequired[str]
    """Branch, tag or commit; defaults to the root's."""
    wave: NotRequired[int]
    """Lower waves sync first; defaults to 0."""


class GitCredentialsArgs(TypedDict, total=False):
    """Credentials of the root repository: either `username` and `password`, or
    `ssh_private_key` and `known_hosts`. Pass them as secrets."""

    username: pulumi.Input[str]
    """HTTPS user name."""
    password: pulumi.Input[str]
    """HTTPS password or token."""
    ssh_private_key: pulumi.Input[str]
    """SSH private key, PEM."""
    known_hosts: pulumi.Input[str]
    """known_hosts lines of the Git host."""


class BootstrapArgs(TypedDict):
    """The root app, the seed apps and the cluster bridge an engine is seeded with."""

    repo_url: str
    """Git repository of the root tree (https:// or ssh)."""
    revision: str
    """Branch, tag or commit of the root tree."""
    path: str
    """Path of the root tree inside the repository, e.g. gitops/argocd."""
    bridge: ClusterBridgeArgs
    """The cluster facts the tree reads."""
    sync: NotRequired[SyncPolicyArgs]
    """How the root and seed apps reconcile."""
    apps: NotRequired[list[SeedAppArgs]]
    """Seed applications created beside the root app."""
    credentials: NotRequired[GitCredentialsArgs]
    """Credentials of `repo_url`; omit for a public repository."""
    placement: NotRequired[PlacementArgs]
    """Where the engine, the add-ons and their hook jobs run (the system node group); the
    bridge carries it to the tree."""
    ownership: NotRequired[str]
    """`pulumi` (default): `pulumi up` upgrades the engine. `git`: Pulumi installs it once and the
    tree's own definition of the engine manages it from then on."""
    health_timeout_seconds: NotRequired[int]
    """How long `pulumi up` waits for the engine to report the root synced and healthy before
    it fails; 0 (the default) does not wait."""


@dataclass(frozen=True)
class Bootstrap:
    """Everything an engine seeds from Git: the root app's source, how to sync, the seed apps, the
    cluster bridge and the credentials of `source.repo_url` (None for a public repository)."""

    source: GitSource
    sync: SyncPolicy
    apps: tuple[SeedApp, ...]
    metadata: ClusterMetadata
    credentials: GitCredentials | None = None
    # The health gate's bound; None when `pulumi up` does not wait (see health.py).
    health_timeout: timedelta | None = None
    placement: PlacementArgs | None = None
    ownership: str = "pulumi"

    @property
    def owned_by_git(self) -> bool:
        return self.ownership == "git"

    def app_namespaces(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(app.namespace for app in self.apps))


def sync_policy(args: SyncPolicyArgs) -> SyncPolicy:
    return SyncPolicy(args.get("automated", True), args.get("prune", True),
                      args.get("self_heal", True))


def bootstrap(args: BootstrapArgs) -> Bootstrap:
    """The model of `args`; apps without their own repository or revision take the root's."""
    source = GitSource(args["repo_url"], args["revision"], args["path"])
    apps = tuple(
        SeedApp(app["name"],
                GitSource(app.get("repo_url", source.repo_url),
                          app.get("revision", source.revision), app["path"]),
                app["namespace"], app.get("wave", 0))
        for app in args.get("apps") or ())
    credentials = args.get("credentials")
    return Bootstrap(
        source=source,
        sync=sync_policy(args.get("sync") or {}),
        apps=apps,
        metadata=cluster_metadata(args["bridge"], source, args.get("placement")),
        credentials=GitCredentials(**credentials) if credentials else None,
        health_timeout=timedelta(seconds=gate) if (gate := args.get("health_timeout_seconds"))
        else None,
        placement=args.get("placement"),
        ownership=args.get("ownership", "pulumi"),
    )
