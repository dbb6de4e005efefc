"""Readers of the delivery settings: `gitops` (source, sync, add-ons, seed apps, engine options),
`gitCredentials` and `secretValues`."""

from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from components.common import limits, naming
from components.common.catalog import CATALOG, COMPUTE_ADDONS, COMPUTE_CONFLICTS, listable
from components.common.fleet_roles import BRIDGE_LABELS
from components.common.gitops_model import (
    GitCredentials,
    GitSource,
    SeedApp,
    SyncPolicy,
    secret_leaves,
)
from components.config.keys import (
    ALL_SPOKES,
    APP_KEYS,
    ARGOCD_KEYS,
    CREDENTIALS_KEY,
    DURATION,
    DURATION_PART,
    ENGINE_CHOICES,
    FLUX_KEYS,
    GIT_REF_CHARACTERS,
    GITOPS_KEYS,
    HOSTED_ZONE_ID,
    HTTPS_CREDENTIAL_KEYS,
    HTTPS_GIT,
    OWN_CLUSTER,
    OWNERSHIP,
    SECRET_VALUES_KEY,
    SECRET_VALUES_KEYS,
    SEMVER,
    SSH_CREDENTIAL_KEYS,
    SSH_GIT,
    SYNC_KEYS,
)
from components.config.reader import Reader
from components.config.settings import ArgoCdSettings, ClusterSettings, FluxSettings, GitopsSettings


def _has_credentials(url: str) -> bool:
    """Whether a URL carries a password or token: userinfo in an http(s) URL in any letter case,
    a password in any other URL, or `user:password@` in an scp-like one."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        user, at, _ = url.partition("@")
        return bool(at) and ":" in user
    # The authority ends at the first '/', '?' or '#' (RFC 3986); its userinfo at its last '@'.
    authority = min((rest.split(mark, 1)[0] for mark in "/?#"), key=len)
    userinfo, at, _ = authority.rpartition("@")
    return bool(at) and (scheme.lower() in ("http", "https") or ":" in userinfo)


def _repo_url(reader: Reader, path: str, value: Any) -> str:
    url = reader.typed(path, value, str, "")
    if _has_credentials(url):
        # Not echoed: what stands before the '@' is usually a token.
        reader.problem(path, "must not embed credentials; set them in gitCredentials")
    elif not (HTTPS_GIT.matches(url) or SSH_GIT.matches(url)):
        reader.problem(path, f"{reader.show(path, url)} is not an https:// or ssh Git URL "
                       "(https://host/org/repo.git, ssh://git@host/org/repo.git or "
                       "git@host:org/repo.git; the scheme in lowercase)")
    return url


def _repo_path(reader: Reader, path: str, value: Any) -> str:
    text = reader.typed(path, value, str, ".")
    parts = text.split("/")
    if not text or text.startswith("/") or ".." in parts or "\\" in text:
        reader.problem(path, f"{reader.show(path, text)} must be a relative path inside the "
                             "repository, without '..'")
    return text


def is_git_revision(text: str) -> bool:
    """A branch, tag or commit both engines resolve (limits.GIT_REVISION): a name `git
    check-ref-format --branch` accepts, and neither HEAD nor a full `refs/...` name, which Flux
    would look up as a branch of that name."""
    return (GIT_REF_CHARACTERS.matches(text) and text not in ("@", "HEAD")
            and not text.startswith(("-", "/", "refs/")) and not text.endswith(("/", "."))
            and not any(part in text for part in ("..", "@{", "//"))
            and not any(part.startswith(".") or part.endswith(".lock")
                        for part in text.split("/")))


def _revision(reader: Reader, path: str, value: Any) -> str:
    revision = reader.typed(path, value, str, "")
    if not revision:
        reader.problem(path, "must not be empty (a branch, tag or commit)")
    elif not is_git_revision(revision):
        rule = limits.GIT_REVISION
        reader.problem(path, f"{reader.show(path, revision)} is not {rule.what} ({rule.source})")
    return revision


def gitops(reader: Reader, value: Any, cluster: ClusterSettings,
           secret_values: Mapping[str, Mapping[str, Any]]) -> GitopsSettings:
    """`secret_values`: the secret Helm values of each engine (`read_secret_values`)."""
    obj = reader.fields("gitops", value, GITOPS_KEYS)
    engine = reader.choice("gitops.engine", obj.get("engine"), ENGINE_CHOICES)
    ownership = reader.choice("gitops.ownership", obj.get("ownership", "git"), OWNERSHIP)
    source = GitSource(
        repo_url=_repo_url(reader, "gitops.repoUrl", obj.get("repoUrl")),
        revision=_revision(reader, "gitops.revision", obj.get("revision")),
        path=_repo_path(reader, "gitops.path", obj.get("path")).replace("{engine}", engine),
    )
    sync_obj = reader.fields("gitops.sync", obj.get("sync"), SYNC_KEYS)
    sync = SyncPolicy(
        automated=reader.typed("gitops.sync.automated", sync_obj.get("automated", True), bool,
                               True),
        prune=reader.typed("gitops.sync.prune", sync_obj.get("prune", True), bool, True),
        self_heal=reader.typed("gitops.sync.selfHeal", sync_obj.get("selfHeal", True), bool, True),
    )
    enabled = reader.strings("gitops.addons", obj.get("addons"))
    for i, name in enumerate(enabled):
        addon = CATALOG.get(name)
        path = f"gitops.addons[{i}]"
        if addon is None:
            reader.problem(path, f"{reader.show(path, name)} is not in the add-on catalog; valid "
                                 f"names are {', '.join(listable(cluster.compute))}")
        elif name in COMPUTE_ADDONS.values():
            reader.problem(path, f"{name!r} comes with cluster.compute 'karpenter' (its IAM role, "
                                 "node role and interruption queue with it); set that instead")
        elif addon.calls_aws and cluster.provider != "eks":
            reader.problem(path, f"{name!r} needs an AWS IAM role, which only provider 'eks' can "
                                 "create")
        elif cluster.provider == "eks" and name in COMPUTE_CONFLICTS.get(cluster.compute, ()):
            reader.problem(path, f"{name!r} does what cluster.compute {cluster.compute!r} already "
                                 "does; remove it, or choose another compute mode")
    reader.unique("gitops.addons", enabled)
    if cluster.provider == "eks" and (implied := COMPUTE_ADDONS.get(cluster.compute)):
        enabled = (*enabled, implied)
    zone_ids = reader.strings("gitops.dnsZoneIds", obj.get("dnsZoneIds"))
    for i, zone_id in enumerate(zone_ids):
        path = f"gitops.dnsZoneIds[{i}]"
        if not HOSTED_ZONE_ID.matches(zone_id):
            reader.problem(path, f"{reader.show(path, zone_id)} is not a Route 53 hosted zone id "
                                 "such as Z0123456789ABCDEFGHIJ")
    reader.unique("gitops.dnsZoneIds", zone_ids)
    dns_addons = [name for name in enabled
                  if (addon := CATALOG.get(name)) is not None and addon.needs_dns_zones]
    if dns_addons and not zone_ids:
        reader.problem("gitops.dnsZoneIds", f"must list the Route 53 hosted zones "
                       f"{' and '.join(dns_addons)} may change")
    apps = reader.each("gitops.apps", obj.get("apps"), _app(reader, source))
    reader.unique("gitops.apps", tuple(app.name for app in apps), ".name")
    argo_obj = reader.fields("gitops.argocd", obj.get("argocd"), ARGOCD_KEYS)
    argocd = ArgoCdSettings(
        chart_version=_chart_version(reader, "gitops.argocd.chartVersion",
                                     argo_obj.get("chartVersion")),
        ha=reader.typed("gitops.argocd.ha", argo_obj.get("ha", False), bool, False),
        values=reader.typed("gitops.argocd.values", argo_obj.get("values", {}), dict, {}),
        application_set=reader.typed("gitops.argocd.applicationSet",
                                     argo_obj.get("applicationSet", False), bool, False),
        secret_values=secret_values.get("argocd", {}),
    )
    if engine == "argocd" and argocd.ha:
        _check_ha_nodes(reader, cluster)
    flux_obj = reader.fields("gitops.flux", obj.get("flux"), FLUX_KEYS)
    interval = _duration(reader, "gitops.flux.interval", flux_obj.get("interval", "5m"))
    flux = FluxSettings(
        chart_version=_chart_version(reader, "gitops.flux.chartVersion",
                                     flux_obj.get("chartVersion")),
        values=reader.typed("gitops.flux.values", flux_obj.get("values", {}), dict, {}),
        interval=interval,
        resource_set=reader.typed("gitops.flux.resourceSet", flux_obj.get("resourceSet", False),
                                  bool, False),
        secret_values=secret_values.get("flux", {}),
    )
    if flux.resource_set:
        _check_resource_set(reader, engine, ownership, sync)
    engine_secrets = {"argocd": argocd.secret_values, "flux": flux.secret_values}.get(engine)
    if ownership == "git" and engine_secrets:
        # The engine's own definition in Git is built from the bridge, which holds no secret.
        reader.problem("gitops.ownership", f"'git' cannot carry the secret chart values of "
                       f"{engine}: Git would install the engine without them; use ownership "
                       "'pulumi', or reference a Secret from the chart values instead")
    health = _duration(reader, "gitops.healthTimeout", obj.get("healthTimeout", "10m"))
    return GitopsSettings(engine, source, sync, enabled, zone_ids, apps, argocd, flux,
                          _seconds(health), ownership)


def _check_resource_set(reader: Reader, engine: str, ownership: str, sync: SyncPolicy) -> None:
    """`gitops.flux.resourceSet` needs what a Flux Operator ResourceSet can stand for."""
    path = "gitops.flux.resourceSet"
    if engine != "flux":
        reader.problem(path, f"is a Flux option, but gitops.engine is {engine!r}; set it only "
                       "with engine 'flux' (with 'argocd', gitops.argocd.applicationSet creates "
                       "the seed apps as one ApplicationSet)")
    elif ownership != "git":
        reader.problem(path, f"needs the Flux Operator, which only gitops.ownership 'git' "
                       f"installs (ownership is {ownership!r}); set ownership to 'git', or "
                       "resourceSet to false")
    if engine == "flux" and not sync.automated:
        # flux_manifests.suspension: manual mode suspends each app's Kustomization through a
        # patch of its own, deleted before it; a ResourceSet's Kustomizations have no Pulumi
        # resource to patch, and one suspended in the template would keep what it applied on
        # deletion.
        reader.problem(path, "cannot suspend the seed apps for manual sync "
                       "(gitops.sync.automated false); set automated to true, or resourceSet to "
                       "false")


def _duration(reader: Reader, path: str, value: Any) -> str:
    text = reader.typed(path, value, str, "0s")
    if not DURATION.matches(text):
        reader.problem(path, f"{reader.show(path, text)} is not a duration such as 1m or 10m30s")
        return "0s"
    return text


_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def _seconds(duration: str) -> int:
    """Whole seconds of a duration DURATION accepts (`1h30m`, `90s`)."""
    return int(sum(float(number) * _UNIT_SECONDS[unit]
                   for number, unit in DURATION_PART.scan(duration)))


# Redis HA and its HAProxy each run this many replicas with hard anti-affinity (redis-ha 4.38.0
# `replicas`, `haproxy.replicas`, `hardAntiAffinity: true`): one node each, or they stay Pending.
HA_REPLICAS = 3


def _check_ha_nodes(reader: Reader, cluster: ClusterSettings) -> None:
    """The HA layout needs HA_REPLICAS nodes where it runs, at the node groups' minimum size."""
    if cluster.provider != "eks" or cluster.compute == "autoMode":
        return  # an existing cluster's nodes are not groundwork's to count; Auto Mode adds nodes
    pool = cluster.system_pool
    if pool is not None:
        index = cluster.node_groups.index(pool)
        if pool.min_size < HA_REPLICAS:
            reader.problem(f"cluster.nodeGroups[{index}].minSize",
                           f"{pool.min_size} is too small for gitops.argocd.ha: Redis HA and its "
                           f"HAProxy run {HA_REPLICAS} replicas each on different nodes of the "
                           "system node group (cluster.systemNodeGroup); set minSize to at least "
                           f"{HA_REPLICAS}")
    elif sum(group.min_size for group in cluster.node_groups) < HA_REPLICAS:
        reader.problem("gitops.argocd.ha", f"needs at least {HA_REPLICAS} nodes at the node "
                       f"groups' minimum sizes: Redis HA and its HAProxy run {HA_REPLICAS} "
                       "replicas each on different nodes")


def _chart_version(reader: Reader, path: str, value: Any) -> str:
    version = reader.typed(path, value, str, "")
    if not SEMVER.matches(version):
        reader.problem(path, f"{reader.show(path, version)} is not an exact chart version such as "
                             "1.2.3 (ranges and 'latest' are not allowed)")
    return version


def _app(reader: Reader, default_source: GitSource) -> Callable[[str, Any], SeedApp]:
    def read(path: str, value: Any) -> SeedApp:
        obj = reader.fields(path, value, APP_KEYS, required=("name", "path", "namespace"))
        name = reader.typed(f"{path}.name", obj.get("name", ""), str, "")
        if not naming.is_dns_label(name):
            reader.problem(f"{path}.name", f"{reader.show(path, name)} must be a DNS-1123 label "
                           "(lowercase ASCII letters, digits and '-', at most 63 characters)")
        if name in naming.RESERVED_APP_NAMES:
            reader.problem(f"{path}.name", f"{name!r} is the name of the engine's root object; "
                           f"choose another (reserved: {', '.join(naming.RESERVED_APP_NAMES)})")
        namespace = reader.typed(f"{path}.namespace", obj.get("namespace", ""), str, "")
        if not naming.is_dns_label(namespace):
            reader.problem(f"{path}.namespace", f"{reader.show(path, namespace)} must be a "
                                                "DNS-1123 label")
        if namespace in naming.RESERVED_APP_NAMESPACES:
            reader.problem(f"{path}.namespace", f"{namespace!r} is reserved for the platform; "
                           "admin there is cluster admin (reserved: "
                           f"{', '.join(naming.RESERVED_APP_NAMESPACES)})")
        source = GitSource(
            repo_url=(_repo_url(reader, f"{path}.repoUrl", obj["repoUrl"]) if "repoUrl" in obj
                      else default_source.repo_url),
            revision=(_revision(reader, f"{path}.revision", obj["revision"]) if "revision" in obj
                      else default_source.revision),
            path=_repo_path(reader, f"{path}.path", obj.get("path", ".")),
        )
        wave = reader.integer(f"{path}.wave", obj.get("wave", 0), 0)
        spokes = _clusters(reader, f"{path}.clusters", obj.get("clusters", OWN_CLUSTER))
        if spokes is not None and wave:
            reader.problem(f"{path}.wave", "orders the apps of the stack's own cluster only; an "
                           "app for spokes runs on each spoke as soon as the spoke registers")
        return SeedApp(name, source, namespace, wave, spokes)

    return read


def _clusters(reader: Reader, path: str, value: Any) -> tuple[tuple[str, str], ...] | None:
    """None for the stack's own cluster; the labels a spoke must carry (none: every spoke)."""
    if value == OWN_CLUSTER:
        return None
    if value == ALL_SPOKES:
        return ()
    if isinstance(value, dict) and value:
        return tuple(sorted(spoke_labels(reader, path, value).items()))
    reader.problem(path, f"{reader.show(path, value)} is not {OWN_CLUSTER!r} (this stack's "
                         f"cluster), {ALL_SPOKES!r} (every spoke of this hub) or a map of labels "
                         "that the spokes to run it carry in fleet.labels")
    return None


def spoke_labels(reader: Reader, path: str, value: Any) -> dict[str, str]:
    """Labels of a spoke, or a selection of spokes by label: Kubernetes labels (Argo CD selects
    clusters by them), which may not take the name of a bridge label."""
    labels = reader.string_map(path, value)
    for key, label in labels.items():
        if not naming.is_label_key(key) or key in BRIDGE_LABELS or key.startswith("enable_"):
            reader.problem(path, f"{reader.show(path, key)} is not a Kubernetes label key of "
                                 "your own (the bridge sets environment, fleet_role and "
                                 "enable_<addon>)")
        if not naming.is_label_value(label):
            reader.problem(f"{path}.{key}", f"{reader.show(path, label)} is not a valid label "
                                            "value")
    return labels


def credentials(reader: Reader, value: Any, repo_url: str) -> GitCredentials | None:
    obj = reader.fields(CREDENTIALS_KEY, value, HTTPS_CREDENTIAL_KEYS + SSH_CREDENTIAL_KEYS)
    if not obj:
        return None
    shapes = [keys for keys in (HTTPS_CREDENTIAL_KEYS, SSH_CREDENTIAL_KEYS)
              if any(key in obj for key in keys)]
    if len(shapes) != 1:
        reader.problem(CREDENTIALS_KEY, "set exactly one of {username, password} or "
                       "{sshPrivateKey, knownHosts}")
        return None
    missing = [key for key in shapes[0] if not isinstance(obj.get(key), str) or not obj[key]]
    for key in missing:
        # The value is secret: name the key, never echo what was given.
        reader.problem(f"{CREDENTIALS_KEY}.{key}", "is required and must be a non-empty string")
    if missing:
        return None
    is_ssh = shapes[0] == SSH_CREDENTIAL_KEYS
    if is_ssh and HTTPS_GIT.matches(repo_url):
        reader.problem(CREDENTIALS_KEY, "holds an SSH key but gitops.repoUrl is https://")
    if not is_ssh and SSH_GIT.matches(repo_url):
        reader.problem(CREDENTIALS_KEY, "holds a username and password but gitops.repoUrl is SSH")
    secret = {key: pulumi.Output.secret(text) for key, text in obj.items()}
    return GitCredentials(
        username=secret.get("username"),
        password=secret.get("password"),
        ssh_private_key=secret.get("sshPrivateKey"),
        known_hosts=secret.get("knownHosts"),
    )


def read_secret_values(reader: Reader, value: Any) -> dict[str, dict[str, Any]]:
    """`secretValues`: per engine, Helm values whose leaves are secret Outputs."""
    obj = reader.fields(SECRET_VALUES_KEY, value, SECRET_VALUES_KEYS)
    return {engine: secret_leaves(values) for engine in SECRET_VALUES_KEYS
            if (values := reader.typed(f"{SECRET_VALUES_KEY}.{engine}", obj.get(engine, {}), dict,
                                       {}))}
