"""The SDK floor: what registering a recorded run's resources costs the Pulumi SDK alone.

`spec(run)` turns a recorded run into plain data: each resource's type token, name, whether it is
custom, its parent, provider and dependencies (as indexes into the list) and its recorded inputs.
`register(spec)` is a minimal Pulumi program that registers exactly that again, in the same order,
under the same mocks (`harness.run(..., program=...)`): the same number of resources with inputs
of the same size and shape, the same parents, providers and dependency edges, and nothing else. No
config is read, no manifest is built, no Output is chained; every input is a plain value.

The probe that runs it (tools/bench/probe.py) first loads the SDK modules the recorded run
loaded, as any program creating those resource types does: Python's garbage collector, about half
of the CPU time of a thousand Flux apps, scans them in every full collection, so a floor without
them would run on a smaller heap and understate the cost.

Each resource goes through a class with its own `__init__`, as every generated SDK class does:
the SDK records the source position of a registration by looking for the third `__init__` on the
stack, and a bare `pulumi.CustomResource` would skip that work and understate the floor.
"""

from __future__ import annotations

from typing import Any

import pulumi

from tools.harness import Run

Spec = list[dict[str, Any]]
PROVIDER_PREFIX = "pulumi:providers:"


def _index(urns: dict[str, int], urn: str) -> int:
    return urns.get(urn, -1)


def spec(run: Run) -> Spec:
    """The resources of `run` as plain data, in registration order."""
    urns = {resource.urn: i for i, resource in enumerate(run.resources)}
    return [{
        "type": r.type,
        "name": r.name,
        "custom": r.custom,
        "parent": _index(urns, r.parent),
        # Provider references are `<urn>::<id>`.
        "provider": _index(urns, r.provider.rsplit("::", 1)[0]) if r.provider else -1,
        "dependencies": [urns[d] for d in r.dependencies if d in urns],
        "protect": r.protect,
        "ignore_changes": r.ignore_changes,
        "custom_timeouts": r.custom_timeouts,
        "inputs": r.inputs,
    } for r in run.resources]


class Custom(pulumi.CustomResource):
    """A custom resource of any type token, registered with plain inputs."""

    def __init__(self, type_: str, name: str, inputs: dict[str, Any],
                 opts: pulumi.ResourceOptions) -> None:
        super().__init__(type_, name, inputs, opts)


class Provider(pulumi.ProviderResource):
    """An explicit provider of package `package`."""

    def __init__(self, package: str, name: str, inputs: dict[str, Any],
                 opts: pulumi.ResourceOptions) -> None:
        super().__init__(package, name, inputs, opts)


class Component(pulumi.ComponentResource):
    """A component of any type token."""

    def __init__(self, type_: str, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__(type_, name, None, opts)
        self.register_outputs({})


def register(resources: Spec) -> None:
    """The floor program: register `resources` (from `spec`) in order."""
    made: list[pulumi.Resource] = []

    def pick(index: int) -> pulumi.Resource | None:
        return made[index] if index >= 0 else None

    for item in resources:
        provider = pick(item["provider"])
        opts = pulumi.ResourceOptions(
            parent=pick(item["parent"]),
            depends_on=[made[d] for d in item["dependencies"]] or None,
            provider=provider if isinstance(provider, pulumi.ProviderResource) else None,
            protect=item["protect"] or None,
            ignore_changes=item["ignore_changes"] or None,
            custom_timeouts=pulumi.CustomTimeouts(**item["custom_timeouts"])
            if item["custom_timeouts"] else None)
        if not item["custom"]:
            made.append(Component(item["type"], item["name"], opts))
        elif item["type"].startswith(PROVIDER_PREFIX):
            made.append(Provider(item["type"].removeprefix(PROVIDER_PREFIX), item["name"],
                                 item["inputs"], opts))
        else:
            made.append(Custom(item["type"], item["name"], item["inputs"], opts))
