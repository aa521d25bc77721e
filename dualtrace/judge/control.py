"""Control derived from what the data states, for the rules that count control (EU, UK).

Relationship roles ("subsidiary of") were the only source of control before; the data
says more. An Ownership record may state a majority of the voting rights, the right to
appoint or remove a majority of the board, or a controlling stake; a Directorship may
record the only director; a listing text or sanctions reason may say a party is
"controlled by" or "a subsidiary of" another listed party; a document may claim "X, a
subsidiary of Y". Each becomes one row of the TEMP table ``g_control`` with the
pattern that matched, its basis in words, the statement text and the statement (or
claim) ids, so a derived "controlled" status can say why and cite its evidence.

Only explicit statements count. Text negating control ("non-controlling", "minority")
never does; a director, a stake of unknown size or a general "related to" stays what
it is. The patterns are data (``rules/ownership_rules.yaml``, ``control_evidence``)
with the guidance they follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from dualtrace.errors import InputError
from dualtrace.graph.engine import sql_str
from dualtrace.store.duckdb_store import Store

RULES_FILE = "ownership_rules.yaml"
# Relationship properties whose free text may state control.
RELATION_TEXT_PROPS: tuple[str, ...] = (
    "role",
    "relationship",
    "summary",
    "description",
    "ownershipType",
    "legalBasis",
    "status",
)
LISTING_PREFIX = "named in listing text: ..."
# dualtrace.graph.build marks a mention whose preceding words follow another named party
SHADOWED_PREFIX = "named in listing text, after another named party"


@dataclass(frozen=True, slots=True)
class ControlPattern:
    id: str
    basis: str
    pattern: str


@dataclass(frozen=True, slots=True)
class ControlEvidence:
    """The patterns that turn statements into control, with their citations."""

    negation: str
    relationship: tuple[ControlPattern, ...]
    directorship: tuple[ControlPattern, ...]
    named_after: tuple[ControlPattern, ...]
    names_after_control: tuple[ControlPattern, ...]
    document_relations: tuple[str, ...]
    citations: tuple[str, ...]


def _patterns(data: dict[str, Any], key: str) -> tuple[ControlPattern, ...]:
    out = []
    for i, item in enumerate(data.get(key) or []):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("id", "basis", "pattern")
        ):
            raise InputError(
                "each control pattern needs string id, basis and pattern",
                file=RULES_FILE,
                field=f"control_evidence.{key}[{i}]",
            )
        out.append(ControlPattern(item["id"], item["basis"], item["pattern"]))
    return tuple(out)


def parse_control_evidence(text: str) -> ControlEvidence:
    """The ``control_evidence`` section of the rules file; malformed data names its field."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=RULES_FILE) from exc
    data = doc.get("control_evidence") if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        raise InputError("expected a 'control_evidence' mapping", file=RULES_FILE)
    return ControlEvidence(
        negation=str(data.get("negation") or "$^"),
        relationship=_patterns(data, "relationship"),
        directorship=_patterns(data, "directorship"),
        named_after=_patterns(data, "named_after"),
        names_after_control=_patterns(data, "names_after_control"),
        document_relations=tuple(str(r) for r in data.get("document_relations") or []),
        citations=tuple(str(c) for c in data.get("citations") or []),
    )


@cache
def control_evidence() -> ControlEvidence:
    """The patterns shipped with dualtrace."""
    text = resources.files("dualtrace.judge").joinpath("rules", RULES_FILE).read_text("utf-8")
    return parse_control_evidence(text)


def _matches(expr: str, pattern: str, negation: str) -> str:
    return (
        f"regexp_matches(lower({expr}), {sql_str(pattern)}) "
        f"AND NOT regexp_matches(lower({expr}), {sql_str(negation)})"
    )


def _relation_sql(ev: ControlEvidence) -> list[str]:
    """Ownership and Directorship texts: the subject controls the object."""
    props = ", ".join(sql_str(p) for p in RELATION_TEXT_PROPS)
    parts = []
    for kind, patterns in (("ownership", ev.relationship), ("directorship", ev.directorship)):
        for p in patterns:
            parts.append(
                f"""
                SELECT e.src AS controller, e.dst AS entity, {sql_str(p.id)} AS pattern_id,
                       {sql_str(p.basis)} AS basis,
                       {sql_str(kind + " record")} || ' ' || e.edge_id || ' states: ' || s.value
                         AS statement,
                       e.start_date, e.end_date, e.dataset,
                       list_distinct(list_prepend(s.id, e.evidence)) AS evidence
                FROM g_edges e JOIN g_stmt s ON s.canonical_id = e.edge_id
                WHERE e.kind = {sql_str(kind)} AND s.prop IN ({props})
                  AND {_matches("s.value", p.pattern, ev.negation)}
                """
            )
    return parts


def _listing_sql(ev: ControlEvidence) -> list[str]:
    """Listing texts: words before a named party relate it to the text's subject.

    A mention edge from a listing's subject to a party it names keeps the eight words
    before the name. When another named party stands within them, the graph marks the
    edge and those words are about that party, not about the subject ("intermediary
    between IEMZ Kupol, a subsidiary of ... Almaz-Antey" in TSK Vektor's listing makes
    Almaz-Antey Kupol's parent, not Vektor's): the pair edge between the two carries it.
    """
    words = (
        f"CASE WHEN m.role LIKE {sql_str(LISTING_PREFIX + '%')} "
        f"THEN substr(m.role, {len(LISTING_PREFIX) + 1}) ELSE m.role END"
    )
    shadowed = f"m.role LIKE {sql_str(SHADOWED_PREFIX + '%')}"
    parts = []
    for patterns, controller, entity in (
        (ev.named_after, "m.dst", "m.src"),
        (ev.names_after_control, "m.src", "m.dst"),
    ):
        for p in patterns:
            parts.append(
                f"""
                SELECT {controller} AS controller, {entity} AS entity,
                       {sql_str(p.id)} AS pattern_id, {sql_str(p.basis)} AS basis,
                       'listing text (' || m.evidence[1] || '): ...' || ({words}) ||
                         ' [named: ' || coalesce(n.caption, m.dst) || ']' AS statement,
                       NULL AS start_date, NULL AS end_date, m.dataset, m.evidence
                FROM g_edges m LEFT JOIN g_nodes n ON n.id = m.dst
                WHERE m.kind = 'mention'
                  AND {_matches(words, p.pattern, ev.negation)}
                  AND NOT ({shadowed})
                """
            )
    return parts


def _has_table(store: Store, name: str) -> bool:
    row = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def _document_sql(ev: ControlEvidence, store: Store) -> list[str]:
    """Document claims "X, a subsidiary of Y" with both parties linked: Y controls X.

    Claims awaiting review count (they are evidence, and the statement says the claim
    is pending); rejected ones do not, nor edited ones (the edited value is the
    reviewer's text, no longer the linked parties).
    """
    if not ev.document_relations or not (
        _has_table(store, "claims") and _has_table(store, "claim_reviews")
    ):
        return []
    rels = ", ".join(sql_str(r) for r in ev.document_relations)
    return [
        f"""
        SELECT coalesce(gy.canonical_id, c.y) AS controller,
               coalesce(gx.canonical_id, c.x) AS entity,
               'document-' || replace(c.rel, '_', '-') AS pattern_id,
               'document claim: ' || replace(c.rel, '_', ' ') AS basis,
               'document ' || c.doc_id || ' (page ' || c.page || ', chars ' || c.span_start ||
                 '-' || c.span_end || ', claim ' || coalesce(c.decision, 'pending review') ||
                 '): "' || c.quote || '"' AS statement,
               NULL AS start_date, NULL AS end_date, 'documents' AS dataset,
               [c.claim_id] AS evidence
        FROM (
          SELECT k.claim_id, k.doc_id, k.page, k.span_start, k.span_end, k.quote, l.decision,
                 json_extract_string(k.details, '$.relation') AS rel,
                 json_extract_string(k.details, '$.x.entity_id') AS x,
                 json_extract_string(k.details, '$.y.entity_id') AS y
          FROM claims k LEFT JOIN (
            SELECT claim_id, arg_max(decision, reviewed_at) AS decision
            FROM claim_reviews GROUP BY claim_id
          ) l ON l.claim_id = k.claim_id
          WHERE k.kind = 'relation' AND coalesce(l.decision, '') NOT IN ('reject', 'edit')
        ) c
        LEFT JOIN g_canon gx ON gx.entity_id = c.x
        LEFT JOIN g_canon gy ON gy.entity_id = c.y
        WHERE c.rel IN ({rels}) AND c.x IS NOT NULL AND c.y IS NOT NULL
        """
    ]


def ensure_control(store: Store) -> int:
    """Build ``g_control`` for the graph built by ``build_graph`` (once per build)."""
    if _has_table(store, "g_control"):
        row = store.con.execute("SELECT count(*) FROM g_control").fetchone()
        return int(row[0]) if row else 0
    ev = control_evidence()
    parts = _relation_sql(ev) + _listing_sql(ev) + _document_sql(ev, store)
    store.con.execute(
        "CREATE OR REPLACE TEMP TABLE g_control AS SELECT * FROM ("
        + " UNION ALL ".join(parts)
        + ") WHERE controller IS NOT NULL AND entity IS NOT NULL AND controller <> entity"
    )
    row = store.con.execute("SELECT count(*) FROM g_control").fetchone()
    return int(row[0]) if row else 0
