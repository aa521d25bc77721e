"""Batch screening: a table of counterparties in, a table of best matches out.

Input is CSV or XLSX with a header row; a column mapping says which column holds the
name, country, date of birth, identifiers and so on (guessed from common header names
when not given). Output is CSV, XLSX or JSON with, per input row, the best candidates,
their scores and the reasons in words. Rows without a name are reported, not dropped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from dualtrace.errors import InputError
from dualtrace.resolve.index import ScreeningIndex, settle_heap
from dualtrace.resolve.records import get_schema
from dualtrace.resolve.scorer import DEFAULT_THRESHOLD
from dualtrace.sources.base import read_text

# Header names (lower case) recognised without an explicit mapping.
GUESSES: dict[str, str] = {
    "name": "name",
    "full_name": "name",
    "fullname": "name",
    "company": "name",
    "company name": "name",
    "counterparty": "name",
    "entity": "name",
    "alias": "alias",
    "country": "country",
    "nationality": "nationality",
    "jurisdiction": "jurisdiction",
    "date_of_birth": "birthDate",
    "dob": "birthDate",
    "birth_date": "birthDate",
    "birthdate": "birthDate",
    "incorporation_date": "incorporationDate",
    "inn": "innCode",
    "ogrn": "ogrnCode",
    "tax_id": "taxNumber",
    "registration_number": "registrationNumber",
    "lei": "leiCode",
    "imo": "imoNumber",
    "swift": "swiftBic",
    "address": "address",
    "email": "email",
    "phone": "phone",
    "website": "website",
    "schema": "$schema",
    "type": "$schema",
    "id": "$id",
}
OUTPUT_COLUMNS = (
    "row",
    "query_id",
    "query_name",
    "rank",
    "match",
    "score",
    "entity_id",
    "caption",
    "schema",
    "datasets",
    "reasons",
)


@dataclass
class ColumnMap:
    """Input column -> FtM property (or ``$schema`` / ``$id``)."""

    columns: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, headers: Sequence[str], explicit: Sequence[str], path: Path) -> ColumnMap:
        """Explicit ``COLUMN=prop`` pairs, else guesses from the header names."""
        mapping: dict[str, str] = {}
        if explicit:
            for item in explicit:
                if "=" not in item:
                    raise InputError(f"column mapping {item!r} is not COLUMN=property")
                col, prop = (part.strip() for part in item.split("=", 1))
                if col not in headers:
                    raise InputError(
                        f"column {col!r} is not in the header ({', '.join(headers)})",
                        file=str(path),
                        row=1,
                    )
                mapping[col] = prop
        else:
            for col in headers:
                guess = GUESSES.get(col.strip().lower())
                if guess:
                    mapping[col] = guess
        if "name" not in mapping.values():
            raise InputError(
                "no name column: map one with --map 'COLUMN=name'",
                file=str(path),
                row=1,
            )
        return cls(mapping)


def read_table(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(headers, [(row number, {header: value})]) from a CSV or XLSX file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix not in (".csv", ".tsv", ".txt"):
        raise InputError("input must be .csv, .tsv or .xlsx", file=str(path))
    text = read_text(path)
    delimiter = "\t" if suffix == ".tsv" else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError("file is empty", file=str(path)) from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV header: {exc}", file=str(path), row=1) from exc
    rows = []
    try:
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            rows.append((reader.line_num, dict(zip(headers, fields, strict=False))))
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=str(path), row=reader.line_num) from exc
    return headers, rows


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(f"not a readable XLSX workbook: {exc}", file=str(path)) from exc
    sheet = wb.active
    if sheet is None:
        raise InputError("workbook has no sheet", file=str(path))
    it = sheet.iter_rows(values_only=True)
    try:
        headers = [str(h).strip() if h is not None else "" for h in next(it)]
    except StopIteration:
        raise InputError("sheet is empty", file=str(path)) from None
    rows = []
    for n, values in enumerate(it, start=2):
        cells = ["" if v is None else str(v) for v in values]
        if any(c.strip() for c in cells):
            rows.append((n, dict(zip(headers, cells, strict=False))))
    wb.close()
    return headers, rows


def row_query(
    row: Mapping[str, str], mapping: ColumnMap, default_schema: str
) -> tuple[str | None, dict[str, Any]]:
    """(query id, FtM-shaped query) for one input row."""
    props: dict[str, list[str]] = {}
    schema = default_schema
    qid: str | None = None
    for col, prop in mapping.columns.items():
        value = (row.get(col) or "").strip()
        if not value:
            continue
        if prop == "$schema":
            schema = value
        elif prop == "$id":
            qid = value
        else:
            props.setdefault(prop, []).extend(v.strip() for v in value.split(";") if v.strip())
    return qid, {"schema": schema, "properties": props}


def screen_rows(
    index: ScreeningIndex,
    rows: Sequence[tuple[int, dict[str, str]]],
    mapping: ColumnMap,
    path: Path,
    default_schema: str = "LegalEntity",
    limit: int = 1,
    threshold: float = DEFAULT_THRESHOLD,
    datasets: frozenset[str] | None = None,
    on_row: Callable[[], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Output rows: ``limit`` best candidates per input row (one empty row if none).

    The heap is settled first (:func:`~dualtrace.resolve.index.settle_heap`): a batch
    is thousands of queries against an index the garbage collector would otherwise
    keep walking.
    """
    get_schema(default_schema)
    settle_heap()
    for line, row in rows:
        qid, data = row_query(row, mapping, default_schema)
        names = data["properties"].get("name")
        if not names:
            raise InputError("row has no name", file=str(path), row=line, field="name")
        try:
            query = index.query_record(data)
        except InputError as exc:
            raise InputError(exc.message, file=str(path), row=line, field=exc.field) from exc
        results = index.match(query, limit=limit, threshold=threshold, datasets=datasets)
        base = {"row": line, "query_id": qid or str(line), "query_name": names[0]}
        if not results:
            yield {**base, "rank": 0, "match": False, "score": 0.0}
        for rank, res in enumerate(results, start=1):
            yield {
                **base,
                "rank": rank,
                "match": res.score.match,
                "score": res.score.score,
                "entity_id": res.record.id,
                "caption": res.record.caption,
                "schema": res.record.schema_name,
                "datasets": ";".join(sorted(res.record.datasets)),
                "reasons": " | ".join(res.score.reasons),
            }
        if on_row is not None:
            on_row()


def write_results(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write output rows as CSV, XLSX or JSON (chosen by the file suffix)."""
    suffix = path.suffix.lower()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".json":
            path.write_bytes(orjson.dumps(rows, option=orjson.OPT_INDENT_2))
        elif suffix == ".csv":
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=OUTPUT_COLUMNS, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(rows)
        elif suffix == ".xlsx":
            from openpyxl import Workbook

            wb = Workbook()
            ws = wb.active
            assert ws is not None
            ws.title = "screening"
            ws.append(list(OUTPUT_COLUMNS))
            for r in rows:
                ws.append([r.get(c, "") for c in OUTPUT_COLUMNS])
            wb.save(path)
        else:
            raise InputError("output must be .csv, .xlsx or .json", file=str(path))
    except OSError as exc:
        raise InputError(f"cannot write output: {exc.strerror}", file=str(path)) from exc
