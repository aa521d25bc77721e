"""Exposure of an entity under an ownership rule as of a date, with its explained chain.

``run_rule`` applies one rule to the whole graph (set-based, via
:func:`dualtrace.graph.ownership.propagate_ownership`); ``explain`` then walks the
result backwards from one entity so each derived status says which stakes, held by
whom, listed since when, make it so — and which stakes are of unknown size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dualtrace.errors import NotFoundError
from dualtrace.graph.build import (
    build_graph,
    check_date,
    edge_in_force_sql,
    listing_in_force_sql,
)
from dualtrace.graph.engine import DuckDBEngine, sql_str
from dualtrace.graph.ownership import PropagationRun, propagate_ownership
from dualtrace.judge.control import ensure_control
from dualtrace.judge.ownership_rules import OwnershipRule, get_rule
from dualtrace.store.duckdb_store import Store


@dataclass(frozen=True, slots=True)
class RuleRun:
    rule: OwnershipRule
    as_of: str
    applies: bool
    state: str
    prefix: str
    propagation: PropagationRun | None


def _control_sql(rule: OwnershipRule) -> str:
    if not rule.control_roles:
        return "FALSE"
    likes = " OR ".join(
        f"lower(e.role) LIKE {sql_str('%' + r.lower() + '%')}" for r in rule.control_roles
    )
    return f"(e.pct IS NULL AND e.role IS NOT NULL AND ({likes}))"


def listings_sql(rule: OwnershipRule, as_of: str) -> str:
    """The ``g_listed`` rows that make a party a root of ``rule`` on ``as_of``.

    Several sources often restate one listing, some with its date and some without
    (a national copy of an EU listing, an undated programme entry). When any matching
    listing of the entity is dated, the dates decide; undated rows count only for
    entities with no dated listing at all, and are then reported as undated.
    """
    return f"""
        WITH m AS (SELECT * FROM g_listed l WHERE {rule.listing.where_sql("l")}),
        dated AS (SELECT DISTINCT entity FROM m WHERE start_date IS NOT NULL)
        SELECT m.* FROM m
        WHERE {listing_in_force_sql(as_of)}
          AND (m.start_date IS NOT NULL OR m.entity NOT IN (SELECT entity FROM dated))
    """


def run_rule(store: Store, rule: OwnershipRule, as_of: str) -> RuleRun:
    """Propagate ``rule`` over the graph already built by :func:`build_graph`."""
    as_of = check_date(as_of) or as_of
    rule = rule.on(as_of)
    applies, state = rule.state_on(as_of)
    prefix = f"x_{rule.key}"
    engine = DuckDBEngine(store.con)
    ctrl = _control_sql(rule)
    # Control derived from statements (voting rights, board appointment, sole director,
    # listing texts, document claims) counts only for rules that count control.
    derived = ""
    if rule.params.control_counts:
        ensure_control(store)
        derived = f"""
        UNION ALL
        SELECT c.controller, c.entity, NULL, TRUE FROM g_control c
        WHERE {edge_in_force_sql(as_of, "c")}
        """
    engine.materialize(
        f"{prefix}_edges",
        f"""
        SELECT owner, asset, max(pct) AS pct, bool_or(control) AS control
        FROM (
          SELECT e.src AS owner, e.dst AS asset, e.pct, {ctrl} AS control
          FROM g_edges e
          WHERE (e.kind = 'ownership' OR (e.kind = 'unknown_link' AND {ctrl}))
            AND e.src <> e.dst AND {edge_in_force_sql(as_of)}
          {derived}
        ) GROUP BY owner, asset
        """,
    )
    engine.materialize(
        f"{prefix}_seeds", f"SELECT DISTINCT entity FROM ({listings_sql(rule, as_of)})"
    )
    run = propagate_ownership(
        engine,
        rule.params,
        edges=f"{prefix}_edges",
        seeds=f"{prefix}_seeds",
        out=prefix,
    )
    return RuleRun(rule, as_of, applies, state, prefix, run)


@dataclass(slots=True)
class Stake:
    """One owner's stake in the entity, with the records it rests on."""

    owner: str
    owner_caption: str
    pct: float | None
    control: bool
    counts: bool  # held by a listed or derived party under the rule
    records: list[dict[str, Any]]
    owner_exposure: Exposure | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "owner_caption": self.owner_caption,
            "pct": self.pct,
            "pct_known": self.pct is not None,
            "control": self.control,
            "held_by_listed_or_derived": self.counts,
            "records": self.records,
            "owner_exposure": self.owner_exposure.to_dict() if self.owner_exposure else None,
        }


@dataclass(slots=True)
class Exposure:
    entity: str
    caption: str
    rule: str
    as_of: str
    applies: bool
    rule_state: str
    status: str  # listed | owned | controlled | undetermined | clear | rule-not-in-force
    held_pct: float
    listings: list[dict[str, Any]] = field(default_factory=list)
    stakes: list[Stake] = field(default_factory=list)
    explanation: str = ""
    citations: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "caption": self.caption,
            "rule": self.rule,
            "as_of": self.as_of,
            "rule_applies": self.applies,
            "rule_state": self.rule_state,
            "status": self.status,
            "held_pct": self.held_pct,
            "listings": self.listings,
            "stakes": [s.to_dict() for s in self.stakes],
            "explanation": self.explanation,
            "citations": list(self.citations),
        }


def _caption(store: Store, entity: str) -> str:
    row = store.con.execute("SELECT caption FROM g_nodes WHERE id = ?", [entity]).fetchone()
    return str(row[0]) if row else entity


def _listings(store: Store, run: RuleRun, entity: str) -> list[dict[str, Any]]:
    rule = run.rule
    rows = store.con.execute(
        f"""
        SELECT sanction_id, dataset, authority, program, program_id, start_date, end_date,
               source_url, evidence
        FROM ({listings_sql(rule, run.as_of)}) WHERE entity = ?
        ORDER BY start_date NULLS LAST, sanction_id
        """,
        [entity],
    ).fetchall()
    keys = (
        "sanction_id",
        "dataset",
        "authority",
        "program",
        "program_id",
        "start_date",
        "end_date",
        "source_url",
        "evidence",
    )
    return [dict(zip(keys, r, strict=True)) for r in rows]


def _describe_listing(listings: list[dict[str, Any]]) -> str:
    parts = []
    seen: set[str] = set()
    for item in listings:
        who = item["authority"] or item["dataset"]
        prog = item["program"] or item["program_id"]
        when = f"since {item['start_date']}" if item["start_date"] else "listing date not stated"
        text = f"{who}{f' ({prog})' if prog else ''}, {when}"
        if text not in seen:
            seen.add(text)
            parts.append(text)
    return "; ".join(parts[:3]) + (f"; and {len(parts) - 3} more" if len(parts) > 3 else "")


def _records(
    store: Store, owner: str, asset: str, as_of: str, with_control: bool = False
) -> list[dict[str, Any]]:
    """The edges behind one stake, and (for rules counting control) each statement
    from which control was derived, with its basis, text and evidence ids."""
    rows = store.con.execute(
        f"""
        SELECT e.edge_id, e.kind, e.role, e.pct_text, e.start_date, e.end_date, e.dataset,
               e.evidence
        FROM g_edges e WHERE e.src = ? AND e.dst = ?
          AND e.kind IN ('ownership', 'unknown_link') AND {edge_in_force_sql(as_of)}
        ORDER BY e.edge_id
        """,
        [owner, asset],
    ).fetchall()
    keys = ("edge_id", "kind", "role", "pct_text", "start_date", "end_date", "dataset", "evidence")
    out = [dict(zip(keys, r, strict=True)) for r in rows]
    if with_control:
        ensure_control(store)
        for row in store.con.execute(
            f"""
            SELECT c.pattern_id, c.basis, c.statement, c.start_date, c.end_date, c.dataset,
                   c.evidence
            FROM g_control c WHERE c.controller = ? AND c.entity = ?
              AND {edge_in_force_sql(as_of, "c")}
            ORDER BY c.pattern_id, c.statement
            """,
            [owner, asset],
        ).fetchall():
            out.append(
                {
                    "edge_id": f"control:{row[0]}",
                    "kind": "control",
                    "role": row[1],
                    "pct_text": None,
                    "start_date": row[3],
                    "end_date": row[4],
                    "dataset": row[5],
                    "evidence": row[6],
                    "statement": row[2],
                }
            )
    return out


def _status_of(store: Store, run: RuleRun, entity: str) -> tuple[int | None, set[str]]:
    rows = store.con.execute(
        f"SELECT depth, root FROM {run.prefix}_status WHERE entity = ?", [entity]
    ).fetchall()
    if not rows:
        return None, set()
    return min(int(r[0]) for r in rows), {str(r[1]) for r in rows}


def explain(
    store: Store, run: RuleRun, entity: str, _seen: frozenset[str] = frozenset()
) -> Exposure:
    """The entity's status under the rule with the stakes and listings behind it."""
    rule = run.rule
    caption = _caption(store, entity)
    exp = Exposure(
        entity=entity,
        caption=caption,
        rule=rule.key,
        as_of=run.as_of,
        applies=run.applies,
        rule_state=run.state,
        status="clear",
        held_pct=0.0,
        citations=rule.citations,
    )
    depth, roots = _status_of(store, run, entity)
    exp.listings = _listings(store, run, entity)
    owners = store.con.execute(
        f"SELECT owner, pct, control FROM {run.prefix}_edges WHERE asset = ? "
        "ORDER BY pct DESC NULLS LAST, owner",
        [entity],
    ).fetchall()
    seen = _seen | {entity}
    for owner, pct, control in owners:
        o_depth, o_roots = _status_of(store, run, str(owner))
        counts = o_depth is not None and (
            rule.params.aggregate or bool(o_roots & roots) or not roots
        )
        stake = Stake(
            owner=str(owner),
            owner_caption=_caption(store, str(owner)),
            pct=float(pct) if pct is not None else None,
            control=bool(control),
            counts=counts,
            records=_records(store, str(owner), entity, run.as_of, rule.params.control_counts),
        )
        if counts and str(owner) not in seen:
            stake.owner_exposure = explain(store, run, str(owner), seen)
        exp.stakes.append(stake)
    held = [s for s in exp.stakes if s.counts]
    exp.held_pct = float(sum(s.pct for s in held if s.pct is not None))
    unknown = [s for s in held if s.pct is None and not s.control]
    if depth == 0:
        exp.status = "listed"
    elif depth is not None:
        qualifying = (
            exp.held_pct >= rule.params.threshold
            if rule.params.inclusive
            else (exp.held_pct > rule.params.threshold)
        )
        exp.status = "owned" if qualifying or not any(s.control for s in held) else "controlled"
    elif unknown:
        exp.status = "undetermined"
    if not run.applies and exp.status in ("owned", "controlled", "undetermined"):
        exp.status = f"{exp.status} (rule not in force)"
    exp.explanation = _sentence(exp, rule)
    return exp


def _stake_phrase(stake: Stake) -> str:
    size = f"{stake.pct:g}%" if stake.pct is not None else "a stake of unknown size"
    derived = [r for r in stake.records if r["kind"] == "control"]
    if stake.control and derived:
        why = "; ".join(
            f"{r['role']}: {r['statement']} [{', '.join(str(e) for e in r['evidence'][:3])}]"
            for r in derived[:3]
        )
        size = f"control ({why})" if stake.pct is None else f"{size} and control ({why})"
    elif stake.control and stake.pct is None:
        role = next((r["role"] for r in stake.records if r["role"]), "control")
        size = f"control (recorded as '{role}')"
    dates = []
    edges = [r for r in stake.records if r["kind"] != "control"]
    for rec in edges[:1]:
        if rec["start_date"] or rec["end_date"]:
            dates.append(f"{rec['start_date'] or '?'} to {rec['end_date'] or 'open'}")
    texts = sorted({str(r["pct_text"]) for r in edges if r["pct_text"]})
    conflict = f"; records state {', '.join(texts)}%, highest used" if len(texts) > 1 else ""
    ref = ", ".join(str(r["edge_id"]) for r in edges[:2])
    where = f" [{ref}{'; ' + dates[0] if dates else ''}{conflict}]" if ref else ""
    why = ""
    if stake.owner_exposure is not None:
        oe = stake.owner_exposure
        if oe.status == "listed":
            why = f" (listed: {_describe_listing(oe.listings)})"
        elif oe.status.startswith(("owned", "controlled")):
            inner = "; ".join(_stake_phrase(s) for s in oe.stakes if s.counts)
            why = f" (itself {oe.status}: {inner})"
    return f"{size} held by {stake.owner_caption}{why}{where}"


def _sentence(exp: Exposure, rule: OwnershipRule) -> str:
    head = f"{exp.caption}: "
    held = [s for s in exp.stakes if s.counts]
    stakes = "; ".join(_stake_phrase(s) for s in held)
    tail = "" if exp.applies else f" — note: {exp.rule_state}"
    if exp.status == "listed":
        text = head + f"listed under {rule.key.upper()} criteria: {_describe_listing(exp.listings)}"
        if stakes:
            text += f"; also {stakes}"
        return text + tail
    if exp.status.startswith(("owned", "controlled")):
        word = rule.status_word
        return (
            head + f"{word} under the {rule.title} as of {exp.as_of} "
            f"({rule.threshold_words}{' or control' if rule.params.control_counts else ''}"
            f"{', aggregated' if rule.params.aggregate else ', per designated person'}): "
            f"{stakes}" + tail
        )
    if exp.status.startswith("undetermined"):
        return (
            head + f"undetermined under the {rule.title} as of {exp.as_of}: known stakes held "
            f"by listed or {rule.status_word} parties total {exp.held_pct:g}%, and "
            f"{sum(1 for s in held if s.pct is None)} stake(s) are of unknown size: {stakes}" + tail
        )
    if held:
        return (
            head + f"not {rule.status_word} under the {rule.title} as of {exp.as_of}: stakes "
            f"held by listed or {rule.status_word} parties total {exp.held_pct:g}% "
            f"(needs {rule.threshold_words}): {stakes}" + tail
        )
    return (
        head
        + f"no ownership by parties listed under {rule.key.upper()} criteria as of {exp.as_of}"
        + tail
    )


def exposure(
    store: Store, entity_id: str, rule_key: str, as_of: str, known_at: str | None = None
) -> Exposure:
    """Build the graph (from what was known at ``known_at``), apply the rule as of
    ``as_of``, and explain ``entity_id``."""
    rule = get_rule(rule_key)
    build_graph(store, known_at)
    entity = store.resolve_id(entity_id)
    row = store.con.execute("SELECT 1 FROM g_nodes WHERE id = ?", [entity]).fetchone()
    if row is None:
        raise NotFoundError(f"{entity_id!r} is not a party in the graph as of {as_of}")
    run = run_rule(store, rule, as_of)
    return explain(store, run, entity)
