"""Helm values checked against the pinned chart: a key the chart does not read is silently ignored
by Helm, so every key groundwork or the sample tree sets must exist in the chart's values.yaml at
that version, or be allowed by its values.schema.json.

The charts' values files live in `<charts>/<chart>-<version>/` (../shared/charts, see its README);
a version without a folder is itself a finding, so bumping a pin means adding its values file.
Subcharts (argo-cd's redis-ha) are checked against their own folder, found through the parent's
Chart.yaml dependencies.

Where the chart's default is an empty map, a list or a scalar, or the map holds data (labels,
annotations, ConfigMap entries), what groundwork sets below it is passed through, not keys the
chart must know.
"""

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tools.harness.stack_config import ROOT

DEFAULT_CHARTS = ROOT.parent / "shared" / "charts"
# libyaml where available: argo-cd's values.yaml alone is 5,000 lines.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# Where tools/setup.sh puts them on a machine without ../shared.
FETCHED_CHARTS = ROOT / "build" / "upstream" / "charts"


def charts_dir() -> Path:
    """$GROUNDWORK_CHARTS, else ../shared/charts beside the checkout, else what setup fetched."""
    if "GROUNDWORK_CHARTS" in os.environ:
        return Path(os.environ["GROUNDWORK_CHARTS"])
    return DEFAULT_CHARTS if DEFAULT_CHARTS.is_dir() else FETCHED_CHARTS


@dataclass(frozen=True)
class Chart:
    """A pinned chart's values, schema and subcharts (by values key)."""

    name: str
    version: str
    values: Mapping[str, Any]
    schema: Mapping[str, Any] | None
    # Values key -> (chart, version) of each dependency; loaded only when values reach it, so a
    # disabled dependency needs no folder.
    subcharts: Mapping[str, tuple[str, str]]
    directory: Path


class MissingChart(LookupError):
    """No values folder for a chart version."""


@cache
def load(name: str, version: str, directory: Path | None = None) -> Chart:
    folder = (directory or charts_dir()) / f"{name}-{version}"
    if not (folder / "values.yaml").is_file():
        raise MissingChart(f"{name} {version}: no values in {folder}; add the chart's "
                           "values.yaml at that version before pinning it")
    schema_file = folder / "values.schema.json"
    manifest = folder / "Chart.yaml"
    dependencies = (yaml.safe_load(manifest.read_text()) or {}).get("dependencies", []) \
        if manifest.is_file() else []
    return Chart(
        name, version, yaml.load((folder / "values.yaml").read_text(), Loader=_LOADER) or {},
        json.loads(schema_file.read_text()) if schema_file.is_file() else None,
        {dep.get("alias", dep["name"]): (dep["name"], dep["version"]) for dep in dependencies},
        directory or charts_dir())


def _resolved(schema: Mapping[str, Any], node: Any) -> Any:
    """`node` with its local `$ref`s (`#/$defs/...`) followed."""
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) \
            and node["$ref"].startswith("#/"):
        target: Any = schema
        for part in node["$ref"][2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        node = target
    return node


def _schema_allows(schema: Mapping[str, Any] | None, path: tuple[str, ...]) -> bool:
    """Whether the JSON Schema declares `path` (through properties, patternProperties or a
    typed additionalProperties)."""
    node: Any = schema
    for key in path:
        node = _resolved(schema or {}, node)
        if not isinstance(node, Mapping):
            return False
        properties = node.get("properties") or {}
        if key in properties:
            node = properties[key]
        elif node.get("patternProperties") or isinstance(node.get("additionalProperties"),
                                                         Mapping):
            # A map of typed values: its keys are data. A bare `additionalProperties: true`
            # (external-dns's top level) declares nothing, so values.yaml stays the authority.
            return True
        else:
            return False
    return node is not None


# Maps whose keys are data the chart copies through (label and annotation keys, ConfigMap
# entries), even where the chart ships example entries in them.
_DATA_MAPS = frozenset({"nodeSelector", "annotations", "labels", "podAnnotations", "podLabels",
                        "extraArgs", "cm", "params", "rbac"})


def _open(key: str | None, default: Any) -> bool:
    """A default below which the chart reads no fixed keys."""
    return (not isinstance(default, Mapping) or not default or key in _DATA_MAPS
            or (key or "").endswith(("Annotations", "Labels")))


def unknown_keys(chart: Chart, values: Mapping[str, Any]) -> Iterator[tuple[str, ...]]:
    """Paths in `values` that `chart` does not read."""
    for key, value in values.items():
        path = (str(key),)
        if key in chart.subcharts:
            if isinstance(value, Mapping):
                parent = chart.values.get(key) or {}
                subchart = load(*chart.subcharts[key], chart.directory)
                yield from (
                    (key, *sub) for sub in unknown_keys(subchart, value)
                    # The parent's own section may document keys the subchart lacks.
                    if not _in_values(parent, sub))
            continue
        if key == "global":
            # Shared by parent and subcharts; each reads what it knows.
            defaults = {**(chart.values.get("global") or {})}
            for name, version in chart.subcharts.values():
                folder = chart.directory / f"{name}-{version}"
                if folder.is_dir():  # a dependency the stack leaves disabled may be absent
                    defaults.update(load(name, version, chart.directory).values.get("global")
                                    or {})
            yield from _below(chart, defaults, value, path)
            continue
        yield from _below(chart, chart.values, value, path, key)


def _below(chart: Chart, parent_default: Any, value: Any, path: tuple[str, ...],
           key: str | None = None) -> Iterator[tuple[str, ...]]:
    if key is not None:
        if not isinstance(parent_default, Mapping) or key not in parent_default:
            if not _schema_allows(chart.schema, path):
                yield path
            return
        default = parent_default[key]
    else:
        default = parent_default
    if isinstance(value, Mapping) and not _open(key or (path[-1] if path else None), default):
        for sub_key, sub_value in value.items():
            yield from _below(chart, default, sub_value, (*path, str(sub_key)), str(sub_key))


def _in_values(values: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    node: Any = values
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False
        node = node[key]
    return True


def count_keys(values: Mapping[str, Any]) -> int:
    """How many key paths `values` sets (maps and leaves alike)."""
    return sum(1 + (count_keys(v) if isinstance(v, Mapping) else 0) for v in values.values())
