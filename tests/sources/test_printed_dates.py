"""Printed list dates to ISO prefixes, at the precision the source gives."""

from __future__ import annotations

import pytest

from dualtrace.sources.printed_dates import parse_printed_date, parse_printed_dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30.7.2014", ["2014-07-30"]),  # EU journal startDate
        ("26 Feb. 2011", ["2011-02-26"]),  # UN-abbreviated
        ("2 December 1985", ["1985-12-02"]),
        ("Approximately 1952", ["1952"]),
        ("00/04/1984", ["1984-04"]),  # HMT: unknown day
        ("00/00/1936", ["1936"]),  # HMT: unknown day and month
        ("10/00/1983", ["1983"]),  # unknown month: the day means nothing without it
        ("1955 or 1956", ["1955", "1956"]),
        ("(a) 12.3.1960, (b) 1.1.1961", ["1960-03-12", "1961-01-01"]),
        ("May 1980", ["1980-05"]),
        ("2011-02", ["2011-02"]),
        ("Joint Stock 2014", ["2014"]),  # a word that is not a month is skipped
        ("31.2.2000", []),  # not a calendar date: nothing invented
        ("", []),
    ],
)
def test_parse_printed_dates(text: str, expected: list[str]) -> None:
    assert parse_printed_dates(text) == expected


def test_single_date_cell_refuses_ambiguity() -> None:
    assert parse_printed_date("16.12.2022") == "2022-12-16"
    assert parse_printed_date("1955 or 1956") is None
