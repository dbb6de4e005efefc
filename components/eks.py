"""EksCluster: an EKS control plane, managed node groups, core add-ons and IRSA, from pulumi_aws
primitives.

Built from primitives rather than pulumi-eks so every child is a plain resource the program owns,
sees in previews and can test under mocks. Access uses EKS access entries (authentication mode
API) rather than the aws-auth ConfigMap.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import yaml

from components import naming
from components.config import ClusterSettings

_ACCESS_POLICY = "arn:{partition}:eks::aws:cluster-access-policy/{name}"
# Access entry name part -> the EKS access policy its roles get, cluster-wide. Viewers get AdminView
# rather than View: Helm reads its release Secrets during preview and refresh.
_ACCESS_LEVELS = {"admin": "AmazonEKSClusterAdminPolicy", "viewer": "AmazonEKSAdminViewPolicy"}
_MANAGED_POLICY = "arn:{partition}:iam::aws:policy/{name}"
_NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy",
                  "AmazonEC2ContainerRegistryReadOnly")
# Add-ons that run without nodes, so node groups need not wait for them. EKS bootstraps
# self-managed vpc-cni and kube-proxy, which keep the first nodes working until these take over.
# It bootstraps no pod identity agent: until that add-on is ready, only pods using EKS Pod Identity
# lack credentials, and none of the nodes' own components do.
_EARLY_ADDONS = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
# CoreDNS is a Deployment: created before any node exists it stays degraded and the add-on times out.
_AFTER_NODES_ADDONS = ("coredns",)


def assume_role_policy(service: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                       "Action": "sts:AssumeRole"}],
    })


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that authenticates with `aws eks get-token`, so it holds no long-lived
    credential: whoever uses it needs their own AWS identity with an access entry."""
    user = {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "aws",
        "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
        "interactiveMode": "Never",
    }}
    return yaml.safe_dump({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name,
                      "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "users": [{"name": cluster_name, "user": user}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "current-context": cluster_name,
    }, sort_keys=False)


@dataclass
class EksClusterArgs:
    settings: ClusterSettings
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    # Nodes wait for these routes: see Network.private_nat_routes.
    node_dependencies: Sequence[pulumi.Resource]
    region: str
    partition: str = "aws"
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = False


class EksCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    provider: k8s.Provider
    node_groups: list[aws.eks.NodeGroup]
    kms_key: aws.kms.Key | None

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:eks:EksCluster", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=args.protect)

        cluster_role = aws.iam.Role(
            f"{name}-cluster",
            name_prefix=naming.iam_role_prefix(settings.name, "cluster"),
            assume_role_policy=assume_role_policy("eks.amazonaws.com"),
            tags=args.tags,
            opts=child,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster",
            role=cluster_role.name,
            policy_arn=_MANAGED_POLICY.format(partition=args.partition, name="AmazonEKSClusterPolicy"),
            opts=child,
        )

        self.kms_key = None
        encryption = None
        if settings.secrets_encryption:
            self.kms_key = aws.kms.Key(
                f"{name}-secrets",
                description=f"Envelope encryption of Kubernetes Secrets in {settings.name}",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                tags=args.tags,
                opts=protected,
            )
            aws.kms.Alias(f"{name}-secrets", name=naming.kms_alias(settings.name),
                          target_key_id=self.kms_key.key_id, opts=child)
            encryption = aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=self.kms_key.arn),
                resources=["secrets"],
            )

        cluster = aws.eks.Cluster(
            name,
            name=settings.name,
            version=settings.version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.private_subnet_ids),
                endpoint_public_access=settings.endpoint_public_access,
                endpoint_private_access=settings.endpoint_private_access,
                public_access_cidrs=(list(settings.public_access_cidrs)
                                     if settings.endpoint_public_access else None),
            ),
            enabled_cluster_log_types=list(settings.log_types),
            encryption_config=encryption,
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                # Deleting the policy first would leave the control plane unable to clean up.
                depends_on=[cluster_policy],
                # AWS only reads this flag when the cluster is created and does not report it
                # back reliably; a diff on it would force replacing the whole cluster.
                ignore_changes=["accessConfig.bootstrapClusterCreatorAdminPermissions"],
            ),
        )
        self.cluster_name = cluster.name
        self.endpoint = cluster.endpoint
        self.oidc_issuer_url = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)

        access = self._access(name, cluster, {"admin": settings.admin_role_arns,
                                              "viewer": settings.viewer_role_arns},
                              args.partition, args.tags)

        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=self.oidc_issuer_url,
            client_id_lists=["sts.amazonaws.com"],
            tags=args.tags,
            opts=child,
        )
        self.oidc_provider_arn = oidc.arn

        self.node_groups = self._node_groups(name, cluster, args)
        for addon in _EARLY_ADDONS:
            self._addon(name, cluster, addon, args.tags, [])
        for addon in _AFTER_NODES_ADDONS:
            self._addon(name, cluster, addon, args.tags, self.node_groups)

        self.kubeconfig = pulumi.Output.secret(pulumi.Output.all(
            cluster.name, cluster.endpoint, cluster.certificate_authority.data,
        ).apply(lambda values: kubeconfig(values[0], values[1], values[2], args.region)))
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            # Server-side apply lets large CRD-based objects and field managers coexist.
            enable_server_side_apply=True,
            # Without its access entries the provider's identity may not be authorised yet.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster, *access]),
        )
        self.register_outputs({
            "clusterName": self.cluster_name,
            "endpoint": self.endpoint,
            "oidcProviderArn": self.oidc_provider_arn,
            "kubeconfig": self.kubeconfig,
        })

    def _access(self, name: str, cluster: aws.eks.Cluster, roles: Mapping[str, Sequence[str]],
                partition: str, tags: Mapping[str, str]) -> list[pulumi.Resource]:
        """For each access level, an access entry and a cluster-wide policy association per
        listed role."""
        resources: list[pulumi.Resource] = []
        for level, role_arns in roles.items():
            policy_arn = _ACCESS_POLICY.format(partition=partition, name=_ACCESS_LEVELS[level])
            for index, role_arn in enumerate(role_arns):
                entry = aws.eks.AccessEntry(
                    f"{name}-{level}-{index}",
                    cluster_name=cluster.name,
                    principal_arn=role_arn,
                    type="STANDARD",
                    tags=tags,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                association = aws.eks.AccessPolicyAssociation(
                    f"{name}-{level}-{index}",
                    cluster_name=cluster.name,
                    principal_arn=role_arn,
                    policy_arn=policy_arn,
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
                )
                resources += [entry, association]
        return resources

    def _node_groups(self, name: str, cluster: aws.eks.Cluster,
                     args: EksClusterArgs) -> list[aws.eks.NodeGroup]:
        child = pulumi.ResourceOptions(parent=self)
        node_role = aws.iam.Role(
            f"{name}-node",
            name_prefix=naming.iam_role_prefix(args.settings.name, "node"),
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            tags=args.tags,
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=node_role.name,
                policy_arn=_MANAGED_POLICY.format(partition=args.partition, name=policy),
                opts=child,
            )
            for policy in _NODE_POLICIES
        ]
        groups = []
        for group in args.settings.node_groups:
            groups.append(aws.eks.NodeGroup(
                f"{name}-{group.name}",
                cluster_name=cluster.name,
                # A changed instance type replaces the group; with a prefix the new group can come
                # up before the old one drains.
                node_group_name_prefix=naming.node_group_prefix(group.name),
                node_role_arn=node_role.arn,
                subnet_ids=list(args.private_subnet_ids),
                instance_types=list(group.instance_types),
                capacity_type=group.capacity_type,
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=group.min_size,
                    desired_size=group.desired_size,
                    max_size=group.max_size,
                ),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
                labels=dict(group.labels) or None,
                taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value or None, effect=t.effect)
                        for t in group.taints] or None,
                tags=args.tags,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # Nodes need their IAM policies to join and a route out to reach the API and
                    # image registries; without the NAT routes they fail to register.
                    depends_on=[*attachments, *args.node_dependencies],
                    # The cluster autoscaler owns the desired size once the group exists.
                    ignore_changes=["scalingConfig.desiredSize"],
                ),
            ))
        return groups

    def _addon(self, name: str, cluster: aws.eks.Cluster, addon: str, tags: Mapping[str, str],
               depends_on: Sequence[pulumi.Resource]) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=cluster.name,
            addon_name=addon,
            # Take over the self-managed copy EKS bootstrapped instead of failing on it.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            # Nothing waits for the add-ons, so a destroy removes them first; without `preserve`
            # that would take DNS, kube-proxy and pod networking away from the controllers still
            # deleting the GitOps apps and their load balancers. The cluster's deletion ends them.
            preserve=True,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )
