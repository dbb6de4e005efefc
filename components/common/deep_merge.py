"""The one deep merge: stack config over Pulumi.yaml defaults, and Helm values over base values.

Helm's rule for values and the Pulumi CLI's rule for object config agree: maps merge key by key,
anything else (lists included) replaces.
"""

from collections.abc import Mapping
from typing import Any


def merge(base: Any, top: Any) -> Any:
    """`top` over `base`. Neither input is changed."""
    if isinstance(base, Mapping) and isinstance(top, Mapping):
        merged = dict(base)
        for key, value in top.items():
            merged[key] = merge(base.get(key), value)
        return merged
    return top
