"""DuckDB and Spark (local[2]) run the same SQL and produce the same clusters.

One Spark session for the module: start-up dominates, so the input is small (but
real generated data, with the look-alikes and cross-script variants).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dualtrace.store import Store
from dualtrace.trade.linkage import pipeline
from dualtrace.trade.linkage.engines import DuckDBEngine, SparkEngine, spark_session, to_spark_sql
from dualtrace.trade.linkage.party_resolution import (
    TRADE_PARTY_SPEC,
    _trade_strings,
    party_features,
)
from dualtrace.trade.linkage.pipeline import run_linkage
from dualtrace.trade.loader import load_trade
from dualtrace.trade.summary import trade_summary
from dualtrace.trade.synth import write_synthetic


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session("local[2]", memory="1g", partitions=2)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("spark")
    data = folder / "synth_200.csv"
    write_synthetic(data, 200, 21, shared_data)
    with Store.open(folder / "store.duckdb") as store:
        load_trade(store, data)
        yield store


def test_sql_translation_keeps_the_functions_spark_needs() -> None:
    sql = to_spark_sql("SELECT levenshtein(a, b), least(x, y), ln(2.0), md5(a || b) FROM t")
    assert "LEVENSHTEIN" in sql and "LEAST" in sql and "MD5" in sql


def test_duckdb_and_spark_produce_the_same_clusters(spark: Any, small_store: Store) -> None:
    features = party_features(_trade_strings(small_store), set())
    records, tokens = features.records, features.tokens
    duck, duck_params = run_linkage(DuckDBEngine(), TRADE_PARTY_SPEC, records, tokens)
    sprk, sprk_params = run_linkage(SparkEngine(spark), TRADE_PARTY_SPEC, records, tokens)
    assert duck.pairs == sprk.pairs > 0
    assert duck_params.m == sprk_params.m and duck_params.u == sprk_params.u
    assert duck.links.to_pylist() == sprk.links.to_pylist()
    assert duck.clusters.to_pylist() == sprk.clusters.to_pylist()
    assert duck.clusters.num_rows == records.num_rows
    assert len(set(duck.clusters.column("cluster_id").to_pylist())) < records.num_rows


def test_features_in_slices_give_the_same_links_on_both_engines(
    spark: Any, small_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the feature step split into hash slices of the pairs (as at 1M+ records): each
    # engine hashes differently, the rows and the clusters are still the same; the
    # links come back from Spark in several id ranges too (as at 1M+ records)
    monkeypatch.setattr(pipeline, "FETCH_ROWS", 50)
    features = party_features(_trade_strings(small_store), set())
    records, tokens = features.records, features.tokens
    whole, _ = run_linkage(DuckDBEngine(), TRADE_PARTY_SPEC, records, tokens)
    sliced = dataclasses.replace(TRADE_PARTY_SPEC, pair_chunk=whole.pairs // 3 + 1)
    # the spec's slices, not Spark's own (larger) default
    sprk, _ = run_linkage(SparkEngine(spark, pair_chunk=None), sliced, records, tokens)
    assert sprk.pairs == whole.pairs
    assert sprk.links.to_pylist() == whole.links.to_pylist()
    assert sprk.clusters.to_pylist() == whole.clusters.to_pylist()


def test_summary_is_the_same_on_both_engines(spark: Any, small_store: Store) -> None:
    duck = trade_summary(small_store, None, limit=10)
    sprk = trade_summary(small_store, SparkEngine(spark), limit=10)
    assert (duck["engine"], sprk["engine"]) == ("duckdb", "spark")
    for key in ("routes", "tiers", "consignees", "values_by_tier_and_currency"):
        assert duck[key] == sprk[key], key


def _cached_bytes(spark: Any) -> tuple[int, int]:
    """Bytes Spark's block manager holds for cached data: (heap, local disk)."""
    infos = spark.sparkContext._jsc.sc().getRDDStorageInfo()
    return sum(i.memSize() for i in infos), sum(i.diskSize() for i in infos)


@pytest.mark.parametrize("storage", ["DISK_ONLY", None])
def test_where_spark_keeps_the_tables_changes_memory_not_the_result(
    spark: Any, small_store: Store, storage: str | None
) -> None:
    # by default (DISK_ONLY) the pipeline's tables are on local disk, none in the
    # driver's heap; Spark's own default keeps them in the heap; the links and
    # clusters are DuckDB's either way
    features = party_features(_trade_strings(small_store), set())
    records, tokens = features.records, features.tokens
    duck, _ = run_linkage(DuckDBEngine(), TRADE_PARTY_SPEC, records, tokens)
    engine = SparkEngine(spark, storage=storage) if storage is None else SparkEngine(spark)
    sprk, _ = run_linkage(engine, TRADE_PARTY_SPEC, records, tokens)
    assert sprk.links.to_pylist() == duck.links.to_pylist()
    assert sprk.clusters.to_pylist() == duck.clusters.to_pylist()
    heap, disk = _cached_bytes(spark)
    assert (heap == 0 and disk > 0) if storage == "DISK_ONLY" else heap > 0
    engine.release_memory()  # a full collection, and the engine still answers
    assert engine.scalar("SELECT count(*) FROM records") == records.num_rows
    for name in list(engine._cached):
        engine.drop(name)
