"""Loading a file or folder of documents into the store, one document at a time.

Each document is ingested, analysed against the names of every list entity in the
store, and saved with its claims in its own transaction: a bad file becomes one
error line in the load report and the rest of the folder still loads. A document
already stored (same content hash) is skipped unless re-analysis is asked for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dualtrace.documents.evidence import check_grade, document_exists, save_document
from dualtrace.documents.linking import PairScorer
from dualtrace.documents.mentions import NameEntry, NameIndex
from dualtrace.documents.pipeline import analyse
from dualtrace.errors import InputError
from dualtrace.model.provenance import LoadReport
from dualtrace.sources.documents.ingest import IngestLimits, discover, ingest_file
from dualtrace.store.duckdb_store import Store


@dataclass(slots=True)
class DocumentResult:
    """What happened to one file."""

    path: str
    status: str  # 'loaded', 'unchanged' or 'error'
    doc_id: str | None = None
    pages: int = 0
    ocr_pages: int = 0
    language: str | None = None
    claims: int = 0
    error: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(slots=True)
class DocumentLoadReport:
    """Per-document outcomes of a load and the foundation's load report of its issues."""

    results: list[DocumentResult] = field(default_factory=list)
    report: LoadReport = field(
        default_factory=lambda: LoadReport("documents", dt.date.today().isoformat())
    )
    names_indexed: int = 0

    @property
    def loaded(self) -> int:
        return sum(1 for r in self.results if r.status == "loaded")

    @property
    def errors(self) -> list[DocumentResult]:
        return [r for r in self.results if r.status == "error"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "loaded": self.loaded,
            "unchanged": sum(1 for r in self.results if r.status == "unchanged"),
            "errors": len(self.errors),
            "names_indexed": self.names_indexed,
            "documents": [r.to_dict() for r in self.results],
        }


def iter_name_entries(store: Store, as_of: str | None = None) -> Iterator[NameEntry]:
    """Every name-typed value of every entity in the list versions in force."""
    vsql, vparams = store.versions_in_force_sql(as_of)
    sql = (
        "SELECT s.canonical_id, any_value(s.schema), s.value, min(s.dataset) "
        f"FROM statements s JOIN ({vsql}) v ON s.dataset = v.dataset AND s.version = v.version "
        "WHERE s.prop_type = 'name' GROUP BY s.canonical_id, s.value"
    )
    cur = store.con.cursor()
    try:
        cur.execute(sql, vparams)
        while True:
            rows = cur.fetchmany(50_000)
            if not rows:
                break
            for r in rows:
                yield NameEntry(str(r[0]), str(r[1]), str(r[2]), str(r[3]))
    finally:
        cur.close()


def name_index_from_store(store: Store, as_of: str | None = None) -> NameIndex:
    """The mention automaton over the store's entity names (seconds per 100k names)."""
    return NameIndex(iter_name_entries(store, as_of))


def load_documents(
    store: Store,
    path: Path,
    source: str | None = None,
    reliability: str = "F",
    credibility: int = 6,
    limits: IngestLimits | None = None,
    reanalyse: bool = False,
    index: NameIndex | None = None,
    scorer: PairScorer | None = None,
    on_start: Callable[[int], None] | None = None,
    on_document: Callable[[DocumentResult], None] | None = None,
) -> DocumentLoadReport:
    """Ingest, analyse and store every document under ``path``."""
    check_grade(reliability, credibility)
    files = discover(path)
    out = DocumentLoadReport()
    out.report.source_files = [str(f) for f in files]
    if on_start is not None:
        on_start(len(files))
    started = time.monotonic()
    for file in files:
        t0 = time.monotonic()
        result = DocumentResult(str(file), "error")
        try:
            doc = ingest_file(file, limits)
            result.doc_id = doc.doc_id
            result.pages = len(doc.pages)
            result.ocr_pages = doc.ocr_pages
            result.language = doc.language
            if not reanalyse and document_exists(store, doc.sha256):
                result.status = "unchanged"
            else:
                if index is None:
                    index = name_index_from_store(store)
                    out.names_indexed = len(index)
                analysis = analyse(doc.text, index, scorer)
                result.claims = save_document(
                    store, doc, analysis, source, reliability, credibility, len(index)
                )
                result.status = "loaded"
            for warning in doc.warnings:
                out.report.issue(file.name, None, None, warning, "warning")
        except InputError as exc:
            result.error = exc.message
            out.report.issue(str(file), None, None, exc.message, "error")
        result.seconds = time.monotonic() - t0
        out.results.append(result)
        if on_document is not None:
            on_document(result)
    out.report.entities = out.loaded
    out.report.seconds = time.monotonic() - started
    if index is not None:
        out.names_indexed = len(index)
    return out
