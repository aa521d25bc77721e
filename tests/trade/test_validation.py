"""Cell checks: HS shape, countries, currencies, amounts and dates in both conventions."""

from __future__ import annotations

import datetime as dt

import pytest

from dualtrace.trade.validation import (
    clean_country,
    clean_currency,
    clean_hs,
    parse_amount,
    parse_date,
    validate_row,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8542.31.00 00", "8542310000"),
        ("880621", "880621"),
        ("8806-21-000-0", "8806210000"),
        ("85423", None),
        ("85423100001", None),
        ("8542AB", None),
    ],
)
def test_hs_codes(text: str, expected: str | None) -> None:
    assert clean_hs(text) == expected


@pytest.mark.parametrize(
    ("text", "decimal_comma", "expected"),
    [
        ("1 250 000,00", None, 1250000.0),
        ("1,250,000.50", None, 1250000.5),
        ("1.250.000,50", None, 1250000.5),
        ("12,5", None, 12.5),
        ("12,500", None, 12500.0),
        ("12,500", True, 12.5),
        ("1.5", False, 1.5),
        ("-5", None, None),
        ("abc", None, None),
        ("nan", None, None),
    ],
)
def test_amounts(text: str, decimal_comma: bool | None, expected: float | None) -> None:
    assert parse_amount(text, decimal_comma) == expected


def test_countries_and_currencies() -> None:
    assert clean_country("Китай") == "CN"
    assert clean_country("Hong Kong") == "HK"
    assert clean_country("RUS") == "RU"
    assert clean_country("XX") is None
    assert clean_currency("156") == "CNY"
    assert clean_currency("643") == "RUB"
    assert clean_currency("usd") == "USD"
    assert clean_currency("руб.") == "RUB"
    assert clean_currency("ZZZ") is None


def test_dates() -> None:
    assert parse_date("01.08.2023", ()) == dt.date(2023, 8, 1)
    assert parse_date("2023-08-01T10:00:00", ()) == dt.date(2023, 8, 1)
    assert parse_date("08/01/2023", ("%m/%d/%Y",)) == dt.date(2023, 8, 1)
    assert parse_date("32.13.2023", ()) is None
    assert parse_date("01.01.1899", ()) is None


def test_row_reports_every_problem() -> None:
    values, problems = validate_row(
        {"exporter_name": None, "importer_name": None, "hs_code": "12", "currency": "ZZZ"}
    )
    fields = {p.field for p in problems}
    assert fields == {"hs_code", "currency", "exporter_name"}
    assert values["hs_code"] is None
