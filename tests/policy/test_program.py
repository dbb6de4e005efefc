"""groundwork's own stacks against the pack, with the config each stack deploys with.

The program runs under the shared mock runner (tests/conftest.py), which records every resource's
inputs, options and dependencies as the engine would receive them; each resource then goes
through every policy. Inputs are the ones the program registers, before the provider's Check
fills in defaults, which is what the policies are written against anyway (they apply AWS
defaults themselves). Stack policies see those inputs too, where the engine gives them outputs:
a role has no `arn` here, so an association finds its role through the resource its `roleArn`
came from, as during a preview of a new role.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import unknown_checking_proxy

from tests.program.test_fleet import HUB, hub, spoke

import rules

POLICY_DIR = Path(rules.__file__).parent
# The local stack has no AWS and no protected resources: it previews like dev.
CONFIG_FOR = {"dev": "dev", "prod": "prod", "local": "dev"}


def _options(resource):
    return PolicyResourceOptions(resource.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [],
                                 resource.parent or None)


def policy_resources(run):
    """The run's custom resources as policies see them, by URN, linked by dependencies."""
    custom = [resource for resource in run.resources if resource.custom]
    by_urn = {resource.urn: PolicyResource(resource.type, unknown_checking_proxy(resource.inputs),
                                           resource.urn, resource.name, _options(resource), None,
                                           None, [], {})
              for resource in custom}
    for resource in custom:
        by_urn[resource.urn].dependencies = [by_urn[urn] for urn in resource.dependencies
                                             if urn in by_urn]
        by_urn[resource.urn].property_dependencies = {
            key: [by_urn[urn] for urn in urns if urn in by_urn]
            for key, urns in resource.property_dependencies.items()}
    return by_urn


def findings(run, resolved):
    """(policy, enforcement level, resource name, message) for every violation in the run."""
    found = []
    custom = [resource for resource in run.resources if resource.custom]
    by_urn = policy_resources(run)
    for policy in rules.POLICIES:
        level, properties = resolved[policy.name]

        def report(message, urn=None, policy=policy, level=level):
            found.append((policy.name, level, by_urn[urn].name if urn else None, message))

        if not isinstance(policy, ResourceValidationPolicy):
            policy.validate(StackValidationArgs(list(by_urn.values()), properties), report)
            continue
        for resource in custom:
            args = ResourceValidationArgs(resource.type, unknown_checking_proxy(resource.inputs),
                                          resource.urn, resource.name, _options(resource), None,
                                          properties)
            try:
                # A resource policy's violations always concern the resource under validation.
                policy.validate(args, lambda message, urn=None, resource=resource:
                                report(message, resource.urn))
            except _NotApplicableError:
                continue
    return found


@pytest.mark.parametrize("stack", ["dev", "prod", "local"])
def test_stack_deploys_under_its_policy_config(run_stack, resolve_config, stack):
    config = json.loads((POLICY_DIR / f"config.{CONFIG_FOR[stack]}.json").read_text())
    blocking = {(policy, name)
                for policy, level, name, _ in findings(run_stack(stack), resolve_config(config))
                if level == "mandatory"}
    assert blocking == set()


def test_pack_catches_what_the_program_must_not_do(run_stack, resolve_config):
    # The same harness on a prod stack left open to the world, so a vacuous pass above would show.
    config = json.loads((POLICY_DIR / "config.prod.json").read_text())
    run = run_stack("prod", cluster__publicAccessCidrs=["0.0.0.0/0"],
                    cluster__allowPublicEndpointFromAnywhere=True)
    names = {policy for policy, level, _, _ in findings(run, resolve_config(config))
             if level == "mandatory"}
    assert "eks-endpoint-not-public" in names


@pytest.mark.parametrize("stack,engine", [("fleet-hub", "argocd"), ("fleet-hub", "flux"),
                                          ("fleet-spoke-a", "argocd"), ("fleet-spoke-b", "argocd"),
                                          ("fleet-spoke-a", "flux")])
def test_fleet_stacks_deploy_under_the_dev_policy_config(resolve_config, stack, engine):
    """The fleet's roles (the hub's, a spoke's for the hub) pass the IAM rules."""
    config = json.loads((POLICY_DIR / "config.dev.json").read_text())
    run = hub(engine) if stack == HUB else spoke(stack, engine)
    assert {(policy, name) for policy, level, name, _ in findings(run, resolve_config(config))
            if level == "mandatory"} == set()


POD_IDENTITY_RULE = next(policy for policy in rules.POLICIES
                         if policy.name == "iam-pod-identity-bound-once")


def pod_identity_violations(run):
    """(resource name, message) for each violation of iam-pod-identity-bound-once in the run."""
    by_urn = policy_resources(run)
    found = []
    POD_IDENTITY_RULE.validate(StackValidationArgs(list(by_urn.values())),
                               lambda message, urn=None: found.append((by_urn[urn].name, message)))
    return found


def pod_identity_roles(run):
    return [role.name for role in run.by_type(rules.IAM_ROLE)
            if rules.POD_IDENTITY_SERVICE in role.inputs["assumeRolePolicy"]]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_pod_identity_role_of_the_program_is_bound_once(run_stack, stack):
    run = run_stack(stack)
    assert run.settings.cluster.workload_identity == "podIdentity"
    # Not vacuous: the add-on roles and the EBS CSI driver's trust Pod Identity.
    assert len(pod_identity_roles(run)) == len(run.by_type(rules.POD_IDENTITY_ASSOCIATION)) >= 3
    assert pod_identity_violations(run) == []


def test_a_pod_identity_role_of_the_program_without_its_association_fails(run_stack):
    run = run_stack("dev")
    [dropped] = [r for r in run.by_type(rules.POD_IDENTITY_ASSOCIATION)
                 if r.inputs["serviceAccount"] == "external-dns"]
    [role] = dropped.property_dependencies["roleArn"]
    name = run.by_urn()[role].name
    unbound = dataclasses.replace(run, resources=[r for r in run.resources if r is not dropped])
    assert pod_identity_violations(unbound) == [(name, (
        f"IAM role {name} trusts pods.eks.amazonaws.com but no Pod Identity association binds "
        "it, so no pod gets its permissions; bind it to one service account or remove it."))]


def test_a_pod_identity_role_of_the_program_bound_twice_fails(run_stack):
    run = run_stack("dev")
    [first] = [r for r in run.by_type(rules.POD_IDENTITY_ASSOCIATION)
               if r.inputs["serviceAccount"] == "external-dns"]
    second = dataclasses.replace(first, urn=f"{first.urn}-again", name="external-dns-again",
                                 inputs={**first.inputs, "serviceAccount": "other"})
    name = run.by_urn()[first.property_dependencies["roleArn"][0]].name
    twice = dataclasses.replace(run, resources=[*run.resources, second])
    assert pod_identity_violations(twice) == [(name, (
        f"IAM role {name} trusts pods.eks.amazonaws.com and is bound by 2 Pod Identity "
        f"associations ({first.name}, external-dns-again); bind it to exactly one service "
        "account."))]
