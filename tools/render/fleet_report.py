"""What a hub's render says about its fleet: a Mermaid flowchart (the hub, each spoke, and an edge
for what each spoke receives), a table of per-spoke counts for resources.md, the same for
plan.json, and the summary line's part.

A spoke the hub's engine reaches through a role of the spoke's account that the hub's role
assumes (Argo CD across accounts, README "Fleets") has a dotted edge that says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tools.harness import Run
from tools.render import fleet
from tools.render.fleet import Spoke

SPOKES = "spokes"
# What the engine makes for a spoke, in the words of its engine.
_UNIT = {"argocd": "Application", "flux": "object"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Member:
    """A stack of the fleet as the diagram shows it."""

    stack: str
    account: str
    region: str
    engine: str

    @classmethod
    def of(cls, stack: str, config: Mapping[str, Any]) -> Member:
        return cls(stack, fleet.account(config), fleet.region(config), fleet.engine(config))

    def json(self) -> dict[str, str]:
        return {"stack": self.stack, "account": self.account, "region": self.region,
                "engine": self.engine}


@dataclass(frozen=True)
class Row:
    """One spoke's line: who it is, what it registers in the hub, what it gets."""

    spoke: Spoke
    member: Member
    addons: tuple[str, ...]
    files: tuple[str, ...]
    expanded: int
    kustomizations: int
    assumed_role: bool


def rows(hub: Run, spokes: Sequence[Spoke], files: Mapping[str, Sequence[str]],
         by_spoke: Mapping[str, int]) -> list[Row]:
    """`files`: by spoke, the files under spokes/<stack>/ of the objects it registers."""
    return [Row(spoke=s, member=Member.of(s.stack, s.config),
                addons=tuple(fleet.addons(list(s.registered))),
                files=tuple(files.get(s.stack, ())), expanded=by_spoke.get(s.stack, 0),
                kustomizations=sum(1 for o in s.registered if o.kind == "Kustomization"),
                assumed_role=fleet.assumes_role(s.run))
            for s in spokes]


def _receives(row: Row, engine: str) -> str:
    made = _plural(row.expanded, _UNIT.get(engine, "object"))
    if engine == "flux":
        made = f"{_plural(row.kustomizations, 'Kustomization')}: {made}"
    return made


def _text(text: str) -> str:
    """A Mermaid label: quotes are the one character it cannot hold."""
    return text.replace('"', "#quot;")


def _node(member: Member, role: str = "") -> str:
    return (f'["{_text(member.stack)}{role}<br/>account {member.account}<br/>{member.region}'
            f'<br/>engine {member.engine}"]')


def mermaid(hub: Run, table: Sequence[Row]) -> str:
    me = Member.of(hub.stack, hub.config)
    lines = ["flowchart LR", f"  hub{_node(me, ' (hub)')}"]
    for i, row in enumerate(table):
        node, m = f"s{i}", row.member
        lines.append(f"  {node}{_node(m)}")
        if row.spoke.error:
            lines.append(f'  hub -. "config error: not rendered" .-> {node}')
            continue
        label = "<br/>".join(part for part in (
            f"assumes a role in {m.account}" if row.assumed_role else "",
            ", ".join(row.addons) or "no add-on", _receives(row, me.engine)) if part)
        arrow = ("-.", ".->") if row.assumed_role else ("--", "-->")
        lines.append(f'  hub {arrow[0]} "{_text(label)}" {arrow[1]} {node}')
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or "—"


def markdown(hub: Run, table: Sequence[Row]) -> str:
    """resources.md's fleet section."""
    engine = fleet.engine(hub.config)
    unit = _UNIT.get(engine, "object")
    lines = [f"## Fleet: {_plural(len(table), 'spoke')}", "",
             f"Each spoke's own render is under `{SPOKES}/<stack>/`. An edge says what the hub's "
             "engine delivers to the spoke: the add-ons its registration switches on, and what "
             "the engine creates for it offline; a dotted edge reaches a spoke in another "
             "account through a role the hub's role assumes there.", "",
             "```mermaid", mermaid(hub, table), "```", "",
             f"| spoke | account | region | engine | add-ons | objects it registers in the hub "
             f"| {unit}s the hub's engine creates for it | reached |",
             "|---|---|---|---|---|---|---|---|"]
    for row in table:
        m = row.member
        reached = ("config error: " + row.spoke.error if row.spoke.error
                   else "assumed role" if row.assumed_role else "hub role")
        lines.append(f"| {m.stack} | {m.account} | {m.region} | {m.engine} | "
                     f"{_cell(', '.join(row.addons))} | {len(row.files)} | {row.expanded} | "
                     f"{_cell(reached)} |")
    return "\n".join(lines) + "\n"


def plan(hub: Run, table: Sequence[Row]) -> dict[str, Any]:
    """plan.json's `fleet`."""
    return {"hub": Member.of(hub.stack, hub.config).json(), SPOKES: [
        {**row.member.json(),
         "addons": list(row.addons), "registered": [f"{SPOKES}/{row.spoke.stack}/{f}"
                                                    for f in row.files],
         "expanded": row.expanded, "assumedRole": row.assumed_role,
         "error": row.spoke.error} for row in table]}


def summary(table: Sequence[Row]) -> str:
    """The summary line's part: per spoke, what it registers and what it gets."""
    parts = [f"{row.spoke.stack} (config error)" if row.spoke.error
             else f"{row.spoke.stack} ({len(row.files)} registered, {row.expanded} expanded)"
             for row in table]
    return f"; spokes: {', '.join(parts)}" if parts else "; no spokes"
