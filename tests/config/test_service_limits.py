"""Values AWS or Kubernetes would refuse at `pulumi up` fail before any resource, at their key
path: taints per node group, the EKS lengths of taint and label keys and values, the size of an
add-on's inline IAM policy (which grows with dnsZoneIds), and Git revisions Flux cannot resolve.
Everything within the limits runs, and what it registers is within them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from components.aws.addon_policies import POLICIES, PolicyScope
from components.config import ConfigError
from tests.config.support import examples, paths_named
from tools import harness

# The services' limits, written out here from their documentation rather than taken from the
# program, so a wrong entry in its table cannot hide an overflow.
EKS_TAINTS_PER_NODE_GROUP = 50  # EKS API Nodegroup.taints
EKS_TAINT_KEY, EKS_TAINT_VALUE = 63, 63  # EKS API Taint: key 1-63, value 0-63
EKS_LABEL_KEY, EKS_LABEL_VALUE = 63, 63  # EKS API labels: key 1-63, value 1-63
IAM_INLINE_ROLE_POLICY = 10_240  # IAM quotas: inline role policies, whitespace not counted
GROUP = {"name": "general", "instanceTypes": ["t3.large"]}
HEX = "0123456789abcdef"


def _taints(count: int, key_length: int, value_length: int) -> list[dict]:
    keys = [f"example.com/t{i}".ljust(key_length, "k") for i in range(count)]
    return [{"key": key, "value": "v" * value_length, "effect": "NO_SCHEDULE"} for key in keys]


def _git_revision_ok(revision: str) -> bool:
    """git check-ref-format for `refs/heads/<revision>` or a tag, plus what Flux reads as a ref:
    not HEAD and not a full ref name, which Flux would look up as a branch of that name."""
    if revision in ("", "@", "HEAD") or revision.startswith(("refs/", "-")):
        return False
    if re.search(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//", revision):
        return False
    if revision.startswith("/") or revision.endswith(("/", ".", ".lock")):
        return False
    return not any(part.startswith(".") or part.endswith(".lock")
                   for part in revision.split("/"))


REVISIONS = ["main", "release/1.x", "v1.2.3", "v1.2.3-rc.1", "HEAD", "refs/heads/main",
             "refs/tags/v1.0.0", "a..b", "x.lock", "-x", "feature/", "/main", "@", "a@{1}",
             "team/.hidden", "tag~1", "what?", "a:b", "main.", "HEADS", HEX * 2 + HEX[:8],
             "a" * 40]


@st.composite
def limit_cases(draw):
    kind = draw(st.sampled_from(["taints", "taint-key", "taint-value", "label-key",
                                 "label-value", "dns-zones", "revision"]), label="limit")
    if kind == "taints":
        count = draw(st.integers(EKS_TAINTS_PER_NODE_GROUP - 2, EKS_TAINTS_PER_NODE_GROUP + 3))
        group = {**GROUP, "taints": _taints(count, 20, 3)}
        return kind, {"cluster.nodeGroups": [group]}, "cluster.nodeGroups[0].taints", \
            count <= EKS_TAINTS_PER_NODE_GROUP
    if kind in ("taint-key", "taint-value"):
        length = draw(st.integers(58, 70), label="length")
        key_length, value_length = (length, 3) if kind == "taint-key" else (20, length)
        fits = (key_length <= EKS_TAINT_KEY if kind == "taint-key"
                else value_length <= EKS_TAINT_VALUE)
        group = {**GROUP, "taints": _taints(1, key_length, value_length)}
        field = "key" if kind == "taint-key" else "value"
        return kind, {"cluster.nodeGroups": [group]}, \
            f"cluster.nodeGroups[0].taints[0].{field}", fits
    if kind == "label-key":
        length = draw(st.integers(58, 70), label="length")
        key = "example.com/".ljust(length, "k")
        group = {**GROUP, "labels": {key: "v"}}
        return kind, {"cluster.nodeGroups": [group]}, "cluster.nodeGroups[0].labels", \
            length <= EKS_LABEL_KEY
    if kind == "label-value":
        length = draw(st.sampled_from([0, 1, 62, 63]), label="length")
        group = {**GROUP, "labels": {"pool": "v" * length}}
        return kind, {"cluster.nodeGroups": [group]}, "cluster.nodeGroups[0].labels.pool", \
            length >= 1
    if kind == "dns-zones":
        count = draw(st.one_of(st.integers(1, 4), st.integers(140, 240)), label="zones")
        length = draw(st.integers(14, 32), label="zone id length")
        zones = [f"Z{i:0{length - 1}d}" for i in range(count)]
        addons = draw(st.sampled_from([["external-dns"], ["cert-manager"],
                                       ["external-dns", "cert-manager"]]))
        scope = PolicyScope("aws", "eu-west-1", harness.ACCOUNT_ID, "groundwork-dev", tuple(zones))
        fits = all(len(json.dumps(POLICIES[addon](scope), separators=(",", ":")))
                   <= IAM_INLINE_ROLE_POLICY for addon in addons)
        return kind, {"gitops.addons": addons, "gitops.dnsZoneIds": zones}, \
            "gitops.dnsZoneIds", fits
    revision = draw(st.sampled_from(REVISIONS), label="revision")
    where = draw(st.sampled_from(["gitops.revision", "gitops.apps[0].revision"]))
    overrides = ({where: revision} if where == "gitops.revision" else {"gitops.apps": [
        {"name": "web", "path": "apps/web", "namespace": "web", "revision": revision}]})
    return kind, {"gitops.engine": draw(st.sampled_from(["argocd", "flux"])), **overrides}, \
        where, _git_revision_ok(revision)


def _policy_sizes(run: harness.Run) -> list[int]:
    return [len(json.dumps(json.loads(r.inputs["policy"]), separators=(",", ":")))
            for r in run.by_type("aws:iam/rolePolicy:RolePolicy")]


@examples(40)
@given(case=limit_cases())
def test_service_limits_fail_before_any_resource(case):
    kind, overrides, path, fits = case
    try:
        run = harness.run("dev", overrides)
    except ConfigError as error:
        event(f"{kind}: refused")
        assert not fits, f"{kind} within the limit refused: {error.problems}"
        assert error.partial_run.resources == []
        assert path in paths_named(error), error.problems
        return
    event(f"{kind}: accepted")
    assert fits, f"{kind} beyond the limit accepted"
    for group in run.by_type("aws:eks/nodeGroup:NodeGroup"):
        taints = group.inputs.get("taints") or []
        assert len(taints) <= EKS_TAINTS_PER_NODE_GROUP
        assert all(len(t["key"]) <= EKS_TAINT_KEY and len(t.get("value", "")) <= EKS_TAINT_VALUE
                   for t in taints)
        assert all(len(key) <= EKS_LABEL_KEY and 1 <= len(value) <= EKS_LABEL_VALUE
                   for key, value in (group.inputs.get("labels") or {}).items())
    assert all(size <= IAM_INLINE_ROLE_POLICY for size in _policy_sizes(run)), _policy_sizes(run)


def test_the_policy_limit_is_reached_by_zones_alone():
    """The dns-zones cases above cross the limit: a few zones fit, 240 long ones do not."""
    few = harness.run("dev", {"gitops.dnsZoneIds": ["Z" + "1" * 31]})
    assert max(_policy_sizes(few)) < IAM_INLINE_ROLE_POLICY
    zones = [f"Z{i:031d}" for i in range(240)]
    try:
        harness.run("dev", {"gitops.dnsZoneIds": zones})
    except ConfigError as error:
        assert "gitops.dnsZoneIds" in paths_named(error)
    else:
        raise AssertionError("240 zones fit an inline policy")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_revision_oracle_agrees_with_git():
    """The test's own reading of git's ref rules agrees with git on the cases above (HEAD, its
    shorthand @ and full ref names aside: git takes them as branch names, Flux does not)."""
    for revision in REVISIONS:
        if revision in ("HEAD", "@") or revision.startswith("refs/"):
            continue
        checked = subprocess.run(["git", "check-ref-format", "--branch", revision],
                                 capture_output=True, check=False)
        assert (checked.returncode == 0) == _git_revision_ok(revision), revision
