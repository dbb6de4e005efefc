"""Reads of what the AWS account already holds, made before anything is created or changed."""

from collections.abc import Iterable, Mapping

import pulumi_aws as aws

from components.common import naming


def cluster_exists(cluster_name: str) -> bool:
    return cluster_name in aws.eks.get_clusters().names


def node_group_desired_sizes(cluster_name: str, groups: Iterable[str]) -> dict[str, int]:
    """The live desired size of each of `groups` (groundwork's names) that exists in the cluster.
    EKS names a group `<group>-` plus a unique suffix; during a replacement two can exist, and the
    larger size is the one that must not shrink."""
    names = aws.eks.get_node_groups(cluster_name=cluster_name).names
    sizes: dict[str, int] = {}
    for group in groups:
        prefix = naming.node_group_prefix(group)
        for name in names:
            if name.startswith(prefix) and len(name) == len(prefix) + naming.AWS_UNIQUE_SUFFIX:
                live = aws.eks.get_node_group(cluster_name=cluster_name, node_group_name=name)
                desired = live.scaling_configs[0].desired_size
                sizes[group] = max(sizes.get(group, 0), desired)
    return sizes


def unreadable_roles(role_arns: Iterable[str]) -> dict[str, str]:
    """Each role ARN that IAM cannot read in this account, with IAM's error: a role that does not
    exist, or one the deploying identity may not read (it then fails the same way at EKS)."""
    problems = {}
    for arn in role_arns:
        try:
            aws.iam.get_role(name=arn.rsplit("/", 1)[-1])
        except Exception as error:  # the invoke raises a plain Exception for any AWS error
            problems[arn] = str(error).splitlines()[0] if str(error) else type(error).__name__
    return problems


def cluster_version(cluster_name: str) -> str:
    """The Kubernetes version the cluster's control plane runs now."""
    return aws.eks.get_cluster(name=cluster_name).version


def addon_versions(names: Iterable[str], kubernetes_version: str,
                   pinned: Mapping[str, str]) -> dict[str, str]:
    """The version of each EKS add-on: pinned in config, or the newest EKS lists as compatible
    with `kubernetes_version`. Resolved before anything is created, so a preview shows the exact
    version each add-on moves to."""
    return {name: pinned.get(name) or aws.eks.get_addon_version(
        addon_name=name, kubernetes_version=kubernetes_version, most_recent=True).version
        for name in names}
