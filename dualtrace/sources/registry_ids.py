"""Company and tax registry numbers found in printed list cells, checked and typed.

The strongest evidence that two list entries are the same organisation is a shared
registry number (INN, OGRN, USCC, LEI, IMO). Lists print them in every way: the EU
journal has ``1831083343 (Tax ID/INN)`` in a registration-number column and
``1207700324941, KPP 772901001`` in an OGRN column; the UK list has
``INN: 7704734000OGRN: 1027739001993``. This module reads the labels the source
prints, validates each number with python-stdnum's check digits, and returns it under
the specific FtM property (``innCode``, ``ogrnCode``, ``kppCode``, ...) only when
valid; everything else stays in the generic property it was printed in, with a
reason the reader reports. An unlabelled 10- or 12-digit number is only taken as an
INN when its check digits pass *and* the entry is tied to Russia, because one random
10-digit number in eleven passes the INN check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rigour.ids import IMO
from stdnum import bic, lei
from stdnum.cn import uscc
from stdnum.ru import inn, ogrn


@dataclass(frozen=True, slots=True)
class RegistryId:
    """One identifier: the FtM property it belongs in and its compact value."""

    prop: str
    value: str
    problem: str | None = None  # why a labelled number was not accepted as typed


def _digits(text: str) -> str:
    return re.sub(r"[\s\-.]", "", text)


def _valid_kpp(value: str) -> bool:
    # KPP: 4-digit tax office, 2-character reason code (digits, or A-Z since 2019),
    # 3-digit serial. There is no check digit.
    return re.fullmatch(r"\d{4}[0-9A-Z]{2}\d{3}", value) is not None


def _valid_okpo(value: str) -> bool:
    return re.fullmatch(r"\d{8}|\d{10}", value) is not None


def _valid_imo(value: str) -> bool:
    return IMO.is_valid(value)


# kind -> (FtM property, validator, fallback property for invalid values)
KINDS: dict[str, tuple[str, Callable[[str], bool], str]] = {
    "inn": ("innCode", inn.is_valid, "taxNumber"),
    "ogrn": ("ogrnCode", ogrn.is_valid, "registrationNumber"),
    "kpp": ("kppCode", _valid_kpp, "registrationNumber"),
    "okpo": ("okpoCode", _valid_okpo, "registrationNumber"),
    "uscc": ("uscCode", uscc.is_valid, "registrationNumber"),
    "lei": ("leiCode", lei.is_valid, "registrationNumber"),
    "bic": ("swiftBic", bic.is_valid, "registrationNumber"),
    "imo": ("imoNumber", _valid_imo, "registrationNumber"),
}

# Which kind an unlabelled number in a typed column is.
COLUMN_KIND: dict[str, str] = {
    "innCode": "inn",
    "ogrnCode": "ogrn",
    "kppCode": "kpp",
    "okpoCode": "okpo",
    "uscCode": "uscc",
    "leiCode": "lei",
    "swiftBic": "bic",
    "imoNumber": "imo",
}

_LABELS = (
    (r"(?:INN\s*/\s*TIN|TIN\s*/\s*INN|Tax\s+ID\s*/\s*INN|INN|ИНН|УНН\s*/\s*ИНН)", "inn"),
    (
        r"(?:OGRNIP|OGRN|ОГРНИП|ОГРН|P?SRN|(?:Primary\s+)?State\s+Registration\s+Number)",
        "ogrn",
    ),
    # A generic tax-number label: an INN only if the check digits say so.
    (r"(?:TIN|Tax\s+ID(?:\s+No\.?)?|Tax\s+Identification\s+Number)", "tin"),
    (r"(?:KPP|КПП)", "kpp"),
    (r"(?:OKPO|ОКПО)", "okpo"),
    (r"(?:USCC|Unified\s+Social\s+Credit\s+Code)", "uscc"),
    (r"(?:LEI|Legal\s+Entity\s+(?:Identifier|Number))", "lei"),
    (r"(?:SWIFT\s*/\s*BIC|SWIFT|BIC)(?!\s*\(RU\))", "bic"),
    (r"(?:IMO)", "imo"),
)
# What a number of each kind can look like in print (digit groups may be spaced).
_NUMBER = {
    "inn": r"\d(?:\d|[ \-](?=\d))*\d",
    "tin": r"\d{10}|\d{12}",
    "ogrn": r"\d(?:\d|[ \-](?=\d))*\d",
    "okpo": r"\d(?:\d|[ \-](?=\d))*\d",
    "kpp": r"\d{4}[0-9A-Z]{2}\d{3}",
    "imo": r"\d{7}",
    "uscc": r"[0-9A-Z]{18}",
    "lei": r"[0-9A-Z]{20}",
    "bic": r"[A-Z]{6}[0-9A-Z]{2}(?:[0-9A-Z]{3})?",
}
_LABELLED = [
    (
        re.compile(
            rf"(?<![A-Za-zА-Яа-я])(?:{label})(?![A-Za-zА-Яа-я])[^0-9A-Z\n;]{{0,12}}?"
            rf"(?:No\.?\s*|number\s*)?(?P<num>{_NUMBER[kind]})(?![0-9])",
            re.IGNORECASE if kind not in ("bic", "imo", "lei") else 0,
        ),
        kind,
    )
    for label, kind in _LABELS
]
# "1831083343 (Tax ID/INN)": the label after the number.
_TRAILING_INN = re.compile(r"(?P<num>\d{10}|\d{12})\s*\((?:Tax\s+ID\s*/\s*)?INN\)", re.I)
# "7704734000/770301001": the Russian INN/KPP pair notation.
_INN_KPP = re.compile(r"(?<!\d)(?P<inn>\d{10})\s*/\s*(?P<kpp>\d{4}[0-9A-Z]{2}\d{3})(?!\d)")
_BARE_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])(\d[\d ]{6,20}\d|[0-9A-Z]{18}|[0-9A-Z]{20})(?![0-9A-Za-z])"
)


def _typed(kind: str, raw: str, labelled: bool) -> RegistryId:
    prop, valid, fallback = KINDS[kind]
    value = _digits(raw).upper()
    if kind == "imo":
        # One printed form for every list ("IMO9562233"), so lists join on it.
        normalized = IMO.normalize(value)
        if normalized is not None and valid(normalized):
            return RegistryId(prop, normalized)
    elif valid(value):
        return RegistryId(prop, value)
    problem = f"{kind.upper()} {raw!r} fails its format or check digits; kept as {fallback}"
    return RegistryId(fallback, raw.strip(), problem if labelled else None)


def extract_registry_ids(text: str, column: str, russian: bool = False) -> list[RegistryId]:
    """Typed identifiers in one printed value of ``column``.

    ``russian`` says the entry is tied to Russia (address, country, Cyrillic name),
    which licenses reading unlabelled check-digit-valid numbers as INN/OGRN.
    The printed value itself is also returned under ``column`` when that column is a
    generic one (taxNumber, registrationNumber, idNumber), so the source's wording is
    never lost.
    """
    text = text.strip()
    if not text:
        return []
    out: list[RegistryId] = []
    spans: list[tuple[int, int]] = []

    def claim(start: int, end: int) -> bool:
        if any(s < end and start < e for s, e in spans):
            return False
        spans.append((start, end))
        return True

    for m in _INN_KPP.finditer(text):
        if inn.is_valid(m.group("inn")) and claim(m.start(), m.end()):
            out.append(RegistryId("innCode", m.group("inn")))
            out.append(_typed("kpp", m.group("kpp"), True))
    for m in _TRAILING_INN.finditer(text):
        if claim(m.start("num"), m.end("num")):
            out.append(_typed("inn", m.group("num"), True))
    for pattern, kind in _LABELLED:
        for m in pattern.finditer(text):
            if kind == "tin":
                # Many countries print a "TIN"; only a valid INN is typed, the rest stay
                # in the printed value without a complaint.
                if inn.is_valid(m.group("num")) and claim(m.start("num"), m.end("num")):
                    out.append(RegistryId("innCode", m.group("num")))
                continue
            if claim(m.start("num"), m.end("num")):
                out.append(_typed(kind, m.group("num"), True))

    col_kind = COLUMN_KIND.get(column)
    for m in _BARE_NUMBER.finditer(text):
        raw = m.group(1)
        if not claim(m.start(1), m.end(1)):
            continue
        compact = _digits(raw).upper()
        if col_kind is not None:
            out.append(_typed(col_kind, raw, True))
        elif uscc.is_valid(compact):
            out.append(RegistryId("uscCode", compact))
        elif lei.is_valid(compact):
            out.append(RegistryId("leiCode", compact))
        elif russian and len(compact) in (13, 15) and ogrn.is_valid(compact):
            out.append(RegistryId("ogrnCode", compact))
        elif russian and len(compact) in (10, 12) and inn.is_valid(compact):
            out.append(RegistryId("innCode", compact))

    if col_kind is None:
        out.append(RegistryId(column, text))
    elif not out:
        out.append(_typed(col_kind, text, True))
    seen: set[tuple[str, str]] = set()
    unique = []
    for rid in out:
        if (rid.prop, rid.value) not in seen:
            seen.add((rid.prop, rid.value))
            unique.append(rid)
    return unique
