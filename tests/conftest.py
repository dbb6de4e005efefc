"""Shared fixtures: run the real program under mocks with a stack's config, layered the way the
Pulumi CLI layers it (Pulumi.yaml defaults, then Pulumi.<stack>.yaml, then per-test overrides)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tools import harness
from tools.harness.graph import Graph

STACKS = ("dev", "prod", "local")
ENGINES = ("argocd", "flux")
# Access entries the stack files leave to the user (EKS rejects a principal that does not exist).
ADMIN_ROLE = "arn:aws:iam::123456789012:role/platform-admin"
VIEWER_ROLE = "arn:aws:iam::123456789012:role/groundwork-ci-readonly"
ACCESS = {"cluster.adminRoleArns": [ADMIN_ROLE], "cluster.viewerRoleArns": [VIEWER_ROLE]}
# The same, as `run_stack` keyword overrides.
ACCESS_KW = {key.replace(".", "__"): value for key, value in ACCESS.items()}
# 13 seed apps over four sync waves, a negative one included, in no particular order: what the
# Flux wave gates and the destroy order are checked against.
WAVES = (2, -1, 0, 2, 0, 5, -1, 0, 2, 5, 0, 2, 5)
WAVE_APPS = [{"name": f"app-{i}", "path": "gitops/apps/podinfo", "namespace": f"ns-{i}",
              "wave": wave} for i, wave in enumerate(WAVES)]


def _key(overrides: dict) -> str:
    return json.dumps(overrides, sort_keys=True)


_runs: dict[tuple[str, str], harness.Run] = {}


@pytest.fixture
def run_stack():
    """`run_stack(stack, **overrides)`: the recorded run. Overrides use groundwork key paths with
    `__` for dots, e.g. `gitops__engine="flux"`. Runs are cached: treat results as read-only."""

    def run(stack: str, **overrides) -> harness.Run:
        paths = {key.replace("__", "."): value for key, value in overrides.items()}
        cache_key = (stack, _key(paths))
        if cache_key not in _runs:
            _runs[cache_key] = harness.run(stack, paths)
        return _runs[cache_key]

    return run


@pytest.fixture
def graph_of():
    return Graph


@pytest.fixture(scope="session")
def schemas_dir() -> Path:
    """The upstream CRDs. Missing schemas fail the suite under CI rather than skipping checks."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "schemas"
    fetched = Path(__file__).resolve().parents[1] / "build" / "upstream" / "schemas"
    path = Path(os.environ.get("GROUNDWORK_SCHEMAS", shared if shared.is_dir() else fetched))
    if not (path / "argocd").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"upstream schemas not found at {path}; set GROUNDWORK_SCHEMAS")
        pytest.skip(f"upstream schemas not found at {path}; set GROUNDWORK_SCHEMAS")
    return path
