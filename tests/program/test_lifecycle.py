"""Lifecycle as AWS and Kubernetes really behave: in-place bridge updates, node group sizes an
autoscaler owns, and access-entry principals that must exist. (Engine-side deletion order has its
own model in test_engine_deletion.py.)"""

from __future__ import annotations

import json

import pytest
import yaml

from components.config import ConfigError
from tests.conftest import ACCESS, ADMIN_ROLE, STACKS, VIEWER_ROLE
from tools import harness

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


# --- the bridge updates in place (defect 5) ------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_configmaps_and_secrets_update_in_place(run_stack, stack):
    """pulumi-kubernetes replaces a ConfigMap or Secret whose data changes unless the provider
    makes them mutable (provider/pkg/provider/diff.go, forceNewProperties); a replaced Argo CD
    cluster Secret makes the add-on ApplicationSets delete their Applications."""
    [provider] = run_stack(stack).by_type("pulumi:providers:kubernetes")
    assert provider.inputs.get("enableConfigMapMutable") in (True, "true")
    assert provider.inputs.get("enableSecretMutable") in (True, "true")


def test_the_cluster_secret_identity_never_depends_on_config(run_stack):
    """Name, namespace and server are what the cluster generator keys Applications on; they are
    constants, so no config change can replace the Secret."""

    def identity(run):
        [secret] = [r for r in run.by_type("kubernetes:core/v1:Secret")
                    if r.inputs["metadata"]["name"] == "in-cluster"]
        return (secret.inputs["metadata"]["namespace"], secret.inputs["stringData"]["server"])

    argo = {"gitops__engine": "argocd"}
    runs = [run_stack("dev", **argo), run_stack("prod", **argo), run_stack("local", **argo),
            run_stack("dev", gitops__revision="v9.9.9", gitops__addons=["metrics-server"]),
            run_stack("dev", environment="staging", cluster__name="other")]
    assert {identity(run) for run in runs} == {("argocd", "https://kubernetes.default.svc")}


# --- node group sizes (defect 6) -----------------------------------------------------------------


def _groups(run) -> dict[str, dict]:
    return {r.name.removeprefix("cluster-"): r for r in run.by_type(NODE_GROUP)}


def _live(stack: str, sizes: dict[str, int]) -> harness.Cloud:
    name = harness.run(stack, ACCESS).outputs["clusterName"].value
    return harness.Cloud(clusters={name: sizes})


def test_without_an_autoscaler_the_config_owns_the_desired_size():
    # dev runs no cluster-autoscaler: an edit of desiredSize must reach AWS.
    run = harness.run("dev", {"cluster.nodeGroups": [
        {"name": "general", "instanceTypes": ["t3.large"], "minSize": 1, "desiredSize": 3,
         "maxSize": 4}]}, cloud=_live("dev", {"general": 1}))
    general = _groups(run)["general"]
    assert general.inputs["scalingConfig"]["desiredSize"] == 3
    assert general.ignore_changes == []


@pytest.mark.parametrize("live,minimum,maximum,expected", [
    (5, 2, 10, 5),     # the autoscaler's size stands
    (2, 4, 10, 4),     # a raised minSize lifts it, or AWS rejects the update
    (12, 2, 10, 10),   # a lowered maxSize caps it
])
def test_with_an_autoscaler_its_live_size_stands_within_the_new_bounds(live, minimum, maximum,
                                                                      expected):
    prod = yaml.safe_load((harness.ROOT / "Pulumi.prod.yaml").read_text())
    groups = prod["config"]["groundwork:cluster"]["nodeGroups"]
    groups[1] = {**groups[1], "minSize": minimum, "desiredSize": minimum, "maxSize": maximum}
    run = harness.run("prod", {**ACCESS, "cluster.nodeGroups": groups},
                      cloud=_live("prod", {"workloads": live}))
    workloads = _groups(run)["workloads"]
    assert workloads.inputs["scalingConfig"] == {"minSize": minimum, "desiredSize": expected,
                                                 "maxSize": maximum}
    assert workloads.ignore_changes == []
    # A group that does not exist yet starts at the configured size.
    assert _groups(run)["system"].inputs["scalingConfig"]["desiredSize"] == 3


# --- access-entry principals (defect 10) ---------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_ship_no_placeholder_principals(stack):
    config = yaml.safe_load((harness.ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    cluster = config.get("groundwork:cluster", {})
    assert not cluster.get("adminRoleArns") and not cluster.get("viewerRoleArns")


@pytest.mark.parametrize("missing,path", [(ADMIN_ROLE, "cluster.adminRoleArns[0]"),
                                          (VIEWER_ROLE, "cluster.viewerRoleArns[0]")])
def test_up_rejects_a_role_that_does_not_exist_before_creating_anything(missing, path):
    with pytest.raises(ConfigError) as caught:
        harness.run("prod", ACCESS, cloud=harness.Cloud(missing_roles=frozenset({missing})))
    [problem] = caught.value.problems
    assert problem.startswith(f"groundwork:{path}: {missing!r} cannot be read from IAM")
    assert "NoSuchEntity" in problem
    assert caught.value.partial_run.resources == []


def test_existing_roles_pass(run_stack):
    run = run_stack("prod", **{key.replace(".", "__"): value for key, value in ACCESS.items()})
    checked = {i.args["name"] for i in run.invokes if i.token == "aws:iam/getRole:getRole"}
    assert checked == {ADMIN_ROLE.rsplit("/", 1)[1], VIEWER_ROLE.rsplit("/", 1)[1]}


# --- the health gate (defect 7) ------------------------------------------------------------------


WAIT_FOR = "pulumi.com/waitFor"


def _named(run, kind: str, name: str):
    [resource] = [r for r in run.resources
                  if r.type.endswith(f":{kind}") and r.inputs["metadata"]["name"] == name]
    return resource


def _gate(resource) -> str | None:
    return ((resource.inputs.get("metadata") or {}).get("annotations") or {}).get(WAIT_FOR)


def test_up_waits_until_argo_cd_reports_the_root_synced_and_healthy(run_stack):
    root = _named(run_stack("dev", gitops__engine="argocd"), "Application", "root")
    assert json.loads(_gate(root)) == ["jsonpath={.status.sync.status}=Synced",
                                       "jsonpath={.status.health.status}=Healthy"]
    assert root.custom_timeouts["create"] == root.custom_timeouts["update"] == "10m"


def test_up_waits_until_flux_reports_the_source_and_root_ready(run_stack):
    run = run_stack("dev", gitops__engine="flux", gitops__healthTimeout="7m30s")
    for kind in ("GitRepository", "Kustomization"):
        resource = _named(run, kind, "flux-system")
        assert _gate(resource) == "condition=Ready"
        assert resource.custom_timeouts["create"] == "7m30s"
    assert _gate(_named(run, "Kustomization", "podinfo")) is None


@pytest.mark.parametrize("engine", ["argocd", "flux"])
def test_the_gate_is_off_at_zero_and_never_waits_for_a_manual_sync(run_stack, engine):
    off = run_stack("dev", gitops__engine=engine, gitops__healthTimeout="0s")
    # The FluxInstance is always awaited: it installs the CRDs the other objects need.
    assert not any(_gate(r) for r in off.resources if r.type.startswith("kubernetes:")
                   and not r.type.endswith(":FluxInstance"))
    assert not any("create" in r.custom_timeouts for r in off.resources
                   if not r.type.endswith(":FluxInstance"))
    manual = run_stack("dev", gitops__engine=engine,
                       gitops__sync={"automated": False, "prune": True, "selfHeal": False})
    gated = {(r.type.rsplit(":", 1)[1], r.inputs["metadata"]["name"]) for r in manual.resources
             if r.type.startswith("kubernetes:") and _gate(r)
             and not r.type.endswith(":FluxInstance")}
    # A manual root never syncs by itself; Flux's source still shows a wrong URL or credential.
    assert gated == (set() if engine == "argocd" else {("GitRepository", "flux-system")})


def test_a_bad_health_timeout_is_a_config_error():
    with pytest.raises(ConfigError) as caught:
        harness.run("dev", {"gitops.healthTimeout": "soon"})
    assert caught.value.problems == (
        "groundwork:gitops.healthTimeout: 'soon' is not a duration such as 1m or 10m30s",)


# --- Kubernetes upgrades on a live stack ---------------------------------------------------------


@pytest.mark.parametrize("live,wanted,expected", [
    ("1.33", "1.35", "groundwork:cluster.version: '1.35' skips minor versions from the running "
                     "'1.33'; EKS upgrades 1 minor version at a time"),
    ("1.35", "1.34", "groundwork:cluster.version: '1.34' is older than the running '1.35'; EKS "
                     "cannot downgrade a control plane"),
])
def test_a_jump_or_a_downgrade_of_the_live_cluster_is_refused_before_anything_changes(
        live, wanted, expected):
    name = "groundwork-dev"
    cloud = harness.Cloud(clusters={name: {"general": 2}}, versions={name: live})
    with pytest.raises(ConfigError) as caught:
        harness.run("dev", {"cluster.version": wanted}, cloud=cloud)
    [problem] = caught.value.problems
    assert problem.startswith(expected), problem
    assert caught.value.partial_run.resources == []


@pytest.mark.parametrize("live", ["1.34", "1.33"])
def test_one_minor_at_a_time_passes(live):
    name = "groundwork-dev"
    cloud = harness.Cloud(clusters={name: {"general": 2}}, versions={name: live})
    run = harness.run("dev", {"cluster.version": "1.34"}, cloud=cloud)
    [cluster] = run.by_type("aws:eks/cluster:Cluster")
    assert cluster.inputs["version"] == "1.34"


# --- switching engines on a live stack (defect 4) ------------------------------------------------


def _previous(engine: str, ownership: str = "git") -> harness.Cloud:
    return harness.Cloud(previous_outputs={"gitopsEngine": engine, "gitopsOwnership": ownership})


@pytest.mark.parametrize("old,new", [("argocd", "flux"), ("flux", "argocd")])
def test_a_direct_switch_on_a_live_stack_is_refused_before_anything_changes(old, new):
    with pytest.raises(ConfigError) as caught:
        harness.run("dev", {"gitops.engine": new}, cloud=_previous(old))
    [problem] = caught.value.problems
    assert problem.startswith(f"groundwork:gitops.engine: this stack runs {old!r}; switching to "
                              f"{new!r} takes two updates: set gitops.engine to 'none'")
    assert caught.value.partial_run.resources == []


@pytest.mark.parametrize("old,new", [("argocd", "none"), ("none", "flux"), ("flux", "flux"),
                                     (None, "argocd")])
def test_the_two_step_switch_and_ordinary_updates_pass(old, new):
    cloud = _previous(old) if old else None
    run = harness.run("dev", {"gitops.engine": new}, cloud=cloud)
    assert run.outputs["gitopsEngine"].value == new
    engine_objects = [r for r in run.resources if r.type.startswith("kubernetes:")
                      and r.type != "kubernetes:storage.k8s.io/v1:StorageClass"]
    assert bool(engine_objects) == (new != "none")
