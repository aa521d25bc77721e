"""``dualtrace load ofac|ftm``: read a source and store it as a dataset version.

Shared by every ``load`` sub-command: :func:`store_results` writes each read result in
its own transaction with a progress bar and prints the load summary and issues.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dualtrace.model.provenance import LoadReport
from dualtrace.show.cli.console import JsonOpt, StoreOpt, console, err_console, print_json
from dualtrace.show.cli.console import progress as make_progress
from dualtrace.sources.base import ReadResult
from dualtrace.sources.ftm import read_ftm
from dualtrace.sources.ofac_sdn import read_ofac_sdn
from dualtrace.store import Store

VersionOpt = Annotated[
    str | None,
    typer.Option(
        "--version",
        help="Publication date of this list version (YYYY-MM-DD); default: from the file.",
    ),
]
ISSUES_SHOWN = 5


def load_group(app: typer.Typer) -> typer.Typer:
    """The ``load`` sub-app, for modules that add their own ``load X`` commands."""
    for group in app.registered_groups:
        if group.name == "load" and group.typer_instance is not None:
            return group.typer_instance
    raise RuntimeError("the 'load' command group is not registered")


def store_results(
    results: Sequence[ReadResult], store_path: Path | None, as_json: bool
) -> list[LoadReport]:
    """Load each result as one transaction; print a summary (table or JSON)."""
    reports: list[LoadReport] = []
    with Store.open(store_path) as store:
        for result in results:
            with make_progress() as bar:
                task = bar.add_task(
                    f"loading {result.dataset.name} {result.version.version}", total=None
                )
                store.load(
                    result.dataset,
                    result.version,
                    result.statements(),
                    result.report,
                    on_progress=lambda n, t=task: bar.update(t, completed=n),  # type: ignore[misc]
                )
            reports.append(result.report)
        path = store.path
    if as_json:
        print_json(
            [
                {
                    "dataset": r.dataset,
                    "version": r.version,
                    "entities": r.entities,
                    "statements": r.statements,
                    "seconds": round(r.seconds, 3),
                    "source_files": r.source_files,
                    "issues": [
                        {
                            "file": i.file,
                            "row": i.row,
                            "field": i.field,
                            "severity": i.severity,
                            "message": i.message,
                        }
                        for i in r.issues
                    ],
                }
                for r in reports
            ]
        )
        return reports
    table = Table(title=f"Loaded into {path}")
    for col in ("dataset", "version", "entities", "statements", "issues", "seconds"):
        table.add_column(col, justify="right" if col not in ("dataset", "version") else "left")
    for r in reports:
        table.add_row(
            r.dataset,
            r.version,
            f"{r.entities:,}",
            f"{r.statements:,}",
            f"{len(r.issues):,}",
            f"{r.seconds:.1f}",
        )
    console.print(table)
    for r in reports:
        print_issue_summary(r)
    return reports


def print_issue_summary(report: LoadReport) -> None:
    """A few issues verbatim and counts per kind; the rest via ``dualtrace issues``."""
    if not report.issues:
        return
    kinds = Counter((i.severity, i.file) for i in report.issues)
    parts = ", ".join(f"{n:,} {sev} in {f}" for (sev, f), n in kinds.most_common())
    err_console.print(f"[yellow]{report.dataset} {report.version}: {parts}[/]", highlight=False)
    for issue in report.issues[:ISSUES_SHOWN]:
        err_console.print(f"  {issue.render()}", highlight=False, soft_wrap=True)
    if len(report.issues) > ISSUES_SHOWN:
        err_console.print(
            f"  ... see all with: dualtrace issues {report.dataset} --version {report.version}",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    load = load_group(app)

    @load.command("ofac")
    def load_ofac(
        path: Annotated[Path, typer.Argument(help="sdn*.csv / cons_prim*.csv, or a folder.")],
        version: VersionOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Load OFAC's CSV set (SDN or non-SDN consolidated): primary, alt, add, comments.

        A folder with several dated publications loads each as its own version.
        """
        with err_console.status(f"reading {path}"):
            results = read_ofac_sdn(path, version)
        store_results(results, store, as_json)

    @load.command("ftm")
    def load_ftm(
        path: Annotated[Path, typer.Argument(help="FtM JSON lines (entities or statements).")],
        dataset: Annotated[
            str | None, typer.Option(help="Dataset name (default: from the file name).")
        ] = None,
        version: VersionOpt = None,
        reliability: Annotated[
            str, typer.Option(help="Admiralty source grade A-F for this data.")
        ] = "B",
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Load FollowTheMoney JSON lines (e.g. OpenSanctions or Aleph exports)."""
        with err_console.status(f"reading {path}"):
            result = read_ftm(path, dataset=dataset, version=version, reliability=reliability)
        store_results([result], store, as_json)
