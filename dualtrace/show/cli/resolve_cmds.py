"""``dualtrace resolve|merge|split|decisions``: cross-list grouping and its decisions."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table

from dualtrace.resolve.merge import decisions, merge_entities, resolve_lists, split_entity
from dualtrace.show.cli.console import JsonOpt, StoreOpt, console, print_json
from dualtrace.store import Store

ByOpt = Annotated[
    str | None, typer.Option("--by", help="Who decides (recorded); default: your user name.")
]


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def register(app: typer.Typer) -> None:
    @app.command("resolve")
    def resolve(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
        """Group records of the same party across all lists (identifiers, strong names)."""
        with Store.open(store) as s:
            result = resolve_lists(s)
        data = {
            "groups": result.decisions,
            "records": result.entities,
            "unchanged": result.unchanged,
            "manual_kept": result.kept_manual,
            "conflicts": result.conflicts,
            "keys": result.keys,
            "seconds": round(result.seconds, 2),
        }
        if as_json:
            print_json(data)
            return
        console.print(
            f"{result.decisions:,} groups of {result.entities:,} records "
            f"({result.unchanged:,} unchanged, {result.kept_manual:,} manual kept, "
            f"{len(result.conflicts):,} schema conflicts left unmerged) in {result.seconds:.1f}s",
            highlight=False,
        )

    @app.command("merge")
    def merge(
        ids: Annotated[list[str], typer.Argument(help="Two or more entity or canonical ids.")],
        reason: Annotated[str | None, typer.Option(help="Why (kept as evidence).")] = None,
        by: ByOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Merge records by hand; kept across later automatic runs until split."""
        with Store.open(store) as s:
            decision = merge_entities(s, ids, _who(by), reason)
        if as_json:
            print_json(decision.to_dict())
            return
        console.print(
            f"merged {len(decision.entity_ids)} records as {decision.canonical_id} "
            f"(decision {decision.id})",
            highlight=False,
        )

    @app.command("split")
    def split(
        entity_id: Annotated[
            str,
            typer.Argument(
                help="A record id (take it out of its group) "
                "or a canonical id (undo the whole group)."
            ),
        ],
        by: ByOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Undo a merge; the record stays out of automatic grouping until merged by hand."""
        with Store.open(store) as s:
            made = split_entity(s, entity_id, _who(by))
        if as_json:
            print_json([d.to_dict() for d in made])
            return
        for d in made:
            console.print(
                f"{d.method}: {', '.join(d.entity_ids)} (decision {d.id})", highlight=False
            )

    @app.command("decisions")
    def list_decisions(
        entity_id: Annotated[
            str | None, typer.Argument(help="Entity, canonical or decision id.")
        ] = None,
        include_undone: Annotated[
            bool, typer.Option("--all", help="Include undone decisions (history).")
        ] = False,
        limit: Annotated[int, typer.Option(help="Rows shown (text output).")] = 50,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Merge decisions with their evidence (shared identifiers, names, who decided)."""
        with Store.open(store, read_only=True) as s:
            found = decisions(s, entity_id, include_undone)
        if as_json:
            print_json([d.to_dict() for d in found])
            return
        table = Table(title=f"{len(found):,} merge decisions")
        for col in ("decision", "canonical", "method", "records", "evidence", "decided", "undone"):
            table.add_column(col, overflow="fold")
        for d in found[:limit]:
            links = d.evidence.get("links", [])
            evidence = "; ".join(f"{link['kind']} {link['key']}" for link in links) or str(
                d.evidence.get("reason") or d.evidence.get("rule", "")
            )
            table.add_row(
                d.id,
                d.canonical_id,
                d.method,
                "\n".join(d.entity_ids),
                evidence,
                f"{d.decided_at:%Y-%m-%d %H:%M} {d.decided_by}",
                f"{d.undone_at:%Y-%m-%d %H:%M}" if d.undone_at else "",
            )
        console.print(table)
