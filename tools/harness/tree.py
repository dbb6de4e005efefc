"""The one walker over nested config values, resource inputs and manifests (dicts, lists,
leaves), for the harness, the render and the tests.

Paths are tuples of keys and indices; `spell` writes one the way recorded `secret_paths` are
written (`spec.source[0].url`, `.` for the root).
"""

from collections.abc import Callable, Iterator
from typing import Any

Path = tuple[str | int, ...]
# Returned by a `rebuild` visitor to descend into a container, or keep a leaf as it is.
DESCEND = object()


def spell(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "."


def walk(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """(path, node) for `value` and everything inside it, containers before their contents."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, (*path, index))


def rebuild(value: Any, visit: Callable[[Path, Any], Any], path: Path = ()) -> Any:
    """A copy of `value` in which each node is what `visit(path, node)` returns; where it returns
    DESCEND, a container is rebuilt from its rebuilt contents and a leaf is kept."""
    result = visit(path, value)
    if result is not DESCEND:
        return result
    if isinstance(value, dict):
        return {key: rebuild(item, visit, (*path, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [rebuild(item, visit, (*path, index)) for index, item in enumerate(value)]
    return value


def under(path: Path, prefixes: frozenset[Path]) -> bool:
    """Whether `path` is one of `prefixes` or lies inside one."""
    return any(path[:length] in prefixes for length in range(len(path) + 1))
