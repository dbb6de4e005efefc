"""Patterns: the one way groundwork checks a value against a regular expression.

A `Pattern` matches the whole value (`re.fullmatch`, so no `$` lets a trailing newline through)
and reads its classes in ASCII (`re.ASCII`: `\\d` is 0-9 and `\\w` is [A-Za-z0-9_], not every
script's digits and letters), as the AWS and Kubernetes APIs define their names. Expressions are
written without anchors. `redact_userinfo` is the one rewrite of free text: it takes the
credentials out of any URL in a message before a user sees it.
"""

from __future__ import annotations

import re
from typing import Any


class Pattern:
    """A regular expression a value must match as a whole, in ASCII."""

    def __init__(self, expression: str) -> None:
        if expression.startswith("^") or expression.endswith("$"):
            raise ValueError(f"a Pattern matches whole values; drop the anchors: {expression!r}")
        self.expression = expression
        self._compiled = re.compile(expression, re.ASCII)

    def matches(self, value: Any) -> bool:
        """Whether `value` is a string this pattern matches from its first to its last
        character."""
        return isinstance(value, str) and self._compiled.fullmatch(value) is not None

    def parse(self, value: Any) -> re.Match[str] | None:
        """The whole-value match, for its groups; None where `matches` is false."""
        return self._compiled.fullmatch(value) if isinstance(value, str) else None

    def scan(self, value: str) -> list[Any]:
        """Every piece of `value` this pattern finds (`re.findall`), to take apart a value another
        Pattern has accepted whole."""
        return self._compiled.findall(value)

    def split(self, value: str) -> list[str]:
        """`value` cut at every match (`re.split`), each match's groups kept between the
        pieces: what lies outside and what the groups capture, in order."""
        return self._compiled.split(value)

    def __repr__(self) -> str:
        return f"Pattern({self.expression!r})"


# `scheme://userinfo@`, any scheme in any letter case, up to the last `@` before the path; and
# `user:password@`, the way scp-like Git URLs would carry a password.
_URL_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s'\"]*@", re.ASCII)
_PASSWORD_USERINFO = re.compile(r"[^\s/@'\":]+:[^\s/@'\"]*@", re.ASCII)
REDACTED_USERINFO = "<credentials>@"


def redact_userinfo(text: str) -> str:
    """`text` with the userinfo of every URL in it replaced, so a message can name the URL a
    user gave without echoing a token it carried."""
    text = _URL_USERINFO.sub(lambda match: match.group(1) + REDACTED_USERINFO, text)
    return _PASSWORD_USERINFO.sub(REDACTED_USERINFO, text)
