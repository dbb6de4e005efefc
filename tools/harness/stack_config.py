"""A stack's config as the Pulumi CLI would pass it to the program: Pulumi.yaml defaults, then
Pulumi.<stack>.yaml, then overrides the way `pulumi config set --path` applies them
(config_path.py); `secure:` values become a placeholder and their keys are marked secret."""

import copy
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from components.config import SECRET_KEYS
from tools.harness.config_path import ConfigPathError, parse_key, set_path
from tools.harness.tree import DESCEND, rebuild

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "groundwork"
SECRET_PLACEHOLDER = "<secret>"


class StackFileError(ValueError):
    """A stack file the Pulumi CLI could not read: not YAML, or no map of config keys."""


def _placeholders(value: Any) -> tuple[Any, bool]:
    """Replace each `{secure: ...}` with the placeholder; report whether any was found."""
    found = []

    def visit(_path, node):
        if isinstance(node, dict) and set(node) == {"secure"}:
            found.append(True)
            return SECRET_PLACEHOLDER
        return DESCEND

    return rebuild(value, visit), bool(found)


def _stack_config(stack_file: Path) -> dict[str, Any]:
    """The `config:` map of a stack file, keyed `<namespace>:<name>`, or StackFileError for a
    file the CLI could not read either."""
    try:
        document = yaml.safe_load(stack_file.read_text()) or {}
    except yaml.YAMLError as error:
        # Where, not what: the text around a parse error may be a credential.
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise StackFileError(f"{stack_file.name}: not valid YAML{where}") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(document, dict) or not isinstance(config, dict | None):
        raise StackFileError(f"{stack_file.name}: expected a map with a `config:` map")
    for key in config or {}:
        # The CLI's ParseKey: `<namespace>:<name>`, or the older `<namespace>:config:<name>`.
        if not isinstance(key, str) or not 0 < key.count(":") - key.count(":config:") < 2:
            raise StackFileError(f"{stack_file.name}: {str(key)!r} is not a configuration key "
                                 "(<namespace>:<name>)")
    return {key.replace(":config:", ":", 1): value for key, value in (config or {}).items()}


def _full_key(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def stack_values(stack: str, project_dir: Path = ROOT,
                 overrides: Mapping[str, Any] | None = None,
                 secret: Iterable[str] = ()) -> tuple[dict[str, Any], set[str]]:
    """The config of `stack` as the CLI would pass it: full keys to values, plus the secret keys.

    `overrides` maps keys in `pulumi config set --path` syntax (`gitops.engine`,
    `cluster.nodeGroups[0].maxSize`, `aws:region`) to values and is applied last, the way that
    command would; the keys that hold secrets (gitCredentials, secretValues) the way
    `pulumi config set --secret --path` would. A key the CLI would refuse raises
    ConfigPathError. `secret` names more top-level keys (`network`, `aws:region`) to mark
    secret, as if a value under them had been set with `--secret`: the CLI marks a whole
    top-level key secret."""
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    values: dict[str, Any] = {}
    secret_keys: set[str] = set()
    for key, spec in (project.get("config") or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(spec, dict) and "default" in spec:
            values[full] = copy.deepcopy(spec["default"])
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if stack_file.exists():
        for key, value in _stack_config(stack_file).items():
            plain, has_secure = _placeholders(value)
            values[key] = plain
            if has_secure:
                secret_keys.add(key)
    for text, value in (overrides or {}).items():
        namespace, path = parse_key(text, PROJECT)
        full = f"{namespace}:{path[0]}"
        try:
            set_path(values, full, path, value)
        except ConfigPathError as error:
            raise ConfigPathError(f"{text}: {error}") from None
        if namespace == PROJECT and path[0] in SECRET_KEYS:
            secret_keys.add(full)
    secret_keys.update(_full_key(key) for key in secret)
    return values, secret_keys


def as_config_strings(values: Mapping[str, Any]) -> dict[str, str]:
    return {key: value if isinstance(value, str) else json.dumps(value)
            for key, value in values.items()}
