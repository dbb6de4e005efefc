"""Recording: what the engine would see of each registration, and the run that holds it."""

import logging
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc

from tools.harness.mocks import Invoke
from tools.harness.tree import DESCEND, Path, rebuild, spell


@dataclass
class Resource:
    """One registration as the engine would see it."""

    urn: str
    id: str
    type: str
    name: str
    custom: bool
    parent: str
    dependencies: list[str]
    protect: bool
    provider: str
    # Input paths whose changes the engine ignores (`ignore_changes`).
    ignore_changes: list[str]
    # Inputs as plain values; `secret_paths` lists the dotted paths that arrived as secrets.
    inputs: dict[str, Any]
    secret_paths: list[str]
    # Pulumi's create/update/delete timeouts where set, e.g. {"delete": "20m"}.
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    # Input name -> the resources its value came from, as stack policies see them
    # (`property_dependencies`): which role an association's `roleArn` is the ARN of.
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


def _split_secrets(value: Any) -> tuple[Any, list[str]]:
    """`value` without its secret wrappers, and the spelled paths that were secret (the outermost
    where secrets nest)."""
    paths: list[str] = []

    def unwrap(path: Path, node: Any, record: bool = True) -> Any:
        if not rpc.is_rpc_secret(node):
            return DESCEND
        if record:
            paths.append(spell(path))
        return rebuild(node["value"], lambda inner_path, inner: unwrap(inner_path, inner, False),
                       path)

    return rebuild(value, unwrap), paths


class RecordingMonitor(mocks.MockMonitor):
    """The SDK's mock monitor, also keeping what the engine would see of each registration."""

    def __init__(self, program_mocks: pulumi.runtime.Mocks):
        super().__init__(program_mocks)
        self.recorded: list[Resource] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs, secret_paths = _split_secrets(rpc.deserialize_properties(request.object))
            self.recorded.append(Resource(
                urn=response.urn,
                id=response.id,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                # Sorted: the SDK gathers implicit dependencies in a set, whose order varies by run.
                dependencies=sorted(set(request.dependencies)),
                protect=bool(request.protect),
                provider=request.provider,
                ignore_changes=list(request.ignoreChanges),
                custom_timeouts={op: value for op in ("create", "update", "delete")
                                 if (value := getattr(request.customTimeouts, op))},
                inputs=inputs,
                secret_paths=secret_paths,
                property_dependencies={key: sorted(set(value.urns)) for key, value
                                       in request.propertyDependencies.items() if value.urns},
            ))
        return response


class LogCollector(logging.Handler):
    """Keeps every log line of a run, to check none holds a secret."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@dataclass
class Output:
    """A stack output's value and whether it is secret."""

    value: Any
    secret: bool


@dataclass
class Run:
    """One run of the program: its config as the CLI passed it (with the keys marked secret), the
    settings the program validated it into (None for a program that does not load them), and
    what it registered, exported, logged and invoked."""

    stack: str
    config: dict[str, Any]
    secret_keys: set[str] = field(default_factory=set)
    settings: Any = None
    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Output] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)
    invokes: list[Invoke] = field(default_factory=list)

    def by_type(self, typ: str) -> list[Resource]:
        return [r for r in self.resources if r.type == typ]

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}
