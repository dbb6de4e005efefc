"""The pure parts of the benchmark: the critical-path model on hand-built graphs, the floor and
ratios, medians, slopes and the growth verdict. Nothing here is timed."""

from __future__ import annotations

import math

import pytest

from tools.bench import command as bench
from tools.harness import Resource

CLUSTER, NODE_GROUP, RELEASE = bench.CLUSTER, bench.NODE_GROUP, bench.RELEASE
K8S_PROVIDER = "pulumi:providers:kubernetes"


def _urn(typ: str, name: str) -> str:
    return f"urn:pulumi:test::groundwork::{typ}::{name}"


class Stack:
    """A hand-built recording: resources by name, edges by name."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}

    def add(self, name: str, typ: str, *after: str, provider: str = "", chart: str = "",
            custom: bool = True) -> None:
        self.resources[name] = Resource(
            urn=_urn(typ, name), id=f"{name}-id", type=typ, name=name, custom=custom, parent="",
            dependencies=[self.resources[d].urn for d in after], protect=False,
            provider=f"{self.resources[provider].urn}::some-id" if provider else "",
            ignore_changes=[],
            inputs={"chart": chart} if chart else {}, secret_paths=[])

    def model(self) -> bench.Model:
        return bench.model(list(self.resources.values()))


def _eks(release_after: tuple[str, ...] = ("general",)) -> Stack:
    """VPC -> subnet -> cluster -> node group -> Argo CD -> one Application, with a NAT gateway
    beside the control plane and an add-on beside the release."""
    s = Stack()
    s.add("gitops", "groundwork:index:ArgoCd", custom=False)
    s.add("vpc", "aws:ec2/vpc:Vpc")
    s.add("subnet", "aws:ec2/subnet:Subnet", "vpc")
    s.add("nat", "aws:ec2/natGateway:NatGateway", "subnet")
    s.add("nat-route", "aws:ec2/route:Route", "nat")
    s.add("cluster", CLUSTER, "subnet")
    s.add("general", NODE_GROUP, "cluster", "nat-route")
    s.add("coredns", "aws:eks/addon:Addon", "cluster", "general")
    s.add("k8s", K8S_PROVIDER, "cluster")
    s.add("argocd", RELEASE, *release_after, provider="k8s", chart="argo-cd")
    s.add("root-app", "kubernetes:argoproj.io/v1alpha1:Application", "argocd", provider="k8s")
    return s


def test_longest_path_runs_through_the_floor_in_order():
    m = _eks().model()
    assert [step.name for step in m.path] == ["vpc", "subnet", "cluster", "general", "argocd",
                                              "root-app"]
    assert m.seconds == 5 + 5 + 600 + 240 + 150 + 5
    assert m.floor == 600 + 240 + 150
    assert [step.name for step in m.floor_parts] == ["cluster", "general", "argocd"]
    assert (m.head, m.tail) == (10, 5)
    assert m.ratio == pytest.approx(1005 / 990)
    assert m.ratio_with_prerequisites == pytest.approx(1.0)
    assert m.findings == ()


def test_steps_carry_start_times_and_slack():
    m = _eks().model()
    starts = {step.name: step.start for step in m.path}
    assert starts["general"] == 610 and starts["argocd"] == 850
    parallel = {step.name: step for step in m.parallel}
    # The NAT gateway finishes at 100 s; its route must be done when the node group starts at 610 s.
    assert parallel["nat"].slack == pytest.approx(610 - 5 - 100)
    # CoreDNS ends 90 s before Argo CD does; then the Application takes 5 s more.
    assert parallel["coredns"].slack == pytest.approx(95)
    assert all(step.slack == 0 for step in m.path)


def test_the_release_reaches_the_cluster_through_its_provider():
    s = _eks(release_after=())
    graph = bench.create_graph(list(s.resources.values()))
    assert graph.waits_for(s.resources["argocd"], s.resources["cluster"])
    assert s.resources["k8s"].urn in graph.edges[s.resources["argocd"].urn]


def test_an_avoidable_step_between_floor_resources_is_reported():
    m = _eks(release_after=("general", "coredns")).model()
    assert "coredns" in [step.name for step in m.path]
    assert m.seconds == 1005 + 60
    assert m.ratio_with_prerequisites == pytest.approx(1065 / 1005)
    assert len(m.findings) == 1 and m.findings[0].startswith("coredns (aws:eks/addon:Addon, 60 s)")
    assert "between floor resources" in m.findings[0]


def test_a_slow_step_before_the_control_plane_is_reported():
    s = _eks()
    s.add("cluster", CLUSTER, "subnet", "nat-route")
    m = s.model()
    assert m.head == 5 + 5 + 90 + 5
    assert any(f.startswith("nat (") and "outside the floor" in f for f in m.findings)


def test_a_release_that_does_not_wait_for_nodes_is_reported_not_rewarded():
    m = _eks(release_after=()).model()
    # Helm would wait for pods that have no node; the model can only say the order is missing.
    assert m.seconds < m.head + m.floor + m.tail
    assert m.ratio_with_prerequisites < 1
    assert any(f.startswith("argocd waits for no aws:eks/nodeGroup") for f in m.findings)


def test_only_the_release_is_the_floor_on_an_existing_cluster():
    s = Stack()
    s.add("k8s", K8S_PROVIDER)
    s.add("flux", RELEASE, provider="k8s", chart="flux2")
    s.add("root", "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization", "flux", provider="k8s")
    m = s.model()
    assert m.floor == bench.ENGINE_RELEASES["flux2"].seconds == 90
    assert m.seconds == 95 and (m.head, m.tail) == (0, 5)
    assert m.ratio_with_prerequisites == 1.0


def test_estimates():
    s = _eks()
    s.add("other", RELEASE, "general", provider="k8s", chart="podinfo")
    r = s.resources
    assert bench.estimate(r["gitops"]) == bench.estimate(r["k8s"]) == bench.NO_TIME
    assert bench.estimate(r["cluster"]).seconds == 600
    assert bench.estimate(r["other"]) == bench.DEFAULT
    assert all(e.source for e in (*bench.DURATIONS.values(), *bench.ENGINE_RELEASES.values()))


def test_median_summary_of_samples():
    samples = [{"total_s": t, "import_s": t / 2, "cpu_s": t * 3, "rss_kib": kib, "resources": 7}
               for t, kib in ((3.0, 2048), (1.0, 1024), (2.0, 4096))]
    summary = bench.summarize(samples)
    assert (summary.total_s, summary.import_s, summary.cpu_s, summary.rss_mib) == (2.0, 1.0, 6.0,
                                                                                   2.0)
    assert (summary.runs, summary.resources) == (3, 7)


def test_measure_samples_labels_in_rotation(monkeypatch):
    order = []

    def fake_probe(request):
        order.append(request["id"])
        return {"total_s": len(order), "import_s": 0.1, "cpu_s": 0.1, "rss_kib": 1024}

    monkeypatch.setattr(bench, "probe", fake_probe)
    found = bench.measure({"a": ({"id": "a"}, 3), "b": ({"id": "b"}, 1), "c": ({"id": "c"}, 2)})
    assert order == ["a", "b", "c", "a", "c", "a"]
    assert {label: s.runs for label, s in found.items()} == {"a": 3, "b": 1, "c": 2}
    assert found["a"].total_s == 4


def test_slope_and_growth():
    assert bench.slope((100, 1.0), (1000, 2.8)) == pytest.approx(0.002)
    assert bench.growth(1.0, 1.4) == "linear"
    assert bench.growth(1.0, 1.6) == "superlinear"
    assert bench.growth(1.0, 0.5) == "sublinear"
    assert bench.growth(-0.1, 1.0) == "unclear"


def test_scaling_reports_the_late_slope_per_app():
    def point(seconds: float, mib: float) -> bench.Summary:
        return bench.Summary(seconds, 0.2, seconds, mib, 0, 3, ())

    s = bench.scaling({1000: point(3.0, 200.0), 10: point(0.51, 100.0), 100: point(0.6, 110.0)})
    assert s.ms_per_app == pytest.approx(2400 / 900)
    assert s.early_ms_per_app == pytest.approx(1.0)
    assert s.kib_per_app == pytest.approx(90 * 1024 / 900)
    assert s.growth == "superlinear"


def test_seed_apps_are_unique_and_spread_over_waves():
    apps = bench.seed_apps(10, 4)
    assert len({a["name"] for a in apps}) == 10
    assert {a["wave"] for a in apps} == {0, 1, 2, 3}


def test_targets_compare_rounded_values_with_their_limits():
    on_floor = _eks().model()
    detour = _eks(release_after=("general", "coredns")).model()
    summary = bench.Summary(1.0, 0.2, 1.0, 100.0, 60, 5, ())
    evaluation = {bench.IMPORT_FLOOR: bench.Summary(0.25, 0.25, 0.25, 50.0, 0, 5, ()),
                  "prod": summary}
    found = {t["target"]: t for t in bench.targets({"a": on_floor, "b": detour}, evaluation, {})}
    assert found["a: critical path / floor"]["met"] is False
    assert found["a: critical path / (prerequisites + floor + follow-ups)"]["met"] is True
    assert found["b: critical path / (prerequisites + floor + follow-ups)"]["met"] is False
    assert found["prod evaluation time / import floor"]["value"] == 4.0
    assert found["prod evaluation time / import floor"]["met"] is True
    assert found["prod evaluation peak RSS"]["met"] is True
    assert math.isclose(found["prod evaluation memory / import floor"]["value"], 2.0)


@pytest.mark.parametrize("stack,engine", [("dev", "argocd"), ("prod", "argocd"), ("local", "flux"),
                                          ("dev", "flux"), ("local", "argocd")])
def test_each_stack_deploys_in_floor_order_with_nothing_avoidable_on_the_path(run_stack, stack,
                                                                             engine):
    m = bench.model(run_stack(stack, gitops__engine=engine).resources)
    kinds = [step.type for step in m.floor_parts]
    # Under the Flux Operator (gitops.ownership git) the engine installs in two steps.
    engine = [RELEASE, bench.FLUX_INSTANCE] if engine == "flux" else [RELEASE]
    assert kinds == ([CLUSTER, NODE_GROUP, *engine] if stack != "local" else engine)
    assert m.findings == ()
    assert m.ratio_with_prerequisites == pytest.approx(1.0)
