"""Run the groundwork program under Pulumi's mocks and record everything it registers.

One runner serves the offline render, the benchmarks and the tests. It layers configuration the
way the Pulumi CLI does (Pulumi.yaml defaults, then Pulumi.<stack>.yaml), turns every `secure:`
value into the placeholder `<secret>` and keeps it marked secret, answers AWS invokes and returns
plausible ids, ARNs, endpoints and OIDC issuers so every manifest is complete, and records each
resource's inputs, parent, dependencies, protection and which inputs were secret.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import runpy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks, rpc, settings as runtime_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.config import CREDENTIALS_KEY

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "groundwork"
SECRET_PLACEHOLDER = "<secret>"
ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_CALLER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/groundwork"
_ASSUMED_ROLE = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/(.+)$")


# --- configuration -------------------------------------------------------------------------------


def _placeholders(value: Any) -> tuple[Any, bool]:
    """Replace each `{secure: ...}` with the placeholder; report whether any was found."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        pairs = {key: _placeholders(item) for key, item in value.items()}
        return {key: pair[0] for key, pair in pairs.items()}, any(p[1] for p in pairs.values())
    if isinstance(value, list):
        pairs = [_placeholders(item) for item in value]
        return [pair[0] for pair in pairs], any(pair[1] for pair in pairs)
    return value, False


def _set_path(values: dict[str, Any], key: str, dotted: str, value: Any) -> None:
    """Set `a.b.c` inside the object config value `key`, as `pulumi config set --path` does."""
    *parents, leaf = dotted.split(".")
    node = values.setdefault(key, {})
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def stack_values(stack: str, project_dir: Path = ROOT,
                 overrides: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], set[str]]:
    """The config of `stack` as the CLI would pass it: full keys to values, plus the secret keys.

    `overrides` maps `groundwork` key paths (`gitops.engine`) or full keys (`aws:region`) to values
    and is applied last, the way `pulumi config set --path` would; credentials the way
    `pulumi config set --secret --path` would."""
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    values: dict[str, Any] = {}
    secret_keys: set[str] = set()
    for key, spec in (project.get("config") or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(spec, dict) and "default" in spec:
            values[full] = copy.deepcopy(spec["default"])
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if stack_file.exists():
        for key, value in ((yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}).items():
            plain, secret = _placeholders(value)
            values[key] = plain
            if secret:
                secret_keys.add(key)
    for path, value in (overrides or {}).items():
        if ":" in path:
            values[path] = value
            continue
        top, _, rest = path.partition(".")
        full = f"{PROJECT}:{top}"
        if top == CREDENTIALS_KEY:
            secret_keys.add(full)
        if rest:
            # A stack value replaces the project default, so start from the merged view.
            if not isinstance(values.get(full), dict):
                values[full] = {}
            _set_path(values, full, rest, value)
        else:
            values[full] = value
    return values, secret_keys


def _as_config_strings(values: Mapping[str, Any]) -> dict[str, str]:
    return {key: value if isinstance(value, str) else json.dumps(value)
            for key, value in values.items()}


# --- mocks ---------------------------------------------------------------------------------------


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
class Invoke:
    token: str
    args: dict[str, Any]


class GroundworkMocks(pulumi.runtime.Mocks):
    """Plausible cloud answers, deterministic per resource name so renders diff cleanly.

    The caller is `caller_arn` (an IAM user, or an `arn:aws:sts::...:assumed-role/...` session),
    and `existing_clusters` are the EKS clusters already in the region. Every invoke is recorded.
    """

    def __init__(self, region: str, caller_arn: str = DEFAULT_CALLER_ARN,
                 existing_clusters: tuple[str, ...] = ()):
        self.region = region
        self.caller_arn = caller_arn
        self.existing_clusters = existing_clusters
        self.invokes: list[Invoke] = []

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
            return {"accountId": ACCOUNT_ID, "id": ACCOUNT_ID, "userId": "AIDAGROUNDWORK",
                    "arn": self.caller_arn}, []
        if token == "aws:iam/getSessionContext:getSessionContext":
            # An assumed-role session names its role; any other ARN passes through unchanged.
            arn = args.args["arn"]
            session = _ASSUMED_ROLE.match(arn)
            if session is None:
                return {"arn": arn, "id": arn, "issuerArn": arn, "issuerId": "",
                        "issuerName": "", "sessionName": ""}, []
            partition, account, role, session_name = session.groups()
            return {"arn": arn, "id": arn, "issuerArn": f"arn:{partition}:iam::{account}:role/{role}",
                    "issuerId": f"AROA{_hex(role, 17).upper()}", "issuerName": role,
                    "sessionName": session_name}, []
        if token == "aws:eks/getClusters:getClusters":
            return {"id": self.region, "names": list(self.existing_clusters)}, []
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws",
                    "reverseDnsPrefix": "com.amazonaws"}, []
        raise NotImplementedError(f"groundwork mocks do not answer invoke {token}")

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
            role_name = inputs.get("name") or f"{inputs.get('namePrefix', args.name)}{_hex(seed, 26)}"
            resource_id = role_name
            state.update(name=role_name, arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{role_name}",
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
                certificateAuthority={"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1PQ0sKLS0tLS1FTkQg"
                                              "Q0VSVElGSUNBVEUtLS0tLQo="},
                identities=[{"oidcs": [{"issuer": f"https://oidc.eks.{self.region}.amazonaws.com"
                                                  f"/id/{cluster_id}"}]}],
                status="ACTIVE",
            )
        elif typ == "aws:eks/nodeGroup:NodeGroup":
            group_name = f"{inputs.get('nodeGroupNamePrefix', args.name)}{_hex(seed, 26)}"
            state.update(nodeGroupName=group_name,
                         arn=f"{arn_base.format(service='eks')}:nodegroup/{group_name}")
        elif typ.startswith("aws:"):
            state["arn"] = f"{arn_base.format(service=typ.split(':')[1].split('/')[0])}:{resource_id}"
        elif typ.startswith("kubernetes:"):
            metadata = rpc.unwrap_rpc_secret(inputs.get("metadata")) or {}
            namespace = metadata.get("namespace") or inputs.get("namespace")
            object_name = metadata.get("name") or inputs.get("name") or args.name
            resource_id = f"{namespace}/{object_name}" if namespace else object_name
        return resource_id, {**inputs, **state}


# --- recording -----------------------------------------------------------------------------------


@dataclass
class Resource:
    urn: str
    id: str
    type: str
    name: str
    custom: bool
    parent: str
    dependencies: list[str]
    protect: bool
    provider: str
    # Inputs as plain values; `secret_paths` lists the dotted paths that arrived as secrets.
    inputs: dict[str, Any]
    secret_paths: list[str]


def _split_secrets(value: Any, path: str = "") -> tuple[Any, list[str]]:
    if rpc.is_rpc_secret(value):
        plain, _ = _split_secrets(value["value"], path)
        return plain, [path or "."]
    if isinstance(value, dict):
        plain, paths = {}, []
        for key, item in value.items():
            plain[key], found = _split_secrets(item, f"{path}.{key}" if path else key)
            paths += found
        return plain, paths
    if isinstance(value, list):
        plain, paths = [], []
        for i, item in enumerate(value):
            item_plain, found = _split_secrets(item, f"{path}[{i}]")
            plain.append(item_plain)
            paths += found
        return plain, paths
    return value, []


class RecordingMonitor(mocks.MockMonitor):
    """The SDK's mock monitor, also keeping what the engine would see of each registration."""

    def __init__(self, program_mocks: pulumi.runtime.Mocks):
        super().__init__(program_mocks)
        self.recorded: list[Resource] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs, secret_paths = _split_secrets(rpc.deserialize_properties(request.object))
            self.recorded.append(Resource(
                urn=response.urn,
                id=response.id,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                dependencies=list(request.dependencies),
                protect=bool(request.protect),
                provider=request.provider,
                inputs=inputs,
                secret_paths=secret_paths,
            ))
        return response


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@dataclass
class Output:
    value: Any
    secret: bool


@dataclass
class Run:
    stack: str
    config: dict[str, Any]
    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Output] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)
    invokes: list[Invoke] = field(default_factory=list)

    def by_type(self, typ: str) -> list[Resource]:
        return [r for r in self.resources if r.type == typ]

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}


def run(stack: str, overrides: Mapping[str, Any] | None = None,
        project_dir: Path = ROOT, caller_arn: str = DEFAULT_CALLER_ARN,
        existing_clusters: tuple[str, ...] = ()) -> Run:
    """Run the program for `stack` under mocks, as `caller_arn`, in a region that already holds
    the EKS clusters `existing_clusters`. Raises what the program raises (ConfigError)."""
    values, secret_keys = stack_values(stack, project_dir, overrides)
    region = values.get("aws:region", DEFAULT_REGION)
    collector = _LogCollector()
    logger = logging.getLogger(f"groundwork.mocks.{stack}")
    logger.propagate = False
    logger.handlers = [collector]
    logger.setLevel(logging.DEBUG)
    program_mocks = GroundworkMocks(region, caller_arn, existing_clusters)
    monitor = RecordingMonitor(program_mocks)

    runtime_settings.set_root_resource(None)
    mocks.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, logger=logger,
                    monitor=monitor)
    pulumi.runtime.set_all_config(_as_config_strings(values), sorted(secret_keys))
    root = runtime_settings.get_root_resource()
    result = Run(stack=stack, config=values)

    async def program() -> None:
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")
        for name, value in root.outputs.items():
            output = pulumi.Output.from_input(value)
            result.outputs[name] = Output(await output.future(), await output.is_secret())

    try:
        _sync_await(run_pulumi_func(program))
    except Exception as error:
        # What was registered before the failure, for callers that check a ConfigError left nothing.
        error.partial_run = result
        raise
    finally:
        result.resources = monitor.recorded
        result.logs = collector.lines
        result.invokes = program_mocks.invokes
    return result
