"""The fleet figure: what a hub's render costs per spoke, what one spoke's program costs against
the SDK floor of its resources, and that the hub's own stack does not grow with its spokes.

- Render per spoke. The hub (`fleet-hub`, Argo CD) runs once and one spoke (`fleet-spoke-a`) once
  against it. The spoke's registration in the hub is cloned N times, its stack name (in names,
  labels and annotations) and its API server replaced in every string, as if N spokes like it had
  registered; the hub's render with them (`render_stack`: validation of the hub's and the
  registered objects, the expansion, resources.md and plan.json; then the secrets guard and the
  files written) is timed in process for N in SPOKE_COUNTS, the sizes taken in rotation, CPU time,
  medians. Clones, not N spoke programs: a spoke run takes about a second, and the hub's render
  reads only what spokes register. Not timed: the runs, and each spoke's own render under
  spokes/<stack>/ (that stack's render, the same whatever the hub).
- Evaluation per spoke. The spoke's program against the hub's outputs and the SDK and core floors
  of the resources it registered (floor.py: the same resources, inputs and options, registered
  flat through the provider SDK classes the program used, or through one generic class), and the
  same stack standalone beside its floors, in turn in this process after a first run of each,
  CPU time, the median of EVALUATION_REPEATS each.
  In process rather than in fresh ones (probe.py): the ratio is the program's own cost over
  the registration's, without the SDK imports and module loads both pay once per process.
- Cost per spoke. What being a spoke adds to a stack (its access for the hub and its
  registration in the hub, about ten resources) is a few hundredths of a second beside the rest
  of the cluster program, less than that program's run-to-run spread, so the two components are
  measured like a seed app: SpokeAccess and SpokeRegistration, with the arguments the spoke's
  program gives them (Outputs where its were), K times in one program under distinct names, for
  K in REGISTRATION_COUNTS, beside that program's SDK and core floors, in rotation; the cost per
  spoke is the CPU-time slope, and each round's ratio is kept beside the medians'. Building their
  arguments from the hub's outputs (stack_args) is left out.
- O(1) hub: the resources the hub's render counts for the hub stack, at every N.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast
from unittest import mock

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.aws.fleet import SpokeAccess, SpokeAccessArgs
from components.common.kubernetes_provider import PROVIDER_SETTINGS
from components.gitops.fleet import SpokeRegistration, SpokeRegistrationArgs
from tools import harness
from tools.bench import floor
from tools.bench.slopes import LINEAR_TOLERANCE, early_and_late, growth, over, round_ratios, slope
from tools.harness import ROOT, Run
from tools.harness.tree import DESCEND, rebuild
from tools.render import command as render
from tools.render import fleet
from tools.render.manifests import K8sObject
from tools.render.validate import Validator

HUB, SPOKE = "fleet-hub", "fleet-spoke-a"
SPOKE_COUNTS = (1, 10, 50, 100, 200)
# Samples of each size and of each evaluation. More than the other figures' five: the slopes are
# differences of in-process timings a few hundred milliseconds apart, which other load on a
# two-core machine moves by as much; a round of every size takes about five seconds.
REPEATS = 9
# A round of the six evaluations takes about a second; what being a spoke adds is a difference of
# medians about 20 ms apart, so it takes more rounds than the render to settle.
EVALUATION_REPEATS = 21
# The slopes compared for linear growth, as the seed apps' 100 -> 1,000 against 1,000 -> 2,000.
EARLY, LATE = (10, 100), (100, 200)
# Spokes' registrations in one program, for the cost per spoke: about 20 ms each, so a round of
# the three sizes, the program and its two floors takes about eight seconds.
REGISTRATION_COUNTS = (10, 50, 100)
REGISTRATION_REPEATS = 9


def _server(run: Run) -> str:
    """The spoke's API server, as its kubeconfig output names it."""
    [cluster] = yaml.safe_load(run.outputs["kubeconfig"].value)["clusters"]
    return str(cluster["cluster"]["server"])


def clones(spoke: fleet.Spoke, count: int) -> list[fleet.Spoke]:
    """`count` spokes registering what `spoke` registers, each under its own stack name and API
    server. They share `spoke`'s run: the hub's render reads a spoke's run only for the add-on
    roles of what it delivers there."""
    assert spoke.run is not None
    server = _server(spoke.run)
    region = fleet.region(spoke.config)
    made = []
    for i in range(count):
        stack = f"{spoke.stack}-{i:04d}"
        other = (f"https://{hashlib.sha256(stack.encode()).hexdigest()[:32].upper()}"
                 f".gr7.{region}.eks.amazonaws.com")

        def swap(_path: Any, node: Any, stack: str = stack, other: str = other) -> Any:
            if isinstance(node, str):
                return node.replace(server, other).replace(spoke.stack, stack)
            return DESCEND

        made.append(replace(spoke, stack=stack, registered=tuple(
            K8sObject(rebuild(o.body, swap), o.resource) for o in spoke.registered)))
    return made


def _render_once(hub: Run, validator: Validator, spokes: render.SpokeRenders,
                 out: Path) -> tuple[float, float, render.Rendered]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    rendered = render.render_stack(hub, validator, ROOT, spokes)
    render.assert_no_secrets(rendered.files, rendered.secrets)
    render.write(out, rendered.files)
    return time.process_time() - cpu, time.perf_counter() - wall, rendered


def render_points(repeats: int, schemas: Path | None) -> dict[int, dict[str, Any]]:
    """Per spoke count: median CPU and wall seconds of the hub's render, and what it counted."""
    hub = harness.run(HUB)
    spoke = fleet.run_spoke(SPOKE, hub, ROOT)
    assert spoke.run is not None, spoke.error
    own = render.render_stack(spoke.run, Validator(schemas, render.cluster_version(spoke.run)),
                              ROOT)
    validator = Validator(schemas, render.cluster_version(hub))
    fleets = {n: [(clone, own) for clone in clones(spoke, n)] for n in SPOKE_COUNTS}
    samples: dict[int, list[tuple[float, float, render.Rendered]]] = {n: [] for n in fleets}
    # What the bench holds beside the render (every size's clones, the runs) is out of the
    # collector's sight, so each sample's collections scan what that render allocates.
    gc.collect()
    gc.freeze()
    with tempfile.TemporaryDirectory(prefix="groundwork-bench-fleet-") as scratch:
        for _ in range(repeats):
            for n, spokes in fleets.items():
                samples[n].append(_render_once(hub, validator, spokes, Path(scratch)))
    gc.unfreeze()
    points = {}
    for n, found in samples.items():
        rendered = found[0][2]
        document = json.loads(rendered.files["plan.json"])
        points[n] = {
            "cpu_s": statistics.median(s[0] for s in found),
            "wall_s": statistics.median(s[1] for s in found),
            "samples_cpu_s": [round(s[0], 4) for s in found],
            "hub_resources": len(document["resources"]),
            "registered": sum(len(s["registered"]) for s in document["fleet"]["spokes"]),
            "expanded_for_spokes": sum(s["expanded"] for s in document["fleet"]["spokes"]),
            "problems": len(rendered.problems),
        }
    return points


def render_figure(points: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """ms per spoke over the whole range, and the early and late slopes compared."""
    def cpu(n: int) -> tuple[int, float]:
        return n, points[n]["cpu_s"]

    early = 1000 * slope(cpu(EARLY[0]), cpu(EARLY[1]))
    late = 1000 * slope(cpu(LATE[0]), cpu(LATE[1]))
    hub = {points[n]["hub_resources"] for n in points}
    return {
        "points": dict(points),
        "ms_per_spoke": 1000 * slope(cpu(min(points)), cpu(max(points))),
        "early_ms_per_spoke": early,
        "late_ms_per_spoke": late,
        "late_over_early": over(late, early),
        "growth": growth(early, late),
        "hub_resources_constant": len(hub) == 1,
    }


def _timed(run: Callable[[], Run]) -> dict[str, float]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    resources = len(run().resources)
    return {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall,
            "resources": resources}


def _with_floors(overrides: Mapping[str, Any] | None, cloud: harness.Cloud | None,
                 program: Callable[[], None] | None = None) -> dict[str, Callable[[], Run]]:
    """A run of the spoke's stack (of `program` instead of its own where given) under
    `overrides` and `cloud`, and of its SDK and core floors: "run", "floor", "core_floor"."""
    def run() -> Run:
        return harness.run(SPOKE, overrides, cloud=cloud, program=program)

    with floor.sdk_classes() as classes:
        spec = floor.spec(run(), classes)

    def registered(sdk: bool) -> Callable[[], Run]:
        return lambda: harness.run(SPOKE, overrides, cloud=cloud,
                                   program=lambda: floor.register(spec, classes=sdk))

    return {"run": run, "floor": registered(True), "core_floor": registered(False)}


def _medians(runs: Mapping[str, Callable[[], Run]], repeats: int) -> dict[str, dict[str, Any]]:
    """Median CPU and wall seconds and resources of each run, and its CPU seconds in each round,
    taken in rotation after a first, untimed run of each (the SDK modules they use are loaded,
    as in any process that ran one)."""
    for run in runs.values():
        run()
    samples: dict[str, list[dict[str, float]]] = {label: [] for label in runs}
    # As in render_points: the hub's run and the specs stay out of every collection's scan.
    gc.collect()
    gc.freeze()
    for _ in range(repeats):
        for label, run in runs.items():
            samples[label].append(_timed(run))
    gc.unfreeze()
    return {label: {key: statistics.median(s[key] for s in found)
                    for key in ("cpu_s", "wall_s", "resources")}
            | {"runs": len(found), "samples_cpu_s": [round(s["cpu_s"], 4) for s in found]}
            for label, found in samples.items()}


def _hub_cloud() -> harness.Cloud:
    hub = harness.run(HUB)
    return harness.Cloud(stacks={fleet.hub_reference(SPOKE, ROOT): {
        name: output.value for name, output in hub.outputs.items()}})


def evaluation(repeats: int) -> dict[str, Any]:
    """The spoke's program and its floors, and the same stack standalone and its floors."""
    cloud = _hub_cloud()
    spoke = _with_floors(None, cloud)
    alone = _with_floors({"fleet": {"role": "standalone"}}, None)
    medians = _medians({"spoke": spoke["run"], "floor": spoke["floor"],
                        "core_floor": spoke["core_floor"], "standalone": alone["run"],
                        "standalone_floor": alone["floor"],
                        "standalone_core_floor": alone["core_floor"]}, repeats)

    def cpu(label: str) -> float:
        return float(medians[label]["cpu_s"])

    return {**medians, "ratio": cpu("spoke") / cpu("floor"),
            "core_ratio": cpu("spoke") / cpu("core_floor"),
            "wall_ratio": medians["spoke"]["wall_s"] / medians["floor"]["wall_s"],
            "standalone_ratio": cpu("standalone") / cpu("standalone_floor")}


@dataclass(frozen=True)
class Arguments:
    """What the spoke's program gives a component: its arguments as plain values (its cluster's
    and the hub's outputs as the mocks resolve them), and where they were Outputs (`outputs`:
    True for an Output, a dict or list of the same for a dict or list holding some)."""

    plain: dict[str, Any]
    outputs: Any

    def given(self, changes: Mapping[str, Any] | None = None, **outputs: Any) -> Any:
        """The arguments with the plain values `changes`, each value an Output where the
        program's was one, and with `outputs` as they are."""
        return {**_as_given({**self.plain, **(changes or {})}, self.outputs), **outputs}


def _outputs(value: Any) -> Any:
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, Mapping):
        return {key: _outputs(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_outputs(item) for item in value]
    return False


def _as_given(plain: Any, outputs: Any) -> Any:
    if outputs is True:
        return pulumi.Output.from_input(plain)
    if isinstance(outputs, dict):
        return {key: _as_given(plain[key], outputs.get(key, False)) for key in plain}
    if isinstance(outputs, list):
        return [_as_given(item, mask) for item, mask in zip(plain, outputs, strict=True)]
    return plain


def registration_args(cloud: harness.Cloud) -> tuple[Arguments, Arguments]:
    """What the spoke's program gives SpokeAccess and SpokeRegistration."""
    captured: dict[str, Arguments] = {}

    def capture(component: type) -> Any:
        init = vars(component)["__init__"]

        def capturing(self: Any, name: str, args: Mapping[str, Any],
                      opts: pulumi.ResourceOptions | None = None) -> None:
            outputs = _outputs(dict(args))
            pulumi.Output.from_input(dict(args)).apply(lambda plain: captured.__setitem__(
                component.__name__, Arguments(plain, outputs)))
            init(self, name, args, opts)

        return mock.patch.object(component, "__init__", capturing)

    with capture(SpokeAccess), capture(SpokeRegistration):
        harness.run(SPOKE, cloud=cloud)
    return captured[SpokeAccess.__name__], captured[SpokeRegistration.__name__]


def registrations(access: Arguments, registration: Arguments, count: int) -> None:
    """`count` spokes' access and registration under distinct names, as the spoke's program makes
    them: the same arguments, Outputs where its were, each registration after its own access,
    through the spoke cluster's Kubernetes provider (for what the registration creates there)."""
    cluster = k8s.Provider("cluster-k8s", kubeconfig=registration.plain["hub_kubeconfig"],
                           **PROVIDER_SETTINGS)
    for i in range(count):
        name, suffix = f"fleet-{i:04d}", f"-{i:04d}"
        registered = registration.plain["name"] + suffix
        granted = SpokeAccess(name, cast(SpokeAccessArgs, access.given()))
        changes = {"name": registered,
                   "bridge": {**registration.plain["bridge"], "fleet_name": registered}}
        SpokeRegistration(name, cast(SpokeRegistrationArgs, registration.given(
            changes, access=granted.principal_arn, assumed_role_arn=granted.assumed_role_arn)),
            opts=pulumi.ResourceOptions(providers=[cluster]))


def per_spoke(repeats: int) -> dict[str, Any]:
    """ms per spoke of SpokeAccess and SpokeRegistration and of their floors, from the CPU-time
    slope over REGISTRATION_COUNTS."""
    cloud = _hub_cloud()
    access, registration = registration_args(cloud)
    runs = {f"{label} {count}": run for count in REGISTRATION_COUNTS
            for label, run in _with_floors(None, cloud, functools.partial(
                registrations, access, registration, count)).items()}
    medians = _medians(runs, repeats)

    counts = REGISTRATION_COUNTS
    first, last = counts[0], counts[-1]

    def cpu(label: str) -> dict[int, float]:
        return {count: medians[f"{label} {count}"]["cpu_s"] for count in counts}

    figure = {label: 1000 * slope((first, cpu(label)[first]), (last, cpu(label)[last]))
              for label in ("run", "floor", "core_floor")}
    early, late = (1000 * s for s in early_and_late(cpu("run")))
    floor_early, floor_late = early_and_late(cpu("floor"))

    def rounds(label: str) -> tuple[list[float], list[float]]:
        return medians[f"{label} {first}"]["samples_cpu_s"], medians[f"{label} {last}"][
            "samples_cpu_s"]

    return {"points": {count: {label: medians[f"{label} {count}"]
                               for label in ("run", "floor", "core_floor")} for count in counts},
            "resources_per_spoke": (medians[f"run {last}"]["resources"]
                                    - medians[f"run {first}"]["resources"]) / (last - first),
            "ms_per_spoke": figure["run"], "floor_ms_per_spoke": figure["floor"],
            "core_floor_ms_per_spoke": figure["core_floor"],
            "ratio": over(figure["run"], figure["floor"]),
            "round_ratios": sorted(round_ratios(rounds("run"), rounds("floor"))),
            "core_ratio": over(figure["run"], figure["core_floor"]),
            "early_ms_per_spoke": early, "late_ms_per_spoke": late,
            "late_over_early": over(late, early),
            "floor_late_over_early": over(floor_late, floor_early),
            "growth": growth(early, late)}


def measure(quick: bool, schemas: Path | None) -> dict[str, Any]:
    """results.json's `fleet`; one sample of each with `quick`. The evaluation first, on a small
    heap: the renders of hundreds of spokes leave a large one, which every garbage collection
    then scans."""
    repeats = 1 if quick else REPEATS
    spoke = evaluation(1 if quick else EVALUATION_REPEATS)
    each = per_spoke(1 if quick else REGISTRATION_REPEATS)
    return {"hub": HUB, "spoke": SPOKE, "engine": "argocd", "spoke_counts": list(SPOKE_COUNTS),
            "synthesis": f"one run of {SPOKE}, its registration in the hub cloned N times with "
                         "distinct stack names and API servers",
            "linear_tolerance": LINEAR_TOLERANCE, "repeats": repeats,
            "evaluation_repeats": 1 if quick else EVALUATION_REPEATS,
            "registration_repeats": 1 if quick else REGISTRATION_REPEATS,
            "render": render_figure(render_points(repeats, schemas)),
            "evaluation": spoke, "per_spoke": each}


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def report(figure: Mapping[str, Any]) -> list[str]:
    """The fleet's sections of the printed report."""
    rendered, spoke, each = figure["render"], figure["evaluation"], figure["per_spoke"]
    points = rendered["points"]
    first, last = min(points, key=int), max(points, key=int)
    return [
        f"### Fleet: the hub's render per spoke ({figure['hub']}, {figure['engine']}; "
        f"{figure['synthesis']})",
        _table(("spokes", "render CPU", "wall", "hub resources", "objects spokes register in "
                "the hub", "Applications for spokes", "problems", "samples"),
               [(n, f"{p['cpu_s']:.3f} s", f"{p['wall_s']:.3f} s", p["hub_resources"],
                 p["registered"], p["expanded_for_spokes"], p["problems"],
                 len(p["samples_cpu_s"]))
                for n, p in points.items()]),
        f"Render: {rendered['ms_per_spoke']:.1f} ms per spoke ({first} → {last}); slope "
        f"{EARLY[0]} → {EARLY[1]}: {rendered['early_ms_per_spoke']:.1f} ms, {LATE[0]} → "
        f"{LATE[1]}: {rendered['late_ms_per_spoke']:.1f} ms, last / first "
        f"{rendered['late_over_early']:.2f} ({rendered['growth']}, tolerance "
        f"{figure['linear_tolerance']}x). Hub stack resources at every N: "
        f"{'constant, O(1)' if rendered['hub_resources_constant'] else '**not constant**'}.",
        f"### Fleet: one spoke's evaluation against the SDK floor ({figure['spoke']}, in "
        "process after a first run, median)",
        _table(("run", "CPU", "wall", "resources", "samples"),
               [(label, f"{m['cpu_s']:.3f} s", f"{m['wall_s']:.3f} s", m["resources"], m["runs"])
                for label, m in (("spoke program", spoke["spoke"]),
                                 ("SDK floor", spoke["floor"]),
                                 ("core SDK floor", spoke["core_floor"]),
                                 ("the same stack standalone", spoke["standalone"]),
                                 ("its SDK floor", spoke["standalone_floor"]),
                                 ("its core SDK floor", spoke["standalone_core_floor"]))]),
        f"Spoke evaluation: {spoke['ratio']:.2f}x the SDK floor (CPU; wall "
        f"{spoke['wall_ratio']:.2f}x; {spoke['core_ratio']:.2f}x the core floor), the whole "
        f"cluster program; the same stack standalone {spoke['standalone_ratio']:.2f}x its own.",
        "### Fleet: cost per spoke (SpokeAccess and SpokeRegistration with the spoke's "
        "arguments, K times in one program, median)",
        _table(("spokes", "resources", "CPU", "SDK floor CPU", "core floor CPU", "samples"),
               [(k, p["run"]["resources"], f"{p['run']['cpu_s']:.3f} s",
                 f"{p['floor']['cpu_s']:.3f} s", f"{p['core_floor']['cpu_s']:.3f} s",
                 p["run"]["runs"]) for k, p in each["points"].items()]),
        f"Per spoke: {each['ms_per_spoke']:.1f} ms for {each['resources_per_spoke']:.0f} "
        f"resources, {each['ratio']:.2f}x the SDK floor ({each['floor_ms_per_spoke']:.1f} ms; "
        f"{min(each['round_ratios']):.2f}x to {max(each['round_ratios']):.2f}x round by round; "
        f"{each['core_ratio']:.2f}x the core floor, {each['core_floor_ms_per_spoke']:.1f} ms); "
        f"slopes {each['early_ms_per_spoke']:.1f} / {each['late_ms_per_spoke']:.1f} ms, last / "
        f"first {each['late_over_early']:.2f} ({each['growth']}; the SDK floor's "
        f"{each['floor_late_over_early']:.2f}: K spokes in one process, where each has a process "
        "of its own, grow the heap every garbage collection scans).",
    ]
