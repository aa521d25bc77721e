"""Loading a file or folder of documents into the store, one document at a time.

Each document is ingested, analysed against the names of every list entity in the
store, and saved with its claims in its own transaction: a bad file becomes one
error line in the load report and the rest of the folder still loads. A document
already stored (same content hash) is skipped unless re-analysis is asked for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import pickle
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
from dualtrace.sources.documents.ingest import IngestLimits, discover, ingest_bytes, ingest_file
from dualtrace.sources.documents.model import Document
from dualtrace.store.duckdb_store import Store

# Bump when NameIndex or the normal form changes, so old cache files are rebuilt.
INDEX_CACHE_VERSION = 1
PUBLISHED_DATASET = "documents"


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


def _failed(
    out: DocumentLoadReport,
    path: str,
    exc: InputError,
    on_document: Callable[[DocumentResult], None] | None,
) -> None:
    result = DocumentResult(path, "error", error=exc.message)
    out.results.append(result)
    out.report.issue(path, None, None, exc.message, "error")
    if on_document is not None:
        on_document(result)


def iter_name_entries(store: Store, as_of: str | None = None) -> Iterator[NameEntry]:
    """Every name-typed value of every list entity in the versions in force.

    Facts published from documents themselves (dataset ``documents``) are not
    indexed: a document must link to list entities, not to its own earlier mentions.
    """
    vsql, vparams = store.versions_in_force_sql(as_of)
    sql = (
        "SELECT s.canonical_id, any_value(s.schema), s.value, min(s.dataset) "
        f"FROM statements s JOIN ({vsql}) v ON s.dataset = v.dataset AND s.version = v.version "
        f"WHERE s.prop_type = 'name' AND s.dataset <> '{PUBLISHED_DATASET}' "
        "AND s.schema NOT IN ('Mention', 'Document') "
        "GROUP BY s.canonical_id, s.value"
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


def _fingerprint(store: Store, as_of: str | None) -> str:
    """What the index depends on: loaded list versions, merge decisions, this code."""
    versions = store.con.execute(
        "SELECT dataset, version, load_id FROM dataset_versions WHERE dataset <> ? "
        "ORDER BY dataset, version",
        [PUBLISHED_DATASET],
    ).fetchall()
    merges: Any = None
    has_merges = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'merge_decisions'"
    ).fetchone()
    if has_merges and has_merges[0]:
        merges = store.con.execute(
            "SELECT count(*), max(decided_at), max(undone_at) FROM merge_decisions"
        ).fetchone()
    raw = repr((INDEX_CACHE_VERSION, as_of, versions, merges)).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()


def cached_name_index(store: Store, as_of: str | None = None) -> NameIndex:
    """The name index, from a cache file beside the store while the lists are unchanged.

    Building the automaton costs seconds per 100,000 names; loading the cached one
    about a tenth of that. The cache (``<store>.mentions-index``) is a pickle, so it is
    as trusted as the store file beside it; a stale or unreadable cache is rebuilt.
    """
    fingerprint = _fingerprint(store, as_of)
    path = store.path.with_name(store.path.name + ".mentions-index")
    try:
        with path.open("rb") as fh:
            if fh.readline().decode("ascii").strip() == fingerprint:
                cached = pickle.load(fh)
                if isinstance(cached, NameIndex):
                    return cached
    except (OSError, pickle.UnpicklingError, EOFError, UnicodeDecodeError, AttributeError):
        pass
    index = name_index_from_store(store, as_of)
    try:
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as fh:
            fh.write(fingerprint.encode("ascii") + b"\n")
            pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only folder only costs the rebuild next time
    return index


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
        try:
            doc = ingest_file(file, limits)
        except InputError as exc:
            _failed(out, str(file), exc, on_document)
            continue
        queue: list[tuple[Document, str | None]] = [(doc, None)]
        while queue:
            current, parent = queue.pop(0)
            t0 = time.monotonic()
            result = DocumentResult(current.path, "error", current.doc_id)
            result.pages = len(current.pages)
            result.ocr_pages = current.ocr_pages
            result.language = current.language
            if parent is not None:
                current.metadata["attached_to"] = parent
            try:
                if not reanalyse and document_exists(store, current.sha256):
                    result.status = "unchanged"
                else:
                    if index is None:
                        index = cached_name_index(store)
                        out.names_indexed = len(index)
                    analysis = analyse(current.text, index, scorer)
                    result.claims = save_document(
                        store, current, analysis, source, reliability, credibility, len(index)
                    )
                    result.status = "loaded"
            except InputError as exc:
                result.error = exc.message
                out.report.issue(current.path, None, None, exc.message, "error")
            for warning in current.warnings:
                out.report.issue(current.filename, None, None, warning, "warning")
            result.seconds = time.monotonic() - t0
            out.results.append(result)
            if on_document is not None:
                on_document(result)
            # e-mail attachments are documents of their own, tied to the message
            for name, raw in current.attachments:
                label = f"{current.path}#{name}"
                try:
                    queue.append((ingest_bytes(raw, label, limits), current.doc_id))
                except InputError as exc:
                    _failed(out, label, exc, on_document)
    out.report.entities = out.loaded
    out.report.seconds = time.monotonic() - started
    if index is not None:
        out.names_indexed = len(index)
    return out
