"""An entity's trade flows, and the charts that show them (server-side SVG).

Trade records are loaded and their parties resolved by the trade capability
(``dualtrace.trade``); its documented tables say which list entity a resolved party
cluster contains (``trade_party_names.origin = 'list'``), the same rule the networks
capability uses for its trade edges. Here the records in which the entity is a party
are read, grouped by month, by route (dispatch -> destination country) and by HS risk
tier (CHPL tiers, military headings), and drawn as small bar charts. Every line keeps
its source file and row, so the table under the charts cites each record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from dualtrace.store.duckdb_store import Store

MAX_LINES = 2000
BAR_COLOUR = "#1f5fa8"
RISK_COLOUR = "#c0262d"


@dataclass(slots=True)
class TradeLine:
    date: str | None
    role: str
    exporter: str | None
    importer: str | None
    route: str
    hs6: str | None
    goods: str | None
    tier: str | None
    value: float | None
    currency: str | None
    dataset: str
    source_file: str
    source_row: int


@dataclass(slots=True)
class TradeFlows:
    """The entity's trade lines and their three groupings."""

    lines: list[TradeLine] = field(default_factory=list)
    by_month: list[tuple[str, int, int]] = field(default_factory=list)  # month, lines, risky
    by_route: list[tuple[str, int, int]] = field(default_factory=list)
    by_tier: list[tuple[str, int, int]] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)  # currency -> sum

    @property
    def risky(self) -> int:
        return sum(1 for line in self.lines if line.tier)


def _has_trade(store: Store) -> bool:
    row = store.con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_name IN ('trade_records', 'trade_parties', 'trade_clusters', "
        "'trade_party_names', 'trade_link_runs')"
    ).fetchone()
    return bool(row and row[0] == 5)


def entity_trade(store: Store, entity_ids: set[str]) -> TradeFlows | None:
    """Trade lines in which any of ``entity_ids`` is a party; None if no trade is loaded."""
    if not _has_trade(store):
        return None
    ids = sorted(entity_ids)
    rows = store.con.execute(
        f"""
        WITH cl AS (
          SELECT c.pid, arg_max(c.cluster_id, coalesce(r.started_at, TIMESTAMP '1970-01-01'))
                 AS cluster_id
          FROM trade_clusters c LEFT JOIN trade_link_runs r ON r.run_id = c.run_id
          GROUP BY c.pid
        ), mine AS (
          SELECT DISTINCT cl.cluster_id FROM cl
          JOIN trade_party_names n ON n.pid = cl.pid AND n.origin = 'list'
          WHERE n.entity_id IN ({", ".join("?" for _ in ids)})
        ), parts AS (
          SELECT p.record_key, min(p.role) AS role FROM trade_parties p
          JOIN cl ON cl.pid = p.pid WHERE cl.cluster_id IN (SELECT cluster_id FROM mine)
          GROUP BY p.record_key
        )
        SELECT CAST(r.date AS VARCHAR), parts.role, r.exporter_name, r.importer_name,
               coalesce(r.dispatch_country, r.exporter_country, '??') || ' → ' ||
               coalesce(r.destination_country, r.importer_country, '??'),
               r.hs6, r.goods_description, coalesce(r.chpl_tier, r.military_heading),
               r.value, r.currency, r.dataset, r.source_file, r.source_row
        FROM trade_records r JOIN parts ON parts.record_key = r.record_key
        ORDER BY r.date, r.source_file, r.source_row
        LIMIT {MAX_LINES}
        """,
        ids,
    ).fetchall()
    flows = TradeFlows(lines=[TradeLine(*r) for r in rows])
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    routes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    tiers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    values: dict[str, float] = defaultdict(float)
    for line in flows.lines:
        risky = 1 if line.tier else 0
        for bucket, key in (
            (months, (line.date or "undated")[:7]),
            (routes, line.route),
            (tiers, _tier_label(line.tier)),
        ):
            bucket[key][0] += 1
            bucket[key][1] += risky
        if line.value is not None and line.currency:
            values[line.currency] += float(line.value)
    flows.by_month = sorted((k, v[0], v[1]) for k, v in months.items())
    flows.by_route = sorted(((k, v[0], v[1]) for k, v in routes.items()), key=lambda t: -t[1])
    flows.by_tier = sorted((k, v[0], v[1]) for k, v in tiers.items())
    flows.values = {k: round(v, 2) for k, v in sorted(values.items())}
    return flows


def _tier_label(tier: str | None) -> str:
    if not tier:
        return "not on CHPL"
    return tier if not tier.isdigit() else f"CHPL tier {tier}"


def bar_chart(title: str, bars: list[tuple[str, int, int]], width: int = 520) -> str:
    """Horizontal bars (total lines, the high-risk part in red) as standalone SVG."""
    row_h, label_w, top = 18, 170, 24
    height = top + row_h * max(len(bars), 1) + 8
    peak = max((b[1] for b in bars), default=1) or 1
    scale = (width - label_w - 50) / peak
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        'font-family="DejaVu Sans, sans-serif" font-size="11">',
        f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, total, risky) in enumerate(bars):
        y = top + i * row_h
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(f'<text x="0" y="{y + 12}">{escape(short)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{total * scale:.1f}" height="{row_h - 5}" '
            f'fill="{BAR_COLOUR}"/>'
        )
        if risky:
            parts.append(
                f'<rect x="{label_w}" y="{y + 2}" width="{risky * scale:.1f}" '
                f'height="{row_h - 5}" fill="{RISK_COLOUR}"/>'
            )
        parts.append(
            f'<text x="{label_w + total * scale + 4:.1f}" y="{y + 12}">{total}'
            f"{f' ({risky} high-risk)' if risky else ''}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def charts(flows: TradeFlows) -> dict[str, Any]:
    """The three charts of a profile or report, as SVG strings."""
    return {
        "time": bar_chart("Lines per month (red: CHPL or military goods)", flows.by_month),
        "route": bar_chart("Lines per route (dispatch → destination)", flows.by_route[:15]),
        "tier": bar_chart("Lines per HS risk tier", flows.by_tier),
    }
