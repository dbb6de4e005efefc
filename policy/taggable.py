"""Which AWS resource types take `tags`, so the tagging policy skips the ones that cannot.

The list lives in aws-taggable-types.txt, generated from the installed pulumi-aws (the version the
program pins) because the policy host has no pulumi-aws of its own. After bumping pulumi-aws,
regenerate it with the project venv:

    .venv/bin/python policy/taggable.py

tests/policy/test_taggable.py fails while the file and the installed pulumi-aws disagree.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from pathlib import Path

TYPES_FILE = Path(__file__).with_name("aws-taggable-types.txt")

# Every pulumi-aws resource class registers itself from `_internal_init`, whose keyword arguments
# are the resource inputs; the type token is the first argument to the base initialiser.
_RESOURCE = re.compile(
    r"def _internal_init\(__self__,(?P<inputs>.*?)\):.*?"
    r"super\(\w+, __self__\)\.__init__\(\s*'(?P<token>aws:[^']+)'",
    re.S,
)
_TAGS_INPUT = re.compile(r"\btags: pulumi\.Input")


def load() -> frozenset[str]:
    lines = TYPES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def scan() -> tuple[str, frozenset[str]]:
    """The installed pulumi-aws version and the type tokens of its resources that take `tags`."""
    spec = importlib.util.find_spec("pulumi_aws")
    assert spec is not None and spec.origin is not None, "pulumi_aws is installed"
    package = Path(spec.origin).parent
    taggable = set()
    for source in package.rglob("*.py"):
        for match in _RESOURCE.finditer(source.read_text(encoding="utf-8")):
            if _TAGS_INPUT.search(match["inputs"]):
                taggable.add(match["token"])
    return importlib.metadata.version("pulumi-aws"), frozenset(taggable)


def write() -> None:
    version, taggable = scan()
    header = (f"# AWS resource types that take `tags`, from pulumi-aws {version}. "
              "Regenerate: python policy/taggable.py\n")
    lines = "".join(f"{token}\n" for token in sorted(taggable))
    TYPES_FILE.write_text(header + lines, encoding="utf-8")


if __name__ == "__main__":
    write()
