"""components/argocd.py builders: chart values, the platform project, sync policy, Applications
and the ApplicationSet that renders the same Applications."""

from __future__ import annotations

import json
import re

import pytest

from components import argocd
from components.config import ArgoCdSettings
from components.model import Bootstrap, ClusterMetadata, GitSource, SeedApp, SyncPolicy

MAIN = GitSource("https://github.com/groundwork-dev/groundwork.git", "main", "gitops/argocd")
APPS = (
    SeedApp("podinfo", GitSource(MAIN.repo_url, "main", "gitops/apps/podinfo"), "podinfo", 1),
    SeedApp("ledger", GitSource("https://github.com/example/ledger.git", "v2.0.0", "deploy"),
            "ledger", 2),
    SeedApp("ledger-jobs", GitSource("https://github.com/example/ledger.git", "v2.0.0", "jobs"),
            "ledger", 2),
)


def _bootstrap(apps=APPS, sync=SyncPolicy()) -> Bootstrap:
    metadata = ClusterMetadata("dev", "c", GitSource(MAIN.repo_url, "main", "gitops/addons/"))
    return Bootstrap(MAIN, sync, apps, metadata)


def _settings(ha=False, values=None) -> ArgoCdSettings:
    return ArgoCdSettings("10.1.1", ha, values or {}, False)


def test_ha_values_follow_the_chart_layout_and_user_values_win():
    plain = argocd.helm_values(_settings())
    assert "redis-ha" not in plain and "replicas" not in plain.get("server", {})
    ha = argocd.helm_values(_settings(ha=True, values={"server": {"replicas": 3},
                                                       "dex": {"enabled": True}}))
    assert ha["redis-ha"] == {"enabled": True}
    assert ha["controller"]["replicas"] == 1
    assert ha["server"] == {"replicas": 3, "pdb": {"enabled": True, "minAvailable": 1}}
    assert ha["repoServer"]["replicas"] >= 2 and ha["applicationSet"]["replicas"] >= 2
    assert ha["dex"] == {"enabled": True}


def test_known_hosts_extend_the_charts_ssh_hosts():
    values = argocd.helm_values(_settings(), known_hosts="git.example.com ssh-ed25519 AAAA")
    assert values["configs"]["ssh"]["extraHosts"] == "git.example.com ssh-ed25519 AAAA"


def test_project_allows_exactly_the_configured_repos_and_namespaces():
    project = argocd.project(_bootstrap())["spec"]
    assert project["sourceRepos"] == [MAIN.repo_url, "https://github.com/example/ledger.git"]
    assert [d["namespace"] for d in project["destinations"]] == ["argocd", "podinfo", "ledger"]
    assert {d["server"] for d in project["destinations"]} == {argocd.IN_CLUSTER}
    assert project["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
    assert "*" not in json.dumps(project)


@pytest.mark.parametrize("automated,prune,self_heal", [(True, True, True), (True, False, True),
                                                       (False, True, False)])
def test_sync_policy(automated, prune, self_heal):
    policy = argocd.sync_policy(SyncPolicy(automated, prune, self_heal), create_namespace=True)
    assert ("automated" in policy) == automated
    if automated:
        assert policy["automated"] == {"prune": prune, "selfHeal": self_heal}
    assert {"ServerSideApply=true", "CreateNamespace=true"} == set(policy["syncOptions"])
    assert "CreateNamespace=true" not in argocd.sync_policy(
        SyncPolicy(), create_namespace=False)["syncOptions"]


def test_root_and_seed_applications():
    root = argocd.root_application(_bootstrap())
    assert root["metadata"]["finalizers"] == [argocd.RESOURCES_FINALIZER]
    assert root["spec"]["source"] == {"repoURL": MAIN.repo_url, "targetRevision": "main",
                                      "path": "gitops/argocd"}
    assert root["spec"]["destination"]["namespace"] == argocd.NAMESPACE
    seed = argocd.seed_application(APPS[1], SyncPolicy())
    assert seed["metadata"]["annotations"] == {argocd.SYNC_WAVE: "2"}
    assert seed["spec"]["source"]["repoURL"] == "https://github.com/example/ledger.git"
    assert seed["spec"]["project"] == argocd.PROJECT


def _render(template, element: dict) -> object:
    """goTemplate substitution of `{{.key}}` the way the list generator does it."""
    text = json.dumps(template)
    return json.loads(re.sub(r"\{\{\.(\w+)\}\}", lambda m: element[m[1]], text))


def test_application_set_renders_the_same_applications():
    appset = argocd.application_set(APPS, SyncPolicy())
    spec = appset["spec"]
    assert spec["goTemplate"] is True
    elements = spec["generators"][0]["list"]["elements"]
    assert len(elements) == len(APPS)
    for app, element in zip(APPS, elements):
        rendered = _render(spec["template"], element)
        expected = argocd.seed_application(app, SyncPolicy())
        assert rendered == {"metadata": expected["metadata"], "spec": expected["spec"]}


def test_seed_manifests_choose_applications_or_one_application_set():
    bootstrap = _bootstrap()
    assert list(argocd.seed_manifests(bootstrap, False)) == [f"app-{a.name}" for a in APPS]
    assert list(argocd.seed_manifests(bootstrap, True)) == [argocd.SEED_APPS]
    assert argocd.seed_manifests(_bootstrap(apps=()), True) == {}
