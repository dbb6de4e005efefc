"""Mocks of the cloud for the program: plausible, deterministic answers to every invoke and
resource registration, so every manifest is complete and renders diff cleanly."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import rpc

from components.common.partitions import partition_of
from components.common.patterns import Pattern
from components.config import project_declarations
from components.config.keys import minor

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_CALLER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/groundwork"
_ASSUMED_ROLE = Pattern(r"arn:(aws[a-z-]*):sts::([0-9]{12}):assumed-role/([^/]+)/(.+)")
# The DNS suffix of each partition, from the AWS SDKs' partitions.json.
_DNS_SUFFIXES = {"aws-cn": "amazonaws.com.cn", "aws-iso": "c2s.ic.gov",
                 "aws-iso-b": "sc2s.sgov.gov", "aws-iso-e": "cloud.adc-e.uk",
                 "aws-iso-f": "csp.hci.ic.gov", "aws-eusc": "amazonaws.eu"}


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc", "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw", "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/natGateway:NatGateway": "nat", "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/route:Route": "r",
}


@dataclass(frozen=True)
class Cloud:
    """What already exists in the account before the run: EKS clusters by name, each with the
    desired sizes of its node groups (by groundwork's group name), and IAM roles that do not
    exist although a config names them."""

    clusters: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    missing_roles: frozenset[str] = frozenset()
    # The Kubernetes version each existing cluster runs; one not named runs the project default.
    versions: Mapping[str, str] = field(default_factory=dict)
    # The previous deployment's stack outputs, as a StackReference to this stack reads them.
    previous_outputs: Mapping[str, Any] = field(default_factory=dict)
    # Other stacks' outputs by fully qualified name (`org/project/stack`), as a StackReference to
    # them reads them: a fleet spoke's hub. A reference to a stack not named here fails, as the
    # engine fails one to a stack that does not exist.
    stacks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The outputs those stacks export as secrets.
    secret_outputs: frozenset[str] = frozenset({"kubeconfig"})


@dataclass(frozen=True)
class Invoke:
    """One invoke the program made, with its arguments."""

    token: str
    args: dict[str, Any]


class GroundworkMocks(pulumi.runtime.Mocks):
    """Plausible cloud answers, deterministic per resource name so renders diff cleanly.

    The caller is `caller_arn` (an IAM user, or an `arn:aws:sts::...:assumed-role/...` session),
    and `cloud` is what the account already holds. Every invoke is recorded.
    """

    def __init__(self, region: str, caller_arn: str = DEFAULT_CALLER_ARN,
                 cloud: Cloud | None = None):
        self.region = region
        self.caller_arn = caller_arn
        self.cloud = cloud or Cloud()
        self.invokes: list[Invoke] = []

    @staticmethod
    def _node_group_name(group: str) -> str:
        """What EKS named a group created with node_group_name_prefix `<group>-`."""
        return f"{group}-{_hex(group, 26)}"

    def _zones(self, filters: list[dict[str, Any]]) -> list[dict[str, str]]:
        """Three zones and, sorted before them as AWS sorts names, one opted-in Local Zone."""
        zones = [{"name": f"{self.region}-lz-1a", "zoneId": "use1-lz1-az1",
                  "optInStatus": "opted-in"}]
        zones += [{"name": f"{self.region}{suffix}", "zoneId": f"use1-az{i + 1}",
                   "optInStatus": "opt-in-not-required"} for i, suffix in enumerate("abc")]
        fields = {"opt-in-status": "optInStatus", "zone-name": "name", "zone-id": "zoneId"}
        for item in filters:
            if item["name"] not in fields:
                raise NotImplementedError(f"groundwork mocks do not filter zones by {item['name']}")
            zones = [z for z in zones if z[fields[item["name"]]] in item["values"]]
        return sorted(zones, key=lambda zone: zone["name"])

    def call(self, args: pulumi.runtime.MockCallArgs):
        token = args.token
        self.invokes.append(Invoke(token, dict(args.args)))
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = self._zones(list(args.args.get("filters") or []))
            return {"names": [z["name"] for z in zones], "zoneIds": [z["zoneId"] for z in zones],
                    "id": self.region, "state": "available"}, []
        if token == "aws:index/getRegion:getRegion":
            return {"region": self.region, "name": self.region, "id": self.region,
                    "endpoint": f"ec2.{self.region}.amazonaws.com",
                    "description": self.region}, []
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            # The caller's account, so a run can stand for a stack deployed in another account
            # (a fleet spoke beside its hub's); resources keep ACCOUNT_ID in their ARNs.
            account = self.caller_arn.split(":")[4]
            return {"accountId": account, "id": account, "userId": "AIDAGROUNDWORK",
                    "arn": self.caller_arn}, []
        if token == "aws:iam/getSessionContext:getSessionContext":
            # An assumed-role session names its role; any other ARN passes through unchanged.
            arn = args.args["arn"]
            session = _ASSUMED_ROLE.parse(arn)
            if session is None:
                return {"arn": arn, "id": arn, "issuerArn": arn, "issuerId": "",
                        "issuerName": "", "sessionName": ""}, []
            partition, account, role, session_name = session.groups()
            return {"arn": arn, "id": arn,
                    "issuerArn": f"arn:{partition}:iam::{account}:role/{role}",
                    "issuerId": f"AROA{_hex(role, 17).upper()}", "issuerName": role,
                    "sessionName": session_name}, []
        if token == "aws:eks/getClusters:getClusters":
            return {"id": self.region, "names": list(self.cloud.clusters)}, []
        if token == "aws:eks/getNodeGroups:getNodeGroups":
            cluster = args.args["clusterName"]
            names = [self._node_group_name(group) for group in self.cloud.clusters[cluster]]
            return {"id": cluster, "clusterName": cluster, "names": names}, []
        if token == "aws:eks/getNodeGroup:getNodeGroup":
            cluster, name = args.args["clusterName"], args.args["nodeGroupName"]
            [desired] = [size for group, size in self.cloud.clusters[cluster].items()
                         if self._node_group_name(group) == name]
            return {"id": f"{cluster}:{name}", "clusterName": cluster, "nodeGroupName": name,
                    "scalingConfigs": [{"desiredSize": desired, "minSize": 0,
                                        "maxSize": max(desired, 1)}]}, []
        if token == "aws:iam/getRole:getRole":
            name = args.args["name"]
            if any(arn.endswith(f"/{name}") for arn in self.cloud.missing_roles):
                # As the engine answers a failed invoke: the SDK raises at the call site.
                return {}, [("", f"reading IAM Role ({name}): NoSuchEntity: The role with name "
                                 f"{name} cannot be found.")]
            return {"id": name, "name": name, "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
                    "assumeRolePolicy": "{}", "uniqueId": f"AROA{_hex(name, 17).upper()}"}, []
        if token == "aws:eks/getCluster:getCluster":
            name = args.args["name"]
            return {"id": name, "name": name, "version": self.cloud.versions.get(
                name, project_declarations()["cluster"]["default"]["version"]),
                    "arn": f"arn:aws:eks:{self.region}:{ACCOUNT_ID}:cluster/{name}"}, []
        if token == "aws:eks/getAddonVersion:getAddonVersion":
            # Deterministic per add-on and Kubernetes version, as EKS's listing is.
            addon, kubernetes = args.args["addonName"], args.args["kubernetesVersion"]
            version = f"v1.{minor(kubernetes)}.{int(_hex(addon, 2), 16) % 10}-eksbuild.1"
            return {"id": addon, "addonName": addon, "kubernetesVersion": kubernetes,
                    "mostRecent": bool(args.args.get("mostRecent")), "version": version}, []
        if token == "aws:index/getPartition:getPartition":
            partition = partition_of(self.region) or "aws"
            suffix = _DNS_SUFFIXES.get(partition, "amazonaws.com")
            return {"partition": partition, "dnsSuffix": suffix, "id": partition,
                    "reverseDnsPrefix": ".".join(reversed(suffix.split(".")))}, []
        raise NotImplementedError(f"groundwork mocks do not answer invoke {token}")

    def _stack_reference(self, stack: str) -> dict[str, Any]:
        """What a StackReference to `stack` reads: another stack's outputs, or, for the stack
        itself, those of its previous update."""
        if stack in self.cloud.stacks:
            outputs = dict(self.cloud.stacks[stack])
            return {"outputs": outputs,
                    "secretOutputNames": sorted(self.cloud.secret_outputs & set(outputs))}
        if stack.rsplit("/", 1)[-1] != pulumi.get_stack():
            raise LookupError(f"unknown stack {stack!r}")
        return {"outputs": dict(self.cloud.previous_outputs), "secretOutputNames": []}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        inputs = dict(args.inputs)
        seed = f"{args.typ}::{args.name}"
        typ = args.typ
        arn_base = f"arn:aws:{{service}}:{self.region}:{ACCOUNT_ID}"
        state: dict[str, Any] = {}
        resource_id = f"{args.name}-{_hex(seed, 8)}"
        if typ in _ID_PREFIXES:
            resource_id = f"{_ID_PREFIXES[typ]}-{_hex(seed, 17)}"
            state["arn"] = f"{arn_base.format(service='ec2')}:{_ID_PREFIXES[typ]}/{resource_id}"
        elif typ == "aws:iam/role:Role":
            role_name = (inputs.get("name")
                         or f"{inputs.get('namePrefix', args.name)}{_hex(seed, 26)}")
            resource_id = role_name
            state.update(name=role_name,
                         arn=f"arn:aws:iam::{ACCOUNT_ID}:role{inputs.get('path', '/')}{role_name}",
                         uniqueId=f"AROA{_hex(seed, 17).upper()}")
        elif typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            host = str(inputs.get("url", "")).removeprefix("https://")
            state["arn"] = resource_id = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"
        elif typ == "aws:kms/key:Key":
            key_id = "-".join(_hex(seed, 32)[i:j] for i, j in ((0, 8), (8, 12), (12, 16), (16, 20),
                                                                 (20, 32)))
            resource_id = key_id
            state.update(keyId=key_id, arn=f"{arn_base.format(service='kms')}:key/{key_id}")
        elif typ == "aws:eks/cluster:Cluster":
            cluster_id = _hex(seed, 32).upper()
            resource_id = inputs["name"]
            state.update(
                arn=f"{arn_base.format(service='eks')}:cluster/{inputs['name']}",
                endpoint=f"https://{cluster_id}.gr7.{self.region}.eks.amazonaws.com",
                certificateAuthority={"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1PQ0sKLS0tLS1F"
                                              "TkQgQ0VSVElGSUNBVEUtLS0tLQo="},
                identities=[{"oidcs": [{"issuer": f"https://oidc.eks.{self.region}.amazonaws.com"
                                                  f"/id/{cluster_id}"}]}],
                status="ACTIVE",
                vpcConfig={**(inputs.get("vpcConfig") or {}),
                           "clusterSecurityGroupId": f"sg-{_hex(seed, 17)}",
                           "vpcId": f"vpc-{_hex(seed, 17)}"},
            )
        elif typ == "aws:eks/podIdentityAssociation:PodIdentityAssociation":
            association_id = f"a-{_hex(seed, 17)}"
            state.update(associationId=association_id, associationArn=(
                f"{arn_base.format(service='eks')}:podidentityassociation/"
                f"{inputs.get('clusterName')}/{association_id}"))
        elif typ == "aws:eks/accessEntry:AccessEntry":
            state["accessEntryArn"] = (f"{arn_base.format(service='eks')}:access-entry/"
                                       f"{inputs.get('clusterName')}/{_hex(seed, 8)}")
        elif typ == "aws:sqs/queue:Queue":
            queue_name = (inputs.get("name")
                          or f"{inputs.get('namePrefix', args.name)}{_hex(seed, 26)}")
            resource_id = f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT_ID}/{queue_name}"
            state.update(name=queue_name, url=resource_id,
                         arn=f"{arn_base.format(service='sqs')}:{queue_name}")
        elif typ == "aws:ec2/launchTemplate:LaunchTemplate":
            state.update(arn=f"{arn_base.format(service='ec2')}:launch-template/{resource_id}",
                         latestVersion=1, defaultVersion=1)
        elif typ == "aws:eks/nodeGroup:NodeGroup":
            group_name = f"{inputs.get('nodeGroupNamePrefix', args.name)}{_hex(seed, 26)}"
            state.update(nodeGroupName=group_name,
                         arn=f"{arn_base.format(service='eks')}:nodegroup/{group_name}")
        elif typ.startswith("aws:"):
            service = typ.split(":")[1].split("/")[0]
            state["arn"] = f"{arn_base.format(service=service)}:{resource_id}"
        elif typ == "pulumi:pulumi:StackReference":
            state.update(self._stack_reference(str(inputs.get("name", args.name))))
        elif typ.startswith("kubernetes:"):
            metadata = rpc.unwrap_rpc_secret(inputs.get("metadata")) or {}
            namespace = metadata.get("namespace") or inputs.get("namespace")
            object_name = metadata.get("name") or inputs.get("name") or args.name
            resource_id = f"{namespace}/{object_name}" if namespace else object_name
        return resource_id, {**inputs, **state}
