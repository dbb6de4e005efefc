"""What the property tests of the config share: the settings every one of them runs with, a
canary strategy, and the one check that a run shows no secret in plain text."""

from __future__ import annotations

import json
import string
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from components.config import ConfigError
from tools import harness
from tools.harness.tree import spell, under, walk


def examples(count: int):
    """Derandomized, so every run of the suite tries the same examples, and with no deadline:
    a whole program run under mocks takes a tenth of a second or more."""
    return settings(max_examples=count, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# Lowercase letters and digits: a canary fits wherever a DNS label does, so the program cannot
# refuse it for its shape and the test sees where it goes.
canaries = st.text(string.ascii_lowercase + string.digits, min_size=10, max_size=10).map(
    lambda token: f"gwcanary{token}")


def rejected(stack: str, overrides: dict[str, Any], **options: Any) -> ConfigError:
    """The ConfigError of a run that must fail, after checking it registered nothing."""
    with pytest.raises(ConfigError) as caught:
        harness.run(stack, overrides, **options)
    assert caught.value.partial_run.resources == [], "a ConfigError must come before any resource"
    assert caught.value.problems
    assert all(problem.startswith("groundwork:") for problem in caught.value.problems)
    return caught.value


def paths_named(error: ConfigError) -> set[str]:
    """The key paths an error names, without the `groundwork:` namespace."""
    return {problem.split(": ", 1)[0].removeprefix("groundwork:") for problem in error.problems}


def _plain_strings(value: Any, secret_paths: Iterable[str]) -> Iterable[tuple[str, str]]:
    """(path, text) of every string outside the secret paths, map keys included."""
    secret = frozenset(path for path, _ in walk(value) if spell(path) in set(secret_paths))
    for path, node in walk(value):
        if under(path, secret):
            continue
        if isinstance(node, dict):
            yield from ((spell(path), str(key)) for key in node)
        elif isinstance(node, str):
            yield spell(path), node


def plain_leaks(run: harness.Run, needles: Iterable[str]) -> list[str]:
    """Where any of `needles` shows in plain text: a URN, an input that did not arrive as a
    secret, a stack output that is not secret, or a log line."""
    needles = [needle for needle in needles if needle]
    found = []
    for resource in run.resources:
        found += [f"urn {resource.urn}" for needle in needles if needle in resource.urn]
        found += [f"{resource.type} {resource.name}: {path}"
                  for path, text in _plain_strings(resource.inputs, resource.secret_paths)
                  for needle in needles if needle in text]
    for name, output in run.outputs.items():
        if not output.secret:
            found += [f"output {name}" for needle in needles
                      if needle in json.dumps(output.value)]
    found += [f"log {line[:60]}" for line in run.logs for needle in needles if needle in line]
    return found
