"""Pure builders shared across the layers: the deep merge, the bridge, the bootstrap model from
component args, the kubeconfig, IAM trust documents and the tree walker of the tools."""

from __future__ import annotations

import json

import yaml

from components.aws.iam import assume_role_policy
from components.aws.kubeconfig import kubeconfig
from components.aws.workload_identity import irsa_trust_policy
from components.common.deep_merge import merge
from components.common.gitops_model import GitSource
from components.gitops.bootstrap import bootstrap
from components.gitops.bridge import ADDONS_BASEPATH, cluster_metadata
from tools.harness.tree import DESCEND, rebuild, spell, under, walk

REPO = "https://github.com/groundwork-dev/groundwork.git"


def test_merge_merges_maps_and_replaces_lists_without_changing_its_inputs():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    top = {"a": {"c": [3], "e": {"f": 1}}, "d": None}
    merged = merge(base, top)
    assert merged == {"a": {"b": 1, "c": [3], "e": {"f": 1}}, "d": None}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1} and top["a"] == {"c": [3], "e": {"f": 1}}
    assert merge({"a": 1}, "scalar") == "scalar" and merge(None, {"a": 1}) == {"a": 1}


def test_bridge_has_aws_keys_only_with_a_region():
    root = GitSource(REPO, "main", "gitops/flux")
    local = cluster_metadata({"environment": "local", "cluster_name": "kind",
                              "addons": ["metrics-server"]}, root)
    assert not any(key.startswith("aws_") for key in local.variables())
    assert local.labels() == {"environment": "local", "fleet_role": "standalone",
                              "enable_metrics_server": "true"}
    assert local.annotations()["addons_repo_basepath"] == ADDONS_BASEPATH
    eks = cluster_metadata({"environment": "dev", "cluster_name": "c", "aws_region": "eu-west-1",
                            "aws_account_id": "123456789012", "aws_vpc_id": "vpc-1",
                            "addons": ["external-dns", "metrics-server"],
                            "addon_role_arns": {"external-dns": "arn:role"}}, root)
    keys = eks.annotations()
    assert keys["aws_cluster_name"] == "c" and keys["external_dns_iam_role_arn"] == "arn:role"
    assert "metrics_server_iam_role_arn" not in keys
    assert keys["external_dns_namespace"] == "external-dns"


def test_bootstrap_apps_default_to_the_root_source_and_sync_defaults_to_on():
    model = bootstrap({
        "repo_url": REPO, "revision": "main", "path": "gitops/argocd",
        "bridge": {"environment": "dev", "cluster_name": "c"},
        "apps": [{"name": "web", "path": "apps/web", "namespace": "web"},
                 {"name": "ledger", "path": "deploy", "namespace": "ledger", "wave": 2,
                  "repo_url": "https://example.com/ledger.git", "revision": "v1.0.0"}],
        "sync": {"prune": False},
    })
    web, ledger = model.apps
    assert web.source == GitSource(REPO, "main", "apps/web") and web.wave == 0
    assert ledger.source.repo_url == "https://example.com/ledger.git" and ledger.wave == 2
    assert (model.sync.automated, model.sync.prune, model.sync.self_heal) == (True, False, True)
    assert model.credentials is None


def test_kubeconfig_authenticates_with_aws_and_holds_no_credential():
    config = yaml.safe_load(kubeconfig("c", "https://api", "Q0E=", "eu-west-1"))
    user = config["users"][0]["user"]
    assert set(user) == {"exec"}
    assert user["exec"]["args"] == ["eks", "get-token", "--cluster-name", "c",
                                    "--region", "eu-west-1"]
    assert config["clusters"][0]["cluster"] == {"server": "https://api",
                                                 "certificate-authority-data": "Q0E="}


def test_trust_documents_name_exactly_one_principal():
    service = json.loads(assume_role_policy("eks.amazonaws.com"))["Statement"]
    assert service == [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
                        "Action": "sts:AssumeRole"}]
    [irsa] = irsa_trust_policy("arn:oidc", "https://oidc.example/id/X", "kube-system",
                               "sa")["Statement"]
    assert irsa["Condition"] == {"StringEquals": {
        "oidc.example/id/X:sub": "system:serviceaccount:kube-system:sa",
        "oidc.example/id/X:aud": "sts.amazonaws.com"}}


def test_tree_walks_rebuilds_and_spells_paths():
    value = {"a": [{"b": 1.0}, "x"], "c": {"d": None}}
    assert [spell(path) for path, _ in walk(value)] == [".", "a", "a[0]", "a[0].b", "a[1]", "c",
                                                         "c.d"]
    doubled = rebuild(value, lambda _p, node: node * 2 if isinstance(node, float) else DESCEND)
    assert doubled == {"a": [{"b": 2.0}, "x"], "c": {"d": None}} and value["a"][0]["b"] == 1.0
    assert under(("a", 0, "b"), frozenset({("a",)})) and not under(("c",), frozenset({("a",)}))
