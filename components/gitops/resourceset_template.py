"""A Flux Operator ResourceSet's `resourcesTemplate`, written from the same pure builders as the
objects it stands for, so that the template cannot drift from what those builders make.

The operator renders `resourcesTemplate` once per input with Go's text/template, `<<` and `>>` as
delimiters, slim-sprig's functions and `missingkey=error`, and reads the result as
multi-document YAML (flux-operator v0.49.0, internal/builder/resourceset.go: BuildResourceSet,
BuildResourcesFromYAML, newTemplate; docs/api/v1/resourceset.md, "Resources template").

A builder given `field("name")` where a string goes returns an object whose strings name input
fields; `When(field, value)` marks a value that exists only for inputs whose field is set (Go's
truth: neither empty nor false). `template` writes such objects as that YAML:

- A string with fields is one action whose output is one YAML double-quoted scalar,
  `<< print "app-" inputs.name | quote >>`. sprig's `quote` is Go's %q, which escapes exactly
  what a double-quoted scalar must (quotes, backslashes, control and non-printable characters)
  with escapes YAML shares, so a value reaches the object unchanged whatever it holds: a
  namespace `123` stays a string, a path may hold `"` or `: `.
- A `When` is an `<<- if inputs.<field> >>` ... `<<- end >>` block around its lines. The trim
  markers take the line break before each action, so either way no blank or partial line is left.
"""

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from components.common.patterns import Pattern

_FIELD = Pattern(r"<< inputs\.(\w+) >>")
_INDENT = "  "


def field(name: str) -> str:
    """The input field `name`, spelled as the ResourceSet docs spell a reference to it."""
    return f"<< inputs.{name} >>"


@dataclass(frozen=True)
class When:
    """`value` (a document, or the value of a mapping key), only for inputs whose `field` is
    set."""

    field: str
    value: Any


def template(documents: Sequence[Any]) -> str:
    """Multi-document YAML of `documents`, each a mapping or a `When` of one. A `When` goes
    inside its separator: left out, it leaves two separators in a row, never a document of blank
    lines, which a YAML reader could take for a document of its own."""
    lines: list[str] = []
    for document in documents:
        lines += ["---", *_guarded(document, "", lambda value: _mapping(value, ""))]
    return "\n".join(lines) + "\n"


def _guarded(node: Any, indent: str, write: Any) -> list[str]:
    """`write(node)`, inside an `if` block when `node` is a `When`."""
    if isinstance(node, When):
        return [f"{indent}<<- if inputs.{node.field} >>", *write(node.value),
                f"{indent}<<- end >>"]
    return write(node)


def _mapping(node: Mapping[str, Any], indent: str) -> list[str]:
    lines: list[str] = []
    for key, value in node.items():
        lines += _guarded(value, indent,
                          lambda item, key=key: _entry(f"{indent}{_scalar(key)}:", item, indent))
    return lines


def _entry(head: str, value: Any, indent: str) -> list[str]:
    """`head` (a key and its colon) and `value`: on the same line when it is a scalar, else
    below it, one level in."""
    if isinstance(value, Mapping) and value:
        return [head, *_mapping(value, indent + _INDENT)]
    if isinstance(value, list) and value:
        return [head, *_sequence(value, indent + _INDENT)]
    return [f"{head} {_scalar(value)}"]


def _sequence(items: list[Any], indent: str) -> list[str]:
    """Block sequence items; a mapping item starts on the dash's line."""
    lines: list[str] = []
    for item in items:
        if isinstance(item, Mapping) and item:
            first, *rest = _mapping(item, indent + _INDENT)
            lines += [f"{indent}- {first.lstrip()}", *rest]
        else:
            lines.append(f"{indent}- {_scalar(item)}")
    return lines


def _scalar(value: Any) -> str:
    """A constant as PyYAML writes it, quoted where YAML 1.1 would read it as anything but that
    string (`"yes"`, `"123"`), as Go's YAML reader does too; a string with fields as one action
    whose output is a double-quoted scalar."""
    parts = _FIELD.split(value) if isinstance(value, str) else [value]
    if len(parts) == 1:
        text = yaml.safe_dump(value, default_flow_style=True, width=math.inf)
        return text.removesuffix("\n...\n").removesuffix("\n")
    # split() alternates text and field names; empty text between fields adds nothing.
    operands = []
    for index, part in enumerate(parts):
        if index % 2:
            operands.append(f"inputs.{part}")
        elif part:  # a Go string literal, as JSON spells one
            operands.append(json.dumps(part))
    pipeline = operands[0] if len(operands) == 1 else f"print {' '.join(operands)}"
    return f"<< {pipeline} | quote >>"
