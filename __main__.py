"""groundwork: settings -> component args -> components -> exports.

config.load() validates the whole stack config (or raises one ConfigError); components/stack_args.py
maps the settings to each component's own args; this file only wires the components together.
"""

import pulumi
import pulumi_aws as aws

from components import config, stack_args, stack_state
from components.aws import addon_policies, lookups
from components.aws.addon_identities import AddonRoles
from components.aws.cluster import EksCluster
from components.aws.core_addons import CoreAddons, NodeAddons
from components.aws.fleet import FleetHub, SpokeAccess
from components.aws.karpenter import KarpenterInfra
from components.aws.network import Network
from components.aws.node_groups import NodeGroups
from components.common.ordering import after
from components.gitops.delivery import GitOps
from components.gitops.fleet import FleetRegistrars, SpokeRegistration
from components.kubernetes.existing_cluster import ExistingCluster
from components.kubernetes.storage import DefaultStorage

# The add-on policies are measured against IAM's size limit with the rest of the config.
settings = config.load(policy_sizes=addon_policies.inline_policy_sizes)
config.check_engine_switch(settings, stack_state.previous_output("gitopsEngine"),
                           stack_state.previous_output("gitopsOwnership"))

if settings.cluster.provider == "eks":
    # Local and Wavelength Zones are opt-in; EKS cannot place its control plane in them.
    zones = aws.get_availability_zones(
        state="available",
        filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
    ).names
    partition = aws.get_partition().partition
    config.check_region(settings, zones, partition)
    region = aws.get_region().region
    caller = aws.get_caller_identity()
    account_id = caller.account_id
    if settings.fleet.role == config.SPOKE:
        # The hub is read before anything is created: a missing hub, or one running the other
        # engine, fails the update here.
        hub, hub_outputs = stack_state.stack_outputs(settings.fleet.hub, config.HUB_OUTPUTS)
        hub_engine = config.check_hub(settings, hub_outputs)
    exists = lookups.cluster_exists(settings.cluster.name)
    if not pulumi.runtime.is_dry_run():
        # Only the identity that creates the cluster gets EKS's creator entry. A preview may run
        # as another identity (the read-only viewer role), and whoever updates an existing
        # cluster may well be listed, so this check applies to the update that creates it.
        if not exists:
            config.check_access(settings, aws.iam.get_session_context(arn=caller.arn).issuer_arn)
        config.check_roles(settings, lookups.unreadable_roles(
            settings.cluster.admin_role_arns + settings.cluster.viewer_role_arns))
    groups = [group.name for group in settings.cluster.node_groups]
    live_sizes = lookups.node_group_desired_sizes(settings.cluster.name, groups) if exists else {}
    # EKS moves one minor version per update; checked in previews too, before anything changes.
    config.check_upgrade(settings, lookups.cluster_version(settings.cluster.name)
                         if exists else None)
    versions = lookups.addon_versions(stack_args.eks_addons(settings), settings.cluster.version,
                                      settings.cluster.addon_versions)

    network = Network("network", stack_args.network(settings, zones))
    cluster = EksCluster("cluster", stack_args.eks_cluster(
        settings, network.vpc_id, network.private_subnet_ids, region, partition))
    nodes: list[pulumi.Output[str]] = []
    if versions:
        # An upgrade moves the control plane, then these add-ons, then the node groups, then the
        # add-ons that run on nodes: each takes the one before it as an output.
        core = CoreAddons("cluster", stack_args.core_addons(settings, cluster, versions))
        # Named like the cluster: their children keep the names they had inside it.
        nodes = NodeGroups("cluster", stack_args.node_groups(
            settings, after(cluster.cluster_name, core.arns), cluster.node_role_arn,
            network.node_subnet_ids, live_sizes)).arns
        NodeAddons("cluster", stack_args.node_addons(settings, cluster, nodes, versions,
                                                     partition))
    storage = DefaultStorage("cluster", stack_args.default_storage(settings),
                             opts=pulumi.ResourceOptions(providers=[cluster.provider]))
    karpenter = (KarpenterInfra("karpenter", stack_args.karpenter(
        settings, cluster, partition, region, account_id))
        if settings.cluster.compute == "karpenter" else None)
    addon_roles = AddonRoles("addons", stack_args.addon_roles(
        settings, cluster, partition, region, account_id))
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
    pulumi.export("addonRoleArns", addon_roles.role_arns)
    bridge = stack_args.bridge(
        settings, cluster.cluster_name, region=region, account_id=account_id,
        vpc_id=network.vpc_id, role_arns=addon_roles.role_arns,
        karpenter_names=(karpenter.node_role_name, karpenter.queue_name) if karpenter else None)
    if settings.fleet.role == config.SPOKE:
        # The hub's role gets access to this cluster; the registration that lets the hub's
        # engine use it follows (below, once this cluster's own engine, if any, exists).
        access = SpokeAccess("fleet", stack_args.spoke_access(
            settings, cluster, hub_outputs[config.HUB_ROLE], hub_engine, account_id, partition))
    # The engine waits for the nodes it runs on and the default StorageClass, which a destroy
    # then keeps until the engine has deleted its apps' volumes.
    provider = cluster.provider
    wait_for = [*stack_args.engine_nodes(settings, nodes), storage.name]
else:
    existing = ExistingCluster("cluster", stack_args.existing_cluster(settings))
    bridge = stack_args.bridge(settings, existing.cluster_name)
    cluster, provider, wait_for = existing, existing.provider, []

if settings.gitops.engine == config.NO_ENGINE:
    engine, namespace = config.NO_ENGINE, ""
else:
    # The engine waits for the nodes it runs on only; the bridge carries the add-on role ARNs as
    # values.
    gitops = GitOps("gitops", stack_args.gitops(settings, bridge, wait_for),
                    opts=pulumi.ResourceOptions(providers=[provider]))
    engine, namespace = gitops.engine, gitops.namespace
    if settings.fleet.role == config.HUB:
        # Only a hub on EKS (the config requires it): its engine reaches spokes as an IAM role.
        fleet = FleetHub("fleet", stack_args.fleet_hub(settings, cluster, partition))
        FleetRegistrars("fleet", stack_args.fleet_registrars(settings, gitops.namespace),
                        opts=pulumi.ResourceOptions(providers=[provider]))
        pulumi.export(config.HUB_ROLE, fleet.role_arn)
        pulumi.export(config.HUB_APPS, stack_args.hub_apps(settings))

if settings.fleet.role == config.SPOKE:
    # In the hub, through the hub's kubeconfig, after this cluster's access for the hub and
    # deleted before it: the registration and the hub's apps for this spoke. What the hub's Flux
    # impersonates for those apps lives on this cluster, in its own Flux's namespace if it runs
    # one.
    SpokeRegistration("fleet", stack_args.spoke_registration(
        settings, hub_engine, hub.get_output("kubeconfig"), bridge, cluster, access,
        stack_args.spoke_apps(settings, hub_outputs[config.HUB_APPS]),
        namespace if settings.gitops.engine == "flux" else None, wait_for),
        opts=pulumi.ResourceOptions(providers=[provider]))

pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("gitopsEngine", engine)
pulumi.export("gitopsNamespace", namespace)
pulumi.export("gitopsOwnership", settings.gitops.ownership)
