"""``dualtrace screen`` and ``dualtrace screen-file``: screening from the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from dualtrace.errors import InputError
from dualtrace.show.cli.console import JsonOpt, StoreOpt, console, err_console, print_json, progress

if TYPE_CHECKING:
    from dualtrace.resolve.index import ScreeningIndex


def _check_date(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} must be a date YYYY-MM-DD, got {value!r}") from None
    return value


DatasetOpt = Annotated[
    list[str] | None, typer.Option("--dataset", help="Only these lists (repeatable).")
]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Screen the lists in force on this date.")
]


def _open_index(
    store: Path | None, as_of: str | None, dataset: list[str] | None
) -> tuple[ScreeningIndex, frozenset[str] | None, str | None]:
    """Build (or load) the index for the lists in force on ``as_of`` and check ``--dataset``.

    Both commands share this so a misspelt list name fails the same way, before any work is done,
    instead of silently screening against nothing.
    """
    from dualtrace.resolve.index import load_or_build
    from dualtrace.store.duckdb_store import Store

    date = _check_date(as_of, "--as-of")
    with Store.open(store, read_only=True) as st:
        index = load_or_build(st, date)
    wanted = frozenset(dataset) if dataset else None
    if wanted is not None and not wanted <= index.datasets:
        missing = ", ".join(sorted(wanted - index.datasets))
        raise InputError(f"no such dataset loaded: {missing}", field="--dataset")
    return index, wanted, date


def register(app: typer.Typer) -> None:
    @app.command("screen")
    def screen(
        name: Annotated[str, typer.Argument(help="Name to screen, in any script.")],
        schema: Annotated[
            str, typer.Option("--schema", help="FtM schema: LegalEntity, Company, Person, ...")
        ] = "LegalEntity",
        country: Annotated[
            list[str] | None, typer.Option("--country", help="Country code (repeatable).")
        ] = None,
        birth_date: Annotated[
            str | None, typer.Option("--birth-date", help="Birth/incorporation date.")
        ] = None,
        identifier: Annotated[
            list[str] | None,
            typer.Option("--id", help="Identifier: INN, OGRN, USCC, LEI, IMO, ... (repeatable)."),
        ] = None,
        dataset: DatasetOpt = None,
        as_of: AsOfOpt = None,
        limit: Annotated[int, typer.Option("--limit", min=1, help="Results to show.")] = 5,
        threshold: Annotated[
            float, typer.Option("--threshold", min=0.0, max=1.0, help="Match threshold.")
        ] = 0.7,
        store: StoreOpt = None,
        json: JsonOpt = False,
    ) -> None:
        """Screen one name (with optional country, date, identifiers) against the lists,
        showing each candidate's score and the reasons for it."""
        index, wanted, date = _open_index(store, as_of, dataset)
        props: dict[str, list[str]] = {"name": [name]}
        if country:
            props["country"] = country
        if birth_date:
            props["birthDate" if schema == "Person" else "incorporationDate"] = [birth_date]
        if identifier:
            props["registrationNumber"] = identifier
        query = index.query_record({"schema": schema, "properties": props})
        results = index.match(query, limit=limit, threshold=threshold, datasets=wanted)
        if json:
            print_json(
                {
                    "query": {"schema": schema, "properties": props},
                    "as_of": date,
                    "threshold": threshold,
                    "results": [
                        {
                            "id": r.record.id,
                            "caption": r.record.caption,
                            "schema": r.record.schema_name,
                            "datasets": sorted(r.record.datasets),
                            **r.score.to_dict(),
                        }
                        for r in results
                    ],
                }
            )
            return
        if not results:
            console.print(f"no candidates for [bold]{name}[/]", highlight=False)
            return
        table = Table(title=f"screening: {name}", show_lines=True)
        table.add_column("score", justify="right")
        table.add_column("match")
        table.add_column("entity")
        table.add_column("lists")
        table.add_column("why")
        for r in results:
            table.add_row(
                f"{r.score.score:.3f}",
                "[bold green]yes[/]" if r.score.match else "no",
                f"{r.record.caption}\n[dim]{r.record.id} ({r.record.schema_name})[/]",
                ", ".join(sorted(r.record.datasets)),
                "\n".join(r.score.reasons),
            )
        console.print(table)

    @app.command("screen-file")
    def screen_file(
        input_path: Annotated[Path, typer.Argument(help="CSV or XLSX with a header row.")],
        output: Annotated[
            Path, typer.Option("-o", "--output", help="Results: .csv, .xlsx or .json.")
        ],
        mapping: Annotated[
            list[str] | None,
            typer.Option(
                "--map",
                help="COLUMN=property, e.g. 'Company Name=name', 'INN=innCode', "
                "'Type=$schema' (repeatable; default: guessed from headers).",
            ),
        ] = None,
        schema: Annotated[
            str, typer.Option("--schema", help="Schema for rows without a schema column.")
        ] = "LegalEntity",
        dataset: DatasetOpt = None,
        as_of: AsOfOpt = None,
        limit: Annotated[int, typer.Option("--limit", min=1, help="Candidates per row.")] = 1,
        threshold: Annotated[float, typer.Option("--threshold", min=0.0, max=1.0)] = 0.7,
        store: StoreOpt = None,
        json: JsonOpt = False,
    ) -> None:
        """Screen every row of a CSV/XLSX file; write best matches with scores and reasons."""
        from dualtrace.resolve.batch import ColumnMap, read_table, screen_rows, write_results

        if output.suffix.lower() not in (".csv", ".xlsx", ".json"):
            raise InputError("output must be .csv, .xlsx or .json", file=str(output))
        headers, rows = read_table(input_path)
        cmap = ColumnMap.build(headers, mapping or [], input_path)
        index, wanted, _ = _open_index(store, as_of, dataset)
        out: list[dict[str, Any]] = []
        with progress() as bar:
            task = bar.add_task("screening", total=len(rows))
            for item in screen_rows(
                index,
                rows,
                cmap,
                input_path,
                default_schema=schema,
                limit=limit,
                threshold=threshold,
                datasets=wanted,
                on_row=lambda: bar.advance(task),
            ):
                out.append(item)
        write_results(output, out)
        matched = len({r["row"] for r in out if r.get("match")})
        summary = {
            "input": str(input_path),
            "output": str(output),
            "rows": len(rows),
            "rows_matched": matched,
            "columns": cmap.columns,
            "threshold": threshold,
        }
        if json:
            print_json(summary)
        else:
            err_console.print(
                f"screened {len(rows):,} rows: {matched:,} with a match at >= {threshold}; "
                f"wrote {output}",
                highlight=False,
            )
