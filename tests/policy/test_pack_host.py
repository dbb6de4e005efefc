"""The pack as the Pulumi CLI runs it, short of the CLI itself (there is none here).

The CLI's analyzer shim starts `python -u -m pulumi.policy <engine address> .` in policy/ and
talks gRPC to the port the pack prints. These tests do the same: they check that
policy/__main__.py starts, lists every policy, takes a --policy-pack-config the way the CLI sends
it, and reports violations with the configured enforcement level.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

import rules

POLICY_DIR = Path(rules.__file__).parent

LEVELS = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY,
          "disabled": analyzer_pb2.DISABLED, "remediate": analyzer_pb2.REMEDIATE}
NAMES = {value: name for name, value in LEVELS.items()}
ADMIN_POLICY = json.dumps({"Version": "2012-10-17",
                           "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@pytest.fixture(scope="module")
def analyzer():
    env = {key: value for key, value in os.environ.items() if not key.startswith("PULUMI_")}
    host = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
                            cwd=POLICY_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        ready, _, _ = select.select([host.stdout], [], [], 60)
        assert ready, "the policy pack did not print its port within 60 s"
        port = host.stdout.readline().strip()
        assert port.isdigit(), f"expected a port, got {port!r}; stderr: {host.stderr.read()}"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        host.terminate()
        host.wait(timeout=30)


def struct(values):
    message = struct_pb2.Struct()
    message.update(values)
    return message


def configure(analyzer, resolve_config, stack):
    config = json.loads((POLICY_DIR / f"config.{stack}.json").read_text())
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
        name: analyzer_pb2.PolicyConfig(enforcementLevel=LEVELS[level],
                                        properties=struct(properties))
        for name, (level, properties) in resolve_config(config).items()
    }))


def analyze(analyzer, resource_type, props, protect=False):
    response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
        type=resource_type, name="example",
        urn=f"urn:pulumi:dev::groundwork::{resource_type}::example",
        properties=struct(props), options=analyzer_pb2.AnalyzerResourceOptions(protect=protect)))
    diagnostics = sorted((d.policyName, NAMES[d.enforcementLevel]) for d in response.diagnostics)
    return diagnostics, {skipped.policy_name for skipped in response.not_applicable}


def test_pack_lists_every_policy_blocking_by_default(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "groundwork"
    assert [policy.name for policy in info.policies] == [policy.name for policy in rules.POLICIES]
    assert {NAMES[policy.enforcementLevel] for policy in info.policies} == {"mandatory"}
    protected = {policy.name for policy in info.policies
                 if "protectedStack" in policy.configSchema.properties}
    assert protected == {policy.name for policy in rules.POLICIES
                         if policy.config_schema is not None}


def test_dev_config_blocks_on_iam_and_only_warns_on_the_rest(analyzer, resolve_config):
    configure(analyzer, resolve_config, "dev")
    tags = {"environment": "dev", "managed-by": "groundwork"}
    assert analyze(analyzer, "aws:iam/policy:Policy", {"policy": ADMIN_POLICY, "tags": tags}) == (
        [("iam-no-wildcard-admin", "mandatory")], set())
    # One diagnostic per missing tag.
    assert analyze(analyzer, rules.VPC, {"cidrBlock": "10.0.0.0/16"}) == (
        [("aws-required-tags", "advisory"), ("aws-required-tags", "advisory"),
         ("vpc-dns-enabled", "advisory")],
        {"protect-critical-resources"})


def test_dev_config_skips_protected_stack_policies(analyzer, resolve_config):
    configure(analyzer, resolve_config, "dev")
    diagnostics, skipped = analyze(analyzer, rules.EKS_CLUSTER, {"name": "groundwork-dev", "tags": {
        "environment": "dev", "managed-by": "groundwork"}})
    assert diagnostics == []
    assert skipped == {"eks-secrets-encryption", "eks-audit-logging", "eks-endpoint-not-public",
                       "protect-critical-resources"}


def test_prod_config_blocks_an_unprotected_cluster(analyzer, resolve_config):
    configure(analyzer, resolve_config, "prod")
    diagnostics, skipped = analyze(analyzer, rules.EKS_CLUSTER, {
        "name": "groundwork-prod", "tags": {"environment": "prod", "managed-by": "groundwork"}})
    assert skipped == set()
    assert diagnostics == [("eks-audit-logging", "mandatory"),
                           ("eks-endpoint-not-public", "mandatory"),
                           ("eks-secrets-encryption", "mandatory"),
                           ("protect-critical-resources", "mandatory")]


def test_value_unknown_in_preview_is_an_advisory_note_not_a_violation(analyzer, resolve_config):
    configure(analyzer, resolve_config, "prod")
    diagnostics, _ = analyze(analyzer, rules.IAM_ROLE, {
        "assumeRolePolicy": UNKNOWN_STRING_VALUE,
        "tags": {"environment": "prod", "managed-by": "groundwork"}})
    assert diagnostics == [("iam-irsa-trust-scoped", "advisory"),
                           ("iam-no-public-trust", "advisory")]


def test_stack_policy_names_the_offending_resource(analyzer, resolve_config):
    configure(analyzer, resolve_config, "prod")
    urn = "urn:pulumi:prod::groundwork::kubernetes:argoproj.io/v1alpha1:Application::root"
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=rules.ARGO_APPLICATION, urn=urn, name="root",
                                      properties=struct({"spec": {}}),
                                      options=analyzer_pb2.AnalyzerResourceOptions()),
    ]))
    assert [(d.policyName, d.urn, NAMES[d.enforcementLevel]) for d in response.diagnostics] == [
        ("gitops-resources-depend-on-release", urn, "mandatory")]
