"""Defense in depth on every node group and control plane the config can describe: each managed
node group boots from a launch template that requires IMDSv2 with a hop limit of 1 (a pod cannot
reach the node role's credentials), under the name prefix it always had; a protected stack also
sets EKS deletion protection; and the cluster role may use exactly the KMS key that encrypts its
Secrets."""

from __future__ import annotations

import json
import string

from hypothesis import given
from hypothesis import strategies as st

from tests.config.support import examples
from tools import harness

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
KMS_ACTIONS = {"kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"}
NAMES = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)


@st.composite
def clusters(draw) -> tuple[str, dict]:
    stack = draw(st.sampled_from(["dev", "prod"]), label="stack")
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True), label="groups")
    groups = [{"name": name, "instanceTypes": [draw(st.sampled_from(["t3.large", "m6i.large"]))],
               "capacityType": draw(st.sampled_from(["ON_DEMAND", "SPOT"])),
               # Three nodes: prod runs Redis HA on its system node group.
               "minSize": 3, "desiredSize": 3, "maxSize": 3} for name in names]
    protect = draw(st.booleans(), label="protect")
    # A protected stack refuses the dev stack's world-open endpoint unless told it is meant.
    return stack, {"cluster.nodeGroups": groups, "cluster.systemNodeGroup": names[0],
                   "protect": protect,
                   "cluster.allowPublicEndpointFromAnywhere": protect,
                   "cluster.secretsEncryption": draw(st.booleans(), label="encryption")}


def _statements(document: str) -> list[dict]:
    statements = json.loads(document)["Statement"]
    return statements if isinstance(statements, list) else [statements]


@examples(15)
@given(case=clusters())
def test_nodes_and_control_plane_are_locked_down(case):
    stack, overrides = case
    run = harness.run(stack, overrides)
    templates = {r.urn: r for r in run.by_type(LAUNCH_TEMPLATE)}
    groups = run.by_type(NODE_GROUP)
    assert sorted(g.inputs["nodeGroupNamePrefix"] for g in groups) == sorted(
        f"{group['name']}-" for group in overrides["cluster.nodeGroups"])
    for group in groups:
        launch = group.inputs["launchTemplate"]
        [template] = [t for urn, t in templates.items() if urn in group.dependencies
                      and t.id == launch["id"]]
        metadata = template.inputs["metadataOptions"]
        assert metadata["httpTokens"] == "required"
        assert metadata["httpPutResponseHopLimit"] == 1
        assert metadata["httpEndpoint"] == "enabled"
        assert str(launch["version"]).isdigit()
        # The node group keeps instance types and the AMI to itself: EKS refuses both twice.
        assert "instanceType" not in template.inputs and "imageId" not in template.inputs
    [cluster] = run.by_type("aws:eks/cluster:Cluster")
    assert cluster.inputs.get("deletionProtection", False) is overrides["protect"]
    keys = run.by_type("aws:kms/key:Key")
    assert len(keys) == int(overrides["cluster.secretsEncryption"])
    [cluster_role] = [r for r in run.by_type("aws:iam/role:Role") if r.name == "cluster-cluster"]
    grants = [statement for policy in run.by_type("aws:iam/rolePolicy:RolePolicy")
              if policy.inputs["role"] == cluster_role.id
              for statement in _statements(policy.inputs["policy"])]
    if keys:
        assert [set(s["Action"]) for s in grants] == [KMS_ACTIONS]
        assert [s["Resource"] for s in grants] == [
            f"arn:aws:kms:eu-west-1:{harness.ACCOUNT_ID}:key/{keys[0].id}"]
    else:
        assert grants == []
