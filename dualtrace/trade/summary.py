"""Analyst aggregates over trade lines: per consignee, per route, per HS risk tier.

Written as portable SQL over the trade tables so the same numbers come from DuckDB (the
store itself) or from Spark (``--engine spark``) for data that outgrew one machine.
Values are not summed across currencies (there is no FX table): lines are counted, and
values are summed per currency.
"""

from __future__ import annotations

from typing import Any

from dualtrace.store.duckdb_store import Store
from dualtrace.trade.linkage.engines import DuckDBEngine, LinkageEngine

SUMMARY_TABLES = ("trade_records", "trade_parties", "trade_clusters", "trade_party_names")


def consignees_sql(limit: int) -> str:
    """Importers (resolved parties where linkage ran) ranked by CHPL and military lines."""
    return f"""
SELECT coalesce(c.cluster_id, p.pid) AS party_id, min(p.name) AS name,
  count(*) AS lines,
  count(CASE WHEN r.chpl_tier IS NOT NULL THEN 1 END) AS chpl_lines,
  count(CASE WHEN r.military_heading IS NOT NULL THEN 1 END) AS military_lines,
  count(DISTINCT r.exporter_name) AS suppliers_as_written,
  count(DISTINCT p.name) AS name_variants,
  min(r.date) AS first_date, max(r.date) AS last_date
FROM trade_records r
JOIN trade_parties p ON p.record_key = r.record_key AND p.role = 'importer'
LEFT JOIN trade_clusters c ON c.pid = p.pid
GROUP BY coalesce(c.cluster_id, p.pid)
ORDER BY chpl_lines + military_lines DESC, lines DESC, party_id
LIMIT {int(limit)}
"""


def routes_sql(limit: int) -> str:
    """Country pairs (dispatch -> destination, else the parties' countries)."""
    return f"""
SELECT coalesce(dispatch_country, exporter_country, '??') AS from_country,
  coalesce(destination_country, importer_country, '??') AS to_country,
  count(*) AS lines,
  count(CASE WHEN chpl_tier IS NOT NULL THEN 1 END) AS chpl_lines,
  count(CASE WHEN military_heading IS NOT NULL THEN 1 END) AS military_lines,
  count(DISTINCT importer_name) AS consignees_as_written
FROM trade_records
GROUP BY coalesce(dispatch_country, exporter_country, '??'),
  coalesce(destination_country, importer_country, '??')
ORDER BY chpl_lines + military_lines DESC, lines DESC, from_country, to_country
LIMIT {int(limit)}
"""


TIERS_SQL = """
SELECT coalesce(chpl_tier, military_heading, 'none') AS tier,
  CASE WHEN chpl_tier IS NOT NULL THEN 'CHPL'
       WHEN military_heading IS NOT NULL THEN 'MILITARY' ELSE 'none' END AS list,
  count(*) AS lines, count(DISTINCT importer_name) AS consignees_as_written,
  count(DISTINCT hs6) AS hs6_codes
FROM trade_records
GROUP BY coalesce(chpl_tier, military_heading, 'none'),
  CASE WHEN chpl_tier IS NOT NULL THEN 'CHPL'
       WHEN military_heading IS NOT NULL THEN 'MILITARY' ELSE 'none' END
ORDER BY tier
"""

VALUES_SQL = """
SELECT coalesce(chpl_tier, military_heading, 'none') AS tier, currency,
  round(sum(value), 2) AS value
FROM trade_records WHERE value IS NOT NULL AND currency IS NOT NULL
GROUP BY coalesce(chpl_tier, military_heading, 'none'), currency
ORDER BY tier, currency
"""


def _rows(engine: LinkageEngine, sql: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = engine.arrow(sql).to_pylist()
    return rows


def trade_summary(
    store: Store, engine: LinkageEngine | None = None, limit: int = 20
) -> dict[str, Any]:
    """The three analyst views, computed on ``engine`` (default: the store itself)."""
    if engine is None:
        engine = DuckDBEngine(store.con)
    elif engine.name != "duckdb":
        for table in SUMMARY_TABLES:
            engine.register(table, store.con.execute(f"SELECT * FROM {table}").to_arrow_table())
    totals = store.con.execute(
        "SELECT count(*), count(DISTINCT dataset), min(date), max(date) FROM trade_records"
    ).fetchone()
    quarantined = store.con.execute("SELECT count(*) FROM trade_quarantine").fetchone()
    lines, datasets, first, last = totals if totals else (0, 0, None, None)
    return {
        "engine": engine.name,
        "lines": int(lines),
        "datasets": int(datasets),
        "quarantined": int(quarantined[0]) if quarantined else 0,
        "first_date": first,
        "last_date": last,
        "consignees": _rows(engine, consignees_sql(limit)),
        "routes": _rows(engine, routes_sql(limit)),
        "tiers": _rows(engine, TIERS_SQL),
        "values_by_tier_and_currency": _rows(engine, VALUES_SQL),
    }
