"""``dualtrace paths|exposure|flags``: networks, ownership rules and red flags."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from dualtrace.graph.build import build_graph, check_date
from dualtrace.graph.paths import find_paths, listed_in_force_sql
from dualtrace.judge.exposure import Exposure, exposure, listings_sql
from dualtrace.judge.ownership_rules import get_rule, ownership_rules
from dualtrace.judge.red_flags import run_flags
from dualtrace.show.cli.console import JsonOpt, StoreOpt, console, print_json
from dualtrace.store import Store

AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Apply rules and dated facts as of this date (default: today)."),
]
KnownAtOpt = Annotated[
    str | None,
    typer.Option(
        "--known-at",
        help="Use the dataset versions in force on this date (default: the latest).",
    ),
]


def _today() -> str:
    import datetime as dt

    return dt.date.today().isoformat()


def _print_exposure(exp: Exposure) -> None:
    colour = {"listed": "red", "owned": "red", "controlled": "red", "undetermined": "yellow"}
    style = colour.get(exp.status, "green")
    console.print(
        f"[bold]{exp.rule.upper()}[/] as of {exp.as_of}: [{style}]{exp.status}[/]",
        highlight=False,
    )
    console.print(escape(exp.explanation), highlight=False)
    if not exp.applies:
        console.print(f"[yellow]{escape(exp.rule_state)}[/]", highlight=False)
    evidence = sorted({e for s in exp.stakes for r in s.records for e in (r["evidence"] or [])})
    if evidence:
        console.print(f"[dim]evidence statements: {', '.join(evidence[:12])}[/]")
    console.print()


def register(app: typer.Typer) -> None:
    @app.command("exposure")
    def exposure_cmd(
        entity: Annotated[str, typer.Argument(help="Entity id (as in the store).")],
        as_of: AsOfOpt = None,
        rule: Annotated[
            str | None,
            typer.Option("--rule", help="ofac, eu, uk or bis (default: all four)."),
        ] = None,
        known_at: KnownAtOpt = None,
        store_path: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Owned or controlled by listed parties under OFAC/EU/UK/BIS rules, with the chain."""
        day = check_date(as_of) or _today()
        keys = [get_rule(rule).key] if rule else sorted(ownership_rules())
        with Store.open(store_path, read_only=True) as store:
            results = [exposure(store, entity, key, day, known_at) for key in keys]
        if as_json:
            print_json([r.to_dict() for r in results])
            return
        for r in results:
            _print_exposure(r)

    @app.command("paths")
    def paths_cmd(
        entity: Annotated[str, typer.Argument(help="Entity id to start from.")],
        to: Annotated[
            str,
            typer.Option(
                "--to",
                help="'listed' (any list), 'listed:ofac|eu|uk|bis' (that rule's lists), "
                "or an entity id.",
            ),
        ] = "listed",
        max_hops: Annotated[int, typer.Option("--max-hops", help="Longest path (1-12).")] = 4,
        edge_types: Annotated[
            list[str] | None,
            typer.Option(
                "--edge-types",
                help="Edge kinds or groups (shared, corporate, personal); "
                "repeat or comma-separate.",
            ),
        ] = None,
        as_of: AsOfOpt = None,
        limit: Annotated[int, typer.Option("--limit", help="Most paths to show.")] = 25,
        known_at: KnownAtOpt = None,
        store_path: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Shortest evidence-bearing paths from an entity to listed parties."""
        day = check_date(as_of)
        with Store.open(store_path, read_only=True) as store:
            build_graph(store, known_at)
            source = store.resolve_id(entity)
            if to == "listed":
                target_sql = listed_in_force_sql(day)
            elif to.startswith("listed:"):
                target_sql = listings_sql(get_rule(to.split(":", 1)[1]), day or _today())
            else:
                target = store.resolve_id(to)
                target_sql = f"SELECT '{target.replace(chr(39), '')}' AS entity"
            found = find_paths(store, source, target_sql, max_hops, edge_types, day, limit)
        if as_json:
            print_json({"entity": source, "to": to, "max_hops": max_hops, "paths": found})
            return
        if not found:
            console.print(f"no path within {max_hops} hops")
            return
        table = Table(box=box.SIMPLE_HEAD, title=f"Paths from {source}")
        table.add_column("hops", justify="right")
        table.add_column("path", overflow="fold")
        table.add_column("edges", overflow="fold", style="dim")
        for p in found:
            table.add_row(
                str(p["hops"]),
                escape(p["text"]),
                ", ".join(str(e.get("edge_id")) for e in p["edges"]),
            )
        console.print(table)

    @app.command("flags")
    def flags_cmd(
        entity: Annotated[
            str | None, typer.Option("--entity", help="Only flags concerning this entity.")
        ] = None,
        as_of: AsOfOpt = None,
        known_at: KnownAtOpt = None,
        store_path: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Red flags and risk scores over the whole store, each with reasons and evidence."""
        day = check_date(as_of) or _today()
        with Store.open(store_path, read_only=True) as store:
            result = run_flags(store, day, known_at, entity=entity)
        if as_json:
            print_json(result.to_dict())
            return
        table = Table(box=box.SIMPLE_HEAD, title="Red flags")
        table.add_column("rule")
        table.add_column("score", justify="right")
        table.add_column("concerns", overflow="fold")
        table.add_column("reason", overflow="fold")
        for f in result.flags:
            table.add_row(
                f.rule_id,
                f"{f.score:.2f}",
                escape(", ".join([*f.record_ids, *f.entity_ids][:4])),
                escape(f.reason),
            )
        console.print(table)
        scores = Table(box=box.SIMPLE_HEAD, title="Risk scores")
        scores.add_column("entity / record", overflow="fold")
        scores.add_column("score", justify="right")
        scores.add_column("reasons", overflow="fold")
        for s in result.scores[:40]:
            scores.add_row(
                escape(f"{s.caption} ({s.subject})"),
                f"{s.score:.2f}",
                escape("; ".join(s.reasons[:4])),
            )
        console.print(scores)
