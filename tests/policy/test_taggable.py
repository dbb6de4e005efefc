"""policy/aws-taggable-types.txt must describe the pulumi-aws the program installs."""

from __future__ import annotations

import taggable


def test_taggable_list_matches_the_installed_pulumi_aws():
    version, scanned = taggable.scan()
    header = taggable.TYPES_FILE.read_text(encoding="utf-8").splitlines()[0]
    assert f"pulumi-aws {version}." in header, "regenerate: .venv/bin/python policy/taggable.py"
    assert taggable.load() == scanned, "regenerate: .venv/bin/python policy/taggable.py"


def test_scan_tells_taggable_types_from_the_rest():
    _, scanned = taggable.scan()
    assert {"aws:ec2/vpc:Vpc", "aws:eks/cluster:Cluster", "aws:eks/accessEntry:AccessEntry",
            "aws:iam/role:Role", "aws:kms/key:Key"} <= scanned
    assert not {"aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/route:Route",
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:kms/alias:Alias",
                "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"} & scanned
