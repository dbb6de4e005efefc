"""Flux manifest builders (components/gitops/flux_manifests.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from components.common import naming
from components.common.gitops_model import GitSource, SeedApp, SyncPolicy
from components.gitops import argocd_manifests as argocd
from components.gitops import flux_manifests as flux
from components.gitops.bootstrap import Bootstrap
from components.gitops.bridge import AddonBinding, ClusterMetadata

MAIN = GitSource("https://github.com/groundwork-dev/groundwork.git", "main", "gitops/flux")


def _app(name: str, wave: int, repo: str = MAIN.repo_url, revision: str = "main",
         namespace: str = "apps") -> SeedApp:
    return SeedApp(name, GitSource(repo, revision, f"deploy/{name}"), namespace, wave)


@pytest.mark.parametrize("revision,ref", [
    ("main", {"branch": "main"}),
    ("release/1.x", {"branch": "release/1.x"}),
    ("v1.2.3", {"tag": "v1.2.3"}),
    ("1.2.3-rc.1", {"tag": "1.2.3-rc.1"}),
    ("v1.2", {"branch": "v1.2"}),
    ("0123456789abcdef0123456789abcdef01234567",
     {"commit": "0123456789abcdef0123456789abcdef01234567"}),
    ("0123456789abcdef", {"branch": "0123456789abcdef"}),
])
def test_git_ref(revision, ref):
    assert flux.git_ref(revision) == ref


@pytest.mark.parametrize("url,expected", [
    ("git@github.com:org/repo.git", "ssh://git@github.com/org/repo.git"),
    ("ssh://git@github.com/org/repo.git", "ssh://git@github.com/org/repo.git"),
    ("https://github.com/org/repo.git", "https://github.com/org/repo.git"),
])
def test_git_url_turns_scp_syntax_into_a_url(url, expected):
    assert flux.git_url(url) == expected


def test_each_app_waits_for_the_gate_of_the_wave_before_it():
    apps = [_app("a", 0), _app("c", 3), _app("b", 0), _app("d", 5), _app("e", 5), _app("z", -2)]
    assert flux.wave_dependencies(apps) == {
        "z": [], "a": ["wave-minus-2.gate"], "b": ["wave-minus-2.gate"], "c": ["wave-0.gate"],
        "d": ["wave-3.gate"], "e": ["wave-3.gate"]}
    # One gate per wave that has a wave after it, waiting for every app of its wave.
    assert flux.wave_gates(apps) == {-2: ["z"], 0: ["a", "b"], 3: ["c"]}
    assert flux.wave_gates([_app("a", 1), _app("b", 1)]) == {}
    assert flux.wave_dependencies([_app("a", 1), _app("b", 1)]) == {"a": [], "b": []}


def test_gate_names_are_object_names_no_seed_app_can_take():
    for wave in (0, 7, -3, 2**31 - 1, -(2**31)):
        gate = flux.wave_gate_name(wave)
        assert naming.is_dns_subdomain(gate) and not naming.is_dns_label(gate), gate
    assert len({flux.wave_gate_name(w) for w in range(-50, 50)}) == 100


def test_a_gate_applies_nothing_and_waits_for_its_wave():
    bootstrap = Bootstrap(MAIN, SyncPolicy(automated=False), (), ClusterMetadata("dev", "c", MAIN))
    gate = flux.wave_gate(2, ["a", "b"], bootstrap, "5m")
    assert gate["metadata"] == {"name": "wave-2.gate", "namespace": flux.NAMESPACE}
    spec = gate["spec"]
    assert spec["dependsOn"] == [{"name": "a"}, {"name": "b"}]
    assert spec["path"] == f"./{flux.WAVE_GATE_PATH}"
    assert spec["sourceRef"] == {"kind": "GitRepository", "name": flux.ROOT}
    # Even in manual mode: it applies nothing from Git and only passes readiness on.
    assert "suspend" not in spec and spec["deletionPolicy"] == "WaitForTermination"


class _CountingApp:
    """A seed app that counts how often its wave is read."""

    reads = 0

    def __init__(self, name: str, wave: int) -> None:
        self.name, self._wave = name, wave

    @property
    def wave(self) -> int:
        _CountingApp.reads += 1
        return self._wave


def test_wave_builders_read_each_app_a_bounded_number_of_times():
    """Linear in the apps: the quadratic builder read every app's wave once per app."""
    apps = [_CountingApp(f"app-{i}", i % 4) for i in range(2000)]
    _CountingApp.reads = 0
    dependencies = flux.wave_dependencies(apps)
    gates = flux.wave_gates(apps)
    assert _CountingApp.reads <= 4 * len(apps)
    entries = sum(map(len, dependencies.values())) + sum(map(len, gates.values()))
    assert entries == 1500 + 1500


def test_sync_policy_maps_onto_kustomizations():
    manual = flux.kustomization("x", "p", "src", SyncPolicy(automated=False, prune=False), "5m",
                                timedelta(minutes=10))
    automatic = flux.kustomization("x", "p", "src", SyncPolicy(), "5m", timedelta(minutes=15))
    assert manual["spec"]["prune"] is False and automatic["spec"]["prune"] is True
    # Suspension lives in a separate patch, so the Kustomization itself is never suspended when
    # it is deleted, and deletion waits for what it applied whatever prune says.
    assert "suspend" not in manual["spec"] and "suspend" not in automatic["spec"]
    assert flux.suspension(manual) == {
        "apiVersion": flux.KUSTOMIZE_API, "kind": "Kustomization",
        "metadata": {"name": "x", "namespace": flux.NAMESPACE}, "spec": {"suspend": True}}
    assert {manual["spec"]["deletionPolicy"], automatic["spec"]["deletionPolicy"]} == {
        "WaitForTermination"}
    assert (manual["spec"]["timeout"], automatic["spec"]["timeout"]) == ("10m", "15m")
    assert automatic["spec"]["path"] == "./p" and automatic["spec"]["wait"] is True


def test_cluster_vars_hold_the_same_keys_as_the_argo_cd_cluster_secret():
    metadata = ClusterMetadata(
        "prod", "groundwork-prod", GitSource(MAIN.repo_url, "v1.0.0", "gitops/addons/"),
        "eu-west-1", "123456789012", "vpc-1",
        (AddonBinding("external-dns", "external-dns", "external-dns", "arn:aws:iam::1:role/x"),
         AddonBinding("metrics-server", "kube-system", "metrics-server")))
    data = flux.cluster_vars(metadata)["data"]
    secret = argocd.cluster_secret(metadata)["metadata"]
    labels = {k: v for k, v in secret["labels"].items() if k != argocd.SECRET_TYPE}
    assert data == {**labels, **secret["annotations"]}
    assert data["external_dns_iam_role_arn"] == "arn:aws:iam::1:role/x"
    assert "metrics_server_iam_role_arn" not in data


def test_apps_read_the_root_source_unless_they_name_another():
    bootstrap = Bootstrap(MAIN, SyncPolicy(), (), ClusterMetadata("dev", "c", MAIN))
    assert flux.app_source(_app("same", 0), bootstrap) == flux.ROOT
    assert flux.app_source(_app("pinned", 0, revision="v2.0.0"), bootstrap) == "app-pinned"
    assert flux.app_source(_app("other", 0, repo="https://github.com/o/r.git"), bootstrap) == (
        "app-other")
