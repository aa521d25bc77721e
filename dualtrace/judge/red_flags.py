"""Red-flag rules over the whole store, and risk scores with their reasons.

Each rule in ``rules/red_flags.yaml`` (id, weight, sources) has one set-based query
here that returns its hits with the record ids as in the source, the entity ids they
concern, a reason in words and the evidence (statement ids or trade record keys).
Scores combine the weights of the flags concerning an entity or trade record as
independent signals, ``1 - prod(1 - w)``, plus the graph's distance to the nearest
listed party, so a score is always the sum of reasons that can be read back.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import pyarrow as pa
import yaml

from dualtrace.errors import InputError
from dualtrace.graph.build import (
    EDGE_KINDS,
    LEGAL_WORDS,
    WORD,
    build_graph,
    check_date,
    listing_in_force_sql,
)
from dualtrace.graph.distance import distance_on_store, route
from dualtrace.graph.engine import sql_str
from dualtrace.judge.exposure import explain, run_rule
from dualtrace.judge.ownership_rules import ownership_rules
from dualtrace.names.normalize import name_forms, token_key
from dualtrace.store.duckdb_store import Store

FLAGS_FILE = "red_flags.yaml"
# Score added for being close to a listed party, by hop count (0 = listed itself).
DISTANCE_WEIGHTS: dict[int, float] = {0: 1.0, 1: 0.3, 2: 0.15, 3: 0.05}


@dataclass(frozen=True, slots=True)
class FlagRule:
    id: str
    applies_to: str
    weight: float
    title: str
    sources: tuple[str, ...]
    description: str


@dataclass(frozen=True, slots=True)
class FlagBook:
    """The red-flag definitions and their parameters, as shipped."""

    version: str
    rules: dict[str, FlagRule]
    sources: dict[str, str]
    params: dict[str, Any]

    def cite(self, rule_id: str) -> list[str]:
        return [self.sources.get(s, s) for s in self.rules[rule_id].sources]


def parse_flag_book(text: str) -> FlagBook:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=FLAGS_FILE) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise InputError("expected a mapping with a 'rules' list", file=FLAGS_FILE)
    sources = {str(k): str(v) for k, v in (doc.get("sources") or {}).items()}
    rules: dict[str, FlagRule] = {}
    for item in doc["rules"]:
        rid = str(item.get("id", ""))
        weight = float(item.get("weight", -1))
        if not rid or not 0 < weight <= 1:
            raise InputError("each rule needs an id and a weight in (0, 1]", file=FLAGS_FILE)
        missing = [s for s in item.get("sources", []) if s not in sources]
        if missing or not item.get("sources"):
            raise InputError(f"unknown or missing sources {missing}", file=FLAGS_FILE, field=rid)
        rules[rid] = FlagRule(
            rid,
            str(item["applies_to"]),
            weight,
            str(item["title"]),
            tuple(item["sources"]),
            str(item.get("description", "")),
        )
    return FlagBook(str(doc.get("version", "")), rules, sources, dict(doc.get("parameters") or {}))


@cache
def flag_book() -> FlagBook:
    text = resources.files("dualtrace.judge").joinpath("rules", FLAGS_FILE).read_text("utf-8")
    return parse_flag_book(text)


@dataclass(slots=True)
class Flag:
    rule_id: str
    title: str
    score: float
    reason: str
    record_ids: list[str] = field(default_factory=list)
    entity_ids: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "score": self.score,
            "reason": self.reason,
            "record_ids": self.record_ids,
            "entity_ids": self.entity_ids,
            "evidence": self.evidence,
            "sources": self.sources,
        }


@dataclass(slots=True)
class RiskScore:
    subject: str
    kind: str  # 'entity' or 'trade_record'
    caption: str
    score: float
    reasons: list[str]
    rule_ids: list[str]
    evidence: list[str]
    distance: int | None = None
    nearest_listed: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "kind": self.kind,
            "caption": self.caption,
            "score": round(self.score, 4),
            "reasons": self.reasons,
            "rule_ids": self.rule_ids,
            "evidence": self.evidence,
            "distance_to_listed": self.distance,
            "nearest_listed": self.nearest_listed,
        }


@dataclass(slots=True)
class FlagRun:
    as_of: str
    rules_version: str
    flags: list[Flag]
    scores: list[RiskScore]

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "rules_version": self.rules_version,
            "flags": [f.to_dict() for f in self.flags],
            "scores": [s.to_dict() for s in self.scores],
        }


def _values(items: Iterable[str]) -> str:
    return ", ".join(sql_str(str(i)) for i in items)


def _regex(words: Iterable[str]) -> str:
    return sql_str("|".join(re.escape(str(w).lower()) for w in words))


def _has_trade(store: Store) -> bool:
    row = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'trade_records'"
    ).fetchone()
    return bool(row and row[0])


def _trade_base(store: Store, as_of: str) -> None:
    store.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE f_tr AS
        WITH p AS (
          SELECT record_key,
                 any_value(node) FILTER (WHERE role = 'exporter') AS exporter_node,
                 any_value(node) FILTER (WHERE role = 'importer') AS importer_node,
                 any_value(node) FILTER (WHERE role = 'notify') AS notify_node
          FROM g_trade_party GROUP BY record_key
        ), listed AS (SELECT DISTINCT entity FROM g_listed WHERE {listing_in_force_sql(as_of)}),
        -- a consignee resolved to a list entity brings that entity's country when the
        -- declaration leaves destination and consignee country empty
        ecountry AS (
          SELECT canonical_id AS node, upper(min(value)) AS country FROM g_stmt
          WHERE prop IN ('country', 'jurisdiction', 'mainCountry') GROUP BY canonical_id
        )
        SELECT r.record_key, r.record_id, r.source_file, r.source_row,
               CAST(r.date AS VARCHAR) AS date, r.hs_code, r.hs6, r.chpl_tier,
               r.military_heading, r.value, upper(r.currency) AS currency,
               r.exporter_name, r.exporter_country, r.importer_name, r.importer_country,
               r.notify_name, r.dispatch_country, r.trade_country,
               coalesce(r.destination_country, r.importer_country, ec.country) AS dest,
               p.exporter_node, p.importer_node, p.notify_node,
               p.exporter_node IN (SELECT entity FROM listed) AS exporter_listed,
               p.importer_node IN (SELECT entity FROM listed) AS importer_listed,
               coalesce(p.notify_node IN (SELECT entity FROM listed), FALSE) AS notify_listed
        FROM trade_records r LEFT JOIN p ON p.record_key = r.record_key
        LEFT JOIN ecountry ec ON ec.node = p.importer_node
        WHERE r.date IS NULL OR r.date <= CAST({sql_str(as_of)} AS DATE)
        """
    )


def _trade_flags(store: Store, book: FlagBook, as_of: str) -> list[Flag]:
    """All trade-record rules, each one query over ``f_tr``."""
    p = book.params
    dest_ok = f"dest IN ({_values(p['sanctioned_destinations'])})"
    hubs = _values(p["transshipment_hubs"])
    risky_goods = "(chpl_tier IS NOT NULL OR military_heading IS NOT NULL)"
    mil = _values(p["military_headings"])
    who = "exporter_name || ' -> ' || importer_name"
    goods = (
        "'HS ' || hs_code || coalesce(' (CHPL ' || chpl_tier || ')', '') || "
        "coalesce(' (' || military_heading || ')', '')"
    )
    queries: dict[str, str] = {
        "RF-CHPL-HUB": f"""
            SELECT record_key, {goods} || ' to ' || dest || ' from ' ||
                   coalesce(exporter_country, dispatch_country, trade_country) ||
                   ', a transshipment point named by FIN-2023-Alert004: ' || {who}
            FROM f_tr WHERE chpl_tier IS NOT NULL AND {dest_ok}
              AND (exporter_country IN ({hubs}) OR dispatch_country IN ({hubs})
                   OR trade_country IN ({hubs}))
        """,
        "RF-FORWARDER-CONSIGNEE": f"""
            SELECT record_key, 'consignee ' || importer_name ||
                   ' is named as a forwarder/logistics/trading firm; goods ' || {goods}
            FROM f_tr WHERE {risky_goods}
              AND regexp_matches(lower(importer_name), {_regex(p["forwarder_keywords"])})
        """,
        "RF-NEW-COMPANY-CHPL": f"""
            SELECT f.record_key, 'party ' || n.caption || ' incorporated ' || min(s.value) ||
                   ' (after ' || {sql_str(p["invasion_date"])} || ') trades ' || {goods}
            FROM f_tr f
            JOIN g_stmt s ON s.canonical_id IN (f.exporter_node, f.importer_node)
                         AND s.prop = 'incorporationDate'
            JOIN g_nodes n ON n.id = s.canonical_id
            WHERE {risky_goods} AND s.value > {sql_str(p["invasion_date"])}
            GROUP BY f.record_key, n.caption, hs_code, chpl_tier, military_heading
        """,
        "RF-CURRENCY": f"""
            SELECT record_key, {goods} || ' bound for ' || dest || ' invoiced in ' || currency
                   || ': ' || {who}
            FROM f_tr WHERE {risky_goods} AND {dest_ok}
              AND currency IN ({_values(p["settlement_currencies"])})
        """,
        "RF-LINE-OF-BUSINESS": f"""
            SELECT record_key, 'buyer ' || importer_name ||
                   ' is named for an unrelated trade but imports ' || {goods}
            FROM f_tr
            WHERE (chpl_tier IN ('TIER_1', 'TIER_2') OR military_heading IN ({mil}))
              AND regexp_matches(lower(importer_name), {_regex(p["unrelated_business_keywords"])})
        """,
        "RF-UAV-DEFENCE": f"""
            SELECT record_key, {goods} || ' consigned to ' || importer_name ||
                   CASE WHEN importer_listed THEN ' (a listed party)'
                        ELSE ' (named as a defence plant)' END || ' in ' || dest
            FROM f_tr WHERE military_heading IN ({mil}) AND {dest_ok}
              AND (importer_listed OR notify_listed
                   OR regexp_matches(lower(importer_name), {_regex(p["defence_keywords"])}))
        """,
        "RF-LISTED-PARTY": """
            SELECT record_key, 'listed party in the trade: ' || concat_ws(', ',
                   CASE WHEN exporter_listed THEN 'exporter ' || exporter_name END,
                   CASE WHEN importer_listed THEN 'importer ' || importer_name END,
                   CASE WHEN notify_listed THEN 'notify party ' || notify_name END)
            FROM f_tr WHERE exporter_listed OR importer_listed OR notify_listed
        """,
    }
    flags: list[Flag] = []
    meta = {
        str(r[0]): r[1:]
        for r in store.con.execute(
            "SELECT record_key, record_id, exporter_node, importer_node, notify_node FROM f_tr"
        ).fetchall()
    }
    for rid, sql in queries.items():
        rule = book.rules[rid]
        for key, reason in store.con.execute(sql).fetchall():
            record_id, *nodes = meta[str(key)]
            flags.append(
                Flag(
                    rid,
                    rule.title,
                    rule.weight,
                    str(reason),
                    record_ids=[str(record_id)],
                    entity_ids=[str(n) for n in nodes if n],
                    evidence=[str(key)],
                    sources=book.cite(rid),
                )
            )
    flags.extend(_split_orders(store, book))
    return flags


def _split_orders(store: Store, book: FlagBook) -> list[Flag]:
    """Lines of one seller, buyer and HS-6 within a window, each just under the threshold."""
    p = book.params
    thr = float(p["split_threshold"])
    low = thr * float(p["split_band"])
    rows = store.con.execute(
        f"""
        WITH q AS (
          SELECT * FROM f_tr
          WHERE currency = {sql_str(p["split_threshold_currency"])}
            AND value >= {low!r} AND value < {thr!r} AND date IS NOT NULL
        ), win AS (
          SELECT a.record_key AS anchor, b.record_key, b.record_id, a.exporter_node,
                 a.importer_node, a.hs6
          FROM q a JOIN q b
            ON a.exporter_node = b.exporter_node AND a.importer_node = b.importer_node
           AND a.hs6 = b.hs6 AND CAST(b.date AS DATE) BETWEEN CAST(a.date AS DATE)
               AND CAST(a.date AS DATE) + {int(p["split_window_days"])}
        ), hits AS (
          SELECT anchor FROM win GROUP BY anchor HAVING count(*) >= {int(p["split_min_lines"])}
        )
        SELECT w.exporter_node, w.importer_node, w.hs6,
               list(DISTINCT w.record_key ORDER BY w.record_key) AS keys,
               list(DISTINCT w.record_id ORDER BY w.record_id) AS ids
        FROM win w JOIN hits h ON h.anchor = w.anchor
        GROUP BY w.exporter_node, w.importer_node, w.hs6
        """
    ).fetchall()
    rule = book.rules["RF-SPLIT-ORDER"]
    out = []
    for exporter, importer, hs6, keys, ids in rows:
        out.append(
            Flag(
                rule.id,
                rule.title,
                rule.weight,
                f"{len(keys)} lines of HS {hs6} between the same parties within "
                f"{p['split_window_days']} days, each {p['split_band']:.0%}-100% of "
                f"{thr:,.0f} {p['split_threshold_currency']}",
                record_ids=[str(i) for i in ids],
                entity_ids=[str(exporter), str(importer)],
                evidence=[str(k) for k in keys],
                sources=book.cite(rule.id),
            )
        )
    return out


def _shared_contact(store: Store, book: FlagBook, as_of: str) -> list[Flag]:
    kinds = _values([k for k in EDGE_KINDS if k.startswith("shared_")] + ["address_entity"])
    rows = store.con.execute(
        f"""
        WITH listed AS (SELECT DISTINCT entity FROM g_listed WHERE {listing_in_force_sql(as_of)})
        SELECT a.src, l.src, a.kind, a.dst, list(DISTINCT a.edge_id), list(DISTINCT l.edge_id),
               any_value(na.caption), any_value(nl.caption)
        FROM g_edges a
        JOIN g_edges l ON l.dst = a.dst AND l.kind = a.kind
        JOIN g_nodes na ON na.id = a.src
        JOIN g_nodes nl ON nl.id = l.src
        WHERE a.kind IN ({kinds}) AND l.src IN (SELECT entity FROM listed)
          AND a.src NOT IN (SELECT entity FROM listed) AND a.src <> l.src
          AND na.schema <> 'Address'
        GROUP BY a.src, l.src, a.kind, a.dst
        """
    ).fetchall()
    rule = book.rules["RF-SHARED-CONTACT"]
    out = []
    for src, listed, kind, attr, ev_a, ev_l, cap_a, cap_l in rows:
        what = str(kind).replace("shared_", "").replace("address_entity", "address record")
        value = str(attr).split(":", 1)[-1]
        out.append(
            Flag(
                rule.id,
                rule.title,
                rule.weight,
                f"{cap_a} shares {what} '{value}' with listed {cap_l}",
                entity_ids=[str(src), str(listed)],
                evidence=sorted({*map(str, ev_a), *map(str, ev_l)}),
                sources=book.cite(rule.id),
            )
        )
    return out


_LEGAL_KEYS = frozenset(token_key(w) for w in LEGAL_WORDS.split())


def _name_keys(name: str) -> list[tuple[str, ...]]:
    """Comparison keys of a name's distinctive words, one tuple per romanisation.

    Latin-script names (most of any list) take a fast path: words keyed by the
    screening layer's ``token_key`` minus legal-form words; names in other scripts go
    through ``name_forms`` for every romanisation. Both yield the same keys for
    "OOO TSK Vektor" and "ООО «ТСК Вектор»".
    """
    if any(ch.isalpha() and not ch.isascii() for ch in name):
        return [form.tokens for form in name_forms(name)]
    keys = tuple(
        k for k in (token_key(w) for w in WORD.findall(name)) if k and k not in _LEGAL_KEYS
    )
    return [keys] if keys else []


def _name_mimicry(store: Store, book: FlagBook, as_of: str) -> list[Flag]:
    """Listed names whose distinctive words all occur in another party's longer name."""
    min_tokens = int(book.params["mimicry_min_tokens"])
    # A look-alike abroad is the pattern (a Shenzhen "TSK Vector" beside Russia's listed
    # TSK Vektor); the same words in the listed party's own country are far more often
    # the listed party itself, spelt differently, which is resolution's business.
    store.con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_country AS
        SELECT canonical_id AS subject, lower(value) AS country FROM g_stmt
        WHERE prop_type = 'country' AND prop IN ('country', 'jurisdiction', 'mainCountry')
        UNION
        SELECT node, lower(country) FROM g_trade_party WHERE country IS NOT NULL
        """
    )
    listed_names = store.con.execute(
        f"""
        SELECT DISTINCT s.canonical_id, s.value, s.id FROM g_stmt s
        WHERE s.prop_type = 'name' AND s.prop IN ('name', 'alias', 'previousName', 'weakAlias')
          AND s.canonical_id IN (SELECT entity FROM g_listed WHERE {listing_in_force_sql(as_of)})
        """
    ).fetchall()
    cand_names = store.con.execute(
        """
        SELECT DISTINCT s.canonical_id, s.value, s.id FROM g_stmt s
        JOIN g_nodes n ON n.id = s.canonical_id AND n.schema <> 'Address'
        WHERE s.prop_type = 'name' AND s.prop IN ('name', 'alias', 'previousName')
        UNION
        SELECT DISTINCT node, name, record_key FROM g_trade_party
        """
    ).fetchall()

    def keyed(rows: list[tuple[Any, ...]], need: int) -> pa.Table:
        subj, name, ev, var, key, size = [], [], [], [], [], []
        for i, (s, n, e) in enumerate(rows):
            for j, tokens in enumerate(_name_keys(str(n))):
                keys = sorted({k for k in tokens if len(k) >= 2})
                if len(keys) < need or max(len(k) for k in keys) < 4:
                    continue
                for k in keys:
                    subj.append(str(s))
                    name.append(str(n))
                    ev.append(str(e))
                    var.append(f"{i}.{j}")
                    key.append(k)
                    size.append(len(keys))
        return pa.table(
            {"subject": subj, "name": name, "ev": ev, "var": var, "key": key, "size": size}
        )

    con = store.con
    con.register("f_lkeys", keyed(listed_names, min_tokens))
    con.register("f_ckeys", keyed(cand_names, min_tokens + 1))
    try:
        rows = con.execute(
            """
            -- Containment needs the listed name's rarest word, so candidate pairs are
            -- generated from that word only (not from every shared common word),
            -- then verified word by word.
            WITH freq AS (SELECT key, count(*) AS n FROM f_ckeys GROUP BY key),
            rare AS (
              SELECT l.var AS lvar, arg_min(l.key, f.n * 1000000 + length(l.key)) AS key
              FROM f_lkeys l JOIN freq f ON f.key = l.key GROUP BY l.var
            ), pairs AS (
              SELECT DISTINCT c.var AS cvar, r.lvar
              FROM rare r JOIN f_ckeys c ON c.key = r.key
            ), m AS (
              SELECT p.cvar, p.lvar, count(DISTINCT l.key) AS hit,
                     any_value(l.size) AS lsize, any_value(c.size) AS csize
              FROM pairs p
              JOIN f_lkeys l ON l.var = p.lvar
              JOIN f_ckeys c ON c.var = p.cvar AND c.key = l.key
              WHERE c.subject <> l.subject
              GROUP BY p.cvar, p.lvar
            ), best AS (
              SELECT DISTINCT c.subject AS csub, c.name AS cname, c.ev AS cev,
                     l.subject AS lsub, l.name AS lname, l.ev AS lev
              FROM m
              JOIN (SELECT DISTINCT var, subject, name, ev FROM f_ckeys) c ON c.var = m.cvar
              JOIN (SELECT DISTINCT var, subject, name, ev FROM f_lkeys) l ON l.var = m.lvar
              WHERE m.hit = m.lsize AND m.csize > m.lsize
            ), abroad AS (
              SELECT b.* FROM best b
              WHERE EXISTS (SELECT 1 FROM f_country c WHERE c.subject = b.csub)
                AND EXISTS (SELECT 1 FROM f_country c WHERE c.subject = b.lsub)
                AND NOT EXISTS (
                  SELECT 1 FROM f_country c JOIN f_country l ON c.country = l.country
                  WHERE c.subject = b.csub AND l.subject = b.lsub)
            )
            SELECT csub, lsub, min(cname), min(lname), list(DISTINCT cev), list(DISTINCT lev)
            FROM abroad GROUP BY csub, lsub
            """
        ).fetchall()
    finally:
        con.unregister("f_lkeys")
        con.unregister("f_ckeys")
    rule = book.rules["RF-NAME-MIMICRY"]
    return [
        Flag(
            rule.id,
            rule.title,
            rule.weight,
            f"'{cname}' contains every distinctive word of listed '{lname}' "
            "(compared after transliteration and spelling folding), in another country",
            entity_ids=[str(csub), str(lsub)],
            evidence=sorted({*map(str, cev), *map(str, lev)})[:20],
            sources=book.cite(rule.id),
        )
        for csub, lsub, cname, lname, cev, lev in rows
    ]


def _ownership_flags(store: Store, book: FlagBook, as_of: str) -> list[Flag]:
    rule_def = book.rules["RF-OWNED-BY-LISTED"]
    out = []
    for key, rule in sorted(ownership_rules().items()):
        run = run_rule(store, rule, as_of)
        if not run.applies:
            continue
        derived = store.con.execute(
            f"SELECT entity FROM {run.prefix}_status GROUP BY entity HAVING min(depth) > 0 "
            "ORDER BY entity"
        ).fetchall()
        for (entity,) in derived:
            exp = explain(store, run, str(entity))
            evidence = sorted(
                {e for s in exp.stakes for r in s.records for e in (r["evidence"] or [])}
            )
            out.append(
                Flag(
                    rule_def.id,
                    f"{rule_def.title}: {key.upper()}",
                    rule_def.weight,
                    exp.explanation,
                    entity_ids=[str(entity), *[s.owner for s in exp.stakes if s.counts]],
                    evidence=evidence,
                    sources=[*book.cite(rule_def.id), *rule.citations],
                )
            )
    return out


def _combine(weights: Iterable[float]) -> float:
    return 1.0 - math.prod(1.0 - w for w in weights)


def run_flags(
    store: Store, as_of: str, known_at: str | None = None, entity: str | None = None
) -> FlagRun:
    """Every red flag and risk score as of ``as_of`` (optionally about one entity)."""
    as_of = check_date(as_of) or as_of
    book = flag_book()
    build_graph(store, known_at)
    flags: list[Flag] = []
    if _has_trade(store):
        _trade_base(store, as_of)
        flags.extend(_trade_flags(store, book, as_of))
    flags.extend(_shared_contact(store, book, as_of))
    flags.extend(_name_mimicry(store, book, as_of))
    flags.extend(_ownership_flags(store, book, as_of))
    target = store.resolve_id(entity) if entity else None
    if target is not None:
        flags = [
            f
            for f in flags
            if target in f.entity_ids or target in f.record_ids or target in f.evidence
        ]
    scores = _scores(store, flags, as_of, target)
    flags.sort(key=lambda f: (-f.score, f.rule_id, f.record_ids, f.entity_ids))
    return FlagRun(as_of, book.version, flags, scores)


def _scores(store: Store, flags: list[Flag], as_of: str, only: str | None) -> list[RiskScore]:
    listed_sql = f"SELECT entity FROM g_listed WHERE {listing_in_force_sql(as_of)}"
    distance_on_store(store.con, EDGE_KINDS, listed_sql, as_of=as_of, max_hops=3)
    by_entity: dict[str, list[Flag]] = defaultdict(list)
    by_record: dict[str, list[Flag]] = defaultdict(list)
    for f in flags:
        if f.record_ids and f.evidence and f.rule_id != "RF-OWNED-BY-LISTED":
            for key in f.evidence:
                by_record[key].append(f)
        for e in f.entity_ids[:1] if not f.record_ids else f.entity_ids:
            by_entity[e].append(f)
    captions = dict(
        store.con.execute("SELECT id, caption FROM g_nodes WHERE schema <> 'Address'").fetchall()
    )
    dist = {
        str(n): (int(d), str(r))
        for n, d, r in store.con.execute("SELECT node, dist, root FROM g_dist").fetchall()
    }
    subjects = {e for e in by_entity if e in captions}
    subjects |= {n for n, (d, _) in dist.items() if d <= 1 and n in captions}
    if only is not None:
        subjects = {only}
    scores: list[RiskScore] = []
    for subject in subjects:
        fl = by_entity.get(subject, [])
        weights = [max(f.score for f in fl if f.rule_id == rid) for rid in {f.rule_id for f in fl}]
        reasons = [f"{f.rule_id}: {f.reason}" for f in fl[:8]]
        d, root = dist.get(subject, (None, None))
        if d is not None and d in DISTANCE_WEIGHTS:
            weights.append(DISTANCE_WEIGHTS[d])
            if d == 0:
                reasons.insert(0, "listed party")
            else:
                hops = route(store.con, subject)
                via = " -> ".join(captions.get(n, n) for n, _ in hops)
                reasons.append(f"{d} hop(s) from listed {captions.get(root, root)}: {via}")
        if not weights:
            continue
        scores.append(
            RiskScore(
                subject,
                "entity",
                str(captions.get(subject, subject)),
                _combine(weights),
                reasons,
                sorted({f.rule_id for f in fl}),
                sorted({e for f in fl for e in f.evidence})[:50],
                d,
                root,
            )
        )
    for key, fl in by_record.items():
        if only is not None and not any(only in f.entity_ids for f in fl):
            continue
        rids = {f.rule_id for f in fl}
        weights = [max(f.score for f in fl if f.rule_id == rid) for rid in rids]
        scores.append(
            RiskScore(
                key,
                "trade_record",
                fl[0].record_ids[0] if len(fl[0].record_ids) == 1 else key,
                _combine(weights),
                [f"{f.rule_id}: {f.reason}" for f in fl],
                sorted(rids),
                [key],
            )
        )
    scores.sort(key=lambda s: (-s.score, s.kind, s.subject))
    return scores
