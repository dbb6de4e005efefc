"""EksCluster: an EKS control plane with its IAM role, envelope encryption, access entries, OIDC
provider for IRSA and a Kubernetes provider for what runs on it, from pulumi_aws primitives.

With `compute` autoMode, EKS Auto Mode runs the nodes (its built-in system and general-purpose
pools), block storage and load balancing: the cluster role gets the policies those need and trusts
EKS to tag its sessions, and the nodes get Auto Mode's minimal node role (EKS user guide, "Amazon
EKS Auto Mode cluster IAM role" and "Auto Mode node IAM role"; EKS creates the nodes' access entry
itself).

Built from primitives rather than pulumi-eks so every child is a plain resource the program owns,
sees in previews and can test under mocks. Access uses EKS access entries (authentication mode
API) rather than the aws-auth ConfigMap. Node groups (node_groups.py) and the EKS add-ons
(core_addons.py) are components of their own that take the cluster's name.
"""

import json
from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.aws.iam import allow, assume_role_policy, document, managed_policy_arn
from components.aws.kubeconfig import kubeconfig
from components.common import naming
from components.common.kubernetes_provider import PROVIDER_SETTINGS
from components.common.ordering import after
from components.common.renames import renamed_from

TYPE = "groundwork:index:EksCluster"
_ACCESS_POLICY = "arn:{partition}:eks::aws:cluster-access-policy/{name}"
# Access entry name part -> the EKS access policy its roles get, cluster-wide. Viewers get AdminView
# rather than View: Helm reads its release Secrets during preview and refresh.
_ACCESS_LEVELS = {"admin": "AmazonEKSClusterAdminPolicy", "viewer": "AmazonEKSAdminViewPolicy"}
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy",
                 "AmazonEC2ContainerRegistryReadOnly")
AUTO_MODE = "autoMode"
AUTO_MODE_CLUSTER_POLICIES = ("AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
                              "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy")
AUTO_MODE_NODE_POLICIES = ("AmazonEKSWorkerNodeMinimalPolicy",
                           "AmazonEC2ContainerRegistryPullOnly")
AUTO_MODE_NODE_POOLS = ("general-purpose", "system")
# What EKS needs of its envelope-encryption key (the EKS user guide's cluster role policy for it).
_KMS_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey")


def former_cluster_child(cluster_component: str) -> pulumi.Alias:
    """Node groups and core add-ons were children of the EksCluster component named
    `cluster_component` (type groundwork:eks:EksCluster) before they became components of their
    own. With this alias a stack created then updates them in place instead of replacing them."""
    return pulumi.Alias(parent=pulumi.create_urn(cluster_component, "groundwork:eks:EksCluster"))


def _oidc_issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity]) -> str:
    """The issuer URL EKS reports once the cluster exists."""
    oidcs = identities[0].oidcs or []
    return oidcs[0].issuer or ""


class EksClusterArgs(TypedDict):
    """Inputs of EksCluster."""

    name: str
    """The EKS cluster's name."""
    version: str
    """Kubernetes minor version, e.g. "1.34"."""
    vpc_id: pulumi.Input[str]
    """VPC of the cluster."""
    private_subnet_ids: pulumi.Input[list[pulumi.Input[str]]]
    """Subnets of the control plane's network interfaces."""
    region: str
    """AWS region, for the kubeconfig's `aws eks get-token`."""
    partition: NotRequired[str]
    """AWS partition; defaults to aws."""
    endpoint_public_access: NotRequired[bool]
    """Reach the API server from the internet (limited to `public_access_cidrs`); default true."""
    endpoint_private_access: NotRequired[bool]
    """Reach the API server from inside the VPC; default true."""
    public_access_cidrs: NotRequired[list[str]]
    """CIDRs allowed to the public endpoint (EKS allows at most 40)."""
    log_types: NotRequired[list[str]]
    """Control plane log types sent to CloudWatch."""
    secrets_encryption: NotRequired[bool]
    """Envelope-encrypt Secrets with a KMS key of this cluster; default true."""
    admin_role_arns: NotRequired[list[str]]
    """IAM roles with cluster-admin access entries."""
    viewer_role_arns: NotRequired[list[str]]
    """IAM roles with read-only (AdminView) access entries."""
    tags: NotRequired[dict[str, str]]
    """Tags for every resource."""
    protect: NotRequired[bool]
    """Protect the cluster and its KMS key from deletion: Pulumi's protect, and EKS deletion
    protection on the cluster."""
    compute: NotRequired[str]
    """nodeGroups (default) or karpenter: nodes join through node groups or Karpenter;
    autoMode: EKS Auto Mode runs the nodes, block storage and load balancing."""


class EksCluster(pulumi.ComponentResource):
    """An EKS control plane with access entries, an OIDC provider and a Kubernetes provider."""

    cluster_name: pulumi.Output[str]
    """The cluster's name, known once the control plane exists."""
    cluster_arn: pulumi.Output[str]
    """The cluster's ARN (Pod Identity trust is conditioned on it)."""
    version: pulumi.Output[str]
    """The control plane's Kubernetes version, known once it runs it: node groups and add-ons
    that take it move after the control plane."""
    cluster_security_group_id: pulumi.Output[str]
    """The security group EKS created for the control plane and the nodes."""
    endpoint: pulumi.Output[str]
    """The API server's URL."""
    certificate_authority: pulumi.Output[str]
    """The cluster's CA certificate, base64-encoded PEM."""
    oidc_provider_arn: pulumi.Output[str]
    """ARN of the IAM OIDC provider (IRSA)."""
    oidc_issuer_url: pulumi.Output[str]
    """The cluster's OIDC issuer URL."""
    kubeconfig: pulumi.Output[str]
    """A kubeconfig using `aws eks get-token` (secret)."""
    node_role_arn: pulumi.Output[str]
    """The IAM role of the cluster's nodes, resolved once its policies are attached."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, renamed_from("groundwork:eks:EksCluster", opts))
        cluster_name = args["name"]
        partition = args.get("partition", "aws")
        tags = args.get("tags") or {}
        protect = args.get("protect", False)
        public = args.get("endpoint_public_access", True)
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=protect)

        auto = args.get("compute") == AUTO_MODE
        cluster_role, attachments = self._service_role(
            f"{name}-cluster", cluster_name, "cluster", "eks.amazonaws.com",
            {"": "AmazonEKSClusterPolicy",
             **{f"-{p}": p for p in (AUTO_MODE_CLUSTER_POLICIES if auto else ())}},
            partition, tags,
            # Auto Mode's controllers tag the sessions they take with this role.
            actions=["sts:AssumeRole", "sts:TagSession"] if auto else ["sts:AssumeRole"])
        cluster_policies: list[pulumi.Resource] = list(attachments)
        self.node_role_arn = self._node_role(
            name, cluster_name, AUTO_MODE_NODE_POLICIES if auto else NODE_POLICIES, partition,
            tags)

        self.kms_key: aws.kms.Key | None = None
        encryption = None
        if args.get("secrets_encryption", True):
            self.kms_key = aws.kms.Key(
                f"{name}-secrets",
                description=f"Envelope encryption of Kubernetes Secrets in {cluster_name}",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                tags=tags,
                opts=protected,
            )
            aws.kms.Alias(f"{name}-secrets", name=naming.kms_alias(cluster_name),
                          target_key_id=self.kms_key.key_id, opts=child)
            # The control plane encrypts and decrypts data keys as the cluster role; the key's
            # default policy leaves that to IAM, so the role gets this key and nothing more.
            cluster_policies.append(aws.iam.RolePolicy(
                f"{name}-cluster-kms",
                role=cluster_role.id,
                policy=self.kms_key.arn.apply(lambda arn: json.dumps(document(allow(
                    "EncryptSecrets", list(_KMS_ACTIONS), arn)))),
                opts=child,
            ))
            encryption = aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=self.kms_key.arn),
                resources=["secrets"],
            )

        cluster = aws.eks.Cluster(
            name,
            name=cluster_name,
            version=args["version"],
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args["private_subnet_ids"],
                endpoint_public_access=public,
                endpoint_private_access=args.get("endpoint_private_access", True),
                public_access_cidrs=(list(args.get("public_access_cidrs") or [])
                                     if public else None),
            ),
            enabled_cluster_log_types=list(args.get("log_types") or []),
            encryption_config=encryption,
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            # EKS's own guard beside Pulumi's protect: a protected cluster also survives a delete
            # from the console or the CLI.
            deletion_protection=protect,
            **(self._auto_mode(self.node_role_arn) if auto else {}),
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=protect,
                # Deleting the policy first would leave the control plane unable to clean up.
                depends_on=cluster_policies,
                # AWS only reads this flag when the cluster is created and does not report it
                # back reliably; a diff on it would force replacing the whole cluster.
                # Likewise bootstrapSelfManagedAddons, which Auto Mode creates false: an existing
                # cluster can turn Auto Mode on in place (EKS user guide, "Enable EKS Auto Mode on
                # an existing cluster"), where a diff would replace it.
                ignore_changes=["accessConfig.bootstrapClusterCreatorAdminPermissions",
                                "bootstrapSelfManagedAddons"],
            ),
        )
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.version = cluster.version
        self.cluster_security_group_id = cluster.vpc_config.cluster_security_group_id
        self.endpoint = cluster.endpoint
        self.certificate_authority = cluster.certificate_authority.data
        self.oidc_issuer_url = cluster.identities.apply(_oidc_issuer)

        access = self._access(name, cluster, {"admin": args.get("admin_role_arns") or [],
                                              "viewer": args.get("viewer_role_arns") or []},
                              partition, tags)

        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=self.oidc_issuer_url,
            client_id_lists=["sts.amazonaws.com"],
            tags=tags,
            opts=child,
        )
        self.oidc_provider_arn = oidc.arn


        region = args["region"]
        self.kubeconfig = pulumi.Output.secret(pulumi.Output.all(
            cluster.name, cluster.endpoint, self.certificate_authority,
        ).apply(lambda values: kubeconfig(values[0], values[1], values[2], region)))
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            **PROVIDER_SETTINGS,
            # Without its access entries the provider's identity may not be authorised yet.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster, *access]),
        )
        self.register_outputs({
            "clusterName": self.cluster_name,
            "clusterArn": self.cluster_arn,
            "version": self.version,
            "clusterSecurityGroupId": self.cluster_security_group_id,
            "endpoint": self.endpoint,
            "certificateAuthority": self.certificate_authority,
            "oidcProviderArn": self.oidc_provider_arn,
            "oidcIssuerUrl": self.oidc_issuer_url,
            "kubeconfig": self.kubeconfig,
            "nodeRoleArn": self.node_role_arn,
        })

    @staticmethod
    def _auto_mode(node_role_arn: pulumi.Input[str]) -> dict:
        """The cluster arguments of Auto Mode: its three capabilities on together, as EKS
        requires, and no self-managed add-ons bootstrapped beside them."""
        return {
            "compute_config": aws.eks.ClusterComputeConfigArgs(
                enabled=True, node_pools=list(AUTO_MODE_NODE_POOLS),
                node_role_arn=node_role_arn),
            "storage_config": aws.eks.ClusterStorageConfigArgs(
                block_storage=aws.eks.ClusterStorageConfigBlockStorageArgs(enabled=True)),
            "kubernetes_network_config": aws.eks.ClusterKubernetesNetworkConfigArgs(
                elastic_load_balancing=aws.eks.ClusterKubernetesNetworkConfigElasticLoadBalancingArgs(
                    enabled=True)),
            "bootstrap_self_managed_addons": False,
        }

    def _node_role(self, name: str, cluster_name: str, policies: Sequence[str], partition: str,
                   tags: Mapping[str, str]) -> pulumi.Output[str]:
        """The nodes' role, its ARN resolving after the policies nodes need to join: node groups
        (or Auto Mode) that take it wait for them, and a destroy keeps them until the nodes are
        gone."""
        role, attachments = self._service_role(
            f"{name}-node", cluster_name, "node", "ec2.amazonaws.com",
            {f"-{policy}": policy for policy in policies}, partition, tags)
        return after(role.arn, [attachment.id for attachment in attachments])

    def _service_role(self, name: str, cluster_name: str, purpose: str, service: str,
                      policies: Mapping[str, str], partition: str, tags: Mapping[str, str],
                      actions: Sequence[str] = ("sts:AssumeRole",),
                      ) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        """A role `service` assumes, with AWS-managed `policies` (resource-name suffix to policy
        name) attached."""
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            name,
            name_prefix=naming.iam_role_prefix(cluster_name, purpose),
            assume_role_policy=assume_role_policy(service, actions),
            tags=tags,
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}{suffix}",
                role=role.name,
                policy_arn=managed_policy_arn(partition, policy),
                opts=child,
            )
            for suffix, policy in policies.items()
        ]
        return role, attachments

    def _access(self, name: str, cluster: aws.eks.Cluster, roles: Mapping[str, Sequence[str]],
                partition: str, tags: Mapping[str, str]) -> list[pulumi.Resource]:
        """For each access level, an access entry and a cluster-wide policy association per
        listed role."""
        resources: list[pulumi.Resource] = []
        for level, role_arns in roles.items():
            policy_arn = access_policy_arn(partition, _ACCESS_LEVELS[level])
            for index, role_arn in enumerate(role_arns):
                resources += grant_access(f"{name}-{level}-{index}", cluster.name, role_arn,
                                          tags, self, policy_arn=policy_arn)
        return resources


def access_policy_arn(partition: str, name: str) -> str:
    """The ARN of the EKS access policy `name`, e.g. AmazonEKSClusterAdminPolicy."""
    return _ACCESS_POLICY.format(partition=partition, name=name)


def grant_access(name: str, cluster_name: pulumi.Input[str], principal_arn: pulumi.Input[str],
                 tags: Mapping[str, str], parent: pulumi.Resource, *,
                 policy_arn: str | None = None, kubernetes_groups: Sequence[str] = (),
                 ) -> list[pulumi.Resource]:
    """An access entry for `principal_arn` and, with `policy_arn`, that access policy
    cluster-wide; with `kubernetes_groups` instead, the principal gets exactly what the
    cluster's RBAC grants those groups."""
    entry = aws.eks.AccessEntry(
        name,
        cluster_name=cluster_name,
        principal_arn=principal_arn,
        type="STANDARD",
        kubernetes_groups=list(kubernetes_groups) or None,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    if policy_arn is None:
        return [entry]
    association = aws.eks.AccessPolicyAssociation(
        name,
        cluster_name=cluster_name,
        principal_arn=principal_arn,
        policy_arn=policy_arn,
        access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[entry]),
    )
    return [entry, association]
