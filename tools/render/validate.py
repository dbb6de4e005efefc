"""Strict offline validation of Kubernetes objects and of Pulumi.yaml.

The API server prunes or rejects what a schema does not declare; a render that accepts unknown
fields would show a green check for a typo the cluster silently drops (`spec.sourcee`). So every
check here is strict:

- Custom resources are checked against the `openAPIV3Schema` of the served version of their CRD,
  read from the upstream files in `<schemas>/argocd/*.yaml` and `<schemas>/flux/*.yaml`. Structural
  schemas close every object that declares `properties` (the API server's pruning, made an error),
  unless it keeps unknown fields (`x-kubernetes-preserve-unknown-fields`).
- Core kinds are checked against kubernetes-validate's strict schemas for the cluster's version.
- Metadata of every object is checked against ObjectMeta, plus the name, label and annotation
  formats the API server enforces and the JSON schemas do not.

CEL rules (`x-kubernetes-validations`) are not evaluated: there is no CEL engine offline.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from kubernetes_validate import utils as kv
from packaging.version import Version
from referencing import Registry, Resource

SCHEMAS_ENV = "GROUNDWORK_SCHEMAS"
CRD_DIRS = ("argocd", "flux", "flux-operator", "karpenter")
ROOT_PATH = "(root)"

# The API server's expressions, matched whole and in ASCII (fullmatch: `$` would let a trailing
# newline through). Kept apart from components/common/naming.py: the render checks the program.
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
                            re.ASCII)
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]", re.ASCII)
_ANNOTATIONS_MAX_BYTES = 256 * 1024
# Kinds whose names are DNS labels rather than subdomains (the API server's stricter rule).
_LABEL_NAMED_KINDS = frozenset({"Namespace", "Service"})
# Keywords whose values are data, not schemas: never rewrite inside them.
_DATA_KEYWORDS = frozenset({"enum", "default", "example"})
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
# kustomize's own config file has no CRD (kustomize reads it, the cluster never does). It gets a
# minimal check: its top-level fields, so a typo such as `resource:` cannot hide a whole directory.
KUSTOMIZE_API_GROUP = "kustomize.config.k8s.io/"
_KUSTOMIZATION_LISTS = ("resources", "components", "crds", "generators", "transformers",
                        "validators", "patchesStrategicMerge", "configurations", "bases")
_KUSTOMIZATION_OTHERS = (
    "apiVersion", "kind", "metadata", "namespace", "namePrefix", "nameSuffix", "labels",
    "commonLabels", "commonAnnotations", "patches", "patchesJson6902", "images", "replicas",
    "configMapGenerator", "secretGenerator", "generatorOptions", "helmCharts", "helmGlobals",
    "replacements", "vars", "buildMetadata", "openapi", "sortOptions")
_KUSTOMIZATION = jsonschema.Draft7Validator({
    "type": "object",
    "properties": {**{key: {} for key in _KUSTOMIZATION_OTHERS},
                   **{key: {"type": "array", "items": {"type": "string"}}
                      for key in _KUSTOMIZATION_LISTS}},
    "additionalProperties": False,
})


# Kinds of the sample tree whose CRDs the add-on charts install and ../shared/schemas does not
# hold: their metadata is checked, and the render names them as not checked against a schema.
UNPINNED_KINDS = {
    ("cert-manager.io/v1", "ClusterIssuer"): "cert-manager v1.18.2",
    ("external-secrets.io/v1", "ClusterSecretStore"): "external-secrets 0.18.2",
}


class SchemaError(Exception):
    """The schemas directory is unusable (missing, or a CRD file that cannot be read)."""


@dataclass(frozen=True)
class Problem:
    """One validation problem: file, object, field path and message."""

    file: str
    kind: str
    name: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}/{self.name}: {self.path}: {self.message}"


def schemas_from(explicit: Path | str | None) -> Path | None:
    """The schemas directory to use: the explicit one, else $GROUNDWORK_SCHEMAS, else None
    (CRD checks skipped; the caller warns). A named directory that is not there is an error, so a
    typo cannot turn checks off."""
    chosen = explicit or os.environ.get(SCHEMAS_ENV) or None
    if chosen is None:
        return None
    path = Path(chosen)
    if not any((path / sub).is_dir() for sub in CRD_DIRS):
        raise SchemaError(f"no CRD schemas under {path} (expected {' or '.join(CRD_DIRS)}/ there)")
    return path


def field_path(parts: Iterable[Any]) -> str:
    """`spec.sources[0].repoURL` from a jsonschema error path."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or ROOT_PATH


def _join(base: str, key: Any) -> str:
    return field_path([*([] if base == ROOT_PATH else [base]), key])


# --- CRD schemas ---------------------------------------------------------------------------------


def structural(schema: Any) -> Any:
    """An OpenAPI v3 structural schema as JSON Schema that rejects what the API server would prune:
    closed objects, `nullable`, and int-or-string."""
    if isinstance(schema, list):
        return [structural(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {name: structural(sub) for name, sub in value.items()}
        elif key in _DATA_KEYWORDS:
            out[key] = value
        else:
            out[key] = structural(value)
    if ("properties" in out and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    if out.get("x-kubernetes-int-or-string") and "anyOf" not in out:
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


@dataclass(frozen=True)
class Crd:
    """An upstream CRD: group, kind, versions and their schemas."""

    group: str
    version: str
    kind: str
    namespaced: bool
    schema: Mapping[str, Any]
    source: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


@functools.lru_cache(maxsize=4)
def load_crds(schemas_dir: Path) -> Mapping[tuple[str, str], Crd]:
    """Every served version of every CRD under `schemas_dir`, by (apiVersion, kind)."""
    index: dict[tuple[str, str], Crd] = {}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for sub in CRD_DIRS:
        for file in sorted((schemas_dir / sub).glob("*.yaml")):
            try:
                documents = list(yaml.load_all(file.read_text(), Loader=loader))
            except yaml.YAMLError as error:
                raise SchemaError(f"{file}: not YAML: {error}") from error
            for doc in documents:
                if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                for version in spec["versions"]:
                    if not version.get("served", False):
                        continue
                    crd = Crd(spec["group"], version["name"], spec["names"]["kind"],
                              spec.get("scope") == "Namespaced",
                              structural(version["schema"]["openAPIV3Schema"]), str(file))
                    index[(crd.api_version, crd.kind)] = crd
    return index


@functools.lru_cache(maxsize=64)
def _crd_validator(schemas_dir: Path, api_version: str, kind: str) -> jsonschema.Validator:
    schema = dict(load_crds(schemas_dir)[(api_version, kind)].schema)
    # ObjectMeta is checked on its own (against the Kubernetes definition), as the API server does.
    schema["properties"] = {**schema["properties"], "metadata": {"type": "object"}}
    # Draft 7 reads OpenAPI v3.0 keywords the way Kubernetes does; 2020-12 would reinterpret none
    # of them, but Draft 7 has no `$defs`/`unevaluated*` surprises for these self-contained schemas.
    return jsonschema.Draft7Validator(schema)


# --- Kubernetes schemas (kubernetes-validate) ----------------------------------------------------


def schema_version(kubernetes_version: str) -> str:
    """The kubernetes-validate schema set for a cluster version: `1.34` -> `1.34.0`, the newest
    set not newer than the cluster's minor version."""
    wanted = Version(kv.major_minor(kubernetes_version))
    latest = kv.major_minor(kv.latest_version())
    available = [v for v in kv.all_versions() if Version(kv.major_minor(v)) <= wanted]
    if not available or wanted > Version(latest):
        raise SchemaError(f"kubernetes-validate has no schemas for Kubernetes {kubernetes_version} "
                          f"(it covers up to {latest})")
    return available[-1]


@functools.lru_cache(maxsize=4)
def _kubernetes_registry(version: str) -> tuple[Registry, Mapping[str, Any]]:
    definitions = kv.schema_contents(
        f"kubernetes-json-schema/v{version}-local-strict/_definitions.json", version)
    return Resource.from_contents(definitions) @ Registry(), definitions


@functools.lru_cache(maxsize=256)
def _core_validator(version: str, api_version: str, kind: str) -> jsonschema.Validator | None:
    """kubernetes-validate's strict schema for a kind, or None if it has none. The library's own
    `validate` re-reads 1.5 MB of definitions per object; this keeps them loaded."""
    # The library's file naming: `rbac.authorization.k8s.io/v1` -> `rbac-v1`.
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = kv.schema_contents(
            f"kubernetes-json-schema/v{version}-local-strict/{kind.lower()}-{group_version}.json",
            version)
    except FileNotFoundError:
        return None
    registry, _ = _kubernetes_registry(version)
    return jsonschema.Draft202012Validator(
        schema, registry=Resource.from_contents(schema) @ registry)


@functools.lru_cache(maxsize=4)
def _object_meta_validator(version: str) -> jsonschema.Validator:
    registry, definitions = _kubernetes_registry(version)
    return jsonschema.Draft202012Validator(
        {"$ref": f"{definitions['$id']}#/$defs/{_OBJECT_META}"}, registry=registry)


def _schema_problems(validator: jsonschema.Validator, instance: Any,
                     report: _Reporter, base: tuple[Any, ...] = ()) -> None:
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        path = field_path([*base, *error.absolute_path])
        if error.validator == "additionalProperties" and error.validator_value is False:
            known = error.schema.get("properties", {})
            for extra in sorted(k for k in error.instance if k not in known):
                report(_join(path, extra), "unknown field")
        else:
            report(path, error.message)


# --- metadata formats ----------------------------------------------------------------------------


def _qualified_key_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return f"prefix {prefix!r} must be a DNS-1123 subdomain"
    if len(name) > 63 or not _QUALIFIED_NAME.fullmatch(name):
        return (f"name part {name!r} must be at most 63 characters of letters, digits, '-', '_' "
                "or '.', starting and ending with a letter or digit")
    return None


def _metadata_formats(obj: Mapping[str, Any], report: _Reporter) -> None:
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        report("metadata", "is required")
        return
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        report("metadata.name", "is required")
    elif obj.get("kind") in _LABEL_NAMED_KINDS:
        if len(name) > 63 or not _DNS_LABEL.fullmatch(name):
            report("metadata.name", f"{name!r} must be a DNS-1123 label (at most 63 characters)")
    elif len(name) > 253 or not _DNS_SUBDOMAIN.fullmatch(name):
        report("metadata.name", f"{name!r} must be a DNS-1123 subdomain")
    namespace = metadata.get("namespace")
    if isinstance(namespace, str) and (len(namespace) > 63 or not _DNS_LABEL.fullmatch(namespace)):
        report("metadata.namespace", f"{namespace!r} must be a DNS-1123 label")
    for key, value in (metadata.get("labels") or {}).items():
        if (problem := _qualified_key_problem(str(key))) is not None:
            report(_join("metadata.labels", key), f"invalid label key: {problem}")
        if isinstance(value, str) and value and (
                len(value) > 63 or not _QUALIFIED_NAME.fullmatch(value)):
            report(_join("metadata.labels", key), f"invalid label value {value!r}: at most 63 "
                   "characters of letters, digits, '-', '_' or '.', starting and ending with a "
                   "letter or digit")
    annotations = metadata.get("annotations") or {}
    for key in annotations:
        if (problem := _qualified_key_problem(str(key))) is not None:
            report(_join("metadata.annotations", key), f"invalid annotation key: {problem}")
    size = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in annotations.items())
    if size > _ANNOTATIONS_MAX_BYTES:
        report("metadata.annotations", f"total size {size} bytes exceeds 256 KiB")


# --- the validator -------------------------------------------------------------------------------


class _Reporter:
    def __init__(self, file: str, obj: Any):
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        self.file = file
        self.kind = str(obj.get("kind", "?")) if isinstance(obj, dict) else "?"
        self.name = str(meta.get("name", "?")) if isinstance(meta, dict) else "?"
        self.problems: list[Problem] = []

    def __call__(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.file, self.kind, self.name, path, message))


class Validator:
    """Validates objects strictly. Without `schemas_dir`, custom resources are not checked against
    CRDs (they are listed in `skipped`); the caller says so."""

    def __init__(self, schemas_dir: Path | None, kubernetes_version: str):
        self.schemas_dir = schemas_dir
        self.kubernetes_version = kubernetes_version
        self.schema_version = schema_version(kubernetes_version)
        self.skipped: list[str] = []

    @property
    def crd_checks(self) -> bool:
        return self.schemas_dir is not None

    def crds(self) -> Mapping[tuple[str, str], Crd]:
        return load_crds(self.schemas_dir) if self.schemas_dir is not None else {}

    def validate(self, obj: Any, file: str = "<object>") -> list[Problem]:
        report = _Reporter(file, obj)
        if not isinstance(obj, dict):
            report(ROOT_PATH, f"expected a Kubernetes object (a mapping), got {type(obj).__name__}")
            return report.problems
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            report("apiVersion" if not isinstance(api_version, str) else "kind", "is required")
            return report.problems
        if api_version.startswith(KUSTOMIZE_API_GROUP):
            _schema_problems(_KUSTOMIZATION, obj, report)
            return report.problems
        _metadata_formats(obj, report)
        crd = self.crds().get((api_version, kind))
        if crd is not None:
            self._custom(obj, crd, report)
            return report.problems
        core = _core_validator(self.schema_version, api_version, kind)
        if core is not None:
            _schema_problems(core, obj, report)
        elif (api_version, kind) in UNPINNED_KINDS:
            # Said, not silent: the render lists what it could check only this far.
            self.skipped.append(f"{file}: {kind}/{report.name} (CRD from the "
                                f"{UNPINNED_KINDS[(api_version, kind)]} chart, not pinned)")
            _schema_problems(_object_meta_validator(self.schema_version),
                             obj.get("metadata"), report, ("metadata",))
        elif self.crd_checks:
            known = sorted(f"{v} {k}" for v, k in self.crds())
            report("apiVersion", f"no schema for {api_version} {kind}: not a Kubernetes "
                   f"{self.kubernetes_version} kind and no CRD under {self.schemas_dir} "
                   f"(CRDs: {', '.join(known)})")
        else:
            self.skipped.append(f"{file}: {kind}/{report.name}")
            _schema_problems(_object_meta_validator(self.schema_version),
                             obj.get("metadata"), report, ("metadata",))
        return report.problems

    def _custom(self, obj: Mapping[str, Any], crd: Crd, report: _Reporter) -> None:
        assert self.schemas_dir is not None
        _schema_problems(_crd_validator(self.schemas_dir, crd.api_version, crd.kind), obj, report)
        _schema_problems(_object_meta_validator(self.schema_version),
                         obj.get("metadata"), report, ("metadata",))
        namespace = (obj.get("metadata") or {}).get("namespace")
        if not crd.namespaced and namespace:
            report("metadata.namespace", f"{crd.kind} is cluster-scoped and takes no namespace")


def validate_project(project_yaml: Path, schemas_dir: Path | None) -> list[Problem]:
    """Pulumi.yaml against Pulumi's project schema (draft 2020-12), when the schema is present."""
    schema_file = schemas_dir / "pulumi" / "project.json" if schemas_dir is not None else None
    if schema_file is None or not schema_file.is_file():
        return []
    project = yaml.safe_load(project_yaml.read_text())
    report = _Reporter(str(project_yaml.name), {"kind": "Project",
                                                "metadata": {"name": (project or {}).get("name")}})
    _schema_problems(_project_validator(schema_file), project, report)
    return report.problems


@functools.lru_cache(maxsize=2)
def _project_validator(schema_file: Path) -> jsonschema.Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_file.read_text()))


def load_documents(file: Path) -> list[Any]:
    """The non-empty YAML documents of a file."""
    return [doc for doc in yaml.safe_load_all(file.read_text()) if doc is not None]

