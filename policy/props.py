"""Reading resource inputs as the policy host delivers them: read-only Mapping and Sequence
proxies (not dicts and lists) in camelCase, where reading a value that is only known after the
update raises UnknownValueError."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError


def get(value: Any, *path: str) -> Any:
    """The value at `path` inside nested objects, or None when any step is absent."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def as_list(value: Any) -> list[Any]:
    """A one-value-or-list input as a list; absent means empty."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def set_or_computed(mapping: Any, key: str) -> bool:
    """True when `key` holds a non-empty value, or one that is only computed during the update."""
    if not isinstance(mapping, Mapping):
        return False
    try:
        return bool(mapping.get(key))
    except UnknownValueError:
        # During preview a value produced by another resource in the same update (a new KMS key's
        # ARN) is unknown; the reference alone shows the field is set.
        return True


def known(mapping: Any, key: str) -> Any:
    """The value at `key`, or None when it is absent or only known after the update."""
    if not isinstance(mapping, Mapping):
        return None
    try:
        return mapping.get(key)
    except UnknownValueError:
        return None


def json_object(value: Any) -> Any:
    """Provider inputs of object type may arrive JSON-encoded."""
    return json.loads(value) if isinstance(value, str) else value
