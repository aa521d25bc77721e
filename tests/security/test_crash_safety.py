"""Crash safety with real processes: ``kill -9`` in the middle of a load, a stream of
review decisions, a merge/split stream, a backup or a restore leaves a store that opens,
whose audit chain verifies, and that lost nothing that was reported committed; a second
writer is told clearly that the store is busy; backups round-trip verified."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dualtrace.errors import InputError, StoreError
from dualtrace.security.audit import AuditLog
from dualtrace.security.backup import (
    ENV_FAULT_BEFORE_FINAL,
    backup,
    read_manifest,
    restore,
    table_fingerprints,
)
from dualtrace.sources.ofac_sdn import SDN_DATASET, read_ofac_sdn
from dualtrace.store import Store
from dualtrace.store.duckdb_store import ENV_FAULT_BEFORE_COMMIT
from tests.security.ofac_slice import cut_ofac_slice, load_ofac

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ofac_primary(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cut_ofac_slice(shared_data, tmp_path_factory.mktemp("ofac"))


@pytest.fixture(scope="module")
def loaded_template(ofac_primary: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "store.duckdb"
    load_ofac(path, ofac_primary)
    with Store.open(path) as store:
        log = AuditLog(store.con)
        log.append("admin", "load", "us_ofac_sdn", {"version": "2021-07-07"})
        log.close()
    return path


@pytest.fixture()
def loaded(loaded_template: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "store.duckdb"
    shutil.copy(loaded_template, dest)
    shutil.copy(f"{loaded_template}.audit-head", f"{dest}.audit-head")
    return dest


def fingerprint(path: Path) -> dict[str, tuple[int, str]]:
    with Store.open(path, read_only=True) as store:
        return table_fingerprints(store.con)


def audit_ok(path: Path) -> bool:
    with Store.open(path, read_only=True) as store:
        result = AuditLog(store.con).verify()
    return result.ok


def spawn(code: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child exited early: {proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("child never reached the fault point")
        time.sleep(0.05)


def kill9(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


# ---------------------------------------------------------------------------- loads


def test_kill_during_load_keeps_previous_state(
    loaded: Path, ofac_primary: Path, tmp_path: Path
) -> None:
    before = fingerprint(loaded)
    marker = tmp_path / "at-commit"
    proc = spawn(
        f"""
        from pathlib import Path
        from dualtrace.sources.ofac_sdn import read_ofac_sdn
        from dualtrace.store import Store
        with Store.open({str(loaded)!r}) as s:
            for r in read_ofac_sdn(Path({str(ofac_primary)!r}), version="2021-08-01"):
                s.load(r.dataset, r.version, r.statements(), r.report)
        """,
        {ENV_FAULT_BEFORE_COMMIT: str(marker)},
    )
    wait_for(marker, proc)
    kill9(proc)
    assert fingerprint(loaded) == before
    assert audit_ok(loaded)
    with Store.open(loaded) as store:  # and it is writable again
        assert [v.version for v in store.versions(SDN_DATASET.name)] == ["2021-07-07"]


# ---------------------------------------------------------------------------- decisions


def test_kill_during_review_decisions_loses_no_committed_decision(
    loaded: Path, tmp_path: Path
) -> None:
    """A child records review decisions (each durable before it says so) as fast as it
    can; killed at a random point, every decision it announced is in the chain."""
    proc = spawn(
        f"""
        import sys
        from dualtrace.security.audit import AuditLog
        from dualtrace.store import Store
        with Store.open({str(loaded)!r}) as s:
            log = AuditLog(s.con)
            for i in range(100000):
                e = log.append("analyst", "review", f"claim-{{i}}", {{"decision": "confirmed"}})
                print(e.seq, flush=True)
        """
    )
    assert proc.stdout is not None
    announced: list[int] = []
    while len(announced) < 25:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "child died"
        announced.append(int(line))
    kill9(proc)
    with Store.open(loaded, read_only=True) as store:
        log = AuditLog(store.con)
        result = log.verify()
        assert result.ok, result.problems
        # the newest may still be in the journal beside the store: on record all the same
        seqs = {e.seq for e in log.entries(action="review", limit=10_000)}
    assert set(announced) <= seqs
    # the next writer moves the journal into the table, chain unbroken
    with Store.open(loaded) as store:
        log = AuditLog(store.con)
        log.append("admin", "check", "after-crash", {})
        log.close()
        stored = {
            r[0]
            for r in store.con.execute(
                "SELECT seq FROM audit_log WHERE action = 'review'"
            ).fetchall()
        }
        assert log.verify().ok
    assert set(announced) <= stored
    assert not Path(f"{loaded}.audit-journal").exists()


def test_kill_during_merges_and_splits_leaves_consistent_resolution(
    loaded: Path, tmp_path: Path
) -> None:
    """Merges and splits (the resolver's own transactions) killed mid-stream: every
    announced decision is stored, and canonical ids agree with the stored decisions."""
    pytest.importorskip("dualtrace.resolve.merge")
    with Store.open(loaded, read_only=True) as store:
        ids = [
            str(r[0])
            for r in store.con.execute(
                "SELECT DISTINCT entity_id FROM statements WHERE schema = 'Organization' "
                "AND prop = 'id' ORDER BY entity_id LIMIT 20"
            ).fetchall()
        ]
    assert len(ids) >= 4
    proc = spawn(
        f"""
        from dualtrace.resolve.merge import merge_entities, split_entity
        from dualtrace.store import Store
        ids = {ids!r}
        with Store.open({str(loaded)!r}) as s:
            for i in range(100000):
                a, b = ids[i % len(ids)], ids[(i * 7 + 3) % len(ids)]
                if a == b:
                    continue
                d = merge_entities(s, [a, b], "analyst", reason="crash test")
                print("merge", d.id, flush=True)
                for d in split_entity(s, a, "analyst"):
                    print("split", d.id, flush=True)
        """
    )
    assert proc.stdout is not None
    announced: list[str] = []
    while len(announced) < 8:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "child died"
        announced.append(line.split()[1])
    kill9(proc)
    from dualtrace.resolve.merge import apply_canonical_ids

    with Store.open(loaded) as store:
        stored = {str(r[0]) for r in store.con.execute("SELECT id FROM merge_decisions").fetchall()}
        assert set(announced) <= stored
        before = store.con.execute(
            "SELECT entity_id, canonical_id FROM statements ORDER BY id"
        ).fetchall()
        store.con.execute("BEGIN TRANSACTION")
        apply_canonical_ids(store)
        after = store.con.execute(
            "SELECT entity_id, canonical_id FROM statements ORDER BY id"
        ).fetchall()
        store.con.execute("ROLLBACK")
    assert before == after


# ---------------------------------------------------------------------------- writers


def test_second_writer_gets_a_clear_message(loaded: Path, tmp_path: Path) -> None:
    ready = tmp_path / "holding"
    proc = spawn(
        f"""
        import time
        from pathlib import Path
        from dualtrace.store import Store
        with Store.open({str(loaded)!r}) as s:
            Path({str(ready)!r}).write_text("ok")
            time.sleep(60)
        """
    )
    try:
        wait_for(ready, proc)
        with pytest.raises(StoreError, match="in use by another process"):
            Store.open(loaded)
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "dualtrace.show.cli.app",
                "users",
                "list",
                "--store",
                str(loaded),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 1
        assert "in use by another process" in cli.stderr
        assert "Traceback" not in cli.stderr
    finally:
        kill9(proc)


# ---------------------------------------------------------------------------- backups


def test_backup_round_trip_is_verified(loaded: Path, tmp_path: Path) -> None:
    original = fingerprint(loaded)
    dest = tmp_path / "backups" / "b1.duckdb"
    manifest = backup(loaded, dest, "admin")
    assert Path(f"{dest}.sha256").read_text().split()[0] == manifest.file_sha256
    assert manifest.tables["statements"][0] > 1000
    # the backup holds everything the store held, plus the backup's own audit entry
    after_backup = fingerprint(loaded)
    assert {k: v for k, v in manifest.tables.items()} == after_backup
    assert {k for k in original if original[k] != after_backup[k]} == {"audit_log"}
    # wreck the store, restore, and get the same content back
    with Store.open(loaded) as store:
        store.con.execute("DELETE FROM statements WHERE prop = 'name'")
    restore(dest, loaded, "admin")
    restored = fingerprint(loaded)
    assert restored["statements"] == manifest.tables["statements"]
    assert restored["audit_log"][0] == manifest.tables["audit_log"][0] + 1  # + "restore"
    assert audit_ok(loaded)
    assert Path(f"{loaded}.pre-restore").exists()


def test_altered_backup_is_refused(loaded: Path, tmp_path: Path) -> None:
    dest = tmp_path / "b.duckdb"
    backup(loaded, dest, "admin")
    # edit inside the backup: the file hash no longer matches
    con = duckdb.connect(str(dest))
    con.execute("UPDATE statements SET value = 'X' WHERE rowid = 1")
    con.close()
    with pytest.raises(InputError, match="checksum mismatch"):
        read_manifest(dest)
    # and with the .sha256 forged to match, the manifest's table checksums catch it
    from dualtrace.security.backup import file_sha256

    Path(f"{dest}.sha256").write_text(f"{file_sha256(dest)}  b.duckdb\n")
    with pytest.raises(InputError, match=r"does not match its manifest \(tables statements\)"):
        read_manifest(dest)
    before = fingerprint(loaded)
    with pytest.raises(InputError):
        restore(dest, loaded, "admin")
    assert fingerprint(loaded) == before


def test_kill_during_backup_leaves_store_and_no_half_backup(loaded: Path, tmp_path: Path) -> None:
    dest = tmp_path / "b.duckdb"
    marker = tmp_path / "copy-written"
    proc = spawn(
        f"""
        from pathlib import Path
        from dualtrace.security.backup import backup
        backup(Path({str(loaded)!r}), Path({str(dest)!r}), "admin")
        """,
        {ENV_FAULT_BEFORE_FINAL: str(marker)},
    )
    wait_for(marker, proc)
    before_kill = fingerprint_when_free(loaded, proc)
    assert not dest.exists()
    assert audit_ok(loaded)
    assert fingerprint(loaded) == before_kill
    # a later backup to the same name works
    backup(loaded, dest, "admin")
    read_manifest(dest)


def fingerprint_when_free(path: Path, proc: subprocess.Popen[str]) -> dict[str, tuple[int, str]]:
    kill9(proc)
    return fingerprint(path)


def test_kill_during_restore_keeps_old_store(loaded: Path, tmp_path: Path) -> None:
    dest = tmp_path / "b.duckdb"
    backup(loaded, dest, "admin")
    with Store.open(loaded) as store:
        store.con.execute("DELETE FROM statements WHERE prop = 'name'")
    changed = fingerprint(loaded)
    marker = tmp_path / "restore-ready"
    proc = spawn(
        f"""
        from pathlib import Path
        from dualtrace.security.backup import restore
        restore(Path({str(dest)!r}), Path({str(loaded)!r}), "admin")
        """,
        {ENV_FAULT_BEFORE_FINAL: str(marker)},
    )
    wait_for(marker, proc)
    kill9(proc)
    assert fingerprint(loaded) == changed
    assert audit_ok(loaded)


@pytest.fixture(autouse=True)
def _no_fault_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(ENV_FAULT_BEFORE_FINAL, raising=False)
    monkeypatch.delenv(ENV_FAULT_BEFORE_COMMIT, raising=False)
    yield


def test_reads_go_on_while_a_load_writes(loaded: Path, ofac_primary: Path) -> None:
    """A load holds its transaction open; readers on the same store keep answering from
    the last committed state and see the new version only after COMMIT."""
    import threading

    from followthemoney.statement import Statement

    paused = threading.Event()
    resume = threading.Event()
    with Store.open(loaded) as store:
        before = store.con.execute("SELECT count(*) FROM statements").fetchone()
        [result] = read_ofac_sdn(ofac_primary, version="2021-09-01")

        def slow_statements() -> Iterator[Statement]:
            for i, stmt in enumerate(result.statements()):
                if i == 500:
                    paused.set()
                    resume.wait(60)
                yield stmt

        def load() -> None:
            store.load(result.dataset, result.version, slow_statements(), result.report)

        writer = threading.Thread(target=load)
        writer.start()
        assert paused.wait(60)
        reader = store.con.cursor()
        during = reader.execute("SELECT count(*) FROM statements").fetchone()
        versions = reader.execute(
            "SELECT version FROM dataset_versions ORDER BY version"
        ).fetchall()
        resume.set()
        writer.join(60)
        after = reader.execute("SELECT count(*) FROM statements").fetchone()
        reader.close()
    assert during == before and versions == [("2021-07-07",)]
    assert after is not None and before is not None and after[0] > before[0]
