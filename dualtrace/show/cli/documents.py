"""``dualtrace load docs``, ``mentions``, ``claims``, ``review``: documents as evidence.

``load docs`` ingests a file or a folder (recursively) with a progress bar; each
document that cannot be read is one error line in the report and the rest still
load. ``mentions`` lists a document's linked entity mentions, ``claims`` the
findings awaiting or past review, and ``review`` records an analyst's decision.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dualtrace.documents.evidence import (
    describe_grade,
    list_claims,
    require_document,
    review_claim,
)
from dualtrace.documents.loading import DocumentResult, load_documents
from dualtrace.errors import InputError
from dualtrace.show.cli.console import JsonOpt, StoreOpt, console, print_json, progress
from dualtrace.sources.documents.ingest import IngestLimits
from dualtrace.store.duckdb_store import Store

ENV_REVIEWER = "DUALTRACE_REVIEWER"


def _reviewer(given: str | None) -> str:
    return given or os.environ.get(ENV_REVIEWER) or getpass.getuser()


def register(app: typer.Typer) -> None:
    load_app = None
    for group in app.registered_groups:
        if group.name == "load" and group.typer_instance is not None:
            load_app = group.typer_instance
    if load_app is None:
        raise RuntimeError("the 'load' command group is not registered")

    @load_app.command("docs")
    def load_docs(
        path: Annotated[Path, typer.Argument(help="A document or a folder (read recursively).")],
        source: Annotated[
            str | None,
            typer.Option(
                help="Who the documents come from (publisher, informant); documents "
                "with the same source are not independent corroboration."
            ),
        ] = None,
        reliability: Annotated[
            str, typer.Option(help="Admiralty source reliability A-F (F: cannot be judged).")
        ] = "F",
        credibility: Annotated[
            int, typer.Option(help="Admiralty information credibility 1-6 (6: cannot be judged).")
        ] = 6,
        no_ocr: Annotated[bool, typer.Option("--no-ocr", help="Do not OCR scanned pages.")] = False,
        ocr_langs: Annotated[
            str | None, typer.Option(help="Tesseract languages, default eng+rus+chi_sim.")
        ] = None,
        reanalyse: Annotated[
            bool, typer.Option(help="Analyse documents again even if already stored.")
        ] = False,
        max_mb: Annotated[int, typer.Option(help="Refuse files larger than this (MB).")] = 200,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Load reports, invoices, scans, web pages and e-mails (PDF, DOCX, HTML, TXT, EML)."""
        limits = IngestLimits(max_bytes=max_mb * 1024 * 1024, ocr=not no_ocr, ocr_langs=ocr_langs)
        with Store.open(store) as st, progress() as bar:
            task = bar.add_task("documents", total=None)

            def started(total: int) -> None:
                bar.update(task, total=total)

            def done(result: DocumentResult) -> None:
                bar.update(task, advance=1, description=Path(result.path).name[:40])

            report = load_documents(
                st,
                path,
                source,
                reliability.upper(),
                credibility,
                limits,
                reanalyse,
                on_start=started,
                on_document=done,
            )
        if as_json:
            print_json(report.to_dict())
            return
        table = Table(title=f"documents from {path}")
        for col in ("document", "status", "doc id", "pages", "ocr", "lang", "claims"):
            table.add_column(col)
        for r in report.results:
            table.add_row(
                Path(r.path).name,
                r.status if r.status != "error" else "[red]error[/]",
                r.doc_id or "",
                str(r.pages),
                str(r.ocr_pages),
                r.language or "",
                str(r.claims),
            )
        console.print(table)
        for r in report.errors:
            console.print(f"[red]error:[/] {r.path}: {r.error}", highlight=False)
        console.print(
            f"{report.loaded} loaded, {len(report.results) - report.loaded - len(report.errors)} "
            f"unchanged, {len(report.errors)} failed; names indexed: {report.names_indexed}"
        )

    @app.command("mentions")
    def mentions(
        doc_id: Annotated[str, typer.Argument(help="Document id (doc-...) or SHA-256.")],
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Known entities a document mentions, with scores and reasons."""
        with Store.open(store, read_only=True) as st:
            doc = require_document(st, doc_id)
            claims = list_claims(st, doc_id=doc.doc_id, kind="mention")
        if as_json:
            print_json({"document": doc.to_dict(), "mentions": [c.to_dict() for c in claims]})
            return
        table = Table(title=f"mentions in {doc.filename} ({doc.doc_id})")
        for col in ("page", "chars", "text", "entity", "listed name", "score", "status"):
            table.add_column(col)
        for c in claims:
            table.add_row(
                str(c.page),
                f"{c.span_start}-{c.span_end}",
                c.quote,
                c.value,
                str(c.details.get("entity_name", "")),
                f"{c.confidence:.2f}",
                c.status,
            )
        console.print(table)

    @app.command("claims")
    def claims(
        pending: Annotated[
            bool, typer.Option("--pending", help="Only claims not yet reviewed.")
        ] = False,
        doc: Annotated[str | None, typer.Option("--doc", help="Only this document.")] = None,
        kind: Annotated[
            str | None, typer.Option(help="Only this kind (mention, relation, ...).")
        ] = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Evidence extracted from documents, with status, grade and corroboration."""
        with Store.open(store, read_only=True) as st:
            if doc:
                doc = require_document(st, doc).doc_id
            found = list_claims(st, pending=pending, doc_id=doc, kind=kind)
        if as_json:
            print_json([c.to_dict() for c in found])
            return
        table = Table(title=f"{len(found)} claims")
        for col in (
            "claim",
            "kind",
            "value",
            "quote",
            "page",
            "conf",
            "grade",
            "status",
            "support",
        ):
            table.add_column(col)
        for c in found:
            support = str(c.corroboration)
            if c.contradicting_claims:
                support += f" / [red]{len(c.contradicting_claims)} against[/]"
            table.add_row(
                c.claim_id,
                c.kind,
                c.value[:60],
                c.quote[:50],
                str(c.page),
                f"{c.confidence:.2f}",
                c.grade,
                c.status,
                support,
            )
        console.print(table)

    @app.command("review")
    def review(
        claim_id: Annotated[str, typer.Argument(help="Claim id (c-...).")],
        decision: Annotated[str, typer.Argument(help="accept, reject or edit.")],
        value: Annotated[str | None, typer.Option(help="The corrected value (edit only).")] = None,
        note: Annotated[str | None, typer.Option(help="Why.")] = None,
        credibility: Annotated[
            int | None, typer.Option(help="Admiralty information credibility 1-6 for this claim.")
        ] = None,
        reviewer: Annotated[
            str | None, typer.Option(help=f"Who decides (default ${ENV_REVIEWER} or the user).")
        ] = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Accept, reject or edit a claim; earlier decisions are kept and can be revisited."""
        if decision not in ("accept", "reject", "edit"):
            raise InputError(f"decision must be accept, reject or edit, got {decision!r}")
        with Store.open(store) as st:
            view = review_claim(
                st, claim_id, decision, _reviewer(reviewer), value, note, credibility
            )
        if as_json:
            print_json(view.to_dict())
            return
        console.print(
            f"{view.claim_id}: {view.status} ({view.kind} {view.value!r}); grade "
            f"{describe_grade(view.grade[0], int(view.grade[1:]))}; "
            f"{len(view.reviews)} decision(s) recorded",
            highlight=False,
        )
