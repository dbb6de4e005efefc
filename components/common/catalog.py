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
    )
}
