"""Least privilege in every IAM document the program registers, in prod with every add-on of the
catalog enabled: no wildcard principal, no `*` action, each IRSA role trusted by exactly its
add-on's service account and only for STS tokens, and the bridge telling GitOps that same
service account."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest

from components.addons import CATALOG

POLICY_INPUTS = {"aws:iam/role:Role": "assumeRolePolicy", "aws:iam/rolePolicy:RolePolicy": "policy",
                 "aws:iam/policy:Policy": "policy"}
BROAD_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
STS_AUDIENCE = "sts.amazonaws.com"


@pytest.fixture
def prod(run_stack):
    return run_stack("prod", gitops__addons=sorted(CATALOG))


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _documents(run) -> Iterable[tuple[str, dict]]:
    for resource in run.resources:
        key = POLICY_INPUTS.get(resource.type)
        if key is not None:
            yield f"{resource.type} {resource.name}", json.loads(resource.inputs[key])


def _principals(principal: Any) -> Iterable[str]:
    if isinstance(principal, dict):
        for value in principal.values():
            yield from _listed(value)
    else:
        yield principal


def test_every_policy_document_is_narrow(prod):
    documents = list(_documents(prod))
    roles = [name for name, _ in documents if name.startswith("aws:iam/role:Role")]
    assert len(roles) >= 2 + len([a for a in CATALOG.values() if a.policy is not None])
    for name, document in documents:
        assert document["Version"] == "2012-10-17", name
        for statement in document["Statement"]:
            assert not {"NotAction", "NotResource", "NotPrincipal"} & set(statement), name
            assert statement["Effect"] == "Allow", name
            actions = _listed(statement["Action"])
            assert "*" not in actions, name
            assert not [a for a in actions if a.endswith(":*")], name
            if "Principal" in statement:
                principals = list(_principals(statement["Principal"]))
                assert principals and not [p for p in principals if "*" in p], name
            else:
                assert statement["Resource"], name


def test_no_broad_managed_policy_is_attached(prod):
    attached = [r.inputs["policyArn"] for r in prod.by_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert attached
    assert not [arn for arn in attached if arn.rsplit("/", 1)[1] in BROAD_MANAGED_POLICIES]


def test_service_roles_trust_only_their_service(prod):
    services = {}
    for name, document in _documents(prod):
        for statement in document["Statement"]:
            principal = statement.get("Principal", {})
            if "Service" in principal:
                assert statement["Action"] == "sts:AssumeRole", name
                services[name] = principal["Service"]
    assert sorted(services.values()) == ["ec2.amazonaws.com", "eks.amazonaws.com"]


def test_irsa_roles_trust_exactly_their_service_account(prod):
    [provider] = prod.by_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["clientIdLists"] == [STS_AUDIENCE]
    issuer = provider.inputs["url"].removeprefix("https://")
    oidc_arn = prod.outputs["oidcProviderArn"].value
    trusted = {}
    for role in prod.by_type("aws:iam/role:Role"):
        document = json.loads(role.inputs["assumeRolePolicy"])
        federated = [s for s in document["Statement"] if "Federated" in s.get("Principal", {})]
        if not federated:
            continue
        [statement] = document["Statement"]
        assert statement["Principal"] == {"Federated": oidc_arn}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert set(statement["Condition"]) == {"StringEquals"}
        condition = statement["Condition"]["StringEquals"]
        assert condition == {f"{issuer}:sub": condition[f"{issuer}:sub"],
                             f"{issuer}:aud": STS_AUDIENCE}
        addon = CATALOG[role.name.removeprefix("addons-")]
        assert condition[f"{issuer}:sub"] == (
            f"system:serviceaccount:{addon.namespace}:{addon.service_account}")
        trusted[addon.name] = role
    assert set(trusted) == {a.name for a in CATALOG.values() if a.policy is not None}
    # The role ARN the stack reports belongs to the role that trusts that add-on.
    arns = prod.outputs["addonRoleArns"].value
    for name, role in trusted.items():
        assert arns[name].rsplit("/", 1)[1].startswith(role.inputs["namePrefix"])


@pytest.mark.parametrize("engine", ["argocd", "flux"])
def test_bridge_names_the_service_account_the_role_trusts(run_stack, engine):
    run = run_stack("prod", gitops__addons=sorted(CATALOG), gitops__engine=engine)
    bridge = {}
    for resource in (run.by_type("kubernetes:core/v1:Secret")
                     + run.by_type("kubernetes:core/v1:ConfigMap")):
        bridge.update(resource.inputs["metadata"].get("annotations") or {})
        bridge.update(resource.inputs.get("data") or {})
    arns = run.outputs["addonRoleArns"].value
    for addon in CATALOG.values():
        prefix = addon.name.replace("-", "_")
        assert bridge[f"{prefix}_namespace"] == addon.namespace
        assert bridge[f"{prefix}_service_account"] == addon.service_account
        if addon.policy is not None:
            assert bridge[f"{prefix}_iam_role_arn"] == arns[addon.name]
        else:
            assert f"{prefix}_iam_role_arn" not in bridge
