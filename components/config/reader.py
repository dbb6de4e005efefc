"""Reader: typed access to raw config values that records problems instead of raising."""

from collections.abc import Callable, Mapping
from typing import Any

from components.config.keys import INT32_RANGE, NAMESPACE


class Reader:
    """Typed access to raw config values that records a problem instead of raising, so one run
    reports every mistake. A value of the wrong type yields the fallback and a problem."""

    _KINDS: Mapping[type, str] = {str: "a string", bool: "true or false", int: "an integer",
                                  list: "a list", dict: "an object"}

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{NAMESPACE}:{path}: {message}")

    def typed(self, path: str, value: Any, kind: type, fallback: Any, secret: bool = False) -> Any:
        # bool is an int in Python; a YAML `true` where a number belongs is still a mistake.
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        # A secret value is named by its type only: the message reaches terminals and CI logs.
        given = f"a {type(value).__name__}" if secret else repr(value)
        self.problem(path, f"expected {self._KINDS[kind]}, got {given}")
        return fallback

    def integer(self, path: str, value: Any, fallback: int,
                bounds: tuple[int, int] = INT32_RANGE) -> int:
        number = self.typed(path, value, int, fallback)
        low, high = bounds
        if not low <= number <= high:
            self.problem(path, f"{number} must be between {low} and {high}")
        return number

    def fields(self, path: str, value: Any, allowed: tuple[str, ...],
               required: tuple[str, ...] = (), secret: bool = False) -> dict[str, Any]:
        obj = self.typed(path, value, dict, {}, secret)
        for key in obj:
            if key not in allowed:
                self.problem(f"{path}.{key}", f"unknown key; valid keys are {', '.join(allowed)}")
        for key in required:
            if key not in obj:
                self.problem(f"{path}.{key}", "is required")
        return obj

    def choice(self, path: str, value: Any, choices: tuple[str, ...]) -> str:
        text = self.typed(path, value, str, choices[0])
        if text not in choices:
            self.problem(path, f"{text!r} is not one of {', '.join(choices)}")
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
                self.problem(f"{path}[{i}]{suffix}", f"{item!r} is listed twice")
            seen.add(item)
