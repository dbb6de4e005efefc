"""The shape of the `groundwork:` config: accepted keys per object, allowed values, and the
patterns and limits values are checked against."""

import re
from pathlib import Path

NAMESPACE = "groundwork"
PROJECT_FILE = Path(__file__).resolve().parents[2] / "Pulumi.yaml"

NAT_STRATEGIES = ("none", "single", "perAz")
PROVIDERS = ("eks", "existing")
ENGINES = ("argocd", "flux")
# `none` runs no engine: the first half of switching a live stack from one engine to the other.
NO_ENGINE = "none"
ENGINE_CHOICES = (*ENGINES, NO_ENGINE)
# Who owns the engine after bootstrap: Git (the engine manages itself) or Pulumi (`pulumi up`
# upgrades it).
OWNERSHIP = ("git", "pulumi")
CAPACITY_TYPES = ("ON_DEMAND", "SPOT")
TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# EKS standard and extended support at the time of writing; older versions cannot be created.
SUPPORTED_VERSIONS = ("1.31", "1.32", "1.33", "1.34", "1.35")
AZ_COUNT_RANGE = (2, 6)
# A /16 leaves room to grow; below /24 the per-AZ subnets would be smaller than EKS needs.
VPC_PREFIX_RANGE = (16, 24)

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$")
HTTPS_GIT = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?/[^\s]+$")
SSH_GIT = re.compile(r"^(ssh://[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d+)?/[^\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s/][^\s]*)$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,64}$")
HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,32}$")
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
VERSION = re.compile(r"^1\.\d{2}$")
DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$")
# Pulumi sends numbers as doubles and the AWS and Kubernetes APIs read them as 32-bit integers, so
# counts and waves stay in that range to arrive exactly as written.
INT32_RANGE = (-(2**31), 2**31 - 1)
# A hard EKS limit: it cannot be raised by a quota request.
PUBLIC_ACCESS_CIDRS_MAX = 40

# The keys each object accepts. Pulumi.yaml describes every one of them (tested).
NETWORK_KEYS = ("cidr", "azCount", "natGateways")
CLUSTER_KEYS = ("provider", "name", "version", "endpointPublicAccess", "endpointPrivateAccess",
                "publicAccessCidrs", "allowPublicEndpointFromAnywhere", "logTypes",
                "secretsEncryption", "adminRoleArns", "viewerRoleArns", "nodeGroups",
                "systemNodeGroup", "selfSignedKubeletCerts", "context")
NODE_GROUP_KEYS = ("name", "instanceTypes", "capacityType", "minSize", "desiredSize", "maxSize",
                   "labels", "taints")
TAINT_KEYS = ("key", "value", "effect")
GITOPS_KEYS = ("engine", "ownership", "repoUrl", "revision", "path", "sync", "addons",
               "dnsZoneIds", "apps",
               "healthTimeout", "argocd", "flux")
SYNC_KEYS = ("automated", "prune", "selfHeal")
APP_KEYS = ("name", "path", "namespace", "repoUrl", "revision", "wave")
ARGOCD_KEYS = ("chartVersion", "ha", "values", "applicationSet")
FLUX_KEYS = ("chartVersion", "values", "interval")
# The one config key that holds secrets. Its values must arrive as secrets from the CLI.
CREDENTIALS_KEY = "gitCredentials"
HTTPS_CREDENTIAL_KEYS = ("username", "password")
SSH_CREDENTIAL_KEYS = ("sshPrivateKey", "knownHosts")


