"""Cost per added item between two measured points, and whether it grows linearly: shared by the
seed-app scaling (command.py) and the fleet figure (fleet.py)."""

import math
from collections.abc import Mapping, Sequence

# The later slope may be this many times the earlier one, either way, and still be linear.
LINEAR_TOLERANCE = 1.2


def slope(low: tuple[int, float], high: tuple[int, float]) -> float:
    """Cost per added item between two (items, cost) points."""
    return (high[1] - low[1]) / (high[0] - low[0])


def over(value: float, base: float) -> float:
    """`value / base`; NaN where `base` is not positive, a slope lost in measurement noise."""
    return value / base if base > 0 else math.nan


def early_and_late(cost: Mapping[int, float]) -> tuple[float, float]:
    """The slopes of `cost` (size -> cost) over its first two and over its last two sizes."""
    sizes = sorted(cost)
    return (slope((sizes[0], cost[sizes[0]]), (sizes[1], cost[sizes[1]])),
            slope((sizes[-2], cost[sizes[-2]]), (sizes[-1], cost[sizes[-1]])))


def growth(early: float, late: float, tolerance: float = LINEAR_TOLERANCE) -> str:
    """`linear` when the later slope is within `tolerance` times the earlier one either way;
    `unclear` when the earlier slope is not positive, i.e. lost in measurement noise."""
    if early <= 0:
        return "unclear"
    ratio = late / early
    if ratio > tolerance:
        return "superlinear"
    return "linear" if ratio >= 1 / tolerance else "sublinear"


def round_ratios(run: tuple[Sequence[float], Sequence[float]],
                 floor: tuple[Sequence[float], Sequence[float]]) -> list[float]:
    """Per round of samples, the run's cost between its two sizes over the floor's: `run` and
    `floor` hold the samples at the smaller and at the larger size, in the order taken, so the
    i-th of each were taken in the same round, beside each other. Their spread says how far one
    round's ratio is from another's, which the ratio of medians does not show."""
    ratios = []
    for low, high, floor_low, floor_high in zip(*run, *floor, strict=False):
        if floor_high > floor_low:
            ratios.append((high - low) / (floor_high - floor_low))
    return ratios
