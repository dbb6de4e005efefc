"""The fleet figure's pure parts (tools/bench/fleet.py): the cloned registrations stand for
distinct spokes, the hub's render counts each of them, the slopes and the O(1) check, the report,
and `--only fleet` replacing its figure alone. Nothing here is timed."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from tools import harness
from tools.bench import command as bench
from tools.bench import fleet as bench_fleet
from tools.render import command as render
from tools.render import fleet
from tools.render.validate import Validator

SECRET_TYPE = "argocd.argoproj.io/secret-type"


@pytest.fixture(scope="module")
def hub_and_spoke() -> tuple[harness.Run, fleet.Spoke]:
    hub = harness.run(bench_fleet.HUB)
    spoke = fleet.run_spoke(bench_fleet.SPOKE, hub, harness.ROOT)
    assert spoke.run is not None
    return hub, spoke


def _clusters(spoke: fleet.Spoke) -> list[tuple[str, str, dict]]:
    """The cluster Secrets among what the spoke registers: name, server and labels."""
    return [(o.body["stringData"]["name"], o.body["stringData"]["server"],
             o.body["metadata"]["labels"]) for o in spoke.registered
            if (o.body["metadata"].get("labels") or {}).get(SECRET_TYPE) == "cluster"]


def test_clones_are_distinct_spokes_registering_what_the_spoke_does(hub_and_spoke, schemas_dir):
    hub, spoke = hub_and_spoke
    made = bench_fleet.clones(spoke, 3)
    assert len({c.stack for c in made}) == 3 and spoke.stack not in {c.stack for c in made}
    clusters = [cluster for c in made for cluster in _clusters(c)]
    names, servers = {c[0] for c in clusters}, {c[1] for c in clusters}
    assert len(clusters) == len(names) == len(servers) == 3
    assert not {c[1] for c in _clusters(spoke)} & servers
    assert len({c[2]["environment"] for c in clusters}) == 3
    assert all(len(c.registered) == len(spoke.registered) for c in made)
    # The same add-on switches as the spoke's, and objects the hub's API server accepts.
    [source] = [c[2] for c in _clusters(spoke)]
    assert all({k: v for k, v in c[2].items() if k.startswith("enable_")}
               == {k: v for k, v in source.items() if k.startswith("enable_")} for c in clusters)
    validator = Validator(schemas_dir, render.cluster_version(hub))
    assert [str(p) for c in made for o in c.registered for p in validator.validate(o.body)] == []


def _applications(rendered: render.Rendered) -> int:
    return sum(1 for name, text in rendered.files.items()
               if name.startswith(f"{render.CLUSTER}/") and yaml.safe_load(text)["kind"]
               == "Application")


def test_the_hubs_render_counts_each_clone_as_one_more_spoke(hub_and_spoke, schemas_dir):
    hub, spoke = hub_and_spoke
    assert spoke.run is not None
    own = render.render_stack(spoke.run, Validator(schemas_dir, render.cluster_version(spoke.run)),
                              harness.ROOT)

    def with_spokes(spokes: list[fleet.Spoke]) -> render.Rendered:
        return render.render_stack(hub, Validator(schemas_dir, render.cluster_version(hub)),
                                   harness.ROOT, [(s, own) for s in spokes])

    none, one, made = with_spokes([]), with_spokes([spoke]), bench_fleet.clones(spoke, 4)
    four = with_spokes(made)
    assert one.fleet is not None and four.fleet is not None
    [per_spoke] = {row.expanded for row in one.fleet}
    assert per_spoke > 0
    assert [(row.spoke.stack, len(row.files), row.expanded) for row in four.fleet] == [
        (c.stack, len(spoke.registered), per_spoke) for c in made]
    # Each clone adds what the spoke adds to the hub's expansion, and nothing to the hub stack.
    assert _applications(four) - _applications(none) == 4 * (
        _applications(one) - _applications(none))
    assert {len(json.loads(r.files["plan.json"])["resources"]) for r in (none, four)} == {
        len(hub.resources)}


def _points(cpu: dict[int, float], hub: dict[int, int] | None = None) -> dict[int, dict]:
    return {n: {"cpu_s": c, "wall_s": c, "samples_cpu_s": [c], "hub_resources": (hub or {}).get(
        n, 69), "registered": n, "expanded_for_spokes": 2 * n, "problems": 0}
        for n, c in cpu.items()}


def test_the_render_figure_compares_the_late_slope_with_the_early_one():
    linear = bench_fleet.render_figure(_points({1: 0.1, 10: 0.19, 50: 0.59, 100: 1.09,
                                                200: 2.09}))
    assert linear["ms_per_spoke"] == pytest.approx(1990 / 199)
    assert (linear["early_ms_per_spoke"], linear["late_ms_per_spoke"]) == (
        pytest.approx(10), pytest.approx(10))
    assert linear["growth"] == "linear" and linear["hub_resources_constant"]
    quadratic = bench_fleet.render_figure(_points({n: 0.1 + 1e-4 * n * n
                                                   for n in bench_fleet.SPOKE_COUNTS}))
    assert quadratic["growth"] == "superlinear" and quadratic["late_over_early"] > 2
    growing = bench_fleet.render_figure(_points({1: 0.1, 10: 0.2, 50: 0.6, 100: 1.1, 200: 2.1},
                                                {200: 70}))
    assert not growing["hub_resources_constant"]


def _figure() -> dict:
    timing = {"cpu_s": 0.2, "wall_s": 0.2, "resources": 57, "runs": 9}
    return {"hub": "fleet-hub", "spoke": "fleet-spoke-a", "engine": "argocd", "synthesis": "x",
            "linear_tolerance": 1.2, "repeats": 9,
            "render": bench_fleet.render_figure(_points({1: 0.1, 10: 0.19, 50: 0.59, 100: 1.09,
                                                         200: 2.09})),
            "evaluation": {"spoke": timing, "floor": {**timing, "cpu_s": 0.1}, "ratio": 2.0,
                           "core_floor": {**timing, "cpu_s": 0.08}, "core_ratio": 2.5,
                           "wall_ratio": 2.0, "standalone_ratio": 1.9,
                           "standalone": {**timing, "cpu_s": 0.18, "resources": 49},
                           "standalone_floor": {**timing, "cpu_s": 0.09, "resources": 49},
                           "standalone_core_floor": {**timing, "cpu_s": 0.07, "resources": 49}},
            "per_spoke": {"points": {k: {label: {**timing, "cpu_s": cpu * k, "resources": 10 * k}
                                         for label, cpu in (("run", 0.023), ("floor", 0.02),
                                                            ("core_floor", 0.015))}
                                     for k in (10, 50, 100)},
                          "resources_per_spoke": 10.0, "ms_per_spoke": 23.0,
                          "floor_ms_per_spoke": 20.0, "core_floor_ms_per_spoke": 15.0,
                          "ratio": 1.15, "core_ratio": 1.53, "early_ms_per_spoke": 22.0,
                          "round_ratios": [1.05, 1.12, 1.3],
                          "late_ms_per_spoke": 24.0, "late_over_early": 1.09,
                          "floor_late_over_early": 1.1, "growth": "linear"}}


def test_the_report_reads_the_figure_back_from_json():
    text = "\n\n".join(bench_fleet.report(json.loads(json.dumps(_figure()))))
    assert "| 200 | 2.090 s |" in text and "10.0 ms per spoke (1 → 200)" in text
    assert "linear" in text and "constant, O(1)" in text and "2.00x the SDK floor" in text
    assert "2.50x the core floor" in text and "standalone 1.90x" in text
    assert "| core SDK floor | 0.080 s |" in text
    assert "| 100 | 1000 | 2.300 s | 2.000 s | 1.500 s | 9 |" in text
    assert "Per spoke: 23.0 ms for 10 resources, 1.15x the SDK floor (20.0 ms" in text
    assert "1.05x to 1.30x round by round" in text


def test_only_fleet_replaces_its_figure_and_keeps_the_others(tmp_path, monkeypatch, capsys):
    out = tmp_path / "results.json"
    stale = {"target": "fleet: cost per spoke / SDK floor", "value": 9.0, "met": False}
    kept = {"target": "prod evaluation peak RSS", "value": 100.0, "met": True}
    out.write_text(json.dumps({"scaling": {"kept": True}, bench.FLEET: {"old": True},
                               "targets": [kept, stale]}))
    calls = []

    def measure(quick, schemas):
        calls.append(quick)
        return _figure()

    monkeypatch.setattr(bench_fleet, "measure", measure)
    assert bench.main(["--only", "fleet", "--quick", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["scaling"] == {"kept": True} and "old" not in results[bench.FLEET]
    assert results[bench.FLEET]["render"]["growth"] == "linear" and calls == [True]
    # The fleet's targets are the new figure's; the others stay.
    found = {t["target"]: t for t in results["targets"]}
    assert found["prod evaluation peak RSS"] == kept
    assert found["fleet: cost per spoke / SDK floor"]["value"] == 1.15
    assert found["fleet: cost per spoke / SDK floor"]["rounds"] == [1.05, 1.3]
    assert len(found) == len(results["targets"]) == 3
    printed = capsys.readouterr().out
    assert "### Fleet: the hub's render per spoke" in printed
    assert "Modeled deploy critical path" not in printed
    assert not math.isnan(results[bench.FLEET]["evaluation"]["ratio"])


def _held(run: harness.Run, component: str, registered: str) -> list[tuple]:
    """The spoke's access and registration named `component`, and everything they hold: type,
    name, parent, provider, the dependencies among them and inputs, with `component` and the
    registration's name `registered` spelled as the spoke's program spells them."""
    def plain(text: str) -> str:
        return text.replace(registered, REGISTERED).replace(component, "fleet")

    by_urn = {r.urn: r for r in run.resources}
    held = {r.urn for r in run.resources if r.name == component
            and r.type in ("groundwork:index:SpokeAccess", "groundwork:index:SpokeRegistration")}
    while grown := {r.urn for r in run.resources if r.parent in held} - held:
        held |= grown

    def named(urn: str) -> str:
        urn = urn.rsplit("::", 1)[0] if urn.count("::") > 3 else urn  # a provider: `<urn>::<id>`
        found = by_urn.get(urn)
        return plain(f"{found.type} {found.name}") if found else urn.rsplit("::", 1)[-1]

    return sorted((r.type, plain(r.name), named(r.parent), named(r.provider) if r.provider else "",
                   sorted(named(d) for d in r.dependencies if d in held),
                   plain(json.dumps(r.inputs, sort_keys=True)))
                  for r in run.resources if r.urn in held)


REGISTERED = "spoke-fleet-spoke-a"


def test_the_per_spoke_program_registers_what_a_spoke_adds_once_per_spoke():
    cloud = bench_fleet._hub_cloud()
    access, registration = bench_fleet.registration_args(cloud)
    assert registration.plain["name"] == REGISTERED
    # The program gives the registration its cluster's and the hub's values as Outputs.
    assert registration.outputs["hub_kubeconfig"] is True
    assert registration.outputs["endpoint"] is True
    spoke = harness.run(bench_fleet.SPOKE, cloud=cloud)
    made = harness.run(bench_fleet.SPOKE, cloud=cloud,
                       program=lambda: bench_fleet.registrations(access, registration, 2))
    once = _held(spoke, "fleet", REGISTERED)
    assert len(once) >= 8
    assert any(dependencies for *_, dependencies, _ in once)
    assert any(provider == "pulumi:providers:kubernetes fleet-hub" for *_, provider, _, _ in once)
    for i in range(2):
        assert _held(made, f"fleet-{i:04d}", f"{REGISTERED}-{i:04d}") == once
    # Each copy names its own registration everywhere, the bridge's fleet_name included.
    text = json.dumps([r.inputs for r in made.resources])
    assert text.count(REGISTERED) == text.count(f"{REGISTERED}-0000") + text.count(
        f"{REGISTERED}-0001") > 0
