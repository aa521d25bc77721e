"""The tamper-evident audit log: who did what, when, to which target, hash-chained.

Every entry stores the SHA-256 of its own content together with the previous entry's
hash, so editing an entry breaks its own hash and deleting one breaks the chain at the
next entry. Someone with write access to the DuckDB file could still delete the newest
entries, or rewrite the whole chain after an edit; to catch that, every append also
writes the chain head (sequence number and hash) to a small file beside the store,
``<store>.audit-head``. ``verify()`` checks the store's chain against that anchor;
copying the anchor somewhere the store's writers cannot reach (or printing it with
``dualtrace audit head`` into a ticket) extends the guarantee as far as you need.

Appends are durable before ``append`` returns, and concurrent appends share one write
(group commit). For a store file the write is an fsync'd append to a journal beside it,
``<store>.audit-journal``: a DuckDB commit cost 4-6 ms of CPU whatever the batch size,
which at hundreds of screening requests per second was a third of the server's CPU,
while a journal append and ``fdatasync`` cost about 0.15 ms. The journal holds the
newest entries of the same chain (same hashes, same anchor) and is moved into the
store's ``audit_log`` table in one transaction every few seconds, on ``flush`` and at
``close``; every reader here (``verify``, ``entries``, ``head``) reads the store and then
the journal, so an entry is on record from the moment its append returns, and
``verify`` checks the journal's entries exactly as the table's. A crash leaves the
journal in place; the next writer moves it in (entries already in the table, from a
crash between that commit and the journal's truncation, are skipped by sequence).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import getpass
import hashlib
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from dualtrace.errors import StoreError

GENESIS_HASH = "0" * 64
MAX_TEXT = 1_000
MAX_DETAILS_BYTES = 64 * 1024
ANCHOR_SUFFIX = ".audit-head"
# The anchor record's size on disk: its JSON padded with spaces (see _AnchorWriter).
ANCHOR_BYTES = 128
JOURNAL_SUFFIX = ".audit-journal"
# The journal moves into the store's table once it holds this many entries or its
# oldest is this old (a DuckDB commit costs the same few ms for 1 row or thousands).
DRAIN_ENTRIES = 5_000
DRAIN_SECONDS = 5.0

log = logging.getLogger(__name__)

# One write lock per process: DuckDB lets only one process write a store file, so this
# lock (with the head cache and journals below, keyed by database file) serialises
# every audit append that can happen, whichever AuditLog instance makes it.
_WRITE_LOCK = threading.Lock()
# file -> (the file's identity when cached, seq, hash): a head cached for a file that
# has since been replaced (a restore) is never used for the new one.
_HEADS: dict[str, tuple[tuple[int, int] | None, int, str]] = {}


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

    def row(self) -> tuple[int, str, str, str, str, str, str, str]:
        """The stored fields in table order (as hashed, as journaled)."""
        return (
            self.seq,
            self.logged_at,
            self.actor,
            self.action,
            self.target,
            self.details,
            self.prev_hash,
            self.hash,
        )

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


def _anchor_bytes(seq: int, digest: str) -> bytes:
    """The anchor's JSON, padded with spaces to :data:`ANCHOR_BYTES` (JSON allows
    trailing whitespace), so that every rewrite in place covers the whole record."""
    data = orjson.dumps({"seq": seq, "hash": digest})
    return data.ljust(ANCHOR_BYTES - 1) + b"\n" if len(data) < ANCHOR_BYTES else data


def write_anchor(path: Path, seq: int, digest: str) -> None:
    """Replace the anchor atomically, so a crash leaves the old or the new one."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(_anchor_bytes(seq, digest))
    os.replace(tmp, path)


class _AnchorWriter:
    """A server's anchor, rewritten in place: one ``pwrite`` of the fixed-size record.

    :func:`write_anchor` (a temporary file renamed over the anchor) cost 150-210 us of
    CPU and ~2 ms of wall time on this host's ext4 (renaming over an existing file
    starts write-out of the new one), once per group commit: the audit writer's
    largest cost after the journal's ``fdatasync``, and every batch waiting behind it
    waited that long too. A ``pwrite`` of 128 bytes at offset 0 costs ~2 us. It is as
    crash-safe as the rename for the anchor's purpose: a killed process either made
    the whole system call or none of it, and the record lies inside one disk sector.

    The file is created (or re-created) by :func:`write_anchor`; a write goes in place
    only while the path still names the file this writer opened with the expected
    size, so an anchor deleted, replaced (a restore, :func:`record_event` in this
    process) or truncated meanwhile is written afresh, never into an unlinked file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None

    def write(self, seq: int, digest: str) -> None:
        data = _anchor_bytes(seq, digest)
        if len(data) == ANCHOR_BYTES and self._in_place():
            assert self._fd is not None
            if os.pwrite(self._fd, data, 0) == ANCHOR_BYTES:
                return
        self.close()
        write_anchor(self.path, seq, digest)
        fd = os.open(self.path, os.O_WRONLY)
        st = os.fstat(fd)
        self._fd, self._identity = fd, (st.st_dev, st.st_ino)

    def _in_place(self) -> bool:
        if self._fd is None:
            return False
        try:
            st = os.stat(self.path)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self._identity and st.st_size == ANCHOR_BYTES

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = self._identity = None


def journal_path_for(store_file: str | Path) -> Path:
    return Path(f"{store_file}{JOURNAL_SUFFIX}")


def file_identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of ``path``: changes when the file is replaced (a restore)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def read_journal(path: Path) -> tuple[list[AuditEntry], list[str]]:
    """The entries in the journal at ``path``, and a problem per unreadable line.

    A last line without its newline is a write cut short by a crash: its fsync never
    returned, so no caller was told it was recorded, and it is ignored.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], []
    lines = raw.split(b"\n")
    lines.pop()  # after the last newline: empty, or a torn write
    entries: list[AuditEntry] = []
    problems: list[str] = []
    for number, line in enumerate(lines, 1):
        try:
            seq, logged_at, actor, action, target, details, prev, digest = orjson.loads(line)
            entries.append(
                AuditEntry(
                    int(seq),
                    str(logged_at),
                    str(actor),
                    str(action),
                    str(target),
                    str(details),
                    str(prev),
                    str(digest),
                )
            )
        except (orjson.JSONDecodeError, TypeError, ValueError):
            problems.append(f"audit journal {path} line {number} is unreadable")
    return entries, problems


class _Journal:
    """The append-only, fsync'd file holding the chain's newest entries of one store.

    One per store file per process (see :func:`_journal`); used under ``_WRITE_LOCK``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self.pending = 0
        self.since = 0.0

    def append(self, entries: list[AuditEntry]) -> None:
        """Write ``entries`` and return once they are on disk (``fdatasync``)."""
        data = b"".join(orjson.dumps(e.row()) + b"\n" for e in entries)
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        size = os.fstat(self._fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
            os.fdatasync(self._fd)
        except OSError:
            # a half-written batch was never acknowledged; cut it so the next one
            # does not start in the middle of a line
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, size)
            raise
        if not self.pending:
            self.since = time.monotonic()
        self.pending += len(entries)

    def due(self) -> bool:
        return self.pending >= DRAIN_ENTRIES or (
            self.pending > 0 and time.monotonic() - self.since >= DRAIN_SECONDS
        )

    def clear(self, remove: bool = False) -> None:
        """Empty the journal once its entries are committed to the store."""
        if remove:
            self.close()
            self.path.unlink(missing_ok=True)
        elif self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.fsync(self._fd)
        elif self.path.exists():
            with self.path.open("r+b") as fh:
                fh.truncate(0)
                os.fsync(fh.fileno())
        self.pending = 0

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


_JOURNALS: dict[str, _Journal] = {}


def _journal(store_file: str) -> _Journal:
    journal = _JOURNALS.get(store_file)
    if journal is None:
        journal = _JOURNALS[store_file] = _Journal(journal_path_for(store_file))
    return journal


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor inside one transaction: committed if the block returns, rolled back if
    it raises, so a chain extension is written whole or not at all."""
    cur = con.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        yield cur
        cur.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        raise
    finally:
        cur.close()


def _drain_journal(con: duckdb.DuckDBPyConnection, store_file: str, remove: bool = False) -> int:
    """Move the journal's entries into the store's table (one transaction), then empty
    it. Call with ``_WRITE_LOCK`` held. Entries already in the table (a crash between
    that commit and the truncation) are skipped by sequence number. Returns how many
    entries moved."""
    journal = _journal(store_file)
    entries, problems = read_journal(journal.path)
    if problems:
        raise StoreError(f"{problems[0]}; the journal was left in place (dualtrace audit verify)")
    moved: list[AuditEntry] = []
    if entries:
        with _transaction(con) as cur:
            seq, prev = AuditLog._read_head(cur)
            moved = [e for e in entries if e.seq > seq]
            if moved and (moved[0].seq != seq + 1 or moved[0].prev_hash != prev):
                raise StoreError(
                    f"{journal.path}: the audit journal does not continue the store's chain "
                    f"(store head {seq}, journal from {moved[0].seq}); it was left in place "
                    "(dualtrace audit verify)"
                )
            _store_entries(cur, moved)
    if entries or remove or journal.pending:
        journal.clear(remove=remove)
    return len(moved)


def drain_journal(con: duckdb.DuckDBPyConnection, remove: bool = False) -> int:
    """Move the store's audit journal into its table now (before a backup, a restore
    or a read by SQL); with ``remove`` the emptied journal file is deleted too."""
    store_file = database_file(con)
    if store_file is None:
        return 0
    with _WRITE_LOCK:
        return _drain_journal(con, store_file, remove=remove)


def forget_store(store_file: str | Path) -> None:
    """Drop this process's cached head and journal handle for ``store_file`` (after the
    file was replaced by a restore)."""
    with _WRITE_LOCK:
        key = str(store_file)
        _HEADS.pop(key, None)
        journal = _JOURNALS.pop(key, None)
        if journal is not None:
            journal.close()


def _pending_beyond(path: Path | None, seq: int) -> tuple[list[AuditEntry], list[str]]:
    """Journal entries after ``seq`` (those not yet in the table), and journal problems."""
    if path is None:
        return [], []
    entries, problems = read_journal(path)
    return [e for e in entries if e.seq > seq], problems


@dataclass(slots=True)
class _Pending:
    """One entry on its way to the journal, and who waits for it: a thread (through
    the log's ``_settled`` condition) or an event loop (``future``, resolved on
    ``loop``). No ``threading.Event`` per entry: building one (a Condition and a lock)
    for every screening request was a measurable share of the event loop's time."""

    actor: str
    action: str
    target: str
    details: str
    entry: AuditEntry | None = None
    error: BaseException | None = None
    settled: bool = False
    loop: asyncio.AbstractEventLoop | None = None
    future: asyncio.Future[None] | None = None


def _resolve_all(futures: list[asyncio.Future[None]]) -> None:
    """On the waiters' event loop: wake every request whose entry the batch settled."""
    for future in futures:
        if not future.done():  # the awaiting request may have been cancelled meanwhile
            future.set_result(None)


def _settle(batch: list[_Pending], settled: threading.Condition) -> None:
    """Tell everyone waiting for ``batch``: threads through ``settled``, event loops
    with one call each for the whole batch (one wake-up of a loop, not one per entry)."""
    loops: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for item in batch:
        item.settled = True
        if item.loop is not None and item.future is not None:
            loops.setdefault(item.loop, []).append(item.future)
    with settled:
        settled.notify_all()
    for loop, futures in loops.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
            loop.call_soon_threadsafe(_resolve_all, futures)


class AuditLog:
    """Append to and verify the audit log of the store behind ``con``."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        anchor: Path | bool | None = True,
        journal: bool = True,
    ):
        self.con = con
        self.file = database_file(con)
        # The file this connection opened: if it is replaced while open (a restore),
        # appends fail instead of landing in the old, unlinked file.
        self._identity = file_identity(self.file) if self.file else None
        self.journal_path = journal_path_for(self.file) if self.file else None
        self._journaled = journal and self.file is not None
        if anchor is True:
            self.anchor_path = anchor_path_for(self.file) if self.file else None
        elif anchor is False or anchor is None:
            self.anchor_path = None
        else:
            self.anchor_path = anchor
        self._queue: list[_Pending] = []
        self._inflight: list[_Pending] = []
        self._wake = threading.Condition()
        # notified after every batch, for threads waiting on their entries
        self._settled = threading.Condition()
        # the writer is waiting for work (so an append must wake it)
        self._writer_idle = False
        self._writer: threading.Thread | None = None
        self._anchor: _AnchorWriter | None = None
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
        self._wait_settled([item])
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
            loop=loop,
            future=future,
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
            elif self._writer_idle:  # busy writers take the queue when done
                self._wake.notify()

    def _wait_settled(self, items: list[_Pending]) -> None:
        with self._settled:
            for item in items:
                while not item.settled:
                    self._settled.wait()

    def flush(self) -> None:
        """Wait until every entry queued so far is recorded, then move the journal into
        the store's table (so SQL on ``audit_log`` sees everything)."""
        with self._wake:
            pending = [*self._inflight, *self._queue]
        self._wait_settled(pending)
        if self._journaled:
            drain_journal(self.con)

    def close(self) -> None:
        """Record what is queued, move the journal into the store and stop the writer."""
        with self._wake:
            self._closed = True
            self._wake.notify()
            writer = self._writer
        if writer is not None:
            writer.join()
            if self._anchor is not None:
                self._anchor.close()
            if self._journaled and self._same_file():
                try:
                    drain_journal(self.con, remove=True)
                except (duckdb.Error, StoreError, OSError) as exc:
                    # the entries stay durable in the journal; the next writer moves them
                    log.warning("audit journal left beside the store: %s", exc)

    def _run_writer(self) -> None:
        """Group commit: take everything queued, write it in one go, repeat. While idle
        with entries in the journal, move them into the store after DRAIN_SECONDS."""
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    idle = DRAIN_SECONDS if self._journal_pending() else None
                    self._writer_idle = True
                    try:
                        if not self._wake.wait(timeout=idle):
                            break
                    finally:
                        self._writer_idle = False
                if not self._queue and self._closed:
                    return
                batch, self._queue = self._queue, []
                self._inflight = batch
            with _WRITE_LOCK:
                if batch:
                    self._write_batch(batch)
                if self._journaled and self._journal_due():
                    self._drain_quietly()

    def _journal_pending(self) -> bool:
        return self.file is not None and self._journaled and _journal(self.file).pending > 0

    def _journal_due(self) -> bool:
        return self.file is not None and _journal(self.file).due()

    def _drain_quietly(self) -> None:
        """Move the journal into the store; on failure the entries stay durable in the
        journal and the move is retried later."""
        assert self.file is not None
        try:
            if self._same_file():
                _drain_journal(self.con, self.file)
        except (duckdb.Error, StoreError, OSError) as exc:
            log.warning("audit journal not moved into the store yet: %s", exc)

    def _same_file(self) -> bool:
        return self.file is None or file_identity(self.file) == self._identity

    def _check_same_file(self) -> None:
        if not self._same_file():
            raise StoreError(
                f"{self.file}: the store file was replaced while this process had it open "
                "(a restore?); nothing more is recorded in the old one: restart the server"
            )

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
            self._check_same_file()
            if self.file is not None:
                _HEADS.pop(self.file, None)
            seq, prev = self._read_head(con)
            # journaled entries not yet in the table go into this transaction first (the
            # journal is emptied by a later move, which skips them once committed)
            earlier, problems = _pending_beyond(self.journal_path, seq)
            if problems:
                raise StoreError(problems[0])
            if earlier:
                _store_entries(con, earlier)
                seq, prev = earlier[-1].seq, earlier[-1].hash
            entries = self._insert(
                con,
                seq,
                prev,
                [(_clip(actor), _clip(action), _clip(target), canonical_details(details))],
            )
        return entries[0]

    def _write_batch(self, batch: list[_Pending]) -> None:
        """Record ``batch`` (``_WRITE_LOCK`` held): chained after the head, appended to
        the journal and fsync'd, or for an in-memory store committed in one transaction;
        then each waiter is told, then the anchor is moved."""
        items = [(i.actor, i.action, i.target, i.details) for i in batch]
        try:
            self._check_same_file()
            if self._journaled:
                assert self.file is not None
                seq, prev = self._head_for_write()
                entries = _chain(seq, prev, items)
                _journal(self.file).append(entries)
            else:
                entries = self._commit(items)
        except BaseException as exc:
            if self.file is not None:
                _HEADS.pop(self.file, None)
            for item in batch:
                item.error = exc
            _settle(batch, self._settled)
            return
        head = (entries[-1].seq, entries[-1].hash)
        if self.file is not None:
            _HEADS[self.file] = (self._identity, *head)
        # The entries are durable (journal fsync'd, or committed): answer first, then
        # move the anchor. It is a tripwire against deleting the newest entries, not
        # their record, and its file replace cost ~2 ms of wall time per batch that
        # every waiting request paid.
        for item, entry in zip(batch, entries, strict=True):
            item.entry = entry
        _settle(batch, self._settled)
        if self.anchor_path is not None:
            try:
                if self._anchor is None or self._anchor.path != self.anchor_path:
                    self._anchor = _AnchorWriter(self.anchor_path)
                self._anchor.write(*head)
            except OSError as exc:  # verify reports a stale anchor; the writer goes on
                log.warning("audit anchor %s not updated: %s", self.anchor_path, exc)

    def _commit(self, items: list[tuple[str, str, str, str]]) -> list[AuditEntry]:
        with _transaction(self.con) as cur:
            seq, prev = self._head(cur)
            return self._insert(cur, seq, prev, items)

    def _head_for_write(self) -> tuple[int, str]:
        """The chain head to append after: cached by this process, else (first write,
        or after an error) the journal left by an earlier process is moved into the
        store first and the head read from there."""
        assert self.file is not None
        cached = _HEADS.get(self.file)
        if cached is not None and cached[0] == self._identity:
            return cached[1], cached[2]
        _drain_journal(self.con, self.file)
        cur = self.con.cursor()
        try:
            return self._read_head(cur)
        finally:
            cur.close()

    def _head(self, cur: duckdb.DuckDBPyConnection) -> tuple[int, str]:
        if self.file is not None:
            cached = _HEADS.get(self.file)
            if cached is not None and cached[0] == self._identity:
                return cached[1], cached[2]
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
        entries = _chain(seq, prev, items)
        _store_entries(cur, entries)
        return entries

    # ------------------------------------------------------------------ reading

    def head(self) -> tuple[int, str]:
        """The newest entry's (seq, hash), in the store or still in its journal."""
        journal = read_journal(self.journal_path)[0] if self.journal_path else []
        cur = self.con.cursor()
        try:
            seq, digest = self._read_head(cur)
        finally:
            cur.close()
        if journal and journal[-1].seq > seq:
            return journal[-1].seq, journal[-1].hash
        return seq, digest

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
        limit = max(1, min(limit, 10_000))
        params.append(limit)
        # the journal first: entries moved into the table meanwhile are then in the
        # table's read (a journal read after the table's could miss them)
        journal = read_journal(self.journal_path)[0] if self.journal_path else []
        cur = self.con.cursor()
        try:
            top = cur.execute("SELECT max(seq) FROM audit_log").fetchone()
            rows = cur.execute(
                f"SELECT * FROM audit_log {where} ORDER BY seq DESC LIMIT ?", params
            ).fetchall()
        finally:
            cur.close()
        stored = int(top[0]) if top is not None and top[0] is not None else 0
        wanted = {"actor": actor, "action": action, "target": target}
        newer = [
            e
            for e in reversed(journal)
            if e.seq > stored and all(v is None or getattr(e, k) == v for k, v in wanted.items())
        ]
        return (newer + [AuditEntry(*r) for r in rows])[:limit]

    def _iter_all(self, journal: list[AuditEntry]) -> Iterator[tuple[Any, ...]]:
        """Every entry in order: the table's, then the journal's not yet in it."""
        last = 0
        cur = self.con.cursor()
        try:
            cur.execute("SELECT * FROM audit_log ORDER BY seq")
            while rows := cur.fetchmany(10_000):
                last = rows[-1][0]
                yield from rows
        finally:
            cur.close()
        for entry in journal:
            if entry.seq > last:
                yield entry.row()

    def verify(self) -> VerifyResult:
        """Walk the whole chain; report every edited, deleted or reordered entry."""
        result = VerifyResult()
        expected_seq, prev = 1, GENESIS_HASH
        hashes: dict[int, str] = {}
        # anchor, then journal, then table: each read sees at least what the one before
        # it recorded, so a concurrent append or move cannot look like a deletion
        # (under the write lock: this process's writer rewrites the anchor in place)
        with _WRITE_LOCK:
            anchor = read_anchor(self.anchor_path) if self.anchor_path is not None else None
        journal: list[AuditEntry] = []
        if self.journal_path is not None:
            journal, problems = read_journal(self.journal_path)
            result.problems.extend(problems)
        rows = self._iter_all(journal)
        for seq, logged_at, actor, action, target, details, prev_hash, digest in rows:
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


def _chain(seq: int, prev: str, items: list[tuple[str, str, str, str]]) -> list[AuditEntry]:
    """Entries for ``items`` chained after head (seq, prev), stamped now."""
    logged_at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    entries: list[AuditEntry] = []
    for actor, action, target, details in items:
        seq += 1
        digest = entry_hash(seq, logged_at, actor, action, target, details, prev)
        entries.append(AuditEntry(seq, logged_at, actor, action, target, details, prev, digest))
        prev = digest
    return entries


def _store_entries(cur: duckdb.DuckDBPyConnection, entries: list[AuditEntry]) -> None:
    """Insert chained entries into ``audit_log`` with one statement."""
    if not entries:
        return
    if len(entries) == 1:
        cur.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)", list(entries[0].row()))
        return
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
        if log.file is not None:
            # a server's journaled entries go into the table first: the chain is one
            _drain_journal(con, log.file)
            _HEADS.pop(log.file, None)
        with _transaction(con) as cur:
            seq, prev = log._read_head(cur)
            entry = log._insert(cur, seq, prev, [item])[0]
        if log.file is not None:
            _HEADS[log.file] = (log._identity, entry.seq, entry.hash)
        if log.anchor_path is not None:
            write_anchor(log.anchor_path, entry.seq, entry.hash)
    return entry


def default_actor() -> str:
    """``cli:<login>``: who runs a command that has no signed-in user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"
