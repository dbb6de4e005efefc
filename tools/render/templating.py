"""The templating languages of the GitOps tree and of the program, as the engines evaluate them.

- Go's text/template with `missingkey=error` (a missing key is an error), in two places:
  - Argo CD ApplicationSets with `goTemplate: true` render every string of the template over the
    generator's parameters (`{{.metadata.annotations.aws_region}}`);
  - the Flux Operator renders a ResourceSet's `resourcesTemplate` once per input, with `<<` and
    `>>` as delimiters and the input as the function `inputs` (`<< inputs.name | quote >>`;
    flux-operator v0.49.0 internal/builder/resourceset.go, newTemplate).
  Both evaluate the part of the language that the tree and components/gitops/
  resourceset_template.py write: field references, string literals, pipelines of `print` (Go's
  builtin) and `quote` (slim-sprig's), and `if`/`end` with trim markers. Anything else (another
  function, `range`, a variable) is reported as not expanded rather than guessed at.
- Flux's postBuild substitution (fluxcd/pkg/envsubst, used by kustomize-controller v1.8.3)
  replaces `${var}`, `${var:=default}` and `${var:-default}` in each object's YAML, `$${var}` stays
  a literal `${var}`, and an object annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`
  is left alone. Without strict mode an unset variable becomes an empty string; here it is a
  finding, since the tree means every variable it names.
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tools.harness.tree import DESCEND, rebuild

_VARIABLE = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*", re.ASCII)
SUBSTITUTE = "kustomize.toolkit.fluxcd.io/substitute"
# The tokens of an action: string literals, the pipe, and words (fields, functions, keywords).
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\||[^\s|"]+')
# A field chain: the data (`.`, `.a.b`) or a name's value (`inputs.a`).
_CHAIN = re.compile(r"(?P<name>[A-Za-z_]\w*)?(?P<fields>(\.[A-Za-z_]\w*)*|\.)")
# text/template's keywords other than `if` and `end`, none of them evaluated here.
_OTHER_KEYWORDS = frozenset({"else", "range", "with", "define", "block", "template", "break",
                             "continue"})
# Go's strconv.Quote escapes, which YAML's double-quoted scalars share.
_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "\v": "\\v", "\\": "\\\\", '"': '\\"'}


class TemplateError(Exception):
    """A template that cannot be rendered; the message says why."""


@dataclass(frozen=True)
class _Action:
    expression: str


@dataclass(frozen=True)
class _If:
    expression: str
    body: list[Any]


def _text(value: Any) -> str:
    """A value as text/template prints it (fmt's %v) for the kinds templates here print."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<no value>"
    if isinstance(value, (str, int)):
        return str(value)
    raise TemplateError(f"printing a {type(value).__name__} is not expanded")


def _quote(text: str) -> str:
    """Go's strconv.Quote (fmt's %q): Python's printable characters are Go's (unicode.IsPrint:
    letters, marks, numbers, punctuation, symbols and the ASCII space)."""
    def escape(char: str) -> str:
        if char in _ESCAPES:
            return _ESCAPES[char]
        if char.isprintable():
            return char
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x80 else (
            f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return '"' + "".join(map(escape, text)) + '"'


def _print(*operands: Any) -> str:
    """Go's `print` (fmt.Sprint): a space only between two operands that are not strings."""
    text = ""
    for before, operand in zip((None, *operands), operands, strict=False):
        if before is not None and not isinstance(before, str) and not isinstance(operand, str):
            text += " "
        text += _text(operand)
    return text


# slim-sprig's quote: each operand that is not nil, %q-quoted, joined by spaces.
FUNCTIONS = {"print": _print,
             "quote": lambda *operands: " ".join(_quote(_text(o)) for o in operands
                                                  if o is not None)}


class GoTemplate:
    """`text` parsed as Go's text/template between `left` and `right` delimiters (see the module
    docstring for the part of the language it evaluates)."""

    def __init__(self, text: str, left: str = "{{", right: str = "}}"):
        self.left, self.right = left, right
        action = re.compile(re.escape(left) + r"(-[ \t\r\n])?(.*?)([ \t\r\n]-)?"
                            + re.escape(right), re.S)
        self.nodes: list[Any] = []
        blocks = [self.nodes]
        position, trim = 0, False
        for match in action.finditer(text):
            before = text[position:match.start()]
            before = before.lstrip(" \t\r\n") if trim else before
            blocks[-1].append(before.rstrip(" \t\r\n") if match.group(1) else before)
            position, trim = match.end(), bool(match.group(3))
            expression = match.group(2).strip()
            if expression.partition(" ")[0] in _OTHER_KEYWORDS:
                raise TemplateError(self._unsupported(expression))
            if expression.startswith("if "):
                block = _If(expression[3:].strip(), [])
                blocks[-1].append(block)
                blocks.append(block.body)
            elif expression == "end":
                if len(blocks) == 1:
                    raise TemplateError(f"{self.shown(expression)}: unexpected end")
                blocks.pop()
            else:
                blocks[-1].append(_Action(expression))
        if len(blocks) > 1:
            raise TemplateError("unexpected EOF: an if has no end")
        rest = text[position:]
        blocks[-1].append(rest.lstrip(" \t\r\n") if trim else rest)

    def shown(self, expression: str) -> str:
        return f"{self.left}{expression}{self.right}"

    def render(self, data: Any = None, names: Mapping[str, Any] | None = None) -> str:
        """The text with `data` as the dot and `names` as niladic functions (`inputs`)."""
        return "".join(self._execute(self.nodes, data, names or {}))

    def _execute(self, nodes: list[Any], data: Any, names: Mapping[str, Any]) -> Iterable[str]:
        for node in nodes:
            if isinstance(node, str):
                yield node
            elif isinstance(node, _If):
                # text/template's truth: not false, 0, nil or empty.
                if self._pipeline(node.expression, data, names):
                    yield from self._execute(node.body, data, names)
            else:
                yield _text(self._pipeline(node.expression, data, names))

    def _pipeline(self, expression: str, data: Any, names: Mapping[str, Any]) -> Any:
        """Commands separated by `|`, each after the first called with the previous result as
        its last operand."""
        commands: list[list[str]] = [[]]
        for token in _TOKEN.findall(expression):
            if token == "|":
                commands.append([])
            else:
                commands[-1].append(token)
        piped: tuple[Any, ...] = ()  # the previous command's result, once there is one
        for command in commands:
            if command and command[0] in FUNCTIONS:
                operands = [self._operand(t, expression, data, names) for t in command[1:]]
                piped = (FUNCTIONS[command[0]](*operands, *piped),)
            elif len(command) == 1 and not piped:
                piped = (self._operand(command[0], expression, data, names),)
            else:
                raise TemplateError(self._unsupported(expression))
        return piped[0]

    def _operand(self, token: str, expression: str, data: Any, names: Mapping[str, Any]) -> Any:
        if token.startswith('"'):
            return json.loads(token)  # Go's escapes in a string literal are JSON's here
        chain = _CHAIN.fullmatch(token)
        if chain is None or chain["name"] not in (None, *names):
            raise TemplateError(self._unsupported(expression))
        node = data if chain["name"] is None else names[chain["name"]]
        for key in filter(None, chain["fields"].split(".")):
            if not isinstance(node, Mapping) or key not in node:
                raise TemplateError(f"map has no entry for key {key!r} in "
                                    f"{self.shown(expression)} (missingkey=error)")
            node = node[key]
        return node

    def _unsupported(self, expression: str) -> str:
        return (f"{self.shown(expression)} is not expanded: only field references, string "
                f"literals, print, quote and if are evaluated offline")


def go_string(text: str, params: Mapping[str, Any]) -> str:
    """`text` rendered as an Argo CD goTemplate string over a generator's `params`."""
    return GoTemplate(text).render(params)


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
