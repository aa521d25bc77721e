"""Load one trade file into the store: map, validate, classify, quarantine; atomically.

The whole file is one transaction: either every valid row is in ``trade_records``
(with its quarantined siblings in ``trade_quarantine`` and the counts in
``trade_batches``) or nothing changed. Reloading the same file into the same dataset
replaces its rows, so a corrected file can simply be loaded again.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from dualtrace.errors import StoreError
from dualtrace.model.provenance import LoadReport
from dualtrace.store.duckdb_store import Store
from dualtrace.trade.column_mapping import ColumnMapping, build_mapping, read_mapping_file
from dualtrace.trade.hs_classification import HSRiskList, default_risk_list
from dualtrace.trade.model import FIELD_NAMES, PARTY_ROLES, TRADE_ARROW_SCHEMA
from dualtrace.trade.readers import open_table
from dualtrace.trade.validation import Problem, validate_row

BATCH_ROWS = 50_000


@dataclass
class TradeLoadReport:
    """Counts of one trade load; ``report`` holds every issue (quarantine reasons too)."""

    batch_id: str
    dataset: str
    source_file: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    parties: int = 0
    chpl_lines: int = 0
    military_lines: int = 0
    mapping: dict[str, str] = field(default_factory=dict)
    unused_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0
    report: LoadReport | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "dataset": self.dataset,
            "source_file": self.source_file,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "parties": self.parties,
            "chpl_lines": self.chpl_lines,
            "military_lines": self.military_lines,
            "mapping": self.mapping,
            "unused_columns": self.unused_columns,
            "seconds": round(self.seconds, 3),
            "issues": [i.render() for i in (self.report.issues if self.report else [])][:1000],
        }


class _RecordBatch:
    """Column lists of valid records, flushed to ``trade_records`` through Arrow."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cols: dict[str, list[Any]] = {n: [] for n in FIELD_NAMES}

    def add(self, record: dict[str, Any]) -> None:
        for name in FIELD_NAMES:
            self.cols[name].append(record.get(name))
        if len(self.cols["record_key"]) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.cols["record_key"]:
            return
        table = pa.Table.from_pydict(self.cols, schema=TRADE_ARROW_SCHEMA)
        con = self.store.con
        con.register("_dt_trade_batch", table)
        try:
            con.execute("INSERT INTO trade_records SELECT * FROM _dt_trade_batch")
        finally:
            con.unregister("_dt_trade_batch")
        self.cols = {n: [] for n in FIELD_NAMES}


def _party_sql(role: str) -> str:
    """Set-based extraction of one role's party mentions from a batch's records."""
    return f"""
INSERT INTO trade_parties
SELECT record_key, '{role}', {role}_name, {role}_address, {role}_country, {role}_id,
       'p' || substr(md5(concat_ws('|', 'trade', {role}_name, coalesce({role}_country, ''),
            coalesce({role}_id, ''), coalesce({role}_address, ''))), 1, 16)
FROM trade_records WHERE batch_id = ? AND {role}_name IS NOT NULL
"""


def load_trade(
    store: Store,
    path: Path,
    dataset: str | None = None,
    mapping_file: Path | None = None,
    risk_list: HSRiskList | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> TradeLoadReport:
    """Read, validate and store one trade file; returns the counts and issues."""
    if store.read_only:
        raise StoreError(f"{store.path}: opened read-only")
    started = time.monotonic()
    risk = risk_list or default_risk_list()
    dataset = dataset or path.stem
    file_name = path.name
    batch_id = uuid.uuid4().hex
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    report = LoadReport(dataset=dataset, version=loaded_at.date().isoformat())
    report.source_files.append(str(path))
    result = TradeLoadReport(batch_id, dataset, file_name, report=report)

    sheet = None
    if mapping_file is not None:
        options = read_mapping_file(mapping_file).get("options", {})
        sheet = options.get("sheet") if isinstance(options, dict) else None
    table = open_table(path, report, sheet=str(sheet) if sheet else None)
    mapping: ColumnMapping = build_mapping(table.headers, mapping_file, file_name)
    result.mapping = mapping.columns
    result.unused_columns = mapping.unused
    for header in mapping.unused:
        report.issue(file_name, 1, header, "column not recognised; ignored (map it with --mapping)")
    positions = [
        (i, mapping.columns[h]) for i, h in enumerate(table.headers) if h in mapping.columns
    ]

    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "DELETE FROM trade_parties WHERE record_key IN (SELECT record_key FROM "
            "trade_records WHERE dataset = ? AND source_file = ?)",
            [dataset, file_name],
        )
        for tbl in ("trade_records", "trade_quarantine"):
            con.execute(
                f"DELETE FROM {tbl} WHERE dataset = ? AND source_file = ?", [dataset, file_name]
            )
        batch = _RecordBatch(store)
        quarantine: list[list[Any]] = []
        for row, cells in table.rows:
            result.rows_read += 1
            values = {fld: (cells[i] if i < len(cells) else None) for i, fld in positions}
            record, problems = validate_row(values, mapping.date_formats, mapping.decimal_comma)
            if len(cells) > len(table.headers) and any(c for c in cells[len(table.headers) :]):
                problems.append(Problem("row", "more cells than headers"))
            if problems:
                result.rows_quarantined += 1
                reason = "; ".join(f"{p.field}: {p.message}" for p in problems)
                raw = dict(zip(table.headers, cells, strict=False))
                quarantine.append(
                    [
                        batch_id,
                        dataset,
                        file_name,
                        row,
                        problems[0].field,
                        reason,
                        orjson.dumps(raw).decode(),
                    ]
                )
                for p in problems:
                    report.issue(file_name, row, p.field, f"quarantined: {p.message}", "error")
                continue
            tags = risk.classify(record.get("hs_code"))
            record["record_key"] = f"{dataset}:{file_name}:{row}"
            record["record_id"] = record.get("record_id") or f"{file_name}:{row}"
            record["dataset"] = dataset
            record["batch_id"] = batch_id
            record["source_file"] = file_name
            record["source_row"] = row
            code = record.get("hs_code")
            record["hs6"] = code[:6] if code else None
            record["chpl_tier"] = tags.chpl_tier
            record["military_heading"] = tags.military_heading
            record["hs_list_version"] = risk.version
            result.chpl_lines += tags.chpl_tier is not None
            result.military_lines += tags.military_heading is not None
            batch.add(record)
            result.rows_loaded += 1
            if on_progress is not None and result.rows_read % 10_000 == 0:
                on_progress(result.rows_read)
        batch.flush()
        if quarantine:
            con.executemany("INSERT INTO trade_quarantine VALUES (?, ?, ?, ?, ?, ?, ?)", quarantine)
        for role in PARTY_ROLES:
            con.execute(_party_sql(role), [batch_id])
        counted = con.execute(
            "SELECT count(*) FROM trade_parties p JOIN trade_records r USING (record_key) "
            "WHERE r.batch_id = ?",
            [batch_id],
        ).fetchone()
        result.parties = int(counted[0]) if counted else 0
        result.seconds = time.monotonic() - started
        con.execute(
            "INSERT INTO trade_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                batch_id,
                dataset,
                file_name,
                str(path),
                loaded_at,
                result.rows_read,
                result.rows_loaded,
                result.rows_quarantined,
                mapping.to_json(),
                risk.version,
            ],
        )
        con.execute(
            "INSERT OR REPLACE INTO datasets VALUES (?, ?, ?, ?, ?, ?)",
            [dataset, f"Trade records: {dataset}", "", "", "C", "trade"],
        )
        con.execute(
            "INSERT INTO loads VALUES (?, ?, ?, ?, ?, current_timestamp, ?, ?, ?, ?)",
            [
                batch_id,
                dataset,
                report.version,
                "load-date",
                loaded_at,
                orjson.dumps(report.source_files).decode(),
                result.rows_loaded,
                0,
                len(report.issues),
            ],
        )
        if report.issues:
            con.executemany(
                "INSERT INTO load_issues VALUES (?, ?, ?, ?, ?, ?)",
                [[batch_id, i.file, i.row, i.field, i.severity, i.message] for i in report.issues],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    report.entities = result.rows_loaded
    report.seconds = result.seconds
    return result
