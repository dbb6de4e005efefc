"""The engine-agnostic GitOps model.

Argo CD and Flux consume the same objects, so switching `gitops.engine` changes which builders run
and nothing else. Plain values come from config; `ClusterMetadata` also carries `pulumi.Input`s
taken from the infrastructure (role ARNs, VPC id) and is only resolved inside manifests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi

if TYPE_CHECKING:
    from components.config import GitCredentials


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
    """One application the bootstrap creates. `wave` orders apps: lower waves sync first."""

    name: str
    source: GitSource
    namespace: str
    wave: int = 0


@dataclass(frozen=True)
class AddonBinding:
    """An enabled add-on as the GitOps side sees it: where it runs and which IAM role it assumes
    (None for add-ons that do not call AWS)."""

    name: str
    namespace: str
    service_account: str
    iam_role_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class ClusterMetadata:
    """The bridge from infrastructure to GitOps. Every field becomes a label or annotation of the
    Argo CD cluster Secret, or a key of Flux's `cluster-vars` ConfigMap."""

    environment: str
    cluster_name: pulumi.Input[str]
    addons_source: GitSource
    aws_region: pulumi.Input[str] = ""
    aws_account_id: pulumi.Input[str] = ""
    aws_vpc_id: pulumi.Input[str] = ""
    addons: tuple[AddonBinding, ...] = field(default_factory=tuple)

    def annotations(self) -> Mapping[str, pulumi.Input[str]]:
        """The bridge keys of DESIGN.md, in a stable order. AWS keys are left out on clusters that
        are not on AWS, so GitOps templates can tell the two apart."""
        keys: dict[str, pulumi.Input[str]] = {}
        if self.aws_region:
            keys.update(
                aws_region=self.aws_region,
                aws_account_id=self.aws_account_id,
                aws_cluster_name=self.cluster_name,
                aws_vpc_id=self.aws_vpc_id,
            )
        for addon in self.addons:
            prefix = addon.name.replace("-", "_")
            if addon.iam_role_arn is not None:
                keys[f"{prefix}_iam_role_arn"] = addon.iam_role_arn
            keys[f"{prefix}_namespace"] = addon.namespace
            keys[f"{prefix}_service_account"] = addon.service_account
        keys.update(
            addons_repo_url=self.addons_source.repo_url,
            addons_repo_revision=self.addons_source.revision,
            addons_repo_basepath=self.addons_source.path,
        )
        return keys

    def labels(self) -> Mapping[str, str]:
        """`environment` plus `enable_<addon>: "true"` for each enabled add-on, which the add-ons
        ApplicationSet selects on."""
        labels = {"environment": self.environment}
        labels.update({f"enable_{addon.name.replace('-', '_')}": "true" for addon in self.addons})
        return labels

    def variables(self) -> Mapping[str, pulumi.Input[str]]:
        """Labels and annotations as one flat map: what Flux substitutes as `${key}`."""
        return {**self.labels(), **self.annotations()}


@dataclass(frozen=True)
class Bootstrap:
    """Everything an engine seeds from Git, whichever engine it is: the root app's source, how to
    sync, the seed apps, the cluster bridge and the credentials of `source.repo_url` (None for a
    public repository)."""

    source: GitSource
    sync: SyncPolicy
    apps: tuple[SeedApp, ...]
    metadata: ClusterMetadata
    credentials: GitCredentials | None = None

    def app_repo_urls(self) -> tuple[str, ...]:
        """Every repository the seed apps read, each once; the root's only if an app reads it."""
        return tuple(dict.fromkeys(app.source.repo_url for app in self.apps))

    def app_namespaces(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(app.namespace for app in self.apps))


def overlay(base: Mapping, top: Mapping) -> dict:
    """`top` over `base` by Helm's rule for values: maps merge key by key, anything else (lists
    included) replaces. Neither input is changed."""
    merged = dict(base)
    for key, value in top.items():
        below = merged.get(key)
        both_maps = isinstance(below, Mapping) and isinstance(value, Mapping)
        merged[key] = overlay(below, value) if both_maps else value
    return merged
