"""Trade data out of the store: party resolution as CSV, records as FtM.

``trade-parties`` writes one row per record and role so the resolution can be checked
against any external truth (record id as in the source, role, name as written,
resolved party id, the list entities the party resolves to, and the link score).
The FtM export gives other tools (Aleph, yente, nomenklatura) the records as
``EconomicActivity`` entities with their parties as ``LegalEntity``.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from dualtrace.errors import InputError
from dualtrace.model.provenance import SourcePointer
from dualtrace.sources.base import add_value, make_entity
from dualtrace.store.duckdb_store import Store

TRADE_PARTIES_SQL = """
WITH list_members AS (
  SELECT c.cluster_id, n.pid, n.entity_id
  FROM trade_clusters c JOIN trade_party_names n ON n.pid = c.pid AND n.origin = 'list'
), list_ids AS (
  SELECT cluster_id, string_agg(DISTINCT entity_id, ';' ORDER BY entity_id) AS ids
  FROM list_members GROUP BY cluster_id
), list_scores AS (
  SELECT p.pid, max(l.probability) AS score
  FROM (SELECT DISTINCT pid FROM trade_parties) p
  JOIN trade_links l ON l.pid_l = p.pid OR l.pid_r = p.pid
  JOIN list_members m ON m.pid = CASE WHEN l.pid_l = p.pid THEN l.pid_r ELSE l.pid_l END
  GROUP BY p.pid
), party_scores AS (
  SELECT pid, max(probability) AS score FROM (
    SELECT l.pid_l AS pid, l.probability FROM trade_links l
    JOIN trade_clusters a ON a.pid = l.pid_l JOIN trade_clusters b ON b.pid = l.pid_r
    WHERE a.cluster_id = b.cluster_id
    UNION ALL
    SELECT l.pid_r AS pid, l.probability FROM trade_links l
    JOIN trade_clusters a ON a.pid = l.pid_l JOIN trade_clusters b ON b.pid = l.pid_r
    WHERE a.cluster_id = b.cluster_id
  ) AS s GROUP BY pid
)
SELECT r.record_id, r.dataset, r.source_file, r.source_row, p.role, p.name,
  p.country, p.identifier, p.pid AS party_string_id, c.cluster_id AS party_id,
  li.ids AS list_entity_ids, ls.score AS list_link_score, ps.score AS party_link_score
FROM trade_parties p
JOIN trade_records r ON r.record_key = p.record_key
LEFT JOIN trade_clusters c ON c.pid = p.pid
LEFT JOIN list_ids li ON li.cluster_id = c.cluster_id
LEFT JOIN list_scores ls ON ls.pid = p.pid
LEFT JOIN party_scores ps ON ps.pid = p.pid
ORDER BY r.dataset, r.source_file, r.source_row, p.role
"""


def export_trade_parties(store: Store, out: Path) -> int:
    """Write the party CSV (DuckDB ``COPY``: millions of rows without Python loops)."""
    if out.suffix.lower() != ".csv":
        raise InputError("output must be a .csv file", file=str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    store.con.execute(f"COPY ({TRADE_PARTIES_SQL}) TO ? (HEADER, DELIMITER ',')", [str(out)])
    row = store.con.execute(f"SELECT count(*) FROM ({TRADE_PARTIES_SQL}) AS t").fetchone()
    return int(row[0]) if row else 0


_ACTIVITY_PROPS = (
    ("record_id", "recordId"),
    ("date", "date"),
    ("goods_description", "goodsDescription"),
    ("hs_code", "vedCode"),
    ("origin_country", "originCountry"),
    ("dispatch_country", "departureCountry"),
    ("destination_country", "destinationCountry"),
    ("trade_country", "tradingCountry"),
    ("transport", "transport"),
)
_ROLE_PROPS = {"exporter": "sender", "importer": "receiver", "declarant": "declarant"}


def export_trade_ftm(store: Store, out: Path, dataset: str | None = None) -> int:
    """FtM JSON lines: one EconomicActivity per record, one LegalEntity per party.

    Parties carry the resolved party id when linkage has run (so the same company is
    one entity across records), else their party string id. Quantity, unit, weight and
    CHPL tags have no FtM property and go into ``summary`` as text.
    """
    where = "WHERE r.dataset = ?" if dataset else ""
    params = [dataset] if dataset else []
    cur = store.con.execute(
        f"""
SELECT r.*, list(struct_pack(role := p.role, name := p.name, country := p.country,
          address := p.address, identifier := p.identifier,
          party := coalesce(c.cluster_id, p.pid)))
        FILTER (WHERE p.role IS NOT NULL) AS parties
FROM trade_records r LEFT JOIN trade_parties p ON p.record_key = r.record_key
LEFT JOIN trade_clusters c ON c.pid = p.pid
{where} GROUP BY ALL ORDER BY r.dataset, r.source_file, r.source_row
""",
        params,
    )
    columns = [d[0] for d in cur.description]
    written = 0
    seen_parties: set[str] = set()
    with out.open("wb") as fh:
        while True:
            batch = cur.fetchmany(10_000)
            if not batch:
                break
            for values in batch:
                rec = dict(zip(columns, values, strict=True))
                at = SourcePointer(file=rec["source_file"], row=rec["source_row"])
                activity = make_entity(
                    rec["dataset"], "EconomicActivity", f"trade-{rec['record_key']}"
                )
                for column, prop in _ACTIVITY_PROPS:
                    value = rec[column]
                    add_value(activity, prop, None if value is None else str(value), at)
                if rec["value"] is not None:
                    amount = f"{rec['value']:.2f} {rec['currency'] or ''}".strip()
                    add_value(activity, "invoiceAmount", amount, at)
                facts = [
                    f"{k}={rec[k]}"
                    for k in ("quantity", "unit", "weight_kg", "chpl_tier", "military_heading")
                    if rec[k] is not None
                ]
                if facts:
                    add_value(activity, "summary", "; ".join(facts), at)
                for party in rec["parties"] or []:
                    pid = f"trade-party-{party['party']}"
                    role_prop = _ROLE_PROPS.get(party["role"])
                    if role_prop is not None:
                        add_value(activity, role_prop, pid, at)
                    else:
                        add_value(activity, "namesMentioned", party["name"], at)
                    if pid in seen_parties:
                        continue
                    seen_parties.add(pid)
                    entity = make_entity(rec["dataset"], "LegalEntity", pid)
                    add_value(entity, "name", party["name"], at)
                    add_value(entity, "country", party["country"], at)
                    add_value(entity, "address", party["address"], at)
                    add_value(entity, "taxNumber", party["identifier"], at)
                    fh.write(orjson.dumps(entity.to_dict()) + b"\n")
                    written += 1
                fh.write(orjson.dumps(activity.to_dict()) + b"\n")
                written += 1
    return written
