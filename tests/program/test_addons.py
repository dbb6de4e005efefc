"""Engines and add-ons that really run: where their pods land, what their charts are given, and
the bridge keys the sample tree needs for it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.common.catalog import CATALOG
from components.common.deep_merge import merge
from components.config import ConfigError
from components.gitops import argocd_manifests, flux_manifests
from tests.conftest import ENGINES
from tools import harness
from tools.harness import ROOT
from tools.render import chart_values
from tools.render.expand import argo_chart
from tools.render.manifests import helm_releases

SYSTEM_SELECTOR = {"groundwork.dev/pool": "system"}
SYSTEM_TOLERATIONS = [{"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true",
                       "effect": "NoSchedule"}]


# --- placement -----------------------------------------------------------------------------------


def pod_sections(chart: chart_values.Chart) -> dict[tuple[str, ...], bool]:
    """Every values section of `chart` with a `nodeSelector` (a pod the chart can place), and
    whether the chart documents it as falling back to `global.nodeSelector` (argo-cd's
    `@default -- ... (defaults to global.nodeSelector)`, read from values.yaml's comments)."""
    text = (chart.directory / f"{chart.name}-{chart.version}" / "values.yaml").read_text()
    lines = text.splitlines()
    sections: dict[tuple[str, ...], bool] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if not isinstance(node, yaml.MappingNode):
            return
        for key, value in node.value:
            if key.value == "nodeSelector" and path != ("global",):
                comment = " ".join(lines[max(0, key.start_mark.line - 3):key.start_mark.line])
                sections[path] = "defaults to global.nodeSelector" in comment
            walk(value, (*path, key.value))

    walk(yaml.compose(text), ())
    return sections


def effective(values: dict, path: tuple[str, ...], falls_back: bool, key: str) -> Any:
    node: Any = values
    for part in path:
        node = (node or {}).get(part)
    own = (node or {}).get(key)
    if own:
        return own
    return (values.get("global") or {}).get(key) if falls_back else None


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_pod_runs_on_the_system_pool(run_stack, engine):
    """prod marks its on-demand `system` group; no engine pod may land on spot `workloads`."""
    [release] = helm_releases(run_stack("prod", gitops__engine=engine))
    chart = chart_values.load(release.chart, release.version)
    sections = pod_sections(chart)
    for alias, dependency in chart.subcharts.items():
        if release.values.get(alias, {}).get("enabled", True):
            sub = chart_values.load(*dependency)
            sections.update({(alias, *path): False for path in pod_sections(sub)})
    # The Flux Operator runs one Deployment; the controllers it installs are placed by the
    # FluxInstance's patch (test_the_flux_instance_places_and_confines_the_controllers).
    assert len(sections) >= (1 if release.chart == "flux-operator" else 8)
    for path, fallback in sections.items():
        where = ".".join(path) or "(top level)"
        assert effective(release.values, path, fallback, "nodeSelector") == SYSTEM_SELECTOR, where
        assert effective(release.values, path, fallback, "tolerations") == SYSTEM_TOLERATIONS, \
            where


def test_without_a_system_pool_nothing_is_pinned(run_stack):
    for engine in ENGINES:
        [release] = helm_releases(run_stack("dev", gitops__engine=engine))
        assert "nodeSelector" not in json.dumps(release.values)


_ARGO_PLACEHOLDER = re.compile(r"\{\{ *\.metadata\.annotations\.(\w+) *\}\}")


def tree_values() -> list[tuple[str, str, str, dict]]:
    """(file, chart, version, values) of each add-on, bridge references as `${key}`."""
    found = []
    for path in sorted((ROOT / "gitops" / "addons").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "ApplicationSet":
                source = doc["spec"]["template"]["spec"]["source"]
                patch = yaml.safe_load(_ARGO_PLACEHOLDER.sub(
                    r"'${\1}'", doc["spec"].get("templatePatch", "{}"))) or {}
                patched = patch.get("spec", {}).get("source", {}).get("helm", {})
                values = merge(source["helm"].get("valuesObject", {}),
                               patched.get("valuesObject", {}))
                found.append((str(path.relative_to(ROOT)), argo_chart(source),
                              source["targetRevision"], values))
            elif (doc and doc.get("kind") == "HelmRelease"
                  and doc["spec"]["chart"]["spec"]["sourceRef"]["kind"] == "HelmRepository"):
                chart = doc["spec"]["chart"]["spec"]
                found.append((str(path.relative_to(ROOT)), chart["chart"], chart["version"],
                              doc["spec"]["values"]))
    return found


@pytest.mark.parametrize("file,chart,version,values", tree_values(),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_every_add_on_pod_gets_the_bridge_placement(file, chart, version, values):
    sections = pod_sections(chart_values.load(chart, version))
    assert sections, file
    # external-secrets' components fall back to its `global` placement (their values.yaml says
    # so with `| default .Values.global.*` in the templates); the others read their own.
    global_fallback = "nodeSelector" in (values.get("global") or {})
    for path, fallback in sections.items():
        if path and path[0] in ("crds", "bitwarden-sdk-server"):
            continue  # not rendered by these charts' settings
        assert effective(values, path, fallback or global_fallback, "nodeSelector") == \
            "${system_node_selector}", (file, path)
        assert effective(values, path, fallback or global_fallback, "tolerations") == \
            "${system_tolerations}", (file, path)


def test_the_bridge_carries_the_placement_as_json(run_stack):
    data = _cluster_vars(run_stack("prod", gitops__engine="flux"))
    assert json.loads(data["system_node_selector"]) == SYSTEM_SELECTOR
    assert json.loads(data["system_tolerations"]) == SYSTEM_TOLERATIONS
    dev = _cluster_vars(run_stack("dev", gitops__engine="flux"))
    assert (dev["system_node_selector"], dev["system_tolerations"]) == ("{}", "[]")


def _cluster_vars(run) -> dict[str, str]:
    [config_map] = [r for r in run.by_type("kubernetes:core/v1:ConfigMap")
                    if r.inputs["metadata"]["name"] == "cluster-vars"]
    return config_map.inputs["data"]


def test_the_autoscaler_never_evicts_itself():
    for file, chart, _, values in tree_values():
        if chart == "cluster-autoscaler":
            assert values["podAnnotations"] == {
                "cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}, file


# --- Redis HA needs three nodes ------------------------------------------------------------------


def test_ha_needs_three_nodes_in_the_system_pool():
    prod = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
    groups = prod["groundwork:cluster"]["nodeGroups"]
    groups[0] = {**groups[0], "minSize": 2, "desiredSize": 2}
    with pytest.raises(ConfigError) as caught:
        harness.run("prod", {"cluster.nodeGroups": groups})
    [problem] = caught.value.problems
    assert problem.startswith("groundwork:cluster.nodeGroups[0].minSize: 2 is too small for "
                              "gitops.argocd.ha")
    # Flux runs no Redis: the same nodes are enough.
    harness.run("prod", {"cluster.nodeGroups": groups, "gitops.engine": "flux"})


# --- values the charts must get ------------------------------------------------------------------


def test_argo_cd_sets_requests_pdbs_and_its_domain(run_stack):
    [release] = helm_releases(run_stack("prod", gitops__engine="argocd"))
    values = release.values
    for path in ("controller", "repoServer", "repoServer.copyutil", "server", "applicationSet",
                 "notifications", "redisSecretInit", "redis-ha.redis", "redis-ha.sentinel",
                 "redis-ha.init", "redis-ha.splitBrainDetection", "redis-ha.haproxy",
                 "redis-ha.haproxy.init"):
        node = values
        for part in path.split("."):
            node = node[part]
        assert set(node["resources"]["requests"]) == {"cpu", "memory"}, path
    assert values["redis-ha"]["podDisruptionBudget"] and \
        values["redis-ha"]["haproxy"]["podDisruptionBudget"]
    assert values["global"]["domain"] != "argocd.example.com"


def test_flux_keeps_its_crds_when_the_release_goes(run_stack):
    # The community chart (ownership pulumi); under the operator the CRDs are the instance's.
    [release] = helm_releases(run_stack("dev", gitops__engine="flux",
                                        gitops__ownership="pulumi"))
    assert release.values["crds"]["annotations"] == {"helm.sh/resource-policy": "keep"}


def test_external_dns_is_filtered_to_the_zones_it_may_change(run_stack):
    data = _cluster_vars(run_stack("prod", gitops__engine="flux"))
    assert json.loads(data["dns_zone_ids"]) == ["Z0123456789PRODZONE0"]
    for file, chart, _, values in tree_values():
        if chart == "external-dns":
            assert values["extraArgs"] == {"zone-id-filter": "${dns_zone_ids}"}, file


def test_metrics_server_skips_kubelet_tls_on_kind_only(run_stack):
    local = _cluster_vars(run_stack("local", gitops__engine="flux"))
    dev = _cluster_vars(run_stack("dev", gitops__engine="flux"))
    assert json.loads(local["metrics_server_args"]) == ["--kubelet-insecure-tls"]
    assert json.loads(dev["metrics_server_args"]) == []
    for file, chart, _, values in tree_values():
        if chart == "metrics-server":
            assert values["args"] == "${metrics_server_args}", file
    with pytest.raises(ConfigError, match="selfSignedKubeletCerts"):
        harness.run("dev", {"cluster.selfSignedKubeletCerts": True})


def test_the_load_balancer_controller_certificate_stays_put_under_argo_cd():
    app = yaml.safe_load(
        (ROOT / "gitops/addons/argocd/aws-load-balancer-controller.yaml").read_text())
    spec = app["spec"]["template"]["spec"]
    ignored = {(d["kind"], d["name"]): d for d in spec["ignoreDifferences"]}
    assert ignored[("Secret", "aws-load-balancer-tls")]["jsonPointers"] == ["/data"]
    for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        assert ignored[(kind, "aws-load-balancer-webhook")]["jqPathExpressions"] == [
            ".webhooks[].clientConfig.caBundle"]
    # Without this, a sync would still apply the newly rendered certificate.
    assert "RespectIgnoreDifferences=true" in spec["syncPolicy"]["syncOptions"]


def _flux_releases() -> list[tuple[Path, dict]]:
    return [(path, doc) for path in sorted((ROOT / "gitops/addons/flux").rglob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc and doc["kind"] == "HelmRelease"]


@pytest.mark.parametrize("engine", ENGINES)
def test_karpenter_nodes_go_before_karpenter_and_follow_every_revision(run_stack, graph_of,
                                                                        engine):
    """The program has the engine install Karpenter's NodePool and EC2NodeClass after the root,
    so a destroy deletes them (their finalizers wait for Karpenter to terminate its nodes) while
    the root's Karpenter still runs."""
    run = run_stack("prod", gitops__engine=engine, cluster__compute="karpenter",
                    gitops__addons=["metrics-server"])
    graph = graph_of(run)
    kind, root_kind, root_name = {
        "argocd": ("Application", "Application", argocd_manifests.ROOT_APP),
        "flux": ("HelmRelease", "Kustomization", flux_manifests.ROOT)}[engine]
    [nodes] = [r for r in run.resources if r.type.endswith(f":{kind}")
               and r.inputs["metadata"]["name"] == "karpenter-nodes"]
    [root] = [r for r in run.resources if r.type.endswith(f":{root_kind}")
              and r.inputs["metadata"]["name"] == root_name]
    assert graph.waits_for(nodes, root)
    spec = nodes.inputs["spec"]
    if engine == "flux":
        chart = spec["chart"]["spec"]
        # Its version never changes; the default ChartVersion strategy would ignore new commits.
        assert chart["reconcileStrategy"] == "Revision"
        assert chart["sourceRef"] == {"kind": "GitRepository", "name": "flux-system"}
        assert spec["dependsOn"] == [{"name": "karpenter"}]
        values = spec["values"]
    else:
        assert spec["syncPolicy"]["retry"]["limit"] == -1  # until Karpenter's CRDs exist
        [project] = [r for r in run.resources if r.type.endswith(":AppProject")
                     and r.inputs["metadata"]["name"] == spec["project"]]
        assert project.inputs["spec"]["clusterResourceWhitelist"] == [
            {"group": "karpenter.sh", "kind": "NodePool"},
            {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass"}]
        assert project.inputs["spec"]["namespaceResourceWhitelist"] == []
        values = spec["source"]["helm"]["valuesObject"]
    assert values["clusterName"] == run.outputs["clusterName"].value
    assert values["nodeRole"].startswith("groundwork-prod-karpenter-node-")


def test_no_karpenter_nodes_without_karpenter(run_stack):
    names = {r.inputs.get("metadata", {}).get("name") for r in run_stack("prod").resources
             if r.type.startswith("kubernetes:")}
    assert "karpenter-nodes" not in names


def test_flux_add_on_installs_and_upgrades_retry_and_manage_crds():
    releases = _flux_releases()
    assert len(releases) == len(CATALOG)
    for path, release in releases:
        spec = release["spec"]
        assert spec["install"]["remediation"]["retries"] > 0, path
        assert spec["upgrade"]["remediation"]["retries"] > 0, path
        assert spec["upgrade"]["remediation"]["remediateLastFailure"] is True, path
        # helm-controller's code defaults an unset upgrade policy to Create, its docs to Skip.
        assert spec["install"]["crds"] == spec["upgrade"]["crds"] == "CreateReplace", path


# --- add-ons that do something -------------------------------------------------------------------


def _tree_documents(engine: str) -> list[dict]:
    folder = ROOT / "gitops" / "addons" / engine
    docs = [doc for path in sorted(folder.rglob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc]
    for doc in list(docs):
        if doc["kind"] == "ApplicationSet":
            values = doc["spec"]["template"]["spec"]["source"]["helm"]["valuesObject"]
            for extra in values.get("extraObjects", []):
                docs.append(yaml.safe_load(extra) if isinstance(extra, str) else extra)
    return docs


@pytest.mark.parametrize("engine", ENGINES)
def test_cert_manager_comes_with_an_issuer_and_external_secrets_with_a_store(engine):
    docs = {(d["kind"], d["metadata"]["name"]): d for d in _tree_documents(engine)
            if "metadata" in d}
    issuer = docs[("ClusterIssuer", "letsencrypt")]["spec"]["acme"]
    [solver] = issuer["solvers"]
    # Region from the bridge; the zones through the add-on's IAM role (dnsZoneIds).
    assert "aws_region" in solver["dns01"]["route53"]["region"]
    store = docs[("ClusterSecretStore", "aws-secrets-manager")]["spec"]["provider"]["aws"]
    assert store["service"] == "SecretsManager" and "aws_region" in store["region"]
    # No static credential anywhere: the add-on's IRSA role.
    assert "auth" not in store and "accessKeyIDSecretRef" not in json.dumps(issuer)


def test_flux_applies_the_issuer_and_the_store_after_their_add_on():
    kustomizations = {d["metadata"]["name"]: d["spec"] for d in yaml.safe_load_all(
        (ROOT / "gitops" / "addons" / "flux" / "addons.yaml").read_text()) if d}
    suffix = "${fleet_suffix:=}"
    for config, addon in (("addon-cert-manager-issuer", "addon-cert-manager"),
                          ("addon-external-secrets-store", "addon-external-secrets")):
        # The same suffix on both names, so a hub's list for a spoke waits for the spoke's own.
        assert kustomizations[config + suffix]["dependsOn"] == [{"name": addon + suffix}]
        folder = ROOT / "gitops/addons/flux" / config.removeprefix("addon-")
        assert f"flux/{folder.name}/${{enable_" in kustomizations[config + suffix]["path"]
        assert all((folder / switch).is_dir() for switch in ("true", "false"))
