"""Argo CD manifest builders (components/gitops/argocd_manifests.py): chart values, the root and
seed-app projects, sync policy, Applications and the ApplicationSet that renders the same
Applications."""

from __future__ import annotations

import json
import re

import pytest

from components.common import naming
from components.common.gitops_model import GitSource, SeedApp, SyncPolicy
from components.gitops import argocd_manifests as argocd
from components.gitops.bootstrap import Bootstrap
from components.gitops.bridge import ClusterMetadata

MAIN = GitSource("https://github.com/groundwork-dev/groundwork.git", "main", "gitops/argocd")
APPS = (
    SeedApp("podinfo", GitSource(MAIN.repo_url, "main", "gitops/apps/podinfo"), "podinfo", 1),
    SeedApp("ledger", GitSource("https://github.com/example/ledger.git", "v2.0.0", "deploy"),
            "ledger", 2),
    SeedApp("ledger-jobs", GitSource("https://github.com/example/ledger.git", "v2.0.0", "jobs"),
            "ledger", 2),
)
DEFAULT_SYNC = SyncPolicy()


def _bootstrap(apps=APPS, sync=DEFAULT_SYNC) -> Bootstrap:
    metadata = ClusterMetadata("dev", "c", GitSource(MAIN.repo_url, "main", "gitops/addons/"))
    return Bootstrap(MAIN, sync, apps, metadata)


def test_ha_values_follow_the_chart_layout_and_user_values_win():
    plain = argocd.helm_values(False, {})
    assert "redis-ha" not in plain and "replicas" not in plain.get("server", {})
    ha = argocd.helm_values(True, {"server": {"replicas": 3}, "dex": {"enabled": True}})
    assert ha["redis-ha"]["enabled"] is True
    # redis-ha renders no PodDisruptionBudget unless asked (redis-ha-pdb.yaml).
    assert ha["redis-ha"]["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert ha["redis-ha"]["haproxy"]["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert ha["controller"]["replicas"] == 1
    assert ha["server"] == {"replicas": 3, "pdb": {"enabled": True, "minAvailable": 1},
                            "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}}}
    assert ha["repoServer"]["replicas"] >= 2 and ha["applicationSet"]["replicas"] >= 2
    assert ha["dex"] == {"enabled": True}


def test_known_hosts_extend_the_charts_ssh_hosts():
    values = argocd.helm_values(False, {}, known_hosts="git.example.com ssh-ed25519 AAAA")
    assert values["configs"]["ssh"]["extraHosts"] == "git.example.com ssh-ed25519 AAAA"


def test_root_project_allows_the_root_repository_into_argocd_and_argo_kinds_only():
    project = argocd.root_project(_bootstrap())
    spec = project["spec"]
    assert naming.is_dns_subdomain(project["metadata"]["name"])
    assert spec["sourceRepos"] == [MAIN.repo_url]
    assert spec["destinations"] == [{"server": argocd.IN_CLUSTER, "namespace": argocd.NAMESPACE}]
    # No cluster-scoped kind at all, and no Secret beside Argo CD (the bridge, credentials).
    assert "clusterResourceWhitelist" not in spec
    assert {(k["group"], k["kind"]) for k in spec["namespaceResourceWhitelist"]} == {
        ("argoproj.io", "AppProject"), ("argoproj.io", "ApplicationSet"),
        ("argoproj.io", "Application")}
    assert "*" not in json.dumps(project)


def test_seed_project_allows_exactly_the_seed_apps_repos_and_namespaces_never_argocd():
    intruder = SeedApp("intruder", GitSource("https://github.com/example/intruder.git", "main",
                                             "deploy"), argocd.NAMESPACE)
    project = argocd.seed_project(_bootstrap(apps=(*APPS, intruder)))
    spec = project["spec"]
    assert naming.is_dns_subdomain(project["metadata"]["name"])
    assert project["metadata"]["name"] != argocd.ROOT_PROJECT
    assert spec["sourceRepos"] == [MAIN.repo_url, "https://github.com/example/ledger.git",
                                   "https://github.com/example/intruder.git"]
    namespaces = [d["namespace"] for d in spec["destinations"]]
    assert namespaces == ["podinfo", "ledger"] and argocd.NAMESPACE not in namespaces
    assert {d["server"] for d in spec["destinations"]} == {argocd.IN_CLUSTER}
    # CreateNamespace=true needs Namespace: exactly the apps' own, no other cluster-scoped kind.
    assert spec["clusterResourceWhitelist"] == [
        {"group": "", "kind": "Namespace", "name": ns} for ns in ("podinfo", "ledger")]
    assert "*" not in json.dumps(project)


def test_seed_project_reads_the_root_repository_only_when_an_app_does():
    apps = APPS[1:]
    assert argocd.seed_project(_bootstrap(apps=apps))["spec"]["sourceRepos"] == [
        "https://github.com/example/ledger.git"]


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
    assert root["spec"]["project"] == argocd.ROOT_PROJECT
    seed = argocd.seed_application(APPS[1], SyncPolicy())
    assert seed["metadata"]["annotations"] == {argocd.SYNC_WAVE: "2"}
    assert seed["spec"]["source"]["repoURL"] == "https://github.com/example/ledger.git"
    assert seed["spec"]["project"] == argocd.SEED_PROJECT


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
    for app, element in zip(APPS, elements, strict=True):
        rendered = _render(spec["template"], element)
        expected = argocd.seed_application(app, SyncPolicy())
        assert rendered == {"metadata": expected["metadata"], "spec": expected["spec"]}


def test_seed_manifests_choose_applications_or_one_application_set():
    bootstrap = _bootstrap()
    assert list(argocd.seed_manifests(bootstrap, False)) == [f"app-{a.name}" for a in APPS]
    assert list(argocd.seed_manifests(bootstrap, True)) == [argocd.SEED_APPS]
    assert argocd.seed_manifests(_bootstrap(apps=()), True) == {}
