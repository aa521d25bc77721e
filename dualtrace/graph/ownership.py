"""Ownership and control propagation as a fixed point of set-based joins.

OFAC FAQ 401 defines "indirectly" as ownership *through entities that are themselves
50% or more owned by blocked persons*. That makes the rule a fixed point over sets,
not a product of percentages along chains: once an entity is blocked, its whole stake
counts as a blocked person's stake. Each round adds the entities whose stakes held by
already-blocked (or listed) parties reach the threshold; only the assets touched by
the previous round's additions are re-summed (semi-naive evaluation), so the number
of rounds is the depth of the deepest chain, not the size of the graph.

Rules that do not aggregate different designated persons' holdings (the UK) are the
same computation keyed by the *root* designated person: stakes are summed per root.
Aggregating rules use one shared root ``'*'``.

Inputs (tables in the engine):
  ``{edges}(owner, asset, pct DOUBLE NULL, control BOOLEAN)`` — one row per owner and
  asset in force at the date asked; ``pct`` NULL when the share is not known.
  ``{seeds}(entity)`` — the parties listed under the rule at that date.
Outputs: ``{out}_status(entity, root, depth)`` (depth 0 = listed) and
``{out}_unknown(entity, known_pct, unknown_stakes)`` for assets where a listed or
derived owner holds a stake of unknown size and the known stakes do not decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from dualtrace.graph.engine import SqlEngine


@dataclass(frozen=True, slots=True)
class PropagationParams:
    """The parts of an ownership rule the computation needs."""

    threshold: float = 50.0
    inclusive: bool = True  # ">= threshold" (OFAC, EU, BIS) or "> threshold" (UK)
    aggregate: bool = True  # sum stakes of different listed parties
    control_counts: bool = False  # a control relationship alone suffices (EU, UK)
    max_depth: int = 64

    def test_sql(self, pct: str, ctrl: str) -> str:
        op = ">=" if self.inclusive else ">"
        cond = f"{pct} {op} {float(self.threshold)!r}"
        if self.control_counts:
            cond = f"({cond} OR {ctrl} = 1)"
        return cond


@dataclass(frozen=True, slots=True)
class PropagationRun:
    """What a run produced: table names and how much work it took."""

    status_table: str
    unknown_table: str
    rounds: int
    listed: int
    derived: int
    unknown: int


def propagate_ownership(
    engine: SqlEngine,
    params: PropagationParams,
    edges: str = "own_edges",
    seeds: str = "own_seeds",
    out: str = "own",
) -> PropagationRun:
    """Compute every entity owned or controlled under ``params`` from ``seeds``."""
    status = f"{out}_status"
    # The round's additions are the next round's delta: two names used alternately,
    # so each round materialises only two tables (additions, and the grown status).
    names = (f"{out}_delta_a", f"{out}_delta_b")
    root_expr = "'*'" if params.aggregate else "entity"
    # With one shared root the root equality is always true, and as a join key of one
    # distinct value it makes planners build a near-cross product: leave it out.
    root_join = "" if params.aggregate else " AND s.root = t.root"
    root_anti_touched = "" if params.aggregate else " AND s.root = d.root"
    touched = f"{out}_touched"
    # Anti-joins are NOT EXISTS: both engines plan them as anti-joins (a LEFT JOIN ...
    # IS NULL is kept as an outer join by Spark, which then cannot broadcast it).
    listed = engine.materialize(
        status,
        f"SELECT DISTINCT entity, {root_expr} AS root, 0 AS depth FROM {seeds}",
    )
    delta = names[1]
    engine.materialize(delta, f"SELECT entity, root FROM {status}")
    rounds = 0
    derived = 0
    for depth in range(1, params.max_depth + 1):
        rounds = depth
        nxt = names[depth % 2]
        # Assets the last round's additions hold stakes in, not yet reached for that
        # root: a table of its own, so an engine can broadcast it when it is small
        # (Spark then scans the edges once per round instead of shuffling them).
        touched_rows = engine.materialize(
            touched,
            f"""
            SELECT DISTINCT e.asset, d.root
            FROM {edges} e JOIN {delta} d ON e.owner = d.entity
            WHERE NOT EXISTS (
              SELECT 1 FROM {status} s WHERE s.entity = e.asset{root_anti_touched})
            """,
        )
        if touched_rows == 0:
            break
        added = engine.materialize(
            nxt,
            f"""
            WITH cand AS (
              SELECT t.asset AS entity, t.root,
                     SUM(e.pct) AS pct,
                     MAX(CASE WHEN e.control THEN 1 ELSE 0 END) AS ctrl
              FROM {edges} e
              JOIN {touched} t ON t.asset = e.asset
              JOIN {status} s ON s.entity = e.owner{root_join}
              GROUP BY t.asset, t.root
            )
            SELECT c.entity, c.root FROM cand c
            WHERE {params.test_sql("c.pct", "c.ctrl")}
            """,
        )
        if added == 0:
            break
        derived += added
        engine.materialize(
            status,
            f"SELECT entity, root, depth FROM {status} "
            f"UNION ALL SELECT entity, root, {depth} AS depth FROM {nxt}",
        )
        delta = nxt
    unknown_table = f"{out}_unknown"
    unknown = engine.materialize(
        unknown_table,
        f"""
        WITH held AS (
          SELECT DISTINCT e.owner, e.asset, e.pct
          FROM {edges} e JOIN {status} s ON s.entity = e.owner
        ), agg AS (
          SELECT asset, SUM(pct) AS known_pct,
                 SUM(CASE WHEN pct IS NULL THEN 1 ELSE 0 END) AS unknown_stakes
          FROM held GROUP BY asset
        )
        SELECT a.asset AS entity, COALESCE(a.known_pct, 0.0) AS known_pct, a.unknown_stakes
        FROM agg a
        WHERE a.unknown_stakes > 0
          AND NOT EXISTS (SELECT 1 FROM {status} s WHERE s.entity = a.asset)
        """,
    )
    for name in (*names, touched):
        engine.drop(name)
    return PropagationRun(status, unknown_table, rounds, listed, derived, unknown)
