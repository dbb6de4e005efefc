"""Offline render: everything a stack would deploy, written out and checked, with no cloud account.

    python -m tools.render --stack dev [--out DIR] [--schemas DIR] [--require-schemas]
                                       [--set KEY=VALUE ...] [--diff OTHER_DIR] [--no-spokes]

Runs the program under Pulumi's mocks with the stack's config (Pulumi.yaml defaults, then
Pulumi.<stack>.yaml, then each `--set`; `secure:` values become `<secret>`) and writes to DIR
(default build/render/<stack>):

    manifests/NNN-<kind>-<namespace>-<name>.yaml   one object per file, numbered in apply order
    helm-releases.yaml                             chart, repo, version, namespace, values
    resources.md                                   inventory table and a Mermaid graph
    plan.json                                      the same, machine-readable

Secret values are never written: Secret data and every input that arrived as a secret become
`<redacted>`, secret outputs `<secret>`, and the render refuses to write a file that would still
contain one, or any value of a config key the CLI marks secret (exit 1, nothing written).

It validates strictly: custom resources against the upstream CRDs (`--schemas`, else
$GROUNDWORK_SCHEMAS; with neither, CRD checks are skipped with a warning, or refused under
`--require-schemas`), core kinds with kubernetes-validate for the stack's `cluster.version`,
Pulumi.yaml against Pulumi's project schema when the schemas have it, and every YAML document of
the sample tree under gitops/. kustomize's own `kustomization.yaml` files have no CRD; only their
top-level fields are checked.

`--set KEY=VALUE` overrides one config value, as `pulumi config set --path` would: KEY has that
command's path syntax, in the groundwork namespace (`gitops.engine`,
`cluster.nodeGroups[0].maxSize`, `gitops.argocd.values["server.ingress"]`) or another
(`aws:region`), and a path the command refuses (an index past the end of a list, a path through a
value of another type) is an exit-2 error; `gitCredentials` and `secretValues` are set as
`--secret` would. VALUE is parsed as JSON when it is valid JSON (`3`, `true`,
`{"username": "bot"}`), else taken as a string (quote it as JSON, `'"1.34"'`, to keep a
number-like string). `--diff OTHER_DIR` prints a unified diff of this render's manifests against
another render's (objects are matched by kind, namespace and name).

A fleet hub (`groundwork:fleet.role: hub`) renders with its spokes (tools/render/fleet.py):
every stack file of the project whose `fleet.hub` ends in `/<hub>` runs against this run's
outputs and is rendered under DIR/spokes/<stack>/ as its own render would be; what each spoke
registers in the hub is validated as the hub's objects and expanded with them; resources.md and
plan.json gain the fleet (fleet_report.py) and the summary line per-spoke counts. A spoke the
hub's outputs make invalid is a config error of that spoke: the rest is written, and the exit
code is 2. `--no-spokes` renders the hub alone.

Exit codes: 0 valid, 1 invalid objects or a file that would hold a secret, 2 configuration or
usage error. No config or `--set` input ends in a Python traceback.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import re
import shutil
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.config import ConfigError
from tools import harness
from tools.harness import PROJECT, ROOT, SECRET_PLACEHOLDER, Resource, Run
from tools.harness.config_path import ConfigPathError, parse_key
from tools.harness.graph import Graph
from tools.harness.stack_config import StackFileError
from tools.render import fleet, fleet_report
from tools.render.expand import Expansion, Spoke, expand, object_files, published
from tools.render.manifests import (
    HelmRelease,
    K8sObject,
    helm_releases,
    kubernetes_objects,
    redacted,
    secret_values,
    strings,
)
from tools.render.validate import (
    Problem,
    SchemaError,
    Validator,
    load_documents,
    schemas_from,
    validate_project,
)

EXIT_VALID, EXIT_INVALID, EXIT_CONFIG = 0, 1, 2
MANIFESTS = "manifests"
# What the engine creates from Git afterwards, expanded offline (tools/render/expand.py).
CLUSTER = "cluster"
GITOPS_DIR = "gitops"
_PREFIX = re.compile(r"^\d+-")
_SLUG = re.compile(r"[^a-z0-9.-]+")


class SecretLeak(RuntimeError):
    """A secret value would have been written to a file: a bug in the render or the program, or
    a secret that is also ordinary text there. The render stops and writes nothing."""


# --- command line --------------------------------------------------------------------------------


def _json_or_text(text: str) -> Any:
    """JSON when `text` is JSON (NaN, Infinity and numbers too large for a double are not), else
    the text itself."""
    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    try:
        value = json.loads(text, parse_constant=refuse)
    except ValueError:
        return text
    return text if isinstance(value, float) and not math.isfinite(value) else value


def _override(text: str) -> tuple[str, Any]:
    """`KEY=VALUE`: KEY in `pulumi config set --path` syntax, split at the first `=` outside a
    quoted name (`gitops.argocd.values["a=b"]=1`)."""
    problems = []
    for i in (i for i, char in enumerate(text) if char == "="):
        try:
            parse_key(text[:i], PROJECT)
        except ConfigPathError as error:
            problems.append(f"invalid config key path {text[:i]!r}: {error}")
            continue
        return text[:i], _json_or_text(text[i + 1:])
    raise argparse.ArgumentTypeError(problems[0] if problems
                                     else f"expected KEY=VALUE, got {text!r}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.render",
        description="Render and strictly validate everything a stack would deploy, offline.",
        epilog="Exit codes: 0 valid, 1 invalid objects or a file that would hold a secret, "
               "2 configuration or usage error.")
    parser.add_argument("--stack", required=True, help="stack name (reads Pulumi.<stack>.yaml)")
    parser.add_argument("--out", type=Path, help="output directory (default build/render/<stack>)")
    parser.add_argument("--schemas", type=Path,
                        help="upstream CRDs and project schema (default $GROUNDWORK_SCHEMAS)")
    parser.add_argument("--require-schemas", action="store_true",
                        help="fail instead of skipping CRD checks when no schemas are found")
    parser.add_argument("--set", dest="overrides", metavar="KEY=VALUE", type=_override,
                        action="append", default=[],
                        help="override a config value as `pulumi config set --path` would "
                             "(cluster.nodeGroups[0].maxSize=5); VALUE is JSON or text")
    parser.add_argument("--diff", type=Path, metavar="OTHER_DIR",
                        help="print a unified diff of the manifests against another render")
    parser.add_argument("--no-spokes", action="store_true",
                        help="render a fleet hub alone, without the spokes that name it")
    return parser


# --- output documents ----------------------------------------------------------------------------


# libyaml's emitter and parser when PyYAML was built with them: the same text and documents as the
# pure-Python ones (tests/tools/test_render.py), several times faster, which a render of thousands
# of seed apps needs (writing each object and reading it back for the leak guard).
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(value: Any) -> str:
    return yaml.dump(value, Dumper=_DUMPER, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)


def manifest_files(objects: Sequence[K8sObject]) -> list[str]:
    """`010-namespace-argocd.yaml`, ...: numbered in apply order, so `kubectl apply -f` on the
    directory applies them in that order."""
    width = max(3, len(str(10 * len(objects))))
    return [f"{10 * (i + 1):0{width}d}-{obj.slug}.yaml" for i, obj in enumerate(objects)]


def expanded_files(expansion: Expansion) -> dict[str, tuple[str, dict]]:
    """File name -> (generator, object) for what the engine creates from Git, numbered in the
    order the expansion met them (an engine applies them as they come, not in one batch)."""
    width = max(3, len(str(10 * len(expansion.objects))))
    files = {}
    for i, (generator, obj) in enumerate(expansion.objects):
        meta = obj.get("metadata") or {}
        slug = "-".join(str(part).lower() for part in (obj.get("kind"), meta.get("namespace"),
                                                        meta.get("name")) if part)
        files[f"{10 * (i + 1):0{width}d}-{_SLUG.sub('-', slug)}.yaml"] = (generator, obj)
    return files


def generated_markdown(files: Mapping[str, tuple[str, dict]]) -> str:
    """resources.md's section on what each generator or Kustomization produces."""
    if not files:
        return ""
    by_generator: dict[str, list[str]] = defaultdict(list)
    for name, (generator, obj) in files.items():
        by_generator[generator].append(
            f"{obj.get('kind')} {(obj.get('metadata') or {}).get('name')} ({CLUSTER}/{name})")
    lines = ["## What the engine will create from Git", "",
             "Expanded offline against this stack's bridge (`tools/render/expand.py`).", ""]
    for generator, produced in by_generator.items():
        lines += [f"- **{generator}**: {len(produced)}"] + [f"  - {p}" for p in produced]
    return "\n".join(lines) + "\n"


def _short(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _component_of(resource: Resource, by_urn: Mapping[str, Resource]) -> str | None:
    """The urn of the nearest enclosing component, None for resources directly in the stack."""
    parent = by_urn.get(resource.parent)
    return parent.urn if parent is not None else None


def _node_label(typ: str, count: int) -> str:
    if typ.startswith("pulumi:providers:"):
        label = f"Provider {typ.rsplit(':', 1)[-1]}"
    else:
        label = typ.rsplit(":", 1)[-1]
    return f"{label} ×{count}" if count > 1 else label


def _reduced(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Drop an edge a->c when a longer path a->...->c exists, so the chart shows the chain once.
    Aggregation can create cycles; then the edges are kept as they are."""
    successors: dict[str, set[str]] = defaultdict(set)
    for a, c in edges:
        successors[a].add(c)

    def reachable(start: str, skip: tuple[str, str]) -> set[str]:
        seen: set[str] = set()
        stack = [n for n in successors[start] if (start, n) != skip]
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(successors[node])
        return seen

    if any(a in reachable(a, ("", "")) for a in list(successors)):
        return edges
    return {(a, c) for a, c in edges if c not in reachable(a, (a, c))}


def mermaid(run: Run) -> str:
    """One subgraph per component, one node per resource type inside it (`Subnet ×6`), and one
    arrow per pair of nodes where something in the first is created before something in the
    second that waits for it."""
    by_urn = run.by_urn()
    # Creation order, ties by URN: registration order varies with when inputs resolve.
    resources = Graph(run).topological()
    components = [r for r in resources if not r.custom]
    ids: dict[tuple[str | None, str], str] = {}
    counts: Counter[tuple[str | None, str]] = Counter()
    node_of: dict[str, str] = {}
    for resource in resources:
        if not resource.custom:
            continue
        key = (_component_of(resource, by_urn), resource.type)
        ids.setdefault(key, f"n{len(ids)}")
        counts[key] += 1
        node_of[resource.urn] = ids[key]
    for component in components:
        node_of[component.urn] = f"c{components.index(component)}"

    lines = ["flowchart LR"]

    def emit(component: str | None, indent: str) -> None:
        for (owner, typ), node in ids.items():
            if owner == component:
                lines.append(f'{indent}{node}["{_node_label(typ, counts[(owner, typ)])}"]')
        for child in components:
            if _component_of(child, by_urn) == component:
                token = child.type.rsplit(":", 1)[-1]
                lines.append(f'{indent}subgraph {node_of[child.urn]}["{child.name} ({token})"]')
                emit(child.urn, indent + "  ")
                lines.append(f"{indent}end")

    emit(None, "  ")
    edges = {(node_of[dep], node_of[r.urn]) for r in resources if r.custom
             for dep in r.dependencies
             if dep in node_of and by_urn[dep].custom and node_of[dep] != node_of[r.urn]}
    numbered = sorted(_reduced(edges), key=lambda edge: [int(node[1:]) for node in edge])
    lines += [f"  {a} --> {c}" for a, c in numbered]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "—"


def resources_markdown(run: Run, objects: Sequence[K8sObject], files: Sequence[str]) -> str:
    by_urn = run.by_urn()
    rows = ["| type | name | parent | depends on | protected |", "|---|---|---|---|---|"]
    for r in Graph(run).topological():
        parent = by_urn[r.parent].name if r.parent in by_urn else ""
        depends = ", ".join(sorted({_short(d) for d in r.dependencies}))
        rows.append(f"| `{r.type}` | {_cell(r.name)} | {_cell(parent)} | {_cell(depends)} | "
                    f"{'yes' if r.protect else ''} |")
    object_rows = ["| file | kind | namespace | name | Pulumi resource |", "|---|---|---|---|---|"]
    object_rows += [f"| {MANIFESTS}/{file} | {obj.kind} | {_cell(obj.namespace)} | {obj.name} | "
                    f"{obj.resource.name} |"
                    for obj, file in zip(objects, files, strict=True)]
    return "\n".join([
        f"# Stack `{run.stack}`: {len(run.resources)} resources, {len(objects)} Kubernetes objects",
        "",
        "## Components and dependencies",
        "",
        "Each box is a component; each node counts the resources of one type in it. An arrow "
        "points from what is created first to what waits for it (longer chains imply shorter "
        "ones, which are left out).",
        "",
        "```mermaid", mermaid(run), "```",
        "",
        "## Resources, in creation order",
        "",
        *rows,
        "",
        "## Kubernetes objects, in apply order",
        "",
        *object_rows,
        "",
    ])


def plan(run: Run, objects: Sequence[K8sObject], files: Sequence[str],
         releases: Sequence[HelmRelease], kubernetes_version: str,
         problems: Sequence[Problem], crd_checks: bool,
         metadata_only: Sequence[str] = (),
         cluster: Mapping[str, tuple[str, dict]] | None = None) -> dict[str, Any]:
    """`metadata_only`: documents with no pinned schema, checked by their metadata alone;
    `cluster`: what the engine will create from Git, by file."""
    return {
        "stack": run.stack,
        "kubernetesVersion": kubernetes_version,
        "resources": [{"type": r.type, "name": r.name, "urn": r.urn, "parent": r.parent,
                       "dependencies": list(dict.fromkeys(r.dependencies)), "protect": r.protect}
                      for r in Graph(run).topological()],
        "kubernetesObjects": [{"file": f"{MANIFESTS}/{file}", "urn": obj.resource.urn,
                               "object": redacted(obj)}
                              for obj, file in zip(objects, files, strict=True)],
        "helmReleases": [release.redacted() for release in releases],
        "cluster": [{"file": f"{CLUSTER}/{name}", "generator": generator, "object": obj}
                    for name, (generator, obj) in (cluster or {}).items()],
        "outputs": {name: SECRET_PLACEHOLDER if output.secret else output.value
                    for name, output in sorted(run.outputs.items())},
        "validation": {"valid": not problems, "crdChecks": crd_checks,
                       "problems": [str(p) for p in problems],
                       "metadataOnly": list(metadata_only)},
    }


# --- secrets guard -------------------------------------------------------------------------------


def _texts(name: str, text: str) -> Iterable[str]:
    """The file as written and, for YAML and JSON, every string in it as read back: a multi-line
    or escaped secret is not a substring of the raw text but is one of its strings."""
    yield text
    if name.endswith(".json"):
        documents: Iterable[Any] = [json.loads(text)]
    elif name.endswith(".yaml"):
        documents = yaml.load_all(text, Loader=_LOADER)
    else:
        return
    for document in documents:
        yield from strings(document)


def assert_no_secrets(files: Mapping[str, str], secrets: Iterable[str]) -> None:
    secrets = list(secrets)
    for name, text in files.items():
        for haystack in _texts(name, text):
            for secret in secrets:
                if secret in haystack:
                    raise SecretLeak(f"refusing to write {name}: it would contain a secret value "
                                     f"({len(secret)} characters)")


def secret_config_keys(run: Run) -> set[str]:
    """Config keys the CLI marks secret for this run (`secure:` values are placeholders already
    and carry nothing to leak; `--set` credentials and secret values carry real ones)."""
    return set(run.secret_keys) & set(run.config)


# --- validation ----------------------------------------------------------------------------------


def cluster_version(run: Run) -> str:
    """The stack's `cluster.version`, as the program validated it."""
    return run.settings.cluster.version


@dataclass
class Checked:
    """Validation problems of a render, and how many GitOps documents were read."""

    problems: list[Problem]
    gitops_documents: int


def _gitops_problems(validator: Validator, root: Path) -> tuple[list[Problem], int]:
    """Every Kubernetes document of the sample tree. Documents with neither apiVersion nor kind
    (Helm values files) are data, not objects; a local chart's files are templates, which the
    expansion validates once rendered with a release's values."""
    problems: list[Problem] = []
    count = 0
    for file in object_files(root / GITOPS_DIR):
        name = str(file.relative_to(root))
        try:
            documents = load_documents(file)
        except yaml.YAMLError as error:
            problems.append(Problem(name, "?", "?", "(file)", f"not YAML: {error}"))
            continue
        for doc in documents:
            if isinstance(doc, dict) and "apiVersion" not in doc and "kind" not in doc:
                continue
            count += 1
            problems += validator.validate(_defaulted(doc), name)
    return problems, count


# A Flux variable with a default, `${name:=default}` or `${name:-default}`.
_DEFAULTED = re.compile(r"\$\{\w+:?[=-]([^}]*)\}")


def _defaulted(doc: Any) -> Any:
    """The document with each defaulted Flux variable at its default, as Flux builds it for a
    cluster that sets none of them: the add-ons tree names what it makes for a fleet spoke
    `<name>${fleet_suffix:=}`, which is only a valid name once substituted. Variables without a
    default stay as written (the expansion substitutes those with the stack's values)."""
    text = yaml.safe_dump(doc, sort_keys=False)
    return yaml.safe_load(_DEFAULTED.sub(lambda match: match.group(1), text))


def validate(run: Run, objects: Sequence[K8sObject], files: Sequence[str], validator: Validator,
             root: Path) -> Checked:
    problems = [p for obj, file in zip(objects, files, strict=True)
                for p in validator.validate(obj.body, f"{MANIFESTS}/{file}")]
    problems += validate_project(root / "Pulumi.yaml", validator.schemas_dir)
    gitops, count = _gitops_problems(validator, root)
    return Checked(problems + gitops, count)


# --- diff ----------------------------------------------------------------------------------------


def _manifests_by_object(directory: Path) -> dict[str, Path]:
    return {f"{folder}/{_PREFIX.sub('', p.name)}": p for folder in (MANIFESTS, CLUSTER)
            for p in sorted((directory / folder).glob("*.yaml"))}


def manifest_diff(ours: Path, theirs: Path) -> str:
    """Unified diff of `theirs` (before) against `ours` (after), what Pulumi applies and what the
    engine will create from Git alike, matching objects by file name without the order number,
    so one inserted object does not renumber the whole diff."""
    before, after = _manifests_by_object(theirs), _manifests_by_object(ours)
    chunks: list[str] = []
    for key in sorted(before.keys() | after.keys()):
        old = before[key].read_text().splitlines(keepends=True) if key in before else []
        new = after[key].read_text().splitlines(keepends=True) if key in after else []
        chunks += difflib.unified_diff(
            old, new, fromfile=str(before[key]) if key in before else "/dev/null",
            tofile=str(after[key]) if key in after else "/dev/null")
    return "".join(chunks)


# --- one stack, and a hub with its spokes ---------------------------------------------------------


@dataclass
class Rendered:
    """One stack's render: the files to write (relative to its directory), its problems, the
    secret values none of them may hold, and what the summary line counts."""

    run: Run
    files: dict[str, str]
    problems: list[Problem]
    secrets: set[str]
    objects: list[K8sObject]
    names: list[str]
    releases: int
    gitops_documents: int
    expanded: int
    # A hub's spokes, with what each registers and gets; None for any other render.
    fleet: list[fleet_report.Row] | None = None

    def file_of(self) -> dict[str, str]:
        """Each object's manifest file, by its resource's URN."""
        return {obj.resource.urn: f"{MANIFESTS}/{name}"
                for obj, name in zip(self.objects, self.names, strict=True)}


SpokeRenders = Sequence[tuple[fleet.Spoke, "Rendered | None"]]


def render_stack(run: Run, validator: Validator, root: Path,
                 spokes: SpokeRenders | None = None) -> Rendered:
    """Everything a stack's render writes. `spokes`, for a hub rendered with its fleet: each
    spoke with its own render (None for a spoke its config error stopped); what the spokes
    register in the hub is validated as the hub's objects and expanded with them, and the fleet
    is described in resources.md and plan.json."""
    objects = kubernetes_objects(run)
    names = manifest_files(objects)
    releases = helm_releases(run)
    checked = validate(run, objects, names, validator, root)
    accepted = [(s, own) for s, own in spokes or () if own is not None]
    files_of = {s.stack: [own.file_of()[o.resource.urn] for o in s.registered]
                for s, own in accepted}
    for spoke, _ in accepted:
        # Objects in the hub's cluster: checked for the hub's Kubernetes version.
        checked.problems += [p for obj, file in zip(spoke.registered, files_of[spoke.stack],
                                                    strict=True)
                             for p in validator.validate(obj.body, f"{fleet_report.SPOKES}/"
                                                                   f"{spoke.stack}/{file}")]
    engine = run.settings.gitops.engine if run.settings is not None else ""
    expansion = expand(run, engine, root, validator, [
        Spoke(s.stack, s.run, [o.body for o in s.registered]) for s, _ in accepted
        if s.run is not None])
    checked.problems += expansion.findings
    cluster_files = expanded_files(expansion)
    files = {f"{MANIFESTS}/{name}": f"# {obj.resource.type} {obj.resource.name}\n"
                                    f"{_yaml(redacted(obj))}"
             for obj, name in zip(objects, names, strict=True)}
    files.update({f"{CLUSTER}/{name}": f"# {generator}\n{_yaml(obj)}"
                  for name, (generator, obj) in cluster_files.items()})
    files["helm-releases.yaml"] = _yaml([release.redacted() for release in releases])
    files["resources.md"] = resources_markdown(run, objects, names) + generated_markdown(
        cluster_files)
    document = plan(run, objects, names, releases, validator.kubernetes_version, checked.problems,
                    validator.crd_checks, validator.skipped, cluster_files)
    table = None
    if spokes is not None:
        table = fleet_report.rows(run, [s for s, _ in spokes], files_of, expansion.by_spoke)
        files["resources.md"] += "\n" + fleet_report.markdown(run, table)
        document["fleet"] = fleet_report.plan(run, table)
    files["plan.json"] = json.dumps(document, indent=2) + "\n"
    # A spoke's secrets stay secret in the hub's files too, but for what the engine itself
    # publishes of its registration (a cluster's name and server in Argo CD's Applications).
    secrets = secret_values(run, secret_config_keys(run)).union(*(
        own.secrets - published(o.body for o in s.registered) for s, own in accepted))
    return Rendered(run, files, checked.problems, secrets, objects, names, len(releases),
                    checked.gitops_documents, len(cluster_files), table)


def _summary(rendered: Rendered, validator: Validator, problems: int) -> str:
    result = (f"invalid ({_plural(problems, 'problem')})" if problems
              else "valid" if validator.crd_checks else "valid (CRD checks skipped)")
    return (f"{rendered.run.stack}: {_plural(len(rendered.objects), 'object')}, "
            f"{_plural(len(rendered.run.resources), 'resource')}, "
            f"{_plural(rendered.releases, 'Helm release')}, "
            f"{_plural(rendered.gitops_documents, 'GitOps document')}, "
            f"{_plural(rendered.expanded, 'expanded object')}; Kubernetes "
            f"{validator.kubernetes_version}; {result}")


# --- main ----------------------------------------------------------------------------------------


def write(out: Path, files: Mapping[str, str]) -> None:
    # Only what a render writes is replaced: a stale manifest would survive into the next diff,
    # a stale spoke into the next fleet.
    for folder in (MANIFESTS, CLUSTER, fleet_report.SPOKES):
        if (out / folder).is_dir():
            shutil.rmtree(out / folder)
    (out / MANIFESTS).mkdir(parents=True)
    for name, text in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _fleet(run: Run, schemas: Path | None, root: Path) -> SpokeRenders:
    """Each spoke of the hub `run` with its own render, None where its config error stopped it."""
    return [(spoke, None if spoke.run is None else render_stack(
                spoke.run, Validator(schemas, cluster_version(spoke.run)), root))
            for spoke in fleet.spokes(run, root)]


def main(argv: Sequence[str] | None = None, root: Path = ROOT) -> int:
    started = time.perf_counter()
    args = _parser().parse_args(argv)
    out = args.out or root / "build" / "render" / args.stack

    def config_error(message: str) -> int:
        print(f"error: {message}", file=sys.stderr)
        return EXIT_CONFIG

    if not (root / f"Pulumi.{args.stack}.yaml").is_file():
        return config_error(f"no stack file Pulumi.{args.stack}.yaml in {root}")
    if args.diff is not None and not (args.diff / MANIFESTS).is_dir():
        return config_error(f"--diff: {args.diff} has no {MANIFESTS}/ directory to compare with")
    try:
        schemas = schemas_from(args.schemas)
    except SchemaError as error:
        return config_error(str(error))
    if schemas is None and args.require_schemas:
        return config_error("--require-schemas: no schemas given; pass --schemas DIR or set "
                            "GROUNDWORK_SCHEMAS")
    if schemas is None:
        print("warning: no --schemas and GROUNDWORK_SCHEMAS is unset; custom resources are not "
              "checked against their CRDs", file=sys.stderr)
    try:
        # A spoke renders against its hub's outputs when the hub is a stack of this project.
        run = harness.run(args.stack, dict(args.overrides), project_dir=root,
                          cloud=harness.hub_cloud(args.stack, dict(args.overrides), root))
        validator = Validator(schemas, cluster_version(run))
        # A hub renders with every spoke of this project, each run against this run's outputs.
        spokes = (_fleet(run, schemas, root) if fleet.is_hub(run) and not args.no_spokes
                  else None)
    except ConfigPathError as error:
        return config_error(f"--set {error} (`pulumi config set --path` refuses it too)")
    except StackFileError as error:
        return config_error(str(error))
    except LookupError as error:
        # The mocks' answer to a StackReference to a stack they do not know: a fleet hub that is
        # no stack of this project.
        return config_error(f"{error}: a spoke renders against its hub only when the hub is a "
                            "stack of this project (groundwork:fleet.hub ending in its name)")
    except (ConfigError, SchemaError) as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG

    rendered = render_stack(run, validator, root, spokes)
    files = dict(rendered.files)
    problems = [str(p) for p in rendered.problems]
    try:
        assert_no_secrets(rendered.files, rendered.secrets)
        for spoke, own in spokes or ():
            if own is None:
                continue
            folder = f"{fleet_report.SPOKES}/{spoke.stack}"
            assert_no_secrets({f"{folder}/{name}": text for name, text in own.files.items()},
                              own.secrets)
            files.update({f"{folder}/{name}": text for name, text in own.files.items()})
            problems += [f"{folder}: {p}" for p in own.problems]
    except SecretLeak as leak:
        # Nothing is written. A secret that is also ordinary text elsewhere (a password that is
        # a namespace's name) stops the render the same way: the guard cannot tell them apart.
        print(f"error: {leak}", file=sys.stderr)
        return EXIT_INVALID
    write(out, files)

    for problem in problems:
        print(problem)
    rejected = [spoke for spoke, own in spokes or () if own is None]
    for spoke in rejected:
        print(f"error: spoke {spoke.stack} of {args.stack}: {spoke.error}", file=sys.stderr)
    if args.diff is not None:
        sys.stdout.write(manifest_diff(out, args.diff))
    fleet_part = "" if rendered.fleet is None else fleet_report.summary(rendered.fleet)
    print(f"{_summary(rendered, validator, len(problems))}; "
          f"{time.perf_counter() - started:.2f}s; {out}{fleet_part}")
    if rejected:
        return EXIT_CONFIG
    return EXIT_INVALID if problems else EXIT_VALID
