"""The infrastructure each stack builds under mocks, and how dev and prod differ."""

from __future__ import annotations

import ipaddress
import json
from collections import Counter

import pytest
import yaml

from components.aws.network import subnet_plan
from tests.conftest import ACCESS, ACCESS_KW

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


def test_core_addons_and_coredns_after_nodes(run_stack, graph_of):
    run = run_stack("prod")
    graph = graph_of(run)
    addons = {a.inputs["addonName"]: a for a in run.by_type(ADDON)}
    assert set(addons) == {"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"}
    for group in run.by_type(NODE_GROUP):
        assert graph.waits_for(addons["coredns"], group)
        # Nodes must not wait for add-ons: that would put them on the critical path.
        assert not any(graph.waits_for(group, addon) for addon in addons.values())


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
    roles = {r.inputs["description"].split()[3]: r for r in run.by_type("aws:iam/role:Role")
             if r.inputs.get("description", "").startswith("IRSA role")}
    assert set(outputs["addonRoleArns"].value) == set(roles)


def test_kubernetes_provider_is_built_from_the_secret_kubeconfig(run_stack):
    provider = run_stack("dev").by_type(K8S_PROVIDER)[0]
    assert "kubeconfig" in provider.secret_paths
    assert json.dumps(provider.inputs["kubeconfig"]).count("get-token") == 1
