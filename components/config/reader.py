"""Reader: typed access to raw config values that records problems instead of raising, and the
one place a problem's text is made safe to print."""

import difflib
from collections.abc import Callable, Collection, Mapping
from typing import Any

from components.common.patterns import redact_userinfo
from components.config.keys import INT32_RANGE, NAMESPACE

_NOUNS: Mapping[type, str] = {str: "string", bool: "boolean", int: "integer", float: "number",
                              list: "list", dict: "object", type(None): "null"}


def top_level(path: str) -> str:
    """The top-level key of a key path: `network` for `network.cidr`, `gitops` for
    `gitops.apps[0].name`."""
    return path.split(".", 1)[0].split("[", 1)[0]


def suggestion(key: str, valid: Collection[str]) -> str:
    """`; did you mean 'x'?` for the valid keys closest to a misspelled one (letter case aside),
    or nothing when none is close."""
    by_lower = {name.lower(): name for name in valid}
    close = difflib.get_close_matches(key.lower(), list(by_lower), n=3, cutoff=0.6)
    if not close:
        return ""
    return f"; did you mean {' or '.join(repr(by_lower[name]) for name in close)}?"


class Reader:
    """Typed access to raw config values that records a problem instead of raising, so one run
    reports every mistake. A value of the wrong type yields the fallback and a problem.

    Every problem names its key path and rule. A value is quoted only through `show`: never when
    its top-level key is in `secret` (set with --secret, or a key that holds secrets), and
    `problem` takes the credentials out of any URL in the text, so no message echoes a secret."""

    _KINDS: Mapping[type, str] = {str: "a string", bool: "true or false", int: "an integer",
                                  list: "a list", dict: "an object"}

    def __init__(self, secret: Collection[str] = ()) -> None:
        self.problems: list[str] = []
        self._secret = frozenset(secret)

    def is_secret(self, path: str) -> bool:
        return top_level(path) in self._secret

    def show(self, path: str, value: Any) -> str:
        """`value` as a problem at `path` may quote it: its repr, or where it is secret only its
        type."""
        if self.is_secret(path):
            return f"a secret {_NOUNS.get(type(value), 'value')}"
        return repr(value)

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{NAMESPACE}:{path}: {redact_userinfo(message)}")

    def typed(self, path: str, value: Any, kind: type, fallback: Any) -> Any:
        # bool is an int in Python; a YAML `true` where a number belongs is still a mistake.
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        self.problem(path, f"expected {self._KINDS[kind]}, got {self.show(path, value)}")
        return fallback

    def integer(self, path: str, value: Any, fallback: int,
                bounds: tuple[int, int] = INT32_RANGE) -> int:
        number = self.typed(path, value, int, fallback)
        low, high = bounds
        if not low <= number <= high:
            self.problem(path, f"{self.show(path, number)} must be between {low} and {high}")
        return number

    def fields(self, path: str, value: Any, allowed: tuple[str, ...],
               required: tuple[str, ...] = ()) -> dict[str, Any]:
        obj = self.typed(path, value, dict, {})
        for key in obj:
            if key not in allowed:
                self.unknown(f"{path}.{key}", key, allowed)
        for key in required:
            if key not in obj:
                self.problem(f"{path}.{key}", "is required")
        return obj

    def unknown(self, path: str, key: str, allowed: Collection[str]) -> None:
        self.problem(path, f"unknown key{suggestion(key, allowed)} (valid keys are "
                           f"{', '.join(allowed)})")

    def choice(self, path: str, value: Any, choices: tuple[str, ...]) -> str:
        text = self.typed(path, value, str, choices[0])
        if text not in choices:
            self.problem(path, f"{self.show(path, text)} is not one of {', '.join(choices)}")
            return choices[0]
        return text

    def strings(self, path: str, value: Any) -> tuple[str, ...]:
        items = self.typed(path, value, list, [])
        return tuple(self.typed(f"{path}[{i}]", item, str, "") for i, item in enumerate(items))

    def string_map(self, path: str, value: Any) -> dict[str, str]:
        obj = self.typed(path, value, dict, {})
        return {str(k): self.typed(f"{path}.{k}", v, str, "") for k, v in obj.items()}

    def each(self, path: str, value: Any, read: Callable[[str, Any], Any]) -> tuple[Any, ...]:
        items = self.typed(path, value, list, [])
        return tuple(read(f"{path}[{i}]", item) for i, item in enumerate(items))

    def unique(self, path: str, items: tuple[str, ...], suffix: str = "") -> None:
        """Report each repeat of an earlier item at `path[i]<suffix>`, in one pass over a set:
        thousands of apps stay cheap."""
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item in seen:
                self.problem(f"{path}[{i}]{suffix}",
                             f"{self.show(path, item)} is listed twice")
            seen.add(item)
