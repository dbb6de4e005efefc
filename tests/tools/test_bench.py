"""The pure parts of the benchmark: the critical-path model on hand-built graphs, the floor and
ratios, medians, slopes and the growth verdict. Nothing here is timed."""

from __future__ import annotations

import json
import math

import pulumi
import pulumi_kubernetes as k8s
import pytest

from tools import harness
from tools.bench import command as bench
from tools.bench import floor
from tools.harness import Resource
from tools.render import command as render

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
    assert m.seconds == 5 + 5 + 610 + 125 + 73 + 5
    assert m.floor == 610 + 125 + 73
    assert [step.name for step in m.floor_parts] == ["cluster", "general", "argocd"]
    assert (m.head, m.tail) == (10, 5)
    assert m.ratio == pytest.approx(823 / 808)
    assert m.ratio_with_prerequisites == pytest.approx(1.0)
    assert m.findings == ()


def test_steps_carry_start_times_and_slack():
    m = _eks().model()
    starts = {step.name: step.start for step in m.path}
    assert starts["general"] == 620 and starts["argocd"] == 745
    parallel = {step.name: step for step in m.parallel}
    # The NAT gateway finishes at 116 s; its route must be done when the node group starts at 620 s.
    assert parallel["nat"].slack == pytest.approx(620 - 5 - 116)
    # CoreDNS (25 s, so not among the slow ones) ends 48 s before Argo CD does.
    assert list(parallel) == ["nat"]
    assert all(step.slack == 0 for step in m.path)


def test_the_release_reaches_the_cluster_through_its_provider():
    s = _eks(release_after=())
    graph = bench.create_graph(list(s.resources.values()))
    assert graph.waits_for(s.resources["argocd"], s.resources["cluster"])
    assert s.resources["k8s"].urn in graph.edges[s.resources["argocd"].urn]


def test_an_avoidable_step_between_floor_resources_is_reported():
    m = _eks(release_after=("general", "coredns")).model()
    assert "coredns" in [step.name for step in m.path]
    assert m.seconds == 823 + 25
    assert m.ratio_with_prerequisites == pytest.approx(848 / 823)
    assert len(m.findings) == 1 and m.findings[0].startswith("coredns (aws:eks/addon:Addon, 25 s)")
    assert "between floor resources" in m.findings[0]


def test_a_slow_step_before_the_control_plane_is_reported():
    s = _eks()
    s.add("cluster", CLUSTER, "subnet", "nat-route")
    m = s.model()
    assert m.head == 5 + 5 + 106 + 5
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
    assert m.floor == bench.ENGINE_RELEASES["flux2"].seconds == 73
    assert m.seconds == 78 and (m.head, m.tail) == (0, 5)
    assert m.ratio_with_prerequisites == 1.0


def test_estimates():
    s = _eks()
    s.add("other", RELEASE, "general", provider="k8s", chart="podinfo")
    r = s.resources
    assert bench.estimate(r["gitops"]) == bench.estimate(r["k8s"]) == bench.NO_TIME
    assert bench.estimate(r["cluster"]).seconds == 610
    assert bench.estimate(r["other"]) == bench.DEFAULT


def test_every_duration_names_its_source():
    """The issue's medians of public 'Creation complete after' logs, or a stated assumption."""
    estimates = {**bench.DURATIONS, **bench.ENGINE_RELEASES, "default": bench.DEFAULT}
    assert {key: e.seconds for key, e in estimates.items()
            if "issue #18" in e.source and "assumption" not in e.source} == {
        CLUSTER: 610, NODE_GROUP: 125, "aws:ec2/natGateway:NatGateway": 106,
        "aws:eks/addon:Addon": 25, "argo-cd": 73}
    assert all(("issue #18" in e.source) != e.source.startswith("assumption")
               for e in estimates.values()), estimates


def test_the_floor_counts_the_node_group_the_engine_runs_on():
    s = Stack()
    s.add("cluster", CLUSTER)
    # A pool the release does not wait for, recorded first so that a tie would pick it.
    s.add("workloads", NODE_GROUP, "cluster")
    s.add("system", NODE_GROUP, "cluster")
    s.add("k8s", K8S_PROVIDER, "cluster")
    s.add("argocd", RELEASE, "system", provider="k8s", chart="argo-cd")
    m = s.model()
    assert [step.name for step in m.floor_parts] == ["cluster", "system", "argocd"]
    assert m.findings == () and m.ratio == 1


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


def test_round_ratios_pair_the_samples_taken_side_by_side():
    # Round 1: the run grew 2.0 where the floor grew 1.0; round 2: 3.0 against 2.0; round 3's
    # floor did not grow, which says nothing of a ratio.
    assert bench.round_ratios(([1.0, 1.0, 1.0], [3.0, 4.0, 2.0]),
                              ([1.0, 1.0, 1.0], [2.0, 3.0, 1.0])) == [2.0, 1.5]


def test_slope_and_growth():
    assert bench.slope((100, 1.0), (1000, 2.8)) == pytest.approx(0.002)
    assert bench.growth(1.0, 1.15) == "linear"
    assert bench.growth(1.0, 1.3) == "superlinear"
    assert bench.growth(1.0, 0.8) == "sublinear"
    assert bench.growth(-0.1, 1.0) == "unclear"


def _point(cpu: float, mib: float = 100.0, resources: int = 0,
           rounds: tuple[float, ...] = ()) -> bench.Summary:
    return bench.Summary(cpu + 0.1, 0.2, cpu, mib, resources, 5, (), rounds)


def test_scaling_compares_cpu_slopes_with_the_floors():
    s = bench.scaling(
        {2000: _point(21.0, 400.0, 8010, (21.0, 23.0)), 100: _point(1.0, 120.0, 410, (1.0, 1.0)),
         1000: _point(10.0, 250.0, 4010)},
        {100: _point(0.5, rounds=(0.5, 1.0)), 1000: _point(9.5), 2000: _point(19.5, rounds=(19.5,
                                                                                        21.0))},
        {100: _point(0.5), 1000: _point(5.5), 2000: _point(10.0)})
    assert s.resources_per_app == 4
    assert s.ms_per_app == pytest.approx(20_000 / 1900)
    assert s.floor_ms_per_app == pytest.approx(19_000 / 1900)
    assert s.ratio == pytest.approx(20 / 19)
    assert s.core_ratio == pytest.approx(20 / 9.5)
    assert s.round_ratios == (pytest.approx(20 / 19), pytest.approx(22 / 20))
    assert (s.early_ms_per_app, s.late_ms_per_app) == (pytest.approx(10), pytest.approx(11))
    assert s.late_over_early == pytest.approx(1.1) and s.growth == "linear"
    assert s.floor_late_over_early == pytest.approx(1.0)
    assert s.kib_per_app == pytest.approx(280 * 1024 / 1900)
    assert list(s.points) == [100, 1000, 2000]


def test_each_mode_sample_comes_right_before_its_floors_and_the_first_writes_its_spec(tmp_path):
    plan = bench.scaling_plan(tmp_path, quick=False)
    labels = list(plan)
    for mode in bench.MODES:
        for count in bench.SCALING_REPEATS:
            repeats = bench.repeats(mode, count)
            request, samples = plan[f"{mode} {count}"]
            floor, floor_samples = plan[f"{mode} {count} {bench.FLOOR}"]
            core, core_samples = plan[f"{mode} {count} {bench.CORE_FLOOR}"]
            at = labels.index(f"{mode} {count}")
            assert labels.index(f"{mode} {count} {bench.FLOOR}") == at + 1
            assert labels.index(f"{mode} {count} {bench.CORE_FLOOR}") == at + 2
            assert request["dump_floor"] == floor["floor"] == core["floor"]
            assert floor["classes"] is True and "classes" not in core
            assert samples == floor_samples == core_samples == repeats
            assert len(request["overrides"]["gitops.apps"]) == count
    assert all(repeats >= 5 for repeats in bench.SCALING_REPEATS.values())
    assert {bench.repeats(mode, n) for mode in bench.ONE_RESOURCE_MODES
            for n in bench.SCALING_REPEATS} == {bench.ONE_RESOURCE_REPEATS}
    assert all(plan[f"{bench.RENDER} {n}"][1] >= 5 for n in bench.RENDER_REPEATS)
    assert {samples for _, samples in bench.scaling_plan(tmp_path, quick=True).values()} == {1}


def _floors(stack: str, overrides: dict, cloud: harness.Cloud | None = None):
    with floor.sdk_classes() as classes:
        run = harness.run(stack, overrides, cloud=cloud)
    spec = json.loads(json.dumps(floor.spec(run, classes)))
    return run, spec, {name: harness.run(stack, overrides, cloud=cloud,
                                         program=lambda c=c: floor.register(spec, classes=c))
                       for name, c in (("core", False), ("sdk", True))}


def _shape(run: harness.Run) -> list[tuple]:
    # Dependencies on what the run read rather than registered (a StackReference) are not the
    # floor's: it registers what the engine saw registered.
    urns = {r.urn for r in run.resources}
    return sorted((r.type, r.name, r.custom, r.parent, sorted(set(r.dependencies) & urns),
                   r.provider, r.protect, r.ignore_changes, r.custom_timeouts,
                   json.dumps(r.inputs, sort_keys=True)) for r in run.resources)


def test_both_floors_register_the_same_resources_with_plain_inputs():
    run, spec, floors = _floors("local", {"gitops.engine": "flux", "gitops.ownership": "pulumi",
                                          "gitops.apps": bench.seed_apps(6, 2)})
    assert _shape(floors["core"]) == _shape(floors["sdk"]) == _shape(run)
    assert len(run.resources) == 9 + 4 * 6 + 1
    classes = {item["type"]: item["class"] for item in spec if item["class"]}
    # Each through the class the program used: the typed Namespace, the generic CustomResource
    # for a CRD's Kustomization, and not the SDK's RoleBinding (the program registers its own).
    assert classes["kubernetes:core/v1:Namespace"] == (
        "pulumi_kubernetes.core.v1.Namespace:Namespace")
    assert classes["kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization"] == (
        "pulumi_kubernetes.apiextensions.CustomResource:CustomResource")
    assert classes["pulumi:providers:kubernetes"] == "pulumi_kubernetes.provider:Provider"
    assert "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding" not in classes


@pytest.mark.parametrize("stack", ["prod", "fleet-spoke-a"])
def test_the_sdk_floor_registers_every_kind_of_resource_a_stack_has(stack):
    run, spec, floors = _floors(stack, {}, harness.hub_cloud(stack))
    assert _shape(floors["sdk"]) == _shape(run)
    assert sum(1 for item in spec if item["class"]) > len(spec) * 3 // 4


def test_the_sdk_floor_takes_a_crd_definition_through_its_typed_class():
    # A CustomResourceDefinition is a typed class like a Namespace, not a custom resource of a
    # CRD's type (apiextensions.CustomResource), whose arguments differ.
    inputs = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
              "metadata": {"name": "widgets.example.com"},
              "spec": {"group": "example.com", "scope": "Namespaced",
                       "names": {"kind": "Widget", "plural": "widgets"}, "versions": []}}
    item = {"type": "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "name": "crd",
            "custom": True, "parent": -1, "provider": -1, "dependencies": [], "protect": False,
            "ignore_changes": [], "custom_timeouts": {}, "inputs": inputs,
            "class": "pulumi_kubernetes.apiextensions.v1.CustomResourceDefinition:"
                     "CustomResourceDefinition"}
    [made] = harness.run("local", program=lambda: floor.register([item], classes=True)).resources
    assert (made.type, made.inputs) == (item["type"], inputs)


def test_one_type_and_name_through_two_classes_is_refused():
    def program() -> None:
        parent = floor.Component("groundwork:index:Holder", "holder", pulumi.ResourceOptions())
        k8s.core.v1.Namespace("same", metadata={"name": "a"})
        floor.Custom("kubernetes:core/v1:Namespace", "same", {"metadata": {"name": "b"}},
                     pulumi.ResourceOptions(parent=parent))

    with floor.sdk_classes(), pytest.raises(ValueError, match="two classes"):
        harness.run("local", program=program)


def test_the_sdk_floor_refuses_an_input_its_class_does_not_take():
    [item] = [{"type": "kubernetes:core/v1:Namespace", "name": "n", "custom": True, "parent": -1,
               "provider": -1, "dependencies": [], "protect": False, "ignore_changes": [],
               "custom_timeouts": {}, "inputs": {"metadata": {}, "colour": "blue"},
               "class": "pulumi_kubernetes.core.v1.Namespace:Namespace"}]
    with pytest.raises(TypeError, match="takes no colour"):
        harness.run("local", program=lambda: floor.register([item], classes=True))


def test_seed_apps_are_unique_and_spread_over_waves():
    apps = bench.seed_apps(10, 4)
    assert len({a["name"] for a in apps}) == 10
    assert {a["wave"] for a in apps} == {0, 1, 2, 3}


def test_the_render_the_bench_times_is_valid(schemas_dir, tmp_path, capsys):
    # The render probe fails on an invalid render, such as an app whose path is not in the tree.
    assert render.main([*bench.render_args(3), "--out", str(tmp_path)]) == 0, capsys.readouterr()


def test_targets_compare_rounded_values_with_their_limits():
    on_floor = _eks().model()
    detour = _eks(release_after=("general", "coredns")).model()
    summary = bench.Summary(1.0, 0.2, 1.0, 100.0, 60, 5, ())
    evaluation = {bench.IMPORT_FLOOR: bench.Summary(0.25, 0.25, 0.25, 50.0, 0, 5, ()),
                  "prod": summary}
    by_compute = {"a": {"nodeGroups": on_floor, "autoMode": on_floor},
                  "b": {"nodeGroups": detour, "autoMode": on_floor}}
    fleet_figure = {"render": {"late_over_early": 1.3}, "per_spoke": {"ratio": 1.149}}
    found = {t["target"]: t for t in bench.targets({"a": on_floor, "b": detour}, by_compute,
                                                   evaluation, {}, fleet_figure)}
    assert found["fleet: hub render per spoke, last slope / first slope"]["met"] is False
    assert found["fleet: cost per spoke / SDK floor"]["met"] is True
    assert "rounds" not in found["prod evaluation peak RSS"]
    assert found["a: critical path / floor"]["met"] is False
    assert found["a: critical path / (prerequisites + floor + follow-ups)"]["met"] is True
    assert found["b: critical path / (prerequisites + floor + follow-ups)"]["met"] is False
    assert found["prod evaluation time / import floor"]["value"] == 4.0
    assert found["prod evaluation time / import floor"]["met"] is True
    assert found["prod evaluation peak RSS"]["met"] is True
    assert math.isclose(found["prod evaluation memory / import floor"]["value"], 2.0)
    # Auto Mode must be strictly shorter: a tie means it took nothing off the path.
    assert found["a: autoMode critical path / nodeGroups critical path"]["met"] is False
    assert found["b: autoMode critical path / nodeGroups critical path"] == {
        "target": "b: autoMode critical path / nodeGroups critical path",
        "value": round(823 / 848, 4), "limit": 1.0, "unit": "", "strict": True, "met": True}


@pytest.mark.parametrize("stack", bench.COMPUTE_STACKS)
def test_each_compute_mode_is_reported_and_auto_mode_is_the_shortest(stack):
    found = bench.compute_json(bench.compute_models(stack))
    assert list(found) == ["nodeGroups", "autoMode", "karpenter"]
    assert {m["engine"] for m in found.values()} == {"flux"}
    assert found["nodeGroups"]["ratio_to_node_groups"] == 1
    assert min(found, key=lambda compute: found[compute]["seconds"]) == "autoMode"
    assert found["autoMode"]["ratio_to_node_groups"] < 1
    assert NODE_GROUP not in {step["type"] for step in found["autoMode"]["path"]}


@pytest.mark.parametrize("engine", ["argocd", "flux"])
def test_auto_mode_has_the_shortest_critical_path(run_stack, engine):
    """Auto Mode takes the add-on and node group waits off the path: the engine follows the
    control plane."""
    node_groups = bench.model(run_stack("dev", gitops__engine=engine).resources)
    auto = bench.model(run_stack("dev", gitops__engine=engine, cluster__compute="autoMode",
                                 cluster__nodeGroups=[],
                                 gitops__addons=["metrics-server", "external-dns"]).resources)
    assert [step.type for step in auto.floor_parts][:2] == [CLUSTER, RELEASE]
    # Only seconds-long Kubernetes objects (the StorageClass, a namespace) precede the engine.
    assert auto.findings and all("(kubernetes:" in f for f in auto.findings)
    assert auto.seconds < node_groups.seconds


@pytest.mark.parametrize("stack,engine", [("dev", "argocd"), ("prod", "argocd"), ("local", "flux"),
                                          ("dev", "flux"), ("local", "argocd")])
def test_each_stack_deploys_in_floor_order_with_nothing_avoidable_on_the_path(run_stack, stack,
                                                                             engine):
    m = bench.model(run_stack(stack, gitops__engine=engine).resources)
    kinds = [step.type for step in m.floor_parts]
    # Under the Flux Operator (gitops.ownership git) the engine installs in two steps.
    engine = [RELEASE, bench.FLUX_INSTANCE] if engine == "flux" else [RELEASE]
    # The nodes wait for the add-ons they need, so an upgrade moves the add-ons first.
    assert kinds == ([CLUSTER, "aws:eks/addon:Addon", NODE_GROUP, *engine] if stack != "local"
                     else engine)
    assert m.findings == ()
    assert m.ratio_with_prerequisites == pytest.approx(1.0)
