"""Reader of `groundwork:fleet`: whether the stack is a standalone cluster, a hub whose engine
also delivers to spokes, or a spoke that registers in its hub."""

from typing import Any

from components.common.fleet_roles import FLEET_ROLES, HUB, SPOKE
from components.config.delivery import spoke_labels
from components.config.infrastructure import role_arns
from components.config.keys import FLEET_KEYS, NO_ENGINE, STACK_NAME
from components.config.reader import Reader
from components.config.settings import ClusterSettings, FleetSettings, GitopsSettings


def fleet(reader: Reader, value: Any, cluster: ClusterSettings, gitops: GitopsSettings,
          partition: str | None) -> FleetSettings:
    """`partition`: the region's, when the config names the region."""
    engine = gitops.engine
    obj = reader.fields("fleet", value, FLEET_KEYS)
    role = reader.choice("fleet.role", obj.get("role", FLEET_ROLES[0]), FLEET_ROLES)
    hub = reader.typed("fleet.hub", obj.get("hub", ""), str, "")
    registrars = role_arns(reader, "fleet.registrars", obj.get("registrars", []), partition)
    labels = spoke_labels(reader, "fleet.labels", obj.get("labels", {}))
    if labels and role != SPOKE:
        reader.problem("fleet.labels", f"label a spoke for its hub's apps to select, but "
                       f"fleet.role is {role!r}")
    for i, app in enumerate(gitops.apps):
        if app.spokes is not None and role != HUB:
            reader.problem(f"gitops.apps[{i}].clusters", f"names spokes, but fleet.role is "
                           f"{role!r}; only a hub delivers apps to spokes")
    if role == SPOKE and not hub:
        reader.problem("fleet.hub", "is required for role 'spoke': the fully qualified name of "
                       "the hub's stack, <organization>/<project>/<stack>")
    elif role == SPOKE and not STACK_NAME.matches(hub):
        reader.problem("fleet.hub", f"{reader.show('fleet.hub', hub)} is not a fully qualified "
                       "stack name <organization>/<project>/<stack>")
    elif hub and role != SPOKE:
        reader.problem("fleet.hub", f"names a hub, but fleet.role is {role!r}; only a spoke has "
                       "a hub")
    if registrars and role != HUB:
        reader.problem("fleet.registrars", f"lists who may register spokes, but fleet.role is "
                       f"{role!r}; only a hub has registrars")
    for i, arn in enumerate(registrars):
        if arn in cluster.admin_role_arns or arn in cluster.viewer_role_arns:
            # EKS allows one access entry per principal.
            path = f"fleet.registrars[{i}]"
            reader.problem(path, f"{reader.show(path, arn)} already has an access entry through "
                                 "cluster.adminRoleArns or viewerRoleArns; list it in one place")
    if role == SPOKE and cluster.compute == "karpenter":
        # Karpenter would come from the hub and its NodePool from the spoke's own program; a
        # destroy would remove Karpenter before the NodePool, and with it the nodes' cleanup.
        reader.problem("cluster.compute", "'karpenter' is not supported on a spoke yet: its hub "
                       "delivers Karpenter, which a destroy would remove before the spoke's "
                       "NodePool; use 'nodeGroups' or 'autoMode'")
    if role in (HUB, SPOKE) and cluster.provider != "eks":
        reader.problem("fleet.role", f"{role!r} needs cluster.provider 'eks': the hub's engine "
                       "reaches spokes as an IAM role, which spokes grant EKS access entries")
    if role == HUB and engine == NO_ENGINE:
        reader.problem("fleet.role", "'hub' delivers to spokes with its engine; set gitops.engine "
                       "to argocd or flux")
    return FleetSettings(role, hub, registrars, tuple(sorted(labels.items())))
