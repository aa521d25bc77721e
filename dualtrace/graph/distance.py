"""Distance and route from every entity to its nearest listed party (multi-source BFS).

One breadth-first search from all listed parties at once, one SQL round per hop: the
frontier is joined to the edges, nodes already reached are removed by an anti-join
(``NOT EXISTS``, which both engines plan as one), and each newly reached node keeps
the neighbour it was reached from (the smallest id among equals, picked with
``MIN_BY`` in one aggregation rather than a join back, so both engines pick the same
one). Following those pointers gives the
route to the nearest listed party in at most ``max_hops`` lookups, which is what makes
the per-entity route query cheap after the batch step.

Input: ``{edges}(src, dst, edge_id)`` with both directions present (the graph is read
as undirected: an owner is as close to its asset as the asset to its owner), and
``{seeds}(entity)``. Output: ``{out}(node, dist, via, via_edge, root)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from dualtrace.graph.build import edge_in_force_sql
from dualtrace.graph.engine import DuckDBEngine, SqlEngine, sql_str


@dataclass(frozen=True, slots=True)
class DistanceRun:
    table: str
    rounds: int
    reached: int


def distance_to_listed(
    engine: SqlEngine,
    max_hops: int = 6,
    edges: str = "dist_edges",
    seeds: str = "dist_seeds",
    out: str = "dist",
) -> DistanceRun:
    """Fill ``out`` with the hop distance, next hop and nearest listed root per node."""
    names = (f"{out}_front_a", f"{out}_front_b")
    reached = engine.materialize(
        out,
        f"SELECT DISTINCT entity AS node, 0 AS dist, CAST(NULL AS VARCHAR(255)) AS via, "
        f"CAST(NULL AS VARCHAR(255)) AS via_edge, entity AS root FROM {seeds}",
    )
    frontier = names[1]
    engine.materialize(frontier, f"SELECT node, root FROM {out}")
    rounds = 0
    for hop in range(1, max_hops + 1):
        rounds = hop
        nxt = names[hop % 2]
        added = engine.materialize(
            nxt,
            f"""
            WITH cand AS (
              SELECT e.dst AS node, e.src AS via, MIN(e.edge_id) AS via_edge,
                     MIN(f.root) AS root
              FROM {edges} e
              JOIN {frontier} f ON e.src = f.node
              WHERE NOT EXISTS (SELECT 1 FROM {out} d WHERE d.node = e.dst)
              GROUP BY e.dst, e.src
            )
            SELECT node, MIN(via) AS via, MIN_BY(via_edge, via) AS via_edge,
                   MIN_BY(root, via) AS root
            FROM cand GROUP BY node
            """,
        )
        if added == 0:
            break
        reached += added
        engine.materialize(
            out,
            f"SELECT node, dist, via, via_edge, root FROM {out} UNION ALL "
            f"SELECT node, {hop} AS dist, via, via_edge, root FROM {nxt}",
        )
        frontier = nxt
    for name in names:
        engine.drop(name)
    return DistanceRun(out, rounds, reached)


def distance_on_store(
    con: duckdb.DuckDBPyConnection,
    kinds: tuple[str, ...],
    listed_sql: str,
    as_of: str | None = None,
    max_hops: int = 6,
) -> DistanceRun:
    """Nearest listed party for every node of the store's graph (``g_edges`` built).

    Result in TEMP table ``g_dist``; :func:`route` follows it for one node.
    """
    engine = DuckDBEngine(con)
    kind_list = ", ".join(sql_str(k) for k in kinds)
    engine.materialize(
        "g_dist_edges",
        f"""
        SELECT src, dst, edge_id FROM g_edges e
        WHERE e.kind IN ({kind_list}) AND e.src <> e.dst AND {edge_in_force_sql(as_of)}
        UNION ALL
        SELECT dst, src, edge_id FROM g_edges e
        WHERE e.kind IN ({kind_list}) AND e.src <> e.dst AND {edge_in_force_sql(as_of)}
        """,
    )
    engine.materialize("g_dist_seeds", f"SELECT DISTINCT entity FROM ({listed_sql})")
    return distance_to_listed(
        engine, max_hops, edges="g_dist_edges", seeds="g_dist_seeds", out="g_dist"
    )


def route(
    con: duckdb.DuckDBPyConnection, node: str, table: str = "g_dist"
) -> list[tuple[str, str | None]]:
    """(node, edge id to the next node) from ``node`` to its nearest listed party."""
    out: list[tuple[str, str | None]] = []
    current: str | None = node
    while current is not None and len(out) < 64:
        row = con.execute(f"SELECT via, via_edge FROM {table} WHERE node = ?", [current]).fetchone()
        if row is None:
            return []
        out.append((current, None))
        if row[0] is None:
            break
        out[-1] = (current, str(row[1]))
        current = str(row[0])
    return out
