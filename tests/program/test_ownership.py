"""Handing the engine to Git (gitops.ownership git): the bootstrap installs Argo CD or Flux once,
the tree's own definition then manages it, and the two agree, so the hand-off changes nothing
and a later upgrade from Git is no drift for Pulumi."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from components.config import ConfigError
from components.gitops.helm_install import GIT_OWNED_RELEASE_FIELDS
from tests.conftest import ENGINES
from tools import harness
from tools.render.expand import expand, helm_values
from tools.render.manifests import helm_releases, plain
from tools.render.validate import Validator

INSTANCE = "kubernetes:fluxcd.controlplane.io/v1:FluxInstance"
RELEASE = "kubernetes:helm.sh/v3:Release"


def _expanded(run, engine: str, schemas_dir: Path) -> list[dict]:
    result = expand(run, engine, harness.ROOT, Validator(schemas_dir, "1.34"))
    assert result.findings == []
    return [obj for _, obj in result.objects]


@pytest.mark.parametrize("engine", ENGINES)
def test_after_hand_off_pulumi_ignores_exactly_what_git_owns(run_stack, engine):
    git = run_stack("prod", gitops__engine=engine)
    [release] = git.by_type(RELEASE)
    assert release.ignore_changes == list(GIT_OWNED_RELEASE_FIELDS) == ["version", "values"]
    if engine == "flux":
        [instance] = git.by_type(INSTANCE)
        assert instance.ignore_changes == ["spec"]
    # Every other Kubernetes object stays Pulumi's.
    kubernetes = [r for r in git.resources if r.type.startswith("kubernetes:")]
    assert [r for r in kubernetes if r.ignore_changes and r.type not in (RELEASE, INSTANCE)] == []
    pulumi = run_stack("prod", gitops__engine=engine, gitops__ownership="pulumi")
    assert not any(r.ignore_changes for r in pulumi.resources if r.type.startswith("kubernetes:"))
    assert not pulumi.by_type(INSTANCE)


def test_argo_cds_own_application_installs_what_the_bootstrap_did(run_stack, schemas_dir):
    run = run_stack("prod", gitops__engine="argocd")
    [release] = helm_releases(run)
    [app] = [o for o in _expanded(run, "argocd", schemas_dir)
             if o["kind"] == "Application" and o["metadata"]["name"] == "argocd"]
    source = app["spec"]["source"]
    assert (source["chart"], source["targetRevision"]) == (release.chart, release.version)
    assert helm_values(source) == release.values
    assert source["helm"]["releaseName"] == release.name
    # It never deletes Argo CD: no resources finalizer, so deleting it cascades to nothing.
    assert "finalizers" not in app["metadata"]
    appset = yaml.safe_load((harness.ROOT / "gitops/argocd/argocd.yaml").read_text())
    assert appset["spec"]["syncPolicy"]["preserveResourcesOnDeletion"] is True


def test_argo_cds_own_application_exists_only_when_git_owns_it(run_stack, schemas_dir):
    run = run_stack("prod", gitops__engine="argocd", gitops__ownership="pulumi")
    assert not [o for o in _expanded(run, "argocd", schemas_dir)
                if o["kind"] == "Application" and o["metadata"]["name"] == "argocd"]


def _patches(spec: dict) -> list:
    """FluxInstance patches with their patch documents parsed (JSON or YAML)."""
    return [{**p, "patch": yaml.safe_load(p["patch"])} for p in spec["kustomize"]["patches"]]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_trees_flux_instance_is_the_bootstraps(run_stack, schemas_dir, stack):
    run = run_stack(stack, gitops__engine="flux")
    [bootstrap] = run.by_type(INSTANCE)
    [owned] = [o for o in _expanded(run, "flux", schemas_dir) if o["kind"] == "FluxInstance"]
    ours, theirs = plain(bootstrap.inputs)["spec"], owned["spec"]
    assert {k: v for k, v in theirs.items() if k != "kustomize"} == {
        k: v for k, v in ours.items() if k != "kustomize"}
    assert _patches(theirs) == _patches(ours)
    # The root Kustomization's garbage collection never deletes it (that would take Flux away
    # while Flux still deletes the apps); Pulumi deletes it last.
    assert owned["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/prune"] == "disabled"


def test_flux_is_removed_after_everything_it_finalizes(run_stack, graph_of):
    run = run_stack("prod", gitops__engine="flux")
    graph = graph_of(run)
    [instance] = run.by_type(INSTANCE)
    [release] = run.by_type(RELEASE)
    assert graph.waits_for(instance, release)
    flux_objects = [r for r in run.resources if r.type.startswith("kubernetes:")
                    and r.type not in (RELEASE, INSTANCE) and "Namespace" not in r.type
                    and "StorageClass" not in r.type]
    assert flux_objects and all(graph.waits_for(r, instance) for r in flux_objects)
    engine = next(d for d in yaml.safe_load_all(
        (harness.ROOT / "gitops/flux/engine.yaml").read_text()) if d)
    assert (engine["spec"]["prune"], engine["spec"]["deletionPolicy"]) == (False, "Orphan")


def test_placement_reaches_the_controllers_flux_installs(run_stack):
    [instance] = run_stack("prod", gitops__engine="flux").by_type(INSTANCE)
    [placement] = [p for p in _patches(plain(instance.inputs)["spec"])
                   if p["target"] == {"kind": "Deployment"}]
    values = {op["path"].rsplit("/", 1)[1]: op["value"] for op in placement["patch"]}
    assert values["nodeSelector"] == {"groundwork.dev/pool": "system"}
    assert values["tolerations"][0]["key"] == "CriticalAddonsOnly"


@pytest.mark.parametrize("old,new", [("pulumi", "git"), ("git", "pulumi")])
def test_switching_ownership_on_a_live_stack(old, new):
    cloud = harness.Cloud(previous_outputs={"gitopsEngine": "argocd", "gitopsOwnership": old})
    # Argo CD: one update either way (the Application adopts, or lets go of, the same release).
    run = harness.run("dev", {"gitops.engine": "argocd", "gitops.ownership": new}, cloud=cloud)
    assert run.outputs["gitopsOwnership"].value == new
    # Flux changes installer with its owner: a guarded two-step through gitops.engine none.
    flux = harness.Cloud(previous_outputs={"gitopsEngine": "flux", "gitopsOwnership": old})
    with pytest.raises(ConfigError) as caught:
        harness.run("dev", {"gitops.engine": "flux", "gitops.ownership": new}, cloud=flux)
    assert caught.value.problems[0].startswith("groundwork:gitops.ownership: this stack's Flux "
                                               f"is owned by {old!r}")
    assert caught.value.partial_run.resources == []


def test_a_stack_from_before_ownership_keeps_its_flux_until_told(run_stack):
    """Stacks from before ownership ran the community chart, i.e. ownership pulumi."""
    legacy = harness.Cloud(previous_outputs={"gitopsEngine": "flux"})
    with pytest.raises(ConfigError, match="owned by 'pulumi'"):
        harness.run("dev", {"gitops.engine": "flux"}, cloud=legacy)
    harness.run("dev", {"gitops.engine": "flux", "gitops.ownership": "pulumi"}, cloud=legacy)


def test_the_bridge_carries_argo_cds_install_only_when_git_owns_it(run_stack):
    def annotations(run):
        [secret] = [r for r in run.by_type("kubernetes:core/v1:Secret")
                    if r.inputs["metadata"]["name"] == "in-cluster"]
        return secret.inputs["metadata"]
    git = annotations(run_stack("dev", gitops__engine="argocd"))
    assert git["labels"]["argocd_self_managed"] == "true"
    assert json.loads(git["annotations"]["argocd_chart_values"])["dex"] == {"enabled": False}
    pulumi = annotations(run_stack("dev", gitops__engine="argocd", gitops__ownership="pulumi"))
    assert "argocd_self_managed" not in pulumi["labels"]
