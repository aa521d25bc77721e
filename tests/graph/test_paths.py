"""Paths to listed parties and distance-to-listed on the real ZALA network and small cases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dualtrace.errors import InputError
from dualtrace.graph.build import EDGE_KINDS, build_graph
from dualtrace.graph.distance import distance_on_store, route
from dualtrace.graph.paths import (
    Adjacency,
    expand_edge_types,
    find_paths,
    listed_in_force_sql,
    shortest_paths,
)
from dualtrace.show.cli.app import app
from dualtrace.store import Store
from tests.graph.ftm_fixture import load_ftm_file

ZAKHAROV = "NK-aU5ybkbRFJucf8YMwsJvDw"
CST = "NK-abdzbEBkqyT29GyREbiURZ"
AEROSCAN = "NK-iE6m5ryPeTAMZozfECVSL7"
ASSOCIATION = "NK-SiYwWfxwLVrVeFswsvAvsm"


@pytest.fixture(scope="module")
def zala_path(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("zp") / "store.duckdb"
    with Store.open(path) as store:
        load_ftm_file(store, shared_data / "ftm" / "zala_entities.ftm.json")
    return path


@pytest.fixture()
def zala(zala_path: Path) -> Iterator[Store]:
    with Store.open(zala_path, read_only=True) as store:
        build_graph(store)
        yield store


def test_shortest_paths_stop_at_listed_and_respect_max_hops() -> None:
    # 0 - 1 - 2(listed) - 3(listed); 0 - 4 - 5 - 6(listed)
    src = np.array([0, 1, 2, 0, 4, 5], dtype=np.int64)
    dst = np.array([1, 2, 3, 4, 5, 6], dtype=np.int64)
    adj = Adjacency.from_arrays(
        7, src, dst, [f"n{i}" for i in range(7)], [f"e{i}" for i in range(6)]
    )
    targets = np.zeros(7, dtype=np.bool_)
    targets[[2, 3, 6]] = True
    paths = shortest_paths(adj, 0, targets, max_hops=3)
    assert [p.nodes for p in paths] == [(0, 1, 2), (0, 4, 5, 6)]
    assert [p.edges for p in paths] == [(0, 1), (3, 4, 5)]
    assert [p.nodes for p in shortest_paths(adj, 0, targets, max_hops=2)] == [(0, 1, 2)]


def test_paths_on_zala_carry_edges_and_evidence(zala: Store) -> None:
    found = find_paths(zala, ASSOCIATION, listed_in_force_sql(None), max_hops=3)
    first = found[0]
    assert first["hops"] == 1 and first["target"]["id"] == ZAKHAROV
    assert first["edges"][0]["kind"] == "directorship"
    assert first["edges"][0]["evidence"]
    assert "Исполнительный директор" in first["text"]


def test_edge_types_filter_and_dates(zala: Store) -> None:
    only_own = find_paths(zala, AEROSCAN, listed_in_force_sql(None), 4, ["ownership"], "2024-03-10")
    assert [p["target"]["id"] for p in only_own] == [ZAKHAROV]
    # before Zakharov acquired Aeroscan there is no ownership path
    assert (
        find_paths(zala, AEROSCAN, listed_in_force_sql(None), 4, ["ownership"], "2023-01-01") == []
    )
    with pytest.raises(InputError):
        expand_edge_types(["bogus"])
    assert "shared_phone" in expand_edge_types(["shared"])


def test_every_entity_gets_a_distance_and_route(zala: Store) -> None:
    run = distance_on_store(zala.con, EDGE_KINDS, listed_in_force_sql(None), max_hops=4)
    assert run.reached > 10
    hops = route(zala.con, ASSOCIATION)
    assert hops[0][0] == ASSOCIATION and hops[-1][0] == ZAKHAROV
    assert hops[0][1] is not None and hops[-1][1] is None


def test_cli_paths_exposure_flags(zala_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "paths",
            ASSOCIATION,
            "--to",
            "listed",
            "--max-hops",
            "2",
            "--json",
            "--store",
            str(zala_path),
        ],
    )
    assert res.exit_code == 0, res.output
    assert '"hops": 1' in res.output
    res = runner.invoke(
        app,
        [
            "exposure",
            AEROSCAN,
            "--as-of",
            "2024-03-15",
            "--rule",
            "ofac",
            "--store",
            str(zala_path),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "owned" in res.output and "100% held by" in res.output
    res = runner.invoke(
        app,
        [
            "flags",
            "--entity",
            AEROSCAN,
            "--as-of",
            "2024-03-15",
            "--json",
            "--store",
            str(zala_path),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "RF-OWNED-BY-LISTED" in res.output
    res = runner.invoke(
        app, ["exposure", AEROSCAN, "--as-of", "2024-13-45", "--store", str(zala_path)]
    )
    assert res.exit_code != 0


def test_parties_named_in_one_document_are_two_hops_apart(store: Store) -> None:
    from tests.graph.ftm_fixture import load_entities

    load_entities(
        store,
        [
            {
                "id": "a",
                "schema": "Company",
                "properties": {"name": ["Alpha Trading"]},
                "doc": "d1",
            },
            {"id": "b", "schema": "Company", "properties": {"name": ["Beta Plant"]}, "doc": "d1"},
            {
                "id": "b-s",
                "schema": "Sanction",
                "properties": {"entity": ["b"], "authority": ["X"]},
            },
        ],
    )
    build_graph(store)
    found = find_paths(store, "a", listed_in_force_sql(None), max_hops=2, edge_types=["co_mention"])
    assert [p["target"]["id"] for p in found] == ["b"]
    assert found[0]["nodes"][1]["id"] == "doc:d1"
