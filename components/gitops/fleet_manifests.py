"""Fleet manifests: pure builders of a spoke's registration in its hub and of the hub's RBAC for
the identities that register spokes (leaves may be `pulumi.Input`s; nothing here registers a
resource).

- Argo CD: the spoke is a cluster Secret in `argocd`, the same builder as the hub's own
  (argocd_manifests.cluster_secret), carrying the spoke's bridge as labels and annotations, so
  the add-on ApplicationSets that select clusters by label deliver to it. Its `config` has no
  credential: Argo CD's controllers sign EKS tokens as the hub's fleet role (`awsAuthConfig`),
  assuming the spoke's own role first when the spoke names one (`roleARN`, across accounts).
- Flux: a ConfigMap for `spec.kubeConfig.configMapRef` of the hub's Kustomizations and
  HelmReleases for the spoke (`provider: aws`: kustomize-controller and helm-controller reach it
  as the fleet role through workload identity, no static token), and the spoke's `cluster-vars`
  under its own name, for `postBuild.substituteFrom`.
- A registrar may create, read back, change and delete exactly those kinds in the engine's
  namespace (REGISTRATION_RESOURCES), through a Role bound to its Kubernetes group.
"""

import base64
import json
from collections.abc import Mapping

import pulumi

from components.common import naming
from components.common.patterns import Pattern
from components.gitops import argocd_manifests, flux_manifests
from components.gitops.bridge import ClusterMetadata

RBAC_API = "rbac.authorization.k8s.io/v1"
# The Kubernetes group of registrars: the hub's access entries put them in it (EKS refuses
# groups starting with `system:`, `eks:`, `amazon:`, `aws:` and `iam:`).
REGISTRAR_GROUP = "groundwork-fleet-registrars"
REGISTRAR_ROLE = "groundwork-fleet-registrar"
# What a registration is made of, per engine, as RBAC names the resources: a registrar may touch
# these and nothing else. Not list or watch: those would show every object of the kind in the
# namespace, Argo CD's repository credentials included.
REGISTRATION_RESOURCES: Mapping[str, tuple[str, ...]] = {"argocd": ("secrets",),
                                                          "flux": ("configmaps",)}
# Server-side apply creates and changes with patch; Pulumi reads an object back (get) after apply,
# on refresh and while it waits for a deletion.
REGISTRAR_VERBS = ("create", "get", "update", "patch", "delete")
# The service accounts of the controllers that reach spokes: Argo CD's application controller
# (sync) and server (live state in the UI), with the argo-cd chart's names for release `argocd`;
# Flux's kustomize-controller and helm-controller.
ENGINE_SERVICE_ACCOUNTS: Mapping[str, tuple[str, ...]] = {
    "argocd": ("argocd-application-controller", "argocd-server"),
    "flux": ("kustomize-controller", "helm-controller"),
}
ENGINE_NAMESPACES: Mapping[str, str] = {"argocd": argocd_manifests.NAMESPACE,
                                        "flux": flux_manifests.NAMESPACE}
# Flux's provider for `kubeConfig.configMapRef` on EKS.
FLUX_PROVIDER = "aws"
_NOT_IN_LABEL = Pattern(r"[^a-z0-9-]+")
_PREFIX = "spoke-"


def registration_name(stack: str) -> str:
    """The spoke's name in its hub, from its stack's name (unique in the project, where cluster
    names and environments need not be): `spoke-<stack>` as a DNS label, for the Secret or
    ConfigMaps and for the Applications the hub's ApplicationSets name after the cluster."""
    label = "-".join(_NOT_IN_LABEL.split(stack.lower())).strip("-") or "stack"
    return _PREFIX + naming.shortened(label, naming.DNS_LABEL_MAX - len(_PREFIX))


def registrar_role(engine: str) -> dict:
    return {"apiVersion": RBAC_API, "kind": "Role",
            "metadata": {"name": REGISTRAR_ROLE, "namespace": ENGINE_NAMESPACES[engine]},
            "rules": [{"apiGroups": [""], "resources": list(REGISTRATION_RESOURCES[engine]),
                       "verbs": list(REGISTRAR_VERBS)}]}


def registrar_binding(engine: str) -> dict:
    return {"apiVersion": RBAC_API, "kind": "RoleBinding",
            "metadata": {"name": REGISTRAR_ROLE, "namespace": ENGINE_NAMESPACES[engine]},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                        "name": REGISTRAR_ROLE},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                          "name": REGISTRAR_GROUP}]}


def _aws_auth(cluster_name: str, role_arn: str, ca_data: str) -> str:
    auth = {"clusterName": cluster_name}
    if role_arn:
        auth["roleARN"] = role_arn
    return json.dumps({"awsAuthConfig": auth, "tlsClientConfig": {"caData": ca_data}})


def argocd_registration(metadata: ClusterMetadata, name: str, server: pulumi.Input[str],
                        ca_data: pulumi.Input[str], role_arn: pulumi.Input[str]) -> dict:
    """The spoke's cluster Secret. `ca_data`: the cluster's CA, base64 PEM as EKS reports it;
    `role_arn`: the spoke's role the hub's role assumes, or empty to reach it as itself."""
    config = pulumi.Output.all(metadata.cluster_name, role_arn, ca_data).apply(
        lambda values: _aws_auth(*values))
    return argocd_manifests.cluster_secret(metadata, name=name, server=server, config=config)


def kubeconfig_name(name: str) -> str:
    return f"{name}-kubeconfig"


def cluster_vars_name(name: str) -> str:
    return f"{name}-{flux_manifests.CLUSTER_VARS}"


def flux_registration(metadata: ClusterMetadata, name: str, cluster_arn: pulumi.Input[str],
                      server: pulumi.Input[str], ca_data: pulumi.Input[str]) -> tuple[dict, dict]:
    """The spoke's kubeConfig ConfigMap and its cluster-vars. `ca.crt` is PEM, which EKS reports
    base64-encoded."""
    pem = pulumi.Output.from_input(ca_data).apply(lambda data: base64.b64decode(data).decode())
    return (flux_manifests.config_map(kubeconfig_name(name), {
                "provider": FLUX_PROVIDER, "cluster": cluster_arn, "address": server,
                "ca.crt": pem}),
            flux_manifests.cluster_vars(metadata, name=cluster_vars_name(name)))
