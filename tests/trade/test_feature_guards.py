"""The length guards in front of Levenshtein distances must not change a level.

They exist for speed (at 300k generated records they skip most distances and cut the
features' CPU by about a third); the golden links test pins the whole pipeline, and
these cases pin the edges: a pair exactly at the ``name_sim`` floor, where binary
rounding of ``1 - floor`` could wrongly skip it, and a pair the lengths rule out.
"""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pytest

from dualtrace.trade.linkage.engines import DuckDBEngine
from dualtrace.trade.linkage.pipeline import Comparison, Level, LinkageSpec, features_sql

SPEC = LinkageSpec(
    columns=("name_key",),
    comparisons=(
        Comparison(
            "name_level",
            (Level("close", "name_sim >= 0.9", 0.5), Level("different", "TRUE", 0.5)),
        ),
    ),
    name_sim_floor=0.9,
)
TWENTY = "abcdefghij" * 2


def _levels(spec: LinkageSpec, names: list[str], pairs: list[tuple[int, int]]) -> list[int]:
    engine = DuckDBEngine()
    engine.register("records", pa.table({"id": list(range(len(names))), "name_key": names}))
    engine.register(
        "tw",
        pa.table(
            {"id": pa.array([], pa.int64()), "token": pa.array([], pa.string()),
             "n": pa.array([], pa.int64()), "wi": pa.array([], pa.int64())}
        ),
    )  # fmt: skip
    engine.register(
        "rw", pa.table({"id": pa.array([], pa.int64()), "total_w": pa.array([], pa.float64())})
    )
    engine.register(
        "pairs", pa.table({"id_l": [a for a, _ in pairs], "id_r": [b for _, b in pairs]})
    )
    table = engine.arrow(f"SELECT * FROM ({features_sql(spec, 'pairs')}) ORDER BY id_l, id_r")
    return [int(v) for v in table.column("name_level").to_pylist()]


def test_a_pair_exactly_at_the_floor_is_still_compared() -> None:
    # 18 of 20 letters: distance 2, similarity 1 - 2/20 = 0.9 exactly; in doubles
    # (1 - 0.9) * 20 is 1.9999999999999996, below the length difference of 2
    names = [TWENTY, TWENTY[:18], TWENTY[:10]]
    close, different = 1, 2  # codes: null, close, different, else
    assert _levels(SPEC, names, [(0, 1), (0, 2)]) == [close, different]


def test_guarded_and_unguarded_features_agree() -> None:
    names = [TWENTY, TWENTY[:18], TWENTY[:17], TWENTY[:10], "abcdefghix" * 2, "zz", ""]
    pairs = [(a, b) for a in range(len(names)) for b in range(a + 1, len(names))]
    unguarded = dataclasses.replace(SPEC, name_sim_floor=0.0)
    assert _levels(SPEC, names, pairs) == _levels(unguarded, names, pairs)
    assert "abs(length" in features_sql(SPEC, "pairs")
    assert "abs(length" not in features_sql(unguarded, "pairs")


def test_a_spec_whose_level_reads_below_the_floor_is_refused() -> None:
    low = Comparison(
        "name_level",
        (Level("close", "name_sim >= 0.6", 0.5), Level("different", "TRUE", 0.5)),
    )
    with pytest.raises(ValueError, match=r"name_level/close reads name_sim 0\.6"):
        LinkageSpec(columns=("name_key",), comparisons=(low,), name_sim_floor=0.75)
    assert LinkageSpec(columns=("name_key",), comparisons=(low,), name_sim_floor=0.6)
