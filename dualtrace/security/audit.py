"""The tamper-evident audit log: who did what, when, to which target, hash-chained.

Every entry stores the SHA-256 of its own content together with the previous entry's
hash, so editing an entry breaks its own hash and deleting one breaks the chain at the
next entry. Someone with write access to the DuckDB file could still delete the newest
entries, or rewrite the whole chain after an edit; to catch that, every append also
writes the chain head (sequence number and hash) to a small file beside the store,
``<store>.audit-head``. ``verify()`` checks the store's chain against that anchor;
copying the anchor somewhere the store's writers cannot reach (or printing it with
``dualtrace audit head`` into a ticket) extends the guarantee as far as you need.

Appends are durable before ``append`` returns (one DuckDB commit), and concurrent
appends share commits: whoever holds the write lock writes every entry queued so far in
one transaction (group commit), so a busy API pays one commit per batch, not per
request.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import getpass
import hashlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

GENESIS_HASH = "0" * 64
MAX_TEXT = 1_000
MAX_DETAILS_BYTES = 64 * 1024
ANCHOR_SUFFIX = ".audit-head"

# One write lock per process: DuckDB lets only one process write a store file, so this
# lock (with the head cache below, keyed by database file) serialises every audit
# append that can happen, whichever AuditLog instance makes it.
_WRITE_LOCK = threading.Lock()
_HEADS: dict[str, tuple[int, str]] = {}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    logged_at: str
    actor: str
    action: str
    target: str
    details: str
    prev_hash: str
    hash: str

    def details_dict(self) -> dict[str, Any]:
        data = orjson.loads(self.details)
        return data if isinstance(data, dict) else {"value": data}

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "logged_at": self.logged_at,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "details": self.details_dict(),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass
class VerifyResult:
    """The outcome of checking the chain; ``ok`` is False if any problem was found."""

    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    anchor: tuple[int, str] | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "anchor": None
            if self.anchor is None
            else {"seq": self.anchor[0], "hash": self.anchor[1]},
            "problems": self.problems,
            "warnings": self.warnings,
        }


def entry_hash(
    seq: int, logged_at: str, actor: str, action: str, target: str, details: str, prev: str
) -> str:
    """SHA-256 over a canonical JSON array of the entry's stored fields."""
    payload = orjson.dumps([seq, logged_at, actor, action, target, details, prev])
    return hashlib.sha256(payload).hexdigest()


def canonical_details(details: Mapping[str, Any] | None) -> str:
    """Details as sorted-key JSON, capped so a huge request cannot bloat the log."""
    raw = orjson.dumps(dict(details or {}), option=orjson.OPT_SORT_KEYS, default=str)
    if len(raw) > MAX_DETAILS_BYTES:
        raw = orjson.dumps(
            {
                "truncated": True,
                "bytes": len(raw),
                "sha256": hashlib.sha256(raw).hexdigest(),
                "head": raw[:1000].decode("utf-8", "replace"),
            },
            option=orjson.OPT_SORT_KEYS,
        )
    return raw.decode("utf-8")


def _clip(text: str) -> str:
    text = str(text)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def database_file(con: duckdb.DuckDBPyConnection) -> str | None:
    """The file behind a connection, or None for an in-memory database."""
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if row is None or not row[0]:
        return None
    return str(row[0])


def anchor_path_for(store_file: str | Path) -> Path:
    return Path(f"{store_file}{ANCHOR_SUFFIX}")


def read_anchor(path: Path) -> tuple[int, str] | None:
    try:
        data = orjson.loads(path.read_bytes())
        return int(data["seq"]), str(data["hash"])
    except FileNotFoundError:
        return None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return (-1, "unreadable")


def write_anchor(path: Path, seq: int, digest: str) -> None:
    """Replace the anchor atomically, so a crash leaves the old or the new one."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps({"seq": seq, "hash": digest}))
    os.replace(tmp, path)


@dataclass
class _Pending:
    actor: str
    action: str
    target: str
    details: str
    entry: AuditEntry | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)
    # Called by the writer thread once the entry is committed (or failed): how an
    # event loop learns of it without parking a thread per waiting request.
    notify: Callable[[], object] | None = None

    def settle(self) -> None:
        self.done.set()
        if self.notify is not None:
            self.notify()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # the awaiting request may have been cancelled meanwhile
        future.set_result(None)


class AuditLog:
    """Append to and verify the audit log of the store behind ``con``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, anchor: Path | bool | None = True):
        self.con = con
        self.file = database_file(con)
        if anchor is True:
            self.anchor_path = anchor_path_for(self.file) if self.file else None
        elif anchor is False or anchor is None:
            self.anchor_path = None
        else:
            self.anchor_path = anchor
        self._queue: list[_Pending] = []
        self._inflight: list[_Pending] = []
        self._wake = threading.Condition()
        self._writer: threading.Thread | None = None
        self._closed = False

    # ------------------------------------------------------------------ writing

    def append(
        self,
        actor: str,
        action: str,
        target: str,
        details: Mapping[str, Any] | None = None,
        *,
        wait: bool = True,
    ) -> AuditEntry | None:
        """Record one event; with ``wait`` (the default) return once it is committed.

        ``wait=False`` queues the entry and returns at once (None); it is committed
        within milliseconds, or at :meth:`close`. Use it only for high-volume events
        where losing the last few milliseconds to a power cut is acceptable (a
        screening lookup); decisions, merges, loads and logins must wait.
        """
        item = _Pending(_clip(actor), _clip(action), _clip(target), canonical_details(details))
        self._enqueue(item)
        if not wait:
            return None
        item.done.wait()
        if item.error is not None:
            raise item.error
        return item.entry

    async def append_async(
        self,
        actor: str,
        action: str,
        target: str,
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Record one event and return once it is committed, awaiting on the event loop.

        The same group commit as :meth:`append`: the writer thread commits everything
        queued in one transaction and wakes each waiter through its loop, so a server
        can hold every response until its entry is on record without a thread per
        request (a thread hop cost more than the commit share at hundreds per second).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        item = _Pending(
            _clip(actor),
            _clip(action),
            _clip(target),
            canonical_details(details),
            notify=lambda: loop.call_soon_threadsafe(_resolve, future),
        )
        self._enqueue(item)
        await future
        if item.error is not None:
            raise item.error
        assert item.entry is not None
        return item.entry

    def _enqueue(self, item: _Pending) -> None:
        with self._wake:
            if self._closed:
                raise RuntimeError("audit log is closed")
            self._queue.append(item)
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._run_writer, name="dualtrace-audit", daemon=True
                )
                self._writer.start()
            self._wake.notify()

    def flush(self) -> None:
        """Wait until every entry queued so far is committed."""
        with self._wake:
            pending = [*self._inflight, *self._queue]
        for item in pending:
            item.done.wait()

    def close(self) -> None:
        """Commit what is queued and stop the writer thread."""
        with self._wake:
            self._closed = True
            self._wake.notify()
            writer = self._writer
        if writer is not None:
            writer.join()

    def _run_writer(self) -> None:
        """Group commit: take everything queued, write it in one transaction, repeat."""
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if not self._queue and self._closed:
                    return
                batch, self._queue = self._queue, []
                self._inflight = batch
            with _WRITE_LOCK:
                self._write_batch(batch)

    def append_in_transaction(
        self,
        con: duckdb.DuckDBPyConnection,
        actor: str,
        action: str,
        target: str,
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Record an event inside the caller's open transaction on ``con``.

        The entry commits (or rolls back) with the caller's own change, so a load and
        its audit entry can never exist one without the other. Call it just before the
        caller's COMMIT: the chain head is read inside the transaction.
        """
        with _WRITE_LOCK:
            if self.file is not None:
                _HEADS.pop(self.file, None)
            seq, prev = self._read_head(con)
            entries = self._insert(
                con,
                seq,
                prev,
                [(_clip(actor), _clip(action), _clip(target), canonical_details(details))],
            )
        return entries[0]

    def _write_batch(self, batch: list[_Pending]) -> None:
        cur = self.con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            seq, prev = self._head(cur)
            entries = self._insert(
                cur, seq, prev, [(i.actor, i.action, i.target, i.details) for i in batch]
            )
            cur.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            if self.file is not None:
                _HEADS.pop(self.file, None)
            for item in batch:
                item.error = exc
                item.settle()
            return
        finally:
            cur.close()
        head = (entries[-1].seq, entries[-1].hash)
        if self.file is not None:
            _HEADS[self.file] = head
        if self.anchor_path is not None:
            write_anchor(self.anchor_path, *head)
        for item, entry in zip(batch, entries, strict=True):
            item.entry = entry
            item.settle()

    def _head(self, cur: duckdb.DuckDBPyConnection) -> tuple[int, str]:
        if self.file is not None and self.file in _HEADS:
            return _HEADS[self.file]
        return self._read_head(cur)

    @staticmethod
    def _read_head(cur: duckdb.DuckDBPyConnection) -> tuple[int, str]:
        row = cur.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            return 0, GENESIS_HASH
        return int(row[0]), str(row[1])

    @staticmethod
    def _insert(
        cur: duckdb.DuckDBPyConnection,
        seq: int,
        prev: str,
        items: list[tuple[str, str, str, str]],
    ) -> list[AuditEntry]:
        """Chain and insert entries after head (seq, prev) with one INSERT statement."""
        logged_at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        entries: list[AuditEntry] = []
        params: list[Any] = []
        for actor, action, target, details in items:
            seq += 1
            digest = entry_hash(seq, logged_at, actor, action, target, details, prev)
            entry = AuditEntry(seq, logged_at, actor, action, target, details, prev, digest)
            entries.append(entry)
            params.extend((seq, logged_at, actor, action, target, details, prev, digest))
            prev = digest
        if len(entries) == 1:
            cur.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)", params)
            return entries
        # A many-row parameterised INSERT costs milliseconds per row in DuckDB; an Arrow
        # batch costs the same few milliseconds for 1 row or 1,000.
        columns = {
            "seq": pa.array([e.seq for e in entries], pa.int64()),
            "logged_at": pa.array([e.logged_at for e in entries], pa.string()),
            "actor": pa.array([e.actor for e in entries], pa.string()),
            "action": pa.array([e.action for e in entries], pa.string()),
            "target": pa.array([e.target for e in entries], pa.string()),
            "details": pa.array([e.details for e in entries], pa.string()),
            "prev_hash": pa.array([e.prev_hash for e in entries], pa.string()),
            "hash": pa.array([e.hash for e in entries], pa.string()),
        }
        name = f"_dt_audit_{threading.get_ident()}"
        cur.register(name, pa.table(columns))
        try:
            cur.execute(f"INSERT INTO audit_log SELECT * FROM {name}")
        finally:
            cur.unregister(name)
        return entries

    # ------------------------------------------------------------------ reading

    def head(self) -> tuple[int, str]:
        cur = self.con.cursor()
        try:
            return self._read_head(cur)
        finally:
            cur.close()

    def entries(
        self,
        limit: int = 100,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
    ) -> list[AuditEntry]:
        """The newest entries first, optionally filtered (exact match)."""
        conds: list[str] = []
        params: list[Any] = []
        for column, value in (("actor", actor), ("action", action), ("target", target)):
            if value is not None:
                conds.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(conds)}" if conds else ""
        params.append(max(1, min(limit, 10_000)))
        cur = self.con.cursor()
        try:
            rows = cur.execute(
                f"SELECT * FROM audit_log {where} ORDER BY seq DESC LIMIT ?", params
            ).fetchall()
        finally:
            cur.close()
        return [AuditEntry(*r) for r in rows]

    def _iter_all(self) -> Iterator[tuple[Any, ...]]:
        cur = self.con.cursor()
        try:
            cur.execute("SELECT * FROM audit_log ORDER BY seq")
            while rows := cur.fetchmany(10_000):
                yield from rows
        finally:
            cur.close()

    def verify(self) -> VerifyResult:
        """Walk the whole chain; report every edited, deleted or reordered entry."""
        result = VerifyResult()
        expected_seq, prev = 1, GENESIS_HASH
        hashes: dict[int, str] = {}
        for seq, logged_at, actor, action, target, details, prev_hash, digest in self._iter_all():
            result.entries += 1
            if seq != expected_seq:
                missing = (
                    f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
                )
                result.problems.append(f"entry {missing} missing (deleted from the store)")
            if prev_hash != prev:
                result.problems.append(
                    f"entry {seq}: chain broken (previous-hash does not match entry before it)"
                )
            recomputed = entry_hash(seq, logged_at, actor, action, target, details, prev_hash)
            if recomputed != digest:
                result.problems.append(f"entry {seq}: content altered (hash mismatch)")
            hashes[seq] = digest
            expected_seq, prev = seq + 1, digest
            result.head_seq, result.head_hash = seq, digest
        if self.anchor_path is None:
            result.warnings.append("no head anchor for this store: truncation is not checked")
            return result
        anchor = read_anchor(self.anchor_path)
        result.anchor = anchor
        if anchor is None:
            if result.entries:
                result.warnings.append(
                    f"head anchor {self.anchor_path} is missing: deletion of the newest "
                    "entries cannot be detected"
                )
            return result
        a_seq, a_hash = anchor
        if a_seq < 0:
            result.problems.append(f"head anchor {self.anchor_path} is unreadable")
        elif a_seq > result.head_seq:
            result.problems.append(
                f"log truncated: the anchor records {a_seq} entries, the store has "
                f"{result.head_seq} (entries {result.head_seq + 1}-{a_seq} deleted)"
            )
        elif a_seq > 0 and hashes.get(a_seq) != a_hash:
            result.problems.append(
                f"entry {a_seq} differs from the anchored head: the chain up to it was rewritten"
            )
        return result


def record_event(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    action: str,
    target: str,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one event and commit it before returning: the one call for code that is
    not a server (CLI commands, ``Store.load``, merges). No writer thread is started.

    Call it after your own COMMIT (or outside any transaction): it runs its own.
    """
    log = AuditLog(con)
    item = (_clip(actor), _clip(action), _clip(target), canonical_details(details))
    with _WRITE_LOCK:
        cur = con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            seq, prev = log._head(cur)
            entry = log._insert(cur, seq, prev, [item])[0]
            cur.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            if log.file is not None:
                _HEADS.pop(log.file, None)
            raise
        finally:
            cur.close()
        if log.file is not None:
            _HEADS[log.file] = (entry.seq, entry.hash)
        if log.anchor_path is not None:
            write_anchor(log.anchor_path, entry.seq, entry.hash)
    return entry


def default_actor() -> str:
    """``cli:<login>``: who runs a command that has no signed-in user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"
