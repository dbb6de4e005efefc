"""tools/validate.py: strict checks of custom resources (upstream CRDs), core kinds
(kubernetes-validate), metadata formats, kustomize config files and Pulumi.yaml."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tools.harness import ROOT
from tools.render.validate import (
    Problem,
    SchemaError,
    Validator,
    schema_version,
    schemas_from,
    structural,
    validate_project,
)

VERSION = "1.34"

APPLICATION = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {"name": "podinfo", "namespace": "argocd",
                 "annotations": {"argocd.argoproj.io/sync-wave": "1"}},
    "spec": {
        "project": "default",
        "source": {"repoURL": "https://github.com/groundwork-dev/groundwork.git",
                   "targetRevision": "main", "path": "gitops/apps/podinfo",
                   "kustomize": {"replicas": [{"name": "podinfo", "count": 2}]},
                   # valuesObject keeps unknown fields: anything goes below it.
                   "helm": {"valuesObject": {"any": {"shape": [1, "two"]}}}},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "podinfo"},
        "syncPolicy": {"automated": {"prune": True, "selfHeal": True},
                       "syncOptions": ["CreateNamespace=true"]},
    },
}

KUSTOMIZATION = {
    "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
    "kind": "Kustomization",
    "metadata": {"name": "root", "namespace": "flux-system"},
    "spec": {"interval": "5m", "path": "./gitops/flux", "prune": True,
             "sourceRef": {"kind": "GitRepository", "name": "groundwork"},
             "postBuild": {"substituteFrom": [{"kind": "ConfigMap", "name": "cluster-vars"}]}},
}

GIT_REPOSITORY = {
    "apiVersion": "source.toolkit.fluxcd.io/v1",
    "kind": "GitRepository",
    "metadata": {"name": "groundwork", "namespace": "flux-system"},
    "spec": {"interval": "5m", "url": "https://github.com/groundwork-dev/groundwork.git",
             "ref": {"branch": "main"}, "secretRef": {"name": "groundwork-git"}},
}

SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "in-cluster", "namespace": "argocd",
                 "labels": {"argocd.argoproj.io/secret-type": "cluster", "enable_metrics_server":
                            "true"}},
    "type": "Opaque",
    "stringData": {"name": "in-cluster", "server": "https://kubernetes.default.svc"},
}


@pytest.fixture(scope="module")
def validator(schemas_dir: Path) -> Validator:
    return Validator(schemas_dir, VERSION)


def _with(obj: dict, path: str, value) -> dict:
    """A deep copy of `obj` with the dotted `path` set to `value`."""
    changed = copy.deepcopy(obj)
    *parents, leaf = path.split(".")
    node = changed
    for part in parents:
        node = node[part]
    node[leaf] = value
    return changed


def _paths(problems: list[Problem]) -> list[str]:
    return [p.path for p in problems]


@pytest.mark.parametrize("obj", [APPLICATION, KUSTOMIZATION, GIT_REPOSITORY, SECRET],
                         ids=lambda o: o["kind"])
def test_valid_objects_pass(validator, obj):
    assert validator.validate(obj, "x.yaml") == []


def test_unknown_field_in_custom_resource_is_named_by_path(validator):
    problems = validator.validate(_with(APPLICATION, "spec.sourcee", {}), "app.yaml")
    assert [str(p) for p in problems] == [
        "app.yaml: Application/podinfo: spec.sourcee: unknown field"]


def test_wrong_type_in_custom_resource_is_rejected(validator):
    problems = validator.validate(_with(APPLICATION, "spec.syncPolicy.automated.prune", "yes"))
    assert _paths(problems) == ["spec.syncPolicy.automated.prune"]
    assert "boolean" in problems[0].message


def test_unknown_field_deep_in_a_list_has_an_indexed_path(validator):
    broken = copy.deepcopy(KUSTOMIZATION)
    broken["spec"]["postBuild"]["substituteFrom"][0]["nmae"] = "x"
    assert _paths(validator.validate(broken)) == ["spec.postBuild.substituteFrom[0].nmae"]


def test_required_field_of_custom_resource(validator):
    broken = copy.deepcopy(GIT_REPOSITORY)
    del broken["spec"]["url"]
    problems = validator.validate(broken)
    assert _paths(problems) == ["spec"] and "'url' is a required property" in problems[0].message


@pytest.mark.parametrize("count,valid", [(2, True), ("2", True), (True, False), ([2], False)])
def test_int_or_string_fields(validator, count, valid):
    app = copy.deepcopy(APPLICATION)
    app["spec"]["source"]["kustomize"]["replicas"][0]["count"] = count
    assert (validator.validate(app) == []) is valid


def test_custom_resource_metadata_is_checked_as_object_meta(validator):
    problems = validator.validate(_with(APPLICATION, "metadata.labelz", {}))
    assert _paths(problems) == ["metadata.labelz"]


@pytest.mark.parametrize("path,value,where", [
    ("metadata.name", "Podinfo_App", "metadata.name"),
    ("metadata.namespace", "argo.cd", "metadata.namespace"),
    ("metadata.labels", {"bad key!": "x"}, "metadata.labels.bad key!"),
    ("metadata.labels", {"ok": "-starts-with-dash"}, "metadata.labels.ok"),
    ("metadata.annotations", {"UPPER.example.com/x": "y"},
     "metadata.annotations.UPPER.example.com/x"),
])
def test_metadata_formats(validator, path, value, where):
    assert where in _paths(validator.validate(_with(SECRET, path, value)))


@pytest.mark.parametrize("broken,where", [
    (_with(SECRET, "stringData", {"server": 443}), "stringData.server"),
    (_with(SECRET, "strinData", {}), "strinData"),
    ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "podinfo"}, "spek": {}},
     "spek"),
    ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cluster-vars"},
      "data": {"replicas": 3}}, "data.replicas"),
])
def test_core_kinds_are_checked_with_kubernetes_validate(validator, broken, where):
    assert _paths(validator.validate(broken)) == [where]


def test_namespace_names_are_dns_labels(validator):
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argo.cd"}}
    assert _paths(validator.validate(namespace)) == ["metadata.name"]


def test_unknown_kind_is_a_problem_when_schemas_are_given(validator):
    obj = _with(APPLICATION, "apiVersion", "argoproj.io/v1beta1")
    problems = validator.validate(obj)
    assert _paths(problems) == ["apiVersion"] and "no CRD" in problems[0].message


def test_without_schemas_custom_resources_are_skipped_but_core_kinds_checked():
    bare = Validator(None, VERSION)
    assert not bare.crd_checks
    assert bare.validate(_with(APPLICATION, "spec.sourcee", {}), "app.yaml") == []
    assert bare.skipped == ["app.yaml: Application/podinfo"]
    assert _paths(bare.validate(_with(SECRET, "strinData", {}))) == ["strinData"]
    # Metadata is still checked: it is ObjectMeta whatever the kind.
    assert _paths(bare.validate(_with(APPLICATION, "metadata.name", "Bad"))) == ["metadata.name"]


def test_kustomize_config_files_get_a_minimal_check(validator):
    config = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
              "resources": ["podinfo.yaml"]}
    assert validator.validate(config) == []
    assert _paths(validator.validate({**config, "resource": ["x"]})) == ["resource"]
    assert _paths(validator.validate({**config, "resources": "podinfo.yaml"})) == ["resources"]


def test_problem_prints_file_kind_name_path_message():
    problem = Problem("manifests/010-x.yaml", "Application", "root", "spec.project", "is required")
    assert str(problem) == "manifests/010-x.yaml: Application/root: spec.project: is required"


def test_cluster_version_maps_to_the_library_schema_set():
    assert schema_version("1.34") == "1.34.0"
    assert schema_version("1.31") == "1.31.0"
    with pytest.raises(SchemaError, match="covers up to"):
        schema_version("1.99")


def test_structural_schema_closes_objects_unless_they_keep_unknown_fields():
    schema = structural({"type": "object", "properties": {
        "closed": {"type": "object", "properties": {"a": {"type": "string"}}},
        "open": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                 "properties": {"a": {"type": "string"}}},
        "map": {"type": "object", "additionalProperties": {"type": "string"}},
        "maybe": {"type": "string", "nullable": True},
        # A field literally called `properties` is data, not a schema keyword.
        "enum": {"type": "string", "enum": [{"properties": {}}]},
    }})
    assert schema["additionalProperties"] is False
    assert schema["properties"]["closed"]["additionalProperties"] is False
    assert "additionalProperties" not in schema["properties"]["open"]
    assert schema["properties"]["map"]["additionalProperties"] == {"type": "string"}
    assert schema["properties"]["maybe"]["type"] == ["string", "null"]
    assert schema["properties"]["enum"]["enum"] == [{"properties": {}}]


def _crd(scope: str) -> dict:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": scope,
                     "names": {"kind": "Widget", "plural": "widgets"},
                     "versions": [
                         {"name": "v1", "served": True, "storage": True, "schema": {
                             "openAPIV3Schema": {"type": "object", "properties": {
                                 "apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                 "metadata": {"type": "object"},
                                 "spec": {"type": "object", "properties": {
                                     "size": {"x-kubernetes-int-or-string": True}}}}}}},
                         {"name": "v0", "served": False, "storage": False, "schema": {
                             "openAPIV3Schema": {"type": "object"}}}]}}


@pytest.mark.parametrize("scope", ["Cluster", "Namespaced"])
def test_crds_load_served_versions_and_scope(tmp_path, scope):
    (tmp_path / "flux").mkdir()
    (tmp_path / "flux" / "widgets.yaml").write_text(yaml.safe_dump(_crd(scope)))
    widgets = Validator(tmp_path, VERSION)
    widget = {"apiVersion": "example.com/v1", "kind": "Widget",
              "metadata": {"name": "w", "namespace": "default"}, "spec": {"size": "10%"}}
    expected = ["metadata.namespace"] if scope == "Cluster" else []
    assert _paths(widgets.validate(widget)) == expected
    assert "spec.size" in _paths(widgets.validate(_with(widget, "spec.size", 1.5)))
    assert _paths(widgets.validate(_with(widget, "apiVersion", "example.com/v0"))) == ["apiVersion"]


def test_schemas_from_prefers_the_explicit_directory(monkeypatch, tmp_path, schemas_dir):
    monkeypatch.setenv("GROUNDWORK_SCHEMAS", str(schemas_dir))
    assert schemas_from(None) == schemas_dir
    with pytest.raises(SchemaError, match="no CRD schemas"):
        schemas_from(tmp_path)
    monkeypatch.delenv("GROUNDWORK_SCHEMAS")
    assert schemas_from(None) is None


def test_pulumi_yaml_matches_the_project_schema(schemas_dir):
    assert validate_project(ROOT / "Pulumi.yaml", schemas_dir) == []


def test_broken_project_file_is_reported(schemas_dir, tmp_path):
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    project["runtime"] = {"nmae": "python"}
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump(project))
    problems = validate_project(tmp_path / "Pulumi.yaml", schemas_dir)
    assert problems and all(p.file == "Pulumi.yaml" and p.kind == "Project" for p in problems)
    assert any(p.path.startswith("runtime") for p in problems)
    assert validate_project(tmp_path / "Pulumi.yaml", None) == []
