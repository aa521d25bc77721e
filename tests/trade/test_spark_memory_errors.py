"""A Spark job out of memory is one line naming --spark-memory, not a Java stack trace."""

from __future__ import annotations

import pytest

from dualtrace.errors import DualtraceError
from dualtrace.trade.linkage.engines import spark_memory_errors


class Py4JJavaError(Exception):
    """Stands in for py4j's error (matched by name: py4j's needs a live JVM to build)."""


# the first line of what Spark raised at 10M records with the 2g driver
OOM = (
    "An error occurred while calling o117.localCheckpoint.\n: org.apache.spark.SparkException: "
    "Job aborted due to stage failure: Task 8 in stage 82.0 failed 1 times, most recent "
    "failure: Lost task 8.0 in stage 82.0 (TID 6016): org.apache.spark.memory."
    "SparkOutOfMemoryError: [UNABLE_TO_ACQUIRE_MEMORY] Unable to acquire 262144 bytes of "
    "memory, got 0. SQLSTATE: 53200\n\tat org.apache.spark.errors.SparkCoreErrors$..."
)


def test_out_of_memory_names_the_option() -> None:
    with pytest.raises(DualtraceError) as err, spark_memory_errors("2g"):
        raise Py4JJavaError(OOM)
    text = str(err.value)
    assert "2g driver" in text and "--spark-memory" in text and "\n" not in text


def test_other_spark_errors_pass_unchanged() -> None:
    with pytest.raises(Py4JJavaError, match="AnalysisException"), spark_memory_errors("2g"):
        raise Py4JJavaError("org.apache.spark.sql.AnalysisException: no such column")
    with pytest.raises(MemoryError), spark_memory_errors("2g"):
        raise MemoryError("UNABLE_TO_ACQUIRE_MEMORY")  # not Spark's: Python's own
