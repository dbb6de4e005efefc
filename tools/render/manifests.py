"""What a recorded run would deploy to Kubernetes: the objects, in apply order, and the Helm
releases with their values. Secret values are kept in memory for validation and replaced by
`<redacted>` in everything meant to be written (`redacted`, `HelmRelease.redacted_values`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from components.common.deep_merge import merge
from tools.harness import SECRET_PLACEHOLDER, Resource, Run
from tools.harness.graph import Graph
from tools.harness.tree import DESCEND, Path, rebuild, spell, under, walk

REDACTED = "<redacted>"
HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
SECRET_DATA_FIELDS = ("data", "stringData")
# Shorter strings match unrelated text by chance; real credentials are longer.
MIN_SECRET_LENGTH = 4


def plain(value: Any) -> Any:
    """Recorded inputs carry every number as a float (the wire format has no integers); give back
    the integers a manifest author wrote."""
    return rebuild(value, lambda _path, node: (
        int(node) if isinstance(node, float) and node.is_integer() else DESCEND))


def leaves(value: Any) -> Iterable[tuple[str, Any]]:
    """(path, node) pairs, with paths spelled the way the harness records `secret_paths`."""
    for path, node in walk(value):
        yield spell(path), node


def _redact(value: Any, secret_paths: frozenset[str]) -> Any:
    """`value` with every leaf at or under a secret path replaced; keys stay, so a reader still
    sees which entries a Secret has."""
    secret = frozenset(path for path, _ in walk(value) if spell(path) in secret_paths)

    def visit(path: Path, node: Any) -> Any:
        if isinstance(node, (dict, list)) or node is None or not under(path, secret):
            return DESCEND
        return REDACTED

    return rebuild(value, visit)


def _ordered(body: Mapping[str, Any]) -> dict[str, Any]:
    """apiVersion, kind, metadata first, then the rest; keys sorted below so renders diff cleanly
    (recorded inputs come in wire order, which is not stable)."""
    def sort(_path: Path, node: Any) -> Any:
        if isinstance(node, dict):
            return {key: rebuild(node[key], sort) for key in sorted(node)}
        return DESCEND

    head = ("apiVersion", "kind", "metadata")
    return {**{key: rebuild(body[key], sort) for key in head if key in body},
            **{key: rebuild(body[key], sort) for key in sorted(body) if key not in head}}


def is_builtin(api_version: str) -> bool:
    """Kubernetes' own API groups are `v1` (core), dotless (`apps`) or end in `.k8s.io`; every
    custom resource group is a dotted domain (`argoproj.io`)."""
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


@dataclass(frozen=True)
class K8sObject:
    """One Kubernetes object a Pulumi resource would create. `body` is the full object, secrets
    included: validate it, never write it (write `redacted(obj)`)."""

    body: Mapping[str, Any]
    resource: Resource

    @property
    def api_version(self) -> str:
        return self.body["apiVersion"]

    @property
    def kind(self) -> str:
        return self.body["kind"]

    @property
    def name(self) -> str:
        return (self.body.get("metadata") or {}).get("name", self.resource.name)

    @property
    def namespace(self) -> str:
        return (self.body.get("metadata") or {}).get("namespace", "")

    @property
    def phase(self) -> int:
        """Apply phase: Namespaces, then built-in kinds, then custom resources (whose CRDs the
        Helm releases install)."""
        if self.api_version == "v1" and self.kind == "Namespace":
            return 0
        return 1 if is_builtin(self.api_version) else 2

    @property
    def slug(self) -> str:
        """`secret-argocd-repo-creds`: kind, namespace and name, unique within a render."""
        return "-".join(part for part in (self.kind.lower(), self.namespace, self.name) if part)


def is_patch(resource: Resource) -> bool:
    """A server-side-apply patch (`...Patch` type token) sets some fields of an object the run
    creates; it is no object of its own."""
    return resource.type.startswith("kubernetes:") and resource.type.endswith("Patch")


def _is_object(resource: Resource) -> bool:
    return (resource.custom and resource.type.startswith("kubernetes:")
            and resource.type != HELM_RELEASE_TYPE and not is_patch(resource))


def _body(resource: Resource) -> dict[str, Any]:
    """The object from the resource's inputs. apiVersion and kind are recorded as inputs; the type
    token (`kubernetes:<group>/<version>:<Kind>`, `core` for the empty group) is the fallback."""
    _, group_version, kind = resource.type.split(":", 2)
    group, _, version = group_version.partition("/")
    derived = version if group == "core" else group_version
    return _ordered({"apiVersion": derived, "kind": kind, **plain(resource.inputs)})


def _identity(body: Mapping[str, Any], provider: str) -> tuple[str, ...]:
    metadata = body.get("metadata") or {}
    return (provider.rsplit("::", 1)[0], body["apiVersion"], body["kind"],
            metadata.get("namespace", ""), metadata.get("name", ""))


def kubernetes_objects(run: Run) -> list[K8sObject]:
    """Every Kubernetes object of the run, in apply order: phase, then the engine's creation order
    (a topological order of the dependency graph). Each as the cluster holds it once the run's
    patches of it are applied: a patch's fields merged over the object's (server-side apply
    keeps both managers' fields; maps merge, a patch's list replaces the object's)."""
    position = {r.urn: i for i, r in enumerate(Graph(run).topological())}
    objects = {(o := K8sObject(_body(r), r)).resource.urn: o
               for r in run.resources if _is_object(r)}
    targets = {_identity(o.body, o.resource.provider): urn for urn, o in objects.items()}
    for patch in (r for r in run.resources if is_patch(r)):
        body = _body(patch)
        body["kind"] = body["kind"].removesuffix("Patch")
        urn = targets.get(_identity(body, patch.provider))
        if urn is not None:
            objects[urn] = K8sObject(_ordered(merge(objects[urn].body, body)),
                                     objects[urn].resource)
    return sorted(objects.values(), key=lambda o: (o.phase, position[o.resource.urn]))


def redacted(obj: K8sObject) -> dict[str, Any]:
    """The object as it may be written: inputs that arrived as secrets, and every value of a
    Secret's data/stringData, become `<redacted>`."""
    paths = set(obj.resource.secret_paths)
    if obj.api_version == "v1" and obj.kind == "Secret":
        paths.update(field for field in SECRET_DATA_FIELDS if field in obj.body)
    return _redact(obj.body, frozenset(paths))


@dataclass(frozen=True)
class HelmRelease:
    """A Helm release of the run: chart, repository, version, namespace and values."""

    name: str
    chart: str
    repo: str
    version: str
    namespace: str
    # The values this program passes. Chart defaults apply beneath them; they are not known
    # offline, so "effective" here means everything the stack sets.
    values: Mapping[str, Any]
    resource: Resource

    def redacted(self) -> dict[str, Any]:
        values = _redact(plain(self.resource.inputs), frozenset(self.resource.secret_paths))
        return {"name": self.name, "chart": self.chart, "repo": self.repo, "version": self.version,
                "namespace": self.namespace, "values": _ordered(values.get("values") or {})}


def helm_releases(run: Run) -> list[HelmRelease]:
    releases = []
    for resource in Graph(run).topological():
        if resource.type != HELM_RELEASE_TYPE:
            continue
        inputs = plain(resource.inputs)
        chart = inputs.get("chart", "")
        # An OCI chart is named by its reference: oci://registry/path/<chart>.
        oci = chart.startswith("oci://")
        releases.append(HelmRelease(
            name=inputs.get("name") or resource.name,
            chart=chart.rsplit("/", 1)[1] if oci else chart,
            repo=chart.rsplit("/", 1)[0] if oci
            else (inputs.get("repositoryOpts") or {}).get("repo", ""),
            version=inputs.get("version", ""),
            namespace=inputs.get("namespace", ""),
            values=inputs.get("values") or {},
            resource=resource,
        ))
    return releases


def strings(value: Any) -> Iterable[str]:
    """Every string inside `value`."""
    for _, leaf in leaves(value):
        if isinstance(leaf, str):
            yield leaf


def secret_values(run: Run, secret_config_keys: Iterable[str]) -> set[str]:
    """Every secret string of the run that must never reach a file: the values of config keys the
    CLI marks secret, wherever the program passed them, and inputs at secret paths. An input
    secret the program also passes as a plain input somewhere (a repository URL inside a
    credentials Secret) is public by the program's own choice; a secret config value never is,
    or a program that leaked one into a plain input would have made it public."""
    configured: set[str] = set()
    for key in secret_config_keys:
        configured.update(strings(run.config.get(key)))
    secret: set[str] = set()
    public: set[str] = set()
    for resource in run.resources:
        paths = set(resource.secret_paths)
        for path, leaf in leaves(resource.inputs):
            if path in paths:
                secret.update(strings(leaf))
        public.update(strings(_redact(resource.inputs, frozenset(paths))))
    return {value for value in configured | (secret - public)
            if len(value) >= MIN_SECRET_LENGTH and value != SECRET_PLACEHOLDER}
