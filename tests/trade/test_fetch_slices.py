"""Links come back from the engine in id ranges: the same rows, in the same order."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from dualtrace.trade.linkage import pipeline
from dualtrace.trade.linkage.engines import DuckDBEngine
from dualtrace.trade.linkage.pipeline import fetch_in_slices


@pytest.fixture()
def engine() -> DuckDBEngine:
    # links skewed to low ranks, as id_l < id_r makes them, plus ranks with none
    rng = np.random.default_rng(7)
    n = 1000
    left = rng.integers(0, n - 1, 5000)
    right = np.minimum(left + rng.integers(1, 50, 5000), n - 1)
    keep = (left < right) & (left % 97 != 3)
    pairs = np.unique(np.stack([left[keep], right[keep]], axis=1), axis=0)  # one link a pair
    links = pa.table(
        {
            "id_l": pa.array(pairs[:, 0], pa.int32()),
            "id_r": pa.array(pairs[:, 1], pa.int32()),
            "match_weight": pa.array(rng.normal(size=len(pairs))),
        }
    )
    e = DuckDBEngine()
    e.register("links", links)
    return e


@pytest.mark.parametrize("rows", [1, 37, 400, 10_000_000])
def test_slices_give_every_row_in_order(engine: DuckDBEngine, rows: int) -> None:
    whole = engine.arrow("SELECT id_l, id_r, match_weight FROM links ORDER BY id_l, id_r")
    sliced = fetch_in_slices(engine, "links", "id_l, id_r, match_weight", 1000, True, rows)
    assert sliced.to_pylist() == whole.to_pylist()


def test_unordered_slices_hold_the_same_rows(engine: DuckDBEngine) -> None:
    whole = engine.arrow("SELECT id_l, id_r FROM links")
    sliced = fetch_in_slices(engine, "links", "id_l, id_r", 1000, rows=100)
    key = [("id_l", "ascending"), ("id_r", "ascending")]
    assert sliced.sort_by(key).to_pylist() == whole.sort_by(key).to_pylist()


def test_an_empty_source_gives_an_empty_table_with_its_columns(engine: DuckDBEngine) -> None:
    engine.create("none", "SELECT * FROM links WHERE false")
    out = fetch_in_slices(engine, "none", "id_l, id_r", 0, True)
    assert out.num_rows == 0 and out.column_names == ["id_l", "id_r"]


def test_the_default_slice_size_is_read_at_call_time(
    engine: DuckDBEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the engine-equality tests shrink it to make Spark fetch in many slices
    calls: list[str] = []
    real = engine.arrow

    def counting(sql: str) -> pa.Table:
        calls.append(sql)
        return real(sql)

    monkeypatch.setattr(engine, "arrow", counting)
    monkeypatch.setattr(pipeline, "FETCH_ROWS", 500)
    fetch_in_slices(engine, "links", "id_l", 1000)
    assert len(calls) > 5  # one count, then several slices
