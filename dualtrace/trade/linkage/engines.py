"""Where the linkage SQL runs: DuckDB (default, in-process) or Apache Spark.

The pipeline is written once, as DuckDB-dialect SQL, and each engine runs it: DuckDB
directly, Spark after sqlglot translates it (the way Splink's ``DatabaseAPI`` does).
Inputs and outputs cross the boundary as Arrow tables, so the store never has to
know which engine produced a result. Jaro-Winkler on Spark comes from the similarity
UDF jar that Splink ships in its wheel, registered under the name sqlglot emits.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import pyarrow as pa
import sqlglot

from dualtrace.errors import DualtraceError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class LinkageEngine(Protocol):
    """What the pipeline needs from an engine: tables in, SQL run, Arrow out."""

    name: str
    # pairs per feature slice this engine prefers (None: the spec's ``pair_chunk``)
    pair_chunk: int | None

    def register(self, name: str, table: pa.Table) -> None: ...

    def create(self, name: str, sql: str) -> None: ...

    def arrow(self, sql: str) -> pa.Table: ...

    def scalar(self, sql: str) -> Any: ...

    def drop(self, name: str) -> None: ...

    def release_memory(self) -> None:
        """Hand memory the engine no longer uses back to the operating system."""


class DuckDBEngine:
    """Runs the pipeline in an in-memory DuckDB database (or a given connection)."""

    name = "duckdb"
    pair_chunk: int | None = None  # the spec's slices bound DuckDB's working set

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection | None = None,
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        """``memory_limit`` (e.g. ``"3GB"``) caps DuckDB's buffers for this connection:
        past it the blocking and feature joins spill to the connection's
        ``temp_directory`` instead of growing (the process also holds its Python
        objects, which the cap does not count)."""
        self.con = con if con is not None else duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute("SET memory_limit = ?", [memory_limit])
        self.con.execute("SET preserve_insertion_order = false")

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(f"_arrow_{name}", table)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _arrow_{name}")
        self.con.unregister(f"_arrow_{name}")

    def create(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def arrow(self, sql: str) -> pa.Table:
        result: pa.Table = self.con.execute(sql).to_arrow_table()
        return result

    def scalar(self, sql: str) -> Any:
        row = self.con.execute(sql).fetchone()
        return row[0] if row else None

    def drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def release_memory(self) -> None:
        """Nothing to do: DuckDB frees dropped tables' buffers itself."""


# Spark's words for a job that ran out of memory (execution memory, or the JVM heap)
_SPARK_OUT_OF_MEMORY = ("UNABLE_TO_ACQUIRE_MEMORY", "OutOfMemoryError", "SparkOutOfMemoryError")


@contextmanager
def spark_memory_errors(memory: str) -> Iterator[None]:
    """A Spark job that runs out of memory becomes one line naming the remedy.

    Spark reports it as a Java stack trace of a few hundred lines wrapped in py4j's
    error; what the user can do is give the driver more memory. At 10M generated trade
    records the 2g default failed creating the 61.9M blocking pairs and 6g ran through
    (docs/trade.md). Other errors pass unchanged.
    """
    try:
        yield
    except Exception as exc:
        if type(exc).__name__ == "Py4JJavaError" and any(
            word in str(exc) for word in _SPARK_OUT_OF_MEMORY
        ):
            raise DualtraceError(
                f"Spark ran out of memory with a {memory} driver; rerun with a larger "
                "--spark-memory (or DUALTRACE_SPARK_MEMORY), e.g. 6g for 10M trade records"
            ) from None
        raise


def to_spark_sql(sql: str) -> str:
    """DuckDB-dialect pipeline SQL in Spark SQL."""
    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def spark_session(
    master: str = "local[2]",
    memory: str = "2g",
    partitions: int = 8,
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """A Spark session with Splink's similarity UDFs on the class path; ``conf`` adds
    or overrides Spark settings (applied before the session starts)."""
    try:
        from pyspark.sql import SparkSession
        from splink.internals.spark.jar_location import similarity_jar_location
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise DualtraceError(f"--engine spark needs pyspark and splink: {exc}") from exc
    os.environ.setdefault("PYSPARK_PYTHON", "python3")
    builder = (
        SparkSession.builder.master(master)
        .appName("dualtrace-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(int(partitions)))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # the pipeline joins millions of pairs to tables of a few megabytes (records,
        # token weights): adaptive execution may then hash-join on the small side (and
        # broadcast it when tiny) instead of sorting both sides; partitions above these
        # sizes keep the sort-merge join, which spills. At 1M generated trade records
        # ours took 398 s instead of 557 s (back to back, load 3.3-4.0) with precision
        # and F1 equal to the last digit; with these settings a scratch run gave links,
        # EM parameters and clusters identical to DuckDB's at 1M. The bench's Splink
        # case uses this builder too
        .config("spark.sql.adaptive.maxShuffledHashJoinLocalMapThreshold", "64m")
        .config("spark.sql.adaptive.autoBroadcastJoinThreshold", "32m")
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# Spark's feature slices: each slice is a dozen small jobs (scheduling, a checkpoint),
# which is where Spark's time goes, while its shuffles spill on their own; DuckDB's
# 500k slices bound a working set Spark does not need bounded the same way
SPARK_PAIR_CHUNK = 4_000_000

# Where Spark keeps the pipeline's tables: on local disk (the OS page cache serves the
# re-reads) rather than as deserialised rows in the driver's heap, which grew the heap
# to its limit. At 1M generated trade records with a 6g driver (bench/linkage.py, one
# run each beside other work, load 2.5-3.5) the case's peak fell from 8.09 to 4.52 GB
# (the JVM's from 7.05 to 3.49) and its CPU from 422 to 403 s, P/R/F1 unchanged.
SPARK_STORAGE: str | None = "DISK_ONLY"


class SparkEngine:
    """Runs the pipeline on Spark; every created table is materialised and cached."""

    name = "spark"

    def __init__(
        self,
        spark: SparkSession,
        pair_chunk: int | None = SPARK_PAIR_CHUNK,
        storage: str | None = SPARK_STORAGE,
    ) -> None:
        """``storage`` names the ``pyspark.StorageLevel`` the created tables are kept
        at (``None``: Spark's default for a local checkpoint, deserialised rows in the
        heap); see :data:`SPARK_STORAGE`."""
        # No Java UDF is registered: the pipeline compares names with Levenshtein, which
        # Spark has built in, so a session created elsewhere (without Splink's jar on its
        # class path, e.g. the graph engine's) runs the same SQL.
        self.spark = spark
        self.pair_chunk = pair_chunk
        self._cached: dict[str, Any] = {}
        self._storage: Any = None
        if storage is not None:
            from pyspark import StorageLevel

            self._storage = getattr(StorageLevel, storage)

    def _checkpoint(self, df: Any) -> Any:
        """``df`` computed once and cut from its plan, kept at the engine's level."""
        return df.localCheckpoint(eager=True, storageLevel=self._storage)

    def register(self, name: str, table: pa.Table) -> None:
        self.drop(name)
        df = self._checkpoint(self.spark.createDataFrame(table))
        df.createOrReplaceTempView(name)
        self._cached[name] = df

    def create(self, name: str, sql: str) -> None:
        df = self._checkpoint(self.spark.sql(to_spark_sql(sql)))
        self.drop(name)
        df.createOrReplaceTempView(name)
        self._cached[name] = df

    def arrow(self, sql: str) -> pa.Table:
        result: pa.Table = self.spark.sql(to_spark_sql(sql)).toArrow()
        return result

    def scalar(self, sql: str) -> Any:
        rows = self.spark.sql(to_spark_sql(sql)).collect()
        return rows[0][0] if rows else None

    def drop(self, name: str) -> None:
        df = self._cached.pop(name, None)
        if df is not None:
            df.unpersist()
        self.spark.catalog.dropTempView(name)

    def release_memory(self) -> None:
        """A full garbage collection in the driver's JVM, so it gives back its heap.

        A JVM keeps the heap it grew to for the scoring (up to ``spark.driver.memory``)
        though the tables it then held are dropped; after a full collection Java's G1
        uncommits what is free beyond its ``MaxHeapFreeRatio``. The pipeline calls
        this before clustering in Python, which would otherwise add its arrays on top
        of an idle but full heap.
        """
        jvm: Any = self.spark.sparkContext._jvm
        jvm.System.gc()
