"""policy/config.dev.json and policy/config.prod.json: which policies block, and which stacks
count as protected, once `pulumi preview --policy-pack-config` applies them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import rules

POLICY_DIR = Path(rules.__file__).parent
LEVELS = {"advisory", "mandatory", "remediate", "disabled"}
PROTECTED = {policy.name for policy in rules.POLICIES
             if policy.config_schema is rules.PROTECTED_SCHEMA}
# Real exposures even in dev: an IAM hole in the dev account is a hole, and an unpinned chart makes
# dev differ from what prod will get.
MANDATORY_IN_DEV = {"iam-no-wildcard-admin", "iam-no-admin-managed-policy", "iam-no-public-trust",
                    "iam-irsa-trust-scoped", "iam-pod-identity-bound-once",
                    "helm-release-version-pinned"}


def load(stack):
    return json.loads((POLICY_DIR / f"config.{stack}.json").read_text())


def test_pack_protects_policies_that_only_apply_to_protected_stacks():
    assert PROTECTED == {"eks-secrets-encryption", "eks-audit-logging", "eks-endpoint-not-public",
                         "protect-critical-resources", "gitops-revision-pinned"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_config_names_only_known_policies_with_valid_settings(stack):
    config = load(stack)
    names = {policy.name: policy for policy in rules.POLICIES}
    assert set(config) - {"all"} <= set(names)
    assert config["all"] in LEVELS
    for name, entry in config.items():
        if name == "all":
            continue
        if isinstance(entry, str):
            assert entry in LEVELS
            continue
        assert entry.get("enforcementLevel", "mandatory") in LEVELS
        properties = {key: value for key, value in entry.items() if key != "enforcementLevel"}
        schema = names[name].config_schema
        # Stricter than the CLI, which ignores unknown keys: a misspelt key would silently do
        # nothing.
        jsonschema.validate(properties, {"type": "object", "additionalProperties": False,
                                         "properties": schema.properties if schema else {}})


def test_prod_enforces_every_policy_as_a_protected_stack(resolve_config):
    for name, (level, properties) in resolve_config(load("prod")).items():
        assert level == "mandatory", name
        if name in PROTECTED:
            assert properties == {"protectedStack": True}, name


def test_dev_blocks_only_on_real_exposures_and_is_not_protected(resolve_config):
    resolved = resolve_config(load("dev"))
    assert {name for name, (level, _) in resolved.items()
            if level == "mandatory"} == MANDATORY_IN_DEV
    assert {level for name, (level, _) in resolved.items()
            if name not in MANDATORY_IN_DEV} == {"advisory"}
    for name in PROTECTED:
        assert resolved[name][1] == {"protectedStack": False}, name


def test_without_a_config_file_the_pack_is_as_strict_as_prod(resolve_config):
    assert resolve_config({}) == resolve_config(load("prod"))
