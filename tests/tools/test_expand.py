"""The cluster render: the GitOps tree expanded against each stack's bridge, offline. Every stack
and engine expands with no finding (tests/tools/test_render.py); here each kind of finding is
provoked in a copy of the tree and must fail the render naming the file, object and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from components.gitops import flux_manifests
from tools import harness
from tools.render import command as render
from tools.render.expand import build_resource_set
from tools.render.templating import GoTemplate, TemplateError, flux_substitute, go_string


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the program's stack files and GitOps tree to break."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.local.yaml",
                 "__main__.py"):
        shutil.copy(harness.ROOT / name, tmp_path / name)
    shutil.copytree(harness.ROOT / "gitops", tmp_path / "gitops")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def _render(project: Path, schemas_dir, capsys, stack: str, engine: str,
            *overrides: str) -> tuple[int, str]:
    sets = [arg for override in overrides for arg in ("--set", override)]
    code = render.main(["--stack", stack, "--out", str(project / "out"), "--schemas",
                        str(schemas_dir), "--set", f"gitops.engine={engine}", *sets], root=project)
    return code, capsys.readouterr().out


KARPENTER = ("cluster.compute=karpenter", 'gitops.addons=["metrics-server"]')


CASES = {
    "missing bridge key": (
        "argocd", "gitops/addons/argocd/external-dns.yaml",
        '"{{.metadata.annotations.aws_region}}"', '"{{.metadata.annotations.aws_regoin}}"',
        "gitops/addons/argocd/external-dns.yaml: ApplicationSet/addon-external-dns: "
        "spec.template: map has no entry for key 'aws_regoin'"),
    "forbidden destination": (
        "argocd", "gitops/addons/argocd/external-dns.yaml",
        'namespace: "{{.metadata.annotations.external_dns_namespace}}"', "namespace: default",
        "Application/external-dns-in-cluster: spec.destination: "),
    "forbidden kind": (
        "argocd", "gitops/addons/argocd/cert-manager.yaml",
        "apiVersion: cert-manager.io/v1\n              kind: ClusterIssuer",
        "apiVersion: storage.k8s.io/v1\n              kind: StorageClass",
        "Application/cert-manager-in-cluster: spec.project: deploys cluster-scoped storage.k8s.io "
        "StorageClass 'letsencrypt', which AppProject addons does not allow"),
    "unsupported template construct": (
        "argocd", "gitops/addons/argocd/metrics-server.yaml",
        '"metrics-server-{{.name}}"', '"metrics-server-{{ .name | lower }}"',
        "ApplicationSet/addon-metrics-server: spec.template: {{.name | lower}} is not expanded"),
    "missing flux path": (
        "flux", "gitops/addons/flux/addons.yaml",
        'flux/metrics-server/${enable_metrics_server:=false}"',
        'flux/metric-server/${enable_metrics_server:=false}"',
        "Kustomization/addon-metrics-server: spec.path: "),
    "unresolved variable": (
        "flux", "gitops/addons/flux/external-dns/true/release.yaml",
        '"${aws_region}"', '"${aws_regoin}"',
        "HelmRelease/external-dns: postBuild: ${aws_regoin} is not set in cluster-vars"),
    "unknown values key": (
        "flux", "gitops/addons/flux/external-dns/true/release.yaml",
        "  values:\n", "  values:\n    replicaz: 2\n",
        "HelmRelease/external-dns: replicaz: external-dns 1.18.0 reads no such value"),
    "trust mismatch": (
        "flux", "gitops/addons/flux/external-dns/true/release.yaml",
        'name: "${external_dns_service_account}"', "name: external-dns-sa",
        "HelmRelease/external-dns: serviceAccount: the chart runs as external-dns:external-dns-sa,"
        " but the add-on's IAM role trusts external-dns:external-dns"),
}


@pytest.mark.parametrize("engine", ["argocd", "flux"])
def test_a_local_chart_renders_its_templates_with_the_release_values(project, schemas_dir,
                                                                      capsys, engine):
    """Karpenter's NodePool and EC2NodeClass come from the repository's chart with the bridge's
    values, validated against the Karpenter CRDs. (`helm template` of the same chart with the
    same values gives the same two objects: checked with helm v4.1.4 by hand, not in CI.)"""
    code, out = _render(project, schemas_dir, capsys, "prod", engine, *KARPENTER)
    assert code == render.EXIT_VALID, out
    found = {}
    for file in (project / "out" / render.CLUSTER).glob("*.yaml"):
        doc = yaml.safe_load(file.read_text())
        found[doc["kind"]] = doc
    node_class = found["EC2NodeClass"]["spec"]
    assert node_class["role"].startswith("groundwork-prod-karpenter-node-")
    assert node_class["subnetSelectorTerms"] == [
        {"tags": {"karpenter.sh/discovery": "groundwork-prod"}}]
    assert found["NodePool"]["spec"]["template"]["spec"]["nodeClassRef"]["name"] == "default"


@pytest.mark.parametrize("old,new,message", [
    ('nodeRole: ""', 'nodeRoleName: ""', "values.nodeRole: the chart "),
    ("{{ .Values.nodeRole }}", "{{ .Values.nodeRole | lower }}", "is not expanded"),
    ("{{ .Values.nodeRole }}", "{{ .Values.nodeRole | quote }}", "renders to text that is not "
                                                                 "YAML"),
], ids=["unknown value", "unsupported construct", "not yaml"])
def test_a_local_chart_the_render_cannot_trust_is_a_finding(project, schemas_dir, capsys, old,
                                                            new, message):
    file = ("gitops/addons/karpenter-nodes/templates/nodes.yaml" if "{{" in old
            else "gitops/addons/karpenter-nodes/values.yaml")
    _edit(project / file, old, new)
    code, out = _render(project, schemas_dir, capsys, "prod", "flux", *KARPENTER)
    assert code == render.EXIT_INVALID
    assert message in out, out


@pytest.mark.parametrize("case", CASES)
def test_each_kind_of_finding_fails_the_render_naming_file_object_and_key(
        project, schemas_dir, capsys, case):
    engine, file, old, new, message = CASES[case]
    _edit(project / file, old, new)
    code, out = _render(project, schemas_dir, capsys, "prod", engine)
    assert code == render.EXIT_INVALID, out
    assert message in out, out


def test_an_unevaluated_generator_is_a_finding_not_a_silent_skip(project, schemas_dir, capsys):
    _edit(project / "gitops/argocd/cluster-addons.yaml", "    - clusters:",
          "    - scmProvider: {}\n    - clusters:")
    code, out = _render(project, schemas_dir, capsys, "dev", "argocd")
    assert code == render.EXIT_INVALID
    assert "ApplicationSet/cluster-addons: spec.generators[0]: not expanded: generator" in out


def test_the_cluster_folder_holds_what_each_generator_produced(project, schemas_dir, capsys):
    code, _ = _render(project, schemas_dir, capsys, "prod", "argocd")
    assert code == render.EXIT_VALID
    files = sorted((project / "out" / render.CLUSTER).glob("*.yaml"))
    kinds = [yaml.safe_load(f.read_text())["kind"] for f in files]
    # The add-ons tree, six add-ons, and Argo CD itself (gitops.ownership git).
    assert kinds.count("Application") == 8
    assert "## What the engine will create from Git" in (project / "out/resources.md").read_text()


def test_the_diff_shows_a_bridge_change_in_what_the_cluster_runs(project, schemas_dir, capsys):
    base = project / "base"
    assert render.main(["--stack", "dev", "--out", str(base), "--schemas", str(schemas_dir),
                        "--set", "gitops.engine=flux"], root=project) == render.EXIT_VALID
    _edit(project / "gitops/addons/flux/metrics-server/true/release.yaml", "  interval: 30m",
          "  interval: 15m")
    capsys.readouterr()
    code = render.main(["--stack", "dev", "--out", str(project / "out"), "--schemas",
                        str(schemas_dir), "--set", "gitops.engine=flux", "--diff", str(base)],
                       root=project)
    out = capsys.readouterr().out
    assert code == render.EXIT_VALID
    assert f"{render.CLUSTER}/" in out and "-  interval: 30m" in out and "+  interval: 15m" in out


# --- the templating languages --------------------------------------------------------------------


def test_go_templates_resolve_fields_and_refuse_the_rest():
    params = {"name": "in-cluster", "metadata": {"annotations": {"a": "1"}}}
    assert go_string("x-{{.name}}-{{ .metadata.annotations.a }}", params) == "x-in-cluster-1"
    assert go_string('{{ if .name }}{{ print "n-" .name | quote }}{{ end }}', params) == (
        '"n-in-cluster"')
    for bad in ("{{.metadata.labels.x}}", "{{ .name | upper }}", "{{ range .name }}y{{ end }}",
                "{{ $x := .name }}", "{{ if .name }}y", "y{{ end }}"):
        with pytest.raises(TemplateError):
            go_string(bad, params)


@pytest.mark.parametrize("text,expected", [
    # Trim markers take the whitespace, line breaks included, on their side of the action.
    ("a\n  <<- if inputs.on >>\n  b\n  <<- end >>\nc", "a\n  b\nc"),
    ("a\n  <<- if inputs.off >>\n  b\n  <<- end >>\nc", "a\nc"),
    ("<< inputs.on >> << inputs.off | quote >> <<- inputs.n ->> .", 'true ""7.'),
    # Go's %q: quotes, backslashes, control and non-printable characters escaped.
    ('<< inputs.odd | quote >>', '"q\\"\\\\\\n\\x00\\u2028é"'),
    # print: a space only between operands that are not strings.
    ('<< print "a" inputs.n inputs.n "b" >>', "a7 7b"),
])
def test_resource_set_templates_render_as_go_renders_them(text, expected):
    inputs = {"on": True, "off": "", "n": 7, "odd": 'q"\\\n\x00\u2028é'}
    assert GoTemplate(text, "<<", ">>").render(names={"inputs": inputs}) == expected


@pytest.mark.parametrize("text,expected,unresolved", [
    ("${a}", "1", []),
    ("${missing}", "", ["missing"]),
    ("${missing:=fallback}", "fallback", []),
    ("${missing:-fallback}", "fallback", []),
    ("${empty:=fallback}", "fallback", []),
    ("${empty}", "", []),
    ("$${a}", "${a}", []),
    ("${a}-${b}", "1-${b}", ["b"]),
])
def test_flux_substitution_semantics(text, expected, unresolved):
    variables = {"a": "1", "empty": ""}
    result, missing = flux_substitute(text, variables)
    if unresolved == ["b"]:  # an unresolved variable becomes empty, as without strict mode
        expected = "1-"
    assert (result, missing) == (expected, unresolved)


# --- the Flux Operator's ResourceSet --------------------------------------------------------------


def _resource_set(template: str, inputs: list[dict] | None = None) -> dict:
    return {"apiVersion": "fluxcd.controlplane.io/v1", "kind": "ResourceSet",
            "metadata": {"name": "set", "namespace": "flux-system"},
            "spec": {"resourcesTemplate": template,
                     **({"inputs": inputs} if inputs is not None else {})}}


def test_a_resource_set_builds_as_the_operator_builds_it():
    """One copy of the template per input, with the input's provider; an object excluded by its
    annotation is left out; of objects with the same identity the first stays."""
    template = ("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: << inputs.name >>\n"
                "  annotations:\n    fluxcd.controlplane.io/reconcile: << inputs.reconcile >>\n"
                "data:\n  by: << inputs.provider.kind >>/<< inputs.provider.name >>\n"
                "  value: << inputs.value | quote >>\n")
    built = build_resource_set(_resource_set(template, [
        {"name": "a", "reconcile": "enabled", "value": "1"},
        {"name": "b", "reconcile": "disabled", "value": "2"},
        {"name": "a", "reconcile": "enabled", "value": "3"}]))
    assert [(o["metadata"]["name"], o["data"]) for o in built] == [
        ("a", {"by": "ResourceSet/set", "value": "1"})]


def test_a_resource_set_without_inputs_renders_its_template_once():
    built = build_resource_set(_resource_set("apiVersion: v1\nkind: Namespace\nmetadata:\n"
                                             "  name: shared\n"))
    assert [o["metadata"]["name"] for o in built] == ["shared"]
    with pytest.raises(TemplateError, match="map has no entry for key 'name'"):
        build_resource_set(_resource_set("kind: << inputs.name >>"))


def test_the_render_expands_the_seed_apps_resource_set(project, schemas_dir, capsys):
    code = render.main(["--stack", "local", "--out", str(project / "out"), "--schemas",
                        str(schemas_dir), "--set", "gitops.flux.resourceSet=true"], root=project)
    out = capsys.readouterr().out
    assert code == render.EXIT_VALID, out
    generated = {path.name: path.read_text().partition("\n")
                 for path in (project / "out" / render.CLUSTER).glob("*.yaml")}
    made = sorted(yaml.safe_load(body)["kind"] for header, _, body in generated.values()
                  if header == "# ResourceSet seed-apps")
    assert made == ["Kustomization", "Namespace", "RoleBinding", "ServiceAccount"]
    # The app's Kustomization is expanded in turn, like the per-app one.
    assert any(header == "# Kustomization podinfo" for header, _, _ in generated.values())


def test_a_resource_set_template_the_render_cannot_evaluate_is_a_finding(project, schemas_dir,
                                                                        capsys, monkeypatch):
    monkeypatch.setattr(flux_manifests, "app_template",
                        lambda sync, interval: "kind: << inputs.name | upper >>\n")
    code = render.main(["--stack", "local", "--out", str(project / "out"), "--schemas",
                        str(schemas_dir), "--set", "gitops.flux.resourceSet=true"], root=project)
    out = capsys.readouterr().out
    assert code == render.EXIT_INVALID
    assert ("the program: ResourceSet/seed-apps: spec.resourcesTemplate: "
            "<<inputs.name | upper>> is not expanded") in out, out
