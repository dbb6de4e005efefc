"""Engine concurrency sized from the number of seed apps (components/gitops/concurrency.py) and
how it reaches the chart values."""

from __future__ import annotations

from components.gitops import argocd_manifests, concurrency, flux_manifests

COUNTS = range(0, 5001, 7)


def test_flux_workers_grow_from_the_default_to_the_guides_value():
    workers = [concurrency.flux_concurrent(n) for n in COUNTS]
    assert workers == sorted(workers)
    assert concurrency.flux_concurrent(0) == concurrency.flux_concurrent(100) == 4
    assert concurrency.flux_concurrent(101) == 5
    assert concurrency.flux_concurrent(250) == concurrency.flux_concurrent(5000) == 10


def test_argo_cd_processors_follow_the_high_availability_guide():
    processors = [concurrency.argocd_processors(n) for n in COUNTS]
    assert [p.status for p in processors] == sorted(p.status for p in processors)
    assert [p.operation for p in processors] == sorted(p.operation for p in processors)
    assert concurrency.argocd_processors(400) == concurrency.Processors(20, 10)
    # "For 1000 application we use 50 for --status-processors and 25 for --operation-processors"
    assert concurrency.argocd_processors(1000) == concurrency.Processors(50, 25)
    assert concurrency.argocd_processors(2000) == concurrency.Processors(100, 50)


def test_small_stacks_keep_the_charts_defaults():
    assert flux_manifests.helm_values({}, None, 100) == flux_manifests.helm_values({})
    assert argocd_manifests.helm_values(True, {}, apps=400) == argocd_manifests.helm_values(True,
                                                                                              {})
    assert "params" not in argocd_manifests.helm_values(False, {}, apps=400).get("configs", {})


def test_large_stacks_set_the_workers_and_the_user_has_the_last_word():
    flux = flux_manifests.helm_values({}, None, 1000)
    assert flux["kustomizeController"]["container"]["additionalArgs"] == ["--concurrent=10"]
    argo = argocd_manifests.helm_values(False, {}, apps=1000)["configs"]["params"]
    assert argo == {"controller.status.processors": 50, "controller.operation.processors": 25}
    mine = {"kustomizeController": {"container": {"additionalArgs": ["--concurrent=30"]}}}
    assert flux_manifests.helm_values(mine, None, 1000)["kustomizeController"]["container"] == (
        mine["kustomizeController"]["container"])
    override = {"configs": {"params": {"controller.status.processors": 80}}}
    assert argocd_manifests.helm_values(False, override, apps=1000)["configs"]["params"] == {
        "controller.status.processors": 80, "controller.operation.processors": 25}
