"""The infrastructure each stack builds under mocks, and how dev and prod differ."""

from __future__ import annotations

import ipaddress
import json
from collections import Counter

import pytest
import yaml

from components.aws.network import subnet_plan
from tests.conftest import ACCESS, ACCESS_KW
from tools.harness import ROOT

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ROUTE = "aws:ec2/route:Route"
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
KMS_KEY = "aws:kms/key:Key"
K8S_PROVIDER = "pulumi:providers:kubernetes"


def _private_routes(run):
    return [r for r in run.by_type(ROUTE) if "natGatewayId" in r.inputs]


@pytest.mark.parametrize("cidr,zones", [("10.0.0.0/16", 2), ("10.0.0.0/16", 3),
                                        ("172.16.0.0/20", 6), ("192.168.0.0/24", 5)])
def test_subnet_plan_is_disjoint_inside_the_vpc(cidr, zones):
    network = ipaddress.IPv4Network(cidr)
    private, public = subnet_plan(network, zones)
    subnets = private + public
    assert len(private) == len(public) == zones
    assert all(subnet.subnet_of(network) for subnet in subnets)
    assert not any(a.overlaps(b) for i, a in enumerate(subnets) for b in subnets[i + 1:])


@pytest.mark.parametrize("stack,zones,nats", [("dev", 2, 1), ("prod", 3, 3)])
def test_network_per_stack(run_stack, stack, zones, nats):
    run = run_stack(stack)
    subnets = run.by_type(SUBNET)
    assert len(subnets) == 2 * zones
    assert len(run.by_type(NAT)) == nats
    assert len(_private_routes(run)) == zones
    vpc = run.by_type(VPC)[0].inputs
    assert vpc["enableDnsSupport"] and vpc["enableDnsHostnames"]
    roles = Counter(tag for s in subnets for tag in s.inputs["tags"]
                    if tag.startswith("kubernetes.io/role"))
    assert roles == {"kubernetes.io/role/elb": zones, "kubernetes.io/role/internal-elb": zones}
    cluster_name = run.outputs["clusterName"].value
    assert all(s.inputs["tags"][f"kubernetes.io/cluster/{cluster_name}"] == "shared"
               for s in subnets)


def test_dev_and_prod_differ_where_the_issue_says(run_stack):
    dev, prod = run_stack("dev"), run_stack("prod")
    dev_cluster, prod_cluster = dev.by_type(CLUSTER)[0].inputs, prod.by_type(CLUSTER)[0].inputs
    assert dev_cluster["vpcConfig"]["publicAccessCidrs"] == ["0.0.0.0/0"]
    assert "0.0.0.0/0" not in prod_cluster["vpcConfig"]["publicAccessCidrs"]
    assert sorted(prod_cluster["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"])
    assert "encryptionConfig" in prod_cluster and len(prod.by_type(KMS_KEY)) == 1
    assert prod.by_type(KMS_KEY)[0].inputs["enableKeyRotation"] is True
    capacity = {g.inputs["nodeGroupNamePrefix"]: g.inputs["capacityType"]
                for g in prod.by_type(NODE_GROUP)}
    assert capacity == {"system-": "ON_DEMAND", "workloads-": "SPOT"}
    assert len(dev.by_type(NODE_GROUP)) == 1
    protected = {r.type for r in prod.resources if r.protect}
    assert protected == {VPC, CLUSTER, KMS_KEY}
    assert not any(r.protect for r in dev.resources)


def test_cluster_grants_admin_and_view_access_through_access_entries(run_stack, graph_of):
    prod = run_stack("prod", **ACCESS_KW)
    graph = graph_of(prod)
    access = prod.by_type(CLUSTER)[0].inputs["accessConfig"]
    assert access == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}
    policies = {**{arn: "AmazonEKSAdminViewPolicy" for arn in ACCESS["cluster.viewerRoleArns"]},
                **{arn: "AmazonEKSClusterAdminPolicy" for arn in ACCESS["cluster.adminRoleArns"]}}
    assert set(policies.values()) == {"AmazonEKSAdminViewPolicy", "AmazonEKSClusterAdminPolicy"}
    entries = {e.inputs["principalArn"]: e for e in prod.by_type("aws:eks/accessEntry:AccessEntry")}
    associations = prod.by_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert set(entries) == set(policies)
    assert all(e.inputs["type"] == "STANDARD" for e in entries.values())
    assert {a.inputs["principalArn"]: a.inputs["policyArn"] for a in associations} == {
        arn: f"arn:aws:eks::aws:cluster-access-policy/{policy}" for arn, policy in policies.items()}
    for association in associations:
        assert association.inputs["accessScope"] == {"type": "cluster"}
        assert graph.waits_for(association, entries[association.inputs["principalArn"]])


def test_zones_exclude_opt_in_local_zones(run_stack):
    # The mocks offer an opted-in Local Zone that sorts first, as AWS lists it, unless filtered.
    run = run_stack("prod")
    [invoke] = [i for i in run.invokes
                if i.token == "aws:index/getAvailabilityZones:getAvailabilityZones"]
    assert invoke.args["filters"] == [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    region = run.config["aws:region"]
    assert {s.inputs["availabilityZone"] for s in run.by_type(SUBNET)} == {
        f"{region}{suffix}" for suffix in "abc"}


def test_an_upgrade_moves_control_plane_then_add_ons_then_nodes(run_stack, graph_of):
    """A version bump changes the control plane, then the add-ons nodes need, then the node
    groups, then the add-ons that run on nodes: each waits for the one before in the graph, and
    every add-on and group carries the exact version EKS lists for the cluster's version."""
    run = run_stack("prod", cluster__version="1.35")
    graph = graph_of(run)
    [cluster] = run.by_type("aws:eks/cluster:Cluster")
    addons = {a.inputs["addonName"]: a for a in run.by_type(ADDON)}
    assert set(addons) == {"vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns",
                           "aws-ebs-csi-driver"}
    early = [addons[n] for n in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")]
    late = [addons[n] for n in ("coredns", "aws-ebs-csi-driver")]
    groups = run.by_type(NODE_GROUP)
    assert groups and cluster.inputs["version"] == "1.35"
    for group in groups:
        assert group.inputs["version"] == "1.35"
        assert all(graph.waits_for(group, addon) for addon in early)
        assert all(graph.waits_for(addon, group) for addon in late)
    for addon in addons.values():
        assert graph.waits_for(addon, cluster)
        # The version EKS reports compatible with 1.35 (the mocks answer per add-on and version).
        assert addon.inputs["addonVersion"].startswith("v1.35.")
    assert {i.args["kubernetesVersion"] for i in run.invokes
            if i.token == "aws:eks/getAddonVersion:getAddonVersion"} == {"1.35"}


def test_a_pinned_add_on_version_and_a_held_back_group_are_kept(run_stack):
    groups = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"][
        "groundwork:cluster"]["nodeGroups"]
    groups[1]["version"] = "1.32"
    run = run_stack("prod", cluster__version="1.35", cluster__nodeGroups=groups,
                    cluster__addonVersions={"coredns": "v1.12.4-eksbuild.1"})
    addons = {a.inputs["addonName"]: a.inputs["addonVersion"] for a in run.by_type(ADDON)}
    assert addons["coredns"] == "v1.12.4-eksbuild.1"
    assert {g.name: g.inputs["version"] for g in run.by_type(NODE_GROUP)} == {
        "cluster-system": "1.35", "cluster-workloads": "1.32"}


def test_auto_mode_runs_no_eks_add_on_and_no_node_group(run_stack):
    run = run_stack("dev", cluster__compute="autoMode", cluster__nodeGroups=[],
                    gitops__addons=["metrics-server", "external-dns"])
    [cluster] = run.by_type("aws:eks/cluster:Cluster")
    assert not run.by_type(ADDON) and not run.by_type(NODE_GROUP)
    assert cluster.inputs["computeConfig"]["nodePools"] == ["general-purpose", "system"]
    assert cluster.inputs["storageConfig"]["blockStorage"]["enabled"] is True
    assert cluster.inputs["kubernetesNetworkConfig"]["elasticLoadBalancing"]["enabled"] is True
    assert cluster.inputs["bootstrapSelfManagedAddons"] is False
    policies = {r.inputs["policyArn"].rsplit("/", 1)[1] for r in run.by_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert {"AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
            "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy",
            "AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly"} <= policies
    [storage] = run.by_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert storage.inputs["provisioner"] == "ebs.csi.eks.amazonaws.com"


def test_karpenter_gets_its_queue_rules_node_role_and_discovery_tags(run_stack):
    run = run_stack("prod", cluster__compute="karpenter", gitops__engine="flux",
                    gitops__addons=["metrics-server"])
    assert len(run.by_type("aws:cloudwatch/eventRule:EventRule")) == 5
    assert len([e for e in run.by_type("aws:eks/accessEntry:AccessEntry")
                if e.inputs["type"] == "EC2_LINUX"]) == 1
    [tag] = run.by_type("aws:ec2/tag:Tag")
    assert tag.inputs["key"] == "karpenter.sh/discovery"
    private = [s for s in run.by_type("aws:ec2/subnet:Subnet") if "private" in s.name]
    assert private and all(s.inputs["tags"]["karpenter.sh/discovery"] == tag.inputs["value"]
                           for s in private)
    assert run.settings.gitops.addons[-1] == "karpenter"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_node_groups_wait_for_every_private_nat_route(run_stack, graph_of, stack):
    run = run_stack(stack)
    graph = graph_of(run)
    routes = _private_routes(run)
    assert routes
    for group in run.by_type(NODE_GROUP):
        assert all(graph.waits_for(group, route) for route in routes)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_node_groups_run_in_the_private_subnets(run_stack, stack):
    run = run_stack(stack)
    private_ids = {s.id for s in run.by_type(SUBNET)
                   if "kubernetes.io/role/internal-elb" in s.inputs["tags"]}
    assert len(private_ids) >= 2
    for group in run.by_type(NODE_GROUP):
        assert set(group.inputs["subnetIds"]) == private_ids


def test_local_stack_creates_no_aws_resources(run_stack):
    run = run_stack("local")
    assert not [r for r in run.resources
                if r.type.startswith("aws:") or r.type == "pulumi:providers:aws"]
    provider = run.by_type(K8S_PROVIDER)[0].inputs
    assert provider["context"] == "kind-groundwork"
    assert set(run.outputs) >= {"clusterName", "kubeconfig", "gitopsEngine", "gitopsNamespace"}
    assert "vpcId" not in run.outputs


@pytest.mark.parametrize("stack", ["dev", "prod", "local"])
def test_kubeconfig_output_is_secret(run_stack, stack):
    assert run_stack(stack).outputs["kubeconfig"].secret


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_eks_outputs_follow_the_contract(run_stack, stack):
    run = run_stack(stack)
    outputs = run.outputs
    assert set(outputs) >= {"clusterName", "kubeconfig", "gitopsEngine", "gitopsNamespace", "vpcId",
                            "oidcProviderArn", "addonRoleArns"}
    assert outputs["vpcId"].value.startswith("vpc-")
    assert outputs["oidcProviderArn"].value.startswith("arn:aws:iam::123456789012:oidc-provider/")
    config = yaml.safe_load(outputs["kubeconfig"].value)
    user = config["users"][0]["user"]["exec"]
    assert user["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert user["args"][:4] == ["eks", "get-token", "--cluster-name", outputs["clusterName"].value]
    roles = {r.name.removeprefix("addons-"): r for r in run.by_type("aws:iam/role:Role")
             if r.name.startswith("addons-")}
    assert set(outputs["addonRoleArns"].value) == set(roles)


def test_kubernetes_provider_is_built_from_the_secret_kubeconfig(run_stack):
    provider = run_stack("dev").by_type(K8S_PROVIDER)[0]
    assert "kubeconfig" in provider.secret_paths
    assert json.dumps(provider.inputs["kubeconfig"]).count("get-token") == 1
