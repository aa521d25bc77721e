"""Pairwise precision, recall and F1 of a clustering against known truth.

The same measure the Splink figures in the shared data README use: a pair of records
is predicted linked when both are in one cluster and truly linked when both have the
same truth label; counted from group sizes, so no pair list is ever materialised.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa


@dataclass(frozen=True, slots=True)
class PairMetrics:
    precision: float
    recall: float
    f1: float
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int


def cluster_pair_metrics(assignments: pa.Table) -> PairMetrics:
    """``assignments`` has columns ``cluster`` (predicted) and ``truth`` per record."""
    con = duckdb.connect()
    con.register("a", assignments)
    row = con.execute(
        """
WITH p AS (SELECT count(*) AS n FROM a GROUP BY cluster),
     t AS (SELECT count(*) AS n FROM a GROUP BY truth),
     c AS (SELECT count(*) AS n FROM a GROUP BY cluster, truth)
SELECT (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM p),
       (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM t),
       (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM c)
"""
    ).fetchone()
    con.close()
    predicted, true, correct = (int(x) for x in row) if row else (0, 0, 0)
    precision = correct / predicted if predicted else 1.0
    recall = correct / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairMetrics(precision, recall, f1, predicted, true, correct)
