"""A ConfigError names the key and the rule, and never echoes a credential: neither a URL's
userinfo (any scheme, any letter case, at any key, seed-app repoUrls included) nor a value the
CLI marked secret, whatever is wrong with it."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.config.support import canaries, examples, paths_named, rejected
from tests.conftest import STACKS

SCHEMES = ["http", "https", "ssh", "HTTP", "HTTPS", "SSH", "Https", "sSh", "git+ssh", "ftp"]
# Key paths whose values are strings, each with an app or node group around it where needed.
STRING_KEYS = ["gitops.repoUrl", "gitops.apps[0].repoUrl", "gitops.revision",
               "cluster.name", "environment", "network.cidr", "gitops.dnsZoneIds[0]",
               "cluster.adminRoleArns[0]", "cluster.nodeGroups[0].instanceTypes[0]",
               "gitops.flux.interval"]
APP = {"name": "podinfo", "path": "apps/podinfo", "namespace": "podinfo"}
GROUP = {"name": "general", "instanceTypes": ["t3.large"]}


@st.composite
def credential_urls(draw, canary: str) -> str:
    user, password = f"{canary}u", f"{canary}p"
    if draw(st.booleans(), label="scp-like"):
        return f"{user}:{password}@github.com:org/repo.git"
    scheme = draw(st.sampled_from(SCHEMES), label="scheme")
    host = draw(st.sampled_from(["github.com", "git.example.com:8443", "10.0.0.1"]))
    return f"{scheme}://{user}:{password}@{host}/org/repo.git"


def _placed(path: str, value: Any) -> dict[str, Any]:
    """Overrides that put `value` at `path`."""
    if path.startswith("gitops.apps[0]."):
        return {"gitops.apps": [{**APP, path.rsplit(".", 1)[1]: value}]}
    if path.startswith("cluster.nodeGroups[0]."):
        return {"cluster.nodeGroups": [{**GROUP, "instanceTypes": [value]}]}
    if path.endswith("[0]"):
        return {path[:-3]: [value]}
    return {path: value}


@examples(60)
@given(data=st.data())
def test_errors_never_echo_credentials_in_urls(data):
    canary = data.draw(canaries, label="canary")
    url = data.draw(credential_urls(canary), label="url")
    path = data.draw(st.sampled_from(STRING_KEYS), label="path")
    error = rejected(data.draw(st.sampled_from(STACKS), label="stack"), _placed(path, url))
    assert path in paths_named(error), error.problems
    assert canary not in str(error), str(error)


# Secret keys with a value that fails validation: the error must name the key, not the value.
SECRET_MISTAKES = [
    ("network", "network.cidr", lambda canary: canary),
    ("cluster", "cluster.version", lambda canary: canary),
    ("cluster", "cluster.nodeGroups", lambda canary: [{"name": canary.upper()}]),
    ("gitops", "gitops.flux.interval", lambda canary: f"{canary} minutes"),
    ("gitops", "gitops.apps", lambda canary: [{**APP, "name": f"{canary}_x"}]),
    ("environment", "environment", lambda canary: f"{canary}_X"),
    ("gitCredentials", "gitCredentials", lambda canary: {"username": "u", "password": [canary]}),
    ("gitCredentials", "gitCredentials", lambda canary: canary),
    ("secretValues", "secretValues", lambda canary: canary),
    ("secretValues", "secretValues", lambda canary: {"argocd": [canary]}),
]


@examples(30)
@given(mistake=st.sampled_from(SECRET_MISTAKES), canary=canaries,
       stack=st.sampled_from(["dev", "prod"]))
def test_errors_never_echo_a_secret_value(mistake, canary, stack):
    key, path, value = mistake
    error = rejected(stack, {path: value(canary)}, secret={key})
    assert any(named == key or named.startswith((f"{key}.", f"{key}["))
               for named in paths_named(error)), error.problems
    assert canary not in str(error) and canary.upper() not in str(error), str(error)
