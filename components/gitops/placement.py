"""Where the platform's pods run: one engine-neutral placement (the system node group's labels as
a nodeSelector, a toleration per taint) that reaches the engine's chart, every add-on through
the bridge, and their hook jobs."""

import json
from collections.abc import Iterable, Mapping
from typing import Any, NotRequired, TypedDict


class TolerationArgs(TypedDict):
    """A Kubernetes toleration."""

    key: str
    """The taint key tolerated."""
    operator: str
    """Equal or Exists."""
    effect: str
    """NoSchedule, PreferNoSchedule or NoExecute."""
    value: NotRequired[str]
    """The taint value, with operator Equal."""


class PlacementArgs(TypedDict, total=False):
    """Where the engine, the add-ons and their hook jobs run."""

    node_selector: dict[str, str]
    """Labels a node must carry, e.g. the system node group's."""
    tolerations: list[TolerationArgs]
    """Taints of those nodes the pods tolerate."""


def node_selector(placement: PlacementArgs | None) -> dict[str, str]:
    return dict((placement or {}).get("node_selector") or {})


def tolerations(placement: PlacementArgs | None) -> list[dict[str, Any]]:
    return [dict(t) for t in (placement or {}).get("tolerations") or []]


def at(paths: Iterable[str], placement: PlacementArgs | None) -> dict:
    """Chart values setting the placement under each of `paths` (dotted values keys)."""
    values: dict[str, Any] = {}
    for path in paths:
        node = values
        for key in path.split("."):
            node = node.setdefault(key, {})
        node["nodeSelector"] = node_selector(placement)
        node["tolerations"] = tolerations(placement)
    return values


def bridge_keys(placement: PlacementArgs | None) -> Mapping[str, str]:
    """The placement as bridge keys: JSON, which is YAML flow syntax, so the tree inlines them as
    a map and a list (`nodeSelector: ${system_node_selector}`)."""
    return {"system_node_selector": json.dumps(node_selector(placement), sort_keys=True),
            "system_tolerations": json.dumps(tolerations(placement), sort_keys=True)}
