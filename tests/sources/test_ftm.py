"""FtM JSON lines: the real ZALA network in, out, and back in without losing statements."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest

from dualtrace.errors import InputError
from dualtrace.sources.ftm import read_ftm, write_ftm
from dualtrace.store import Store


def _load(store: Store, path: Path, **kw: str) -> None:
    r = read_ftm(path, **kw)
    store.load(r.dataset, r.version, r.statements(), r.report)


def _facts(store: Store, dataset: str) -> set[tuple[str, str, str, str]]:
    rows = store.con.execute(
        "SELECT entity_id, schema, prop, value FROM statements WHERE dataset = ? AND prop <> 'id'",
        [dataset],
    ).fetchall()
    return {tuple(r) for r in rows}  # type: ignore[misc]


def test_zala_network_loads_with_relations(store: Store, shared_data: Path) -> None:
    path = shared_data / "ftm" / "zala_entities.ftm.json"
    lines = [orjson.loads(x) for x in path.read_bytes().splitlines() if x.strip()]
    _load(store, path)
    (n,) = store.con.execute(
        "SELECT count(DISTINCT entity_id) FROM statements WHERE dataset = 'zala_entities'"
    ).fetchone()  # type: ignore[misc]
    assert n == len({x["id"] for x in lines})
    schemata = {
        r[0] for r in store.con.execute("SELECT DISTINCT schema FROM statements").fetchall()
    }
    assert {"Ownership", "Directorship", "Sanction"} <= schemata
    assert store.search_names("zala")


@pytest.mark.parametrize("as_statements", [False, True])
def test_round_trip_keeps_every_statement(
    tmp_path: Path, shared_data: Path, as_statements: bool
) -> None:
    src = shared_data / "ftm" / "zala_entities.ftm.json"
    with Store.open(tmp_path / "a.duckdb") as a:
        _load(a, src, dataset="zala", version="2026-01-01")
        buf = io.BytesIO()
        write_ftm(a.iter_statements(dataset="zala"), buf, as_statements)
        original = _facts(a, "zala")
        if as_statements:
            originals = a.con.execute(
                "SELECT entity_id, prop, value, lang, original_value, source_file, source_row "
                "FROM statements WHERE prop <> 'id' ORDER BY ALL"
            ).fetchall()
    out = tmp_path / "export.ftm.json"
    out.write_bytes(buf.getvalue())
    with Store.open(tmp_path / "b.duckdb") as b:
        _load(b, out, dataset="zala", version="2026-01-01")
        assert _facts(b, "zala") == original
        if as_statements:
            again = b.con.execute(
                "SELECT entity_id, prop, value, lang, original_value, source_file, source_row "
                "FROM statements WHERE prop <> 'id' ORDER BY ALL"
            ).fetchall()
            assert again == originals  # provenance survives the round trip


def test_delta_lines_are_read(store: Store, shared_data: Path) -> None:
    _load(store, shared_data / "ftm" / "t2_entities.delta.json", dataset="t2")
    assert store.search_names("al-qaida")


def test_bad_lines_are_reported_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "mixed.ftm.json"
    path.write_text(
        '{"id": "a", "schema": "Person", "properties": {"name": ["Ann Example"]}}\n'
        "{not json\n"
        '{"id": "b", "schema": "Spaceship", "properties": {}}\n'
        '{"id": "c", "schema": "Person", "properties": {"colour": ["red"], "name": ["C"]}}\n'
    )
    r = read_ftm(path)
    assert [e.id for e in r.entities] == ["a", "c"]
    by_row = {i.row: i for i in r.report.issues}
    assert "not valid JSON" in by_row[2].message
    assert "Spaceship" in by_row[3].message
    assert by_row[4].field == "colour"


def test_a_file_that_is_not_ftm_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("name,country\n" + "ACME,US\n" * 10)
    with pytest.raises(InputError, match=r"table\.csv.*not FtM"):
        read_ftm(path)


def test_bad_dataset_name(tmp_path: Path, shared_data: Path) -> None:
    with pytest.raises(InputError, match="dataset name"):
        read_ftm(shared_data / "ftm" / "t1_entities.ftm.json", dataset="Bad Name!")
