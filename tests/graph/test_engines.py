"""The same graph on DuckDB and on Spark local[2] gives the same results."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pyarrow as pa
import pytest

from dualtrace.graph.distance import distance_to_listed
from dualtrace.graph.engine import DuckDBEngine, SparkEngine, SqlEngine
from dualtrace.graph.ownership import PropagationParams, propagate_ownership
from tests.graph.graph_cases import Edge, put_ownership, put_undirected


def random_graph(
    seed: int, layers: int = 4, width: int = 80, edges: int = 600
) -> tuple[list[Edge], list[str]]:
    """Owners in layer i hold stakes in layer i+1 (few rounds keep Spark's part short),
    with a few back edges so cycles are exercised too."""
    rng = random.Random(seed)
    out: dict[tuple[str, str], Edge] = {}
    while len(out) < edges:
        layer = rng.randrange(layers - 1)
        a = layer * width + rng.randrange(width)
        b = (layer + 1) * width + rng.randrange(width)
        if rng.random() < 0.03:
            a, b = b, a
        pct = rng.choice([None, 10.0, 25.0, 30.0, 50.0, 51.0, 75.0, 100.0])
        out[(f"n{a}", f"n{b}")] = (f"n{a}", f"n{b}", pct, rng.random() < 0.05)
    listed = sorted({f"n{rng.randrange(width * 2)}" for _ in range(25)})
    return list(out.values()), listed


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkEngine]:
    engine = SparkEngine("local[2]")
    yield engine
    engine.close()


def _propagation(
    engine: SqlEngine, edges: list[Edge], listed: list[str], params: PropagationParams
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    put_ownership(engine, edges, listed)
    run = propagate_ownership(engine, params)
    status = sorted(engine.fetch(f"SELECT entity, root, depth FROM {run.status_table}"))
    unknown = sorted(
        engine.fetch(f"SELECT entity, known_pct, unknown_stakes FROM {run.unknown_table}")
    )
    return status, unknown


@pytest.mark.slow
@pytest.mark.parametrize(
    "params",
    [
        PropagationParams(50, False, False, True),
        PropagationParams(50, True, True, False),
    ],
    ids=["uk-per-root-with-control", "ofac-aggregated"],
)
def test_propagation_same_on_duckdb_and_spark(
    spark: SparkEngine, params: PropagationParams
) -> None:
    edges, listed = random_graph(7)
    duck = _propagation(DuckDBEngine(), edges, listed, params)
    spk = _propagation(spark, edges, listed, params)
    assert duck[0] == spk[0]
    assert [(e, round(float(k), 6), int(n)) for e, k, n in duck[1]] == [
        (e, round(float(k), 6), int(n)) for e, k, n in spk[1]
    ]
    assert len(duck[0]) > len(listed)  # the case does propagate


@pytest.mark.slow
def test_distance_same_on_duckdb_and_spark(spark: SparkEngine) -> None:
    edges, listed = random_graph(11, edges=400)
    pairs = [(a, b) for a, b, _, _ in edges]
    results = []
    for engine in (DuckDBEngine(), spark):
        put_undirected(engine, pairs, listed)
        run = distance_to_listed(engine, max_hops=5)
        results.append(
            sorted(engine.fetch(f"SELECT node, dist, via, via_edge, root FROM {run.table}"))
        )
    assert results[0] == results[1]
    assert max(r[1] for r in results[0]) >= 3


def _plan(engine: SparkEngine, sql: str) -> str:
    return str(engine.spark.sql(sql)._jdf.queryExecution().executedPlan().toString())


@pytest.mark.slow
def test_spark_broadcasts_small_steps_and_shuffles_large_ones(spark: SparkEngine) -> None:
    limit = spark.broadcast_rows
    spark.broadcast_rows = 100  # so 200 edges are "large" here
    join = "SELECT count(*) FROM t_edges e JOIN t_front f ON e.src = f.node"
    try:
        spark.put_arrow("t_edges", pa.table({"src": [f"n{i}" for i in range(200)]}))
        # 112 rows: over the limit, both sides are shuffled
        spark.materialize("t_front", "SELECT src AS node FROM t_edges WHERE src < 'n2'")
        assert "BroadcastHashJoin" not in _plan(spark, join)
        assert spark.fetch(join) == [(sum(1 for i in range(200) if f"n{i}" < "n2"),)]
        # a frontier of 12 rows is broadcast and the edges are only scanned
        spark.materialize("t_front", "SELECT src AS node FROM t_edges WHERE src < 'n11'")
        assert "BroadcastHashJoin" in _plan(spark, join)
        assert spark.fetch(join) == [(sum(1 for i in range(200) if f"n{i}" < "n11"),)]
    finally:
        spark.broadcast_rows = limit
        spark.drop("t_front")
        spark.drop("t_edges")


@pytest.mark.slow
def test_spark_releases_the_steps_it_replaces(spark: SparkEngine) -> None:
    before = spark.persistent_rdds()
    for i in range(6):
        spark.materialize("t_round", f"SELECT {i} AS x")
    held = spark.persistent_rdds() - before
    assert 1 <= len(held) <= 2  # the last round's checkpoint, not six
    assert spark.fetch("SELECT x FROM t_round") == [(5,)]
    spark.drop("t_round")
    assert spark.persistent_rdds() - before == set()
