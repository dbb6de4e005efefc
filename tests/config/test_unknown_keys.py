"""A misspelled key is refused at every level, the top level of the `groundwork:` namespace
included, naming the misspelled path and suggesting the key that was meant."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.config.support import examples, rejected

APP = {"name": "podinfo", "path": "apps/podinfo", "namespace": "podinfo"}
GROUP = {"name": "general", "instanceTypes": ["t3.large"],
         "taints": [{"key": "dedicated", "value": "x", "effect": "NO_SCHEDULE"}]}
# Each level: its key path, the keys it accepts (written out here), and overrides that add
# `key: value` at that level.
LEVELS: dict[str, tuple[tuple[str, ...], Any]] = {
    "": (("environment", "protect", "network", "cluster", "gitops", "gitCredentials",
          "secretValues"), lambda k, v: {k: v}),
    "network": (("cidr", "azCount", "natGateways"), lambda k, v: {f"network.{k}": v}),
    "cluster": (("provider", "name", "version", "endpointPublicAccess", "endpointPrivateAccess",
                 "publicAccessCidrs", "allowPublicEndpointFromAnywhere", "logTypes",
                 "secretsEncryption", "adminRoleArns", "viewerRoleArns", "nodeGroups",
                 "context"), lambda k, v: {f"cluster.{k}": v}),
    "cluster.nodeGroups[0]": (("name", "instanceTypes", "capacityType", "minSize", "desiredSize",
                               "maxSize", "labels", "taints"),
                              lambda k, v: {"cluster.nodeGroups": [{**GROUP, k: v}]}),
    "cluster.nodeGroups[0].taints[0]": (
        ("key", "value", "effect"), lambda k, v: {"cluster.nodeGroups": [
            {**GROUP, "taints": [{**GROUP["taints"][0], k: v}]}]}),
    "gitops": (("engine", "repoUrl", "revision", "path", "sync", "addons", "dnsZoneIds", "apps",
                "healthTimeout", "argocd", "flux"), lambda k, v: {f"gitops.{k}": v}),
    "gitops.sync": (("automated", "prune", "selfHeal"), lambda k, v: {f"gitops.sync.{k}": v}),
    "gitops.apps[0]": (("name", "path", "namespace", "repoUrl", "revision", "wave"),
                       lambda k, v: {"gitops.apps": [{**APP, k: v}]}),
    "gitops.argocd": (("chartVersion", "ha", "values", "applicationSet"),
                      lambda k, v: {f"gitops.argocd.{k}": v}),
    "gitops.flux": (("chartVersion", "values", "interval", "resourceSet"),
                    lambda k, v: {f"gitops.flux.{k}": v}),
    "gitCredentials": (("username", "password", "sshPrivateKey", "knownHosts"),
                       lambda k, v: {"gitCredentials": {"username": "u", "password": "p", k: v}}),
    "secretValues": (("argocd", "flux"), lambda k, v: {"secretValues": {k: v}}),
}


@st.composite
def misspelled(draw, key: str, taken: tuple[str, ...]) -> str:
    """`key` with one typing mistake, which is no key of its level."""
    how = draw(st.sampled_from(["drop", "double", "swap", "case", "insert"]), label="mistake")
    i = draw(st.integers(0, len(key) - 1), label="position")
    if how == "drop" and len(key) > 1:
        typo = key[:i] + key[i + 1:]
    elif how == "double":
        typo = key[:i] + key[i] + key[i:]
    elif how == "swap" and i < len(key) - 1 and key[i] != key[i + 1]:
        typo = key[:i] + key[i + 1] + key[i] + key[i + 2:]
    elif how == "case":
        typo = key[:i] + key[i].swapcase() + key[i + 1:]
    else:
        typo = key[:i] + draw(st.sampled_from("aeirstxz")) + key[i:]
    if typo in taken or typo == key:
        typo = key + "s" if key + "s" not in taken else key + "x"
    return typo


@examples(60)
@given(data=st.data())
def test_unknown_keys_are_refused_with_a_suggestion(data):
    level = data.draw(st.sampled_from(sorted(LEVELS)), label="level")
    keys, place = LEVELS[level]
    key = data.draw(st.sampled_from(keys), label="key")
    typo = data.draw(misspelled(key, keys), label="typo")
    stack = data.draw(st.sampled_from(["dev", "prod"]), label="stack")
    error = rejected(stack, place(typo, {"x": 1} if level == "" else "x"))
    path = f"{level}.{typo}" if level else typo
    [problem] = [p for p in error.problems if p.startswith(f"groundwork:{path}: ")]
    assert "unknown key" in problem, problem
    suggested = re.findall(r"'([^']+)'", problem.split("did you mean", 1)[-1])
    assert "did you mean" in problem and key in suggested, problem
