"""One entity, many lists: grouping list records under one canonical id, reversibly.

Kupol is on OFAC's SDN list, two EU annexes, Japan's METI list and the US Entity List,
each time under its own record id and spelling. This module decides which records are
the same party and records *why*:

1. **Shared strong identifiers** — a registry number that passes its check digits
   (INN, OGRN, USCC, LEI, IMO; see :mod:`dualtrace.sources.identifier_props`), in
   whichever property the list put it.
2. **Same source key** — a CSL row republishing an OFAC record carries OFAC's entity
   number (``us-csl-ofac-16865`` and ``ofac-16865``).
3. **Strong name evidence** — organisations with the same normalised name (legal forms
   removed, script romanised by :mod:`dualtrace.names`) *and* the same country;
   persons with the same name *and* full date of birth. A name key that two records
   of one list share, or that more than a handful of records share, is ambiguous and
   not used.

Keys are built set-based in SQL over the ``statements`` table (Python only classifies
the distinct identifier and name values), clusters are the connected components of
records linked by a key (label propagation in SQL), and each cluster becomes a row in
``merge_decisions`` with its evidence. Merging only writes ``resolver`` rows and
``statements.canonical_id``; undoing a decision restores each record's own id, so
nothing is ever lost. Manual ``merge``/``split`` decisions are kept across re-runs: a
split record is left out of automatic grouping until merged by hand again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
from followthemoney import model
from followthemoney.exc import InvalidData

from dualtrace.errors import DualtraceError, NotFoundError
from dualtrace.sources.identifier_props import STRONG_ID_PROPS, strong_identifier
from dualtrace.store.duckdb_store import Store
from dualtrace.store.lists_schema import ensure_lists_tables

AUTO = "auto"
MANUAL = "manual"
SPLIT = "split"
# Schemas whose records can be grouped; links, sanctions and addresses keep their ids.
PARTY_SCHEMAS = (
    "LegalEntity",
    "Organization",
    "Company",
    "PublicBody",
    "Person",
    "Vessel",
    "Airplane",
)
ORG_SCHEMAS = ("LegalEntity", "Organization", "Company", "PublicBody")
NAME_PROPS = ("name", "alias", "previousName")
# A name key shared by more records than this is a common name, not evidence.
MAX_NAME_FANOUT = 8
MIN_NAME_CHARS = 8


@dataclass(slots=True)
class ResolveResult:
    """What an automatic resolution run did, for the CLI and the benchmark."""

    decisions: int = 0
    entities: int = 0
    conflicts: list[list[str]] = field(default_factory=list)
    kept_manual: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    keys: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    """One merge decision as stored."""

    id: str
    canonical_id: str
    entity_ids: tuple[str, ...]
    evidence: dict[str, Any]
    method: str
    decided_by: str
    decided_at: dt.datetime
    undone_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "canonical_id": self.canonical_id,
            "entity_ids": list(self.entity_ids),
            "evidence": self.evidence,
            "method": self.method,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat(),
            "undone_at": self.undone_at.isoformat() if self.undone_at else None,
        }


# --------------------------------------------------------------------------- name keys


def _fallback_name_keys(name: str, person: bool) -> set[str]:
    text = unicodedata.normalize("NFKD", name).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    tokens = [t for t in re.split(r"[^\w]+", text) if t]
    if person:
        tokens.sort()
    return {" ".join(tokens)} if tokens else set()


def _names_keys(name: str, person: bool) -> set[str]:
    """Comparison keys of a name: distinctive tokens per romanisation (dualtrace.names)."""
    try:
        from dualtrace.names.normalize import name_forms
    except ImportError:  # pragma: no cover - the names package is optional at runtime
        return _fallback_name_keys(name, person)
    keys = set()
    for form in name_forms(name):
        tokens = list(form.tokens)
        if person:
            tokens.sort()
        if tokens:
            keys.add(" ".join(tokens))
    return keys


def name_keys(name: str, person: bool = False) -> set[str]:
    """Keys strong enough to be merge evidence: two or more tokens and enough letters."""
    return {
        k
        for k in _names_keys(name, person)
        if " " in k and len(k.replace(" ", "")) >= MIN_NAME_CHARS
    }


# --------------------------------------------------------------------------- key building


def _in_force(store: Store) -> tuple[str, list[Any]]:
    """Party statements that can carry merge evidence, from the list versions in force."""
    vsql, params = store.versions_in_force_sql(None)
    schemas = ", ".join(f"'{s}'" for s in PARTY_SCHEMAS)
    props = ", ".join(
        f"'{p}'" for p in (*STRONG_ID_PROPS, *NAME_PROPS, "country", "birthDate", "id")
    )
    sql = (
        "SELECT s.entity_id, s.dataset, s.schema, s.prop, s.value FROM statements s "
        f"JOIN ({vsql}) v ON s.dataset = v.dataset AND s.version = v.version "
        f"WHERE s.schema IN ({schemas}) AND s.prop IN ({props})"
    )
    return sql, params


def _register(store: Store, name: str, columns: dict[str, list[Any]]) -> None:
    store.con.register(name, pa.table(columns))


def build_keys(store: Store) -> int:
    """Fill the temp table ``_merge_keys(entity_id, dataset, key, kind)``; returns its size."""
    con = store.con
    base_sql, params = _in_force(store)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _party AS {base_sql}", params)
    # 1. identifiers: classify distinct values in Python (check digits), join back in SQL.
    props = ", ".join(f"'{p}'" for p in STRONG_ID_PROPS)
    values = con.execute(
        f"SELECT DISTINCT prop, value FROM _party WHERE prop IN ({props})"
    ).fetchall()
    id_cols: dict[str, list[Any]] = {"prop": [], "value": [], "key": []}
    for prop, value in values:
        found = strong_identifier(prop, value)
        if found is not None:
            id_cols["prop"].append(prop)
            id_cols["value"].append(value)
            id_cols["key"].append(f"{found[0]}:{found[1]}")
    # 2. names of records that can qualify (orgs with a country, persons with a full
    # date of birth) -> comparison keys, computed once per distinct name and cached.
    name_props = ", ".join(repr(p) for p in NAME_PROPS)
    kinds = ", ".join(repr(s) for s in (*ORG_SCHEMAS, "Person"))
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _qual AS
        SELECT DISTINCT entity_id, value AS q FROM _party
        WHERE (prop = 'country' AND schema <> 'Person')
           OR (prop = 'birthDate' AND schema = 'Person' AND length(value) = 10)
        """
    )
    new_names = con.execute(
        f"""
        SELECT DISTINCT p.value, p.schema = 'Person' FROM _party p
        WHERE p.prop IN ({name_props}) AND p.schema IN ({kinds})
          AND p.entity_id IN (SELECT entity_id FROM _qual)
          AND NOT EXISTS (SELECT 1 FROM merge_name_keys c
                          WHERE c.value = p.value AND c.person = (p.schema = 'Person'))
        """
    ).fetchall()
    cache_cols: dict[str, list[Any]] = {"value": [], "person": [], "nkeys": []}
    for value, person in new_names:
        cache_cols["value"].append(value)
        cache_cols["person"].append(bool(person))
        cache_cols["nkeys"].append(sorted(name_keys(value, bool(person))))
    if cache_cols["value"]:
        _register(store, "_new_name_keys", cache_cols)
        try:
            con.execute("INSERT INTO merge_name_keys SELECT * FROM _new_name_keys")
        finally:
            con.unregister("_new_name_keys")
    _register(store, "_id_values", id_cols)
    try:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _merge_keys AS
            -- shared check-digit-valid registry numbers
            SELECT DISTINCT p.entity_id, p.dataset, i.key AS key, 'identifier' AS kind
            FROM _party p JOIN _id_values i ON p.prop = i.prop AND p.value = i.value
            UNION
            -- OFAC's own record number, carried by CSL rows that republish OFAC lists
            SELECT DISTINCT entity_id, dataset,
                   'ofac-uid:' || regexp_extract(entity_id, '^(?:us-csl-)?ofac-(\\d+)$', 1),
                   'source-key'
            FROM _party WHERE regexp_matches(entity_id, '^(?:us-csl-)?ofac-\\d+$')
            """
        )
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _name_keys AS
            WITH names AS (
              SELECT DISTINCT p.entity_id, p.dataset, u.nkey, p.schema = 'Person' AS person
              FROM _party p JOIN merge_name_keys n
                ON p.value = n.value AND (p.schema = 'Person') = n.person,
                unnest(n.nkeys) AS u(nkey)
              WHERE p.prop IN ({name_props})
            ), qual AS (
              SELECT * FROM _qual
            ), keyed AS (
              SELECT n.entity_id, n.dataset,
                     CASE WHEN n.person THEN 'person:' ELSE 'name:' END || n.nkey || '|' || q.q
                       AS key
              FROM names n JOIN qual q ON n.entity_id = q.entity_id
            ), ambiguous AS (
              SELECT key FROM keyed GROUP BY key
              HAVING count(DISTINCT entity_id) > {MAX_NAME_FANOUT}
                  OR count(DISTINCT entity_id) > count(DISTINCT dataset)
            )
            SELECT DISTINCT entity_id, dataset, key, 'name' AS kind FROM keyed
            WHERE key NOT IN (SELECT key FROM ambiguous)
            """
        )
        con.execute("INSERT INTO _merge_keys SELECT * FROM _name_keys")
    finally:
        con.unregister("_id_values")
    # manual decisions bind their members; split records stay out of automatic grouping
    con.execute(
        """
        INSERT INTO _merge_keys
        SELECT DISTINCT u.entity_id, p.dataset, 'decision:' || d.id, 'manual'
        FROM merge_decisions d, unnest(d.entity_ids) AS u(entity_id)
        JOIN _party p ON p.entity_id = u.entity_id
        WHERE d.method = 'manual' AND d.undone_at IS NULL
        """
    )
    con.execute(
        """
        DELETE FROM _merge_keys WHERE kind <> 'manual' AND entity_id IN (
          SELECT u.entity_id FROM merge_decisions d, unnest(d.entity_ids) AS u(entity_id)
          WHERE d.method = 'split' AND d.undone_at IS NULL)
        """
    )
    # keys held by a single record link nothing
    con.execute(
        "DELETE FROM _merge_keys WHERE key IN "
        "(SELECT key FROM _merge_keys GROUP BY key HAVING count(DISTINCT entity_id) < 2)"
    )
    row = con.execute("SELECT count(*) FROM _merge_keys").fetchone()
    return int(row[0]) if row else 0


def connected_components(store: Store, max_rounds: int = 50) -> None:
    """Label each keyed record with the smallest entity id reachable through shared keys.

    Label propagation over the record-key bipartite graph, as plain SQL rounds (the
    same statements run on Spark SQL); it converges in about log(cluster diameter)
    rounds for list data, where clusters are small.
    """
    con = store.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _labels AS "
        "SELECT DISTINCT entity_id, entity_id AS label FROM _merge_keys"
    )
    for _ in range(max_rounds):
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _labels_next AS
            WITH key_label AS (
              SELECT k.key, min(l.label) AS label
              FROM _merge_keys k JOIN _labels l ON k.entity_id = l.entity_id GROUP BY k.key
            )
            SELECT k.entity_id, least(min(kl.label), min(l.label)) AS label
            FROM _merge_keys k JOIN key_label kl ON k.key = kl.key
            JOIN _labels l ON l.entity_id = k.entity_id
            GROUP BY k.entity_id
            """
        )
        changed = con.execute(
            "SELECT count(*) FROM _labels a JOIN _labels_next b USING (entity_id) "
            "WHERE a.label <> b.label"
        ).fetchone()
        con.execute("CREATE OR REPLACE TEMP TABLE _labels AS SELECT * FROM _labels_next")
        if not changed or not changed[0]:
            return
    raise DualtraceError(f"merge clustering did not converge in {max_rounds} rounds")


# --------------------------------------------------------------------------- decisions


def canonical_for(entity_ids: Iterable[str]) -> str:
    """A canonical id that stays the same while the group's smallest member does."""
    first = min(entity_ids)
    return "dt-" + hashlib.sha1(first.encode("utf-8")).hexdigest()[:20]


def _schemas_compatible(schemas: set[str]) -> bool:
    """True when one FtM schema holds all records (Company + LegalEntity; not Person + Vessel)."""
    names = sorted(schemas)
    if not names:
        return True
    common = model.get(names[0])
    try:
        for other in names[1:]:
            if common is None:
                return False
            common = model.common_schema(common, other)
    except InvalidData:
        return False
    return common is not None


def _active_decisions(store: Store, method: str | None = None) -> list[Decision]:
    sql = (
        "SELECT id, canonical_id, entity_ids, evidence, method, decided_by, decided_at, "
        "undone_at FROM merge_decisions WHERE undone_at IS NULL"
    )
    params: list[Any] = []
    if method is not None:
        sql += " AND method = ?"
        params.append(method)
    return [
        _decision(r) for r in store.con.execute(sql + " ORDER BY decided_at", params).fetchall()
    ]


def _decision(row: tuple[Any, ...]) -> Decision:
    evidence = row[3]
    if isinstance(evidence, str):
        evidence = orjson.loads(evidence)
    return Decision(row[0], row[1], tuple(row[2]), evidence, row[4], row[5], row[6], row[7])


def decisions(
    store: Store, entity_id: str | None = None, include_undone: bool = False
) -> list[Decision]:
    """Merge decisions, optionally those naming ``entity_id`` (an entity or canonical id)."""
    sql = (
        "SELECT id, canonical_id, entity_ids, evidence, method, decided_by, decided_at, "
        "undone_at FROM merge_decisions WHERE (? OR undone_at IS NULL)"
    )
    params: list[Any] = [include_undone]
    if entity_id is not None:
        sql += " AND (canonical_id = ? OR list_contains(entity_ids, ?) OR id = ?)"
        params.extend([entity_id, entity_id, entity_id])
    rows = store.con.execute(sql + " ORDER BY decided_at, id", params).fetchall()
    return [_decision(r) for r in rows]


def _insert_decisions(
    store: Store,
    groups: list[tuple[list[str], dict[str, Any], str]],
    decided_by: str,
    now: dt.datetime,
) -> list[Decision]:
    """Store decisions ``(members, evidence, method)`` and their resolver rows in bulk."""
    made: list[Decision] = []
    dec_cols: dict[str, list[Any]] = {
        k: [] for k in ("id", "canonical_id", "entity_ids", "evidence", "method", "decided_by")
    }
    res_cols: dict[str, list[Any]] = {"entity_id": [], "canonical_id": [], "decision_id": []}
    for entity_ids, evidence, method in groups:
        members = sorted(set(entity_ids))
        canonical = canonical_for(members)
        decision = Decision(
            uuid.uuid4().hex[:16],
            canonical,
            tuple(members),
            evidence,
            method,
            decided_by,
            now,
            None,
        )
        made.append(decision)
        dec_cols["id"].append(decision.id)
        dec_cols["canonical_id"].append(canonical)
        dec_cols["entity_ids"].append(members)
        dec_cols["evidence"].append(orjson.dumps(evidence).decode())
        dec_cols["method"].append(method)
        dec_cols["decided_by"].append(decided_by)
        if method != SPLIT:
            for m in members:
                res_cols["entity_id"].append(m)
                res_cols["canonical_id"].append(canonical)
                res_cols["decision_id"].append(decision.id)
    if not made:
        return made
    con = store.con
    con.register("_new_decisions", pa.table(dec_cols))
    con.register("_new_resolver", pa.table(res_cols, schema=_RESOLVER_SCHEMA))
    try:
        con.execute(
            "INSERT INTO merge_decisions SELECT id, canonical_id, entity_ids, evidence::JSON, "
            "method, decided_by, ?::TIMESTAMP, NULL FROM _new_decisions",
            [now],
        )
        con.execute("DELETE FROM resolver WHERE entity_id IN (SELECT entity_id FROM _new_resolver)")
        con.execute("INSERT INTO resolver SELECT * FROM _new_resolver")
    finally:
        con.unregister("_new_decisions")
        con.unregister("_new_resolver")
    return made


_RESOLVER_SCHEMA = pa.schema(
    [("entity_id", pa.string()), ("canonical_id", pa.string()), ("decision_id", pa.string())]
)


def _undo(store: Store, decision_ids: list[str], now: dt.datetime) -> None:
    if not decision_ids:
        return
    con = store.con
    con.register("_undo_ids", pa.table({"id": decision_ids}))
    try:
        con.execute(
            "UPDATE merge_decisions SET undone_at = ? WHERE id IN (SELECT id FROM _undo_ids)",
            [now],
        )
        con.execute("DELETE FROM resolver WHERE decision_id IN (SELECT id FROM _undo_ids)")
    finally:
        con.unregister("_undo_ids")


def apply_canonical_ids(store: Store) -> None:
    """Set ``statements.canonical_id`` from ``resolver`` (set-based; own id when unmerged)."""
    con = store.con
    con.execute(
        "UPDATE statements SET canonical_id = r.canonical_id FROM resolver r "
        "WHERE statements.entity_id = r.entity_id "
        "AND statements.canonical_id <> r.canonical_id"
    )
    con.execute(
        "UPDATE statements SET canonical_id = entity_id WHERE canonical_id <> entity_id "
        "AND NOT EXISTS (SELECT 1 FROM resolver r WHERE r.entity_id = statements.entity_id)"
    )


def _transaction(store: Store, work: Callable[[], Any]) -> Any:
    ensure_lists_tables(store.con)
    store.con.execute("BEGIN TRANSACTION")
    try:
        out = work()
        store.con.execute("COMMIT")
    except BaseException:
        store.con.execute("ROLLBACK")
        raise
    return out


def resolve_lists(store: Store, decided_by: str = "dualtrace resolve") -> ResolveResult:
    """Re-run automatic grouping over all list versions in force, in one transaction.

    Previous automatic decisions are undone (kept, with ``undone_at``) and replaced by
    the current clusters; manual merges are extended, never dropped; splits are honoured.
    """
    started = time.monotonic()
    result = ResolveResult()

    def work() -> None:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        previous = {frozenset(d.entity_ids): d.id for d in _active_decisions(store, AUTO)}
        result.keys = build_keys(store)
        connected_components(store)
        rows = store.con.execute(
            """
            SELECT l.label, k.entity_id, k.dataset, k.key, k.kind
            FROM _merge_keys k JOIN _labels l USING (entity_id)
            WHERE l.label IN (SELECT label FROM _labels GROUP BY label HAVING count(*) > 1)
            ORDER BY l.label, k.key, k.entity_id
            """
        ).fetchall()
        schemas = dict(
            store.con.execute(
                "SELECT entity_id, any_value(schema) FROM _party "
                "WHERE entity_id IN (SELECT entity_id FROM _labels) GROUP BY entity_id"
            ).fetchall()
        )
        clusters: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"members": {}, "keys": defaultdict(set)}
        )
        for label, entity_id, dataset, key, kind in rows:
            c = clusters[label]
            c["members"][entity_id] = dataset
            c["keys"][(kind, key)].add(entity_id)
        manual = {d.id: d for d in _active_decisions(store, MANUAL)}
        groups: list[tuple[list[str], dict[str, Any], str]] = []
        superseded: list[str] = []
        for cluster in clusters.values():
            members: dict[str, str] = cluster["members"]
            manual_ids = [
                k.removeprefix("decision:") for (kind, k) in cluster["keys"] if kind == "manual"
            ]
            if len(manual_ids) == 1 and set(manual[manual_ids[0]].entity_ids) == set(members):
                result.kept_manual += 1
                continue
            if not _schemas_compatible({schemas[m] for m in members}):
                result.conflicts.append(sorted(members))
                continue
            evidence = {
                "rule": "shared keys",
                "links": [
                    {"kind": kind, "key": key, "entities": sorted(ids)}
                    for (kind, key), ids in sorted(cluster["keys"].items())
                    if len(ids) > 1
                ],
                "datasets": {m: members[m] for m in sorted(members)},
            }
            result.decisions += 1
            result.entities += len(members)
            if previous.pop(frozenset(members), None) is not None:
                result.unchanged += 1  # same group as last run: keep that decision
                continue
            superseded.extend(manual_ids)
            groups.append((list(members), evidence, AUTO))
        superseded.extend(previous.values())  # groups that changed or disappeared
        _undo(store, superseded, now)
        _insert_decisions(store, groups, decided_by, now)
        apply_canonical_ids(store)

    _transaction(store, work)
    result.seconds = time.monotonic() - started
    return result


def _expand(store: Store, ident: str) -> list[str]:
    """Entity ids behind an entity id or canonical id; NotFoundError if unknown."""
    rows = store.con.execute(
        "SELECT DISTINCT entity_id FROM statements WHERE entity_id = ? OR canonical_id = ?",
        [ident, ident],
    ).fetchall()
    if not rows:
        raise NotFoundError(f"no entity with id {ident!r}")
    return [str(r[0]) for r in rows]


def merge_entities(
    store: Store, ids: list[str], decided_by: str, reason: str | None = None
) -> Decision:
    """Merge records (entity or canonical ids) by hand; their earlier groups are folded in."""
    if len(ids) < 2:
        raise DualtraceError("merge needs at least two ids")

    def work() -> Decision:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        members: set[str] = set()
        for ident in ids:
            members.update(_expand(store, ident))
        if len(members) < 2 or len({store.resolve_id(i) for i in ids}) < 2:
            raise DualtraceError("these ids are already one entity")
        schemas = {
            str(r[0])
            for r in store.con.execute(
                "SELECT DISTINCT schema FROM statements WHERE entity_id IN (SELECT unnest(?)) "
                "AND prop = 'id'",
                [sorted(members)],
            ).fetchall()
        }
        if not _schemas_compatible(schemas):
            raise DualtraceError(f"cannot merge entities of schemas {', '.join(sorted(schemas))}")
        touched = [
            d.id
            for d in _active_decisions(store)
            if members & set(d.entity_ids) and d.method in (AUTO, MANUAL, SPLIT)
        ]
        _undo(store, touched, now)
        evidence = {"rule": "manual", "reason": reason or "", "ids": ids}
        [decision] = _insert_decisions(
            store, [(sorted(members), evidence, MANUAL)], decided_by, now
        )
        apply_canonical_ids(store)
        return decision

    out: Decision = _transaction(store, work)
    return out


def split_entity(store: Store, ident: str, decided_by: str) -> list[Decision]:
    """Undo the grouping of a record (entity id) or of a whole group (canonical id).

    A record taken out of a group stays out of automatic grouping (a recorded ``split``
    decision) until merged by hand; the rest of its group stays together.
    """

    def work() -> list[Decision]:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        active = [d for d in _active_decisions(store) if d.method in (AUTO, MANUAL)]
        whole = [d for d in active if d.canonical_id == ident]
        made: list[Decision] = []
        if whole:
            _undo(store, [d.id for d in whole], now)
            for d in whole:
                evidence = {"rule": "split group", "undid": d.id}
                made.extend(
                    _insert_decisions(
                        store, [(list(d.entity_ids), evidence, SPLIT)], decided_by, now
                    )
                )
        else:
            holding = [d for d in active if ident in d.entity_ids]
            if not holding:
                _expand(store, ident)  # NotFoundError for unknown ids
                raise DualtraceError(f"{ident} is not merged with anything")
            _undo(store, [d.id for d in holding], now)
            for d in holding:
                rest = [e for e in d.entity_ids if e != ident]
                if len(rest) > 1:
                    evidence = dict(d.evidence)
                    evidence["split_off"] = ident
                    evidence["previous_decision"] = d.id
                    made.extend(
                        _insert_decisions(store, [(rest, evidence, d.method)], decided_by, now)
                    )
            record: dict[str, Any] = {"rule": "split record", "undid": [d.id for d in holding]}
            made.extend(_insert_decisions(store, [([ident], record, SPLIT)], decided_by, now))
        apply_canonical_ids(store)
        return made

    out: list[Decision] = _transaction(store, work)
    return out
