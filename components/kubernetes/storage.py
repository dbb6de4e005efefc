"""DefaultStorage: the cluster's default StorageClass, encrypted gp3 EBS volumes, so a
PersistentVolumeClaim that names no class binds.

The provisioner is the EBS CSI driver's: `ebs.csi.aws.com` for the EKS add-on, or Auto Mode's own
`ebs.csi.eks.amazonaws.com` (EKS user guide, "Create a storage class" for Auto Mode; the driver's
docs/parameters.md for `type` and `encrypted`). Volumes are created in the zone of the pod that
first uses them (WaitForFirstConsumer), never in a zone its node is not in.
"""

from typing import TypedDict

import pulumi
import pulumi_kubernetes as k8s

TYPE = "groundwork:index:DefaultStorage"
EBS_CSI = "ebs.csi.aws.com"
AUTO_MODE_EBS = "ebs.csi.eks.amazonaws.com"
NAME = "gp3"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


def storage_class(provisioner: str) -> dict:
    """The default StorageClass: gp3, encrypted with the account's EBS key, expandable, and
    deleted with its claim."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": NAME, "annotations": {DEFAULT_CLASS: "true"}},
        "provisioner": provisioner,
        "parameters": {"type": "gp3", "encrypted": "true"},
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
        "reclaimPolicy": "Delete",
    }


class DefaultStorageArgs(TypedDict):
    """Inputs of DefaultStorage."""

    provisioner: str
    """ebs.csi.aws.com (the EBS CSI add-on) or ebs.csi.eks.amazonaws.com (Auto Mode)."""


class DefaultStorage(pulumi.ComponentResource):
    """The default StorageClass of an EKS cluster."""

    name: pulumi.Output[str]
    """The StorageClass's name. The GitOps engine waits for it, so a destroy keeps the class
    until the engine has deleted every claim of its apps."""

    def __init__(self, name: str, args: DefaultStorageArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        manifest = storage_class(args["provisioner"])
        storage = k8s.storage.v1.StorageClass(
            name,
            metadata=manifest["metadata"],
            provisioner=manifest["provisioner"],
            parameters=manifest["parameters"],
            volume_binding_mode=manifest["volumeBindingMode"],
            allow_volume_expansion=manifest["allowVolumeExpansion"],
            reclaim_policy=manifest["reclaimPolicy"],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = storage.metadata.apply(lambda metadata: metadata.name or NAME)
        self.register_outputs({"name": self.name})
