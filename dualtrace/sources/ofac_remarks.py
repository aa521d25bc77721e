"""Parse the facts OFAC packs into the free-text remarks of its legacy CSV files.

OFAC's ``sdn.csv`` has one ``Remarks`` column holding dates of birth, nationalities,
passports, tax and registration numbers, websites, e-mails, IMO numbers, weak aliases
and "Linked To" relations as ``; ``-separated phrases. Screening depends on these
identifiers, so each recognised phrase becomes a typed FtM property; anything not
recognised is kept verbatim in ``notes`` rather than dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Labels of identifier phrases ("<label> <number> (<country>)") and the FtM property
# each maps to. Order matters: longer labels first so "Business Registration Number"
# wins over "Registration Number".
ID_LABELS: tuple[tuple[str, str], ...] = (
    ("Business Registration Number", "registrationNumber"),
    ("Business Registration Document #", "registrationNumber"),
    ("Company Number", "registrationNumber"),
    ("Commercial Registry Number", "registrationNumber"),
    ("Registration Number", "registrationNumber"),
    ("Registration ID", "registrationNumber"),
    ("Trade License No.", "registrationNumber"),
    ("Chamber of Commerce Number", "registrationNumber"),
    ("Unified Social Credit Code (USCC)", "registrationNumber"),
    ("Tax ID No.", "taxNumber"),
    ("V.A.T. Number", "vatCode"),
    ("Government Gazette Number", "okpoCode"),
    ("Legal Entity Number", "leiCode"),
    ("D-U-N-S Number", "dunsCode"),
    ("SWIFT/BIC", "swiftBic"),
    ("BIK (RU)", "bikCode"),
    ("Passport", "passportNumber"),
    ("National ID No.", "idNumber"),
    ("Identification Number", "idNumber"),
    ("Cedula No.", "idNumber"),
    ("C.U.R.P.", "idNumber"),
    ("R.F.C.", "taxNumber"),
    ("RFC", "taxNumber"),
    ("NIT #", "taxNumber"),
    ("Driver's License No.", "idNumber"),
    ("SSN", "idNumber"),
    ("Personal ID Card", "idNumber"),
    ("Residency Number", "idNumber"),
    ("Diplomatic Passport", "passportNumber"),
    ("MMSI", "mmsi"),
    ("Vessel Registration Identification IMO", "imoNumber"),
    ("IMO", "imoNumber"),
    ("Aircraft Manufacturer's Serial Number (MSN)", "serialNumber"),
    ("Aircraft Construction Number (also called L/N or S/N or F/N)", "serialNumber"),
    ("Aircraft Tail Number", "registrationNumber"),
    ("Previous Aircraft Tail Number", "registrationNumber"),
)

# Plain "<label> <value>" phrases.
VALUE_LABELS: tuple[tuple[str, str], ...] = (
    ("Website", "website"),
    ("Email Address", "email"),
    ("Phone Number", "phone"),
    ("Telephone", "phone"),
    ("Phone", "phone"),
    ("Gender", "gender"),
    ("Organization Established Date", "incorporationDate"),
    ("Organization Type:", "sector"),
    ("Vessel Year of Build", "buildDate"),
    ("Aircraft Model", "model"),
    ("Aircraft Manufacture Date", "buildDate"),
    ("Aircraft Operator", "operator"),
    ("Other Vessel Flag", "pastFlags"),
    ("Former Vessel Flag", "pastFlags"),
    ("Target Type", "notes"),
)

_ID_RE = re.compile(r"^(?P<number>.+?)(?:\s*\((?P<country>[^()]*)\))?\s*\.?$")
_QUOTED = re.compile(r"'([^']+)'")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


@dataclass(frozen=True, slots=True)
class RemarkFact:
    """One fact recognised in a remarks phrase: an FtM property and its value.

    ``country`` is the issuing country given in brackets after an identifier; ``prop``
    may be a pseudo-property handled by the reader: ``_linked`` (relation to another
    listed party by name).
    """

    prop: str
    value: str
    phrase: str
    country: str | None = None


def split_remarks(text: str) -> list[str]:
    """Split on ``;`` outside single quotes (aliases may contain semicolons)."""
    if "'" not in text:
        return [p.strip() for p in text.split(";") if p.strip()]
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    for i, ch in enumerate(text):
        if ch == "'":
            prev = text[i - 1] if i else " "
            nxt = text[i + 1] if i + 1 < len(text) else " "
            # An apostrophe inside a word (O'BRIEN) does not open or close a quote.
            if not (prev.isalnum() and nxt.isalnum()):
                quoted = not quoted
        if ch == ";" and not quoted:
            parts.append("".join(buf).strip())
            buf = []
            continue
        buf.append(ch)
    parts.append("".join(buf).strip())
    return [p for p in parts if p]


def parse_ofac_date(text: str) -> str | None:
    """``12 Jan 1960`` / ``Jan 1960`` / ``1960`` (optionally ``circa``) to ISO prefix dates."""
    text = text.strip().rstrip(".").lower().removeprefix("circa").strip()
    parts = text.split()
    try:
        if len(parts) == 3 and parts[1][:3] in _MONTHS:
            return f"{int(parts[2]):04d}-{_MONTHS[parts[1][:3]]:02d}-{int(parts[0]):02d}"
        if len(parts) == 2 and parts[0][:3] in _MONTHS:
            return f"{int(parts[1]):04d}-{_MONTHS[parts[0][:3]]:02d}"
        if len(parts) == 1 and len(parts[0]) == 4 and parts[0].isdigit():
            return parts[0]
    except ValueError:
        return None
    return None


def _strip_alt(phrase: str) -> str:
    return phrase[5:].strip() if phrase.lower().startswith("alt. ") else phrase


def parse_phrase(phrase: str) -> list[RemarkFact]:
    """Facts in one phrase; an empty list means "not recognised" (caller keeps a note)."""
    body = _strip_alt(phrase)
    lower = body.lower()
    if lower.startswith(("a.k.a.", "f.k.a.", "n.k.a.")):
        prop = {"a": "weakAlias", "f": "previousName", "n": "alias"}[lower[0]]
        return [RemarkFact(prop, name.strip(), phrase) for name in _QUOTED.findall(body)]
    if lower.startswith("linked to:"):
        return [RemarkFact("_linked", body[10:].strip().rstrip("."), phrase)]
    if lower.startswith("dob "):
        rng = body[4:].split(" to ")
        out = []
        for part in rng:
            date = parse_ofac_date(part)
            if date:
                out.append(RemarkFact("birthDate", date, phrase))
        return out
    if lower.startswith("pob "):
        return [RemarkFact("birthPlace", body[4:].strip().rstrip("."), phrase)]
    if lower.startswith("nationality "):
        return [RemarkFact("nationality", body[12:].strip().rstrip("."), phrase)]
    if lower.startswith("citizen "):
        return [RemarkFact("citizenship", body[8:].strip().rstrip("."), phrase)]
    for label, prop in ID_LABELS:
        if body.startswith(label + " ") or body.startswith(label + ":"):
            rest = body[len(label) :].lstrip(": ").strip()
            m = _ID_RE.match(rest)
            if not m or not m.group("number").strip():
                return []
            number = m.group("number").strip()
            # "Passport 123 issued 2001 expires 2011 (Russia)": keep the number only.
            number = re.split(r"\s+(?:issued|expires|alt\.)\s", number)[0].strip()
            return [RemarkFact(prop, number, phrase, m.group("country"))]
    for label, prop in VALUE_LABELS:
        if body.startswith(label + " ") or body.startswith(label + ":"):
            value = body[len(label) :].lstrip(": ").strip().rstrip(".")
            if prop in ("incorporationDate", "buildDate"):
                date = parse_ofac_date(value)
                return [RemarkFact(prop, date, phrase)] if date else []
            return [RemarkFact(prop, value, phrase)] if value else []
    return []
