"""Two SQL engines for the heavy graph steps: DuckDB (default) and Spark (scale-out).

Ownership propagation and distance-to-listed are written once, as a sequence of plain
SQL statements in the dialect both engines accept (joins, GROUP BY, CASE, MIN/SUM,
LEFT JOIN ... IS NULL for anti-joins). An engine only knows how to hold a named table,
materialise a query into one, and fetch rows; the algorithms in
:mod:`dualtrace.graph.ownership` and :mod:`dualtrace.graph.distance` drive the
iteration. This follows Splink's split between generated SQL and a backend-specific
``DatabaseAPI``, so one test can run the same graph on both and compare.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

_COUNTER = itertools.count()


class SqlEngine(Protocol):
    """What the iterative graph algorithms need from a SQL engine."""

    name: str

    def put_arrow(self, name: str, table: pa.Table) -> None:
        """Make ``table`` queryable as ``name`` (replacing any table of that name)."""

    def materialize(self, name: str, sql: str) -> int:
        """Run ``sql`` and keep its result as table ``name``; returns its row count."""

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a query, for small results (explanations, counts, tests)."""

    def drop(self, name: str) -> None:
        """Forget table ``name`` (no error when absent)."""


class DuckDBEngine:
    """Temporary tables on a DuckDB connection (works on read-only stores too)."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection | None = None) -> None:
        self.con = con if con is not None else duckdb.connect()

    def put_arrow(self, name: str, table: pa.Table) -> None:
        view = f"_dt_arrow_{next(_COUNTER)}"
        self.con.register(view, table)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")
        finally:
            self.con.unregister(view)

    def materialize(self, name: str, sql: str) -> int:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        row = self.con.execute(f"SELECT count(*) FROM {name}").fetchone()
        return int(row[0]) if row else 0

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.con.execute(sql).fetchall()]

    def drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")


class SparkEngine:
    """Temp views on a Spark session, shaped so the iterative algorithms scale.

    * Every materialised step is ``localCheckpoint``ed: without it each iteration
      would re-plan all previous ones and the plan would grow with the graph's depth.
      The checkpoint of the table it replaces is then released (its blocks would
      otherwise pile up round after round in the one JVM of ``local[2]``).
    * A step whose result has at most ``broadcast_rows`` rows (a propagation delta, a
      BFS frontier, the blocked set) is registered with a broadcast hint, so the next
      round joins it to the big edge tables without shuffling and sorting the edges.
      Spark cannot size a checkpointed table by itself, so it would otherwise shuffle
      both sides every round.
    * Input tables (the edges) are read once from Parquet and cached in memory, so the
      rounds scan memory rather than decode files again.
    * Shuffle partitions default to 4 for ``local[2]`` with adaptive coalescing: enough
      to keep each task's share of a 10M-row shuffle small, few enough that the
      per-task overhead of the many small rounds stays low.

    Arrow tables travel through Parquet files in a private temporary folder (Spark
    reads them in parallel; no pandas, no Python UDFs, nothing big is collected).
    """

    name = "spark"

    def __init__(
        self,
        master: str = "local[2]",
        shuffle_partitions: int = 4,
        memory: str = "2g",
        broadcast_rows: int = 300_000,
    ) -> None:
        from pyspark.sql import SparkSession

        self.spark = (
            SparkSession.builder.master(master)
            .appName("dualtrace-graph")
            .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.adaptive.enabled", "true")
            .config("spark.sql.adaptive.coalescePartitions.enabled", "true")
            .config("spark.driver.memory", memory)
            # broadcasts are decided here from row counts, not from Spark's estimates
            .config("spark.sql.autoBroadcastJoinThreshold", "-1")
            .config("spark.sql.broadcastTimeout", "1200")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self._tmp = Path(tempfile.mkdtemp(prefix="dualtrace-spark-"))
        self.partitions = shuffle_partitions
        self.broadcast_rows = broadcast_rows
        self._cached: dict[str, Any] = {}  # name -> cached input DataFrame
        self._rdds: dict[str, set[int]] = {}  # name -> ids of its checkpointed RDDs

    def persistent_rdds(self) -> set[int]:
        """Ids of the RDDs Spark keeps (checkpoints, caches): what the rounds hold."""
        jsc = self.spark.sparkContext._jsc
        return {int(k) for k in jsc.getPersistentRDDs().keySet().toArray()}

    def _release(self, name: str) -> None:
        """Free the memory held by the previous table of this name."""
        df = self._cached.pop(name, None)
        if df is not None:
            df.unpersist()
        rdds = self._rdds.pop(name, set())
        if rdds:
            live = self.spark.sparkContext._jsc.getPersistentRDDs()
            for rdd_id in rdds:
                rdd = live.get(rdd_id)
                if rdd is not None:
                    rdd.unpersist(False)

    def _register(self, name: str, df: Any, rows: int) -> None:
        if rows <= self.broadcast_rows:
            from pyspark.sql.functions import broadcast

            df = broadcast(df)
        df.createOrReplaceTempView(name)

    def put_arrow(self, name: str, table: pa.Table) -> None:
        path = self._tmp / f"{name}-{next(_COUNTER)}.parquet"
        pq.write_table(table, path)
        df = self.spark.read.parquet(str(path)).cache()
        rows = int(df.count())
        self._release(name)
        self._cached[name] = df
        self._register(name, df, rows)

    def materialize(self, name: str, sql: str) -> int:
        before = self.persistent_rdds()
        # coalesce: UNION ALL of each round's result would otherwise add partitions
        # every round, and the per-task overhead would grow with the graph's depth.
        df = self.spark.sql(sql).coalesce(self.partitions).localCheckpoint(eager=True)
        rows = int(df.count())
        created = self.persistent_rdds() - before
        # the new table no longer depends on the old one (checkpointed): free it
        self._release(name)
        self._rdds[name] = created
        self._register(name, df, rows)
        return rows

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def drop(self, name: str) -> None:
        self._release(name)
        self.spark.catalog.dropTempView(name)

    def close(self) -> None:
        """Stop the session and remove the Parquet staging folder."""
        self.spark.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)


def sql_str(value: str) -> str:
    """A SQL string literal; both engines accept doubled single quotes."""
    return "'" + value.replace("'", "''") + "'"
