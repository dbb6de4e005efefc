"""The mock harness shared by the tests, the render and the bench: a stack's config as the CLI
would pass it, mocks of the cloud, and a run of the real program that records every registration.

One runner serves all three. It layers configuration the way the Pulumi CLI does (Pulumi.yaml
defaults, then Pulumi.<stack>.yaml), turns every `secure:` value into the placeholder `<secret>`
and keeps it marked secret, answers AWS invokes and returns plausible ids, ARNs, endpoints and OIDC
issuers so every manifest is complete, and records each resource's inputs, parent, dependencies,
protection and which inputs were secret.
"""

from tools.harness.mocks import (
    ACCOUNT_ID,
    DEFAULT_CALLER_ARN,
    DEFAULT_REGION,
    Cloud,
    GroundworkMocks,
    Invoke,
)
from tools.harness.recording import Output, Resource, Run
from tools.harness.runner import deployer, hub_cloud, run
from tools.harness.stack_config import PROJECT, ROOT, SECRET_PLACEHOLDER, stack_values

__all__ = [
    "ACCOUNT_ID",
    "DEFAULT_CALLER_ARN",
    "DEFAULT_REGION",
    "PROJECT",
    "ROOT",
    "SECRET_PLACEHOLDER",
    "Cloud",
    "GroundworkMocks",
    "Invoke",
    "Output",
    "Resource",
    "Run",
    "deployer",
    "hub_cloud",
    "run",
    "stack_values",
]
