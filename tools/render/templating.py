"""The two templating languages of the GitOps tree, as the engines evaluate them.

- Argo CD ApplicationSets with `goTemplate: true` render every string of the template with Go's
  text/template over the generator's parameters; `missingkey=error` makes a missing key an error.
  The tree uses field references only (`{{.metadata.annotations.aws_region}}`); anything else (a
  function, a pipeline, `if`, `range`) is reported as not expanded rather than guessed at.
- Flux's postBuild substitution (fluxcd/pkg/envsubst, used by kustomize-controller v1.8.3)
  replaces `${var}`, `${var:=default}` and `${var:-default}` in each object's YAML, `$${var}` stays
  a literal `${var}`, and an object annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`
  is left alone. Without strict mode an unset variable becomes an empty string; here it is a
  finding, since the tree means every variable it names.
"""

import re
from collections.abc import Mapping
from typing import Any

from tools.harness.tree import DESCEND, rebuild

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_FIELD = re.compile(r"^(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_VARIABLE = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*", re.ASCII)
SUBSTITUTE = "kustomize.toolkit.fluxcd.io/substitute"


class TemplateError(Exception):
    """A template that cannot be rendered; the message says why."""


def go_string(text: str, params: Mapping[str, Any]) -> str:
    """`text` rendered as Go text/template with `missingkey=error`, field references only."""

    def action(match: re.Match[str]) -> str:
        expression = match.group(1)
        if not _FIELD.match(expression):
            raise TemplateError(f"{{{{{expression}}}}} is not expanded: only field references "
                                "such as {{.metadata.annotations.key}} are evaluated offline")
        node: Any = params
        for key in expression[1:].split("."):
            if not isinstance(node, Mapping) or key not in node:
                raise TemplateError(f"map has no entry for key {key!r} in {{{{{expression}}}}} "
                                    "(missingkey=error)")
            node = node[key]
        return "" if node is None else str(node)

    return _ACTION.sub(action, text)


def go_template(value: Any, params: Mapping[str, Any]) -> Any:
    """Every string inside `value` rendered with `go_string` (map keys too, as Argo CD does)."""
    def visit(_path, node):
        if isinstance(node, str):
            return go_string(node, params)
        if isinstance(node, dict):
            return {go_string(str(k), params): go_template(v, params) for k, v in node.items()}
        return DESCEND
    return rebuild(value, visit)


def flux_substitute(text: str, variables: Mapping[str, str]) -> tuple[str, list[str]]:
    """`text` with Flux's substitution applied, and the names of variables it could not resolve
    (neither set nor defaulted) or could not parse."""
    unresolved: list[str] = []

    def variable(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        expression = match.group(1)
        name, operator, default = re.match(r"([^:=\-]*)(:?[=-])?(.*)", expression,
                                           re.S).groups()  # type: ignore[union-attr]
        if not _NAME.fullmatch(name):
            unresolved.append(expression)
            return match.group(0)
        if name in variables and (variables[name] != "" or operator in (None, "=", "-")):
            return variables[name]
        if operator is not None:
            return default
        unresolved.append(name)
        return ""

    return _VARIABLE.sub(variable, text), unresolved
