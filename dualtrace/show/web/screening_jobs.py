"""Batch screening from the workspace: read an uploaded CSV/Excel file, screen each row
in a background thread, report progress, keep the results for review and export.

Scoring is the screening capability's (``dualtrace.resolve``); this module only reads
the upload (with clear errors naming the row and column), runs the rows and keeps the
results. Jobs live in memory: a restarted server forgets them, and the exported
CSV/Excel file is the durable record.
"""

from __future__ import annotations

import csv
import io
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dualtrace.errors import DualtraceError, InputError, NotFoundError
from dualtrace.show.report import capabilities
from dualtrace.store.duckdb_store import Store

MAX_ROWS = 10_000
MAX_JOBS = 50
# Header names (lower-cased, spaces/underscores ignored) recognised for each field.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "fullname", "entity", "entityname", "counterparty", "company", "party"),
    "country": ("country", "countrycode", "jurisdiction", "nationality"),
    "schema": ("schema", "type", "entitytype", "kind"),
    "identifier": ("identifier", "id", "inn", "taxid", "registration", "regno", "lei", "ogrn"),
    "ref": ("ref", "reference", "customerid", "clientid", "key"),
}
SCHEMA_WORDS = {
    "person": "Person",
    "individual": "Person",
    "company": "Company",
    "organization": "Organization",
    "organisation": "Organization",
    "entity": "LegalEntity",
    "vessel": "Vessel",
}


@dataclass(frozen=True, slots=True)
class ScreeningQuery:
    row: int
    name: str
    schema: str = "LegalEntity"
    country: str = ""
    identifier: str = ""
    ref: str = ""

    def properties(self) -> dict[str, list[str]]:
        props: dict[str, list[str]] = {"name": [self.name]}
        if self.country:
            props["country"] = [self.country]
        if self.identifier:
            props["registrationNumber" if self.schema != "Person" else "idNumber"] = [
                self.identifier
            ]
        return props


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """One candidate for one query, with the scorer's reasons in words."""

    query: ScreeningQuery
    entity_id: str | None
    caption: str
    score: float
    match: bool
    explanations: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()


class Screener(Protocol):
    def screen(self, store: Store, query: ScreeningQuery) -> list[ScreeningResult]: ...


class IndexScreener:
    """Screens with the screening capability's in-memory index (``dualtrace.resolve``).

    The index comes from the API app when the workspace is mounted there (built once at
    start-up), or is built from the workspace's own store on first use and kept.
    """

    def __init__(self, index: Any, limit: int = 5) -> None:
        self.index = index
        self.limit = limit

    def screen(self, store: Store, query: ScreeningQuery) -> list[ScreeningResult]:
        record = self.index.query_record({"schema": query.schema, "properties": query.properties()})
        found = self.index.match(record, limit=self.limit)
        return [
            ScreeningResult(
                query=query,
                entity_id=str(res.record.id),
                caption=str(res.record.caption),
                score=float(res.score.score),
                match=bool(res.score.match),
                explanations=tuple(str(r) for r in res.score.reasons),
                datasets=tuple(sorted(res.record.datasets)),
            )
            for res in found
        ]


def load_screener(index: Any = None, store: Store | None = None) -> Screener:
    """A screener over ``index``, or over an index built from ``store``.

    Raises a clear error when the screening capability is not part of this build.
    """
    cap = capabilities.capability_status()["screening"]
    if not cap.available:
        raise DualtraceError(capabilities.unavailable("screening"))
    if index is None:
        if store is None:
            raise DualtraceError("screening needs a store or a prepared index")
        load_or_build = capabilities.optional("dualtrace.resolve.index", "load_or_build")
        index = load_or_build(store)
    return IndexScreener(index)


def _norm_header(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def map_columns(header: list[str], filename: str) -> dict[str, int]:
    """Which column holds which field; the name column is required."""
    found: dict[str, int] = {}
    normed = [_norm_header(h or "") for h in header]
    for field_name, aliases in COLUMN_ALIASES.items():
        for idx, h in enumerate(normed):
            if h in aliases and idx not in found.values():
                found[field_name] = idx
                break
    if "name" not in found:
        raise InputError(
            "no name column (expected a header such as 'name', 'company' or 'counterparty'; "
            f"found: {', '.join(h for h in header if h) or 'none'})",
            file=filename,
            row=1,
        )
    return found


def _rows_from_csv(filename: str, data: bytes) -> Iterator[tuple[int, list[str]]]:
    if b"\x00" in data[:4096]:
        raise InputError("not a text CSV file (binary data); upload CSV or .xlsx", file=filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for fields in reader:
            yield reader.line_num, fields
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=filename, row=reader.line_num) from exc


def _rows_from_xlsx(filename: str, data: bytes) -> Iterator[tuple[int, list[str]]]:
    import zipfile

    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"not a readable Excel .xlsx file: {exc}", file=filename) from exc
    try:
        ws = wb.worksheets[0]
        for idx, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield idx, ["" if v is None else str(v) for v in row]
    finally:
        wb.close()


def read_queries(filename: str, data: bytes) -> list[ScreeningQuery]:
    """Queries from an uploaded CSV or .xlsx file with a header row."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _rows_from_xlsx(filename, data)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        rows = _rows_from_csv(filename, data)
    else:
        raise InputError("unsupported file type; upload .csv or .xlsx", file=filename)
    header: list[str] | None = None
    mapping: dict[str, int] = {}
    out: list[ScreeningQuery] = []
    for line, fields in rows:
        if header is None:
            if not any(f.strip() for f in fields):
                continue
            header = fields
            mapping = map_columns(header, filename)
            continue
        if not any(f.strip() for f in fields):
            continue

        def get(key: str, fields: list[str] = fields, mapping: dict[str, int] = mapping) -> str:
            idx = mapping.get(key)
            return fields[idx].strip() if idx is not None and idx < len(fields) else ""

        name = get("name")
        if not name:
            raise InputError("empty name", file=filename, row=line, field=header[mapping["name"]])
        schema = SCHEMA_WORDS.get(get("schema").lower(), "LegalEntity")
        out.append(
            ScreeningQuery(line, name, schema, get("country"), get("identifier"), get("ref"))
        )
        if len(out) > MAX_ROWS:
            raise InputError(f"more than {MAX_ROWS} rows; split the file", file=filename, row=line)
    if header is None:
        raise InputError("empty file: no header row", file=filename)
    if not out:
        raise InputError("no rows to screen under the header", file=filename)
    return out


@dataclass(slots=True)
class Job:
    """A batch run: its queries, how far it got, and its results."""

    job_id: str
    filename: str
    queries: list[ScreeningQuery]
    results: list[ScreeningResult] = field(default_factory=list)
    done_rows: int = 0
    done: bool = False
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return len(self.queries)

    @property
    def matches(self) -> list[ScreeningResult]:
        return [r for r in self.results if r.match]

    def by_row(self) -> list[tuple[ScreeningQuery, list[ScreeningResult]]]:
        grouped: dict[int, list[ScreeningResult]] = {q.row: [] for q in self.queries}
        for r in self.results:
            grouped.setdefault(r.query.row, []).append(r)
        return [(q, grouped.get(q.row, [])) for q in self.queries]

    def progress(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "done": self.done,
            "rows": self.total,
            "rows_done": self.done_rows,
            "matches": len(self.matches),
            "error": self.error,
            "seconds": round(self.seconds or (time.monotonic() - self.started), 2),
        }


class JobRegistry:
    """Running and finished jobs of this server process (oldest dropped beyond a limit)."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no screening job {job_id!r} (jobs are kept until restart)")
        return job

    def start(
        self,
        queries: list[ScreeningQuery],
        screener: Screener,
        store_ctx: Callable[[], AbstractContextManager[Store]],
        filename: str,
    ) -> Job:
        job = Job(uuid.uuid4().hex[:12], filename, queries)
        with self._lock:
            self._jobs[job.job_id] = job
            while len(self._jobs) > MAX_JOBS:
                self._jobs.pop(next(iter(self._jobs)))
        thread = threading.Thread(
            target=self._run,
            args=(job, screener, store_ctx),
            daemon=True,
            name=f"screen-{job.job_id}",
        )
        thread.start()
        return job

    @staticmethod
    def _run(
        job: Job, screener: Screener, store_ctx: Callable[[], AbstractContextManager[Store]]
    ) -> None:
        try:
            for query in job.queries:
                with store_ctx() as store:
                    job.results.extend(screener.screen(store, query))
                job.done_rows += 1
        except DualtraceError as exc:
            job.error = str(exc)
        except Exception as exc:
            job.error = f"internal error: {type(exc).__name__}: {exc}"
        finally:
            job.seconds = time.monotonic() - job.started
            job.done = True
