"""The evidence store: versions, deltas, provenance, migrations and crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dualtrace.errors import NotFoundError, StoreError
from dualtrace.model.entities import entity_view
from dualtrace.sources.ofac_sdn import read_ofac_sdn
from dualtrace.store import Store
from dualtrace.store.diff import diff_versions
from dualtrace.store.migrations import LATEST_VERSION, MIGRATIONS

REPO = Path(__file__).resolve().parents[2]


def test_both_publications_are_kept_as_versions(sdn_store: Store) -> None:
    versions = [v.version for v in sdn_store.versions("ofac_sdn")]
    assert versions == ["2021-07-07", "2024-05-03"]
    (ds,) = [d for d in sdn_store.datasets() if d.name == "ofac_sdn"]
    assert ds.reliability == "A" and ds.kind == "list"


def test_diff_2021_to_2024_has_kupol_added_and_changed_properties(sdn_store: Store) -> None:
    d = diff_versions(sdn_store, "ofac_sdn", "2021-07-07", "2024-05-03")
    added = {i for i, _, _ in d.added}
    assert "ofac-46431" in added
    assert "ofac-16865" not in added  # Almaz-Antey was already listed in 2021
    assert len(d.removed) > 0
    changed = {c.entity_id: c for c in d.changed}
    almaz = changed["ofac-16865"]
    assert almaz.properties  # e.g. new aliases, programs moved to RUSSIA-EO14024
    # the reverse diff swaps added and removed
    back = diff_versions(sdn_store, "ofac_sdn", "2024-05-03", "2021-07-07")
    assert {i for i, _, _ in back.removed} == added


def test_diff_unknown_version_is_a_clear_error(sdn_store: Store) -> None:
    with pytest.raises(NotFoundError, match=r"no version '2020-01-01'.*2021-07-07, 2024-05-03"):
        diff_versions(sdn_store, "ofac_sdn", "2020-01-01", "2024-05-03")


def test_as_of_answers_from_the_version_in_force(sdn_store: Store) -> None:
    # Kupol was designated after 2021-07-07: not visible as of 2022-01-01.
    with pytest.raises(NotFoundError):
        entity_view(sdn_store, "ofac-46431", as_of="2022-01-01")
    view = entity_view(sdn_store, "ofac-46431", as_of="2024-06-01")
    assert view.caption == "JOINT STOCK COMPANY IZHEVSK ELECTROMECHANICAL PLANT KUPOL"


def test_first_and_last_seen_span_versions(sdn_store: Store) -> None:
    stmts = sdn_store.entity_statements("ofac-16865")
    # Almaz-Antey's country is stated in both publications ...
    (country,) = [s for s in stmts if s.prop == "country"]
    assert (country.first_seen, country.last_seen) == ("2021-07-07", "2024-05-03")
    # ... its 2024 primary name is new in 2024 ...
    (name,) = [s for s in stmts if s.prop == "name"]
    assert name.value == "JOINT STOCK COMPANY AEROSPACE DEFENSE CONCERN ALMAZ-ANTEY"
    assert name.first_seen == "2024-05-03"
    # ... and its 2021 name was last seen in 2021 (it is no longer in force).
    (old,) = [
        s for s in sdn_store.entity_statements("ofac-16865", as_of="2021-12-31") if s.prop == "name"
    ]
    assert old.value == "JOINT-STOCK COMPANY CONCERN ALMAZ-ANTEY"
    assert (old.first_seen, old.last_seen) == ("2021-07-07", "2021-07-07")
    kupol = sdn_store.entity_statements("ofac-46431")
    assert all(s.first_seen == "2024-05-03" for s in kupol)


def test_entity_view_has_provenance_and_related_entities(sdn_store: Store) -> None:
    view = entity_view(sdn_store, "ofac-46431")
    inn = [s for s in view.statements if s.prop == "innCode"]
    assert inn[0].source_file == "sdn_2024-05-03.csv" and inn[0].source_row
    assert inn[0].version == "2024-05-03" and inn[0].reliability == "A"
    related = {other.schema: other for _, other in view.related}
    assert related["Sanction"].values("program") == ["RUSSIA-EO14024"]
    assert related["Address"].values("city") == ["Izhevsk, Udmurtia Republic"]
    assert "UnknownLink" in related  # TSK Vektor is "Linked To" Kupol


def test_search_names(sdn_store: Store) -> None:
    hits = sdn_store.search_names("almaz antey")
    ids = [h[0] for h in hits]
    assert "ofac-16865" in ids
    assert sdn_store.search_names("kupol")[0][0] == "ofac-46431"
    assert sdn_store.search_names("%") == []  # wildcards are not patterns


def test_reloading_a_version_is_idempotent(tmp_path: Path, sdn_dir: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        for _ in range(2):
            (r,) = read_ofac_sdn(sdn_dir / "sdn_2021-07-07.csv")
            store.load(r.dataset, r.version, r.statements(), r.report)
        (n,) = store.con.execute("SELECT count(*) FROM statements").fetchone()  # type: ignore[misc]
        assert n == r.report.statements
        assert len(store.versions("ofac_sdn")) == 1


def test_migrations_are_recorded_and_newer_stores_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.duckdb"
    with Store.open(path) as store:
        rows = store.con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
        assert [r[0] for r in rows] == sorted(m.version for m in MIGRATIONS)
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (999, 'future', current_timestamp)")
    con.close()
    with pytest.raises(StoreError, match="newer than this dualtrace"):
        Store.open(path)
    assert LATEST_VERSION >= 1


def test_read_only_open_of_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store here yet"):
        Store.open(tmp_path / "nothing.duckdb", read_only=True)


def test_not_a_store_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"junk\.duckdb"):
        Store.open(junk)


def test_kill_9_during_a_load_leaves_the_previous_state_intact(
    tmp_path: Path, sdn_dir: Path
) -> None:
    """A real subprocess is killed after inserting all rows of a load, before COMMIT."""
    path = tmp_path / "crash.duckdb"
    with Store.open(path) as store:
        (r,) = read_ofac_sdn(sdn_dir / "sdn_2021-07-07.csv")
        store.load(r.dataset, r.version, r.statements(), r.report)
        before = store.con.execute(
            "SELECT count(*), count(DISTINCT version) FROM statements"
        ).fetchone()
    marker = tmp_path / "inserted"
    env = dict(os.environ, DUALTRACE_FAULT_BEFORE_COMMIT=str(marker))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dualtrace.show.cli.app",
            "load",
            "ofac",
            str(sdn_dir / "sdn_2024-05-03.csv"),
            "--store",
            str(path),
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while not marker.exists():
            assert proc.poll() is None, "loader exited before reaching the commit point"
            assert time.monotonic() < deadline, "loader never reached the commit point"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with Store.open(path) as store:
        after = store.con.execute(
            "SELECT count(*), count(DISTINCT version) FROM statements"
        ).fetchone()
        assert after == before
        assert [v.version for v in store.versions("ofac_sdn")] == ["2021-07-07"]
        (loads,) = store.con.execute("SELECT count(*) FROM loads").fetchone()  # type: ignore[misc]
        assert loads == 1
        # and the store still accepts the load that was interrupted
        (r2,) = read_ofac_sdn(sdn_dir / "sdn_2024-05-03.csv")
        store.load(r2.dataset, r2.version, r2.statements(), r2.report)
        assert [v.version for v in store.versions("ofac_sdn")] == ["2021-07-07", "2024-05-03"]
