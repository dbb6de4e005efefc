"""The health gate: `pulumi up` waits until the engine reports the bootstrap healthy, through
pulumi-kubernetes' await annotation on custom resources.

`pulumi.com/waitFor` takes `condition=<Type>` (status "True") or `jsonpath=<path>=<value>`, or a
JSON list of them that must all hold; it replaces the provider's default (no wait for custom
resources), and is not evaluated during preview (pulumi-kubernetes provider/pkg/await/await.go).
The create and update timeouts bound the wait; a wrong repository URL, revision or credential then
fails the update instead of ending green.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

WAIT_FOR = "pulumi.com/waitFor"
# Argo CD: the root Application compared and applied Git (`.status.sync.status`) and everything
# it applied is healthy (`.status.health.status`). A repository it cannot read leaves the sync
# status Unknown with a ComparisonError condition, so the gate times out.
ARGOCD_APPLICATION = ("jsonpath={.status.sync.status}=Synced",
                      "jsonpath={.status.health.status}=Healthy")
# Flux: the GitRepository fetched the revision; the Kustomization applied it and, with `wait`,
# everything it applied is ready.
FLUX_READY = ("condition=Ready",)


def gated(manifest: Mapping[str, Any], conditions: Sequence[str]) -> dict:
    """`manifest` with the await annotation for `conditions`."""
    value = conditions[0] if len(conditions) == 1 else json.dumps(list(conditions))
    metadata = dict(manifest["metadata"])
    metadata["annotations"] = {**metadata.get("annotations", {}), WAIT_FOR: value}
    return {**manifest, "metadata": metadata}
