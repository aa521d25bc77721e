"""Resolve the parties of all trade records, to each other and to list entities.

Party mentions (``trade_parties``) are reduced to distinct party strings (name,
country, identifier, address as written); list entities in the store contribute one
string per name. The strings are linked by the SQL pipeline on the chosen engine,
and the results land in ``trade_party_names``, ``trade_links`` and ``trade_clusters``.

The first run is *full*: it builds the fixed tables (token frequencies, u-probabilities,
``trade_token_freq`` / ``trade_link_params``). Later runs are *incremental*: only new
strings are scored, against everything, with the stored tables, so earlier scores do
not move; clustering is recomputed from all links, which is cheap. Every link keeps the
level each feature reached (its explanation), and analyst decisions in
``trade_link_decisions`` force or cut edges, so any merge can be undone.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from dualtrace.errors import DualtraceError, InputError, NotFoundError
from dualtrace.store.duckdb_store import Store
from dualtrace.trade.linkage.engines import DuckDBEngine, LinkageEngine
from dualtrace.trade.linkage.party_names import address_tokens, identifier_key, name_tokens
from dualtrace.trade.linkage.pipeline import (
    Comparison,
    Level,
    LinkageParams,
    LinkageSpec,
    run_linkage,
)

TRADE_PARTY_SPEC = LinkageSpec(
    columns=("name_key", "country", "ident", "address_key"),
    comparisons=(
        Comparison(
            "name_level",
            (
                Level(
                    "exact", "(name_key_l = name_key_r OR tok_j >= 0.999) AND shared_w >= 4", 0.55
                ),
                Level(
                    "close",
                    "name_sim >= 0.92 OR (name_sim >= 0.85 AND tok_o >= 0.2) OR tok_j >= 0.75",
                    0.2,
                ),
                # one typo in a short name (kaliope / kalipe, feniks / fenks: the
                # Levenshtein ratio is 0.83-0.86 and no token is shared), or a
                # transposition in a longer one (grupo kiniab / gruop kiniab)
                # (the length test first: a distance is at least the length
                # difference, and most pairs here fail on that alone)
                Level(
                    "typo",
                    "least(length(name_key_l), length(name_key_r)) >= 5 AND "
                    "abs(length(name_key_l) - length(name_key_r)) <= 2 AND "
                    "levenshtein(name_key_l, name_key_r) <= "
                    "CASE WHEN least(length(name_key_l), length(name_key_r)) >= 8 "
                    "THEN 2 ELSE 1 END",
                    0.08,
                ),
                Level("similar", "(name_sim >= 0.75 AND tok_o >= 0.5) OR tok_j >= 0.6", 0.12),
                Level("contained", "tok_o >= 0.8", 0.06),
                Level("weak", "tok_o >= 0.4", 0.04),
                Level("different", "TRUE", 0.03),
            ),
        ),
        Comparison(
            "country_level",
            (
                Level("same", "country_l = country_r", 0.92),
                Level("different", "TRUE", 0.08),
            ),
            null_sql="country_l IS NULL OR country_r IS NULL",
        ),
        Comparison(
            "id_level",
            (Level("same", "ident_l = ident_r", 0.95), Level("different", "TRUE", 0.05)),
            null_sql="ident_l IS NULL OR ident_r IS NULL",
        ),
        Comparison(
            "address_level",
            (
                Level("same", "address_key_l = address_key_r", 0.55),
                Level(
                    "similar",
                    "abs(length(address_key_l) - length(address_key_r)) <= "
                    "0.15 * greatest(length(address_key_l), length(address_key_r)) AND "
                    "levenshtein(address_key_l, address_key_r) <= "
                    "0.15 * greatest(length(address_key_l), length(address_key_r))",
                    0.2,
                ),
                Level("different", "TRUE", 0.25),
            ),
            null_sql="address_key_l IS NULL OR address_key_r IS NULL",
        ),
    ),
    exact_blocking=(
        "{t}.ident",
        "{t}.address_key",
        # typos in the one rare word: same country and same first or last 8 letters
        "substr({t}.name_key, 1, 8) || '|' || {t}.country",
        "right({t}.name_key, 8) || '|' || {t}.country",
        # ... and without the country, for parties written without one
        "substr({t}.name_key, 1, 8)",
        "right({t}.name_key, 8)",
    ),
    # Front companies share addresses and registration agents: never link on those
    # alone, only when the names agree too (a shared rare name word is enough when the
    # registration numbers are equal: IEMZ Kupol = Izhevsk ... Plant Kupol, same INN).
    link_requires=(
        "name_level IN ('exact', 'close', 'typo', 'similar', 'contained') "
        "OR (name_level = 'weak' AND id_level = 'same')"
    ),
    token_block_max=60,
    threshold=0.95,
    link_floor=0.5,
    name_sim_floor=0.75,  # the "similar" level's, the lowest above
)

LIST_SCHEMATA = ("Company", "Organization", "LegalEntity", "PublicBody")
LIST_NAME_PROPS = ("name", "alias", "previousName")
LIST_COUNTRY_PROPS = ("country", "jurisdiction", "mainCountry")
LIST_ID_PROPS = ("innCode", "taxNumber", "registrationNumber", "ogrnCode")

RECORD_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("name_key", pa.string()),
        ("country", pa.string()),
        ("ident", pa.string()),
        ("address_key", pa.string()),
        ("is_new", pa.bool_()),
    ]
)
TOKEN_SCHEMA = pa.schema([("id", pa.string()), ("token", pa.string())])


@dataclass(slots=True)
class PartyString:
    """One distinct party string (slotted: there are millions at 10M trade records)."""

    pid: str
    origin: str
    entity_id: str | None
    name: str
    address: str | None
    country: str | None
    identifier: str | None
    mentions: int


@dataclass
class ResolutionRun:
    run_id: str
    engine: str
    mode: str
    names: int
    new_names: int
    pairs: int
    links: int
    clusters: int
    linked_to_lists: int
    seconds: float
    seconds_by_step: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in vars(self).items()}


def _trade_strings(store: Store) -> list[PartyString]:
    rows = store.con.execute(
        "SELECT pid, any_value(name), any_value(address), any_value(country), "
        "any_value(identifier), count(*) FROM trade_parties GROUP BY pid ORDER BY pid"
    ).fetchall()
    return [PartyString(r[0], "trade", None, r[1], r[2], r[3], r[4], int(r[5])) for r in rows]


def _list_strings(store: Store) -> list[PartyString]:
    """One string per name of each list entity in force (organisations, not persons)."""
    vsql, vparams = store.versions_in_force_sql(None)
    props = LIST_NAME_PROPS + LIST_COUNTRY_PROPS + LIST_ID_PROPS + ("address",)
    schemata = ", ".join(f"'{s}'" for s in LIST_SCHEMATA)
    prop_list = ", ".join(f"'{p}'" for p in props)
    rows = store.con.execute(
        f"""
SELECT s.canonical_id, s.prop, s.value FROM statements s
JOIN ({vsql}) v ON v.dataset = s.dataset AND v.version = s.version
WHERE s.schema IN ({schemata}) AND s.prop IN ({prop_list})
ORDER BY s.canonical_id, s.prop, s.value
""",
        vparams,
    ).fetchall()
    entities: dict[str, dict[str, list[str]]] = {}
    for eid, prop, value in rows:
        entities.setdefault(eid, {}).setdefault(prop, []).append(value)
    out: list[PartyString] = []
    import hashlib

    for eid, values in entities.items():
        country = next((values[p][0] for p in LIST_COUNTRY_PROPS if p in values), None)
        ident = next((values[p][0] for p in LIST_ID_PROPS if p in values), None)
        address = values.get("address", [None])[0]
        names = sorted({n for p in LIST_NAME_PROPS for n in values.get(p, [])})
        for name in names:
            digest = hashlib.md5(f"list|{eid}|{name}".encode()).hexdigest()[:16]
            out.append(
                PartyString(
                    f"l{digest}",
                    "list",
                    eid,
                    name,
                    address,
                    country.upper() if country else None,
                    ident,
                    0,
                )
            )
    return out


@dataclass
class PartyFeatures:
    """Linkage input: one record per distinct normalised form, and who shares it.

    Strings that normalise to the same name, country, identifier and address
    (``Ooo Tsk Vektor`` / ``TSK VEKTOR, OOO``) are one record for the pipeline; the
    others are ``duplicates`` of its representative and join its cluster with an
    ``identical`` link. This cuts the pairs by the number of spelling variants, which
    grows with the popularity of a company (the quadratic part of blocking).
    """

    records: pa.Table
    tokens: pa.Table
    duplicates: dict[str, str]  # pid -> representative pid
    name_forms: dict[str, tuple[str, ...]]  # distinct name -> its folded tokens
    address_forms: dict[str, str]  # distinct address -> its normalised form


# distinct names from which normalisation is shared between processes: below it the
# workers' start-up (imports, rigour's tables: ~1-2 s each) costs more than it saves
PARALLEL_NAMES = 100_000
_NAME_CHUNK = 20_000  # names per task: small enough to keep both workers busy to the end


def _normalise_names(names: list[str]) -> list[tuple[str, ...]]:
    """Folded tokens of each name (a worker's task; module level so it can be pickled)."""
    normalise = name_tokens.__wrapped__
    return [normalise(n) for n in names]


def normalise_names(names: list[str], workers: int | None = None) -> list[tuple[str, ...]]:
    """Folded tokens of each name, in order, on ``workers`` processes (default: CPUs).

    Normalisation (romanisation, ICU, legal forms, folding) is pure Python and was the
    one big single-threaded step of a large run (about a third of the wall time at 10M
    generated records, while DuckDB's steps used both cores). Each name is normalised
    on its own, so splitting the list changes nothing but the time: the result is the
    same list, in the same order. Below ``PARALLEL_NAMES`` names it runs in-process.
    Workers are spawned, not forked: the caller may hold DuckDB or JVM threads.
    """
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count < 2 or len(names) < PARALLEL_NAMES:
        return _normalise_names(names)
    chunks = [names[i : i + _NAME_CHUNK] for i in range(0, len(names), _NAME_CHUNK)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        return [tokens for part in pool.map(_normalise_names, chunks) for tokens in part]


def normalise_distinct(
    strings: list[PartyString], workers: int | None = None
) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Name tokens and address forms of each *distinct* name and address, once.

    Party strings are distinct by (name, country, identifier, address), so one name is
    shared by many of them (694,533 strings carry 524,690 names at 1M generated
    records, and 5,345 addresses). Calling the normaliser per distinct value, outside
    its LRU cache (which is smaller than the name count and would only churn), costs
    one pass; the stored names reuse these forms instead of normalising again. Names
    are normalised on ``workers`` processes (:func:`normalise_names`).
    """
    normalise_address = address_tokens.__wrapped__
    names = list({s.name for s in strings})
    addresses = {s.address for s in strings if s.address}
    name_forms = dict(zip(names, normalise_names(names, workers), strict=True))
    address_forms = {a: " ".join(normalise_address(a)) for a in addresses}
    return name_forms, address_forms


def party_features(
    strings: list[PartyString], new: set[str], workers: int | None = None
) -> PartyFeatures:
    """Normalise every distinct name and address once (names on ``workers``
    processes); representatives prefer already-linked pids."""
    name_forms, address_forms = normalise_distinct(strings, workers)
    groups: dict[tuple[str, str | None, str | None, str | None], list[PartyString]] = {}
    ident_keys: dict[str, str | None] = {}
    for s in strings:
        tokens = name_forms[s.name]
        ident = None
        if s.identifier:
            ident = ident_keys.get(s.identifier)
            if ident is None:
                ident = ident_keys[s.identifier] = identifier_key(s.identifier)
        address = address_forms[s.address] if s.address else None
        key = ("".join(tokens), s.country, ident, address or None)
        groups.setdefault(key, []).append(s)
    ids: list[str] = []
    keys: list[str] = []
    countries: list[str | None] = []
    idents: list[str | None] = []
    addresses: list[str | None] = []
    is_new: list[bool] = []
    tok_ids: list[str] = []
    toks: list[str] = []
    duplicates: dict[str, str] = {}
    for (name_key, country, ident, address), members in groups.items():
        # the representative's tokens are its name's: no map from every pid to its
        # tokens (one entry per party string, millions at 10M trade records)
        known = [m for m in members if m.pid not in new]
        head = min(known or members, key=lambda m: m.pid)
        rep = head.pid
        for m in members:
            if m.pid != rep:
                duplicates[m.pid] = rep
        ids.append(rep)
        keys.append(name_key)
        countries.append(country)
        idents.append(ident)
        addresses.append(address)
        is_new.append(rep in new)
        for t in name_forms[head.name]:
            tok_ids.append(rep)
            toks.append(t)
    records = pa.Table.from_arrays(
        [
            pa.array(ids, pa.string()),
            pa.array(keys, pa.string()),
            pa.array(countries, pa.string()),
            pa.array(idents, pa.string()),
            pa.array(addresses, pa.string()),
            pa.array(is_new, pa.bool_()),
        ],
        schema=RECORD_SCHEMA,
    )
    tokens_table = pa.Table.from_arrays(
        [pa.array(tok_ids, pa.string()), pa.array(toks, pa.string())], schema=TOKEN_SCHEMA
    )
    return PartyFeatures(records, tokens_table, duplicates, name_forms, address_forms)


def expand_clusters(clusters: pa.Table, duplicates: dict[str, str]) -> pa.Table:
    """Clusters of the representatives, extended to every duplicate string."""
    ids = clusters.column("id").to_pylist()
    labels = clusters.column("cluster_id").to_pylist()
    of = dict(zip(ids, labels, strict=True))
    for dup, rep in duplicates.items():
        ids.append(dup)
        labels.append(of[rep])
    return pa.table({"id": pa.array(ids, pa.string()), "cluster_id": pa.array(labels, pa.string())})


def _alias_edges(strings: list[PartyString]) -> list[tuple[str, str]]:
    """Names of one list entity are one party: tie each to the entity's first name."""
    first: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for s in strings:
        if s.entity_id is None:
            continue
        head = first.setdefault(s.entity_id, s.pid)
        if head != s.pid:
            edges.append((head, s.pid))
    return edges


IDENTICAL_WEIGHT = 99.0  # a sentinel weight: the strings normalise to the same features


def _identical_links(pairs: list[tuple[str, str]], spec: LinkageSpec) -> pa.Table:
    """Links of duplicates to their representative, explained as ``identical``."""
    n = len(pairs)
    columns: dict[str, pa.Array] = {
        "id_l": pa.array([a for a, _ in pairs], pa.string()),
        "id_r": pa.array([b for _, b in pairs], pa.string()),
        "match_weight": pa.array([IDENTICAL_WEIGHT] * n, pa.float64()),
        "probability": pa.array([1.0] * n, pa.float64()),
    }
    for comparison in spec.comparisons:
        columns[comparison.name] = pa.array(["identical"] * n, pa.string())
    return pa.table(columns)


def _edge_table(edges: list[tuple[str, str]]) -> pa.Table:
    return pa.table(
        {"a": pa.array([a for a, _ in edges], pa.string()),
         "b": pa.array([b for _, b in edges], pa.string())}
    )  # fmt: skip


def _stored_params(store: Store) -> LinkageParams | None:
    rows = store.con.execute("SELECT name, level, value FROM trade_link_params").fetchall()
    if not rows:
        return None
    n_total = 0
    prior = 0.0
    m: dict[str, dict[str, float]] = {}
    u: dict[str, dict[str, float]] = {}
    for name, level, value in rows:
        if name == "_frequency":
            n_total = int(value)
        elif name == "_prior":
            prior = float(value)
        else:
            kind, _, label = str(level).partition(":")
            (m if kind == "m" else u).setdefault(name, {})[label] = float(value)
    freq = store.con.execute(
        "SELECT token, n FROM trade_token_freq ORDER BY token"
    ).to_arrow_table()
    return LinkageParams(n_total=n_total, token_freq=freq, prior=prior, m=m, u=u)


def resolve_parties(
    store: Store,
    engine: LinkageEngine | None = None,
    full: bool = False,
    include_lists: bool = True,
    spec: LinkageSpec = TRADE_PARTY_SPEC,
) -> ResolutionRun:
    """Link trade party strings (and list names); incremental unless ``full`` or first."""
    if store.read_only:
        raise DualtraceError(f"{store.path}: opened read-only")
    started = time.monotonic()
    engine = engine or DuckDBEngine()
    run_id = uuid.uuid4().hex
    strings = _trade_strings(store)
    if include_lists:
        strings += _list_strings(store)
    if not strings:
        raise DualtraceError("no trade parties to resolve; load trade records first")
    params = None if full else _stored_params(store)
    mode = "full" if params is None else "incremental"
    known = {
        r[0] for r in store.con.execute("SELECT pid FROM trade_party_names").fetchall()
    } if mode == "incremental" else set()  # fmt: skip
    new = {s.pid for s in strings} - known
    features = party_features(strings, new)
    records, tokens = features.records, features.tokens
    forced = _alias_edges(strings)
    forced += [
        (a, b)
        for a, b in store.con.execute(
            "SELECT pid_l, pid_r FROM trade_link_decisions WHERE decision = 'match'"
        ).fetchall()
    ]
    rejected = store.con.execute(
        "SELECT pid_l, pid_r FROM trade_link_decisions WHERE decision = 'no-match'"
    ).fetchall()
    rep = features.duplicates

    def to_reps(edges: list[tuple[str, str]]) -> list[tuple[str, str]]:
        mapped = ((rep.get(a, a), rep.get(b, b)) for a, b in edges)
        return [(a, b) for a, b in mapped if a != b]

    # Earlier runs' links are not rescored, but clustered again with the new ones (as
    # links, not forced edges, so the coherence rule applies to them too; the weaker
    # kept links count towards coherence as in a full run).
    prior: list[tuple[str, str, float, float]] = []
    if mode == "incremental":
        for a, b, weight, probability in store.con.execute(
            "SELECT pid_l, pid_r, match_weight, probability FROM trade_links "
            "WHERE probability >= ? AND match_weight < ?",
            [spec.link_floor, IDENTICAL_WEIGHT],
        ).fetchall():
            ra, rb = rep.get(a, a), rep.get(b, b)
            if ra != rb:
                prior.append((ra, rb, float(weight), float(probability)))
    result, params = run_linkage(
        engine,
        spec,
        records,
        tokens,
        params=params,
        forced_edges=_edge_table(to_reps(forced)),
        rejected_edges=_edge_table(to_reps([(a, b) for a, b in rejected])),
        prior_links=pa.table(
            {
                "id_l": pa.array([p[0] for p in prior], pa.string()),
                "id_r": pa.array([p[1] for p in prior], pa.string()),
                "match_weight": pa.array([p[2] for p in prior], pa.float64()),
                "probability": pa.array([p[3] for p in prior], pa.float64()),
            }
        ),
    )
    identical = [(min(d, r), max(d, r)) for d, r in rep.items() if d in new]
    links = pa.concat_tables(
        [result.links, _identical_links(identical, spec).cast(result.links.schema)]
    )
    clusters = expand_clusters(result.clusters, rep)
    _write(store, run_id, mode, strings, features, new, links, clusters, params)
    clusters = store.con.execute("SELECT count(DISTINCT cluster_id) FROM trade_clusters").fetchone()
    linked = store.con.execute(
        """SELECT count(DISTINCT t.pid) FROM trade_clusters t
        JOIN trade_party_names n ON n.pid = t.pid AND n.origin = 'trade'
        WHERE t.cluster_id IN (SELECT c.cluster_id FROM trade_clusters c
              JOIN trade_party_names l ON l.pid = c.pid AND l.origin = 'list')"""
    ).fetchone()
    seconds = time.monotonic() - started
    run = ResolutionRun(
        run_id=run_id,
        engine=engine.name,
        mode=mode,
        names=len(strings),
        new_names=len(new),
        pairs=result.pairs,
        links=links.num_rows,
        clusters=int(clusters[0]) if clusters else 0,
        linked_to_lists=int(linked[0]) if linked else 0,
        seconds=seconds,
        seconds_by_step=result.seconds_by_step,
    )
    store.con.execute(
        "INSERT INTO trade_link_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            engine.name,
            mode,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
            seconds,
            run.names,
            run.pairs,
            run.links,
            run.clusters,
            spec.threshold,
        ],
    )
    return run


def _write(
    store: Store,
    run_id: str,
    mode: str,
    strings: list[PartyString],
    features: PartyFeatures,
    new: set[str],
    links: pa.Table,
    clusters: pa.Table,
    params: LinkageParams,
) -> None:
    """Store names, links, clusters (and on a full run the fixed tables) atomically."""
    con = store.con
    fresh = [s for s in strings if s.pid in new]
    names = pa.table(
        {
            "pid": [s.pid for s in fresh],
            "origin": [s.origin for s in fresh],
            "entity_id": [s.entity_id for s in fresh],
            "name": [s.name for s in fresh],
            "address": [s.address for s in fresh],
            "country": [s.country for s in fresh],
            "identifier": [s.identifier for s in fresh],
            "name_norm": [" ".join(features.name_forms[s.name]) for s in fresh],
            "name_key": ["".join(features.name_forms[s.name]) for s in fresh],
            "address_norm": [
                features.address_forms[s.address] if s.address else None for s in fresh
            ],
            "mentions": pa.array([s.mentions for s in fresh], pa.int64()),
            "run_id": [run_id] * len(fresh),
        }
    )
    con.execute("BEGIN TRANSACTION")
    try:
        if mode == "full":
            for table in ("trade_party_names", "trade_links", "trade_token_freq"):
                con.execute(f"DELETE FROM {table}")
            con.execute("DELETE FROM trade_link_params")
            con.register("_dt_freq", params.token_freq)
            con.execute("INSERT INTO trade_token_freq SELECT token, n, ? FROM _dt_freq", [run_id])
            con.unregister("_dt_freq")
            rows: list[list[Any]] = [
                ["_frequency", "n_total", float(params.n_total), run_id],
                ["_prior", "blocked_match_share", params.prior, run_id],
            ]
            for kind, model in (("m", params.m), ("u", params.u)):
                for comp, levels in model.items():
                    rows += [[comp, f"{kind}:{lv}", p, run_id] for lv, p in levels.items()]
            con.executemany("INSERT INTO trade_link_params VALUES (?, ?, ?, ?)", rows)
        con.register("_dt_names", names)
        con.execute(
            "INSERT INTO trade_party_names SELECT pid, origin, entity_id, name, address, "
            "country, identifier, name_norm, name_key, address_norm, mentions, run_id "
            "FROM _dt_names"
        )
        con.unregister("_dt_names")
        con.register("_dt_links", links)
        con.execute(
            "INSERT INTO trade_links SELECT id_l, id_r, match_weight, probability, name_level, "
            "country_level, address_level, id_level, ? FROM _dt_links",
            [run_id],
        )
        con.unregister("_dt_links")
        con.execute("DELETE FROM trade_clusters")
        con.register("_dt_clusters", clusters)
        con.execute(
            "INSERT INTO trade_clusters SELECT id, 'tp-' || substr(cluster_id, 2), ? "
            "FROM _dt_clusters",
            [run_id],
        )
        con.unregister("_dt_clusters")
        con.execute(
            "UPDATE trade_party_names SET mentions = m.n FROM (SELECT pid, count(*) AS n "
            "FROM trade_parties GROUP BY pid) m WHERE trade_party_names.pid = m.pid"
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


DECISIONS = ("match", "no-match", "undo")


def record_decision(
    store: Store, pid_a: str, pid_b: str, decision: str, note: str | None = None
) -> None:
    """Store an analyst's match / no-match on two party strings (``undo`` removes it).

    Decisions override scores at the next resolve: a match forces an edge, a no-match
    cuts one, so a wrong merge is undone without touching any score.
    """
    if decision not in DECISIONS:
        raise InputError(f"decision must be one of {', '.join(DECISIONS)}", field="decision")
    if pid_a == pid_b:
        raise InputError("a party string cannot be compared with itself", field="pid")
    for pid in (pid_a, pid_b):
        found = store.con.execute(
            "SELECT count(*) FROM trade_party_names WHERE pid = ?", [pid]
        ).fetchone()
        if not found or not found[0]:
            raise NotFoundError(f"no party string {pid!r}; run `dualtrace trade resolve` first")
    low, high = sorted((pid_a, pid_b))
    store.con.execute("DELETE FROM trade_link_decisions WHERE pid_l = ? AND pid_r = ?", [low, high])
    if decision != "undo":
        store.con.execute(
            "INSERT INTO trade_link_decisions VALUES (?, ?, ?, ?, current_timestamp)",
            [low, high, decision, note],
        )
