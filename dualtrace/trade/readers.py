"""Read rows of trade tables from CSV, Excel (.xlsx) and Parquet as text cells.

Every reader yields ``(row number, cells)`` with the row number an analyst would use to
find the line again: the CSV line, the spreadsheet row, or the Parquet row counted from
1 after the header. Cells are strings (or None); typing happens in validation so all
three formats are checked by the same rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dualtrace.errors import InputError
from dualtrace.model.provenance import LoadReport
from dualtrace.sources.base import csv_rows, read_text

SUPPORTED = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet")


@dataclass
class RawTable:
    """Headers and a lazy iterator of rows of one source table."""

    path: Path
    headers: list[str]
    rows: Iterator[tuple[int, list[str | None]]]


def _cell_text(value: object) -> str | None:
    """Text of a typed cell, keeping codes intact (8542310000.0 -> "8542310000")."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_csv_table(path: Path, report: LoadReport) -> RawTable:
    text = read_text(path, report)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff_delimiter(first)
    rows = csv_rows(text, path, report, delimiter=delimiter)
    try:
        _, headers = next(rows)
    except StopIteration:
        raise InputError("empty file: no header row", file=path.name) from None

    def body() -> Iterator[tuple[int, list[str | None]]]:
        for line, fields in rows:
            yield line, list(fields)

    return RawTable(path, [h.strip() for h in headers], body())


# An .xlsx is a zip; a member that inflates more than this ratio (and past the floor)
# is a zip bomb, not a spreadsheet (real sheets compress 5-20x).
MAX_INFLATION = 100
INFLATION_FLOOR = 50_000_000


def _check_zip_inflation(path: Path) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.file_size > INFLATION_FLOOR and info.file_size > MAX_INFLATION * max(
                    info.compress_size, 1
                ):
                    raise InputError(
                        f"{info.filename} inflates {info.file_size:,} bytes from "
                        f"{info.compress_size:,} (more than {MAX_INFLATION}x): refused as a "
                        "zip bomb; export the sheet as CSV or Parquet",
                        file=path.name,
                    )
    except zipfile.BadZipFile as exc:
        raise InputError(f"not a readable .xlsx workbook: {exc}", file=path.name) from exc


def read_excel_table(path: Path, report: LoadReport, sheet: str | None = None) -> RawTable:
    import openpyxl  # type: ignore[import-untyped]

    _check_zip_inflation(path)

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken or foreign file
        raise InputError(f"not a readable .xlsx workbook: {exc}", file=path.name) from exc
    if sheet is not None and sheet not in book.sheetnames:
        raise InputError(
            f"no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})", file=path.name
        )
    ws = book[sheet] if sheet is not None else book.worksheets[0]
    it = ws.iter_rows(values_only=True)
    header_row: tuple[object, ...] | None = None
    header_line = 0
    for header_line, values in enumerate(it, start=1):  # noqa: B007 - header_line used below
        if any(v is not None and str(v).strip() for v in values):
            header_row = values
            break
    if header_row is None:
        raise InputError("empty sheet: no header row", file=path.name)
    headers = [(_cell_text(h) or "").strip() for h in header_row]

    def body() -> Iterator[tuple[int, list[str | None]]]:
        line = header_line
        try:
            for line, values in enumerate(it, start=header_line + 1):
                cells = [_cell_text(v) for v in values]
                if any(c is not None and c.strip() for c in cells):
                    yield line, cells
        except InputError:
            raise
        except Exception as exc:  # broken deflate stream or sheet XML inside the zip
            raise InputError(
                f"workbook is damaged after row {line}: {type(exc).__name__}: {exc}",
                file=path.name,
                row=line + 1,
            ) from exc
        finally:
            book.close()

    return RawTable(path, headers, body())


def read_parquet_table(path: Path, report: LoadReport) -> RawTable:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError for non-Parquet input
        raise InputError(f"not a readable Parquet file: {exc}", file=path.name) from exc
    headers = list(pf.schema_arrow.names)

    def body() -> Iterator[tuple[int, list[str | None]]]:
        row = 0
        batches = pf.iter_batches(batch_size=65_536)
        while True:
            try:
                batch = next(batches)
                cols = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            except StopIteration:
                return
            except Exception as exc:  # corrupt page, out-of-range date, ...
                raise InputError(
                    f"Parquet data is damaged after row {row}: {type(exc).__name__}: {exc}",
                    file=path.name,
                    row=row + 1,
                ) from exc
            for values in zip(*cols, strict=True):
                row += 1
                yield row, [_cell_text(v) for v in values]

    return RawTable(path, headers, body())


def open_table(path: Path, report: LoadReport, sheet: str | None = None) -> RawTable:
    """Open ``path`` by its extension; unknown extensions are refused, not guessed."""
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return read_csv_table(path, report)
    if suffix in (".xlsx", ".xlsm"):
        return read_excel_table(path, report, sheet)
    if suffix == ".parquet":
        return read_parquet_table(path, report)
    raise InputError(
        f"unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED)}",
        file=path.name,
    )
