"""Random damage to real stack configs: the program either runs or raises ConfigError, never a
Python traceback, and a ConfigError leaves nothing registered.

Each example takes the dev, prod or local config as the CLI would pass it, then drops keys, swaps
types or plants random values at random paths, nested ones included (node groups, taints, apps,
credentials), and runs the whole program under mocks.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from components.config import ConfigError
from tests.conftest import ENGINES, STACKS
from tools import harness
from tools.harness.tree import walk

EXAMPLES = 300

# Values that pass some checks and fail others, so damage reaches the deeper cross-checks too.
_PLAUSIBLE = st.sampled_from([
    "", "eks", "existing", "argocd", "flux", "none", "perAz", "SPOT", "NO_SCHEDULE", "1.34",
    "0.0.0.0/0", "10.0.0.0/16", "203.0.113.0/24", "t3.large", "main", "v1.2.3", "../up", "/abs",
    "git@github.com:org/repo.git", "https://github.com/org/repo.git", "metrics-server",
    "external-dns", "cert-manager", "kind-groundwork", "Upper_Case", "x" * 70, "1.2.3", "5m",
    "a b", "Z0123456789ABCDEFGHIJ", "arn:aws:iam::123456789012:role/platform-admin",
])
_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-3, 12), st.integers(), st.floats(),
                  st.text(max_size=12), _PLAUSIBLE)
_VALUE = st.recursive(_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.one_of(st.text(max_size=8), _PLAUSIBLE), inner, max_size=3),
), max_leaves=8)


def _damage(data, tree: dict[str, Any]) -> None:
    path = data.draw(st.sampled_from([p for p, _ in walk(tree) if p]), label="path")
    parent = tree
    for part in path[:-1]:
        parent = parent[part]
    leaf = path[-1]
    action = data.draw(st.sampled_from(["drop", "replace", "wrap", "unknown-key"]), label="action")
    if action == "drop" and len(path) > 1:
        del parent[leaf]
    elif action == "drop":
        # A top-level key the stack does not set falls back to the Pulumi.yaml default.
        parent[leaf] = None
    elif action == "wrap":
        parent[leaf] = data.draw(st.sampled_from([[parent[leaf]], {"value": parent[leaf]}]))
    elif action == "unknown-key" and isinstance(parent[leaf], dict):
        parent[leaf][data.draw(_PLAUSIBLE | st.text(max_size=6))] = data.draw(_VALUE)
    else:
        parent[leaf] = data.draw(_VALUE, label="value")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_damaged_config_runs_or_raises_config_error(data):
    stack = data.draw(st.sampled_from(STACKS), label="stack")
    values, _ = harness.stack_values(stack)
    tree = {key.split(":", 1)[1]: copy.deepcopy(value) for key, value in values.items()
            if key.startswith("groundwork:")}
    tree["gitops"]["engine"] = data.draw(st.sampled_from(ENGINES), label="engine")
    if data.draw(st.booleans(), label="credentials"):
        tree["gitCredentials"] = data.draw(st.sampled_from([
            {"username": "git", "password": "token"},
            {"sshPrivateKey": "key", "knownHosts": "github.com ssh-ed25519 AAAA"},
        ]))
    for _ in range(data.draw(st.integers(1, 3), label="damages")):
        _damage(data, tree)
    try:
        run = harness.run(stack, tree)
    except ConfigError as error:
        event("rejected")
        assert error.partial_run.resources == []
        assert error.problems and all(p.startswith("groundwork:") for p in error.problems)
    else:
        event("accepted")
        assert run.outputs["clusterName"].value
        assert run.outputs["gitopsEngine"].value in ENGINES
