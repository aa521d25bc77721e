"""The graph, derived from the store's statements as of a date (never stored alone).

Everything here is set-based SQL over the ``statements`` table of the dataset versions
in force at the date asked, materialised as TEMP tables on the store's connection
(so it also works on a store opened read-only, and a rebuild is one call):

``g_nodes(id, schema, caption)``
    parties (people, companies, organisations, vessels, aircraft) and Address entities.
``g_edges(edge_id, kind, src, dst, role, pct, pct_text, start_date, end_date, dataset,
evidence)``
    FtM relationship entities (Ownership owner->asset with percentage and dates,
    Directorship, Family, Associate, Membership, Employment, Representation,
    UnknownLink, Payment, Succession) and shared-attribute edges from a party to an
    attribute node (``phone:``, ``email:``, ``web:``, ``addr:``, ``id:``), so two
    parties sharing a phone are two hops apart without a quadratic pair table.
    ``evidence`` lists the statement ids the edge rests on.
``g_listed(entity, sanction_id, dataset, authority, program, program_id, start_date,
end_date, source_url, evidence)``
    one row per listing: a Sanction entity pointing at a party, or a party of a dataset
    whose kind is ``list`` that has no Sanction entity of its own.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass

import pyarrow as pa
from followthemoney import model

from dualtrace.errors import InputError
from dualtrace.graph.engine import sql_str
from dualtrace.store.duckdb_store import Store

# FtM relationship schemata: (source property, target property, edge kind).
RELATIONSHIPS: dict[str, tuple[str, str, str]] = {
    "Ownership": ("owner", "asset", "ownership"),
    "Directorship": ("director", "organization", "directorship"),
    "Family": ("person", "relative", "family"),
    "Associate": ("person", "associate", "associate"),
    "Membership": ("member", "organization", "membership"),
    "Employment": ("employee", "employer", "employment"),
    "Representation": ("agent", "client", "representation"),
    "UnknownLink": ("subject", "object", "unknown_link"),
    "Payment": ("payer", "beneficiary", "payment"),
    "Succession": ("predecessor", "successor", "succession"),
}
PARTY_SCHEMATA: tuple[str, ...] = tuple(
    sorted(
        s.name
        for s in model.schemata.values()
        if s.is_a("LegalEntity") or s.name in ("Vessel", "Airplane")
    )
)
# Identifier properties that name a class, not a party (an industry code, a tax office,
# a bank, a sanctions programme): sharing one says nothing about a connection.
NON_IDENTIFYING_PROPS: tuple[str, ...] = (
    "programId",
    "okvedCode",
    "kppCode",
    "coatoCode",
    "fnsCode",
    "bikCode",
    "ticker",
)
ATTRIBUTE_KINDS: dict[str, str] = {
    "phone": "shared_phone",
    "email": "shared_email",
    "url": "shared_website",
    "address": "shared_address",
    "identifier": "shared_identifier",
}
EDGE_KINDS: tuple[str, ...] = (
    *sorted({k for _, _, k in RELATIONSHIPS.values()}),
    "address_entity",
    *sorted(ATTRIBUTE_KINDS.values()),
    "trade",
    "mention",
    "co_mention",
)
# Free-text properties where lists explain a listing ("a subsidiary of ...").
TEXT_PROPS: tuple[str, ...] = ("reason", "notes", "summary", "description")
WORD = re.compile(r"[^\W_]+", re.UNICODE)
ORG_SCHEMATA: tuple[str, ...] = ("Company", "Organization", "LegalEntity", "PublicBody")
# Legal-form words trimmed from the ends of a name before looking for it in free text
# ("ALMAZ-ANTEY JSC" is written "Almaz-Antey" in a listing reason).
LEGAL_WORDS = (
    "jsc ojsc cjsc pjsc ao oao zao pao ooo llc ltd limited co company corp corporation inc "
    "gmbh joint stock open closed public the obshchestvo aktsionernoe s ogranichennoi "
    "otvetstvennostyu llp plc sa ag"
)
# A name written only in Latin script (ASCII, Latin-1, Latin Extended A/B and
# Additional), as a RE2 pattern for DuckDB: preferred as a caption over other scripts.
LATIN_ONLY = r"^[\x00-\x{024F}\x{1E00}-\x{1EFF}]*$"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_date(value: str | None, field: str = "as_of") -> str | None:
    """An ISO date (YYYY-MM-DD) or None; anything else is an InputError."""
    if value is None:
        return None
    if not _ISO_DATE.match(value):
        raise InputError(f"not an ISO date (YYYY-MM-DD): {value!r}", field=field)
    try:
        dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"not a valid date: {value!r}", field=field) from exc
    return value


@dataclass(frozen=True, slots=True)
class GraphCounts:
    nodes: int
    edges: int
    listed: int


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(sql_str(v) for v in values)


def _end_of(col: str) -> str:
    """Partial end dates (``2023``, ``2023-06``) mean the end of that period."""
    return (
        f"CASE WHEN length({col}) = 4 THEN {col} || '-12-31' "
        f"WHEN length({col}) = 7 THEN {col} || '-31' ELSE {col} END"
    )


def build_graph(store: Store, known_at: str | None = None) -> GraphCounts:
    """(Re)build the ``g_*`` TEMP tables from the dataset versions in force at ``known_at``.

    ``known_at`` is *what we knew then* (default: the latest version of every dataset).
    It is not the date a rule is applied at: an ownership that ended in 2023 is still a
    fact in a 2026 registry extract, so "as of" dates filter the facts' own start and end
    dates (:func:`edge_in_force_sql`, :func:`listing_in_force_sql`), not the versions.
    """
    known_at = check_date(known_at, "known_at")
    con = store.con
    # derived from the g_* tables by dualtrace.judge.control on first use after a build
    con.execute("DROP TABLE IF EXISTS g_control")
    vsql, vparams = store.versions_in_force_sql(known_at)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE g_stmt AS
        SELECT s.id, s.entity_id, s.canonical_id, s.schema, s.prop, s.prop_type, s.value,
               s.dataset, s.doc_id
        FROM statements s JOIN ({vsql}) v ON s.dataset = v.dataset AND s.version = v.version
        """,
        vparams,
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE g_canon AS "
        "SELECT entity_id, any_value(canonical_id) AS canonical_id FROM g_stmt GROUP BY entity_id"
    )
    parties = _in_list(PARTY_SCHEMATA)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE g_nodes AS
        WITH ent AS (
          SELECT canonical_id AS id, min(schema) AS schema FROM g_stmt
          WHERE schema IN ({parties}, 'Address') GROUP BY canonical_id
        ), names AS (
          -- One caption per merged entity, the same on every build: a name (not an
          -- address line) from a sanctions list before other sources, the most reliable
          -- source (Admiralty grade A before B ...), Latin script before others, then
          -- the shortest, then the first in code-point order (a total order on names).
          SELECT g.canonical_id AS id,
                 first(g.value ORDER BY
                   CASE WHEN g.prop = 'name' THEN 0 ELSE 1 END,
                   CASE WHEN d.kind = 'list' THEN 0 ELSE 1 END,
                   coalesce(d.reliability, 'Z'),
                   CASE WHEN regexp_matches(g.value, {sql_str(LATIN_ONLY)})
                        THEN 0 ELSE 1 END,
                   length(g.value),
                   g.value) AS caption
          FROM g_stmt g LEFT JOIN datasets d ON d.name = g.dataset
          WHERE g.prop IN ('name', 'full') GROUP BY g.canonical_id
        )
        SELECT ent.id, ent.schema, coalesce(names.caption, ent.id) AS caption
        FROM ent LEFT JOIN names ON names.id = ent.id
        """
    )
    rel_rows = ", ".join(
        f"({sql_str(schema)}, {sql_str(src)}, {sql_str(dst)}, {sql_str(kind)})"
        for schema, (src, dst, kind) in RELATIONSHIPS.items()
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE g_rel AS
        WITH relmap(schema, src_prop, dst_prop, kind) AS (VALUES {rel_rows}),
        rs AS (SELECT g.* FROM g_stmt g JOIN relmap m ON g.schema = m.schema),
        ends AS (
          SELECT r.canonical_id AS rel, m.kind,
                 max(CASE WHEN r.prop = m.src_prop THEN coalesce(c.canonical_id, r.value) END)
                   AS src,
                 max(CASE WHEN r.prop = m.dst_prop THEN coalesce(c.canonical_id, r.value) END)
                   AS dst
          FROM rs r JOIN relmap m ON r.schema = m.schema
          -- only src/dst (entity) values are read through c; an extra condition here
          -- would turn the hash join into a nested loop
          LEFT JOIN g_canon c ON c.entity_id = r.value
          GROUP BY r.canonical_id, m.kind
        ), props AS (
          SELECT canonical_id AS rel,
                 min(CASE WHEN prop IN ('role', 'relationship', 'purpose') THEN value END) AS role,
                 min(CASE WHEN prop = 'percentage' THEN value END) AS pct_text,
                 min(CASE WHEN prop = 'sharesCount' THEN value END) AS shares,
                 min(CASE WHEN prop IN ('startDate', 'date') THEN value END) AS start_date,
                 max(CASE WHEN prop = 'endDate' THEN value END) AS end_date,
                 min(CASE WHEN prop = 'amount' THEN value END) AS amount,
                 min(CASE WHEN prop = 'currency' THEN value END) AS currency,
                 min(dataset) AS dataset,
                 list(id ORDER BY id) AS evidence
          FROM rs GROUP BY canonical_id
        )
        SELECT e.rel AS edge_id, e.kind, e.src, e.dst, p.role, p.pct_text,
               CASE WHEN try_cast(replace(replace(trim(p.pct_text), '%', ''), ',', '.') AS DOUBLE)
                         BETWEEN 0 AND 100
                    THEN try_cast(replace(replace(trim(p.pct_text), '%', ''), ',', '.') AS DOUBLE)
               END AS pct,
               p.shares, p.start_date, p.end_date, p.amount, p.currency, p.dataset, p.evidence
        FROM ends e JOIN props p ON p.rel = e.rel
        WHERE e.src IS NOT NULL AND e.dst IS NOT NULL
        """
    )
    non_id = _in_list(NON_IDENTIFYING_PROPS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE g_attr AS
        WITH a AS (
          SELECT g.id, g.canonical_id AS src, g.prop, g.prop_type, g.value, g.dataset,
            CASE g.prop_type
              WHEN 'phone' THEN 'phone:' || regexp_replace(g.value, '[^0-9+]', '', 'g')
              WHEN 'email' THEN 'email:' || lower(trim(g.value))
              WHEN 'url' THEN 'web:' || regexp_replace(
                  regexp_replace(lower(trim(g.value)), '^[a-z]+://(www\\.)?', ''), '/+$', '')
              WHEN 'address' THEN 'addr:' || trim(regexp_replace(
                  lower(strip_accents(g.value)), '[^[:alnum:]]+', ' ', 'g'))
              WHEN 'identifier' THEN 'id:' || upper(regexp_replace(g.value, '[^[:alnum:]]', '',
                  'g'))
            END AS attr
          FROM g_stmt g
          WHERE g.prop_type IN ('phone', 'email', 'url', 'address', 'identifier')
            AND (g.schema IN ({parties}) OR (g.schema = 'Address' AND g.prop = 'full'))
            AND g.prop NOT IN ({non_id}, 'sourceUrl')
        )
        SELECT id AS edge_id, src, attr AS dst, prop, prop_type, value, dataset FROM a
        WHERE length(attr) >= CASE WHEN prop_type = 'identifier' THEN 8 ELSE 9 END
          -- "Izhevsk 426008" is a town, not an address: shared addresses need 3+ words
          AND (prop_type <> 'address' OR length(attr) - length(replace(attr, ' ', '')) >= 2)
        """
    )
    kinds_case = " ".join(
        f"WHEN {sql_str(t)} THEN {sql_str(k)}" for t, k in ATTRIBUTE_KINDS.items()
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE g_edges AS
        SELECT edge_id, kind, src, dst, role, pct, pct_text, start_date, end_date,
               amount, currency, dataset, evidence
        FROM g_rel
        UNION ALL
        SELECT g.id, 'address_entity', g.canonical_id, coalesce(c.canonical_id, g.value), g.prop,
               NULL, NULL, NULL, NULL, NULL, NULL, g.dataset, [g.id]
        FROM g_stmt g LEFT JOIN g_canon c ON c.entity_id = g.value
        WHERE g.prop = 'addressEntity' AND g.schema IN ({parties})
        UNION ALL
        SELECT edge_id, CASE prop_type {kinds_case} END, src, dst, prop, NULL, NULL, NULL, NULL,
               NULL, NULL, dataset, [edge_id]
        FROM g_attr
        """
    )
    # Parties named in the same document: an edge to a document node (not pairwise,
    # so a document naming 500 companies adds 500 edges, not 125,000).
    con.execute(
        f"""
        INSERT INTO g_edges
        SELECT min(id), 'co_mention', canonical_id, 'doc:' || doc_id, 'named in document',
               NULL, NULL, NULL, NULL, NULL, NULL, min(dataset), list(id ORDER BY id)
        FROM g_stmt WHERE doc_id IS NOT NULL AND schema IN ({parties})
        GROUP BY canonical_id, doc_id
        """
    )
    _build_document_mention_edges(store)
    _build_trade_edges(store)
    _build_listed(store)
    _build_mention_edges(store)
    counts = con.execute(
        "SELECT (SELECT count(*) FROM g_nodes), (SELECT count(*) FROM g_edges), "
        "(SELECT count(DISTINCT entity) FROM g_listed)"
    ).fetchone()
    assert counts is not None
    return GraphCounts(int(counts[0]), int(counts[1]), int(counts[2]))


def _build_listed(store: Store) -> None:
    con = store.con
    parties = _in_list(PARTY_SCHEMATA)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE g_sanction AS
        WITH tgt AS (
          SELECT s.canonical_id AS sanction_id,
                 max(coalesce(c.canonical_id, s.value)) AS entity
          FROM (SELECT canonical_id, value FROM g_stmt
                WHERE schema = 'Sanction' AND prop = 'entity') s
          LEFT JOIN g_canon c ON c.entity_id = s.value
          GROUP BY s.canonical_id
        )
        SELECT s.canonical_id AS sanction_id, min(s.dataset) AS dataset,
          any_value(t.entity) AS entity,
          string_agg(DISTINCT CASE WHEN s.prop = 'authority' THEN s.value END, '; ')
            AS authority,
          string_agg(DISTINCT CASE WHEN s.prop = 'program' THEN s.value END, '; ') AS program,
          string_agg(DISTINCT CASE WHEN s.prop = 'programId' THEN s.value END, '; ')
            AS program_id,
          min(CASE WHEN s.prop IN ('startDate', 'listingDate') THEN s.value END) AS start_date,
          max(CASE WHEN s.prop = 'endDate' THEN s.value END) AS end_date,
          min(CASE WHEN s.prop = 'sourceUrl' THEN s.value END) AS source_url,
          list(s.id ORDER BY s.id) AS evidence
        FROM g_stmt s LEFT JOIN tgt t ON t.sanction_id = s.canonical_id
        WHERE s.schema = 'Sanction'
        GROUP BY s.canonical_id
        """
    )
    # Parties of list datasets without a Sanction of their own in that dataset: every
    # party has a name, so the name statements alone find them (and are the evidence).
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE g_listed AS
        WITH from_lists AS (
          SELECT g.canonical_id AS entity, g.dataset, list(g.id ORDER BY g.id) AS evidence
          FROM g_stmt g JOIN datasets d ON d.name = g.dataset AND d.kind = 'list'
          WHERE g.schema IN ({parties}) AND g.prop = 'name'
          GROUP BY g.canonical_id, g.dataset
        ), covered AS (
          SELECT DISTINCT entity, dataset FROM g_sanction WHERE entity IS NOT NULL
        )
        SELECT entity, sanction_id, dataset, authority, program, program_id, start_date,
               end_date, source_url, evidence
        FROM g_sanction WHERE entity IS NOT NULL
        UNION ALL
        SELECT f.entity, NULL, f.dataset, coalesce(d.publisher, d.title), d.title, NULL, NULL,
               NULL, d.url, f.evidence
        FROM from_lists f JOIN datasets d ON d.name = f.dataset
        ANTI JOIN covered c ON c.entity = f.entity AND c.dataset = f.dataset
        """
    )


def _build_mention_edges(store: Store) -> None:
    """Edges from a listed party to other listed parties its listing texts name.

    EU listing reasons carry the network ("IEMZ Kupol, a subsidiary of ... Almaz-Antey";
    "OOO TSK Vektor has acted as an intermediary between ..."). Names are matched as
    sequences of comparison keys (the screening layer's romanisation folding) of two or
    more distinctive words, so "Almaz-Antey" in a reason finds the entity listed as
    "ALMAZ-ANTEY JSC". The edge's role keeps the words before the mention, which is
    usually the relation ("a subsidiary of Russian state-owned arms company").
    """
    from dualtrace.names.normalize import token_key

    con = store.con
    names = con.execute(
        f"""
        SELECT DISTINCT s.canonical_id, s.value FROM g_stmt s
        WHERE s.prop_type = 'name' AND s.schema IN ({_in_list(ORG_SCHEMATA)})
          AND s.canonical_id IN (SELECT entity FROM g_listed)
        """
    ).fetchall()
    legal = {token_key(w) for w in LEGAL_WORDS.split()}
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for entity, name in names:
        if any(ch.isalpha() and not ch.isascii() for ch in str(name)):
            continue  # listing texts that explain networks are written in Latin script
        keys = [token_key(w) for w in WORD.findall(str(name))]
        while keys and keys[0] in legal:
            keys.pop(0)
        while keys and keys[-1] in legal:
            keys.pop()
        if len(keys) >= 2 and sum(len(k) for k in keys) >= 8:
            index.setdefault(keys[0], []).append((tuple(keys), str(entity)))
    texts = con.execute(
        f"""
        SELECT s.id, coalesce(l.entity, s.canonical_id), s.value FROM g_stmt s
        LEFT JOIN (SELECT DISTINCT sanction_id, entity FROM g_sanction) l
          ON l.sanction_id = s.canonical_id
        WHERE s.prop IN ({_in_list(TEXT_PROPS)})
          AND (s.schema = 'Sanction' OR s.canonical_id IN (SELECT entity FROM g_listed))
        """
    ).fetchall()
    rows: dict[tuple[str, str], tuple[str, str, str]] = {}
    for stmt_id, subject, text in texts:
        words = WORD.findall(str(text))
        keys = [token_key(w) for w in words]
        found: list[tuple[int, int, str]] = []
        for i, key in enumerate(keys):
            for seq, entity in index.get(key, ()):
                if tuple(keys[i : i + len(seq)]) == seq:
                    found.append((i, i + len(seq), entity))
        by_span: dict[tuple[int, int], set[str]] = {}
        for start, end, entity in found:
            by_span.setdefault((start, end), set()).add(entity)
        for start, _end, entity in found:
            if entity == subject:
                continue
            pair = (str(subject), entity)
            before = " ".join(words[max(0, start - 8) : start])
            # When another party is named just before (within the ten words that make
            # a pair edge below; not the subject under another list's id), the words
            # are about that party: "intermediary between IEMZ Kupol, a subsidiary of
            # ... Almaz-Antey" says nothing of the subject and Almaz-Antey. The role
            # says so, and dualtrace.judge.control derives no control from it.
            shadowed = any(
                0 <= start - e2 <= 10 and subject not in ents and entity not in ents
                for (_s2, e2), ents in by_span.items()
            )
            lead = (
                "named in listing text, after another named party"
                if shadowed
                else ("named in listing text")
            )
            role = f"{lead}: ...{before}"
            rows.setdefault(pair, (f"{stmt_id}#{entity}", role, str(stmt_id)))
        # Two parties named close together are related by the words between them
        # ("IEMZ Kupol, a subsidiary of ... Almaz-Antey"); one name may stand for
        # several entities (the same party on two lists), so spans are grouped.
        spans: dict[tuple[int, int], list[str]] = {}
        for start, end, entity in found:
            spans.setdefault((start, end), []).append(entity)
        ordered = sorted(spans.items())
        for ((_s1, e1), firsts), ((s2, _e2), seconds) in itertools.pairwise(ordered):
            if not 0 <= s2 - e1 <= 10:
                continue
            between = " ".join(words[e1:s2])
            for a in firsts:
                for b in seconds:
                    if a != b:
                        rows.setdefault((a, b), (f"{stmt_id}#{a}#{b}", between, str(stmt_id)))
    if not rows:
        return
    items = list(rows.items())
    table = pa.table(
        {
            "edge_id": [v[0] for _, v in items],
            "src": [k[0] for k, _ in items],
            "dst": [k[1] for k, _ in items],
            "role": [v[1] for _, v in items],
            "ev": [v[2] for _, v in items],
        }
    )
    con.register("_g_mentions", table)  # one Arrow insert; executemany is row-by-row
    try:
        con.execute(
            "INSERT INTO g_edges SELECT edge_id, 'mention', src, dst, role, NULL, NULL, NULL, "
            "NULL, NULL, NULL, NULL, [ev] FROM _g_mentions"
        )
    finally:
        con.unregister("_g_mentions")


def _build_document_mention_edges(store: Store) -> None:
    """Co-mention edges from the documents capability's mention claims.

    Loading a document (``dualtrace load docs``) links the names it finds to list
    entities and keeps each link as a claim with its document, page and character
    span; no analyst has to accept it first for the graph to show that a report names
    Kupol, TSK Vektor and Redlepus together. One edge per entity and document, to the
    document's node (as the statement-based co-mentions above), whose role quotes
    where the name stands and whose evidence is the claim ids, each resolvable to its
    span. A rejected claim is left out; an edited one points at the entity chosen by
    the reviewer.
    """
    if not _has_table(store, "claims") or not _has_table(store, "claim_reviews"):
        return
    store.con.execute(
        """
        INSERT INTO g_edges
        WITH latest AS (
          SELECT claim_id, arg_max(decision, reviewed_at) AS decision,
                 arg_max(value, reviewed_at) AS value
          FROM claim_reviews GROUP BY claim_id
        ), m AS (
          SELECT c.claim_id, c.doc_id, c.quote, c.page, c.span_start, c.span_end,
                 coalesce(ge.canonical_id, gc.canonical_id, c.entity_id) AS node
          FROM claims c
          LEFT JOIN latest l ON l.claim_id = c.claim_id
          LEFT JOIN g_canon gc ON gc.entity_id = c.entity_id
          LEFT JOIN g_canon ge ON l.decision = 'edit' AND ge.entity_id = l.value
          WHERE c.kind = 'mention' AND c.entity_id IS NOT NULL
            AND coalesce(l.decision, '') <> 'reject'
        )
        SELECT min(claim_id), 'co_mention', node, 'doc:' || doc_id,
               'named in document ' || doc_id || ' as ' || string_agg(
                 '"' || quote || '" (page ' || page || ', chars ' || span_start || '-' ||
                 span_end || ')', '; ' ORDER BY span_start),
               NULL, NULL, NULL, NULL, NULL, NULL, 'documents',
               list(claim_id ORDER BY span_start)
        FROM m WHERE node IN (SELECT id FROM g_nodes)
        GROUP BY node, doc_id
        """
    )


def _has_table(store: Store, name: str) -> bool:
    row = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def _build_trade_edges(store: Store) -> None:
    """Shipper-to-consignee (and notify-to-consignee) edges from the trade tables.

    A trade party becomes the list entity its resolved cluster contains (trade linkage,
    ``trade_clusters``), else the cluster, else its own party string id — so a planted
    shipment to "ООО ТСК Вектор" lands on the listed TSK VEKTOR once linkage has run.
    Each edge's id is the record key and its evidence the record as in the source.
    """
    con = store.con
    if not _has_table(store, "trade_records"):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE g_trade_party AS SELECT NULL::VARCHAR AS record_key, "
            "NULL::VARCHAR AS role, NULL::VARCHAR AS name, NULL::VARCHAR AS node WHERE FALSE"
        )
        return
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE g_trade_party AS
        WITH runs AS (SELECT run_id, started_at FROM trade_link_runs),
        cl AS (
          SELECT c.pid, arg_max(c.cluster_id, coalesce(r.started_at, TIMESTAMP '1970-01-01'))
                 AS cluster_id
          FROM trade_clusters c LEFT JOIN runs r ON r.run_id = c.run_id GROUP BY c.pid
        ), listed AS (
          SELECT cl.cluster_id, min(n.entity_id) AS entity_id
          FROM cl JOIN trade_party_names n ON n.pid = cl.pid AND n.origin = 'list'
          WHERE n.entity_id IS NOT NULL GROUP BY cl.cluster_id
        )
        SELECT p.record_key, p.role, p.name, p.country, p.pid,
               coalesce(gc.canonical_id, l.entity_id, c.cluster_id, 'tp:' || p.pid) AS node
        FROM trade_parties p
        LEFT JOIN cl c ON c.pid = p.pid
        LEFT JOIN listed l ON l.cluster_id = c.cluster_id
        LEFT JOIN g_canon gc ON gc.entity_id = l.entity_id
        """
    )
    con.execute(
        """
        INSERT INTO g_nodes
        SELECT node, 'TradeParty', min(name) FROM g_trade_party
        WHERE node NOT IN (SELECT id FROM g_nodes) GROUP BY node
        """
    )
    con.execute(
        """
        INSERT INTO g_edges
        SELECT r.record_key || CASE WHEN x.role = 'notify' THEN '#notify' ELSE '' END,
               'trade', x.node, i.node,
               CASE WHEN x.role = 'notify' THEN 'notify party; HS ' ELSE 'HS ' END || r.hs_code,
               NULL, NULL, CAST(r.date AS VARCHAR), NULL,
               CAST(r.value AS VARCHAR), r.currency, r.dataset, [r.record_key]
        FROM trade_records r
        JOIN g_trade_party i ON i.record_key = r.record_key AND i.role = 'importer'
        JOIN g_trade_party x ON x.record_key = r.record_key AND x.role IN ('exporter', 'notify')
        WHERE x.node <> i.node
        """
    )


def listing_in_force_sql(as_of: str | None) -> str:
    """WHERE-clause fragment for g_listed rows in force at ``as_of`` (all when None)."""
    if as_of is None:
        return "TRUE"
    d = sql_str(check_date(as_of) or "")
    return (
        f"(start_date IS NULL OR start_date <= {d}) AND "
        f"(end_date IS NULL OR {_end_of('end_date')} >= {d})"
    )


def edge_in_force_sql(as_of: str | None, alias: str = "e") -> str:
    """WHERE-clause fragment for g_edges rows whose dates include ``as_of``."""
    if as_of is None:
        return "TRUE"
    d = sql_str(check_date(as_of) or "")
    end = _end_of(f"{alias}.end_date")
    return (
        f"({alias}.start_date IS NULL OR {alias}.start_date <= {d}) AND "
        f"({alias}.end_date IS NULL OR {end} >= {d})"
    )
