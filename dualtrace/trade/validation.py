"""Check and type the cells of one trade row; a row that fails goes to quarantine.

A trade line with a malformed HS code, an unknown country or currency, an impossible
date or a negative amount would poison every aggregate built on it, so it is not
loaded; but it is never dropped either: the row, every reason and the raw cells go to
``trade_quarantine`` and are counted in the load report, so the analyst can fix the
source and reload.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from dualtrace.model.territories import country_code

COUNTRY_FIELDS = (
    "exporter_country",
    "importer_country",
    "notify_country",
    "declarant_country",
    "origin_country",
    "dispatch_country",
    "destination_country",
    "trade_country",
)
AMOUNT_FIELDS = ("quantity", "weight_kg", "value")
DEFAULT_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%Y%m%d",
    "%d.%m.%y",
)
_HS_SEPARATORS = re.compile(r"[\s.\-]")
_AMOUNT_SPACES = re.compile(r"[\s\u00a0\u202f']")
_CURRENCY_WORDS = {"РУБ": "RUB", "РУБЛЬ": "RUB", "ЮАНЬ": "CNY", "ДОЛЛАР США": "USD", "ЕВРО": "EUR"}


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    message: str


@lru_cache(maxsize=1)
def _currencies() -> tuple[frozenset[str], dict[str, str]]:
    text = resources.files("dualtrace.trade").joinpath("data", "iso4217.csv").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    alpha: set[str] = set()
    numeric: dict[str, str] = {}
    for row in csv.DictReader(lines):
        alpha.add(row["code"])
        if row["numeric"]:
            numeric[row["numeric"]] = row["code"]
    return frozenset(alpha), numeric


@lru_cache(maxsize=4096)
def clean_country(text: str) -> str | None:
    """ISO 3166-1 alpha-2 (upper case) from a code or a name in any language FtM knows."""
    code = country_code(text)
    return code.upper() if code else None


def clean_currency(text: str) -> str | None:
    """ISO 4217 alpha code from an alpha code, a numeric code (643) or a Russian word."""
    alpha, numeric = _currencies()
    value = text.strip().upper()
    if value in alpha:
        return value
    if value.isdigit():
        return numeric.get(value.zfill(3))
    return _CURRENCY_WORDS.get(value.rstrip("."))


def clean_hs(text: str) -> str | None:
    """Digits-only HS/TN VED code of 6 to 10 digits, else None (``8542.31.00 00`` ok)."""
    code = _HS_SEPARATORS.sub("", text)
    if code.isdigit() and 6 <= len(code) <= 10:
        return code
    return None


def parse_amount(text: str, decimal_comma: bool | None) -> float | None:
    """A non-negative number written with either decimal convention, else None.

    With ``decimal_comma`` unknown, the last of ``.``/``,`` is the decimal mark, and a
    lone comma followed by exactly three digits is a thousands separator.
    """
    value = _AMOUNT_SPACES.sub("", text)
    if not value:
        return None
    if decimal_comma is True:
        value = value.replace(".", "").replace(",", ".")
    elif decimal_comma is False:
        value = value.replace(",", "")
    elif "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")
        else:
            value = value.replace(",", "")
    elif "," in value:
        head, _, tail = value.rpartition(",")
        value = value.replace(",", "") if len(tail) == 3 and head else value.replace(",", ".")
    try:
        number = float(value)
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")) or number < 0:
        return None
    return number


def parse_date(text: str, formats: tuple[str, ...]) -> dt.date | None:
    value = text.strip()
    if "T" in value[:11] or (len(value) > 10 and value[10] == " "):
        value = value[:10]
    for fmt in (*formats, *DEFAULT_DATE_FORMATS):
        try:
            day = dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if 1950 <= day.year <= 2100:
            return day
    return None


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def validate_row(
    cells: dict[str, str | None],
    date_formats: tuple[str, ...] = (),
    decimal_comma: bool | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """Typed field values of one row, and every problem found (empty when valid)."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, raw in cells.items():
        text = _text(raw)
        if text is None:
            out[name] = None
            continue
        if name == "date":
            day = parse_date(text, date_formats)
            if day is None:
                problems.append(Problem(name, f"not a date: {text!r}"))
            out[name] = day
        elif name == "hs_code":
            code = clean_hs(text)
            if code is None:
                problems.append(Problem(name, f"HS code must be 6 to 10 digits: {text!r}"))
            out[name] = code
        elif name in COUNTRY_FIELDS:
            country = clean_country(text)
            if country is None:
                problems.append(Problem(name, f"unknown country: {text!r}"))
            out[name] = country
        elif name == "currency":
            currency = clean_currency(text)
            if currency is None:
                problems.append(Problem(name, f"not an ISO 4217 currency: {text!r}"))
            out[name] = currency
        elif name in AMOUNT_FIELDS:
            amount = parse_amount(text, decimal_comma)
            if amount is None:
                problems.append(Problem(name, f"not a non-negative number: {text!r}"))
            out[name] = amount
        elif name in ("unit", "incoterms"):
            out[name] = text.upper()
        else:
            out[name] = text
    if not out.get("exporter_name") and not out.get("importer_name"):
        problems.append(Problem("exporter_name", "neither exporter nor importer name given"))
    return out, problems
