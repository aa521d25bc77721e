"""The audit journal (the chain's newest entries, fsync'd beside the store before they
reach its table) keeps every guarantee of the table, and a restore cannot swap the
store under a running server: refused while it is served, and a store file replaced
anyway stops the server's audit (503) instead of recording into the old file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from dualtrace.errors import StoreError
from dualtrace.security.audit import (
    ANCHOR_BYTES,
    AuditLog,
    anchor_path_for,
    forget_store,
    journal_path_for,
    read_anchor,
    read_journal,
)
from dualtrace.security.backup import backup, restore
from dualtrace.show.api.app import create_app
from dualtrace.store import Store
from tests.security.ofac_slice import ofac_store_with_viewer

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")
from starlette.testclient import TestClient  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def table_seqs(store: Store) -> list[int]:
    return [r[0] for r in store.con.execute("SELECT seq FROM audit_log ORDER BY seq").fetchall()]


@pytest.fixture(autouse=True)
def no_timed_move(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests check what is in the journal and what in the table; the timed move
    (after DRAIN_SECONDS idle) must not run mid-test on a slow, shared host."""
    monkeypatch.setattr("dualtrace.security.audit.DRAIN_SECONDS", 3600.0)


def test_an_append_is_on_record_before_it_reaches_the_table(store_path: Path) -> None:
    with Store.open(store_path) as store:
        log = AuditLog(store.con)
        first = log.append("alice", "screen", "/match/default", {"i": 1})
        second = log.append("alice", "review", "claim-1", {"decision": "confirmed"})
        assert first is not None and second is not None
        assert table_seqs(store) == []  # still only in the journal
        assert [e.seq for e in read_journal(journal_path_for(store_path))[0]] == [1, 2]
        assert [e.target for e in log.entries()] == ["claim-1", "/match/default"]
        assert [e.target for e in log.entries(action="screen")] == ["/match/default"]
        assert log.head() == (2, second.hash)
        result = log.verify()
        assert result.ok and result.entries == 2 and result.anchor == (2, second.hash)
        log.flush()  # moves the journal into the table
        assert table_seqs(store) == [1, 2]
        assert read_journal(journal_path_for(store_path))[0] == []
        third = log.append("alice", "screen", "/match/default", {"i": 2})
        assert third is not None and third.prev_hash == second.hash
        log.close()
        assert table_seqs(store) == [1, 2, 3]
    assert not journal_path_for(store_path).exists()


def settled(anchor: Path, seq: int) -> bool:
    """Wait until the writer thread has moved the anchor to ``seq`` (it does so just
    after answering the waiters); True once it has, False after 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = read_anchor(anchor)
        if found is not None and found[0] >= seq:
            return True
        time.sleep(0.005)
    return False


def test_the_writer_rewrites_the_anchor_in_place_and_afresh_when_it_was_replaced(
    store_path: Path,
) -> None:
    """The group commit rewrites the anchor record in place (same file, fixed size), so
    it stays readable JSON; an anchor deleted or replaced meanwhile is written again at
    its path (not into the unlinked file), and one truncated is restored whole."""
    anchor = anchor_path_for(store_path)
    with Store.open(store_path) as store:
        log = AuditLog(store.con)
        first = log.append("alice", "screen", "/match/default", {"i": 1})
        assert first is not None
        assert settled(anchor, first.seq)
        inode = anchor.stat().st_ino
        assert anchor.stat().st_size == ANCHOR_BYTES
        assert read_anchor(anchor) == (first.seq, first.hash)
        second = log.append("alice", "screen", "/match/default", {"i": 2})
        assert second is not None
        assert settled(anchor, second.seq)
        assert anchor.stat().st_ino == inode  # in place
        assert read_anchor(anchor) == (second.seq, second.hash)
        assert log.verify().ok

        anchor.unlink()  # deleted while served: the next write re-creates it
        third = log.append("alice", "screen", "/match/default", {"i": 3})
        assert third is not None and settled(anchor, third.seq)
        assert read_anchor(anchor) == (third.seq, third.hash)

        stale = anchor.with_name(anchor.name + ".old")
        anchor.rename(stale)  # replaced: the held file is not the one at the path
        anchor.write_bytes(b'{"seq": 1, "hash": "x"}')
        fourth = log.append("alice", "screen", "/match/default", {"i": 4})
        assert fourth is not None and settled(anchor, fourth.seq)
        assert read_anchor(anchor) == (fourth.seq, fourth.hash)
        assert read_anchor(stale) == (third.seq, third.hash)  # untouched since

        with anchor.open("r+b") as fh:  # cut short: written whole again
            fh.truncate(10)
        fifth = log.append("alice", "screen", "/match/default", {"i": 5})
        assert fifth is not None and settled(anchor, fifth.seq)
        assert read_anchor(anchor) == (fifth.seq, fifth.hash)
        assert anchor.stat().st_size == ANCHOR_BYTES
        result = log.verify()
        assert result.ok and result.anchor == (5, fifth.hash)
        log.close()
    assert read_anchor(anchor) == (5, fifth.hash)


def _journal_three(store_path: Path) -> None:
    """Three entries left in the journal, as a server killed before moving them leaves
    them (the writer is stopped without the move at close)."""
    with Store.open(store_path) as store:
        log = AuditLog(store.con)
        for i in range(3):
            log.append("alice", "review", f"claim-{i}", {"decision": "confirmed"})
        assert table_seqs(store) == []
    forget_store(store_path)  # as a new process would start


def test_an_edited_journal_entry_is_detected(store_path: Path) -> None:
    _journal_three(store_path)
    path = journal_path_for(store_path)
    lines = path.read_bytes().splitlines(keepends=True)
    row = orjson.loads(lines[1])
    row[2] = "mallory"
    lines[1] = orjson.dumps(row) + b"\n"
    path.write_bytes(b"".join(lines))
    with Store.open(store_path, read_only=True) as store:
        problems = AuditLog(store.con).verify().problems
    assert problems == ["entry 2: content altered (hash mismatch)"]


def test_a_deleted_journal_is_detected_by_the_anchor(store_path: Path) -> None:
    _journal_three(store_path)
    journal_path_for(store_path).unlink()
    with Store.open(store_path, read_only=True) as store:
        problems = AuditLog(store.con).verify().problems
    assert problems == [
        "log truncated: the anchor records 3 entries, the store has 0 (entries 1-3 deleted)"
    ]


def test_a_garbled_journal_line_is_a_problem_and_blocks_the_move(store_path: Path) -> None:
    _journal_three(store_path)
    path = journal_path_for(store_path)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[0] = b"not json\n"
    path.write_bytes(b"".join(lines))
    with Store.open(store_path) as store:
        log = AuditLog(store.con)
        assert f"audit journal {path} line 1 is unreadable" in log.verify().problems
        with pytest.raises(StoreError, match="unreadable"):
            log.append("alice", "screen", "/match/default", {})
        log.close()
        assert table_seqs(store) == []  # nothing moved, nothing lost
    assert path.read_bytes().splitlines()[0] == b"not json"


def test_a_torn_last_write_is_ignored_and_the_next_writer_moves_the_rest(
    store_path: Path,
) -> None:
    """A crash in the middle of a write leaves a line without its newline: it was never
    acknowledged (its fsync had not returned), so it is dropped, and the chain goes on
    from the last whole entry."""
    _journal_three(store_path)
    with journal_path_for(store_path).open("ab") as fh:
        fh.write(b'[4,"2026-11-29T05:00:00')
    with Store.open(store_path) as store:
        log = AuditLog(store.con)
        assert log.verify().ok
        entry = log.append("bob", "screen", "/match/default", {})
        assert entry is not None and entry.seq == 4
        assert table_seqs(store) == [1, 2, 3]  # the leftovers moved in before the append
        log.close()
        assert table_seqs(store) == [1, 2, 3, 4]
        result = AuditLog(store.con).verify()
    assert result.ok and result.entries == 4, result.problems
    assert result.anchor == (4, entry.hash)


def test_a_store_replaced_under_an_open_log_refuses_appends(
    store_path: Path, tmp_path: Path
) -> None:
    """If the file is swapped while a writer has it open (what an unguarded restore
    would do), nothing more is written into the old, unlinked file."""
    with Store.open(store_path) as store:
        log = AuditLog(store.con)
        log.append("alice", "screen", "/match/default", {})
        log.flush()
        copy = tmp_path / "copy.duckdb"
        shutil.copy(store_path, copy)
        os.replace(copy, store_path)
        with pytest.raises(StoreError, match="replaced while this process had it open"):
            log.append("alice", "screen", "/match/default", {})
        log.close()
    forget_store(store_path)


# ---------------------------------------------------------------- restore and serve


@pytest.fixture()
def served_store(shared_data: Path, tmp_path: Path) -> Iterator[tuple[Path, str, Path]]:
    """A store of real OFAC entries with a viewer key, and a verified backup of it."""
    store_path, key = ofac_store_with_viewer(shared_data, tmp_path)
    dest = tmp_path / "b.duckdb"
    backup(store_path, dest, "admin")
    yield store_path, key, dest
    forget_store(store_path)


def screen(client: TestClient, key: str) -> int:
    body = {"queries": {"q": {"schema": "Company", "properties": {"name": ["Banco de Cuba"]}}}}
    resp = client.post("/match/default", json=body, headers={"Authorization": f"Bearer {key}"})
    return int(resp.status_code)


def test_restore_is_refused_while_a_server_holds_the_store(
    served_store: tuple[Path, str, Path],
) -> None:
    store_path, key, dest = served_store
    with TestClient(create_app(store_path)) as client:
        # no request yet: the server holds the store from start-up, not from its first
        # request, so a restore from another process is refused by DuckDB's lock
        cli = subprocess.run(
            [sys.executable, "-m", "dualtrace.show.cli.app", "restore", str(dest),
             "--store", str(store_path)],
            cwd=REPO, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert cli.returncode == 1, cli.stdout + cli.stderr
        assert "in use by another process" in cli.stderr
        assert "Traceback" not in cli.stderr
        # and from this process (which shares the server's open database) by the guard
        with pytest.raises(StoreError, match="being served"):
            restore(dest, store_path, "admin")
        assert screen(client, key) == 200
    # with the server stopped the same restore goes through, and the chain verifies
    restore(dest, store_path, "admin")
    with Store.open(store_path, read_only=True) as store:
        result = AuditLog(store.con).verify()
        assert result.ok, result.problems
        assert AuditLog(store.con).entries(limit=1)[0].action == "restore"


def test_a_server_whose_store_was_swapped_answers_503_not_unrecorded(
    served_store: tuple[Path, str, Path], tmp_path: Path
) -> None:
    """Should the file be replaced anyway (by hand, bypassing restore's checks), every
    audited request is refused with a clear 503: none is answered with its entry
    written only to the old, unlinked file."""
    store_path, key, _ = served_store
    with TestClient(create_app(store_path)) as client:
        assert screen(client, key) == 200
        ctx = client.app.state.security  # type: ignore[attr-defined]
        ctx.audit.flush()
        before = anchor_path_for(store_path).read_bytes()
        copy = tmp_path / "swapped.duckdb"
        shutil.copy(store_path, copy)
        os.replace(copy, store_path)
        body = {"queries": {"q": {"schema": "Company", "properties": {"name": ["Cuba"]}}}}
        resp = client.post("/match/default", json=body, headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 503
        assert "replaced while this process had it open" in resp.json()["detail"]
        assert "results" not in resp.text
        assert anchor_path_for(store_path).read_bytes() == before
