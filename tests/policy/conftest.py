"""Runs groundwork's policies the way the policy host does, without a Pulumi engine.

The host starts policy/__main__.py with policy/ first on sys.path, so the pack's modules import
each other as top-level modules (`import rules`); the tests put policy/ on sys.path the same way.
Props are wrapped in the SDK's unknown-checking proxy, as the host wraps them, so a rule that
assumes plain dicts and lists fails here as it would under the engine.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
sys.path.insert(0, str(POLICY_DIR))

from pulumi_policy import (  # noqa: E402
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)

# The SDK offers args.not_applicable() but does not export the exception it raises.
from pulumi_policy.policy import _NotApplicableError  # noqa: E402
from pulumi_policy.proxy import unknown_checking_proxy  # noqa: E402

import rules  # noqa: E402

POLICIES = {policy.name: policy for policy in rules.POLICIES}
# policy/__main__.py builds the pack with this default; tests/policy/test_pack_host.py checks it.
PACK_DEFAULT_LEVEL = "mandatory"


def _urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:prod::groundwork::{resource_type}::{name}"


def _options(protect: bool) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def _run(policy_name: str,
         args: ResourceValidationArgs | StackValidationArgs) -> list[tuple[str, str | None]]:
    reported: list[tuple[str, str | None]] = []
    POLICIES[policy_name].validate(args, lambda message, urn=None: reported.append((message, urn)))
    return reported


def resource_args(resource_type: str, props: Mapping[str, Any], *, name: str = "example",
                  config: Mapping[str, Any] | None = None, protect: bool = False,
                  provider_props: Mapping[str, Any] | None = None) -> ResourceValidationArgs:
    provider = None
    if provider_props is not None:
        provider = PolicyProviderResource(
            "pulumi:providers:aws", unknown_checking_proxy(dict(provider_props)),
            "urn:pulumi:prod::groundwork::pulumi:providers:aws::default", "default")
    return ResourceValidationArgs(resource_type, unknown_checking_proxy(dict(props)),
                                  _urn(resource_type, name), name, _options(protect),
                                  provider, config)


@pytest.fixture
def violations() -> Callable[..., list[str]]:
    """violations(policy, type, props, **options): the messages the policy reports."""
    def check(policy_name: str, resource_type: str, props: Mapping[str, Any],
              **options: Any) -> list[str]:
        return [message for message, _ in
                _run(policy_name, resource_args(resource_type, props, **options))]
    return check


@pytest.fixture
def not_applicable() -> Callable[..., str | None]:
    """not_applicable(policy, type, props, **options): the reason the policy skipped the
    resource, or None when it ran."""
    def check(policy_name: str, resource_type: str, props: Mapping[str, Any],
              **options: Any) -> str | None:
        try:
            _run(policy_name, resource_args(resource_type, props, **options))
        except _NotApplicableError as skipped:
            return skipped.reason
        return None
    return check


class Stack:
    """A stack as a stack policy sees it: resources linked by dependencies."""

    def __init__(self) -> None:
        self.resources: list[PolicyResource] = []

    def add(self, resource_type: str, name: str, props: Mapping[str, Any] | None = None, *,
            depends_on: Sequence[PolicyResource] = (),
            property_dependencies: Mapping[str, Sequence[PolicyResource]] | None = None
            ) -> PolicyResource:
        resource = PolicyResource(resource_type, unknown_checking_proxy(dict(props or {})),
                                  _urn(resource_type, name), name, _options(False), None, None,
                                  list(depends_on),
                                  {key: list(value)
                                   for key, value in (property_dependencies or {}).items()})
        for dependencies in resource.property_dependencies.values():
            resource.dependencies.extend(dependencies)
        self.resources.append(resource)
        return resource

    def violations(self, policy_name: str) -> list[tuple[str, str | None]]:
        return _run(policy_name, StackValidationArgs(self.resources))


@pytest.fixture
def stack() -> Stack:
    return Stack()


@pytest.fixture
def resolve_config() -> Callable[[Mapping[str, Any]], dict[str, tuple[str, dict[str, Any]]]]:
    """resolve_config(file contents): each policy's enforcement level and config properties as the
    CLI applies a --policy-pack-config file: a policy's entry overrides "all", which overrides the
    pack default, and properties the file leaves out take their config_schema default."""
    def resolve(config: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
        default = config.get("all", PACK_DEFAULT_LEVEL)
        resolved = {}
        for policy in rules.POLICIES:
            entry = config.get(policy.name, {})
            if isinstance(entry, str):
                entry = {"enforcementLevel": entry}
            schema = policy.config_schema.properties if policy.config_schema else {}
            properties = {key: spec["default"] for key, spec in schema.items() if "default" in spec}
            properties.update({key: value for key, value in entry.items()
                               if key != "enforcementLevel"})
            resolved[policy.name] = (entry.get("enforcementLevel", default), properties)
        return resolved
    return resolve
