"""Imports point down the layers: common <- config, aws, kubernetes, gitops <- stack_args,
package <- the program. Read from the source, so a wrong import fails here before it runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

COMPONENTS = Path(__file__).resolve().parents[2] / "components"
# What each layer may import from groundwork, besides itself.
ALLOWED = {
    "common": set(),
    "config": {"common"},
    "aws": {"common"},
    "kubernetes": {"common"},
    "gitops": {"common"},
    "stack_args": {"common", "config", "aws", "kubernetes", "gitops"},
    "package": {"common", "aws", "kubernetes", "gitops"},
    "__main__": {"package"},
}


def _layer(module: str) -> str:
    return module.split(".")[1] if module.count(".") else module


def imports(path: Path) -> set[str]:
    """The groundwork modules `path` imports (`components.x.y`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in names if name.startswith("components."))
    return found


def _sources() -> list[Path]:
    return sorted(COMPONENTS.rglob("*.py"))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(COMPONENTS)))
def test_imports_only_point_down(path):
    relative = path.relative_to(COMPONENTS)
    layer = relative.parts[0].removesuffix(".py")
    if layer == "__init__":
        return
    wrong = {name for name in imports(path)
             if (target := name.split(".")[1]) != layer and target not in ALLOWED[layer]}
    assert not wrong, f"{relative} imports {sorted(wrong)} (allowed: {sorted(ALLOWED[layer])})"


def test_the_check_sees_a_wrong_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from components.config import load\nimport components.aws.network\n")
    assert imports(module) >= {"components.config", "components.aws.network"}


def test_no_component_module_names_the_config_package():
    for path in _sources():
        if path.relative_to(COMPONENTS).parts[0] in ("aws", "gitops", "kubernetes", "common"):
            assert not any(name.startswith("components.config") for name in imports(path)), path
