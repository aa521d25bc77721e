"""Identifiers: clean, classify and validate with python-stdnum.

A matching registration number is the strongest evidence screening has, and a
*different* valid number of the same kind is strong evidence against. Both only count
when the number is what it claims to be: check digits (INN, OGRN, USCC, LEI, IMO) keep
typos and reused placeholders ("0000000000") from firing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from stdnum import bic, imo, lei
from stdnum.cn import uscc
from stdnum.ru import inn, ogrn

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
# (kind, validator, lengths it can have, digits only)
_VALIDATORS = (
    ("ru-inn", inn.is_valid, (10, 12), True),
    ("ru-ogrn", ogrn.is_valid, (13, 15), True),
    ("cn-uscc", uscc.is_valid, (18,), False),
    ("lei", lei.is_valid, (20,), False),
    ("imo", imo.is_valid, (7,), True),
    ("swift-bic", bic.is_valid, (8, 11), False),
)


@dataclass(frozen=True, slots=True)
class Identifier:
    """A cleaned identifier and, when a check-digit scheme accepts it, its kind."""

    value: str
    kind: str | None

    @property
    def validated(self) -> bool:
        return self.kind is not None


def clean_identifier(value: str) -> str:
    """Upper-case letters and digits only ("IMO 9176187" -> "IMO9176187")."""
    return _NOT_ALNUM.sub("", value.upper())


@lru_cache(maxsize=65536)
def classify_identifier(value: str) -> Identifier | None:
    """The identifier in ``value`` (``None`` if too short to mean anything).

    Text such as "3849055365 (INN)" is reduced to its number. IMO numbers are
    compared without their "IMO" prefix so that "IMO 9176187" equals "9176187".
    """
    raw = value.split("(")[0] if "(" in value and value[0].isdigit() else value
    cleaned = clean_identifier(raw)
    if cleaned.startswith("IMO") and cleaned[3:].isdigit():
        cleaned = cleaned[3:]
    if len(cleaned) < 4 or len(set(cleaned)) < 3:
        return None
    digits = cleaned.isdigit()
    for kind, is_valid, lengths, digits_only in _VALIDATORS:
        if len(cleaned) not in lengths or (digits_only and not digits):
            continue
        if kind == "swift-bic" and (digits or not cleaned[:6].isalpha()):
            continue
        candidate = "IMO" + cleaned if kind == "imo" else cleaned
        try:
            if is_valid(candidate):
                return Identifier(cleaned, kind)
        except Exception:
            continue
    return Identifier(cleaned, None)
