"""Checks of the settings against facts only AWS knows, asked before anything is created."""

from collections.abc import Mapping
from typing import Any

from components.common import limits
from components.config.errors import ConfigError
from components.config.keys import ENGINES, NAMESPACE, NO_ENGINE, minor
from components.config.settings import Settings


def check_access(settings: Settings, caller_role_arn: str) -> None:
    """The identity creating an EKS cluster gets admin from EKS itself (the cluster creator's
    access entry); a second access entry for it fails the deployment with ResourceInUseException.
    `caller_role_arn` is that identity as IAM names it: the role, not the assumed-role session."""
    problems = [f"{NAMESPACE}:{path}[{i}]: {arn!r} is the identity running this deployment; EKS "
                "already grants it admin as the cluster creator; remove it"
                for path, arns in (("cluster.adminRoleArns", settings.cluster.admin_role_arns),
                                   ("cluster.viewerRoleArns", settings.cluster.viewer_role_arns),
                                   ("fleet.registrars", settings.fleet.registrars))
                for i, arn in enumerate(arns) if arn == caller_role_arn]
    if problems:
        raise ConfigError(problems)


def check_region(settings: Settings, available: list[str], partition: str) -> None:
    """Facts of the region, asked of AWS before anything is created: azCount needs that many
    zones, and every access-entry role must be in the region's partition (the config checks that
    too where it names the region; this covers a region taken from the environment)."""
    problems = []
    if settings.cluster.provider == "eks" and settings.network.az_count > len(available):
        problems.append(f"{NAMESPACE}:network.azCount: {settings.network.az_count} exceeds the "
                        f"{len(available)} availability zones of this region "
                        f"({', '.join(available)})")
    problems += [f"{NAMESPACE}:{path}[{i}]: {arn!r} is not in partition {partition!r}, the "
                 "region's; a role of another partition cannot be granted access"
                 for path, arns in (("cluster.adminRoleArns", settings.cluster.admin_role_arns),
                                    ("cluster.viewerRoleArns", settings.cluster.viewer_role_arns))
                 for i, arn in enumerate(arns) if not arn.startswith(f"arn:{partition}:")]
    if problems:
        raise ConfigError(problems)


def check_roles(settings: Settings, unreadable: Mapping[str, str]) -> None:
    """Every role listed for an access entry must exist: EKS rejects an unknown principal only
    after the control plane is up, ten minutes into the first deployment."""
    problems = [f"{NAMESPACE}:{path}[{i}]: {arn!r} cannot be read from IAM ({unreadable[arn]}); "
                "create the role first or remove it"
                for path, arns in (("cluster.adminRoleArns", settings.cluster.admin_role_arns),
                                   ("cluster.viewerRoleArns", settings.cluster.viewer_role_arns))
                for i, arn in enumerate(arns) if arn in unreadable]
    if problems:
        raise ConfigError(problems)


def check_engine_switch(settings: Settings, previous: str | None,
                        previous_ownership: str | None = None) -> None:
    """`previous` is the engine the stack's last update deployed. Going straight from one engine
    to the other cannot work in one update: Pulumi creates the new engine's objects before it
    deletes the old ones, so the new engine's Namespaces collide with those the old one created
    (pulumi-kubernetes 4.29+ does not adopt existing objects) and both engines fight over the
    apps until the old one's finalizers delete them."""
    engine = settings.gitops.engine
    if previous in ENGINES and engine in ENGINES and engine != previous:
        raise ConfigError([
            f"{NAMESPACE}:gitops.engine: this stack runs {previous!r}; switching to {engine!r} "
            f"takes two updates: set gitops.engine to {NO_ENGINE!r} and run `pulumi up` "
            f"({previous} removes what it deployed, then goes), then set it to {engine!r} and "
            "run `pulumi up`"])
    # Flux changes installer with its owner (the community chart for pulumi, the Flux Operator
    # for git): both would manage the same controllers until the old release's uninstall deleted
    # them. Stacks from before ownership existed ran the chart, i.e. ownership pulumi.
    before = previous_ownership or ("pulumi" if previous in ENGINES else None)
    ownership = settings.gitops.ownership
    if engine == previous == "flux" and before is not None and ownership != before:
        raise ConfigError([
            f"{NAMESPACE}:gitops.ownership: this stack's Flux is owned by {before!r}; switching "
            f"Flux to {ownership!r} takes two updates: set gitops.engine to {NO_ENGINE!r} and run "
            f"`pulumi up`, then set gitops.engine to 'flux' and gitops.ownership to "
            f"{ownership!r} and run `pulumi up` (or keep gitops.ownership {before!r})"])


def check_upgrade(settings: Settings, live_version: str | None) -> None:
    """`live_version`: the version of the cluster as it runs now, None before it exists. EKS moves
    the control plane one minor version per update and never back, so a config that asks for
    more fails here, before any add-on or node group is touched."""
    wanted = settings.cluster.version
    if live_version is None or live_version == wanted:
        return
    step = limits.EKS_CONTROL_PLANE_UPGRADE
    live_minor, wanted_minor = minor(live_version), minor(wanted)
    if wanted_minor < live_minor:
        problem = (f"{wanted!r} is older than the running {live_version!r}; EKS cannot downgrade "
                   "a control plane")
    elif wanted_minor - live_minor > step.value:
        following = f"1.{live_minor + 1}"
        problem = (f"{wanted!r} skips minor versions from the running {live_version!r}; EKS "
                   f"upgrades {step.value} minor version at a time ({step.source}): set "
                   f"{following!r}, run `pulumi up`, and repeat")
    else:
        return
    raise ConfigError([f"{NAMESPACE}:cluster.version: {problem}"])


# What a spoke reads of its hub's stack outputs: the hub's engine and the role it reaches spokes
# as, and the kubeconfig of the hub's cluster, which the registration is created through.
HUB_ENGINE, HUB_ROLE = "gitopsEngine", "fleetRoleArn"
# The hub's apps for spokes (stack_args.hub_apps), which each spoke runs if its labels match.
HUB_APPS = "fleetApps"
HUB_OUTPUTS = (HUB_ENGINE, HUB_ROLE, HUB_APPS)


def check_hub(settings: Settings, hub: Mapping[str, Any]) -> str:
    """The engine a spoke registers with, from its hub's outputs `hub` (HUB_OUTPUTS, None where
    not exported). The spoke runs the hub's engine or none."""
    key = f"{NAMESPACE}:fleet.hub"
    name = settings.fleet.hub
    role, engine = hub.get(HUB_ROLE), hub.get(HUB_ENGINE)
    if not role or engine not in ENGINES:
        raise ConfigError([f"{key}: the stack {name!r} is not a fleet hub, or not deployed yet "
                           f"(it exports no {HUB_ROLE} and engine); set fleet.role 'hub' there "
                           "and run `pulumi up` on it first"])
    own = settings.gitops.engine
    if own not in (engine, NO_ENGINE):
        raise ConfigError([f"{NAMESPACE}:gitops.engine: {own!r} differs from the engine of the "
                           f"hub {name!r}, {engine!r}; a spoke runs its hub's engine or "
                           f"{NO_ENGINE!r} (the hub's engine then delivers to it alone)"])
    return str(engine)
