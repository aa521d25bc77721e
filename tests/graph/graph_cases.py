"""Small ownership graphs written for the point, and a loader into any engine."""

from __future__ import annotations

import pyarrow as pa

from dualtrace.graph.engine import SqlEngine

Edge = tuple[str, str, float | None, bool]


def put_ownership(
    engine: SqlEngine, edges: list[Edge], listed: list[str], prefix: str = "own"
) -> None:
    """``edges`` as (owner, asset, pct or None, control) and ``listed`` roots."""
    engine.put_arrow(
        f"{prefix}_edges",
        pa.table(
            {
                "owner": pa.array([e[0] for e in edges], pa.string()),
                "asset": pa.array([e[1] for e in edges], pa.string()),
                "pct": pa.array([e[2] for e in edges], pa.float64()),
                "control": pa.array([e[3] for e in edges], pa.bool_()),
            }
        ),
    )
    engine.put_arrow(f"{prefix}_seeds", pa.table({"entity": pa.array(listed, pa.string())}))


def put_undirected(
    engine: SqlEngine, pairs: list[tuple[str, str]], listed: list[str], prefix: str = "dist"
) -> None:
    src = [a for a, b in pairs] + [b for a, b in pairs]
    dst = [b for a, b in pairs] + [a for a, b in pairs]
    ids = [f"e{i}" for i in range(len(pairs))] * 2
    engine.put_arrow(
        f"{prefix}_edges",
        pa.table(
            {
                "src": pa.array(src, pa.string()),
                "dst": pa.array(dst, pa.string()),
                "edge_id": pa.array(ids, pa.string()),
            }
        ),
    )
    engine.put_arrow(f"{prefix}_seeds", pa.table({"entity": pa.array(listed, pa.string())}))
