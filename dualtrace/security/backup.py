"""Backups that prove themselves: a copy of the store plus a manifest of what it holds.

``backup`` copies every table into a fresh DuckDB file (DuckDB's ``COPY FROM DATABASE``,
so the copy is compact and already proven readable), records each table's row count and
a content checksum (sum of row hashes, independent of row order) inside the copy, and
writes the SHA-256 of the finished file beside it. ``restore`` checks the file hash,
recomputes every count and checksum, rebuilds the store in a temporary file, checks it
again, and only then swaps it in with an atomic rename. A crash at any point leaves the
old store untouched and no half-written backup under the final name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson

from dualtrace.errors import InputError, StoreError
from dualtrace.security.audit import (
    AuditLog,
    anchor_path_for,
    drain_journal,
    forget_store,
    journal_path_for,
    record_event,
    write_anchor,
)
from dualtrace.store import Store

MANIFEST_TABLE = "_dualtrace_backup"
# Stores a server in this process holds open (``dualtrace serve``): DuckDB's file lock
# stops a restore from another process, but not one from this process, which would
# share the server's open database and swap the file under it.
_SERVED: dict[str, int] = {}
CHECKSUM_SUFFIX = ".sha256"
# Fault injection for the crash tests: when set to a file path, backup and restore
# touch that file once the copy is written, then sleep before making it final.
ENV_FAULT_BEFORE_FINAL = "DUALTRACE_FAULT_BEFORE_FINAL"


@dataclass
class Manifest:
    """What a backup holds: per table (rows, content checksum), and when it was made."""

    created_at: str
    source: str
    tables: dict[str, tuple[int, str]] = field(default_factory=dict)
    file_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "created_at": self.created_at,
            "source": self.source,
            "tables": {k: {"rows": v[0], "checksum": v[1]} for k, v in self.tables.items()},
            "file_sha256": self.file_sha256,
            "rows": sum(v[0] for v in self.tables.values()),
        }


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_fingerprints(
    con: duckdb.DuckDBPyConnection, database: str | None = None
) -> dict[str, tuple[int, str]]:
    """(rows, checksum) of every base table of ``database`` (default: the current one)."""
    db = database or str(_scalar(con, "SELECT current_database()"))
    names = [
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
            "AND schema_name = 'main' AND NOT internal ORDER BY table_name",
            [db],
        ).fetchall()
    ]
    out: dict[str, tuple[int, str]] = {}
    for name in names:
        if name == MANIFEST_TABLE:
            continue
        row = con.execute(
            f"SELECT count(*), coalesce(sum(hash(t))::VARCHAR, '0') "
            f"FROM {_quote(db)}.main.{_quote(name)} t"
        ).fetchone()
        assert row is not None
        out[name] = (int(row[0]), str(row[1]))
    return out


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    return None if row is None else row[0]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fault_point() -> None:
    fault = os.environ.get(ENV_FAULT_BEFORE_FINAL)
    if fault:
        import time

        Path(fault).write_text("ready")
        time.sleep(60)


def _discard(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)


def backup(store_path: Path, dest: Path, actor: str, overwrite: bool = False) -> Manifest:
    """Copy the store at ``store_path`` to ``dest`` and return the verified manifest."""
    dest = dest.resolve()
    if dest.exists() and not overwrite:
        raise InputError("backup file already exists (use --force to replace it)", file=str(dest))
    if not store_path.exists():
        raise StoreError(f"{store_path}: no store to back up")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    _discard(partial)
    with Store.open(store_path) as store:
        record_event(store.con, actor, "backup", str(dest), {})
        con = store.con
        con.execute("CHECKPOINT")
        source_db = str(_scalar(con, "SELECT current_database()"))
        manifest = Manifest(
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            source=str(store_path.resolve()),
            tables=table_fingerprints(con),
        )
        con.execute(f"ATTACH {_sql_str(str(partial))} AS dt_backup")
        try:
            con.execute(f"COPY FROM DATABASE {_quote(source_db)} TO dt_backup")
            copied = table_fingerprints(con, "dt_backup")
            if copied != manifest.tables:
                differing = _diff(manifest.tables, copied)
                raise StoreError(f"{dest}: copy does not match the store (tables {differing})")
            con.execute(f"CREATE TABLE dt_backup.main.{MANIFEST_TABLE} (manifest VARCHAR NOT NULL)")
            con.execute(
                f"INSERT INTO dt_backup.main.{MANIFEST_TABLE} VALUES (?)",
                [orjson.dumps(manifest.to_dict()).decode()],
            )
        finally:
            con.execute("DETACH dt_backup")
    try:
        manifest.file_sha256 = file_sha256(partial)
        _fault_point()
        os.replace(partial, dest)
        checksum = Path(f"{dest}{CHECKSUM_SUFFIX}")
        checksum.write_text(f"{manifest.file_sha256}  {dest.name}\n")
    except BaseException:
        _discard(partial)
        raise
    return manifest


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _diff(a: dict[str, tuple[int, str]], b: dict[str, tuple[int, str]]) -> str:
    names = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n))
    return ", ".join(names) or "none"


def read_manifest(path: Path) -> Manifest:
    """Open a backup read-only, check its file hash and every table against its
    manifest; InputError naming what differs."""
    if not path.is_file():
        raise InputError("no such backup file", file=str(path))
    checksum = Path(f"{path}{CHECKSUM_SUFFIX}")
    actual_sha = file_sha256(path)
    if checksum.exists():
        expected = checksum.read_text().split()[0] if checksum.read_text().split() else ""
        if expected != actual_sha:
            raise InputError(
                f"file checksum mismatch (expected {expected[:12]}…, got {actual_sha[:12]}…): "
                "the backup was altered or damaged",
                file=str(path),
            )
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise InputError(
            f"not a dualtrace backup: {str(exc).splitlines()[0]}", file=str(path)
        ) from exc
    try:
        try:
            raw = _scalar(con, f"SELECT manifest FROM {MANIFEST_TABLE}")
        except duckdb.Error as exc:
            raise InputError("not a dualtrace backup (no manifest)", file=str(path)) from exc
        data = orjson.loads(raw)
        manifest = Manifest(
            created_at=data["created_at"],
            source=data["source"],
            tables={k: (int(v["rows"]), str(v["checksum"])) for k, v in data["tables"].items()},
            file_sha256=actual_sha,
        )
        found = table_fingerprints(con)
    finally:
        con.close()
    if found != manifest.tables:
        raise InputError(
            f"backup content does not match its manifest (tables {_diff(manifest.tables, found)})",
            file=str(path),
        )
    return manifest


def hold_store(store_path: Path) -> None:
    """Mark ``store_path`` as served by this process: :func:`restore` refuses it."""
    key = str(store_path.resolve())
    _SERVED[key] = _SERVED.get(key, 0) + 1


def release_store(store_path: Path) -> None:
    key = str(store_path.resolve())
    if _SERVED.get(key, 0) <= 1:
        _SERVED.pop(key, None)
    else:
        _SERVED[key] -= 1


def restore(source: Path, store_path: Path, actor: str) -> Manifest:
    """Replace the store at ``store_path`` with the verified backup ``source``.

    The current store (if any) is kept as ``<store>.pre-restore`` and the audit log
    records the restore, so rolling back is itself on record. Refused while a server
    holds the store (in another process DuckDB's lock refuses it; in this one
    :func:`hold_store` does), since it would go on serving and auditing the old file.
    """
    manifest = read_manifest(source)
    store_path = store_path.resolve()
    if str(store_path) in _SERVED:
        raise StoreError(
            f"{store_path}: the store is being served (dualtrace serve); stop the server "
            "before restoring"
        )
    store_path.parent.mkdir(parents=True, exist_ok=True)
    if store_path.exists():
        # Proves no other process has the store open, folds its WAL into the file so
        # the stale WAL cannot be replayed onto the restored file, and moves any audit
        # journal left by a crashed server into the old store (kept as .pre-restore).
        with Store.open(store_path) as old:
            drain_journal(old.con, remove=True)
            old.con.execute("CHECKPOINT")
        shutil.copy2(store_path, Path(f"{store_path}.pre-restore"))
    partial = store_path.with_name(f".{store_path.name}.restore-{os.getpid()}")
    _discard(partial)
    try:
        con = duckdb.connect(str(partial))
        try:
            con.execute(f"ATTACH {_sql_str(str(source))} AS dt_src (READ_ONLY)")
            target_db = _quote(str(_scalar(con, "SELECT current_database()")))
            con.execute(f"COPY FROM DATABASE dt_src TO {target_db}")
            con.execute("DETACH dt_src")
            con.execute(f"DROP TABLE IF EXISTS {MANIFEST_TABLE}")
            restored = table_fingerprints(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        if restored != manifest.tables:
            raise StoreError(
                f"{store_path}: restored copy differs from the backup (tables "
                f"{_diff(manifest.tables, restored)}); the store was not replaced"
            )
        _fault_point()
        Path(f"{store_path}.wal").unlink(missing_ok=True)
        journal_path_for(store_path).unlink(missing_ok=True)
        os.replace(partial, store_path)
    except BaseException:
        _discard(partial)
        raise
    forget_store(store_path)  # a head cached in this process belongs to the old file
    with Store.open(store_path) as store:
        log = AuditLog(store.con)
        seq, head = log.head()
        if log.anchor_path is not None:
            write_anchor(log.anchor_path, seq, head)
        record_event(
            store.con,
            actor,
            "restore",
            str(source.resolve()),
            {"backup_created_at": manifest.created_at, "file_sha256": manifest.file_sha256},
        )
    return manifest


__all__ = ["Manifest", "anchor_path_for", "backup", "read_manifest", "restore"]
