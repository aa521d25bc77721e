"""Batch screening uploads: CSV and Excel parsing, column mapping, clear errors, exports."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]

from dualtrace.errors import InputError
from dualtrace.show.report.screening_export import COLUMNS, export_csv, export_xlsx
from dualtrace.show.web.screening_jobs import ScreeningQuery, ScreeningResult, read_queries


def test_csv_with_russian_and_chinese_names_and_semicolons() -> None:
    data = (
        "Counterparty;Country;Type;INN\n"
        "АО «ИЭМЗ «Купол»;ru;company;1831083343\n"
        "\n"
        "红兔矢量实业（深圳）有限公司;cn;;\n"
    ).encode()
    queries = read_queries("batch.csv", data)
    assert [(q.row, q.name, q.country, q.schema, q.identifier) for q in queries] == [
        (2, "АО «ИЭМЗ «Купол»", "ru", "Company", "1831083343"),
        (4, "红兔矢量实业（深圳）有限公司", "cn", "LegalEntity", ""),
    ]


def test_xlsx_upload_is_read_from_the_first_sheet() -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["ref", "name", "country"])
    ws.append(["C-1", "TSK Vektor", "RU"])
    ws.append(["C-2", "Emma Daniels", None])
    buf = io.BytesIO()
    wb.save(buf)
    queries = read_queries("clients.xlsx", buf.getvalue())
    assert [(q.ref, q.name, q.country) for q in queries] == [
        ("C-1", "TSK Vektor", "RU"),
        ("C-2", "Emma Daniels", ""),
    ]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("a.csv", b"company_id,city\n1,Izhevsk\n", "no name column"),
        ("a.csv", b"name,country\n,ru\n", "a.csv:2: field 'name': empty name"),
        ("a.csv", b"", "empty file"),
        ("a.csv", b"name\n", "no rows"),
        ("a.pdf", b"%PDF-1.4", "unsupported file type"),
        ("a.xlsx", b"not a zip", "not a readable Excel"),
        ("a.csv", b"\xff\xfen\x00a\x00", "binary"),
    ],
)
def test_bad_uploads_get_one_line_errors(filename: str, data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_queries(filename, data)


def _results() -> list[ScreeningResult]:
    q = ScreeningQuery(2, '=HYPERLINK("http://x")', "Company", "ru", "", "C-9")
    return [
        ScreeningResult(
            q, "ofac-46431", "IEMZ KUPOL", 0.93, True, ("name parts align",), ("us_ofac_sdn",)
        ),
        ScreeningResult(q, None, "-no candidate-", 0.0, False),
    ]


def test_csv_export_keeps_reasons_and_defuses_formulas() -> None:
    text = export_csv(_results()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(COLUMNS)
    assert rows[1][2].startswith("'=HYPERLINK")
    assert rows[1][6:12] == [
        "True",
        "0.93",
        "ofac-46431",
        "IEMZ KUPOL",
        "us_ofac_sdn",
        "name parts align",
    ]
    assert rows[2][9] == "'-no candidate-"


def test_xlsx_export_round_trips() -> None:
    wb = load_workbook(io.BytesIO(export_xlsx(_results())))
    ws = wb.active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == list(COLUMNS)
    assert values[1][0] == 2 and values[1][7] == 0.93 and values[1][6] is True
    assert ws.freeze_panes == "A2"
