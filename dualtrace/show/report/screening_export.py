"""Screening results as CSV and Excel, one row per query and candidate, with reasons.

Compliance teams file these sheets as the record of a screening run, so every row
keeps the input row number and the query as given, and the explanation column says in
words why a candidate scored as it did. Cells that a spreadsheet would execute as a
formula (leading ``= + - @``) are prefixed with an apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from dualtrace.show.web.screening_jobs import ScreeningResult

COLUMNS = (
    "row",
    "ref",
    "query_name",
    "query_schema",
    "query_country",
    "query_identifier",
    "match",
    "score",
    "entity_id",
    "entity_name",
    "datasets",
    "explanation",
)


def _safe(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def result_rows(results: Sequence[ScreeningResult]) -> list[list[str | float | int | bool]]:
    rows: list[list[str | float | int | bool]] = []
    for r in results:
        q = r.query
        rows.append(
            [
                q.row,
                _safe(q.ref),
                _safe(q.name),
                q.schema,
                _safe(q.country),
                _safe(q.identifier),
                r.match,
                round(r.score, 4),
                r.entity_id or "",
                _safe(r.caption),
                "; ".join(r.datasets),
                _safe(" | ".join(r.explanations)),
            ]
        )
    return rows


def export_csv(results: Sequence[ScreeningResult]) -> bytes:
    """UTF-8 with BOM so Excel opens Cyrillic and Chinese names correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    writer.writerows(result_rows(results))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def export_xlsx(results: Sequence[ScreeningResult]) -> bytes:
    """An .xlsx workbook: results sheet with a frozen header and an autofilter."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = "Screening results"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in result_rows(results):
        ws.append(row)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    widths = {"A": 6, "C": 36, "J": 40, "L": 80}
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
