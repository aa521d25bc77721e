"""The links and clusters of a fixed generated file, pinned by digest.

Changes meant to save time or memory only (integer ids inside the engine, slices of
the pairs, names normalised on several processes) must leave every link, weight,
level and cluster as it was. The digests below were taken with the code before the
integer ids (commit 94a3008); a change that *means* to alter links (a new level, a
new blocking rule) updates them and says why in its commit.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pyarrow as pa
import pytest

from dualtrace.trade.linkage.engines import DuckDBEngine
from dualtrace.trade.linkage.party_resolution import (
    TRADE_PARTY_SPEC,
    party_features,
)
from dualtrace.trade.linkage.pipeline import run_linkage
from dualtrace.trade.synth import write_synthetic
from tests.trade.party_strings import party_strings

LINKS = "846037be14cb62b2d39e8211fd7213c8d3cbb8f7e08bf3a7f662a224f34489fb"
CLUSTERS = "04697775a0ba5e01028ea1b8643d4b46683694eb81e6eacdc4209a3712498d7f"


def _digest(table: pa.Table) -> str:
    h = hashlib.sha256()
    for row in table.to_pylist():
        h.update(repr(sorted(row.items())).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def features(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> tuple[pa.Table, pa.Table]:
    out = tmp_path_factory.mktemp("golden") / "trade_4000.parquet"
    write_synthetic(out, 4000, 31, shared_data)
    strings = party_strings(out)
    f = party_features(strings, set(), workers=1)
    return f.records, f.tokens


# one slice, four slices, and 71 slices of 1,000 pairs capped at max_pair_slices (32)
@pytest.mark.parametrize("pair_chunk", [2_000_000, 20_000, 1_000])
def test_links_and_clusters_are_unchanged(
    features: tuple[pa.Table, pa.Table], pair_chunk: int
) -> None:
    records, tokens = features
    spec = dataclasses.replace(TRADE_PARTY_SPEC, pair_chunk=pair_chunk)
    result, _ = run_linkage(DuckDBEngine(), spec, records, tokens)
    assert (result.pairs, result.links.num_rows, result.clusters.num_rows) == (70792, 8180, 5436)
    assert result.links.column("id_l").type == pa.string()  # string ids again outside
    assert _digest(result.links) == LINKS
    assert _digest(result.clusters) == CLUSTERS


class _RecordingEngine(DuckDBEngine):
    """DuckDB that remembers the tables the pipeline creates."""

    def __init__(self, pair_chunk: int | None) -> None:
        super().__init__()
        self.pair_chunk = pair_chunk
        self.created: list[str] = []

    def create(self, name: str, sql: str) -> None:
        self.created.append(name)
        super().create(name, sql)


def test_an_engines_own_slice_size_overrides_the_specs(
    features: tuple[pa.Table, pa.Table],
) -> None:
    # Spark slices by its own (larger) size; here DuckDB is given a smaller one than the
    # spec's 500k: 70,792 pairs in 20k slices are four slices, and the results are equal
    records, tokens = features
    engine = _RecordingEngine(pair_chunk=20_000)
    result, _ = run_linkage(engine, TRADE_PARTY_SPEC, records, tokens)
    assert [n for n in engine.created if n.startswith("feats")] == [f"feats_{k}" for k in range(4)]
    assert _digest(result.links) == LINKS
    assert _digest(result.clusters) == CLUSTERS
    default = _RecordingEngine(pair_chunk=None)
    run_linkage(default, TRADE_PARTY_SPEC, records, tokens)
    assert [n for n in default.created if n.startswith("feats")] == ["feats"]
