"""The dependency graph of a recorded run: who waits for whom at create time (and, reversed, at
destroy time). Edges are the dependencies the engine would see: explicit `depends_on` plus every
Output passed as an input, with components already expanded to their children by the SDK."""

from __future__ import annotations

from functools import cache

from tools.harness.recording import Resource, Run


class Graph:
    """Dependencies of a recorded run, with transitive waits and a stable topological order."""

    def __init__(self, run: Run):
        self.resources = {r.urn: r for r in run.resources}
        self.edges = {r.urn: tuple(dict.fromkeys(r.dependencies)) for r in run.resources}
        self.ancestors = cache(self._ancestors)

    def _ancestors(self, urn: str) -> frozenset[str]:
        """Everything `urn` transitively waits for."""
        found: set[str] = set()
        for dependency in self.edges.get(urn, ()):
            found.add(dependency)
            found |= self.ancestors(dependency)
        return frozenset(found)

    def waits_for(self, later: Resource, earlier: Resource) -> bool:
        """True when `later` is created only after `earlier` (and so destroyed before it)."""
        return earlier.urn in self.ancestors(later.urn)

    def topological(self) -> list[Resource]:
        """Resources in an order the engine could create them. Ties go by URN, not by the order
        resources registered, which varies from run to run, so renders diff cleanly."""
        order: list[Resource] = []
        seen: set[str] = set()

        def visit(urn: str) -> None:
            if urn in seen or urn not in self.resources:
                return
            seen.add(urn)
            for dependency in sorted(self.edges[urn]):
                visit(dependency)
            order.append(self.resources[urn])

        for urn in sorted(self.resources):
            visit(urn)
        return order
