"""``dualtrace report ENTITY_OR_CASE -o FILE.pdf|html``: the workspace's reports from the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dualtrace.errors import InputError
from dualtrace.show.cli.console import JsonOpt, StoreOpt, err_console, print_json
from dualtrace.store.duckdb_store import Store


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        ref: Annotated[str, typer.Argument(help="An entity id or a case id (case-...).")],
        output: Annotated[Path, typer.Option("-o", "--output", help="Report file: .pdf or .html.")],
        as_of: Annotated[
            str | None,
            typer.Option("--as-of", help="Describe list status as of this date (YYYY-MM-DD)."),
        ] = None,
        rules: Annotated[
            bool,
            typer.Option(
                "--rules/--no-rules",
                help="Include status under the OFAC/EU/UK/BIS ownership rules (rebuilds the "
                "ownership graph: seconds on a small store, minutes on full lists).",
            ),
        ] = True,
        store: StoreOpt = None,
        json: JsonOpt = False,
    ) -> None:
        """Write an entity or case report (summary, network figure, list status, ownership
        chain, flags, timeline, evidence with sources) as PDF or self-contained HTML."""
        from dualtrace.show.report import render
        from dualtrace.show.report.dossier import check_as_of
        from dualtrace.show.web import cases

        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("pdf", "html", "htm"):
            raise InputError("output must end in .pdf or .html", file=str(output))
        date = check_as_of(as_of, "--as-of")
        with Store.open(store) as st:
            if cases.is_case_id(st, ref):
                rep = render.case_report(st, ref, as_of=date, rules=rules)
            else:
                rep = render.entity_report(st, ref, as_of=date, rules=rules)
        data = render.to_pdf(rep) if fmt == "pdf" else render.to_html(rep).encode("utf-8")
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(data)
        except OSError as exc:
            raise InputError(f"cannot write report: {exc.strerror}", file=str(output)) from exc
        kind = "pdf" if fmt == "pdf" else "html"
        summary: dict[str, object] = {
            "report": str(output),
            "kind": rep.kind,
            "title": rep.title,
            "as_of": rep.status_date,
            "format": kind,
            "bytes": len(data),
            "entities": [d.id for d in rep.dossiers],
        }
        if json:
            print_json(summary)
        else:
            err_console.print(
                f"wrote {kind.upper()} report on [bold]{rep.title}[/] "
                f"({len(data):,} bytes) to {output}",
                highlight=False,
            )
