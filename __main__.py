"""groundwork: config -> network -> cluster -> GitOps -> exports.

Each step is a component from components/; this file only wires them together.
"""

import pulumi
import pulumi_aws as aws

from components import config
from components.addons import AddonRoles, AddonRolesArgs
from components.eks import EksCluster, EksClusterArgs
from components.existing import ExistingCluster, ExistingClusterArgs
from components.gitops import AwsFacts, GitOps, GitOpsArgs, cluster_metadata
from components.network import Network, NetworkArgs

settings = config.load()
tags = {"environment": settings.environment, "managed-by": "groundwork",
        "groundwork:stack": settings.stack}

if settings.cluster.provider == "eks":
    # Local and Wavelength Zones are opt-in; EKS cannot place its control plane in them.
    zones = aws.get_availability_zones(
        state="available",
        filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
    ).names
    config.check_zones(settings, zones)
    region = aws.get_region().region
    caller = aws.get_caller_identity()
    account_id = caller.account_id
    partition = aws.get_partition().partition
    # Only the identity that creates the cluster gets EKS's creator entry. A preview may run as
    # another identity (the read-only viewer role), and whoever updates an existing cluster may
    # well be listed, so the check applies to the update that creates the cluster.
    if (not pulumi.runtime.is_dry_run()
            and settings.cluster.name not in aws.eks.get_clusters().names):
        config.check_access(settings, aws.iam.get_session_context(arn=caller.arn).issuer_arn)

    network = Network("network", NetworkArgs(
        cidr=settings.network.cidr,
        availability_zones=zones[: settings.network.az_count],
        nat_gateways=settings.network.nat_gateways,
        cluster_name=settings.cluster.name,
        tags=tags,
        protect=settings.protect,
    ))
    cluster = EksCluster("cluster", EksClusterArgs(
        settings=settings.cluster,
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        node_dependencies=network.private_nat_routes,
        region=region,
        partition=partition,
        tags=tags,
        protect=settings.protect,
    ))
    addon_roles = AddonRoles("addons", AddonRolesArgs(
        addons=settings.gitops.addons,
        cluster_name=cluster.cluster_name,
        oidc_provider_arn=cluster.oidc_provider_arn,
        oidc_issuer_url=cluster.oidc_issuer_url,
        partition=partition,
        region=region,
        account_id=account_id,
        dns_zone_ids=settings.gitops.dns_zone_ids,
        tags=tags,
    ))
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
    pulumi.export("addonRoleArns", addon_roles.role_arns)
    aws_facts = AwsFacts(region, account_id, network.vpc_id, addon_roles.role_arns)
    nodes = cluster.node_groups
else:
    cluster = ExistingCluster("cluster", ExistingClusterArgs(
        context=settings.cluster.context,
        cluster_name=settings.cluster.name,
    ))
    aws_facts, nodes = None, []

# The engine waits for nodes only; the bridge carries the add-on role ARNs as values.
gitops = GitOps("gitops", GitOpsArgs(
    settings=settings.gitops,
    metadata=cluster_metadata(settings, cluster.cluster_name, aws_facts),
    credentials=settings.git_credentials,
    depends_on=nodes,
), opts=pulumi.ResourceOptions(providers=[cluster.provider]))

pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("gitopsEngine", gitops.engine)
pulumi.export("gitopsNamespace", gitops.namespace)
