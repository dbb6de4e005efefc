"""What the stack's last update exported, read back by the update that follows it."""

from typing import Any

import pulumi
from pulumi.runtime.sync_await import _sync_await


def previous_output(name: str) -> Any:
    """The stack output `name` of the last update of this stack (None on its first update).

    Read through a StackReference to the stack itself, and awaited here, before any resource is
    registered, so that a check on it can fail the update before anything changes. `_sync_await`
    is how the SDK itself resolves synchronous invokes inside a running program.
    """
    own = pulumi.StackReference(
        f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}")
    return _sync_await(own.get_output_details(name)).value
