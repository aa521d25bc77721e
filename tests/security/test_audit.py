"""The audit log's chain: appends from many threads stay one unbroken chain, and any
entry edited or deleted directly in the DuckDB file is found by ``verify``."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import duckdb
import orjson
import pytest

from dualtrace.security.audit import AuditLog, anchor_path_for, entry_hash, record_event
from dualtrace.store import Store


def fill(path: Path, n: int = 20) -> None:
    with Store.open(path) as store:
        log = AuditLog(store.con)
        for i in range(n):
            log.append("alice", "review", f"claim-{i}", {"decision": "confirmed", "i": i})
        log.close()


def verify(path: Path) -> list[str]:
    with Store.open(path) as store:
        return AuditLog(store.con).verify().problems


def tamper(path: Path, sql: str) -> None:
    """Edit the store file directly, as someone bypassing dualtrace would."""
    con = duckdb.connect(str(path))
    con.execute(sql)
    con.close()


def test_intact_log_verifies(store_path: Path) -> None:
    fill(store_path)
    with Store.open(store_path) as store:
        result = AuditLog(store.con).verify()
    assert result.ok, result.problems
    assert result.entries == 20 and result.head_seq == 20
    assert result.anchor == (20, result.head_hash)


def test_edited_entry_is_detected(store_path: Path) -> None:
    fill(store_path)
    tamper(store_path, 'UPDATE audit_log SET details = \'{"decision":"rejected"}\' WHERE seq = 7')
    problems = verify(store_path)
    assert problems == ["entry 7: content altered (hash mismatch)"]


def test_edited_actor_is_detected(store_path: Path) -> None:
    fill(store_path)
    tamper(store_path, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    assert "entry 3: content altered (hash mismatch)" in verify(store_path)


def test_deleted_entry_is_detected(store_path: Path) -> None:
    fill(store_path)
    tamper(store_path, "DELETE FROM audit_log WHERE seq = 11")
    problems = verify(store_path)
    assert "entry 11 missing (deleted from the store)" in problems
    assert any(p.startswith("entry 12: chain broken") for p in problems)


def test_deleted_newest_entries_are_detected_by_the_anchor(store_path: Path) -> None:
    fill(store_path)
    tamper(store_path, "DELETE FROM audit_log WHERE seq >= 18")
    problems = verify(store_path)
    assert problems == [
        "log truncated: the anchor records 20 entries, the store has 17 (entries 18-20 deleted)"
    ]


def test_rewritten_chain_is_detected_by_the_anchor(store_path: Path) -> None:
    """An attacker who edits an entry and recomputes every later hash still loses."""
    fill(store_path, 5)
    con = duckdb.connect(str(store_path))
    rows = con.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()
    prev = "0" * 64
    for seq, at, actor, action, target, details, _, _ in rows:
        if seq == 2:
            details = orjson.dumps({"decision": "rejected", "i": 1}).decode()
        digest = entry_hash(seq, at, actor, action, target, details, prev)
        con.execute(
            "UPDATE audit_log SET details = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            [details, prev, digest, seq],
        )
        prev = digest
    con.close()
    problems = verify(store_path)
    assert problems == ["entry 5 differs from the anchored head: the chain up to it was rewritten"]


def test_missing_anchor_is_a_warning_not_silence(store_path: Path) -> None:
    fill(store_path, 3)
    anchor_path_for(store_path).unlink()
    with Store.open(store_path) as store:
        result = AuditLog(store.con).verify()
    assert result.ok
    assert any("missing" in w for w in result.warnings)


def test_concurrent_appends_form_one_chain(store: Store) -> None:
    log = AuditLog(store.con)

    def worker(n: int) -> None:
        for i in range(40):
            log.append(f"user{n}", "screen", "/match/default", {"i": i}, wait=i % 2 == 0)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.flush()
    result = log.verify()
    assert result.ok, result.problems
    assert result.entries == 240
    seqs = [r[0] for r in store.con.execute("SELECT seq FROM audit_log ORDER BY seq").fetchall()]
    assert seqs == list(range(1, 241))
    log.close()


def test_entry_in_a_rolled_back_transaction_leaves_no_trace(store: Store) -> None:
    log = AuditLog(store.con)
    log.append("admin", "load", "us_ofac_sdn", {})
    store.con.execute("BEGIN TRANSACTION")
    log.append_in_transaction(store.con, "admin", "load", "eu_fsf", {"statements": 10})
    store.con.execute("ROLLBACK")
    log.append("admin", "load", "un_sc", {})
    result = log.verify()
    assert result.ok, result.problems
    assert [e.target for e in log.entries()] == ["un_sc", "us_ofac_sdn"]
    log.close()


def test_huge_details_are_capped(store: Store) -> None:
    log = AuditLog(store.con)
    entry = log.append("bob", "screen", "/match", {"body": "x" * 500_000})
    assert entry is not None
    details = entry.details_dict()
    assert details["truncated"] is True and details["bytes"] > 500_000
    assert log.verify().ok
    log.close()


@pytest.mark.parametrize("bad", ["", "{", '{"seq": "x"}'])
def test_unreadable_anchor_is_a_problem(store_path: Path, bad: str) -> None:
    fill(store_path, 2)
    anchor_path_for(store_path).write_text(bad)
    assert verify(store_path) == [f"head anchor {anchor_path_for(store_path)} is unreadable"]


def test_one_shot_records_and_appends_share_one_chain(store_path: Path) -> None:
    """CLI-style record_event and a server's queued appends interleave on one chain."""
    with Store.open(store_path) as store:
        log = AuditLog(store.con)
        log.append("alice", "screen", "/match/default", {}, wait=False)
        record_event(store.con, "cli:root", "load", "ofac_sdn", {"version": "2021-07-07"})
        log.append("alice", "review", "claim-1", {})
        entry = record_event(store.con, "cli:root", "users.add", "bob", {})
        log.close()
        result = AuditLog(store.con).verify()
    assert result.ok, result.problems
    assert result.entries == 4 and entry.seq == 4
    assert result.anchor == (4, entry.hash)


def test_every_load_is_audited(shared_data: Path, tmp_path: Path) -> None:
    from tests.security.ofac_slice import cut_ofac_slice, load_ofac

    store_path = tmp_path / "s.duckdb"
    load_ofac(store_path, cut_ofac_slice(shared_data, tmp_path / "ofac"))
    with Store.open(store_path, read_only=True) as store:
        log = AuditLog(store.con)
        [entry] = log.entries(action="load")
        assert log.verify().ok
    assert entry.target == "ofac_sdn@2021-07-07" and entry.actor.startswith("cli:")
    details = entry.details_dict()
    assert details["statements"] > 1000 and details["files"] == [
        "sdn_2021-07-07.csv",
        "alt_2021-07-07.csv",
        "add_2021-07-07.csv",
    ]


def test_awaited_appends_are_committed_in_order_on_one_chain(store_path: Path) -> None:
    """Requests awaiting their entries on an event loop (as the API does): each await
    returns only after its entry is in the store, and they form one unbroken chain."""

    async def screen_many(log: AuditLog) -> list[int]:
        entries = await asyncio.gather(
            *(log.append_async("alice", "screen", "/match/default", {"i": i}) for i in range(50))
        )
        committed = {e.seq for e in log.entries(action="screen", limit=100)}
        assert {e.seq for e in entries} <= committed
        return [e.seq for e in entries]

    with Store.open(store_path) as store:
        log = AuditLog(store.con)
        order = asyncio.run(screen_many(log))
        log.close()
        result = AuditLog(store.con).verify()
    assert order == list(range(1, 51))  # queued in request order, chained in that order
    assert result.ok and result.entries == 50, result.problems
