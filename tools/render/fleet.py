"""A fleet hub's spokes, for the render: found among the project's stack files, each run against
the outputs of the hub's run (as `harness.hub_cloud` does, without running the hub again), and
the objects each one registers in the hub.

A spoke is a stack whose `groundwork:fleet` has role `spoke` and a `hub` ending in
`/<hub stack>`. It runs with its own stack file: the hub's `--set` overrides are the hub's. One
exception keeps a what-if consistent: a spoke that runs the hub's engine (a spoke runs its hub's
engine or none, components/config/preflight.py check_hub) follows `--set gitops.engine` to the
hub's new engine. A spoke the hub's outputs make invalid is a config error
of that spoke, kept with its message.

What a spoke registers in the hub is selected by provider, not by name or kind: every Kubernetes
object created through a Kubernetes provider that a `SpokeRegistration` component parents (the
provider built from the hub's kubeconfig).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.aws.fleet import SPOKE_TYPE
from components.config import HUB, NO_ENGINE, SPOKE, ConfigError
from components.gitops.fleet import REGISTRATION_TYPE
from tools import harness
from tools.harness import DEFAULT_REGION, PROJECT, Run
from tools.render.manifests import K8sObject, kubernetes_objects

K8S_PROVIDER = "pulumi:providers:kubernetes"
ROLE = "aws:iam/role:Role"
GITOPS, FLEET = f"{PROJECT}:gitops", f"{PROJECT}:fleet"
# Bridge switches: a label of a cluster Secret or a key of a cluster-vars ConfigMap.
ENABLE = "enable_"


@dataclass(frozen=True)
class Spoke:
    """One spoke of the hub: its run and what it registers in the hub, or the config error that
    stopped it."""

    stack: str
    # Its config as the run had it (as the stack file has it when the run was stopped).
    config: Mapping[str, Any]
    run: Run | None
    registered: tuple[K8sObject, ...] = ()
    error: str = ""


def is_hub(run: Run) -> bool:
    return run.settings is not None and run.settings.fleet.role == HUB


def spoke_stacks(hub: str, root: Path) -> list[str]:
    """Stacks of the project whose fleet names `hub` as their hub, by name."""
    found = []
    for path in sorted(root.glob("Pulumi.*.yaml")):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        fleet = harness.stack_values(stack, root)[0].get(FLEET)
        if (isinstance(fleet, dict) and fleet.get("role") == SPOKE
                and str(fleet.get("hub", "")).endswith(f"/{hub}")):
            found.append(stack)
    return found


def hub_reference(stack: str, root: Path) -> str:
    """The fully qualified hub name the spoke's StackReference reads."""
    return str(harness.stack_values(stack, root)[0][FLEET]["hub"])


def run_spoke(stack: str, hub: Run, root: Path) -> Spoke:
    """The spoke's run against `hub`'s outputs, or its config error."""
    hub_engine = hub.settings.gitops.engine
    file_engine = engine(harness.stack_values(hub.stack, root)[0])
    values = harness.stack_values(stack, root)[0]
    own = engine(values)
    # A spoke that ran the hub's engine before `--set` changed it runs the new one.
    overrides = ({"gitops.engine": hub_engine}
                 if own not in (NO_ENGINE, hub_engine) and own == file_engine else {})
    cloud = harness.Cloud(stacks={hub_reference(stack, root): {
        name: output.value for name, output in hub.outputs.items()}})
    try:
        run = harness.run(stack, overrides, project_dir=root, cloud=cloud)
    except ConfigError as error:
        return Spoke(stack, values, None, error=str(error))
    return Spoke(stack, run.config, run, tuple(registered(run)))


def spokes(hub: Run, root: Path) -> list[Spoke]:
    return [run_spoke(stack, hub, root) for stack in spoke_stacks(hub.stack, root)]


def hub_providers(run: Run) -> set[str]:
    """URNs of the Kubernetes providers that reach the hub: those of SpokeRegistration."""
    registrations = {r.urn for r in run.resources if r.type == REGISTRATION_TYPE}
    return {r.urn for r in run.resources
            if r.type == K8S_PROVIDER and r.parent in registrations}


def assumes_role(run: Run | None) -> bool:
    """Whether the hub's engine reaches the spoke through a role of the spoke's account (its
    SpokeAccess made one: Argo CD across accounts), rather than as the hub's role itself."""
    if run is None:
        return False
    access = {r.urn for r in run.resources if r.type == SPOKE_TYPE}
    return any(r.type == ROLE and r.parent in access for r in run.resources)


def registered(run: Run) -> list[K8sObject]:
    """The objects `run` creates in its hub, in apply order."""
    providers = hub_providers(run)
    # Provider references are `<urn>::<id>`.
    return [o for o in kubernetes_objects(run)
            if o.resource.provider.rsplit("::", 1)[0] in providers]


# --- what the fleet diagram shows of each member ------------------------------------------------


def account(config: Mapping[str, Any]) -> str:
    """The account a stack with `config` deploys into, as the harness deploys it
    (`harness.deployer`)."""
    return harness.deployer(config).split(":")[4]


def region(config: Mapping[str, Any]) -> str:
    value = config.get("aws:region")
    return value if isinstance(value, str) and value else DEFAULT_REGION


def engine(config: Mapping[str, Any]) -> str:
    gitops = config.get(GITOPS)
    return str(gitops.get("engine", "")) if isinstance(gitops, dict) else ""


def addons(objects: list[K8sObject]) -> list[str]:
    """The add-ons a spoke's registration switches on: `enable_<addon>: "true"` among the labels
    of what it registers (an Argo CD cluster Secret) or its data (a Flux cluster-vars
    ConfigMap)."""
    names: set[str] = set()
    for obj in objects:
        switches = {**((obj.body.get("metadata") or {}).get("labels") or {}),
                    **(obj.body.get("data") or {} if obj.kind == "ConfigMap" else {})}
        names.update(key.removeprefix(ENABLE).replace("_", "-") for key, value in switches.items()
                     if key.startswith(ENABLE) and value == "true")
    return sorted(names)
