"""The render of a fleet hub with its spokes (tools/render/fleet.py, fleet_report.py): every stack
file naming the hub is run against the hub's run and rendered under spokes/<stack>/; what the
spokes register in the hub is validated as the hub's and expanded with it, so each add-on
ApplicationSet makes one Application per cluster its selector matches; resources.md charts the
fleet and counts what each spoke gets. `fleet_project` is a copy of the project to edit.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
import yaml

from components.gitops import flux_manifests
from components.gitops.fleet_manifests import registration_name
from tools import harness
from tools.render import command as render
from tools.render import fleet
from tools.render.command import cluster_version
from tools.render.expand import Spoke, expand
from tools.render.manifests import K8sObject
from tools.render.validate import Validator

HUB = "fleet-hub"
SPOKES = ("fleet-spoke-a", "fleet-spoke-b")
SECRET_TYPE = "argocd.argoproj.io/secret-type"
LBC = "lbc-spoke-a"


@pytest.fixture
def fleet_project(tmp_path) -> Path:
    for path in [*harness.ROOT.glob("Pulumi*.yaml"), harness.ROOT / "__main__.py"]:
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(harness.ROOT / "gitops", tmp_path / "gitops")
    return tmp_path


def _render(project: Path, schemas_dir: Path, capsys, *args: str,
            stack: str = HUB) -> tuple[int, Path, str, str]:
    out = project / "out"
    code = render.main(["--stack", stack, "--out", str(out), "--schemas", str(schemas_dir),
                        *args], root=project)
    captured = capsys.readouterr()
    return code, out, captured.out, captured.err


def _files(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): p.read_text()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def _mermaid(out: Path) -> str:
    """The fleet section's flowchart."""
    fleet_section = (out / "resources.md").read_text().split("## Fleet", 1)[1]
    return fleet_section.split("```mermaid\n", 1)[1].split("```", 1)[0]


def _plan(out: Path) -> dict:
    return json.loads((out / "plan.json").read_text())


# --- the fleet render, both engines ---------------------------------------------------------------


def test_an_argocd_hub_renders_valid_with_each_spoke_as_its_own_render(fleet_project, schemas_dir,
                                                                        capsys):
    code, out, stdout, stderr = _render(fleet_project, schemas_dir, capsys)
    assert code == render.EXIT_VALID, stdout + stderr
    for stack in SPOKES:
        # The same files as the spoke's own render.
        alone = fleet_project / f"alone-{stack}"
        assert render.main(["--stack", stack, "--out", str(alone), "--schemas", str(schemas_dir)],
                           root=fleet_project) == render.EXIT_VALID
        assert _files(out / "spokes" / stack) == _files(alone)
    chart = _mermaid(out)
    assert all(f'["{stack}<br/>' in chart for stack in SPOKES) and f'["{HUB} (hub)' in chart
    assert [s["stack"] for s in _plan(out)["fleet"]["spokes"]] == list(SPOKES)
    # One summary line, with each spoke's counts.
    [line] = stdout.splitlines()
    assert line.startswith(f"{HUB}: ") and "; valid;" in line
    # A cluster Secret (its bridge patched in), the add-ons project, the apps project and an
    # Application per app the spoke's labels select; the add-on Applications the hub makes.
    assert line.endswith("; spokes: fleet-spoke-a (4 registered, 2 expanded), "
                         "fleet-spoke-b (5 registered, 1 expanded)")


def test_a_flux_hub_renders_every_spoke_valid(fleet_project, schemas_dir, capsys):
    """`--set gitops.engine=flux` is the hub's; the spokes run no engine and stay so. fleet-spoke-b,
    in another account, grants the hub's role itself."""
    code, out, stdout, stderr = _render(fleet_project, schemas_dir, capsys,
                                        "--set", "gitops.engine=flux")
    assert code == render.EXIT_VALID, stdout + stderr
    plan = _plan(out)
    assert plan["validation"]["valid"] and plan["fleet"]["hub"]["engine"] == "flux"
    for stack in SPOKES:
        assert _plan(out / "spokes" / stack)["validation"]["valid"]
    a, b = plan["fleet"]["spokes"]
    # Two ConfigMaps and the add-on list, then per app a GitRepository, the name of the account
    # it impersonates on the spoke, and a Kustomization.
    assert (a["engine"], a["error"], len(a["registered"])) == ("none", "", 6)
    assert (b["error"], len(b["registered"])) == ("", 9)
    chart = _mermaid(out)
    assert '["fleet-spoke-a<br/>' in chart and '["fleet-spoke-b<br/>' in chart
    assert "assumes a role" not in chart and "config error" not in chart


def test_a_flux_spokes_releases_run_on_the_spoke(fleet_project, schemas_dir, capsys):
    """The hub's add-on list for a spoke, as kustomize-controller builds it with its patches:
    every HelmRelease it makes reaches the spoke through the spoke's kubeConfig and keeps its
    Helm storage in its own namespace there; the objects for the cluster itself go to the spoke
    too; and nothing is named like the hub's own."""
    code, out, stdout, stderr = _render(fleet_project, schemas_dir, capsys,
                                        "--set", "gitops.engine=flux")
    assert code == render.EXIT_VALID, stdout + stderr
    built = [doc for doc in (yaml.safe_load(p.read_text())
                             for p in sorted((out / "cluster").glob("*.yaml")))
             if doc.get("metadata")]
    for stack in SPOKES:
        name = registration_name(stack)
        remote = {"configMapRef": {"name": f"{name}-kubeconfig"}}
        releases = [d for d in built if d["kind"] == "HelmRelease"
                    and d["metadata"]["name"].endswith(f"-{name}")]
        assert releases
        for release in releases:
            assert release["spec"]["kubeConfig"] == remote
            assert release["spec"]["storageNamespace"] == release["spec"]["targetNamespace"]
        lists = [d for d in built if d["kind"] == "Kustomization"
                 and d["metadata"]["name"].endswith(f"-{name}")]
        assert {d["metadata"]["labels"]["groundwork.dev/target"] for d in lists} == {
            "engine", "cluster"}
        for inner in lists:
            if inner["metadata"]["labels"]["groundwork.dev/target"] == "cluster":
                assert inner["spec"]["kubeConfig"] == remote
            else:
                assert "kubeConfig" not in inner["spec"]
    hub_releases = [d for d in built if d["kind"] == "HelmRelease"
                    and "spoke-" not in d["metadata"]["name"]]
    assert hub_releases and all("kubeConfig" not in d["spec"] for d in hub_releases)


def test_a_spoke_running_the_hubs_engine_follows_its_override(fleet_project, schemas_dir, capsys):
    """A spoke runs its hub's engine or none: one set to the hub's engine follows `--set
    gitops.engine` to the new one; one set to none stays none."""
    path = fleet_project / "Pulumi.fleet-spoke-a.yaml"
    path.write_text(path.read_text().replace("engine: none", "engine: argocd"))
    code, out, stdout, stderr = _render(fleet_project, schemas_dir, capsys,
                                        "--set", "gitops.engine=flux")
    assert code == render.EXIT_VALID, stdout + stderr
    a, b = _plan(out)["fleet"]["spokes"]
    assert (a["engine"], a["error"], b["engine"]) == ("flux", "", "none")
    assert _plan(out / "spokes" / "fleet-spoke-a")["outputs"]["gitopsEngine"] == "flux"


def test_a_spoke_whose_own_engine_differs_from_its_hubs_stays_a_config_error(
        fleet_project, schemas_dir, capsys):
    """The follow rule does not hide a stack file that is wrong already."""
    path = fleet_project / "Pulumi.fleet-spoke-a.yaml"
    path.write_text(path.read_text().replace("engine: none", "engine: flux"))
    code, out, _, stderr = _render(fleet_project, schemas_dir, capsys)
    assert code == render.EXIT_CONFIG
    assert "error: spoke fleet-spoke-a of fleet-hub: " in stderr
    assert "groundwork:gitops.engine" in stderr
    assert _plan(out)["fleet"]["spokes"][0]["error"]


def test_no_spokes_renders_the_hub_alone_and_drops_a_stale_fleet(fleet_project, schemas_dir,
                                                                  capsys):
    _render(fleet_project, schemas_dir, capsys)
    code, out, stdout, _ = _render(fleet_project, schemas_dir, capsys, "--no-spokes")
    assert code == render.EXIT_VALID
    assert not (out / "spokes").exists()
    assert "## Fleet" not in (out / "resources.md").read_text() and "fleet" not in _plan(out)
    assert "; spokes:" not in stdout and "; no spokes" not in stdout


# --- what the engine creates for each cluster -----------------------------------------------------


def _labels_match(selector: dict, labels: dict) -> bool:
    """matchLabels, which every add-on ApplicationSet of the tree selects clusters by."""
    assert set(selector) <= {"matchLabels"}, selector
    return all(labels.get(key) == value for key, value in selector["matchLabels"].items())


def _cluster_secrets(out: Path) -> list[dict]:
    """The hub's cluster Secrets and those the spokes register in it, as written."""
    files = [*(out / "manifests").glob("*.yaml"),
             *(out / f for spoke in _plan(out)["fleet"]["spokes"] for f in spoke["registered"])]
    documents = [yaml.safe_load(f.read_text()) for f in files]
    return [d for d in documents if d["kind"] == "Secret"
            and d["metadata"]["labels"].get(SECRET_TYPE) == "cluster"]


def test_every_addon_applicationset_makes_one_application_per_matching_cluster(
        fleet_project, schemas_dir, capsys):
    code, out, stdout, stderr = _render(fleet_project, schemas_dir, capsys)
    assert code == render.EXIT_VALID, stdout + stderr
    clusters = _cluster_secrets(out)
    assert len(clusters) == 1 + len(SPOKES)
    made: dict[str, int] = {}
    for path in (out / "cluster").glob("*.yaml"):
        generator = path.read_text().splitlines()[0].removeprefix("# ")
        made[generator] = made.get(generator, 0) + 1
    expected = {}
    for path in sorted((fleet_project / "gitops/addons/argocd").glob("*.yaml")):
        appset = yaml.safe_load(path.read_text())
        [generator] = appset["spec"]["generators"]
        expected[appset["metadata"]["name"]] = sum(
            _labels_match(generator["clusters"]["selector"], c["metadata"]["labels"])
            for c in clusters)
    assert {name: made.get(f"ApplicationSet {name}", 0) for name in expected} == expected
    # The spokes count: one add-on goes to all three clusters.
    assert max(expected.values()) == 1 + len(SPOKES)


def test_each_spoke_is_counted_the_applications_whose_destination_it_is(fleet_project,
                                                                        schemas_dir, capsys):
    _render(fleet_project, schemas_dir, capsys)
    out = fleet_project / "out"
    applications = [yaml.safe_load(p.read_text()) for p in (out / "cluster").glob("*.yaml")]
    applications = [a for a in applications if a["kind"] == "Application"]
    for spoke in _plan(out)["fleet"]["spokes"]:
        run = harness.run(spoke["stack"], project_dir=fleet_project,
                          cloud=harness.hub_cloud(spoke["stack"], None, fleet_project))
        [cluster] = yaml.safe_load(run.outputs["kubeconfig"].value)["clusters"]
        server = cluster["cluster"]["server"]
        mine = [a for a in applications if a["spec"]["destination"].get("server") == server]
        assert mine and spoke["expanded"] == len(mine)


def test_objects_two_applications_deploy_to_one_cluster_are_a_finding_expanded_once(
        fleet_project, schemas_dir, capsys):
    """`cluster-addons` made for every cluster, its Applications all deploying the add-on
    ApplicationSets next to the hub's Argo CD (the sample tree before it delivers to spokes):
    each extra Application's copy is reported once per object, and expanded once."""
    path = fleet_project / "gitops/argocd/cluster-addons.yaml"
    appset = yaml.safe_load(path.read_text())
    appset["spec"]["generators"] = [{"clusters": {"selector": {"matchExpressions": [
        {"key": "environment", "operator": "Exists"}]}}}]
    path.write_text(yaml.safe_dump(appset))
    code, out, stdout, _ = _render(fleet_project, schemas_dir, capsys)
    assert code == render.EXIT_INVALID
    shared = [line for line in stdout.splitlines() if "SharedResourceWarning" in line]
    addons = len(list((fleet_project / "gitops/addons/argocd").glob("*.yaml")))
    assert len(shared) == addons * len(SPOKES)
    made = [doc["metadata"]["name"] for doc in (
        yaml.safe_load(p.read_text()) for p in (out / "cluster").glob("*.yaml"))
            if doc["kind"] == "ApplicationSet"]
    assert len(made) == len(set(made))


# --- the fleet chart ------------------------------------------------------------------------------


def test_the_chart_shows_what_each_spoke_gets_and_marks_other_accounts(fleet_project,
                                                                       schemas_dir, capsys):
    _, out, _, _ = _render(fleet_project, schemas_dir, capsys)
    chart = _mermaid(out)
    edges = {line.split()[-1]: line for line in chart.splitlines() if line.startswith("  hub ")}
    nodes = {line.split("[", 1)[0].strip(): line for line in chart.splitlines()
             if "<br/>account" in line}
    assert "account 123456789012<br/>eu-west-1<br/>engine argocd" in nodes["hub"]
    a, b = (next(n for n, text in nodes.items() if f'["{stack}<br/>' in text) for stack in SPOKES)
    assert "account 123456789012<br/>eu-west-1<br/>engine none" in nodes[a]
    assert "account 210987654321<br/>eu-central-1<br/>engine none" in nodes[b]
    # Same account: a solid edge; the other account: dotted, through an assumed role.
    assert edges[a].startswith("  hub -- ") and "assumes a role" not in edges[a]
    assert edges[b].startswith("  hub -. ") and "assumes a role in 210987654321" in edges[b]
    assert "aws-load-balancer-controller, metrics-server<br/>2 Applications" in edges[a]
    assert "metrics-server<br/>1 Application\"" in edges[b]
    table = (out / "resources.md").read_text().split("```", 2)[-1]
    assert "| fleet-spoke-a | 123456789012 | eu-west-1 | none | aws-load-balancer-controller, " \
           "metrics-server | 4 | 2 | hub role |" in table
    assert "| fleet-spoke-b | 210987654321 | eu-central-1 | none | metrics-server | 5 | 1 | " \
           "assumed role |" in table


# --- what spokes register is the hub's ------------------------------------------------------------


def test_what_a_spoke_registers_is_validated_as_the_hubs(fleet_project, schemas_dir, capsys,
                                                         monkeypatch):
    """A registered object the API server would refuse fails the hub's render, named by its file
    under spokes/<stack>/, though the spoke's own render writes it from the run as it is."""
    selected = fleet.registered

    def broken(run):
        return [K8sObject({**o.body, "spec": {}} if o.kind == "Secret" else o.body, o.resource)
                for o in selected(run)]

    monkeypatch.setattr(fleet, "registered", broken)
    code, out, stdout, _ = _render(fleet_project, schemas_dir, capsys)
    assert code == render.EXIT_INVALID
    problems = [line for line in stdout.splitlines() if ": spec: " in line]
    registered = [f for spoke in _plan(out)["fleet"]["spokes"] for f in spoke["registered"]
                  if "-secret-" in f]
    assert len(registered) == len(SPOKES)
    assert sorted(p.split(":")[0] for p in problems) == sorted(registered)


def test_registered_objects_are_selected_by_the_registration_provider_alone():
    hub = harness.run(HUB)
    [a, b] = fleet.spokes(hub, harness.ROOT)
    for spoke in (a, b):
        assert spoke.run is not None
        providers = fleet.hub_providers(spoke.run)
        assert len(providers) == 1
        assert {o.resource.provider.rsplit("::", 1)[0] for o in spoke.registered} == providers
        # Everything else the spoke creates in Kubernetes is its own cluster's.
        assert {o.kind for o in spoke.registered} == {"Secret", "AppProject", "Application"}
        assert all(o.namespace == "argocd" for o in spoke.registered)


# --- Flux: substitution from what each Kustomization names ----------------------------------------


def _spoke_kustomization(sync, *refs: dict, **substitute: str) -> dict:
    """A Kustomization of the hub for a spoke's load balancer controller, as a registration
    would carry it."""
    addon = "aws-load-balancer-controller"
    return flux_manifests.kustomization(
        LBC, f"gitops/addons/flux/{addon}/${{enable_{addon.replace('-', '_')}:=false}}",
        flux_manifests.ROOT, sync, "5m", flux_manifests.budgets.APP,
        kubeConfig={"configMapRef": {"name": f"{registration_name('fleet-spoke-a')}-kubeconfig"}},
        postBuild={"substituteFrom": list(refs), **({"substitute": substitute}
                                                     if substitute else {})})


@pytest.fixture(scope="module")
def flux_fleet() -> tuple[harness.Run, fleet.Spoke]:
    hub = harness.run(HUB, {"gitops.engine": "flux"})
    spoke = fleet.run_spoke("fleet-spoke-a", hub, harness.ROOT)
    assert spoke.run is not None
    return hub, spoke


def test_a_spokes_kustomization_substitutes_from_the_configmap_it_names(flux_fleet, schemas_dir):
    hub, spoke = flux_fleet
    assert spoke.run is not None
    variables = f"{registration_name(spoke.stack)}-cluster-vars"
    kustomization = _spoke_kustomization(
        spoke.run.settings.gitops.sync, {"kind": "ConfigMap", "name": variables},
        {"kind": "ConfigMap", "name": "absent", "optional": True})
    registered = [o.body for o in spoke.registered] + [kustomization]
    result = expand(hub, "flux", harness.ROOT, Validator(schemas_dir, cluster_version(hub)),
                    [Spoke(spoke.stack, spoke.run, registered)])
    assert [str(p) for p in result.findings] == []
    mine = [obj for generator, obj in result.objects if generator == f"Kustomization {LBC}"]
    # Counted with what the spoke's own registration (its add-on list) makes.
    assert mine and result.by_spoke[spoke.stack] > len(mine)
    [release] = [o for o in mine if o["kind"] == "HelmRelease"]
    # The spoke's variables, not the hub's cluster-vars.
    assert release["spec"]["values"]["clusterName"] == "groundwork-fleet-spoke-a"
    hub_releases = [obj for generator, obj in result.objects
                    if obj.get("kind") == "HelmRelease"
                    and obj["metadata"]["name"] == "aws-load-balancer-controller"]
    assert [r["spec"]["values"]["clusterName"] for r in hub_releases] == ["groundwork-fleet-hub"]


@pytest.mark.parametrize("ref,message", [
    ({"kind": "ConfigMap", "name": "absent"},
     "spec.postBuild.substituteFrom[0]: no ConfigMap 'absent' in flux-system"),
    # The kubeConfig map has none of the bridge's variables; the switch set inline selects the
    # add-on's directory, whose release needs them.
    ({"kind": "ConfigMap", "name": "spoke-fleet-spoke-a-kubeconfig"},
     "${aws_cluster_name} is not set in spoke-fleet-spoke-a-kubeconfig and has no default"),
])
def test_a_spokes_kustomization_with_missing_variables_is_a_finding(flux_fleet, schemas_dir, ref,
                                                                    message):
    hub, spoke = flux_fleet
    assert spoke.run is not None
    registered = [o.body for o in spoke.registered] + [_spoke_kustomization(
        spoke.run.settings.gitops.sync, ref, enable_aws_load_balancer_controller="true")]
    result = expand(hub, "flux", harness.ROOT, Validator(schemas_dir, cluster_version(hub)),
                    [Spoke(spoke.stack, spoke.run, registered)])
    assert any(message in str(p) for p in result.findings), [str(p) for p in result.findings]


def test_later_sources_win_and_a_secrets_data_is_decoded(flux_fleet, schemas_dir):
    """kustomize-controller reads substituteFrom in order, a later source's keys over an earlier
    one's, a Secret's data base64-decoded; the inline `substitute` goes over them all."""
    hub, spoke = flux_fleet
    assert spoke.run is not None
    secret = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": "lbc-overrides", "namespace": flux_manifests.NAMESPACE},
              "data": {"aws_cluster_name": base64.b64encode(b"from-the-secret").decode(),
                       "aws_region": base64.b64encode(b"eu-north-1").decode()}}
    kustomization = _spoke_kustomization(
        spoke.run.settings.gitops.sync,
        {"kind": "ConfigMap", "name": f"{registration_name(spoke.stack)}-cluster-vars"},
        {"kind": "Secret", "name": "lbc-overrides"}, aws_region="ap-south-1")
    registered = [o.body for o in spoke.registered] + [secret, kustomization]
    result = expand(hub, "flux", harness.ROOT, Validator(schemas_dir, cluster_version(hub)),
                    [Spoke(spoke.stack, spoke.run, registered)])
    [release] = [obj for generator, obj in result.objects
                 if generator == f"Kustomization {LBC}" and obj["kind"] == "HelmRelease"]
    values = release["spec"]["values"]
    assert (values["clusterName"], values["region"]) == ("from-the-secret", "ap-south-1")
    assert values["vpcId"].startswith("vpc-")
