"""`groundwork:fleet`: every mistake is a ConfigError naming its key, raised before anything is
registered, and standalone (the default) changes nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.config import ConfigError
from tests.config.support import canaries, examples, paths_named, rejected
from tools import harness

HUB = "acme/groundwork/fleet-hub"
REGISTRAR = "arn:aws:iam::123456789012:role/fleet-spoke-deployer"

BAD = [
    ("unknown-role", "dev", {"fleet.role": "leaf"}, "fleet.role"),
    ("unknown-key", "dev", {"fleet.hubs": [HUB]}, "fleet.hubs"),
    ("spoke-without-hub", "dev", {"fleet.role": "spoke"}, "fleet.hub"),
    ("hub-not-fully-qualified", "dev", {"fleet.role": "spoke", "fleet.hub": "fleet-hub"},
     "fleet.hub"),
    ("hub-with-spaces", "dev", {"fleet.role": "spoke", "fleet.hub": "acme/ground work/hub"},
     "fleet.hub"),
    ("hub-named-by-a-standalone", "dev", {"fleet.hub": HUB}, "fleet.hub"),
    ("hub-named-by-a-hub", "dev", {"fleet.role": "hub", "fleet.hub": HUB}, "fleet.hub"),
    ("registrars-of-a-spoke", "dev",
     {"fleet.role": "spoke", "fleet.hub": HUB, "fleet.registrars": [REGISTRAR]},
     "fleet.registrars"),
    ("registrars-of-a-standalone", "dev", {"fleet.registrars": [REGISTRAR]}, "fleet.registrars"),
    ("registrar-not-a-role", "dev",
     {"fleet.role": "hub", "fleet.registrars": ["arn:aws:iam::123456789012:user/bob"]},
     "fleet.registrars[0]"),
    ("registrar-other-partition", "dev",
     {"fleet.role": "hub", "fleet.registrars": ["arn:aws-cn:iam::123456789012:role/x"]},
     "fleet.registrars[0]"),
    ("registrar-twice", "dev",
     {"fleet.role": "hub", "fleet.registrars": [REGISTRAR, REGISTRAR]}, "fleet.registrars[1]"),
    ("registrar-also-admin", "dev",
     {"fleet.role": "hub", "fleet.registrars": [REGISTRAR],
      "cluster.adminRoleArns": [REGISTRAR]}, "fleet.registrars[0]"),
    ("hub-without-engine", "dev", {"fleet.role": "hub", "gitops.engine": "none"}, "fleet.role"),
    ("hub-on-existing-cluster", "local", {"fleet.role": "hub"}, "fleet.role"),
    ("spoke-on-existing-cluster", "local", {"fleet.role": "spoke", "fleet.hub": HUB},
     "fleet.role"),
    ("fleet-is-a-list", "dev", {"fleet": ["hub"]}, "fleet"),
    ("labels-of-a-hub", "dev", {"fleet.role": "hub", "fleet.labels": {"team": "a"}},
     "fleet.labels"),
    ("label-named-like-the-bridge", "dev",
     {"fleet.role": "spoke", "fleet.hub": HUB, "fleet.labels": {"environment": "x"}},
     "fleet.labels"),
    ("label-enabling-an-add-on", "dev",
     {"fleet.role": "spoke", "fleet.hub": HUB, "fleet.labels": {"enable_x": "true"}},
     "fleet.labels"),
    ("label-value-invalid", "dev",
     {"fleet.role": "spoke", "fleet.hub": HUB, "fleet.labels": {"team": "a b"}},
     "fleet.labels.team"),
    ("karpenter-on-a-spoke", "dev",
     {"fleet.role": "spoke", "fleet.hub": HUB, "cluster.compute": "karpenter",
      "gitops.addons": ["metrics-server"]}, "cluster.compute"),
    ("app-for-spokes-of-a-standalone", "dev",
     {"gitops.apps": [{"name": "web", "path": "p", "namespace": "web", "clusters": "spokes"}]},
     "gitops.apps[0].clusters"),
    ("app-clusters-unknown", "dev",
     {"fleet.role": "hub", "gitops.apps": [{"name": "web", "path": "p", "namespace": "web",
                                           "clusters": "all"}]},
     "gitops.apps[0].clusters"),
    ("app-for-spokes-in-a-wave", "dev",
     {"fleet.role": "hub", "gitops.apps": [{"name": "web", "path": "p", "namespace": "web",
                                           "clusters": {"team": "a"}, "wave": 1}]},
     "gitops.apps[0].wave"),
]


@pytest.mark.parametrize("stack,overrides,path", [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_bad_fleet_config_names_its_key_and_registers_nothing(stack, overrides, path):
    error = rejected(stack, overrides)
    assert path in paths_named(error), error.problems


def test_the_creator_as_registrar_is_refused_before_the_cluster_exists():
    """EKS already grants the identity creating the cluster admin; a registrar access entry for
    it would fail the deployment."""
    creator = "arn:aws:iam::123456789012:role/deployer"
    with pytest.raises(ConfigError) as caught:
        harness.run("dev", {"fleet.role": "hub", "fleet.registrars": [creator]},
                    caller_arn="arn:aws:sts::123456789012:assumed-role/deployer/ci")
    assert paths_named(caught.value) == {"fleet.registrars[0]"}


def test_standalone_is_the_default_and_the_settings_say_so():
    settings = harness.run("dev").settings
    assert (settings.fleet.role, settings.fleet.hub, settings.fleet.registrars) == (
        "standalone", "", ())


@examples(20)
@given(canary=canaries, role=st.sampled_from(["standalone", "hub", "spoke"]))
def test_a_secret_fleet_is_refused_without_echoing_it(canary, role):
    """`fleet` names the hub's stack and IAM roles, which Pulumi records in plain text."""
    overrides = {"fleet.role": role, "fleet.hub": f"acme/groundwork/{canary}"}
    error = rejected("dev", overrides, secret=["fleet"])
    assert "fleet" in paths_named(error)
    assert canary not in str(error)
