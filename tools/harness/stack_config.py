"""A stack's config as the Pulumi CLI would pass it to the program: Pulumi.yaml defaults, then
Pulumi.<stack>.yaml, then overrides the way `pulumi config set --path` applies them; `secure:`
values become a placeholder and their keys are marked secret."""

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from components.config import CREDENTIALS_KEY
from tools.harness.tree import DESCEND, rebuild

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "groundwork"
SECRET_PLACEHOLDER = "<secret>"


def _placeholders(value: Any) -> tuple[Any, bool]:
    """Replace each `{secure: ...}` with the placeholder; report whether any was found."""
    found = []

    def visit(_path, node):
        if isinstance(node, dict) and set(node) == {"secure"}:
            found.append(True)
            return SECRET_PLACEHOLDER
        return DESCEND

    return rebuild(value, visit), bool(found)


def _set_path(values: dict[str, Any], key: str, dotted: str, value: Any) -> None:
    """Set `a.b.c` inside the object config value `key`, as `pulumi config set --path` does."""
    *parents, leaf = dotted.split(".")
    node = values.setdefault(key, {})
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def stack_values(stack: str, project_dir: Path = ROOT,
                 overrides: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], set[str]]:
    """The config of `stack` as the CLI would pass it: full keys to values, plus the secret keys.

    `overrides` maps `groundwork` key paths (`gitops.engine`) or full keys (`aws:region`) to values
    and is applied last, the way `pulumi config set --path` would; credentials the way
    `pulumi config set --secret --path` would."""
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    values: dict[str, Any] = {}
    secret_keys: set[str] = set()
    for key, spec in (project.get("config") or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(spec, dict) and "default" in spec:
            values[full] = copy.deepcopy(spec["default"])
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if stack_file.exists():
        stack_config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
        for key, value in stack_config.items():
            plain, secret = _placeholders(value)
            values[key] = plain
            if secret:
                secret_keys.add(key)
    for path, value in (overrides or {}).items():
        if ":" in path:
            values[path] = value
            continue
        top, _, rest = path.partition(".")
        full = f"{PROJECT}:{top}"
        if top == CREDENTIALS_KEY:
            secret_keys.add(full)
        if rest:
            # A stack value replaces the project default, so start from the merged view.
            if not isinstance(values.get(full), dict):
                values[full] = {}
            _set_path(values, full, rest, value)
        else:
            values[full] = value
    return values, secret_keys


def as_config_strings(values: Mapping[str, Any]) -> dict[str, str]:
    return {key: value if isinstance(value, str) else json.dumps(value)
            for key, value in values.items()}
