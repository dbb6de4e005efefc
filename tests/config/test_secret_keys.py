"""Whatever `pulumi config set --secret` marks secret stays secret, or the run is refused.

The CLI marks a whole top-level key secret when any value under it was set with `--secret`, so
each example marks a random set of top-level keys secret and plants a canary in them, at any
depth where the key holds free-form values. Keys whose values name AWS resources, tags or the
resource graph are refused by name; the keys that hold secrets (Git credentials and secret Helm
values) carry the canary to the cluster as secrets and nowhere in plain text. The render's leak
guard sees a secret config value wherever it would be written.
"""

from __future__ import annotations

from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from components.config import ConfigError
from tests.config.support import canaries, examples, plain_leaks
from tests.conftest import ENGINES, STACKS
from tools import harness
from tools.harness import Resource
from tools.render import command as render
from tools.render.manifests import secret_values

# What the CLI can mark secret in the `groundwork:` namespace, and which of it the program may
# not take as a secret (its values name things Pulumi and AWS record in plain text).
TOP_LEVEL = ("environment", "protect", "network", "cluster", "gitops", "fleet", "gitCredentials",
             "secretValues")
NEVER_SECRET = frozenset({"environment", "protect", "network", "cluster", "gitops", "fleet"})
HELM_KEYS = st.sampled_from(["server", "configs", "secret", "extraArgs", "global", "a.b", "x"])


@st.composite
def nested(draw, leaf: Any) -> Any:
    """`leaf` at a random depth of Helm-values-like maps and lists."""
    value = leaf
    for _ in range(draw(st.integers(1, 4))):
        value = draw(st.sampled_from([{draw(HELM_KEYS): value}, [value]]))
    return value if isinstance(value, dict) else {"values": value}


@st.composite
def secret_cases(draw) -> tuple[str, dict[str, Any], set[str], str]:
    stack = draw(st.sampled_from(STACKS), label="stack")
    engine = draw(st.sampled_from(ENGINES), label="engine")
    canary = draw(canaries, label="canary")
    marked = draw(st.sets(st.sampled_from(TOP_LEVEL), max_size=3), label="marked secret")
    overrides: dict[str, Any] = {"gitops.engine": engine}
    if "gitCredentials" in marked or draw(st.booleans(), label="credentials"):
        overrides["gitops.repoUrl"] = "https://github.com/example/private.git"
        overrides["gitCredentials"] = {"username": f"{canary}-user",
                                       "password": f"{canary}-token"}
    if "secretValues" in marked or draw(st.booleans(), label="secret values"):
        overrides["secretValues"] = {engine: draw(nested(canary), label="helm values")}
        # Git cannot carry secret chart values (the engine's own definition there is built
        # from the bridge): secret values come with ownership pulumi.
        overrides["gitops.ownership"] = "pulumi"
    # A canary where each key has room for one; network and protect are marked only.
    if "environment" in marked:
        overrides["environment"] = canary[:32]
    if "cluster" in marked:
        overrides["cluster.context" if stack == "local" else "cluster.name"] = canary
    if "gitops" in marked:
        overrides["gitops.revision"] = canary
    if "fleet" in marked:
        overrides["fleet.hub"] = f"acme/groundwork/{canary}"
    return stack, overrides, marked, canary


@examples(30)
@given(case=secret_cases())
def test_secret_config_stays_secret_or_is_refused(case):
    stack, overrides, marked, canary = case
    refused = marked & NEVER_SECRET
    try:
        run = harness.run(stack, overrides, secret=marked)
    except ConfigError as error:
        event("refused")
        assert refused, f"refused without a key that may not be secret: {error}"
        assert error.partial_run.resources == []
        assert canary not in str(error)
        assert {key for key in refused if any(
            problem.startswith(f"groundwork:{key}: must not be set with --secret")
            for problem in error.problems)} == refused, error.problems
        return
    event("accepted")
    assert not refused, f"{sorted(refused)} marked secret, yet the program ran"
    secret_strings = [text for key in marked
                      for text in _strings(run.config.get(f"groundwork:{key}")) if len(text) >= 4]
    assert not plain_leaks(run, [canary, *secret_strings])
    if "secretValues" in overrides:
        # The secret Helm values do reach the engine's release, as secrets.
        release = next(r for r in run.resources if r.type == "kubernetes:helm.sh/v3:Release")
        assert any(path.startswith("values") for path in release.secret_paths)
        assert canary in str(release.inputs)


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


@examples(12)
@given(canary=canaries, helm=st.data(), place=st.sampled_from(["input", "key", "nested"]))
def test_the_render_guard_sees_a_config_secret_wherever_it_leaks(canary, helm, place):
    """A config secret the program passed on in plain text is still a secret to the guard, so the
    render refuses to write it (before, a value found in a plain input counted as public)."""
    values = helm.draw(nested(canary))
    run = harness.run("dev", {"secretValues": {"argocd": values}, "gitops.ownership": "pulumi"},
                      secret={"secretValues"})
    leaked = {"input": {"data": {"note": canary}}, "key": {"data": {"note": f"x-{canary}-y"}},
              "nested": {"spec": {"a": [{"b": canary}]}}}[place]
    # A program bug, simulated: the value arrives in a plain input of some resource.
    run.resources.append(Resource(urn="urn:pulumi:dev::groundwork::kubernetes:core/v1:ConfigMap::"
                                      "leak", id="leak", type="kubernetes:core/v1:ConfigMap",
                                  name="leak", custom=True, parent="", dependencies=[],
                                  protect=False, provider="", ignore_changes=[],
                                  inputs=leaked, secret_paths=[]))
    secrets = secret_values(run, render.secret_config_keys(run))
    assert canary in secrets
    text = f"data:\n  note: {leaked}\n"
    try:
        render.assert_no_secrets({"manifests/010-configmap-leak.yaml": text}, secrets)
    except render.SecretLeak as leak:
        assert canary not in str(leak)
    else:
        raise AssertionError("the guard let a secret config value through")
