"""What stacks exported, read back by the update that follows: this stack's last update, or a
fleet spoke's hub."""

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi.runtime.sync_await import _sync_await


def _details(reference: pulumi.StackReference, name: str) -> Any:
    """An output's value, read before any resource is registered so that a check on it can fail
    the update before anything changes. `_sync_await` is how the SDK itself resolves synchronous
    invokes inside a running program."""
    details = _sync_await(reference.get_output_details(name))
    return details.value if details.value is not None else details.secret_value


def previous_output(name: str) -> Any:
    """The stack output `name` of the last update of this stack (None on its first update),
    read through a StackReference to the stack itself."""
    own = pulumi.StackReference(
        f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}")
    return _details(own, name)


def stack_outputs(stack: str, names: Sequence[str]
                  ) -> tuple[pulumi.StackReference, dict[str, Any]]:
    """A reference to the stack `stack` (fully qualified) and the values of its outputs `names`,
    None for those it does not export. A stack that does not exist, or whose state this identity
    may not read, fails the read itself: the engine's error names the stack."""
    reference = pulumi.StackReference(stack)
    return reference, {name: _details(reference, name) for name in names}
