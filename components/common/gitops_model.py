"""The engine-agnostic GitOps values: where an engine pulls from, how it syncs, which apps it
seeds and with which credentials.

The config reads stack settings into these; Argo CD and Flux build their objects from the same
values, so switching `gitops.engine` changes which builders run and nothing else.
"""

from dataclasses import dataclass
from typing import Any

import pulumi


@dataclass(frozen=True)
class GitSource:
    """Where a GitOps engine pulls from."""

    repo_url: str
    revision: str
    path: str


@dataclass(frozen=True)
class SyncPolicy:
    """How the engine reconciles: `automated` applies changes without a manual sync, `prune`
    deletes what left Git, `self_heal` reverts drift made in the cluster."""

    automated: bool = True
    prune: bool = True
    self_heal: bool = True


@dataclass(frozen=True)
class SeedApp:
    """One application the bootstrap creates. `wave` orders apps: lower waves sync first.
    `spokes`: None for an app of the stack's own cluster; on a fleet hub, the labels (name,
    value) a spoke must carry to run it, every spoke when empty."""

    name: str
    source: GitSource
    namespace: str
    wave: int = 0
    spokes: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class GitCredentials:
    """Exactly one shape is set. Values are secret Outputs, never plain strings, so they cannot
    leak into a non-secret input or a log line by accident."""

    username: pulumi.Input[str] | None = None
    password: pulumi.Input[str] | None = None
    ssh_private_key: pulumi.Input[str] | None = None
    known_hosts: pulumi.Input[str] | None = None

    @property
    def is_ssh(self) -> bool:
        return self.ssh_private_key is not None


def secret_leaves(values: Any) -> Any:
    """Helm values with every leaf (anything but a map) a secret Output: merged over plain values,
    each stays secret at its own path in the release's inputs, the state and the render."""
    if isinstance(values, dict):
        return {key: secret_leaves(item) for key, item in values.items()}
    return pulumi.Output.secret(values)
