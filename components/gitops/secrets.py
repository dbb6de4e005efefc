"""The one builder of the Secrets an engine reads: the bridge's cluster Secret (Argo CD) and
repository credentials (both engines)."""

from collections.abc import Mapping
from typing import Any

import pulumi

from components.common.gitops_model import GitCredentials


def secret(name: str, namespace: str, string_data: Any, *,
           labels: Mapping[str, str] | None = None,
           annotations: Mapping[str, pulumi.Input[str]] | None = None) -> dict:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = dict(labels)
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque",
            "stringData": string_data}


def credential_data(credentials: GitCredentials, ssh_keys: Mapping[str, str],
                    extra: Mapping[str, str] | None = None) -> pulumi.Output[dict]:
    """The credentials as the engine reads them: `username` and `password`, or the SSH fields
    under the engine's keys (`ssh_keys` maps the engine's key to a GitCredentials field), after
    `extra`. The whole map is one secret Output, so no field of it can reach state or a preview in
    plain text."""
    fields = ({key: getattr(credentials, field) for key, field in ssh_keys.items()}
              if credentials.is_ssh
              else {"username": credentials.username, "password": credentials.password})
    return pulumi.Output.secret(pulumi.Output.all(**fields).apply(
        lambda values: {**(extra or {}), **values}))
