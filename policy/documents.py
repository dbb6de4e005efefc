"""Reading IAM policy documents as the policy host receives them.

A document arrives as a JSON string, or as an object when the program passes a policy document
instead of its JSON; IAM lets most statement fields be one value or a list of values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from props import as_list


class DocumentError(ValueError):
    """The document is not JSON or not shaped like an IAM policy."""


def statements(document: Any) -> list[Mapping[str, Any]]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise DocumentError(f"not valid JSON ({error.msg} at position {error.pos})") from error
    if not isinstance(document, Mapping):
        raise DocumentError("not a JSON object")
    found = as_list(document.get("Statement"))
    if not all(isinstance(statement, Mapping) for statement in found):
        raise DocumentError("a Statement entry is not an object")
    return found


def allows(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") != "Deny"


def label(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f'statement "{sid}"' if sid else f"statement {index}"


def principals(statement: Mapping[str, Any], kind: str | None = None) -> list[Any]:
    """The statement's principals of one kind ("AWS", "Federated", "Service"), or of every kind;
    a bare "*" principal counts for every kind."""
    principal = statement.get("Principal")
    if not isinstance(principal, Mapping):
        return as_list(principal)
    kinds = [kind] if kind else list(principal)
    return [value for name in kinds for value in as_list(principal.get(name))]
