"""Where trade linkage loses recall: the parties whose forms end up in several clusters.

Runs our pipeline (DuckDB) on a generated trade file, as ``bench/linkage.py`` does, and
prints pairwise P/R/F1 against the generator's truth, then the truth parties that lose
the most true pairs (forms, clusters, largest cluster, pairs lost), how many strong
links run between clusters of one party (refused by the coherence rule) or of two
parties (rightly refused), and for the worst parties their largest fragments with the
links between them. Spec fields can be overridden for an A/B on the same file::

    .venv/bin/python bench/linkage_loss.py --rows 300000
    .venv/bin/python bench/linkage_loss.py --rows 300000 --set pair_chunk=1000000000

This is how the recall drop with scale (0.93 at 300k, 0.84 at 1M, 0.77 at 3M before
2026-11-29) was traced to popular parties' variant groups; see docs/trade.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

import linkage as bench  # the same data preparation as the main bench

LOST_SQL = """
WITH sizes AS (SELECT truth, cluster_id, count(*) AS n FROM j GROUP BY ALL),
     per AS (SELECT truth, sum(n) AS total, count(*) AS k, max(n) AS biggest,
                    sum(n * (n - 1) / 2) AS kept FROM sizes GROUP BY truth)
SELECT truth, total, k, biggest, total * (total - 1) / 2 - kept AS lost
FROM per ORDER BY lost DESC, truth LIMIT ?
"""

REFUSED_SQL = """
SELECT count(*) FILTER (WHERE a.cluster_id <> b.cluster_id AND a.truth = b.truth),
       count(*) FILTER (WHERE a.cluster_id <> b.cluster_id AND a.truth <> b.truth),
       count(*) FILTER (WHERE a.cluster_id = b.cluster_id AND a.truth <> b.truth)
FROM links l JOIN rj a ON a.id = l.id_l JOIN rj b ON b.id = l.id_r
WHERE l.probability >= ?
"""

FRAGMENTS_SQL = """
SELECT cluster_id, count(*) AS n, min(name_key) FROM rj WHERE truth = ?
GROUP BY cluster_id ORDER BY n DESC, cluster_id LIMIT 4
"""

BETWEEN_SQL = """
SELECT a.cluster_id, b.cluster_id,
       count(*) FILTER (WHERE l.probability >= ?) AS strong, count(*) AS kept
FROM links l JOIN rj a ON a.id = l.id_l JOIN rj b ON b.id = l.id_r
WHERE a.truth = ? AND b.truth = ? AND a.cluster_id <> b.cluster_id
GROUP BY ALL ORDER BY kept DESC LIMIT 4
"""


def _override(spec: Any, assignments: list[str]) -> Any:
    changes: dict[str, Any] = {}
    for item in assignments:
        key, _, value = item.partition("=")
        if not hasattr(spec, key):
            raise SystemExit(f"--set {item}: LinkageSpec has no field {key!r}")
        changes[key] = type(getattr(spec, key))(value)
    return dataclasses.replace(spec, **changes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=10, help="parties listed")
    parser.add_argument("--set", action="append", default=[], help="spec field=value")
    args = parser.parse_args()

    from dualtrace.trade.linkage.engines import DuckDBEngine
    from dualtrace.trade.linkage.evaluation import cluster_pair_metrics
    from dualtrace.trade.linkage.party_resolution import TRADE_PARTY_SPEC, expand_clusters
    from dualtrace.trade.linkage.pipeline import run_linkage

    spec = _override(TRADE_PARTY_SPEC, args.set)
    path = bench.trade_file(args.rows, args.seed)
    records, tokens, truth, duplicates = bench.trade_features(bench.trade_strings(path))
    cpu = time.process_time()
    result, _ = run_linkage(DuckDBEngine(bench._duckdb_connection()), spec, records, tokens)
    cpu = time.process_time() - cpu
    clusters = expand_clusters(result.clusters, duplicates)
    m = cluster_pair_metrics(bench._join(clusters, truth))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(
        f"{path.name} {args.set or 'default spec'}: forms {records.num_rows:,} "
        f"pairs {result.pairs:,} links {result.links.num_rows:,} linkage CPU-s {cpu:.1f} "
        f"peak {peak:.2f} GB  P {m.precision:.4f} R {m.recall:.4f} F1 {m.f1:.4f}"
    )
    con = duckdb.connect()
    con.register("cl", clusters)
    con.register("tr", truth)
    con.register("rc", result.clusters)
    con.register("rec", records)
    con.register("links", result.links)
    con.execute(
        "CREATE TABLE j AS SELECT c.id, c.cluster_id, t.truth FROM cl c JOIN tr t USING (id)"
    )
    con.execute(
        "CREATE TABLE rj AS SELECT r.id, r.cluster_id, t.truth, x.name_key "
        "FROM rc r JOIN tr t USING (id) JOIN rec x USING (id)"
    )
    lost_total = con.execute(
        "WITH s AS (SELECT truth, cluster_id, count(*) AS n FROM j GROUP BY ALL), "
        "p AS (SELECT sum(n) AS t, sum(n * (n - 1) / 2) AS kept FROM s GROUP BY truth) "
        "SELECT sum(t * (t - 1) / 2 - kept), sum(t * (t - 1) / 2) FROM p"
    ).fetchone()
    print(f"true pairs lost: {lost_total[0]:,.0f} of {lost_total[1]:,.0f}" if lost_total else "")
    same, other, wrong = con.execute(REFUSED_SQL, [spec.threshold]).fetchone() or (0, 0, 0)
    print(
        f"strong links between clusters: {same:,} of one party (refused, recall lost), "
        f"{other:,} of two parties (rightly refused); {wrong:,} inside clusters join two"
    )
    print("party            strings clusters largest  pairs lost")
    worst = con.execute(LOST_SQL, [args.top]).fetchall()
    for party, total, k, biggest, lost in worst:
        print(f"{party:<16} {total:>7} {k:>8} {biggest:>7} {lost:>11,.0f}")
    for party, *_rest in worst[:3]:
        print(f"== {party}: largest fragments (representatives) and links between them")
        for cluster_id, n, key in con.execute(FRAGMENTS_SQL, [party]).fetchall():
            print(f"   {cluster_id} {n:>5} {key}")
        for a, b, strong, kept in con.execute(
            BETWEEN_SQL, [spec.threshold, party, party]
        ).fetchall():
            print(f"   {a} - {b}: {strong} strong, {kept} kept links")


if __name__ == "__main__":
    main()
