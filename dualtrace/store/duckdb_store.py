"""The DuckDB evidence store.

One file holds every statement of every loaded dataset version with its provenance.
A load is a single transaction: DuckDB only makes a transaction durable at COMMIT, so a
crash or ``kill -9`` before that leaves the previous state complete (tested with a
killed subprocess). Entities are never stored whole; they are assembled from
statements on read, which is what makes merges reversible and versions queryable.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
from followthemoney.statement import Statement

from dualtrace.errors import NotFoundError, StoreError
from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.store.migrations import STATEMENT_COLUMNS, migrate

ENV_STORE = "DUALTRACE_STORE"
# Fault injection for the crash-safety tests: when set to a file path, a load writes
# that file after all its rows are inserted, then sleeps before COMMIT so a test can
# kill the process at exactly the worst moment.
ENV_FAULT_BEFORE_COMMIT = "DUALTRACE_FAULT_BEFORE_COMMIT"

BATCH_ROWS = 100_000

_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
}
STATEMENT_SCHEMA = pa.schema(
    [(name, _ARROW_TYPES[ddl.split()[0]]) for name, ddl in STATEMENT_COLUMNS]
)
COLUMN_NAMES = [name for name, _ in STATEMENT_COLUMNS]


def default_store_path() -> Path:
    """``$DUALTRACE_STORE``, else ``./dualtrace.duckdb`` in the working directory."""
    env = os.environ.get(ENV_STORE)
    if env:
        return Path(env)
    return Path.cwd() / "dualtrace.duckdb"


@dataclass(frozen=True, slots=True)
class StoredStatement:
    """A statement row as stored, with its provenance, for display and export."""

    id: str
    entity_id: str
    canonical_id: str
    schema: str
    prop: str
    prop_type: str
    value: str
    dataset: str
    version: str
    lang: str | None
    original_value: str | None
    external: bool
    first_seen: str | None
    last_seen: str | None
    source_file: str | None
    source_row: int | None
    doc_id: str | None
    page: int | None
    span_start: int | None
    span_end: int | None
    reliability: str | None
    load_id: str
    loaded_at: dt.datetime

    @property
    def pointer(self) -> SourcePointer:
        return SourcePointer(
            file=self.source_file,
            row=self.source_row,
            doc_id=self.doc_id,
            page=self.page,
            span_start=self.span_start,
            span_end=self.span_end,
        )

    def to_statement(self) -> Statement:
        """Back to FtM's statement model (provenance travels in ``origin``)."""
        return Statement(
            id=self.id,
            entity_id=self.entity_id,
            canonical_id=self.canonical_id,
            prop=self.prop,
            schema=self.schema,
            value=self.value,
            dataset=self.dataset,
            lang=self.lang,
            original_value=self.original_value,
            external=self.external,
            first_seen=self.first_seen,
            last_seen=self.last_seen,
            origin=self.pointer.encode(),
        )

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in COLUMN_NAMES}
        data["loaded_at"] = self.loaded_at.isoformat()
        return data


@dataclass(frozen=True, slots=True)
class VersionRow:
    dataset: str
    version: str
    version_basis: str
    loaded_at: dt.datetime
    entities: int
    statements: int


@dataclass(frozen=True, slots=True)
class DatasetRow:
    name: str
    title: str
    publisher: str | None
    url: str | None
    reliability: str | None
    kind: str | None
    versions: tuple[VersionRow, ...]


# Columns a reader supplies per statement; the rest are constant for one load and are
# filled in by SQL, which keeps the per-statement Python work small.
ROW_COLUMNS = (
    "id",
    "entity_id",
    "canonical_id",
    "schema",
    "prop",
    "prop_type",
    "value",
    "lang",
    "original_value",
    "external",
    "source_file",
    "source_row",
    "doc_id",
    "page",
    "span_start",
    "span_end",
)
ROW_SCHEMA = pa.schema([STATEMENT_SCHEMA.field(name) for name in ROW_COLUMNS])


class _BatchWriter:
    """Accumulates statement rows and flushes them as Arrow batches into one load."""

    def __init__(self, con: duckdb.DuckDBPyConnection, constants: Sequence[Any]) -> None:
        self.con = con
        self.constants = list(constants)
        self.rows: list[Sequence[Any]] = []
        self.count = 0

    def add(self, row: Sequence[Any]) -> None:
        self.rows.append(row)
        self.count += 1
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        columns = list(zip(*self.rows, strict=True))
        batch = pa.Table.from_arrays(
            [pa.array(col, type=f.type) for col, f in zip(columns, ROW_SCHEMA, strict=True)],
            schema=ROW_SCHEMA,
        )
        select = ", ".join("?" if name in _CONSTANT_COLUMNS else name for name in COLUMN_NAMES)
        self.con.register("_dt_rows", batch)
        try:
            self.con.execute(
                f"INSERT INTO statements SELECT {select} FROM _dt_rows", self.constants
            )
        finally:
            self.con.unregister("_dt_rows")
        self.rows = []


_CONSTANT_COLUMNS = (
    "dataset",
    "version",
    "first_seen",
    "last_seen",
    "reliability",
    "load_id",
    "loaded_at",
)


def insert_arrow(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    """Append an Arrow table to ``table`` (far faster than executemany for many rows)."""
    con.register("_dt_batch", data)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _dt_batch")
    finally:
        con.unregister("_dt_batch")


class Store:
    """A DuckDB file of statements. Open with :meth:`open`; use as a context manager."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only

    @classmethod
    def open(cls, path: Path | str | None = None, read_only: bool = False) -> Store:
        """Open (creating and migrating if needed) the store at ``path``."""
        target = Path(path) if path is not None else default_store_path()
        if read_only and not target.exists():
            raise StoreError(f"{target}: no store here yet; load a list first (dualtrace load ...)")
        if not read_only:
            target.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(target), read_only=read_only)
        except duckdb.IOException as exc:
            msg = str(exc).splitlines()[0]
            if "lock" in msg.lower():
                raise StoreError(
                    f"{target}: the store is in use by another process (a load or server); "
                    "wait for it to finish"
                ) from exc
            raise StoreError(f"{target}: cannot open store: {msg}") from exc
        except duckdb.ConnectionException as exc:
            if not (read_only and "different configuration" in str(exc)):
                first = str(exc).splitlines()[0]
                raise StoreError(f"{target}: cannot open store: {first}") from exc
            # This process already has the store open read-write (the API server keeps it
            # open for accounts and the audit log): share that database; Store methods
            # still refuse to write through a store opened read-only.
            con = duckdb.connect(str(target))
        except duckdb.Error as exc:
            raise StoreError(
                f"{target}: not a dualtrace store: {str(exc).splitlines()[0]}"
            ) from exc
        store = cls(con, target, read_only)
        if not read_only:
            migrate(con, str(target))
        return store

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ loading

    def load(
        self,
        dataset: DatasetInfo,
        version: VersionInfo,
        statements: Iterable[Statement],
        report: LoadReport,
        on_progress: Callable[[int], None] | None = None,
        actor: str | None = None,
    ) -> LoadReport:
        """Replace ``dataset``'s ``version`` with ``statements`` in one transaction.

        Other versions are kept. Reloading the same version is idempotent. The report's
        issues are stored with the load so they can be reviewed later.
        """
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")
        started = time.monotonic()
        load_id = uuid.uuid4().hex
        loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "INSERT OR REPLACE INTO datasets VALUES (?, ?, ?, ?, ?, ?)",
                [
                    dataset.name,
                    dataset.title,
                    dataset.publisher,
                    dataset.url,
                    dataset.reliability,
                    dataset.kind,
                ],
            )
            con.execute(
                "DELETE FROM statements WHERE dataset = ? AND version = ?",
                [dataset.name, version.version],
            )
            # Constants in the order of _CONSTANT_COLUMNS within COLUMN_NAMES.
            constants = {
                "dataset": dataset.name,
                "version": version.version,
                "first_seen": version.version,
                "last_seen": version.version,
                "reliability": dataset.reliability,
                "load_id": load_id,
                "loaded_at": loaded_at,
            }
            writer = _BatchWriter(
                con, [constants[n] for n in COLUMN_NAMES if n in _CONSTANT_COLUMNS]
            )
            entities: set[str] = set()
            pointers: dict[str | None, tuple[Any, ...]] = {}
            for stmt in statements:
                if stmt.prop == Statement.BASE:
                    entities.add(stmt.entity_id)
                ptr = pointers.get(stmt.origin)
                if ptr is None:
                    p = SourcePointer.decode(stmt.origin)
                    ptr = (p.file, p.row, p.doc_id, p.page, p.span_start, p.span_end)
                    if len(pointers) > 50_000:
                        pointers.clear()
                    pointers[stmt.origin] = ptr
                writer.add(
                    (
                        stmt.id or stmt.generate_key(),
                        stmt.entity_id,
                        stmt.canonical_id or stmt.entity_id,
                        stmt.schema,
                        stmt.prop,
                        stmt.prop_type,
                        stmt.value,
                        stmt.lang,
                        stmt.original_value,
                        stmt.external,
                        *ptr,
                    )
                )
                if on_progress is not None and writer.count % 10_000 == 0:
                    on_progress(writer.count)
            writer.flush()
            self._apply_canonical_ids(dataset.name, version.version)
            self._refresh_seen(dataset.name)
            report.entities = len(entities)
            report.statements = writer.count
            con.execute(
                "INSERT OR REPLACE INTO dataset_versions VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    dataset.name,
                    version.version,
                    version.basis,
                    load_id,
                    loaded_at,
                    report.entities,
                    report.statements,
                ],
            )
            if report.issues:
                issues = report.issues
                insert_arrow(
                    con,
                    "load_issues",
                    pa.table(
                        {
                            "load_id": pa.array([load_id] * len(issues), pa.string()),
                            "file": pa.array([i.file for i in issues], pa.string()),
                            "row": pa.array([i.row for i in issues], pa.int64()),
                            "field": pa.array([i.field for i in issues], pa.string()),
                            "severity": pa.array([i.severity for i in issues], pa.string()),
                            "message": pa.array([i.message for i in issues], pa.string()),
                        }
                    ),
                )
            report.seconds = time.monotonic() - started
            con.execute(
                "INSERT INTO loads VALUES (?, ?, ?, ?, ?, current_timestamp, ?, ?, ?, ?)",
                [
                    load_id,
                    dataset.name,
                    version.version,
                    version.basis,
                    loaded_at,
                    orjson.dumps(report.source_files).decode(),
                    report.entities,
                    report.statements,
                    len(report.issues),
                ],
            )
            fault = os.environ.get(ENV_FAULT_BEFORE_COMMIT)
            if fault:
                Path(fault).write_text(load_id)
                time.sleep(60)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        # Audit (issue 9): who loaded what, committed right after the load itself.
        from dualtrace.security.audit import default_actor, record_event

        record_event(
            con,
            actor or default_actor(),
            "load",
            f"{dataset.name}@{version.version}",
            {
                "load_id": load_id,
                "entities": report.entities,
                "statements": report.statements,
                "issues": len(report.issues),
                "files": report.source_files,
            },
        )
        if on_progress is not None:
            on_progress(writer.count)
        return report

    def _apply_canonical_ids(self, dataset: str, version: str) -> None:
        """Give newly loaded statements the canonical ids that earlier merges decided.

        Hook for the resolver (merge decisions live in their own table once that
        migration exists); without decisions every entity is its own canonical.
        """
        has_resolver = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'resolver'"
        ).fetchone()
        if not has_resolver or not has_resolver[0]:
            return
        self.con.execute(
            "UPDATE statements SET canonical_id = r.canonical_id FROM resolver r "
            "WHERE statements.entity_id = r.entity_id AND statements.dataset = ? "
            "AND statements.version = ?",
            [dataset, version],
        )

    def _refresh_seen(self, dataset: str) -> None:
        """first/last seen of each fact = earliest/latest list version that states it."""
        self.con.execute(
            """
            UPDATE statements SET first_seen = a.fs, last_seen = a.ls
            FROM (SELECT id, min(version) AS fs, max(version) AS ls
                  FROM statements WHERE dataset = ? GROUP BY id) AS a
            WHERE statements.id = a.id AND statements.dataset = ?
              AND (statements.first_seen IS DISTINCT FROM a.fs
                   OR statements.last_seen IS DISTINCT FROM a.ls)
            """,
            [dataset, dataset],
        )

    # ------------------------------------------------------------------ versions

    def datasets(self) -> list[DatasetRow]:
        rows = self.con.execute(
            "SELECT name, title, publisher, url, reliability, kind FROM datasets ORDER BY name"
        ).fetchall()
        out = []
        for name, title, publisher, url, reliability, kind in rows:
            out.append(
                DatasetRow(name, title, publisher, url, reliability, kind, self.versions(name))
            )
        return out

    def versions(self, dataset: str) -> tuple[VersionRow, ...]:
        rows = self.con.execute(
            "SELECT dataset, version, version_basis, loaded_at, entities, statements "
            "FROM dataset_versions WHERE dataset = ? ORDER BY version",
            [dataset],
        ).fetchall()
        return tuple(VersionRow(*r) for r in rows)

    def require_version(self, dataset: str, version: str) -> None:
        found = self.con.execute(
            "SELECT count(*) FROM dataset_versions WHERE dataset = ? AND version = ?",
            [dataset, version],
        ).fetchone()
        if not found or not found[0]:
            known = ", ".join(v.version for v in self.versions(dataset)) or "none"
            raise NotFoundError(f"dataset {dataset!r} has no version {version!r} (known: {known})")

    def versions_in_force_sql(self, as_of: str | None) -> tuple[str, list[Any]]:
        """SQL selecting (dataset, version) pairs in force: latest, or latest <= as_of."""
        if as_of is None:
            return (
                "SELECT dataset, max(version) AS version FROM dataset_versions GROUP BY dataset",
                [],
            )
        return (
            "SELECT dataset, max(version) AS version FROM dataset_versions "
            "WHERE version <= ? GROUP BY dataset",
            [as_of],
        )

    # ------------------------------------------------------------------ reading

    def _fetch_statements(self, where: str, params: list[Any]) -> list[StoredStatement]:
        cols = ", ".join(f"s.{c}" for c in COLUMN_NAMES)
        rows = self.con.execute(
            f"SELECT {cols} FROM statements s {where} ORDER BY s.dataset, s.prop, s.value",
            params,
        ).fetchall()
        return [StoredStatement(*r) for r in rows]

    def resolve_id(self, entity_id: str) -> str:
        """The canonical id for an entity id or canonical id; NotFoundError if unknown."""
        row = self.con.execute(
            "SELECT canonical_id FROM statements WHERE entity_id = ? OR canonical_id = ? LIMIT 1",
            [entity_id, entity_id],
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no entity with id {entity_id!r} in {self.path}")
        return str(row[0])

    def entity_statements(
        self,
        entity_id: str,
        as_of: str | None = None,
        datasets: Sequence[str] | None = None,
    ) -> list[StoredStatement]:
        """All statements about an entity from the dataset versions in force."""
        canonical = self.resolve_id(entity_id)
        vsql, vparams = self.versions_in_force_sql(as_of)
        where = (
            f"JOIN ({vsql}) v ON s.dataset = v.dataset AND s.version = v.version "
            "WHERE s.canonical_id = ?"
        )
        params: list[Any] = [*vparams, canonical]
        if datasets:
            where += " AND s.dataset IN (SELECT unnest(?))"
            params.append(list(datasets))
        return self._fetch_statements(where, params)

    def referencing(self, canonical_id: str, as_of: str | None = None) -> list[tuple[str, str]]:
        """(entity id, property) of entities whose entity-typed property points here."""
        vsql, vparams = self.versions_in_force_sql(as_of)
        ids = [
            r[0]
            for r in self.con.execute(
                "SELECT DISTINCT entity_id FROM statements WHERE canonical_id = ?", [canonical_id]
            ).fetchall()
        ]
        rows = self.con.execute(
            f"SELECT DISTINCT s.canonical_id, s.prop FROM statements s JOIN ({vsql}) v "
            "ON s.dataset = v.dataset AND s.version = v.version "
            "WHERE s.prop_type = 'entity' AND s.value IN (SELECT unnest(?)) "
            "ORDER BY s.canonical_id",
            [*vparams, ids],
        ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]

    def iter_statements(
        self,
        dataset: str | None = None,
        version: str | None = None,
        batch_size: int = 50_000,
    ) -> Iterator[StoredStatement]:
        """Statements ordered by canonical id: one version of a dataset, or all in force."""
        cols = ", ".join(f"s.{c}" for c in COLUMN_NAMES)
        params: list[Any] = []
        if version is not None:
            if dataset is None:
                raise StoreError("a version needs a dataset")
            sql = f"SELECT {cols} FROM statements s WHERE s.dataset = ? AND s.version = ?"
            params = [dataset, version]
        else:
            vsql, vparams = self.versions_in_force_sql(None)
            sql = (
                f"SELECT {cols} FROM statements s JOIN ({vsql}) v "
                "ON s.dataset = v.dataset AND s.version = v.version"
            )
            params = list(vparams)
            if dataset is not None:
                sql += " WHERE s.dataset = ?"
                params.append(dataset)
        sql += " ORDER BY s.canonical_id, s.entity_id, s.prop, s.value"
        cur = self.con.cursor()
        try:
            cur.execute(sql, params)
            while True:
                rows = cur.fetchmany(batch_size)
                if not rows:
                    break
                for r in rows:
                    yield StoredStatement(*r)
        finally:
            cur.close()

    def search_names(
        self, text: str, limit: int = 20, as_of: str | None = None
    ) -> list[tuple[str, str, str, list[str]]]:
        """Simple name lookup: every query token must occur in one of the entity's names.

        Returns (canonical_id, schema, matched name, datasets). Case and accents are
        ignored. This is a lookup, not screening: fuzzy, cross-script matching lives in
        the screening index.
        """
        tokens = [t for t in (_fold(tok) for tok in text.split()) if t]
        if not tokens:
            return []
        vsql, vparams = self.versions_in_force_sql(as_of)
        conds = " AND ".join("strip_accents(lower(s.value)) LIKE ?" for _ in tokens)
        params: list[Any] = [*vparams]
        params.extend(f"%{t}%" for t in tokens)
        sql = f"""
            WITH hits AS (
              SELECT s.canonical_id, s.value, s.dataset
              FROM statements s JOIN ({vsql}) v
                ON s.dataset = v.dataset AND s.version = v.version
              WHERE s.prop_type = 'name' AND {conds}
            ), best AS (
              SELECT canonical_id, min_by(value, length(value)) AS name,
                     list(DISTINCT dataset ORDER BY dataset) AS datasets
              FROM hits GROUP BY canonical_id
            )
            SELECT b.canonical_id,
                   (SELECT any_value(schema) FROM statements x
                     WHERE x.canonical_id = b.canonical_id AND x.prop = 'id') AS schema,
                   b.name, b.datasets
            FROM best b ORDER BY length(b.name), b.canonical_id LIMIT ?
        """
        params.append(limit)
        rows = self.con.execute(sql, params).fetchall()
        return [(r[0], r[1] or "", r[2], list(r[3])) for r in rows]

    def issues(self, dataset: str, version: str | None = None) -> list[tuple[Any, ...]]:
        """Issues recorded by the loads of a dataset (latest load per version)."""
        sql = (
            "SELECT l.version, i.file, i.row, i.field, i.severity, i.message "
            "FROM load_issues i JOIN dataset_versions l ON i.load_id = l.load_id "
            "WHERE l.dataset = ?"
        )
        params: list[Any] = [dataset]
        if version is not None:
            sql += " AND l.version = ?"
            params.append(version)
        return self.con.execute(sql + " ORDER BY i.file, i.row", params).fetchall()


def _fold(token: str) -> str:
    """Lower-case, strip accents and LIKE wildcards, so user text is never a pattern."""
    decomposed = unicodedata.normalize("NFKD", token.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("%", "").replace("_", "").replace("\\", "")
