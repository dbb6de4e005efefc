"""tools/render.py end to end, in-process: every stack and engine renders valid, invalid objects
and bad config give their exit codes, no secret reaches a file, and --diff shows what changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from components.config import ENGINES
from tools.harness import Resource
from tools.harness.graph import Graph
from tools.render import command as render
from tools.render.manifests import K8sObject, kubernetes_objects, secret_values
from tools.render.validate import Validator

STACKS = ("dev", "prod", "local")
CANARY_PASSWORD = "canary-pw-7c1e5b0f9d"
CANARY_KEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\ncanary-key-line-one-4f8a2d\n"
              "canary-key-line-two-93b7e1\n-----END OPENSSH PRIVATE KEY-----\n")


@pytest.fixture
def rendered(tmp_path, capsys, schemas_dir):
    """`rendered(stack, *args, out=name)` -> (exit code, out dir, stdout, stderr)."""

    def run(stack: str, *args: str, out: str = "out", schemas: bool = True):
        directory = tmp_path / out
        argv = ["--stack", stack, "--out", str(directory), *args]
        if schemas:
            argv += ["--schemas", str(schemas_dir)]
        code = render.main(argv)
        captured = capsys.readouterr()
        return code, directory, captured.out, captured.err

    return run


# What each compute mode needs of a stack beside cluster.compute: Auto Mode runs no node group and
# no add-on it does itself; Karpenter runs on a system node group (dev's only one) and not beside
# cluster-autoscaler.
COMPUTE_SETS = {
    ("dev", "autoMode"): ["cluster.nodeGroups=[]",
                          'gitops.addons=["metrics-server","external-dns"]'],
    ("prod", "autoMode"): ["cluster.nodeGroups=[]", "cluster.systemNodeGroup=",
                           'gitops.addons=["metrics-server","external-dns"]'],
    ("dev", "karpenter"): ["cluster.systemNodeGroup=general"],
    ("prod", "karpenter"): ['gitops.addons=["metrics-server","aws-load-balancer-controller",'
                            '"external-dns","cert-manager","external-secrets"]'],
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("identity", ["podIdentity", "irsa"])
@pytest.mark.parametrize("compute", ["nodeGroups", "autoMode", "karpenter"])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_compute_mode_and_identity_renders_valid(rendered, stack, compute, identity,
                                                       engine):
    sets = [f"gitops.engine={engine}", f"cluster.compute={compute}",
            f"cluster.workloadIdentity={identity}", *COMPUTE_SETS.get((stack, compute), [])]
    code, out, stdout, stderr = rendered(stack, *[a for s in sets for a in ("--set", s)])
    assert code == render.EXIT_VALID, stdout + stderr
    kinds = {yaml.safe_load(p.read_text())["kind"]
             for p in (out / render.CLUSTER).glob("*.yaml")}
    # Karpenter's NodePool and EC2NodeClass exist, expanded and validated, with Karpenter only.
    assert ({"NodePool", "EC2NodeClass"} <= kinds) == (compute == "karpenter")


def _files(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): p.read_text()
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_renders_valid_under_both_engines(rendered, run_stack, stack, engine):
    code, out, stdout, stderr = rendered(stack, "--set", f"gitops.engine={engine}")
    assert code == render.EXIT_VALID, stdout + stderr
    run = run_stack(stack, gitops__engine=engine)
    objects = kubernetes_objects(run)
    manifests = sorted((out / render.MANIFESTS).glob("*.yaml"))
    assert objects and len(manifests) == len(objects)
    kinds = [yaml.safe_load(p.read_text())["kind"] for p in manifests]
    assert kinds == [o.kind for o in objects]
    plan = json.loads((out / "plan.json").read_text())
    assert [r["urn"] for r in plan["resources"]] and len(plan["resources"]) == len(run.resources)
    validation = plan["validation"]
    assert (validation["valid"], validation["crdChecks"], validation["problems"]) == (
        True, True, [])
    # Only the add-on kinds whose CRDs the charts install are checked by metadata alone.
    assert {entry.split(": ")[1].split(" ")[0] for entry in validation["metadataOnly"]} == {
        "ClusterIssuer/letsencrypt", "ClusterSecretStore/aws-secrets-manager"}
    assert len(plan["helmReleases"]) == len(
        yaml.safe_load((out / "helm-releases.yaml").read_text()))
    # Quiet: nothing but the summary line.
    assert stdout.count("\n") == 1 and stdout.startswith(f"{stack}: {len(objects)} objects")
    assert f"{len(run.resources)} resources" in stdout and "; valid;" in stdout


def test_manifests_are_numbered_in_an_order_kubernetes_can_apply(rendered, run_stack):
    """Namespaces first, then built-in kinds, then custom resources (their CRDs come with the Helm
    releases), and nothing before an object it waits for."""
    _, out, _, _ = rendered("prod")
    run = run_stack("prod")
    by_urn = {o.resource.urn: o for o in kubernetes_objects(run)}
    entries = json.loads((out / "plan.json").read_text())["kubernetesObjects"]
    files = [entry["file"] for entry in entries]
    assert files == sorted(files) == sorted(f"{render.MANIFESTS}/{p.name}"
                                            for p in (out / render.MANIFESTS).iterdir())
    ordered = [by_urn[entry["urn"]] for entry in entries]
    kinds = [o.kind for o in ordered]
    namespaces = kinds.count("Namespace")
    assert namespaces and kinds[:namespaces] == ["Namespace"] * namespaces
    custom = [i for i, o in enumerate(ordered) if "." in o.api_version.split("/")[0]
              and not o.api_version.split("/")[0].endswith(".k8s.io")]
    assert custom and custom == list(range(custom[0], len(ordered)))
    graph = Graph(run)
    assert not [(a.slug, b.slug) for i, a in enumerate(ordered) for b in ordered[i + 1:]
                if graph.waits_for(a.resource, b.resource)]


def _broken_application(resource: Resource) -> K8sObject:
    return K8sObject({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                      "metadata": {"name": "broken", "namespace": "argocd"},
                      "spec": {"project": 7, "sourcee": {},
                               "destination": {"server": "https://kubernetes.default.svc"}}},
                     resource)


def test_an_invalid_object_exits_1_and_names_the_field_path(rendered, monkeypatch):
    real = render.kubernetes_objects
    monkeypatch.setattr(render, "kubernetes_objects",
                        lambda run: [*real(run), _broken_application(run.resources[0])])
    code, out, stdout, _ = rendered("dev")
    assert code == render.EXIT_INVALID
    problems = [line for line in stdout.splitlines() if "Application/broken" in line]
    assert any(line.endswith("Application/broken: spec.sourcee: unknown field")
               for line in problems)
    assert any(": spec.project: 7 is not of type 'string'" in line for line in problems)
    assert all(line.startswith(f"{render.MANIFESTS}/") for line in problems)
    assert "invalid (2 problems)" in stdout.splitlines()[-1]
    assert json.loads((out / "plan.json").read_text())["validation"]["valid"] is False


def test_bad_config_exits_2_with_the_key_path_and_no_traceback(rendered):
    code, out, stdout, stderr = rendered("dev", "--set", "network.cidr=10.0.0.0/33")
    assert code == render.EXIT_CONFIG
    assert "groundwork:network.cidr" in stderr and "Traceback" not in stderr
    assert not out.exists() and stdout == ""


def test_unknown_stack_and_malformed_set_are_usage_errors(rendered):
    code, _, _, stderr = rendered("staging")
    assert code == render.EXIT_CONFIG and "Pulumi.staging.yaml" in stderr
    with pytest.raises(SystemExit) as exited:
        rendered("dev", "--set", "gitops.engine")
    assert exited.value.code == render.EXIT_CONFIG


def test_set_values_are_json_or_text():
    assert render._override("network.azCount=3") == ("network.azCount", 3)
    assert render._override("gitops.engine=flux") == ("gitops.engine", "flux")
    assert render._override('cluster.version="1.34"') == ("cluster.version", "1.34")
    assert render._override('gitCredentials={"username": "a=b"}') == (
        "gitCredentials", {"username": "a=b"})


def test_without_schemas_crd_checks_are_skipped_with_a_warning(rendered, monkeypatch):
    monkeypatch.delenv("GROUNDWORK_SCHEMAS", raising=False)
    code, _, stdout, stderr = rendered("dev", schemas=False)
    assert code == render.EXIT_VALID
    assert "warning:" in stderr and "CRD" in stderr
    assert "valid (CRD checks skipped)" in stdout


def test_require_schemas_refuses_to_skip(rendered, monkeypatch, tmp_path):
    monkeypatch.delenv("GROUNDWORK_SCHEMAS", raising=False)
    code, out, _, stderr = rendered("dev", "--require-schemas", schemas=False)
    assert code == render.EXIT_CONFIG and "--require-schemas" in stderr and not out.exists()
    code, _, _, stderr = rendered("dev", "--schemas", str(tmp_path / "nowhere"), schemas=False)
    assert code == render.EXIT_CONFIG and "no CRD schemas" in stderr


def test_schemas_are_found_through_the_environment(rendered, monkeypatch, schemas_dir):
    monkeypatch.setenv("GROUNDWORK_SCHEMAS", str(schemas_dir))
    code, _, stdout, stderr = rendered("dev", "--require-schemas", schemas=False)
    assert code == render.EXIT_VALID and stderr == "" and "; valid;" in stdout


@pytest.mark.parametrize("engine,credentials,canaries", [
    ("argocd", {"username": "canary-user-31d9", "password": CANARY_PASSWORD},
     ["canary-user-31d9", CANARY_PASSWORD]),
    ("flux", {"sshPrivateKey": CANARY_KEY, "knownHosts": "github.com ssh-ed25519 AAAAcanary"},
     ["canary-key-line-one-4f8a2d", "canary-key-line-two-93b7e1"]),
])
def test_no_rendered_file_contains_a_secret_value(rendered, run_stack, engine, credentials,
                                                  canaries):
    repo = ("https://github.com/groundwork-dev/groundwork.git" if "password" in credentials
            else "ssh://git@github.com/groundwork-dev/groundwork.git")
    overrides = {"gitops.engine": engine, "gitops.repoUrl": repo, "gitCredentials": credentials}
    run = run_stack("dev", **{k.replace(".", "__"): v for k, v in overrides.items()})
    secrets = "\n".join(secret_values(run, []))
    # The credentials reach a resource as secret inputs, so the render has them to leak.
    assert all(canary in secrets for canary in canaries)
    args = [arg for key, value in overrides.items()
            for arg in ("--set", f"{key}={json.dumps(value)}" if not isinstance(value, str)
                        else f"{key}={value}")]
    code, out, stdout, stderr = rendered("dev", *args)
    assert code == render.EXIT_VALID, stdout + stderr
    files = _files(out)
    assert files and not [(name, c) for name, text in files.items() for c in canaries if c in text]
    assert "<redacted>" in "".join(text for name, text in files.items()
                                   if name.startswith(render.MANIFESTS))
    assert not any(c in stdout + stderr for c in canaries)


def test_the_leak_guard_stops_a_render_that_would_write_a_secret(rendered, monkeypatch):
    monkeypatch.setattr(render, "redacted", lambda obj: dict(obj.body))
    code, out, _, stderr = rendered("dev", "--set", f'gitCredentials={{"username": "bot", '
                                                    f'"password": "{CANARY_PASSWORD}"}}')
    assert code == render.EXIT_INVALID and not out.exists()
    assert "error: refusing to write manifests/" in stderr
    assert CANARY_PASSWORD not in stderr and "Traceback" not in stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_libyaml_writes_and_reads_what_pure_python_yaml_does(run_stack, engine):
    run = run_stack("prod", gitops__engine=engine, gitCredentials={
        "sshPrivateKey": CANARY_KEY, "knownHosts": "github.com ssh-ed25519 AAAA\nü.example ssh"},
        gitops__repoUrl="git@github.com:acme/platform.git")
    for obj in kubernetes_objects(run):
        text = render._yaml(obj.body)
        assert text == yaml.safe_dump(obj.body, sort_keys=False, default_flow_style=False,
                                      allow_unicode=True, width=100)
        assert list(render._texts("x.yaml", text)) == [text, *render.strings(obj.body)]


def test_leak_guard_reads_yaml_block_scalars():
    text = yaml.safe_dump({"key": CANARY_KEY})
    assert CANARY_KEY not in text
    with pytest.raises(render.SecretLeak):
        render.assert_no_secrets({"a.yaml": text}, [CANARY_KEY])
    render.assert_no_secrets({"a.yaml": text}, ["something-else"])


def test_diff_shows_a_changed_revision(rendered):
    code, before, _, _ = rendered("dev", out="before")
    assert code == render.EXIT_VALID
    code, _, same, _ = rendered("dev", "--diff", str(before), out="same")
    assert code == render.EXIT_VALID and "+++" not in same
    code, _, stdout, _ = rendered("dev", "--set", "gitops.revision=v2.0.0", "--diff", str(before),
                                  out="after")
    assert code == render.EXIT_VALID
    removed = [line for line in stdout.splitlines() if line.startswith("-") and "main" in line]
    added = [line for line in stdout.splitlines() if line.startswith("+") and "v2.0.0" in line]
    assert removed and added and "+++ " in stdout


def test_diff_needs_a_render_to_compare_with(rendered, tmp_path):
    code, _, _, stderr = rendered("dev", "--diff", str(tmp_path / "missing"))
    assert code == render.EXIT_CONFIG and "--diff" in stderr


def test_resources_md_groups_the_graph_by_component(rendered, run_stack):
    _, out, _, _ = rendered("prod")
    text = (out / "resources.md").read_text()
    run = run_stack("prod")
    chart = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    components = [r for r in run.resources if not r.custom]
    assert chart.count("subgraph ") == len(components) and chart.count("\n  end") >= 1
    arrows = chart.count(" --> ")
    assert 0 < arrows < sum(len(set(r.dependencies)) for r in run.resources)
    table = [line for line in text.split("## Resources", 1)[1].split("##", 1)[0].splitlines()
             if line.startswith("| `")]
    assert len(table) == len(run.resources)
    cells = [[cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in table]
    protected = {(r.type, r.name) for r in run.resources if r.protect}
    assert protected == {(c[0], c[1]) for c in cells if c[4] == "yes"}


def test_plan_json_masks_secret_outputs(rendered, run_stack):
    _, out, _, _ = rendered("dev")
    plan = json.loads((out / "plan.json").read_text())
    run = run_stack("dev")
    assert run.outputs["kubeconfig"].secret and plan["outputs"]["kubeconfig"] == "<secret>"
    assert plan["outputs"]["clusterName"] == run.outputs["clusterName"].value


def test_gitops_tree_documents_are_validated(schemas_dir, tmp_path):
    tree = tmp_path / render.GITOPS_DIR / "apps"
    tree.mkdir(parents=True)
    (tree / "values.yaml").write_text("replicaCount: 2\n")
    (tree / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresource: [a.yaml]\n")
    (tree / "app.yaml").write_text(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "podinfo"}},
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
         "metadata": {"name": "podinfo", "namespace": "argocd"},
         "spec": {"project": "default", "destination": {}, "sourcee": {}}}]))
    problems, documents = render._gitops_problems(Validator(schemas_dir, "1.34"), tmp_path)
    assert documents == 3
    assert sorted(str(p) for p in problems) == [
        "gitops/apps/app.yaml: Application/podinfo: spec.sourcee: unknown field",
        "gitops/apps/kustomization.yaml: Kustomization/?: resource: unknown field",
    ]


def test_the_repository_gitops_tree_is_valid(rendered):
    _, _, stdout, _ = rendered("dev")
    documents = int(stdout.split(" GitOps document")[0].rsplit(", ", 1)[1])
    assert documents > 0 and "; valid;" in stdout


def test_a_patch_is_no_object_of_its_own(run_stack):
    """Flux manual mode suspends each Kustomization through a patch; the render writes the
    Kustomization once, and the patch targets an object the run creates."""
    run = run_stack("dev", gitops__engine="flux",
                    gitops__sync={"automated": False, "prune": True, "selfHeal": False})
    objects = kubernetes_objects(run)
    patches = [r for r in run.resources if r.type.endswith("KustomizationPatch")]
    assert patches and not any(o.resource in patches for o in objects)
    targets = {(o.kind, o.namespace, o.name) for o in objects}
    for patch in patches:
        meta = patch.inputs["metadata"]
        assert ("Kustomization", meta["namespace"], meta["name"]) in targets


@pytest.mark.parametrize("stack", ["fleet-hub", "fleet-spoke-a", "fleet-spoke-b"])
def test_the_fleet_example_renders_each_spoke_against_its_hub(rendered, stack):
    """A spoke reads its hub's outputs: rendered offline, the hub in this project stands in for
    the deployed one, so the spoke's registration in the hub is rendered and validated too. The
    hub alone (`--no-spokes`; tests/tools/test_fleet_render.py renders it with its spokes)."""
    code, out, stdout, stderr = rendered(stack, *(["--no-spokes"] if stack == "fleet-hub" else []))
    assert code == render.EXIT_VALID, stdout + stderr
    documents = [yaml.safe_load(p.read_text()) for p in sorted((out / render.MANIFESTS).glob(
        "*.yaml"))]
    clusters = [d for d in documents if d["kind"] == "Secret"
                and d["metadata"]["labels"].get("argocd.argoproj.io/secret-type") == "cluster"]
    # The hub has its own cluster Secret; a spoke (no engine of its own) only its registration.
    expected = "in-cluster" if stack == "fleet-hub" else f"spoke-{stack}"
    assert [d["metadata"]["name"] for d in clusters] == [expected]


def test_a_spoke_whose_hub_is_not_in_the_project_is_a_config_error(rendered):
    """Without a stack file for the hub, the StackReference reads a stack that does not exist,
    as `pulumi up` would before the hub's first deployment."""
    code, out, _, stderr = rendered("fleet-spoke-a", "--set", "fleet.hub=acme/groundwork/other")
    assert code == render.EXIT_CONFIG and not out.exists()
    assert "acme/groundwork/other" in stderr and "Traceback" not in stderr
