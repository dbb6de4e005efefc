"""Every bad input is a ConfigError naming its key path, raised before any resource exists.

Each case runs the real program under mocks with one stack's config and a few overrides, so the
check covers config.load, the availability-zone cross-check in __main__.py, and the promise that
nothing was registered when the error came.
"""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from components import config
from tests.conftest import ACCESS
from tools import harness

CANARY = "gw-canary-7f3a9c"


def _group(**changes) -> dict:
    """A valid node group with `changes` applied; a change to None drops the key."""
    group = {"name": "general", "instanceTypes": ["t3.large"], "capacityType": "ON_DEMAND",
             "minSize": 1, "desiredSize": 2, "maxSize": 3}
    group.update(changes)
    return {key: value for key, value in group.items() if value is not None}


def _app(**changes) -> dict:
    app = {"name": "podinfo", "path": "gitops/apps/podinfo", "namespace": "podinfo"}
    app.update(changes)
    return {key: value for key, value in app.items() if value is not None}


def _taint(**changes) -> dict:
    return _group(taints=[{"key": "dedicated", "value": "gpu", "effect": "NO_SCHEDULE", **changes}])


def _rejected(stack: str, overrides: dict) -> config.ConfigError:
    with pytest.raises(config.ConfigError) as caught:
        harness.run(stack, overrides)
    assert caught.value.partial_run.resources == []
    return caught.value


# (id, stack, overrides, key path the error must name)
BAD = [
    ("environment-too-long", "dev", {"environment": "e" * 33}, "environment"),
    ("environment-uppercase", "dev", {"environment": "Dev"}, "environment"),
    ("protect-not-a-bool", "prod", {"protect": "yes"}, "protect"),
    ("network-is-a-list", "dev", {"network": ["10.0.0.0/16"]}, "network"),
    ("network-unknown-key", "dev", {"network.cidrs": "10.0.0.0/16"}, "network.cidrs"),
    ("cidr-not-a-network", "dev", {"network.cidr": "10.0.0.300/16"}, "network.cidr"),
    ("cidr-host-bits", "dev", {"network.cidr": "10.0.0.1/16"}, "network.cidr"),
    ("cidr-public-range", "dev", {"network.cidr": "8.8.0.0/16"}, "network.cidr"),
    ("cidr-too-small", "dev", {"network.cidr": "10.0.0.0/26"}, "network.cidr"),
    ("cidr-is-a-list", "dev", {"network.cidr": ["10.0.0.0/16"]}, "network.cidr"),
    ("az-count-one", "dev", {"network.azCount": 1}, "network.azCount"),
    ("az-count-bool", "dev", {"network.azCount": True}, "network.azCount"),
    ("az-count-string", "dev", {"network.azCount": "3"}, "network.azCount"),
    ("az-count-beyond-region", "dev", {"network.azCount": 4}, "network.azCount"),
    ("nat-unknown", "dev", {"network.natGateways": "two"}, "network.natGateways"),
    ("app-name-argocd-root", "dev",
     {"gitops.apps": [{"name": "root", "path": "a", "namespace": "a"}]},
     "gitops.apps[0].name"),
    ("app-name-flux-root", "dev",
     {"gitops.apps": [{"name": "flux-system", "path": "a", "namespace": "a"}]},
     "gitops.apps[0].name"),
    ("app-namespace-flux-system", "local",
     {"gitops.apps": [{"name": "web", "path": "a", "namespace": "flux-system"}]},
     "gitops.apps[0].namespace"),
    ("app-namespace-kube-system", "dev",
     {"gitops.apps": [{"name": "web", "path": "a", "namespace": "kube-system"}]},
     "gitops.apps[0].namespace"),
    ("nat-none-on-eks", "dev", {"network.natGateways": "none"}, "network.natGateways"),
    ("cluster-is-a-string", "dev", {"cluster": "eks"}, "cluster"),
    ("provider-unknown", "dev", {"cluster.provider": "gke"}, "cluster.provider"),
    ("cluster-name-leading-dash", "dev", {"cluster.name": "-web"}, "cluster.name"),
    ("cluster-name-101", "dev", {"cluster.name": "c" * 101}, "cluster.name"),
    ("version-unsupported", "dev", {"cluster.version": "1.29"}, "cluster.version"),
    ("version-a-number", "dev", {"cluster.version": 1.34}, "cluster.version"),
    ("endpoint-nowhere", "dev",
     {"cluster.endpointPublicAccess": False, "cluster.endpointPrivateAccess": False},
     "cluster.endpointPrivateAccess"),
    ("endpoint-public-null", "dev", {"cluster.endpointPublicAccess": None},
     "cluster.endpointPublicAccess"),
    ("prod-open-to-world", "prod", {"cluster.publicAccessCidrs": ["0.0.0.0/0"]},
     "cluster.publicAccessCidrs"),
    ("prod-open-to-world-respelled", "prod", {"cluster.publicAccessCidrs": ["0.0.0.0/00"]},
     "cluster.publicAccessCidrs"),
    ("cidrs-a-string", "dev", {"cluster.publicAccessCidrs": "0.0.0.0/0"},
     "cluster.publicAccessCidrs"),
    ("cidrs-item-invalid", "dev", {"cluster.publicAccessCidrs": ["10.0.0.0/8", "nope"]},
     "cluster.publicAccessCidrs[1]"),
    ("cidrs-empty-with-public-endpoint", "dev", {"cluster.publicAccessCidrs": []},
     "cluster.publicAccessCidrs"),
    ("cidrs-over-eks-limit", "dev",
     {"cluster.publicAccessCidrs": [f"198.51.{i}.0/24" for i in range(41)]},
     "cluster.publicAccessCidrs"),
    ("log-type-unknown", "dev", {"cluster.logTypes": ["kubelet"]}, "cluster.logTypes[0]"),
    ("log-type-nested-list", "dev", {"cluster.logTypes": [["api"]]}, "cluster.logTypes[0]"),
    ("encryption-a-string", "dev", {"cluster.secretsEncryption": "yes"},
     "cluster.secretsEncryption"),
    ("admin-arn-of-a-user", "dev",
     {"cluster.adminRoleArns": ["arn:aws:iam::123456789012:user/admin"]},
     "cluster.adminRoleArns[0]"),
    ("admin-arn-repeated", "dev",
     {"cluster.adminRoleArns": ["arn:aws:iam::123456789012:role/a"] * 2},
     "cluster.adminRoleArns[1]"),
    ("viewer-arn-of-a-user", "dev",
     {"cluster.viewerRoleArns": ["arn:aws:iam::123456789012:user/ci"]},
     "cluster.viewerRoleArns[0]"),
    ("viewer-arn-repeated", "prod",
     {"cluster.viewerRoleArns": ["arn:aws:iam::123456789012:role/ci"] * 2},
     "cluster.viewerRoleArns[1]"),
    ("viewer-arn-also-admin", "prod",
     {"cluster.adminRoleArns": ["arn:aws:iam::123456789012:role/platform-admin"],
      "cluster.viewerRoleArns": ["arn:aws:iam::123456789012:role/platform-admin"]},
     "cluster.viewerRoleArns[0]"),
    ("node-groups-empty", "dev", {"cluster.nodeGroups": []}, "cluster.nodeGroups"),
    ("node-groups-an-object", "dev", {"cluster.nodeGroups": _group()}, "cluster.nodeGroups"),
    ("node-group-null", "dev", {"cluster.nodeGroups": [None]}, "cluster.nodeGroups[0]"),
    ("node-group-unknown-key", "dev", {"cluster.nodeGroups": [_group(diskSize=50)]},
     "cluster.nodeGroups[0].diskSize"),
    ("node-group-without-instance-types", "dev",
     {"cluster.nodeGroups": [_group(instanceTypes=None)]}, "cluster.nodeGroups[0].instanceTypes"),
    ("node-group-name-37", "dev", {"cluster.nodeGroups": [_group(name="n" * 37)]},
     "cluster.nodeGroups[0].name"),
    ("node-group-name-an-int", "dev", {"cluster.nodeGroups": [_group(name=7)]},
     "cluster.nodeGroups[0].name"),
    ("node-group-name-repeated", "dev", {"cluster.nodeGroups": [_group(), _group()]},
     "cluster.nodeGroups[1].name"),
    ("instance-type-malformed", "dev", {"cluster.nodeGroups": [_group(instanceTypes=["large"])]},
     "cluster.nodeGroups[0].instanceTypes[0]"),
    ("instance-types-a-string", "dev", {"cluster.nodeGroups": [_group(instanceTypes="t3.large")]},
     "cluster.nodeGroups[0].instanceTypes"),
    ("capacity-lowercase", "dev", {"cluster.nodeGroups": [_group(capacityType="spot")]},
     "cluster.nodeGroups[0].capacityType"),
    ("min-size-negative", "dev", {"cluster.nodeGroups": [_group(minSize=-1)]},
     "cluster.nodeGroups[0].minSize"),
    ("desired-above-max", "dev", {"cluster.nodeGroups": [_group(desiredSize=4)]},
     "cluster.nodeGroups[0].desiredSize"),
    ("max-size-bool", "dev", {"cluster.nodeGroups": [_group(maxSize=True)]},
     "cluster.nodeGroups[0].maxSize"),
    ("max-size-beyond-int32", "dev", {"cluster.nodeGroups": [_group(maxSize=2**31)]},
     "cluster.nodeGroups[0].maxSize"),
    ("max-size-float", "dev", {"cluster.nodeGroups": [_group(maxSize=3.0)]},
     "cluster.nodeGroups[0].maxSize"),
    ("labels-a-list", "dev", {"cluster.nodeGroups": [_group(labels=["pool=system"])]},
     "cluster.nodeGroups[0].labels"),
    ("label-value-invalid", "dev", {"cluster.nodeGroups": [_group(labels={"pool": "a b"})]},
     "cluster.nodeGroups[0].labels.pool"),
    ("label-value-an-object", "dev", {"cluster.nodeGroups": [_group(labels={"pool": {"x": 1}})]},
     "cluster.nodeGroups[0].labels.pool"),
    ("label-key-invalid", "dev", {"cluster.nodeGroups": [_group(labels={"-pool": "a"})]},
     "cluster.nodeGroups[0].labels"),
    ("taints-an-object", "dev", {"cluster.nodeGroups": [_group(taints={"key": "a"})]},
     "cluster.nodeGroups[0].taints"),
    ("taint-effect-unknown", "dev", {"cluster.nodeGroups": [_taint(effect="NoSchedule")]},
     "cluster.nodeGroups[0].taints[0].effect"),
    ("taint-without-key", "dev",
     {"cluster.nodeGroups": [_group(taints=[{"effect": "NO_SCHEDULE"}])]},
     "cluster.nodeGroups[0].taints[0].key"),
    ("taint-value-an-int", "dev", {"cluster.nodeGroups": [_taint(value=1)]},
     "cluster.nodeGroups[0].taints[0].value"),
    ("context-on-eks", "dev", {"cluster.context": "kind-groundwork"}, "cluster.context"),
    ("existing-without-context", "local", {"cluster.context": ""}, "cluster.context"),
    ("gitops-a-list", "dev", {"gitops": []}, "gitops"),
    ("engine-unknown", "dev", {"gitops.engine": "helm"}, "gitops.engine"),
    ("repo-plain-http", "dev", {"gitops.repoUrl": "http://example.com/org/repo.git"},
     "gitops.repoUrl"),
    ("repo-not-a-url", "dev", {"gitops.repoUrl": "example.com/org/repo"}, "gitops.repoUrl"),
    ("repo-an-int", "dev", {"gitops.repoUrl": 42}, "gitops.repoUrl"),
    ("revision-empty", "dev", {"gitops.revision": ""}, "gitops.revision"),
    ("revision-with-space", "dev", {"gitops.revision": "main branch"}, "gitops.revision"),
    ("revision-null", "dev", {"gitops.revision": None}, "gitops.revision"),
    ("path-absolute", "dev", {"gitops.path": "/gitops"}, "gitops.path"),
    ("path-escapes-repo", "dev", {"gitops.path": "gitops/../.."}, "gitops.path"),
    ("path-empty", "dev", {"gitops.path": ""}, "gitops.path"),
    ("sync-a-bool", "dev", {"gitops.sync": True}, "gitops.sync"),
    ("prune-a-string", "dev", {"gitops.sync.prune": "false"}, "gitops.sync.prune"),
    ("addons-a-string", "dev", {"gitops.addons": "metrics-server"}, "gitops.addons"),
    ("addon-not-in-catalog", "dev", {"gitops.addons": ["metrics-server", "istio"]},
     "gitops.addons[1]"),
    ("addon-repeated", "dev", {"gitops.addons": ["metrics-server", "metrics-server"]},
     "gitops.addons[1]"),
    ("addon-needs-aws-on-existing", "local", {"gitops.addons": ["external-dns"]},
     "gitops.addons[0]"),
    ("dns-zones-missing-with-external-dns", "dev", {"gitops.dnsZoneIds": []},
     "gitops.dnsZoneIds"),
    ("dns-zones-missing-with-cert-manager", "dev",
     {"gitops.addons": ["cert-manager"], "gitops.dnsZoneIds": []}, "gitops.dnsZoneIds"),
    ("dns-zones-a-string", "prod", {"gitops.dnsZoneIds": "Z0123456789ABCDEFGHIJ"},
     "gitops.dnsZoneIds"),
    ("dns-zone-id-lowercase", "dev", {"gitops.dnsZoneIds": ["z0123456789abcdefghij"]},
     "gitops.dnsZoneIds[0]"),
    ("dns-zone-id-with-prefix", "dev", {"gitops.dnsZoneIds": ["/hostedzone/Z0123456789ABCDEFGHIJ"]},
     "gitops.dnsZoneIds[0]"),
    ("dns-zone-id-repeated", "prod", {"gitops.dnsZoneIds": ["Z0123456789ABCDEFGHIJ"] * 2},
     "gitops.dnsZoneIds[1]"),
    ("apps-an-object", "dev", {"gitops.apps": _app()}, "gitops.apps"),
    ("app-without-namespace", "dev", {"gitops.apps": [_app(namespace=None)]},
     "gitops.apps[0].namespace"),
    ("app-name-uppercase", "dev", {"gitops.apps": [_app(name="PodInfo")]}, "gitops.apps[0].name"),
    ("app-name-64", "dev", {"gitops.apps": [_app(name="a" * 64)]}, "gitops.apps[0].name"),
    ("app-name-repeated", "dev", {"gitops.apps": [_app(), _app(namespace="other")]},
     "gitops.apps[1].name"),
    ("app-namespace-underscore", "dev", {"gitops.apps": [_app(namespace="pod_info")]},
     "gitops.apps[0].namespace"),
    ("app-wave-a-string", "dev", {"gitops.apps": [_app(wave="1")]}, "gitops.apps[0].wave"),
    ("app-wave-a-float", "dev", {"gitops.apps": [_app(wave=1.5)]}, "gitops.apps[0].wave"),
    ("app-wave-bool", "dev", {"gitops.apps": [_app(wave=False)]}, "gitops.apps[0].wave"),
    ("app-wave-beyond-int32", "dev", {"gitops.apps": [_app(wave=-(2**31) - 1)]},
     "gitops.apps[0].wave"),
    ("app-path-escapes-repo", "dev", {"gitops.apps": [_app(path="../other")]},
     "gitops.apps[0].path"),
    ("app-repo-url-invalid", "dev", {"gitops.apps": [_app(repoUrl="ftp://example.com/r.git")]},
     "gitops.apps[0].repoUrl"),
    ("app-revision-empty", "dev", {"gitops.apps": [_app(revision=" ")]}, "gitops.apps[0].revision"),
    ("chart-version-range", "dev", {"gitops.argocd.chartVersion": "~10.1"},
     "gitops.argocd.chartVersion"),
    ("chart-version-latest", "dev", {"gitops.argocd.chartVersion": "latest"},
     "gitops.argocd.chartVersion"),
    ("chart-version-a-float", "dev", {"gitops.flux.chartVersion": 2.18},
     "gitops.flux.chartVersion"),
    ("argocd-values-a-list", "dev", {"gitops.argocd.values": ["server"]}, "gitops.argocd.values"),
    ("argocd-ha-a-string", "dev", {"gitops.argocd.ha": "true"}, "gitops.argocd.ha"),
    ("flux-interval-prose", "dev", {"gitops.flux.interval": "5 minutes"}, "gitops.flux.interval"),
    ("flux-resource-set-a-string", "local", {"gitops.flux.resourceSet": "true"},
     "gitops.flux.resourceSet"),
    ("flux-resource-set-under-argocd", "dev", {"gitops.flux.resourceSet": True},
     "gitops.flux.resourceSet"),
    ("flux-resource-set-without-engine", "local",
     {"gitops.engine": "none", "gitops.flux.resourceSet": True}, "gitops.flux.resourceSet"),
    ("flux-resource-set-without-operator", "local",
     {"gitops.ownership": "pulumi", "gitops.flux.resourceSet": True}, "gitops.flux.resourceSet"),
    ("flux-resource-set-manual-sync", "local",
     {"gitops.sync.automated": False, "gitops.flux.resourceSet": True},
     "gitops.flux.resourceSet"),
    ("credentials-both-shapes", "dev",
     {"gitCredentials": {"username": "u", "password": CANARY, "sshPrivateKey": CANARY}},
     "gitCredentials"),
    ("credentials-without-password", "dev", {"gitCredentials": {"username": "u"}},
     "gitCredentials.password"),
    ("credentials-without-known-hosts", "dev", {"gitCredentials": {"sshPrivateKey": CANARY}},
     "gitCredentials.knownHosts"),
    ("credentials-password-an-int", "dev", {"gitCredentials": {"username": "u", "password": 7}},
     "gitCredentials.password"),
    ("credentials-unknown-key", "dev", {"gitCredentials": {"token": CANARY}},
     "gitCredentials.token"),
    ("credentials-ssh-for-https-repo", "dev",
     {"gitCredentials": {"sshPrivateKey": CANARY, "knownHosts": "github.com ssh-ed25519 AAAA"}},
     "gitCredentials"),
    # Modern EKS: compute modes, identity, versions.
    ("compute-unknown", "dev", {"cluster.compute": "fargate"}, "cluster.compute"),
    ("identity-unknown", "dev", {"cluster.workloadIdentity": "kiam"},
     "cluster.workloadIdentity"),
    ("auto-mode-with-node-groups", "dev", {"cluster.compute": "autoMode"}, "cluster.nodeGroups"),
    ("auto-mode-with-system-group", "prod",
     {"cluster.compute": "autoMode", "cluster.nodeGroups": [],
      "gitops.addons": ["metrics-server"]}, "cluster.systemNodeGroup"),
    ("auto-mode-with-load-balancer-controller", "dev",
     {"cluster.compute": "autoMode", "cluster.nodeGroups": []}, "gitops.addons[1]"),
    ("auto-mode-pins-an-add-on", "dev",
     {"cluster.compute": "autoMode", "cluster.nodeGroups": [], "gitops.addons": [],
      "cluster.addonVersions": {"coredns": "v1.12.4-eksbuild.1"}},
     "cluster.addonVersions.coredns"),
    ("karpenter-without-system-group", "dev", {"cluster.compute": "karpenter"},
     "cluster.systemNodeGroup"),
    ("karpenter-beside-cluster-autoscaler", "prod", {"cluster.compute": "karpenter"},
     "gitops.addons[3]"),
    ("karpenter-listed-as-add-on", "dev", {"gitops.addons": ["karpenter"]}, "gitops.addons[0]"),
    ("add-on-version-unknown-add-on", "dev", {"cluster.addonVersions": {"kube-dns": "v1.0.0"}},
     "cluster.addonVersions.kube-dns"),
    ("add-on-version-malformed", "dev", {"cluster.addonVersions": {"coredns": "latest"}},
     "cluster.addonVersions.coredns"),
    ("node-group-newer-than-cluster", "dev",
     {"cluster.version": "1.33", "cluster.nodeGroups": [
         {"name": "general", "instanceTypes": ["t3.large"], "version": "1.34"}]},
     "cluster.nodeGroups[0].version"),
    ("node-group-beyond-skew", "dev",
     {"cluster.version": "1.35", "cluster.nodeGroups": [
         {"name": "general", "instanceTypes": ["t3.large"], "version": "1.31"}]},
     "cluster.nodeGroups[0].version"),
    ("node-group-version-malformed", "dev",
     {"cluster.nodeGroups": [{"name": "general", "instanceTypes": ["t3.large"],
                              "version": "134"}]},
     "cluster.nodeGroups[0].version"),
]


@pytest.mark.parametrize("stack,overrides,path", [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_bad_config_names_its_key_path_and_registers_nothing(stack, overrides, path):
    error = _rejected(stack, overrides)
    assert any(problem.startswith(f"groundwork:{path}: ") for problem in error.problems), \
        error.problems
    assert f"groundwork:{path}: " in str(error)


def test_every_case_is_distinct():
    assert len(BAD) >= 40
    assert len({case[0] for case in BAD}) == len(BAD)
    assert len({json.dumps(case[1:3], sort_keys=True) for case in BAD}) == len(BAD)


def test_every_problem_is_reported_at_once():
    error = _rejected("prod", {
        "network.azCount": 9,
        "cluster.publicAccessCidrs": ["0.0.0.0/0"],
        "cluster.nodeGroups": [_group(minSize="two", taints=[{"key": "a", "effect": "x"}])],
        "gitops.engine": "jenkins",
        "gitops.apps": [_app(wave=None, name="x_y")],
        "gitCredentials": {"username": "u"},
    })
    paths = {problem.split(": ")[0] for problem in error.problems}
    assert paths >= {
        "groundwork:network.azCount", "groundwork:cluster.publicAccessCidrs",
        "groundwork:cluster.nodeGroups[0].minSize",
        "groundwork:cluster.nodeGroups[0].taints[0].effect",
        "groundwork:gitops.engine", "groundwork:gitops.apps[0].name",
        "groundwork:gitCredentials.password",
    }
    assert f"({len(error.problems)} problems)" in str(error)


@pytest.mark.parametrize("overrides,valid", [
    ({"gitops.engine": "argocd"}, ("engine 'flux'", "gitops.argocd.applicationSet")),
    ({"gitops.ownership": "pulumi"}, ("ownership to 'git'", "resourceSet to false")),
    ({"gitops.sync.automated": False}, ("automated to true", "resourceSet to false")),
], ids=["argocd", "ownership-pulumi", "manual-sync"])
def test_a_resource_set_without_what_it_needs_is_refused_saying_what_would_do(overrides, valid):
    error = _rejected("local", {"gitops.flux.resourceSet": True, **overrides})
    [problem] = [p for p in error.problems
                 if p.startswith("groundwork:gitops.flux.resourceSet: ")]
    assert all(text in problem for text in valid), problem


@pytest.mark.parametrize("credentials", [
    CANARY, [CANARY], {"username": "u", "password": [CANARY]}, {"password": CANARY},
    {"sshPrivateKey": {"key": CANARY}, "knownHosts": CANARY},
], ids=["string", "list", "nested-list", "half-shape", "nested-object"])
def test_bad_credentials_are_never_echoed(credentials):
    error = _rejected("dev", {"gitCredentials": credentials})
    assert any(problem.startswith("groundwork:gitCredentials") for problem in error.problems)
    assert CANARY not in str(error)


def test_credentials_set_without_secret_are_refused(tmp_path):
    # A stack file with plaintext credentials, as `pulumi config set --path` without --secret
    # writes it; the same values set with --secret are accepted (test_secrets.py).
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((harness.ROOT / name).read_text())
    (tmp_path / "Pulumi.plain.yaml").write_text(
        "config:\n  groundwork:cluster:\n    provider: existing\n    context: kind-x\n"
        f"  groundwork:gitCredentials:\n    username: bot\n    password: {CANARY}\n")
    with pytest.raises(config.ConfigError) as caught:
        harness.run("plain", project_dir=tmp_path)
    assert re.search(r"groundwork:gitCredentials: must be set with `pulumi config set --secret",
                     str(caught.value))
    assert CANARY not in str(caught.value)
    assert caught.value.partial_run.resources == []


def test_credentials_embedded_in_a_repo_url_are_refused_without_echo():
    url = f"https://git:{CANARY}@github.com/org/repo.git"
    error = _rejected("dev", {"gitops.repoUrl": url, "gitops.apps": [_app(repoUrl=url)]})
    assert {p.split(": ")[0] for p in error.problems} == {"groundwork:gitops.repoUrl",
                                                          "groundwork:gitops.apps[0].repoUrl"}
    assert CANARY not in str(error)


CALLER_ROLES = [("cluster.adminRoleArns[0]", "platform-admin"),
                ("cluster.viewerRoleArns[0]", "groundwork-ci-readonly")]


def _session(role: str) -> str:
    return f"arn:aws:sts::{harness.ACCOUNT_ID}:assumed-role/{role}/deploy-1234"


@pytest.mark.parametrize("path,role", CALLER_ROLES, ids=["admin", "viewer"])
def test_the_identity_creating_the_cluster_must_not_be_listed(path, role):
    # EKS already gave the creator an access entry; a second one fails mid-deployment.
    with pytest.raises(config.ConfigError) as caught:
        harness.run("prod", ACCESS, caller_arn=_session(role))
    role_arn = f"arn:aws:iam::{harness.ACCOUNT_ID}:role/{role}"
    assert caught.value.problems == (
        f"groundwork:{path}: {role_arn!r} is the identity running this deployment; EKS already "
        "grants it admin as the cluster creator; remove it",)
    assert caught.value.partial_run.resources == []


@pytest.mark.parametrize("role", [role for _, role in CALLER_ROLES], ids=["admin", "viewer"])
def test_a_listed_identity_may_update_a_cluster_it_did_not_create(run_stack, role):
    cluster_name = run_stack("prod").outputs["clusterName"].value
    run = harness.run("prod", ACCESS, caller_arn=_session(role),
                      cloud=harness.Cloud(clusters={cluster_name: {}}))
    assert run.by_type("aws:eks/cluster:Cluster")


@pytest.mark.parametrize("stack,overrides", [
    ("dev", {"gitops.repoUrl": "git@github.com:org/repo.git"}),
    ("dev", {"gitops.repoUrl": "ssh://git@github.com:2222/org/repo.git",
             "gitCredentials": {"sshPrivateKey": CANARY,
                                "knownHosts": "github.com ssh-ed25519 A"}}),
    ("dev", {"gitCredentials": {"username": "git", "password": CANARY}}),
    ("prod", {"cluster.publicAccessCidrs": ["0.0.0.0/0"],
              "cluster.allowPublicEndpointFromAnywhere": True}),
    ("prod", {"cluster.endpointPublicAccess": False, "cluster.publicAccessCidrs": ["0.0.0.0/0"]}),
    ("dev", {"network.azCount": 3, "cluster.name": "Team_A-1"}),
    ("dev", {"gitops.apps": [_app(wave=-5, revision="v1.2.3")]}),
], ids=["scp-style-url", "ssh-url-with-key", "https-token", "world-open-acknowledged",
        "private-endpoint-only", "three-zones", "negative-wave"])
def test_edge_values_the_contract_allows_are_accepted(stack, overrides):
    assert harness.run(stack, overrides).resources


# --- Pulumi.yaml declares what config.py reads ---------------------------------------------------

# Top-level key -> (nested object path, the keys config.py accepts there).
OBJECT_FIELDS = {
    "network": [("", config.NETWORK_KEYS)],
    "cluster": [("", config.CLUSTER_KEYS), ("nodeGroups", config.NODE_GROUP_KEYS),
                ("nodeGroups.taints", config.TAINT_KEYS)],
    "gitops": [("", config.GITOPS_KEYS), ("sync", config.SYNC_KEYS), ("apps", config.APP_KEYS),
               ("argocd", config.ARGOCD_KEYS), ("flux", config.FLUX_KEYS)],
    "gitCredentials": [("", config.HTTPS_CREDENTIAL_KEYS + config.SSH_CREDENTIAL_KEYS)],
    "secretValues": [("", config.SECRET_VALUES_KEYS)],
    "fleet": [("", config.FLEET_KEYS)],
}
# Lists of objects: their items have no project-level default, only described keys.
LIST_ITEMS = {"nodeGroups", "nodeGroups.taints", "apps"}
JSON_TYPES = {"string": str, "boolean": bool, "integer": int, "array": list, "object": dict}


def _read_keys() -> set[str]:
    """Every top-level key config.load passes to raw()."""
    source = (config.PROJECT_FILE.parent / "components" / "config" / "load.py").read_text()
    return {literal or getattr(config, constant)
            for literal, constant in re.findall(r'raw\((?:"(\w+)"|([A-Z_]+))\)', source)}


def test_every_key_read_is_declared_with_description_and_default(schemas_dir):
    schema = json.loads((schemas_dir / "pulumi" / "project.json").read_text())
    declaration_schema = {**schema["$defs"]["configTypeDeclaration"], "$defs": schema["$defs"]}
    declarations = config.project_declarations()
    read = _read_keys()
    assert read == set(declarations) == {"environment", "protect", *OBJECT_FIELDS}
    assert set(config.TOP_LEVEL_KEYS) == read
    for key, declaration in declarations.items():
        jsonschema.validate(declaration, declaration_schema, cls=jsonschema.Draft202012Validator)
        assert declaration["description"].strip(), key
        assert "default" in declaration, key
        assert isinstance(declaration["default"], JSON_TYPES[declaration["type"]]), key


@pytest.mark.parametrize("key", sorted(OBJECT_FIELDS))
def test_every_object_field_is_described_and_defaulted(key):
    declaration = config.project_declarations()[key]
    for nested, fields in OBJECT_FIELDS[key]:
        for field in fields:
            assert re.search(rf"\b{field}\b", declaration["description"]), f"{key}.{nested}.{field}"
        if nested in LIST_ITEMS or key in config.SECRET_KEYS:
            continue
        default = declaration["default"]
        for part in filter(None, nested.split(".")):
            default = default[part]
        assert set(default) == set(fields), f"{key}.{nested}"
