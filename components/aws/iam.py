"""IAM documents: policy and trust documents as plain dicts, and ARNs of AWS-managed policies."""

import json
from collections.abc import Sequence
from typing import Any

MANAGED_POLICY = "arn:{partition}:iam::aws:policy/{name}"


def managed_policy_arn(partition: str, name: str) -> str:
    return MANAGED_POLICY.format(partition=partition, name=name)


def document(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(sid: str, actions: list[str], resources: list[str] | str, **condition: dict) -> dict:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": actions,
                                 "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def assume_role_policy(service: str, actions: Sequence[str] = ("sts:AssumeRole",)) -> str:
    """Trust for an AWS service principal, e.g. eks.amazonaws.com."""
    action: str | list[str] = actions[0] if len(actions) == 1 else list(actions)
    return json.dumps(document({"Effect": "Allow", "Principal": {"Service": service},
                                "Action": action}))
