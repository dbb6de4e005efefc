"""`pulumi destroy` deletes in reverse dependency order; these tests read that order off the
recorded graph.

What must hold for a destroy to finish without manual cleanup: the GitOps objects go first, while
the engine's controllers and the add-ons they installed still run (seed apps before the root app
that installed the add-ons, and everything before the Helm release); the release goes before the
nodes it runs on, and the nodes before any part of the network path they and the load balancer
controller use to reach AWS. Only the resources `protect` names refuse to go.
"""

from __future__ import annotations

import pytest

from tests.conftest import ACCESS_KW, ENGINES, WAVE_APPS

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ROUTE = "aws:ec2/route:Route"
K8S_PROVIDER = "pulumi:providers:kubernetes"
ROOT_APPS = {"kubernetes:argoproj.io/v1alpha1:Application": "root",
             "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization": "flux-system"}
PROTECTED_TYPES = {"aws:ec2/vpc:Vpc", "aws:eks/cluster:Cluster", "aws:kms/key:Key"}


STORAGE = "kubernetes:storage.k8s.io/v1:StorageClass"


def _gitops_objects(run):
    """What the engine seeds: custom resources, Secrets and ConfigMaps (not its namespaces)."""
    return [r for r in run.resources
            if r.type.startswith("kubernetes:") and r.type not in (RELEASE, NAMESPACE, STORAGE)]


@pytest.mark.parametrize("waves", [False, True], ids=["stack-apps", "waves"])
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("stack", ["dev", "prod", "local"])
def test_gitops_objects_go_before_their_release(run_stack, graph_of, stack, engine, waves):
    run = run_stack(stack, gitops__engine=engine, **({"gitops__apps": WAVE_APPS} if waves else {}))
    graph = graph_of(run)
    [release] = run.by_type(RELEASE)
    objects = _gitops_objects(run)
    assert len(objects) >= 4
    assert all(graph.waits_for(obj, release) for obj in objects)
    # The default StorageClass goes after the engine, so every claim it deletes still has it.
    assert all(graph.waits_for(release, storage) for storage in run.by_type(STORAGE))
    assert bool(run.by_type(STORAGE)) == (stack != "local")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_release_goes_before_its_nodes_and_nodes_before_the_way_out(run_stack, graph_of, stack,
                                                                    engine):
    run = run_stack(stack, gitops__engine=engine)
    graph = graph_of(run)
    [release] = run.by_type(RELEASE)
    groups = run.by_type(NODE_GROUP)
    private_routes = [r for r in run.by_type(ROUTE) if "natGatewayId" in r.inputs]
    assert groups and private_routes
    # The release waits for the nodes its pods are placed on: prod's system group alone (not
    # its spot workloads), every group where no system group is named.
    pool = run.settings.cluster.system_pool
    expected = [g.name for g in groups if pool is None or g.name == f"cluster-{pool.name}"]
    assert expected == (["cluster-system"] if stack == "prod" else [g.name for g in groups])
    assert [g.name for g in groups if graph.waits_for(release, g)] == expected
    assert all(graph.waits_for(group, route) for group in groups for route in private_routes)
    # Every subnet, route, table, gateway and address outlives the release: the load balancers
    # the apps made are gone before a subnet is deleted, and the controller deleting them still
    # has its route out to the AWS API until then.
    network = [r for r in run.resources if r.type.startswith("aws:ec2/")
               and r.type != "aws:ec2/launchTemplate:LaunchTemplate"]
    assert not [r.name for r in network if not graph.waits_for(release, r)]


@pytest.mark.parametrize("waves", [False, True], ids=["stack-apps", "waves"])
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_seed_apps_go_before_the_root_and_the_root_before_add_on_permissions(run_stack, graph_of,
                                                                             stack, engine, waves):
    run = run_stack(stack, gitops__engine=engine, **({"gitops__apps": WAVE_APPS} if waves else {}))
    graph = graph_of(run)
    apps = [r for r in run.resources if r.type in ROOT_APPS]
    [root] = [r for r in apps if r.inputs["metadata"]["name"] == ROOT_APPS[r.type]]
    # Seed apps and, under Flux with several waves, the wave gates between them.
    seeds = [r for r in apps if r is not root]
    assert len(seeds) == (len(WAVE_APPS) + (3 if engine == "flux" else 0) if waves else 1)
    assert all(graph.waits_for(seed, root) for seed in seeds)
    iam = [r for r in run.resources
           if r.type in ("aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy")
           and r.parent.endswith("AddonRoles::addons")]
    assert len(iam) >= 2
    assert not [r.name for r in iam if not graph.waits_for(root, r)]


def test_argo_applications_cascade_to_what_they_deployed(run_stack):
    applications = run_stack("prod").by_type("kubernetes:argoproj.io/v1alpha1:Application")
    assert len(applications) >= 2
    for app in applications:
        assert "resources-finalizer.argocd.argoproj.io" in app.inputs["metadata"]["finalizers"]


@pytest.mark.parametrize("engine", ENGINES)
def test_kubernetes_provider_outlives_every_object_and_waits_for_cluster_access(run_stack, graph_of,
                                                                                engine):
    run = run_stack("prod", gitops__engine=engine, **ACCESS_KW)
    graph = graph_of(run)
    [provider] = run.by_type(K8S_PROVIDER)
    associations = run.by_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    access = (run.by_type("aws:eks/cluster:Cluster")
              + run.by_type("aws:eks/accessEntry:AccessEntry") + associations)
    # Admin and viewer entries alike: a viewer's preview reads through the same provider.
    assert {a.inputs["policyArn"].rsplit("/", 1)[1] for a in associations} == {
        "AmazonEKSClusterAdminPolicy", "AmazonEKSAdminViewPolicy"}
    assert all(graph.waits_for(provider, r) for r in access)
    kubernetes = [r for r in run.resources if r.type.startswith("kubernetes:")]
    assert kubernetes and all(r.provider.startswith(f"{provider.urn}::") for r in kubernetes)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_core_add_ons_stay_until_the_cluster_goes(run_stack, stack):
    addons = run_stack(stack).by_type("aws:eks/addon:Addon")
    assert {a.inputs["addonName"] for a in addons} >= {"vpc-cni", "kube-proxy", "coredns"}
    assert all(a.inputs["preserve"] is True for a in addons)


@pytest.mark.parametrize("stack,protect", [("dev", True), ("prod", False)])
def test_protect_follows_the_setting_not_the_stack(run_stack, stack, protect):
    # A protected stack may not open its API endpoint to the world (see test_config_validation).
    run = run_stack(stack, protect=protect, cluster__publicAccessCidrs=["203.0.113.0/24"])
    protected = {r.type for r in run.resources if r.protect}
    assert protected == (PROTECTED_TYPES if protect else set())
    assert all(len(run.by_type(typ)) == 1 for typ in PROTECTED_TYPES)
