"""Access-entry role ARNs must be IAM role ARNs of the stack's own partition: `aws:region` decides
the partition (aws, aws-cn, aws-us-gov, ...), and an ARN of another or a made-up partition, or of
any other shape than `arn:<partition>:iam::<12 digits>:role/<path/><name>`, is refused before
anything exists, while a well-formed ARN of the right partition becomes an access entry."""

from __future__ import annotations

from hypothesis import event, given
from hypothesis import strategies as st

from components.config import ConfigError
from tests.config.support import examples, paths_named
from tools import harness

# Written out here from the AWS SDKs' partition table rather than taken from the program.
REGIONS = {"eu-west-1": "aws", "us-east-1": "aws", "ap-southeast-2": "aws",
           "cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
           "us-gov-west-1": "aws-us-gov", "us-iso-east-1": "aws-iso",
           "us-isob-east-1": "aws-iso-b", "eusc-de-east-1": "aws-eusc"}
PARTITIONS = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-eusc", "aws-moon",
              "awscn", "AWS"]
NAMES = st.sampled_from(["platform-admin", "Admin_Role+ci=1,2.3@x", "a", "r" * 64])


@st.composite
def role_arns(draw, partition: str) -> tuple[str, bool]:
    """An ARN, and whether its shape (not its partition) is that of an IAM role ARN."""
    name = draw(NAMES, label="name")
    well_formed = [f"arn:{partition}:iam::123456789012:role/{name}",
                   f"arn:{partition}:iam::123456789012:role/team/ci/{name}"]
    if draw(st.booleans(), label="well-formed"):
        return draw(st.sampled_from(well_formed), label="arn"), True
    malformed = [
        f"arn:{partition}:iam::12345678901:role/{name}",
        f"arn:{partition}:iam::1234567890123:role/{name}",
        f"arn:{partition}:iam::123456789012:user/{name}",
        f"arn:{partition}:iam:eu-west-1:123456789012:role/{name}",
        f"arn:{partition}:sts::123456789012:assumed-role/{name}/session",
        f"arn:{partition}:iam::123456789012:role/{name}x{'r' * 64}",
        f"arn:{partition}:iam::123456789012:role/",
        f"arn:{partition}:iam::123456789012:role/a b",
    ]
    return draw(st.sampled_from(malformed), label="arn"), False


@examples(30)
@given(data=st.data())
def test_role_arns_must_be_of_the_region_partition(data):
    region = data.draw(st.sampled_from(sorted(REGIONS)), label="region")
    partition = data.draw(st.one_of(st.just(REGIONS[region]), st.sampled_from(PARTITIONS)),
                          label="partition")
    arn, well_formed = data.draw(role_arns(partition))
    path = data.draw(st.sampled_from(["cluster.adminRoleArns", "cluster.viewerRoleArns"]))
    expected = well_formed and partition == REGIONS[region]
    try:
        run = harness.run("dev", {"aws:region": region, path: [arn]})
    except ConfigError as error:
        event("refused")
        assert not expected, f"{arn} in {region}: {error}"
        assert error.partial_run.resources == []
        assert f"{path}[0]" in {p.split(": ")[0].removeprefix("groundwork:")
                                for p in error.problems}, error.problems
        assert paths_named(error) <= {f"{path}[0]", path}, error.problems
        return
    event("accepted")
    assert expected, f"{arn} accepted in {region}"
    entries = run.by_type("aws:eks/accessEntry:AccessEntry")
    assert [entry.inputs["principalArn"] for entry in entries] == [arn]
    policies = {a.inputs["policyArn"] for a in run.by_type(
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")}
    assert all(policy.startswith(f"arn:{partition}:eks::aws:") for policy in policies)
