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
    """Temp views on a Spark session; each step is checkpointed to cut the lineage.

    Without the checkpoint every iteration would re-plan all previous ones and the
    plan would grow with the graph's depth. Arrow tables travel through Parquet files
    in a private temporary folder (Spark reads them in parallel; no pandas needed).
    """

    name = "spark"

    def __init__(
        self, master: str = "local[2]", shuffle_partitions: int = 2, memory: str = "2g"
    ) -> None:
        from pyspark.sql import SparkSession

        self.spark = (
            SparkSession.builder.master(master)
            .appName("dualtrace-graph")
            .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.adaptive.enabled", "true")
            .config("spark.driver.memory", memory)
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self._tmp = Path(tempfile.mkdtemp(prefix="dualtrace-spark-"))
        self.partitions = shuffle_partitions

    def put_arrow(self, name: str, table: pa.Table) -> None:
        path = self._tmp / f"{name}-{next(_COUNTER)}.parquet"
        pq.write_table(table, path)
        df = self.spark.read.parquet(str(path))
        df.createOrReplaceTempView(name)

    def materialize(self, name: str, sql: str) -> int:
        # coalesce: UNION ALL of each round's result would otherwise add partitions
        # every round, and the per-task overhead would grow with the graph's depth.
        df = self.spark.sql(sql).coalesce(self.partitions).localCheckpoint(eager=True)
        df.createOrReplaceTempView(name)
        return int(df.count())

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def close(self) -> None:
        """Stop the session and remove the Parquet staging folder."""
        self.spark.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)


def sql_str(value: str) -> str:
    """A SQL string literal; both engines accept doubled single quotes."""
    return "'" + value.replace("'", "''") + "'"
