"""Every pattern matches the whole value, in ASCII, exactly as the target API defines it: a valid
value with a trailing newline, a non-ASCII digit or a non-ASCII letter in it is refused at its
key path, while the valid value itself is accepted. And every check goes through the one
mechanism, components/common/patterns.py."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.config.support import examples, paths_named, rejected
from tools import harness

APP = {"name": "podinfo", "path": "apps/podinfo", "namespace": "podinfo"}
GROUP = {"name": "general", "instanceTypes": ["t3.large"]}
ARN = "arn:aws:iam::123456789012:role/platform-admin"

# key path -> (stack, a valid value, overrides that put a value there)
KEYS: dict[str, tuple[str, str, Any]] = {
    "environment": ("dev", "staging2", lambda v: {"environment": v}),
    "cluster.name": ("dev", "team-a_cluster1", lambda v: {"cluster.name": v}),
    "cluster.version": ("dev", "1.33", lambda v: {"cluster.version": v}),
    "cluster.nodeGroups[0].name": ("dev", "general2",
                                   lambda v: {"cluster.nodeGroups": [{**GROUP, "name": v}]}),
    "cluster.nodeGroups[0].instanceTypes[0]": (
        "dev", "m6i.2xlarge", lambda v: {"cluster.nodeGroups": [{**GROUP, "instanceTypes": [v]}]}),
    "cluster.nodeGroups[0].labels.pool": (
        "dev", "system2", lambda v: {"cluster.nodeGroups": [{**GROUP, "labels": {"pool": v}}]}),
    "cluster.nodeGroups[0].taints[0].key": (
        "dev", "example.com/dedicated", lambda v: {"cluster.nodeGroups": [
            {**GROUP, "taints": [{"key": v, "value": "gpu", "effect": "NO_SCHEDULE"}]}]}),
    "cluster.adminRoleArns[0]": ("dev", ARN, lambda v: {"cluster.adminRoleArns": [v]}),
    "gitops.dnsZoneIds[0]": ("dev", "Z0123456789ABCDEFGHIJ", lambda v: {"gitops.dnsZoneIds": [v]}),
    "gitops.argocd.chartVersion": ("dev", "10.1.1", lambda v: {"gitops.argocd.chartVersion": v}),
    "gitops.flux.chartVersion": ("dev", "2.18.3", lambda v: {"gitops.flux.chartVersion": v}),
    "gitops.flux.interval": ("dev", "1m30s", lambda v: {"gitops.flux.interval": v}),
    "gitops.healthTimeout": ("dev", "15m", lambda v: {"gitops.healthTimeout": v}),
    "gitops.apps[0].name": ("dev", "web2", lambda v: {"gitops.apps": [{**APP, "name": v}]}),
    "gitops.apps[0].namespace": ("dev", "web2",
                                 lambda v: {"gitops.apps": [{**APP, "namespace": v}]}),
    "gitops.repoUrl": ("dev", "https://github.com/org/repo2.git", lambda v: {"gitops.repoUrl": v}),
}
# Look alike, but are not ASCII: Arabic-Indic, fullwidth and Mongolian digits; a Latin letter
# with an accent, the dotless i, the long s and the Kelvin sign (which lowercases to `k`).
FOREIGN_DIGITS = "\u0663\uff15\u1811"
FOREIGN_LETTERS = "\u00e9\u0131\u017f\u212a"


@st.composite
def damaged(draw, valid: str) -> str:
    kinds = ["newline", "crlf"]
    kinds += ["digit"] * any(char.isdigit() for char in valid)
    kinds += ["letter"] * any(char.isalpha() for char in valid)
    how = draw(st.sampled_from(kinds), label="damage")
    if how == "newline":
        return valid + "\n"
    if how == "crlf":
        return valid + "\r\n"
    kind = str.isdigit if how == "digit" else str.isalpha
    spots = [i for i, char in enumerate(valid) if kind(char)]
    i = draw(st.sampled_from(spots), label="position")
    other = draw(st.sampled_from(FOREIGN_DIGITS if how == "digit" else FOREIGN_LETTERS))
    return valid[:i] + other + valid[i + 1:]


@examples(80)
@given(data=st.data())
def test_patterns_match_the_whole_value_in_ascii(data):
    path = data.draw(st.sampled_from(sorted(KEYS)), label="path")
    stack, valid, place = KEYS[path]
    value = data.draw(damaged(valid), label="value")
    error = rejected(stack, place(value))
    assert path in paths_named(error), error.problems


def test_the_valid_values_are_accepted():
    """The damaged values above are refused for the damage, not for the base value."""
    overrides: dict[str, Any] = {}
    for path, (_, valid, place) in KEYS.items():
        if not path.startswith(("cluster.nodeGroups", "gitops.apps")):
            overrides.update(place(valid))
    overrides["cluster.nodeGroups"] = [{
        **GROUP, "name": "general2", "instanceTypes": ["m6i.2xlarge"], "labels": {"pool": "a"},
        "taints": [{"key": "example.com/dedicated", "value": "gpu", "effect": "NO_SCHEDULE"}]}]
    overrides["gitops.apps"] = [{**APP, "name": "web2", "namespace": "web2"}]
    overrides["cluster.adminRoleArns"] = [ARN]
    assert harness.run("dev", overrides).resources


COMPONENTS = Path(__file__).resolve().parents[2] / "components"
MATCHERS = {"compile", "match", "fullmatch", "search", "findall", "finditer", "sub", "split"}


def test_every_pattern_goes_through_the_one_mechanism():
    """No module of the program calls `re` itself, except the one that wraps it."""
    calls = []
    for path in sorted(COMPONENTS.rglob("*.py")):
        if path.name == "patterns.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "re" and node.attr in MATCHERS):
                calls.append(f"{path.relative_to(COMPONENTS)}:{node.lineno} re.{node.attr}")
    assert not calls, calls
