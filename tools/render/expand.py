"""What the cluster will end up running: the GitOps tree expanded against the stack's bridge, the
way Argo CD or Flux would expand it, offline.

Argo CD: every ApplicationSet reachable from the root app (the root tree and what the program
creates) is evaluated with its cluster or list generator against the cluster Secrets the stack
writes (the parameters Argo CD v3.4 gives a cluster: name, nameNormalized, server,
metadata.labels, metadata.annotations), its template rendered (templating.go_template) and its
templatePatch merged in. Each generated Application is validated against the Application CRD and
against its AppProject (source repositories, destinations, the kinds it deploys), and expanded in
turn when its source is a directory of this repository.

Flux: a ResourceSet the program creates is built the way the Flux Operator builds it
(`build_resource_set`), and what it makes is validated and expanded like the program's own
objects. The root Kustomization's path and, recursively, every Kustomization's path is built
the way kustomize-controller builds it (a kustomization.yaml through `kubectl kustomize`,
otherwise every manifest below the path) and postBuild-substituted from the ConfigMaps and
Secrets its `substituteFrom` names, then its inline `substitute` (templating.flux_substitute);
the results are validated against the Flux CRDs, and every path must exist for each value of
every `enable_<addon>` switch.

A fleet hub's expansion also reads what each spoke registers in it (`Spoke`): Argo CD's cluster
generators see the spokes' cluster Secrets beside the hub's own, and Flux expands the spokes'
Kustomizations with the variables of the ConfigMaps they name. What the engine creates for a
spoke is counted per spoke (`Expansion.by_spoke`).

Both: each Helm chart the tree installs has its values checked against the pinned chart
(chart_values), and the service account it runs as must be the one the add-on's IAM role trusts.
Anything not expanded is a finding, never a silent skip.
"""

import base64
import binascii
import fnmatch
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.common.catalog import CATALOG
from components.common.deep_merge import merge
from components.gitops.flux_manifests import NAMESPACE as FLUX_NAMESPACE
from tools.harness.recording import Run
from tools.render import chart_values
from tools.render.manifests import kubernetes_objects, strings
from tools.render.templating import (
    SUBSTITUTE,
    GoTemplate,
    TemplateError,
    flux_substitute,
    go_string,
    go_template,
)
from tools.render.validate import Problem, Validator

SECRET_TYPE = "argocd.argoproj.io/secret-type"
OCI = "oci://"
# A Kubernetes object as read from YAML.
Obj = Mapping[str, Any]
# libyaml's parser and emitter where PyYAML has them: the expansion reads and substitutes every
# document of the tree, which the pure-Python ones make the slowest part of a render.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _object_key(doc: Obj) -> tuple[Any, ...]:
    metadata = doc.get("metadata") or {}
    return (doc.get("kind"), metadata.get("namespace"), metadata.get("name"))


def _load_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=_LOADER))
# Kinds without a namespace: the built-in ones the tree can deploy, plus what the CRDs say.
CLUSTER_SCOPED = frozenset({
    "Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService",
    "IngressClass", "StorageClass", "PriorityClass", "PersistentVolume", "CSIDriver",
    "IngressClassParams", "ClusterIssuer", "ClusterSecretStore"})


@dataclass(frozen=True)
class Spoke:
    """A fleet spoke as its hub's engine sees it: its stack, the objects its run registers in the
    hub, and that run, whose add-on roles the charts delivered to the spoke must run as."""

    stack: str
    run: Run
    registered: Sequence[Obj]


@dataclass
class Expansion:
    """Objects the engine will create, by the generator or Kustomization that makes them, and
    how many of them each spoke of a hub gets."""

    objects: list[tuple[str, dict]] = field(default_factory=list)  # (generator, object)
    findings: list[Problem] = field(default_factory=list)
    by_spoke: dict[str, int] = field(default_factory=dict)

    def finding(self, file: str, obj: Obj | None, path: str, message: str) -> None:
        meta = (obj or {}).get("metadata") or {}
        self.findings.append(Problem(file, str((obj or {}).get("kind", "?")),
                                     str(meta.get("name", "?")), path, message))


def render_local_chart(root: Path, validator: Validator, result: Expansion, path: str,
                       values: Obj, owner: Obj, file: str, source: str) -> None:
    """The chart at `path` of this repository, rendered as the engine's Helm would: its
    templates with `values` over the chart's own, each object validated and recorded under
    `source`. Templates are evaluated as templating.GoTemplate does (field references and a few
    functions); anything else, a value the chart does not read, or text that is not YAML, is a
    finding against `owner`."""
    directory = root / path
    if not (directory / "Chart.yaml").is_file():
        result.finding(file, owner, "chart", f"{path!r} is no chart in the repository")
        return
    defaults = yaml.load((directory / "values.yaml").read_text(), Loader=_LOADER) or {}
    for key in sorted(set(values) - set(defaults)):
        result.finding(file, owner, f"values.{key}", f"the chart {path!r} reads no such value")
    params = {"Values": merge(defaults, values)}
    for template in sorted((directory / "templates").glob("*.yaml")):
        template_file = str(template.relative_to(root))
        try:
            docs = _load_all(go_string(template.read_text(), params))
        except TemplateError as error:
            result.finding(template_file, owner, "template", str(error))
            continue
        except yaml.YAMLError as error:
            result.finding(template_file, owner, "template",
                           f"renders to text that is not YAML: {error}")
            continue
        for doc in docs:
            if isinstance(doc, dict):
                result.objects.append((source, doc))
                result.findings += validator.validate(doc, template_file)


def object_files(tree: Path) -> list[Path]:
    """Every YAML file under `tree` that holds Kubernetes objects as written: a local chart's
    files (a directory with Chart.yaml) are templates, expanded with a release's values."""
    charts = [chart.parent for chart in tree.rglob("Chart.yaml")]
    return sorted(path for path in tree.rglob("*") if path.suffix in (".yaml", ".yml")
                  and not any(path.is_relative_to(chart) for chart in charts))


def _documents(directory: Path, root: Path, recursive: bool = False) -> list[tuple[str, dict]]:
    """(file relative to `root`, document) for the YAML files of a directory: its own, as an
    Argo CD directory source reads it, or every one below it."""
    paths = directory.rglob("*.yaml") if recursive else directory.glob("*.yaml")
    return [(str(path.relative_to(root)), doc) for path in sorted(paths)
            for doc in _load_all(path.read_text()) if isinstance(doc, dict)]


# --- Argo CD -------------------------------------------------------------------------------------


def _normalized(name: str) -> str:
    """Argo CD's nameNormalized: lowercase, characters a DNS name cannot hold become '-'."""
    return re.sub(r"[^a-z0-9.-]", "-", name.lower())


def argo_chart(source: Obj) -> str | None:
    """The chart an Argo CD source installs: `chart` of a Helm repository, or the artifact of
    Argo CD's native OCI source (its name, last in the URL); None for a directory."""
    if source.get("chart"):
        return str(source["chart"])
    if str(source.get("repoURL", "")).startswith(OCI):
        return str(source["repoURL"]).rsplit("/", 1)[-1]
    return None


def helm_values(source: Obj) -> dict:
    """An Argo CD Helm source's values: `valuesObject` over the `values` document."""
    helm = source.get("helm") or {}
    text = yaml.load(helm.get("values") or "{}", Loader=_LOADER) or {}
    return merge(text, helm.get("valuesObject") or {})


def _selected(selector: Obj, labels: Mapping[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], \
            expression.get("values") or []
        present = key in labels
        if not {"In": present and labels[key] in values,
                "NotIn": not present or labels[key] not in values,
                "Exists": present, "DoesNotExist": not present}.get(operator, False):
            return False
    return True


def _cluster_secrets(objects: Iterable[Obj]) -> list[Obj]:
    return [o for o in objects if o["kind"] == "Secret"
            and (o["metadata"].get("labels") or {}).get(SECRET_TYPE) == "cluster"]


def published(objects: Iterable[Obj]) -> set[str]:
    """What Argo CD's cluster generator makes public of the cluster Secrets among `objects`: the
    parameters it hands every template (never `config`, the credentials), which it writes into
    Applications anyone may read."""
    return {leaf for secret in _cluster_secrets(objects)
            for leaf in strings(ArgoCdExpander.cluster_params(secret))}


def _identity(doc: Obj, namespace: str) -> tuple[str, str, str, str]:
    """What makes an object one object in a cluster: group, kind, namespace (the destination's
    when the document names none) and name."""
    meta = doc.get("metadata") or {}
    return (str(doc.get("apiVersion", "")).rpartition("/")[0], str(doc.get("kind", "")),
            str(meta.get("namespace") or namespace), str(meta.get("name", "")))


class ArgoCdExpander:
    """Argo CD's view: generators, templates, projects (see the module docstring)."""

    def __init__(self, run: Run, root: Path, validator: Validator, result: Expansion,
                 spokes: Sequence[Spoke] = ()):
        self.root, self.validator, self.result = root, validator, result
        # What the spokes register is in the hub's cluster beside the program's own objects.
        objects = [o.body for o in kubernetes_objects(run)] + [
            o for spoke in spokes for o in spoke.registered]
        self.clusters = _cluster_secrets(objects)
        self.projects = {o["metadata"]["name"]: o for o in objects if o["kind"] == "AppProject"}
        self.program = [o for o in objects if o["kind"] in ("Application", "ApplicationSet")]
        self.run = run
        # Each spoke's run by its cluster's server and name: an add-on delivered to a spoke must
        # run as the service account the spoke's own add-on role trusts.
        self.runs = {(secret.get("stringData") or {}).get(key): spoke.run for spoke in spokes
                     for secret in _cluster_secrets(spoke.registered) for key in ("server", "name")}
        self.servers = {(s.get("stringData") or {}).get("name"): (s.get("stringData") or {}).get(
            "server") for s in self.clusters}
        self.seen: set[str] = set()
        # (destination server, identity) -> the Application that deploys it there.
        self.deployed: dict[tuple[str, tuple[str, str, str, str]], str] = {}

    def server(self, destination: Obj) -> str:
        """The server an Application's destination names, directly or by cluster name."""
        name = str(destination.get("name", ""))
        return str(destination.get("server") or self.servers.get(name) or name)

    def spoke_applications(self, spokes: Sequence[Spoke]) -> dict[str, int]:
        """How many of the expanded Applications each spoke's cluster is the destination of."""
        owner = {str((s.get("stringData") or {}).get("server")): spoke.stack for spoke in spokes
                 for s in _cluster_secrets(spoke.registered)}
        counts = dict.fromkeys((spoke.stack for spoke in spokes), 0)
        for _, obj in self.result.objects:
            if obj.get("kind") == "Application":
                stack = owner.get(self.server((obj.get("spec") or {}).get("destination") or {}))
                if stack is not None:
                    counts[stack] += 1
        return counts

    @staticmethod
    def cluster_params(secret: Obj) -> dict[str, Any]:
        data = secret.get("stringData") or {}
        meta = secret["metadata"]
        return {"name": data["name"], "nameNormalized": _normalized(data["name"]),
                "server": data["server"],
                "metadata": {"labels": dict(meta.get("labels") or {}),
                             "annotations": dict(meta.get("annotations") or {})}}

    def expand(self) -> None:
        for obj in self.program:
            self.object(obj, "the program")

    def object(self, obj: Obj, file: str) -> None:
        if obj["kind"] == "ApplicationSet":
            for app in self.application_set(obj, file):
                self.result.objects.append((f"ApplicationSet {obj['metadata']['name']}", app))
                self.application(app, file)
        elif obj["kind"] == "Application":
            self.application(obj, file)
        elif obj["kind"] == "AppProject":
            self.projects.setdefault(obj["metadata"]["name"], obj)

    def application_set(self, appset: Obj, file: str) -> list[dict]:
        spec = appset["spec"]
        if not spec.get("goTemplate"):
            self.result.finding(file, appset, "spec.goTemplate", "not expanded: only goTemplate "
                                "ApplicationSets are evaluated offline")
            return []
        apps = []
        for index, generator in enumerate(spec.get("generators") or []):
            for params in self.parameters(generator, appset, file, f"spec.generators[{index}]"):
                try:
                    app = go_template(spec["template"], params)
                    if spec.get("templatePatch"):
                        patch = yaml.load(go_template(spec["templatePatch"], params),
                                          Loader=_LOADER)
                        app = merge(app, patch or {})
                except TemplateError as error:
                    self.result.finding(file, appset, "spec.template", str(error))
                    continue
                apps.append({"apiVersion": appset["apiVersion"], "kind": "Application", **app})
        return apps

    def parameters(self, generator: Obj, appset: Obj, file: str,
                   path: str) -> list[dict[str, Any]]:
        if "clusters" in generator:
            selector = (generator["clusters"] or {}).get("selector") or {}
            return [self.cluster_params(secret) for secret in self.clusters
                    if _selected(selector, (secret["metadata"].get("labels") or {}))]
        if "list" in generator:
            return list(generator["list"].get("elements") or [])
        self.result.finding(file, appset, path, f"not expanded: generator "
                            f"{', '.join(generator)} is not evaluated offline (clusters and list "
                            "are)")
        return []

    def application(self, app: Obj, file: str) -> None:
        name = app["metadata"]["name"]
        self.result.findings += self.validator.validate(app, file)
        project = self.projects.get(app["spec"].get("project", ""))
        if project is None:
            self.result.finding(file, app, "spec.project", f"AppProject "
                                f"{app['spec'].get('project')!r} does not exist")
            return
        source = app["spec"].get("source") or {}
        self.check_project(app, project, source, file)
        chart = argo_chart(source)
        destination = app["spec"].get("destination") or {}
        if chart:
            run = self.runs.get(destination.get("server") or destination.get("name"), self.run)
            self.result.findings += helm_findings(
                file, app, chart, source["targetRevision"], helm_values(source),
                destination.get("namespace", ""), run)
        elif (source.get("path") is not None and name not in self.seen
              and (self.root / source["path"] / "Chart.yaml").is_file()):
            self.seen.add(name)
            for doc_file, doc in self.local_chart(app, source, project, file):
                self.check_kind(app, project, doc, doc_file)
        elif source.get("path") is not None and name not in self.seen:
            self.seen.add(name)
            directory = self.root / source["path"]
            if not directory.is_dir():
                self.result.finding(file, app, "spec.source.path",
                                    f"{source['path']!r} does not exist in the repository")
                return
            for doc_file, doc in _documents(directory, self.root):
                if self.shared(app, doc, doc_file):
                    continue
                self.result.objects.append((f"Application {name}", doc))
                self.check_kind(app, project, doc, doc_file)
                self.object(doc, doc_file)

    def shared(self, app: Obj, doc: Obj, file: str) -> bool:
        """Whether another Application already deploys `doc` to the same cluster (a finding, and
        the object is expanded once): Argo CD reports SharedResourceWarning, the two keep
        relabelling it, and deleting either one prunes it from under the other."""
        destination = app["spec"].get("destination") or {}
        key = (self.server(destination), _identity(doc, str(destination.get("namespace", ""))))
        owner = self.deployed.setdefault(key, app["metadata"]["name"])
        if owner == app["metadata"]["name"]:
            return False
        self.result.finding(file, doc, "metadata.name", f"deployed to {key[0]} by Application "
                            f"{owner} and by Application {app['metadata']['name']}: each claims "
                            "it (SharedResourceWarning) and deleting either one deletes it")
        return True

    def local_chart(self, app: Obj, source: Obj, project: Obj,
                    file: str) -> list[tuple[str, Obj]]:
        """An Application of a chart in this repository, as the repo server renders it; what it
        made, with the file each object came from."""
        before = len(self.result.objects)
        render_local_chart(self.root, self.validator, self.result, source["path"],
                           helm_values(source), app, file,
                           f"Application {app['metadata']['name']}")
        made = [doc for _, doc in self.result.objects[before:]]
        return [(f"{source['path']}/templates", doc) for doc in made]

    def check_project(self, app: Obj, project: Obj, source: Obj, file: str) -> None:
        spec = project["spec"]
        repos = spec.get("sourceRepos") or []
        if not any(fnmatch.fnmatchcase(source.get("repoURL", ""), repo) for repo in repos):
            self.result.finding(file, app, "spec.source.repoURL", f"{source.get('repoURL')!r} is "
                                f"not among AppProject {project['metadata']['name']}'s sourceRepos")
        destination = app["spec"].get("destination") or {}
        if not any(fnmatch.fnmatchcase(destination.get("namespace", ""), d.get("namespace", ""))
                   and fnmatch.fnmatchcase(destination.get("server", ""), d.get("server", "*"))
                   for d in spec.get("destinations") or []):
            self.result.finding(file, app, "spec.destination", f"{destination} is not among "
                                f"AppProject {project['metadata']['name']}'s destinations")
        for extra in ((source.get("helm") or {}).get("valuesObject") or {}).get("extraObjects",
                                                                                 []):
            self.check_kind(app, project, yaml.safe_load(extra) if isinstance(extra, str)
                            else extra, file)

    def check_kind(self, app: Obj, project: Obj, doc: Obj, file: str) -> None:
        group = str(doc.get("apiVersion", "")).rpartition("/")[0]
        kind = str(doc.get("kind", ""))
        crd = self.validator.crds().get((str(doc.get("apiVersion")), kind))
        cluster = kind in CLUSTER_SCOPED if crd is None else not crd.namespaced
        spec = project["spec"]
        allowed = spec.get("clusterResourceWhitelist" if cluster
                           else "namespaceResourceWhitelist")
        denied = spec.get("namespaceResourceBlacklist") or []
        ok = (allowed is None and not cluster) or any(
            fnmatch.fnmatchcase(group, rule.get("group", "")) and
            fnmatch.fnmatchcase(kind, rule.get("kind", "")) for rule in allowed or [])
        if not ok or any(rule.get("group") == group and rule.get("kind") == kind
                         for rule in denied):
            scope = "cluster-scoped" if cluster else "namespaced"
            self.result.finding(file, app, "spec.project", f"deploys {scope} {group or 'core'} "
                                f"{kind} {doc.get('metadata', {}).get('name')!r}, which AppProject "
                                f"{project['metadata']['name']} does not allow")


# --- Flux ----------------------------------------------------------------------------------------

RECONCILE = "fluxcd.controlplane.io/reconcile"
# ResourceSet fields that change what it makes and that are not evaluated offline.
_UNEXPANDED = ("resources", "inputsFrom", "inputStrategy")


def build_resource_set(resource_set: Obj) -> list[dict]:
    """The objects the Flux Operator makes of a ResourceSet with inline inputs and a
    `resourcesTemplate` (flux-operator v0.49.0: internal/builder/resourceset.go BuildResourceSet,
    internal/inputs/provider.go getFromProvider; docs/api/v1/resourceset.md). The template is
    rendered as Go text/template between `<<` and `>>` once per input (once with no input when
    there is none), the input, plus `provider` (the ResourceSet's reference), being the function
    `inputs`; the result is read as multi-document YAML. Objects annotated
    `fluxcd.controlplane.io/reconcile: disabled` are left out, and of several with the same
    apiVersion, kind, namespace and name only the first is kept. Raises TemplateError."""
    meta = resource_set["metadata"]
    provider = {"apiVersion": resource_set["apiVersion"], "kind": resource_set["kind"],
                "name": meta["name"], "namespace": meta.get("namespace", "")}
    spec = resource_set.get("spec") or {}
    template = GoTemplate(spec.get("resourcesTemplate") or "", "<<", ">>")
    built: dict[tuple[Any, ...], dict] = {}
    for inputs in spec.get("inputs") or [None]:
        names = {"inputs": None if inputs is None else {**inputs, "provider": provider}}
        for obj in _load_all(template.render(names=names)):
            if not isinstance(obj, dict):  # an empty document
                continue
            metadata = obj.get("metadata") or {}
            if (metadata.get("annotations") or {}).get(RECONCILE) != "disabled":
                built.setdefault((obj.get("apiVersion"), obj.get("kind"),
                                  metadata.get("namespace"), metadata.get("name")), obj)
    return list(built.values())


def _decoded(value: Any) -> str:
    """A Secret's `data` value; one that is no base64 (the harness's `<secret>` placeholder) as
    it is."""
    try:
        return base64.b64decode(str(value), validate=True).decode(errors="replace")
    except binascii.Error:
        return str(value)


def _data(obj: Obj) -> dict[str, str]:
    """The variables a ConfigMap or Secret holds for `substituteFrom`."""
    if obj["kind"] == "Secret":
        decoded = {k: _decoded(v) for k, v in (obj.get("data") or {}).items()}
        return {**decoded, **(obj.get("stringData") or {})}
    return dict(obj.get("data") or {})


class FluxExpander:
    """Flux's view: builds, substitution, dependencies (see the module docstring)."""

    def __init__(self, run: Run, root: Path, validator: Validator, result: Expansion,
                 spokes: Sequence[Spoke] = ()):
        self.root, self.validator, self.result, self.run = root, validator, result, run
        self.spokes = spokes
        objects = [o.body for o in kubernetes_objects(run)]
        # What substituteFrom can name: the hub's objects and what the spokes register beside.
        self.sources = {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o
                        for o in [*objects, *(r for s in spokes for r in s.registered)]
                        if o["kind"] in ("ConfigMap", "Secret")}
        self.kustomizations = [o for o in objects if o["kind"] == "Kustomization"]
        self.resource_sets = [o for o in objects if o["kind"] == "ResourceSet"]
        self.releases = [o for o in objects if o["kind"] == "HelmRelease"]
        self.names = {o["metadata"]["name"] for o in self.kustomizations} | {
            o["metadata"]["name"] for s in spokes for o in s.registered
            if o["kind"] == "Kustomization"}

    def expand(self) -> None:
        self.expand_objects("the program", self.kustomizations, self.resource_sets,
                            self.releases)
        for spoke in self.spokes:
            # What a spoke registers, with the spoke's run: the charts built for it must run as
            # the service accounts its own add-on roles trust.
            before, self.run = len(self.result.objects), spoke.run
            self.expand_objects(f"spoke {spoke.stack}", *(
                [o for o in spoke.registered if o["kind"] == kind]
                for kind in ("Kustomization", "ResourceSet", "HelmRelease")))
            self.result.by_spoke[spoke.stack] = len(self.result.objects) - before

    def expand_objects(self, file: str, kustomizations: Sequence[Obj],
                       resource_sets: Sequence[Obj], releases: Sequence[Obj]) -> None:
        # What the ResourceSets make first: the program's wave gates depend on those apps.
        made = [k for rset in resource_sets for k in self.resource_set(rset, file)]
        for kustomization in [*kustomizations, *made]:
            self.kustomization(kustomization, file)
        for release in releases:
            self.local_chart(release, file)

    def variables(self, obj: Obj, file: str) -> tuple[dict[str, str], str] | None:
        """What a Kustomization substitutes, as kustomize-controller reads it: the data of each
        object `postBuild.substituteFrom` names in its namespace (later ones win; a missing one
        is an error unless `optional`), then `postBuild.substitute` over them; with a
        description of where they come from. None without postBuild: nothing is substituted."""
        post = obj["spec"].get("postBuild") or {}
        if not post.get("substitute") and not post.get("substituteFrom"):
            return None
        namespace = obj["metadata"].get("namespace") or FLUX_NAMESPACE
        found: dict[str, str] = {}
        for index, ref in enumerate(post.get("substituteFrom") or []):
            source = self.sources.get((ref.get("kind"), namespace, ref.get("name")))
            if source is not None:
                found.update(_data(source))
            elif not ref.get("optional"):
                self.result.finding(file, obj, f"spec.postBuild.substituteFrom[{index}]",
                                    f"no {ref.get('kind')} {ref.get('name')!r} in {namespace} "
                                    "(set optional: true if it may be missing)")
        found.update(post.get("substitute") or {})
        names = [str(ref.get("name")) for ref in post.get("substituteFrom") or []]
        return found, ", ".join(names) or "postBuild.substitute"

    def resource_set(self, obj: Obj, file: str) -> list[dict]:
        """What the ResourceSet `obj` makes, recorded and validated; its Kustomizations, to be
        expanded in turn."""
        for key in _UNEXPANDED:
            if key in (obj.get("spec") or {}):
                self.result.finding(file, obj, f"spec.{key}", "not expanded: only inline inputs "
                                    "and a resourcesTemplate are evaluated offline")
        try:
            made = build_resource_set(obj)
        except TemplateError as error:
            self.result.finding(file, obj, "spec.resourcesTemplate", str(error))
            return []
        for doc in made:
            self.result.objects.append((f"ResourceSet {obj['metadata']['name']}", doc))
            self.result.findings += self.validator.validate(doc, file)
        kustomizations = [doc for doc in made if doc.get("kind") == "Kustomization"]
        self.names.update(doc["metadata"]["name"] for doc in kustomizations)
        return kustomizations

    def kustomization(self, obj: Obj, file: str) -> None:
        spec = obj["spec"]
        substitution = self.variables(obj, file)
        variables, origin = substitution or ({}, "")
        substitute = substitution is not None
        for name in (d["name"] for d in spec.get("dependsOn") or []):
            if name not in self.names:
                self.result.finding(file, obj, "spec.dependsOn", f"no Kustomization {name!r}")
        for switch_variables in self._switches(spec["path"], variables):
            path, unresolved = (flux_substitute(spec["path"], switch_variables)
                                if substitute else (spec["path"], []))
            for name in unresolved:
                self.result.finding(file, obj, "spec.path", f"${{{name}}} is not set")
            directory = self.root / path.removeprefix("./")
            if not directory.is_dir():
                self.result.finding(file, obj, "spec.path", f"{path!r} does not exist in the "
                                    "repository")
                continue
            if switch_variables is not variables:
                # Only checked for existence: the stack's own value is expanded below.
                continue
            for doc_file, doc in self.build(directory, obj):
                text, unresolved = yaml.dump(doc, Dumper=_DUMPER), []
                if substitute and (doc.get("metadata", {}).get("annotations") or {}).get(
                        SUBSTITUTE) != "disabled":
                    text, unresolved = flux_substitute(text, variables)
                built = yaml.load(text, Loader=_LOADER)
                for name in unresolved:
                    self.result.finding(doc_file, built, "postBuild", f"${{{name}}} is not set "
                                        f"in {origin} and has no default")
                self.result.objects.append((f"Kustomization {obj['metadata']['name']}", built))
                self.result.findings += self.validator.validate(built, doc_file)
                if built.get("kind") == "Kustomization" and "spec" in built:
                    self.names.add(built["metadata"]["name"])
                    self.kustomization(built, doc_file)
                elif built.get("kind") == "HelmRelease" and (
                        built["spec"]["chart"]["spec"]["sourceRef"]["kind"] == "GitRepository"):
                    self.local_chart(built, doc_file)
                elif built.get("kind") == "HelmRelease":
                    chart = built["spec"]["chart"]["spec"]
                    self.result.findings += helm_findings(
                        doc_file, built, chart["chart"], chart["version"],
                        built["spec"].get("values") or {},
                        built["spec"].get("targetNamespace", ""), self.run)

    def local_chart(self, release: Obj, file: str) -> None:
        """A HelmRelease of a chart in this repository, as helm-controller renders it."""
        chart = release["spec"]["chart"]["spec"]["chart"]
        render_local_chart(self.root, self.validator, self.result, chart.removeprefix("./"),
                           release["spec"].get("values") or {}, release, file,
                           f"HelmRelease {release['metadata']['name']}")

    def _switches(self, path: str, variables: Mapping[str, str]) -> list[Mapping[str, str]]:
        """The stack's variables, then each other value of the `enable_<addon>` switches the
        path names, so every directory an add-on can select must exist."""
        switches = [{**variables, name: value} for name in re.findall(r"\$\{(enable_\w+)", path)
                    for value in ("true", "false") if variables.get(name, "false") != value]
        return [variables, *switches]

    def build(self, directory: Path, obj: Obj) -> list[tuple[str, dict]]:
        """What kustomize-controller builds from `directory`: its kustomization.yaml through
        kustomize, or else every manifest below it (the controller generates a kustomization
        that lists them all); then the Kustomization's `spec.patches` over the result, as the
        controller applies them (kustomize-controller v1.8.3, internal/generator: the patches
        go into the kustomization it builds, before post-build substitution)."""
        if (directory / "kustomization.yaml").is_file():
            docs = self._kustomize(directory, obj, str(directory.relative_to(self.root)))
        else:
            docs = _documents(directory, self.root, recursive=True)
        patches = (obj.get("spec") or {}).get("patches")
        if not patches or not docs:
            return docs
        files = {_object_key(doc): file for file, doc in docs}
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            (folder / "objects.yaml").write_text(yaml.dump_all([doc for _, doc in docs],
                                                               Dumper=_DUMPER))
            (folder / "kustomization.yaml").write_text(yaml.safe_dump({
                "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                "resources": ["objects.yaml"], "patches": patches}))
            patched = self._kustomize(folder, obj, "spec.patches")
        return [(files.get(_object_key(doc), "spec.patches"), doc) for _, doc in patched]

    def _kustomize(self, directory: Path, obj: Obj, file: str) -> list[tuple[str, dict]]:
        """`kubectl kustomize directory`, each object attributed to `file`; a finding, and
        nothing, when it fails."""
        kubectl = shutil.which("kubectl")
        if kubectl is None:
            self.result.finding(str(directory), obj, "spec.path", "not expanded: kubectl "
                                "(with its built-in kustomize) is not installed")
            return []
        built = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True,
                               text=True, check=False)
        if built.returncode:
            self.result.finding(file, obj, "spec.path",
                                f"kustomize build failed: {built.stderr.strip()}")
            return []
        return [(file, doc) for doc in _load_all(built.stdout) if isinstance(doc, dict)]


# --- both: Helm values and identities ------------------------------------------------------------


def _service_account(chart: str, values: Obj) -> str | None:
    """The service account name a catalog chart runs as, from its values."""
    if chart == "cluster-autoscaler":
        return ((values.get("rbac") or {}).get("serviceAccount") or {}).get("name")
    return (values.get("serviceAccount") or {}).get("name")


def _trusted(run: Run) -> dict[str, str]:
    """`namespace:service-account` each add-on IAM role trusts, by service account: the `sub` of
    an IRSA trust, or the namespace and service account session tags of a Pod Identity trust
    (components/aws/workload_identity.py)."""
    trusted = {}
    for role in run.by_type("aws:iam/role:Role"):
        document = json.loads(role.inputs.get("assumeRolePolicy") or "{}")
        for statement in document.get("Statement", []):
            equals = (statement.get("Condition") or {}).get("StringEquals", {})
            # A role several service accounts share (a fleet hub's) lists them.
            for key, value in equals.items():
                if key.endswith(":sub"):
                    for subject in _listed(value):
                        _, _, namespace, account = subject.split(":")
                        trusted[account] = f"{namespace}:{account}"
            namespace = equals.get("aws:RequestTag/kubernetes-namespace")
            for account in _listed(equals.get("aws:RequestTag/kubernetes-service-account")):
                trusted[account] = f"{namespace}:{account}"
    return trusted


def _listed(value: str | list[str] | None) -> list[str]:
    """A condition's values: IAM takes one or a list."""
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def helm_findings(file: str, obj: Obj, chart: str, version: str,
                  values: Mapping[str, Any], namespace: str, run: Run) -> list[Problem]:
    meta = obj.get("metadata") or {}
    report = [Problem(file, str(obj.get("kind")), str(meta.get("name")), path, message)
              for path, message in _helm_messages(chart, version, values, namespace, run)]
    return report


def _helm_messages(chart: str, version: str, values: Obj, namespace: str,
                   run: Run) -> Iterable[tuple[str, str]]:
    try:
        loaded = chart_values.load(chart, version)
    except chart_values.MissingChart as error:
        yield "chart", str(error)
        return
    for path in chart_values.unknown_keys(loaded, values):
        yield ".".join(path), f"{chart} {version} reads no such value"
    addon = CATALOG.get(chart)
    if addon is None or not addon.calls_aws:
        return
    account = _service_account(chart, values)
    trusted = _trusted(run).get(addon.service_account)
    if trusted is not None and f"{namespace}:{account}" != trusted:
        yield "serviceAccount", (f"the chart runs as {namespace}:{account}, but the add-on's IAM "
                                 f"role trusts {trusted}")


def expand(run: Run, engine: str, root: Path, validator: Validator,
           spokes: Sequence[Spoke] = ()) -> Expansion:
    """What `run`'s engine will create, and, for a hub, what it creates for each of `spokes`."""
    result = Expansion()
    if engine == "argocd":
        argocd = ArgoCdExpander(run, root, validator, result, spokes)
        argocd.expand()
        result.by_spoke = argocd.spoke_applications(spokes)
    elif engine == "flux":
        FluxExpander(run, root, validator, result, spokes).expand()
    return result

