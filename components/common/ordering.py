"""Ordering by data: a value that resolves only after other outputs have.

A component package passes outputs, not resources, so "wait for X" travels as an output whose
resolution depends on X. Whatever takes the returned value as an input is created after X and,
on destroy, deleted before it. Used within the program too, so one mechanism orders both.
"""

from typing import Any, TypeVar

import pulumi

T = TypeVar("T")


def after(value: pulumi.Input[T], *waits: pulumi.Input[Any]) -> pulumi.Output[T]:
    """`value`, resolved once every one of `waits` has resolved (and carrying their resources as
    dependencies)."""
    return pulumi.Output.all(value, *waits).apply(lambda values: values[0])
