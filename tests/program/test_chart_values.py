"""Every Helm value groundwork sets, and every value the sample tree sets for an add-on, is a key
the pinned chart reads (its values.yaml at that version, or its values.schema.json): Helm ignores
an unknown key without a word."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from components.common.catalog import CATALOG
from components.common.deep_merge import merge
from components.gitops import argocd_manifests, flux_manifests
from tests.conftest import ENGINES, STACKS
from tools.harness import ROOT
from tools.render import chart_values
from tools.render.expand import argo_chart
from tools.render.manifests import helm_releases

# The tree's own templating, replaced by a plain value before its values are read as YAML.
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}|\$\{[^}]*\}")


def tree_releases() -> list[tuple[str, str, str, dict]]:
    """(file, chart, version, values) of every add-on chart the sample tree installs, with the
    values of an Argo CD templatePatch merged in."""
    found = []
    for path in sorted((ROOT / "gitops" / "addons").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            if doc.get("kind") == "ApplicationSet":
                source = doc["spec"]["template"]["spec"]["source"]
                values = source.get("helm", {}).get("valuesObject", {})
                patch = doc["spec"].get("templatePatch")
                if patch:
                    patched = yaml.safe_load(_PLACEHOLDER.sub("null", patch))
                    values = merge(
                        values, patched["spec"]["source"]["helm"].get("valuesObject", {}))
                found.append((str(path.relative_to(ROOT)), argo_chart(source),
                              source["targetRevision"], values))
            elif (doc.get("kind") == "HelmRelease"
                  and doc["spec"]["chart"]["spec"]["sourceRef"]["kind"] == "HelmRepository"):
                chart = doc["spec"]["chart"]["spec"]
                found.append((str(path.relative_to(ROOT)), chart["chart"], chart["version"],
                              doc["spec"].get("values", {})))
    return found


def _findings(chart: str, version: str, values: dict) -> list[str]:
    loaded = chart_values.load(chart, version)
    return [f"{chart} {version}: {'.'.join(path)}"
            for path in chart_values.unknown_keys(loaded, values)]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("stack", STACKS)
def test_every_value_the_program_sets_is_read_by_the_chart(run_stack, stack, engine):
    run = run_stack(stack, gitops__engine=engine)
    [release] = helm_releases(run)
    assert _findings(release.chart, release.version, release.values) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_the_concurrency_for_thousands_of_apps_is_read_by_the_chart(run_stack, engine):
    """Small stacks keep the controllers' defaults, so the stacks above never set these."""
    # The chart's concurrency settings: the flux2 chart's (ownership pulumi).
    [release] = helm_releases(run_stack("prod", gitops__engine=engine,
                                        gitops__ownership="pulumi"))
    values = (flux_manifests.helm_values({}, None, 5000) if engine == "flux"
              else argocd_manifests.helm_values(True, {}, apps=5000))
    assert values != (flux_manifests.helm_values({}) if engine == "flux"
                      else argocd_manifests.helm_values(True, {}))
    assert _findings(release.chart, release.version, values) == []


@pytest.mark.parametrize("file,chart,version,values", tree_releases(),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_every_value_the_tree_sets_is_read_by_the_chart(file, chart, version, values):
    assert _findings(chart, version, values) == [], file


def test_both_trees_install_every_add_on_at_one_version():
    versions: dict[str, set[str]] = {}
    for _, chart, version, _ in tree_releases():
        versions.setdefault(chart, set()).add(version)
    assert len(versions) == len(CATALOG) and all(len(v) == 1 for v in versions.values()), versions


def test_the_check_names_chart_version_and_path():
    assert _findings("argo-cd", "10.1.1", {
        "server": {"replicas": 2, "replicaz": 2},
        "global": {"nodeSelector": {"any/label": "x"}, "domian": "x"},
        "redis-ha": {"haproxy": {"nodeSelector": {"a": "b"}}, "replicas": 3},
    }) == ["argo-cd 10.1.1: server.replicaz", "argo-cd 10.1.1: global.domian",
           "argo-cd 10.1.1: redis-ha.haproxy.nodeSelector"]
    # A chart with a values schema: what the schema declares passes.
    assert _findings("external-dns", "1.18.0", {"provider": {"name": "aws"}}) == []


def test_a_version_without_values_is_a_failure(tmp_path):
    with pytest.raises(chart_values.MissingChart, match=r"argo-cd 9\.9\.9: no values"):
        chart_values.load("argo-cd", "9.9.9", tmp_path)


def key_counts() -> Counter[str]:
    """Keys checked per chart across every stack, engine and the tree (for the record)."""
    counts: Counter[str] = Counter()
    for _, chart, version, values in tree_releases():
        counts[f"{chart} {version}"] += chart_values.count_keys(values)
    return counts


def test_key_counts_cover_every_chart():
    assert set(key_counts()) == {f"{c} {v}" for _, c, v, _ in tree_releases()}
