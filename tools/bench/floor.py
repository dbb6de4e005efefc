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

Two floors. The core floor registers every resource through that one generic class: what the
Pulumi SDK's registration costs. The SDK floor (`register(..., classes=True)`) registers each
through the provider SDK class the program registered it with (`pulumi_kubernetes.core.v1.Secret`,
`pulumi_aws.eks.AccessEntry`, `pulumi_kubernetes.Provider`, recorded by `sdk_classes` while the
program runs), with the same inputs as keyword arguments: what any Python program creating those
resources pays, since a typed class declares all of its type's output properties and translates
every input through its type's metadata (a Secret costs about half as much again through its
class as through the generic one). A resource the program registered through a class of its own
(components/gitops/flux.py's RoleBinding) or of the core SDK goes through the generic class in
both floors.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import json
import re
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi.resource

from tools.harness import Run

Spec = list[dict[str, Any]]
PROVIDER_PREFIX = "pulumi:providers:"


def _index(urns: dict[str, int], urn: str) -> int:
    return urns.get(urn, -1)


# The provider SDKs whose classes the SDK floor uses.
SDK_PACKAGES = ("pulumi_aws", "pulumi_kubernetes")
# (type token, name) -> the provider SDK class, None for any other.
Classes = dict[tuple[str, str], str | None]


@contextlib.contextmanager
def sdk_classes() -> Iterator[Classes]:
    """While open, the provider SDK class (`module:qualname`, or None) of each resource
    registered, by type token and name. It wraps the SDK's registration call: a dictionary entry
    and a call more per resource, about a microsecond against the registration's milliseconds.
    Raises where one type and name were registered through two classes (under two parents),
    which the spec could not tell apart."""
    seen: Classes = {}
    register_resource = pulumi.resource.register_resource

    def recording(res: pulumi.Resource, ty: str, name: str, *args: Any, **kwargs: Any) -> None:
        made = type(res)
        found = (f"{made.__module__}:{made.__qualname__}"
                 if made.__module__.split(".")[0] in SDK_PACKAGES else None)
        if seen.setdefault((ty, name), found) != found:
            raise ValueError(f"{ty} {name} is registered through two classes")
        register_resource(res, ty, name, *args, **kwargs)

    pulumi.resource.register_resource = recording
    try:
        yield seen
    finally:
        pulumi.resource.register_resource = register_resource


def spec(run: Run, classes: Classes | None = None) -> Spec:
    """The resources of `run` as plain data, in registration order, with the provider SDK class
    each was registered with where `classes` (from `sdk_classes`) knows it."""
    urns = {resource.urn: i for i, resource in enumerate(run.resources)}
    known = classes or {}
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
        "class": known.get((r.type, r.name)),
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


# The classes of custom resources of CRD types, which take apiVersion, kind and metadata as
# arguments of their own and every other field (`spec`) as it is.
CRD_CLASSES = ("pulumi_kubernetes.apiextensions.CustomResource:CustomResource",
               "pulumi_kubernetes.apiextensions.CustomResourcePatch:CustomResourcePatch")


@functools.cache
def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@functools.cache
def _class(name: str) -> tuple[type, frozenset[str]]:
    """The class `module:qualname` and the keyword arguments it takes, looked up once."""
    module, qualname = name.split(":")
    made = getattr(importlib.import_module(module), qualname)
    return made, frozenset(inspect.signature(made._internal_init).parameters)


def _json_value(value: Any) -> Any:
    """A recorded provider input as its class takes it: the value of JSON text, else as is."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


def _sdk_class(item: dict[str, Any], opts: pulumi.ResourceOptions) -> pulumi.Resource:
    """`item` through its provider SDK class, each input as the keyword argument of its name.
    The lookups are cached per class and per input name, so the floor pays for little beyond
    the registration itself (a few microseconds a resource)."""
    made, accepted = _class(item["class"])
    inputs = dict(item["inputs"])
    if item["class"] in CRD_CLASSES:
        return made(item["name"], inputs.pop("apiVersion"), inputs.pop("kind"),
                    metadata=inputs.pop("metadata", None), opts=opts, **inputs)
    if item["type"].startswith(PROVIDER_PREFIX):
        # The SDK sends a provider's inputs other than strings as JSON text, which is what the
        # run recorded: the class takes the values.
        inputs = {key: _json_value(value) for key, value in inputs.items()}
    arguments = {_snake(key): value for key, value in inputs.items()}
    if not accepted.issuperset(arguments):
        unknown = sorted(set(arguments) - accepted)
        raise TypeError(f"{item['class']} takes no {', '.join(unknown)}")
    return made(item["name"], opts=opts, **arguments)


def register(resources: Spec, classes: bool = False) -> None:
    """The floor program: register `resources` (from `spec`) in order, through the provider SDK
    classes the program used when `classes` (the SDK floor), else through generic ones (the core
    floor)."""
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
        elif classes and item["class"]:
            made.append(_sdk_class(item, opts))
        elif item["type"].startswith(PROVIDER_PREFIX):
            made.append(Provider(item["type"].removeprefix(PROVIDER_PREFIX), item["name"],
                                 item["inputs"], opts))
        else:
            made.append(Custom(item["type"], item["name"], item["inputs"], opts))
