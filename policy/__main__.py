"""Entry point the Pulumi policy host runs (`python -m pulumi.policy <engine> .` from this
directory, which puts it first on sys.path). Building the PolicyPack starts its gRPC server and
blocks, so only the host runs this file; tests import `rules`."""

from pulumi_policy import EnforcementLevel, PolicyPack

import rules

PolicyPack(
    name="groundwork",
    policies=rules.POLICIES,
    # Fail closed: without a config file every policy blocks. config.dev.json relaxes dev.
    enforcement_level=EnforcementLevel.MANDATORY,
)
