"""Config keys and paths the way `pulumi config set --path` reads and applies them, so the
harness and `python -m tools.render --set` take what the CLI takes and refuse what it refuses.

From the Pulumi CLI (sdk/go/common/resource/properties_path.go `ParsePropertyPath`,
sdk/go/common/resource/config/key.go `ParseKey`, config/map.go `Map.Set`):

- a key is `<namespace>:<path>`, or a path in the project's namespace;
- a path is names after dots (`cluster.nodeGroups`), indexes in brackets (`[0]`), and any name
  quoted in brackets (`["server.ingress"]`, `\\"` for a quote inside); the first segment is the
  top-level key and must be a non-empty name;
- setting a path creates the maps and lists it passes through, an index may point at an item or
  one past the last (which appends), and a path may not go through a value of another type.
"""

from __future__ import annotations

import copy
from collections.abc import MutableMapping, Sequence
from typing import Any

from components.common.patterns import Pattern

Segment = str | int
_INDEX = Pattern(r"[+-]?[0-9]+")


class ConfigPathError(ValueError):
    """A key or path `pulumi config set --path` refuses, with the reason it gives."""


def parse_path(text: str) -> list[Segment]:
    """The segments of a property path, as ParsePropertyPath reads it (dots between names are
    optional around brackets, and `[*]` is the name `*`)."""
    segments: list[Segment] = []
    rest = text
    while rest:
        if rest[0] == ".":
            rest = rest[1:]
        elif rest.startswith('["'):
            name, i = [], 2
            while True:
                if i >= len(rest):
                    raise ConfigPathError("missing closing quote in property name")
                if rest[i] == '"':
                    i += 1
                    break
                if rest[i] == "\\" and rest[i + 1:i + 2] == '"':
                    name.append('"')
                    i += 2
                else:
                    name.append(rest[i])
                    i += 1
            if rest[i:i + 1] != "]":
                raise ConfigPathError("missing closing bracket in property access")
            segments.append("".join(name))
            rest = rest[i + 1:]
        elif rest[0] == "[":
            end = rest.find("]")
            if end == -1:
                raise ConfigPathError("missing closing bracket in array index")
            inside = rest[1:end]
            if inside == "*":
                segments.append("*")
            elif _INDEX.matches(inside):
                segments.append(int(inside))
            else:
                raise ConfigPathError(f"invalid array index {inside!r}")
            rest = rest[end + 1:]
        else:
            end = min((i for i in (rest.find("."), rest.find("[")) if i != -1), default=len(rest))
            segments.append(rest[:end])
            rest = rest[end:]
    return segments


def parse_key(text: str, namespace: str) -> tuple[str, list[Segment]]:
    """(namespace, path) of a config key: `aws:region`, or `gitops.engine` in `namespace`. The
    namespace ends at the first colon before any bracket, so a quoted name may hold one."""
    full = text
    if ":" in text.split("[", 1)[0]:
        namespace, _, text = text.partition(":")
        # The CLI's compatibility form `<namespace>:config:<name>`.
        text = text.removeprefix("config:") if text.startswith("config:") else text
        if not namespace or ":" in text.split("[", 1)[0]:
            raise ConfigPathError(f"could not parse {full!r} as a configuration key (keys are "
                                  "<namespace>:<path> or a path)")
    path = parse_path(text)
    if not path:
        raise ConfigPathError("empty config key path")
    if not isinstance(path[0], str):
        raise ConfigPathError("first path segment of config key must be a string")
    if not path[0]:
        raise ConfigPathError("config key is empty")
    return namespace, path


def _get(container: Any, slot: Segment) -> Any:
    if isinstance(container, list):
        assert isinstance(slot, int)
        if not 0 <= slot <= len(container):
            raise ConfigPathError("array index out of range")
        return container[slot] if slot < len(container) else None
    return container.get(slot)


def _put(container: Any, slot: Segment, value: Any) -> None:
    if isinstance(container, list):
        assert isinstance(slot, int)
        if not 0 <= slot <= len(container):
            raise ConfigPathError("array index out of range")
        if slot == len(container):
            container.append(value)
        else:
            container[slot] = value
    else:
        container[slot] = value


def set_path(values: MutableMapping[str, Any], key: str, path: Sequence[Segment],
             value: Any) -> None:
    """Set `value` at `path` (its first segment the top-level key, whose full name is `key`) in
    `values`, as Map.Set does; raises ConfigPathError where the CLI would refuse."""
    value = copy.deepcopy(value)
    if len(path) == 1:
        values[key] = value
        return
    # A string at the top is overwritten, as the CLI does; anything else is walked into.
    root = copy.deepcopy(values.get(key))
    holder: dict[Segment, Any] = {path[0]: None if isinstance(root, str) else root}
    container: Any = holder
    slot = path[0]
    for segment in path[1:]:
        current = _get(container, slot)
        if isinstance(segment, int):
            if current is None:
                current = []
                _put(container, slot, current)
            elif not isinstance(current, list):
                raise ConfigPathError(f"an array was expected for index {segment}")
        elif current is None:
            current = {}
            _put(container, slot, current)
        elif not isinstance(current, dict):
            raise ConfigPathError(f"a map was expected for key {segment!r}")
        container, slot = current, segment
    _put(container, slot, value)
    values[key] = holder[path[0]]
