"""Read-only commands: datasets, show, search, diff, issues, export ftm."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from dualtrace.errors import DualtraceError
from dualtrace.model.entities import EntityView, entity_view
from dualtrace.show.cli.console import JsonOpt, StoreOpt, console, err_console, print_json
from dualtrace.sources.ftm import write_ftm
from dualtrace.store import Store
from dualtrace.store.diff import diff_versions

AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Answer from the list versions in force on this date."),
]


def print_entity(view: EntityView) -> None:
    """Every property with its provenance, then the linked entities (sanctions, addresses)."""
    console.print(
        f"[bold]{escape(view.caption)}[/]  [dim]{view.schema} {view.id}[/]", highlight=False
    )
    console.print(f"datasets: {', '.join(view.datasets)}", highlight=False)
    _statement_table(view, "Properties")
    for via, other in view.related:
        console.print(
            f"\n[bold]{escape(other.caption)}[/]  [dim]{other.schema} {other.id} (via {via})[/]",
            highlight=False,
        )
        _statement_table(other, None)


def _statement_table(view: EntityView, title: str | None) -> None:
    """One row per fact: property, value (and the spelling as written), and its source."""
    table = Table(title=title, box=box.SIMPLE_HEAD, expand=False, pad_edge=False)
    table.add_column("property", style="cyan", no_wrap=True)
    table.add_column("value", overflow="fold", ratio=3)
    table.add_column("source", overflow="fold", style="dim", ratio=2)
    for s in view.statements:
        if s.prop == "id":
            continue
        value = escape(s.value)
        if s.original_value and s.original_value != s.value:
            value += f" [dim](as written: {escape(s.original_value)})[/]"
        seen = s.first_seen or ""
        if s.last_seen and s.last_seen != s.first_seen:
            seen = f"seen {seen}..{s.last_seen}"
        elif seen:
            seen = f"seen {seen}"
        source = (
            f"{s.pointer.describe()} · {s.dataset}@{s.version} · {seen} · grade {s.reliability}"
        )
        table.add_row(s.prop, value, escape(source))
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("datasets")
    def datasets(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
        """List loaded datasets and their versions."""
        with Store.open(store, read_only=True) as s:
            rows = s.datasets()
        if as_json:
            print_json(
                [
                    {
                        "name": d.name,
                        "title": d.title,
                        "publisher": d.publisher,
                        "url": d.url,
                        "reliability": d.reliability,
                        "kind": d.kind,
                        "versions": [
                            {
                                "version": v.version,
                                "basis": v.version_basis,
                                "loaded_at": v.loaded_at.isoformat(),
                                "entities": v.entities,
                                "statements": v.statements,
                            }
                            for v in d.versions
                        ],
                    }
                    for d in rows
                ]
            )
            return
        table = Table(title="Datasets")
        for col in ("dataset", "title", "version", "from", "entities", "statements", "loaded"):
            table.add_column(col)
        for d in rows:
            for v in d.versions:
                table.add_row(
                    d.name,
                    d.title,
                    v.version,
                    v.version_basis,
                    f"{v.entities:,}",
                    f"{v.statements:,}",
                    v.loaded_at.strftime("%Y-%m-%d %H:%M"),
                )
        console.print(table)

    @app.command("show")
    def show(
        entity_id: Annotated[str, typer.Argument(help="Entity id or canonical id.")],
        as_of: AsOfOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Show an entity: every property with its provenance, and linked entities."""
        with Store.open(store, read_only=True) as s:
            view = entity_view(s, entity_id, as_of=as_of)
        if as_json:
            print_json(view.to_dict())
        else:
            print_entity(view)

    @app.command("search")
    def search(
        text: Annotated[str, typer.Argument(help="Name or part of a name.")],
        limit: Annotated[int, typer.Option(help="Maximum results.")] = 20,
        as_of: AsOfOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Simple name lookup (every word must appear in a name; case/accents ignored)."""
        with Store.open(store, read_only=True) as s:
            hits = s.search_names(text, limit=limit, as_of=as_of)
        if as_json:
            print_json([{"id": i, "schema": sc, "name": n, "datasets": d} for i, sc, n, d in hits])
            return
        table = Table(title=f"{len(hits)} entities matching {text!r}")
        for col in ("id", "schema", "name", "datasets"):
            table.add_column(col, overflow="fold")
        for i, sc, n, d in hits:
            table.add_row(i, sc, n, ", ".join(d))
        console.print(table)

    @app.command("diff")
    def diff(
        dataset: Annotated[str, typer.Argument(help="Dataset name, e.g. ofac_sdn.")],
        old: Annotated[str, typer.Argument(help="Older version (YYYY-MM-DD).")],
        new: Annotated[str, typer.Argument(help="Newer version (YYYY-MM-DD).")],
        limit: Annotated[int, typer.Option(help="Rows shown per section (text output).")] = 50,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Entities added, removed and changed (with changed properties) between versions."""
        with Store.open(store, read_only=True) as s:
            d = diff_versions(s, dataset, old, new)
        if as_json:
            print_json(d.to_dict())
            return
        console.print(
            f"[bold]{dataset}[/] {old} -> {new}: {len(d.added):,} added, "
            f"{len(d.removed):,} removed, {len(d.changed):,} changed",
            highlight=False,
        )
        for title, rows in (("Added", d.added), ("Removed", d.removed)):
            table = Table(title=title)
            for col in ("id", "schema", "name"):
                table.add_column(col)
            for row in rows[:limit]:
                table.add_row(*row)
            console.print(table)
        table = Table(title="Changed")
        for col in ("id", "name", "properties"):
            table.add_column(col, overflow="fold")
        for c in d.changed[:limit]:
            table.add_row(c.entity_id, c.caption, ", ".join(c.properties))
        console.print(table)

    @app.command("issues")
    def issues(
        dataset: Annotated[str, typer.Argument(help="Dataset name.")],
        version: Annotated[str | None, typer.Option(help="Only this version.")] = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Rows and values a load could not use, with file, row and reason."""
        with Store.open(store, read_only=True) as s:
            rows = s.issues(dataset, version)
        if as_json:
            print_json(
                [
                    dict(
                        zip(
                            ("version", "file", "row", "field", "severity", "message"),
                            r,
                            strict=True,
                        )
                    )
                    for r in rows
                ]
            )
            return
        for v, f, row, field, sev, msg in rows:
            where = f if row is None else f"{f}:{row}"
            fld = f" {field}:" if field else ""
            console.print(f"{v} {sev} {where}:{fld} {msg}", highlight=False, soft_wrap=True)

    export_app = next(
        g.typer_instance
        for g in app.registered_groups
        if g.name == "export" and g.typer_instance is not None
    )

    @export_app.command("ftm")
    def export_ftm(
        output: Annotated[
            Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")
        ] = None,
        dataset: Annotated[str | None, typer.Option(help="Only this dataset.")] = None,
        version: Annotated[
            str | None, typer.Option(help="This version of --dataset (default: in force).")
        ] = None,
        statements: Annotated[
            bool,
            typer.Option(
                "--statements",
                help="Write statement rows (keeps language, original value, provenance).",
            ),
        ] = False,
        store: StoreOpt = None,
    ) -> None:
        """Write entities (or statements) as FollowTheMoney JSON lines."""
        with Store.open(store, read_only=True) as s:
            rows = s.iter_statements(dataset=dataset, version=version)
            if output is None:
                count = write_ftm(rows, sys.stdout.buffer, statements)
                sys.stdout.flush()
            else:
                tmp = output.with_name(output.name + ".partial")
                try:
                    with tmp.open("wb") as fh:
                        count = write_ftm(rows, fh, statements)
                    tmp.replace(output)
                except OSError as exc:
                    tmp.unlink(missing_ok=True)
                    raise DualtraceError(f"{output}: cannot write: {exc.strerror}") from exc
        kind = "statements" if statements else "entities"
        err_console.print(f"wrote {count:,} {kind}", highlight=False)
