"""The add-on catalog: the add-ons the cluster bridge supports, as plain data.

groundwork does not install these add-ons: the GitOps tree does, selected by the `enable_<addon>`
labels of the bridge. The config reads the catalog to validate `gitops.addons`; the AWS layer
creates an IAM role for each add-on that calls AWS (components/aws/addon_identities.py); the GitOps
layer tells the tree where each add-on runs. None of them imports the others.
"""

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Addon:
    """An add-on the bridge can enable, and where it runs."""

    name: str
    namespace: str
    service_account: str
    # Short, stable word used in IAM role names, which are limited to 64 characters.
    role_purpose: str = ""
    # It calls AWS APIs, so it gets an IAM role, which only an EKS cluster can provide.
    calls_aws: bool = False
    # Its policy writes Route 53 records, so gitops.dnsZoneIds must name the zones.
    needs_dns_zones: bool = False


CATALOG: Mapping[str, Addon] = {
    addon.name: addon
    for addon in (
        Addon("aws-load-balancer-controller", "kube-system", "aws-load-balancer-controller",
              "lbc", calls_aws=True),
        Addon("external-dns", "external-dns", "external-dns", "dns", calls_aws=True,
              needs_dns_zones=True),
        Addon("cluster-autoscaler", "kube-system", "cluster-autoscaler", "autoscaler",
              calls_aws=True),
        Addon("cert-manager", "cert-manager", "cert-manager", "certs", calls_aws=True,
              needs_dns_zones=True),
        Addon("external-secrets", "external-secrets", "external-secrets", "secrets",
              calls_aws=True),
        Addon("metrics-server", "kube-system", "metrics-server"),
        # Installed by `cluster.compute: karpenter`, never listed in gitops.addons: its IAM role,
        # node role and interruption queue come with that compute mode. kube-system, as the
        # Karpenter getting-started guide installs it (KARPENTER_NAMESPACE=kube-system).
        Addon("karpenter", "kube-system", "karpenter", "karpenter", calls_aws=True),
    )
}

# The add-on a compute mode brings with it (cluster.compute -> catalog name).
COMPUTE_ADDONS: Mapping[str, str] = {"karpenter": "karpenter"}
# Catalog add-ons a compute mode already does the work of: EKS Auto Mode runs its own load
# balancer controller and scales its own nodes; Karpenter and cluster-autoscaler would both
# scale the same pods' nodes.
COMPUTE_CONFLICTS: Mapping[str, tuple[str, ...]] = {
    "autoMode": ("aws-load-balancer-controller", "cluster-autoscaler"),
    "karpenter": ("cluster-autoscaler",),
}


def listable(compute: str) -> list[str]:
    """The catalog add-ons `gitops.addons` may name under `compute`: neither one the compute mode
    brings itself nor one it conflicts with."""
    return sorted(name for name in CATALOG if name not in COMPUTE_ADDONS.values()
                  and name not in COMPUTE_CONFLICTS.get(compute, ()))


@dataclass(frozen=True)
class EksAddon:
    """An add-on EKS manages (aws.eks.Addon), with what it needs."""

    name: str
    # A Deployment: created before any node exists it stays degraded and the add-on times out,
    # so it follows the nodes. DaemonSets (the rest) come before them.
    needs_nodes: bool = False
    # Its own identity, for add-ons that call AWS with a role of their own: the service account
    # in kube-system the role is bound to, and the AWS-managed policy it gets.
    service_account: str = ""
    managed_policy: str = ""


# Every EKS add-on a cluster on managed node groups or Karpenter runs, in creation order. Auto Mode
# runs each of them itself (EKS user guide, Auto Mode: "EKS Auto Mode ... eliminates the need for
# these add-ons"), so it gets none. The VPC CNI keeps the node role's CNI policy.
EKS_ADDONS: tuple[EksAddon, ...] = (
    EksAddon("vpc-cni"),
    EksAddon("kube-proxy"),
    EksAddon("eks-pod-identity-agent"),
    EksAddon("coredns", needs_nodes=True),
    # Block storage: without it a PersistentVolumeClaim never binds. Its controller is a
    # Deployment; the policy is AWS's own for the driver (service-role path).
    EksAddon("aws-ebs-csi-driver", needs_nodes=True, service_account="ebs-csi-controller-sa",
             managed_policy="service-role/AmazonEBSCSIDriverPolicy"),
)
