"""Shortest evidence-bearing paths from one entity to listed parties.

A path query is per-query work, so it runs in Python over a compressed adjacency
(CSR arrays in numpy) built once from ``g_edges``: a level-synchronous breadth-first
search whose levels are vectorised gathers, stopping at ``max_hops``. Listed parties
are end points, not stepping stones (a path *through* a listed party to another one
says nothing the shorter path does not). Every step carries the edge id, so the caller
can show the statements the connection rests on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from dualtrace.errors import InputError
from dualtrace.graph.build import EDGE_KINDS, edge_in_force_sql
from dualtrace.graph.engine import sql_str
from dualtrace.store.duckdb_store import Store

IntArray = npt.NDArray[np.int64]
EDGE_GROUPS: dict[str, tuple[str, ...]] = {
    "shared": (*(k for k in EDGE_KINDS if k.startswith("shared_")), "address_entity"),
    "corporate": ("ownership", "directorship", "membership", "employment", "representation"),
    "personal": ("family", "associate"),
}


def expand_edge_types(types: Sequence[str] | None) -> tuple[str, ...]:
    """Edge kinds from names and group names (``shared``, ``corporate``, ``personal``)."""
    if not types:
        return EDGE_KINDS
    out: list[str] = []
    for name in types:
        for part in name.split(","):
            part = part.strip()
            if not part:
                continue
            if part in EDGE_GROUPS:
                out.extend(EDGE_GROUPS[part])
            elif part in EDGE_KINDS:
                out.append(part)
            else:
                known = ", ".join((*EDGE_KINDS, *EDGE_GROUPS))
                raise InputError(f"unknown edge type {part!r} (known: {known})", field="edge-types")
    return tuple(dict.fromkeys(out))


@dataclass(slots=True)
class Adjacency:
    """Undirected CSR adjacency: neighbours of node i are nbr[indptr[i]:indptr[i+1]]."""

    ids: list[str]
    indptr: IntArray
    nbr: IntArray
    edge: IntArray  # index into edge_ids for each adjacency entry
    edge_ids: list[str]
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.index:
            self.index = {v: i for i, v in enumerate(self.ids)}

    @classmethod
    def from_arrays(
        cls, n_nodes: int, src: IntArray, dst: IntArray, ids: list[str], edge_ids: list[str]
    ) -> Adjacency:
        """Both directions of each (src, dst) edge, sorted by source."""
        s = np.concatenate([src, dst])
        d = np.concatenate([dst, src])
        e = np.concatenate([np.arange(len(src)), np.arange(len(src))])
        order = np.argsort(s, kind="stable")
        counts = np.bincount(s, minlength=n_nodes)
        indptr = np.zeros(n_nodes + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(ids, indptr, d[order].astype(np.int64), e[order].astype(np.int64), edge_ids)


def adjacency_from_store(store: Store, kinds: Sequence[str], as_of: str | None = None) -> Adjacency:
    """CSR adjacency of the ``g_edges`` of ``kinds`` (dated edges filtered by ``as_of``)."""
    kind_list = ", ".join(sql_str(k) for k in kinds)
    con = store.con
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE g_adj_e AS
        SELECT e.edge_id, e.src, e.dst FROM g_edges e
        WHERE e.kind IN ({kind_list}) AND e.src <> e.dst AND {edge_in_force_sql(as_of)}
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE g_adj_n AS
        SELECT id, (row_number() OVER (ORDER BY id)) - 1 AS ix
        FROM (SELECT src AS id FROM g_adj_e UNION SELECT dst FROM g_adj_e)
        """
    )
    ids = [str(r[0]) for r in con.execute("SELECT id FROM g_adj_n ORDER BY ix").fetchall()]
    if not ids:
        empty = np.zeros(0, np.int64)
        return Adjacency([], np.zeros(1, np.int64), empty, empty, [])
    table = con.execute(
        "SELECT e.edge_id, s.ix AS si, d.ix AS di FROM g_adj_e e "
        "JOIN g_adj_n s ON s.id = e.src JOIN g_adj_n d ON d.id = e.dst"
    ).to_arrow_table()
    src = table.column("si").to_numpy().astype(np.int64)
    dst = table.column("di").to_numpy().astype(np.int64)
    edge_ids = [str(x) for x in table.column("edge_id").to_pylist()]
    return Adjacency.from_arrays(len(ids), src, dst, ids, edge_ids)


@dataclass(frozen=True, slots=True)
class RawPath:
    """Node indexes and adjacency edge indexes from source to a target."""

    nodes: tuple[int, ...]
    edges: tuple[int, ...]


def shortest_paths(
    adj: Adjacency, source: int, targets: npt.NDArray[np.bool_], max_hops: int, limit: int = 25
) -> list[RawPath]:
    """One shortest path to each target within ``max_hops`` (nearest first)."""
    n = len(adj.ids)
    parent = np.full(n, -1, dtype=np.int64)
    parent_edge = np.full(n, -1, dtype=np.int64)
    seen = np.zeros(n, dtype=np.bool_)
    seen[source] = True
    frontier = np.array([source], dtype=np.int64)
    found: list[int] = []
    for _ in range(max_hops):
        if frontier.size == 0 or len(found) >= limit:
            break
        starts = adj.indptr[frontier]
        counts = adj.indptr[frontier + 1] - starts
        total = int(counts.sum())
        if total == 0:
            break
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)
        nb = adj.nbr[offsets]
        par = np.repeat(frontier, counts)
        fresh = ~seen[nb]
        nb, par, offsets = nb[fresh], par[fresh], offsets[fresh]
        # first occurrence per new node: parents come in frontier order, deterministic
        uniq, first = np.unique(nb, return_index=True)
        seen[uniq] = True
        parent[uniq] = par[first]
        parent_edge[uniq] = adj.edge[offsets[first]]
        hit = targets[uniq]
        found.extend(int(x) for x in uniq[hit])
        frontier = uniq[~hit]  # listed parties end a path
    paths = []
    for t in found[:limit]:
        nodes = [t]
        edges = []
        while nodes[-1] != source:
            edges.append(int(parent_edge[nodes[-1]]))
            nodes.append(int(parent[nodes[-1]]))
        paths.append(RawPath(tuple(reversed(nodes)), tuple(reversed(edges))))
    return paths


def listed_mask(store: Store, adj: Adjacency, listed_sql: str) -> npt.NDArray[np.bool_]:
    """Boolean mask over adjacency nodes of the entities ``listed_sql`` selects."""
    mask = np.zeros(len(adj.ids), dtype=np.bool_)
    for (entity,) in store.con.execute(f"SELECT DISTINCT entity FROM ({listed_sql})").fetchall():
        ix = adj.index.get(str(entity))
        if ix is not None:
            mask[ix] = True
    return mask


def describe_paths(store: Store, adj: Adjacency, paths: list[RawPath]) -> list[dict[str, Any]]:
    """Paths with captions, edge kinds, roles, percentages, dates and evidence ids."""
    edge_ids = sorted({adj.edge_ids[e] for p in paths for e in p.edges})
    node_ids = sorted({adj.ids[i] for p in paths for i in p.nodes})
    edges: dict[str, dict[str, Any]] = {}
    if edge_ids:
        rows = store.con.execute(
            "SELECT edge_id, kind, src, dst, role, pct_text, start_date, end_date, dataset, "
            "evidence FROM g_edges WHERE edge_id IN (SELECT unnest(?))",
            [edge_ids],
        ).fetchall()
        keys = ("edge_id", "kind", "src", "dst", "role", "pct", "start_date", "end_date")
        for r in rows:
            item = dict(zip(keys, r[:8], strict=True))
            item["dataset"] = r[8]
            item["evidence"] = list(r[9] or [])
            edges.setdefault(str(r[0]), item)
    captions: dict[str, tuple[str, str]] = {}
    if node_ids:
        for nid, schema, caption in store.con.execute(
            "SELECT id, schema, caption FROM g_nodes WHERE id IN (SELECT unnest(?))", [node_ids]
        ).fetchall():
            captions[str(nid)] = (str(schema), str(caption))
    out = []
    for p in paths:
        nodes = []
        for i in p.nodes:
            nid = adj.ids[i]
            schema, caption = captions.get(nid, ("Attribute", nid.split(":", 1)[-1]))
            nodes.append({"id": nid, "schema": schema, "caption": caption})
        steps = [edges.get(adj.edge_ids[e], {"edge_id": adj.edge_ids[e]}) for e in p.edges]
        out.append(
            {
                "target": nodes[-1],
                "hops": len(p.edges),
                "nodes": nodes,
                "edges": steps,
                "text": path_text(nodes, steps),
            }
        )
    return out


def path_text(nodes: list[dict[str, Any]], steps: list[dict[str, Any]]) -> str:
    """``A -[owns 51%]-> B <-[directs]- C`` with the edge's own direction."""
    parts = [str(nodes[0]["caption"])]
    for node, prev, step in zip(nodes[1:], nodes[:-1], steps, strict=True):
        label = str(step.get("kind", "link"))
        if step.get("role"):
            label += f" '{step['role']}'"
        if step.get("pct"):
            label += f" {step['pct']}%"
        forward = step.get("src") == prev["id"]
        parts.append(f"-[{label}]->" if forward else f"<-[{label}]-")
        parts.append(str(node["caption"]))
    return " ".join(parts)


def listed_in_force_sql(as_of: str | None) -> str:
    """Every listed party (any authority) whose listing is in force at ``as_of``."""
    from dualtrace.graph.build import listing_in_force_sql

    return f"SELECT entity FROM g_listed WHERE {listing_in_force_sql(as_of)}"


def find_paths(
    store: Store,
    entity: str,
    listed_sql: str,
    max_hops: int = 4,
    edge_types: Sequence[str] | None = None,
    as_of: str | None = None,
    limit: int = 25,
) -> list[dict[str, Any]]:
    """Shortest paths from ``entity`` to the parties ``listed_sql`` selects (graph built)."""
    if max_hops < 1 or max_hops > 12:
        raise InputError("must be between 1 and 12", field="max-hops")
    adj = adjacency_from_store(store, expand_edge_types(edge_types), as_of)
    source = adj.index.get(entity)
    if source is None:
        return []
    targets = listed_mask(store, adj, listed_sql)
    targets[source] = False
    return describe_paths(store, adj, shortest_paths(adj, source, targets, max_hops, limit))
