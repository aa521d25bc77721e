"""One caption per merged entity, chosen the same way on every build.

A merged entity carries names from several sources; which one heads an explanation
("100% held by ...") must not depend on the order statements were loaded in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dualtrace.graph.build import build_graph
from dualtrace.store import Store
from tests.graph.ftm_fixture import load_entities, load_ftm_file

REGISTRY: list[dict[str, Any]] = [
    # a registry's spelling: shorter, but not from a sanctions list
    {"id": "p1", "schema": "Person", "properties": {"name": ["Zed Smith"]}},
]
LIST: list[dict[str, Any]] = [
    {
        "id": "p1",
        "schema": "Person",
        "properties": {
            "name": ["Захаров А. В.", "Zakharov Aleksandr", "Alexander ZAKHAROV"],
        },
    },
]


def _caption(store: Store, entity: str) -> str:
    row = store.con.execute("SELECT caption FROM g_nodes WHERE id = ?", [entity]).fetchone()
    assert row is not None
    return str(row[0])


def _store(path: Path, list_first: bool) -> str:
    with Store.open(path) as store:
        loads = [
            lambda: load_entities(store, LIST, dataset="list_case", kind="list"),
            lambda: load_entities(store, REGISTRY, dataset="registry_case", kind="ftm"),
        ]
        for load in loads if list_first else reversed(loads):
            load()
        build_graph(store)
        first = _caption(store, "p1")
        build_graph(store)
        assert _caption(store, "p1") == first
        return first


def test_caption_prefers_the_list_then_latin_then_short_then_code_point_order(
    tmp_path: Path,
) -> None:
    # Both Latin list names have 18 characters: the code-point order decides.
    assert _store(tmp_path / "a.duckdb", list_first=True) == "Alexander ZAKHAROV"
    assert _store(tmp_path / "b.duckdb", list_first=False) == "Alexander ZAKHAROV"


def test_zakharov_caption_on_the_real_zala_file(shared_data: Path, tmp_path: Path) -> None:
    # Eleven spellings of Zakharov's name in one source, two of the shortest Latin ones
    # of equal length ("Zakharov Aleksandr", "Alexander ZAKHAROV").
    with Store.open(tmp_path / "zala.duckdb") as store:
        load_ftm_file(store, shared_data / "ftm" / "zala_entities.ftm.json")
        build_graph(store)
        assert _caption(store, "NK-aU5ybkbRFJucf8YMwsJvDw") == "Alexander ZAKHAROV"
