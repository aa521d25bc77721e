"""The US Consolidated Screening List (CSL) and BIS's own Denied Persons file.

The CSL is one CSV in which thirteen lists of three agencies travel together: OFAC's
SDN and non-SDN lists, BIS's Entity List, Military End-User list, Unverified List and
Denied Persons list, and the State Department's ITAR debarments and nonproliferation
sanctions. They bind differently (an Entity List licence requirement is not an asset
freeze), are amended on different dates, and an analyst asks "is it on the Entity
List?" — so the reader **splits the file by its ``source`` column into one dataset per
list** (``us_bis_el``, ``us_bis_meu``, ...). Each list then gets its own versions,
deltas and as-of answers, and ``dualtrace show`` names the list in each membership.

Denied Persons appear both in the CSL and in BIS's tab-separated ``dpl.txt``; both go
to the dataset ``us_bis_dpl`` with entity ids derived from the person and the order's
effective date, so the two publications are two versions of one list and diff cleanly.

OFAC-sourced CSL rows keep OFAC's entity number in their id
(``us-csl-ofac-<number>``); the merge step uses it as the shared key with OFAC's own
files (``ofac-<number>``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from followthemoney.statement import StatementEntity

from dualtrace.errors import InputError
from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.model.territories import country_code
from dualtrace.sources.base import ReadResult, csv_rows, make_entity, read_text
from dualtrace.sources.listing import (
    Listing,
    add_checked,
    add_identifier,
    make_sanction,
)
from dualtrace.sources.ofac_remarks import ID_LABELS, VALUE_LABELS, parse_ofac_date

CSL_URL = "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv"
DPL_URL = "https://www.bis.doc.gov/dpl/dpl.txt"


@dataclass(frozen=True, slots=True)
class CslList:
    """One list carried in the CSL: its dataset, issuing authority and FtM topic."""

    code: str
    dataset: DatasetInfo
    authority: str
    topic: str
    ofac: bool = False


def _ds(name: str, title: str, publisher: str, url: str) -> DatasetInfo:
    return DatasetInfo(name=name, title=title, publisher=publisher, url=url, reliability="A")


_BIS = "US Commerce Department, Bureau of Industry and Security"
_OFAC = "US Treasury, Office of Foreign Assets Control"
_STATE = "US State Department"
# The code in brackets in the CSL ``source`` column -> the list it names.
CSL_LISTS: dict[str, CslList] = {
    c.code: c
    for c in (
        CslList("EL", _ds("us_bis_el", "BIS Entity List", _BIS, CSL_URL), _BIS, "export.control"),
        CslList(
            "MEU",
            _ds("us_bis_meu", "BIS Military End-User List", _BIS, CSL_URL),
            _BIS,
            "export.control",
        ),
        CslList(
            "UVL", _ds("us_bis_uvl", "BIS Unverified List", _BIS, CSL_URL), _BIS, "export.control"
        ),
        CslList(
            "DPL",
            _ds("us_bis_dpl", "BIS Denied Persons List", _BIS, DPL_URL),
            _BIS,
            "export.control",
        ),
        CslList(
            "DTC",
            _ds("us_ddtc_debarred", "State Department ITAR Debarred Parties", _STATE, CSL_URL),
            _STATE,
            "debarment",
        ),
        CslList(
            "ISN",
            _ds("us_isn_sanctions", "State Department Nonproliferation Sanctions", _STATE, CSL_URL),
            _STATE,
            "sanction",
        ),
        CslList(
            "SDN",
            _ds("us_csl_sdn", "OFAC SDN List (as carried in the CSL)", _OFAC, CSL_URL),
            _OFAC,
            "sanction",
            True,
        ),
        CslList(
            "SSI",
            _ds("us_csl_ssi", "OFAC Sectoral Sanctions Identifications (CSL)", _OFAC, CSL_URL),
            _OFAC,
            "sanction",
            True,
        ),
        CslList(
            "PLC",
            _ds("us_csl_plc", "OFAC Palestinian Legislative Council List (CSL)", _OFAC, CSL_URL),
            _OFAC,
            "sanction",
            True,
        ),
        CslList(
            "CMIC",
            _ds(
                "us_csl_cmic", "OFAC Chinese Military-Industrial Complex List (CSL)", _OFAC, CSL_URL
            ),
            _OFAC,
            "sanction",
            True,
        ),
        CslList(
            "CAP",
            _ds("us_csl_cap", "OFAC CAPTA List (CSL)", _OFAC, CSL_URL),
            _OFAC,
            "sanction",
            True,
        ),
        CslList(
            "NS-MBS List",
            _ds("us_csl_nsmbs", "OFAC Non-SDN Menu-Based Sanctions List (CSL)", _OFAC, CSL_URL),
            _OFAC,
            "sanction",
            True,
        ),
        CslList(
            "FSE",
            _ds("us_csl_fse", "OFAC Foreign Sanctions Evaders List (CSL)", _OFAC, CSL_URL),
            _OFAC,
            "sanction",
            True,
        ),
    )
}
CSL_COLUMNS = (
    "_id",
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "title",
    "addresses",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "remarks",
    "source_list_url",
    "alt_names",
    "citizenships",
    "dates_of_birth",
    "nationalities",
    "places_of_birth",
    "source_information_url",
    "ids",
)
DPL_COLUMNS = (
    "Name",
    "Street_Address",
    "City",
    "State",
    "Country",
    "Postal_Code",
    "Effective_Date",
    "Expiration_Date",
    "Standard_Order",
    "Last_Update",
    "Action",
    "FR_Citation",
)
SCHEMAS = {
    "individual": "Person",
    "entity": "Organization",
    "vessel": "Vessel",
    "aircraft": "Airplane",
}
_SOURCE_CODE = re.compile(r"\(([^()]+)\)[^()]*-")
_ID_PROPS = dict(ID_LABELS)
_VALUE_PROPS = {label.rstrip(":"): prop for label, prop in VALUE_LABELS}
# An Entity List "name" that is really a street address (BIS lists some Hong Kong
# addresses on their own, with no party named): such rows become Address entities.
_ADDRESS_NAME = re.compile(
    r"^(?:address:?\s*)?(?:(?:flat|room|rm\.?|unit|suite|shop|block|workshop|floor)\b|\d+/f\b|"
    r"(?:no\.\s*)?\d+[a-z]?(?:-\d+)?,?\s+\w+.*\b(?:street|road|st\.|rd\.|avenue)\b)",
    re.IGNORECASE,
)


def _check_header(path: Path, header: list[str], expected: tuple[str, ...]) -> None:
    got = [h.strip().strip('"') for h in header]
    missing = [c for c in expected if c not in got]
    if missing:
        raise InputError(
            f"not the expected file: header lacks column(s) {', '.join(missing)}",
            file=str(path),
            row=1,
            field=missing[0],
        )
    if got[: len(expected)] != list(expected):
        raise InputError(
            "columns are not in the published order; re-download the file",
            file=str(path),
            row=1,
        )


def _split(text: str) -> list[str]:
    out = []
    for part in text.split(";"):
        part = part.strip()
        if part.lower().startswith("and "):
            part = part[4:].strip()
        if part:
            out.append(part)
    return out


def _list_for(path: Path, line: int, source: str) -> CslList:
    m = _SOURCE_CODE.search(source)
    code = m.group(1).strip() if m else None
    if code is None or code not in CSL_LISTS:
        raise InputError(
            f"unknown list in source column: {source!r}", file=str(path), row=line, field="source"
        )
    return CSL_LISTS[code]


def dpl_entity_id(name: str, effective: str | None) -> str:
    """Stable id for a Denied Persons order: the denied party plus the order's effective date."""
    key = re.sub(r"[^0-9A-Z]+", " ", name.upper()).strip() + "|" + (effective or "")
    return "us-bis-dpl-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _csl_version(rows: list[tuple[int, list[str]]], idx: int) -> str | None:
    """The CSL has no publication date; its latest listing date is the best witness."""
    today = dt.date.today().isoformat()
    dates = [f[idx] for _, f in rows if len(f) > idx and re.fullmatch(r"\d{4}-\d{2}-\d{2}", f[idx])]
    dates = [d for d in dates if d <= today]
    return max(dates) if dates else None


def read_csl(path: Path, version: str | None = None) -> list[ReadResult]:
    """Read the CSL CSV; one ReadResult per list it carries (see module docstring)."""
    report0 = LoadReport("us_csl", version or "", source_files=[str(path)])
    text = read_text(path, report0)
    rows = list(csv_rows(text, path, report0))
    errors = [i for i in report0.issues if i.severity == "error"]
    if errors:
        first = errors[0]
        raise InputError(first.message, file=str(path), row=first.row)
    if not rows:
        raise InputError("empty file", file=str(path))
    _check_header(path, rows[0][1], CSL_COLUMNS)
    body = rows[1:]
    by_list: dict[str, list[tuple[int, list[str]]]] = {}
    for line, f in body:
        if len(f) != len(CSL_COLUMNS):
            raise InputError(
                f"record {f[0] if f else '?'}: {len(f)} fields, expected {len(CSL_COLUMNS)} "
                "(truncated or damaged file)",
                file=str(path),
                row=line,
            )
        lst = _list_for(path, line, f[1])
        by_list.setdefault(lst.code, []).append((line, f))
    if version is not None:
        vinfo = VersionInfo(version, "given")
    else:
        found = _csl_version(body, CSL_COLUMNS.index("start_date"))
        if found is None:
            raise InputError("no listing dates in the file; pass a version", file=str(path))
        vinfo = VersionInfo(found, "file")
    results = []
    for code, lst_rows in by_list.items():
        lst = CSL_LISTS[code]
        report = LoadReport(lst.dataset.name, vinfo.version, source_files=[str(path)])
        report.issues.extend(report0.issues)
        results.append(
            ReadResult(lst.dataset, vinfo, report, _csl_entities(path, lst, lst_rows, report))
        )
    return results


def _csl_entities(
    path: Path, lst: CslList, rows: list[tuple[int, list[str]]], report: LoadReport
) -> Iterator[StatementEntity]:
    ds = lst.dataset.name
    for line, f in rows:
        row = dict(zip(CSL_COLUMNS, (v.strip() for v in f), strict=True))
        at = SourcePointer(file=path.name, row=line)
        name = row["name"]
        if lst.ofac:
            if not row["entity_number"].isdigit():
                raise InputError(
                    f"record {row['_id']}: OFAC row without a numeric entity_number",
                    file=str(path),
                    row=line,
                    field="entity_number",
                )
            eid = f"us-csl-ofac-{row['entity_number']}"
        elif code_is_dpl(lst):
            eid = dpl_entity_id(name, row["start_date"] or None)
        else:
            if not row["_id"]:
                raise InputError("record without _id", file=str(path), row=line, field="_id")
            eid = f"us-csl-{row['_id'][:20]}"
        listing = Listing(
            authority=lst.authority,
            program=row["programs"] or lst.dataset.title,
            listing_date=row["start_date"] or None,
            end_date=row["end_date"] or None,
            provisions="; ".join(
                p for p in (row["license_requirement"], row["license_policy"]) if p
            )
            or None,
            source_url=row["source_information_url"] or row["source_list_url"] or None,
            topic=lst.topic,
        )
        if not name or (lst.code == "EL" and _ADDRESS_NAME.match(name) and not row["alt_names"]):
            if not name and not row["addresses"]:
                raise InputError(
                    f"record {row['_id']}: neither a name nor an address",
                    file=str(path),
                    row=line,
                    field="name",
                )
            yield from _address_listing(ds, eid, name or row["addresses"], listing, at, report)
            continue
        schema = SCHEMAS.get(row["type"].lower(), "LegalEntity")
        entity = make_entity(ds, schema, eid)
        add_checked(entity, "name", name, at, report)
        for alias in _split(row["alt_names"]):
            add_checked(entity, "alias", alias, at, report)
        for address in _split(row["addresses"]):
            add_checked(entity, "address", address, at, report)
            tail = address.rsplit(",", 1)[-1].strip()
            if re.fullmatch(r"[A-Z]{2}", tail):
                add_checked(entity, "country", tail, at, report)
        if schema == "Person":
            add_checked(entity, "position", row["title"], at, report)
            for dob in _split(row["dates_of_birth"]):
                add_checked(entity, "birthDate", _date(dob), at, report)
            for nat in _split(row["nationalities"]):
                add_checked(entity, "nationality", nat, at, report)
            for cit in _split(row["citizenships"]):
                add_checked(entity, "citizenship", cit, at, report)
            for pob in _split(row["places_of_birth"]):
                add_checked(entity, "birthPlace", pob, at, report)
        elif row["title"]:
            add_checked(entity, "notes", f"Title: {row['title']}", at, report)
        if schema == "Vessel":
            add_checked(entity, "callSign", row["call_sign"], at, report)
            add_checked(entity, "type", row["vessel_type"], at, report)
            add_checked(entity, "tonnage", row["gross_tonnage"], at, report)
            add_checked(
                entity, "grossRegisteredTonnage", row["gross_registered_tonnage"], at, report
            )
            add_checked(entity, "flag", row["vessel_flag"], at, report)
        add_checked(entity, "notes", row["remarks"], at, report)
        _csl_ids(entity, row["ids"], at, report)
        sanction = make_sanction(ds, entity, "csl", listing, at, report)
        add_checked(sanction, "authorityId", row["federal_register_notice"], at, report)
        yield sanction
        yield entity


def code_is_dpl(lst: CslList) -> bool:
    return lst.code == "DPL"


def _date(text: str) -> str:
    """ISO dates pass through; OFAC's ``16 Jan 2017`` / ``circa 1967`` are converted."""
    if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
        return text
    return parse_ofac_date(text) or text


def _csl_ids(entity: StatementEntity, text: str, at: SourcePointer, report: LoadReport) -> None:
    """``ids`` holds ``country, [issued, expires,] number, type`` items separated by ``;``."""
    for item in _split(text):
        parts = [p.strip() for p in item.split(",")]
        if len(parts) < 2:
            add_checked(entity, "notes", item, at, report)
            continue
        kind = parts[-1]
        number = parts[-2]
        country = country_code(parts[0]) if len(parts) >= 3 and len(parts[0]) == 2 else None
        label = kind.rstrip(":").strip()
        if kind in _ID_PROPS or label in _ID_PROPS:
            add_identifier(
                entity, _ID_PROPS.get(kind) or _ID_PROPS[label], number, country, at, report
            )
        elif label in _VALUE_PROPS and entity.schema.get(_VALUE_PROPS[label]) is not None:
            prop = _VALUE_PROPS[label]
            value = ", ".join(parts[:-1])
            if prop in ("incorporationDate", "buildDate"):
                value = _date(value)
            add_checked(entity, prop, value, at, report)
        else:
            add_checked(entity, "notes", f"{label}: {', '.join(parts[:-1])}", at, report)


def _address_listing(
    dataset: str, eid: str, text: str, listing: Listing, at: SourcePointer, report: LoadReport
) -> Iterator[StatementEntity]:
    """A listing that names only an address: an Address entity, screenable by its text."""
    addr = make_entity(dataset, "Address", eid)
    add_checked(addr, "full", text, at, report)
    # also as its name, so name lookup and screening (which index names) find it
    add_checked(addr, "name", text, at, report)
    tail = text.rsplit(",", 1)[-1].strip()
    if re.fullmatch(r"[A-Z]{2}", tail):
        add_checked(addr, "country", tail, at, report)
    elif "hong kong" in text.lower():
        add_checked(addr, "country", "hk", at, report)
    yield make_sanction(dataset, addr, "csl", listing, at, report)
    yield addr


# --------------------------------------------------------------------------- dpl.txt

DPL = CSL_LISTS["DPL"]


def _us_date(path: Path, line: int, field: str, text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if m:
        return f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    raise InputError(f"not a date: {text!r}", file=str(path), row=line, field=field)


def read_dpl(path: Path, version: str | None = None) -> ReadResult:
    """Read BIS's tab-separated Denied Persons file as a version of ``us_bis_dpl``."""
    report = LoadReport(DPL.dataset.name, version or "", source_files=[str(path)])
    text = read_text(path, report)
    rows = list(csv_rows(text, path, report, delimiter="\t"))
    errors = [i for i in report.issues if i.severity == "error"]
    if errors:
        raise InputError(errors[0].message, file=str(path), row=errors[0].row)
    if not rows:
        raise InputError("empty file", file=str(path))
    _check_header(path, rows[0][1], DPL_COLUMNS)
    body = rows[1:]
    for line, f in body:
        if len(f) != len(DPL_COLUMNS):
            raise InputError(
                f"record {f[0] if f else '?'!r}: {len(f)} fields, expected {len(DPL_COLUMNS)} "
                "(truncated or damaged file)",
                file=str(path),
                row=line,
            )
    if version is not None:
        vinfo = VersionInfo(version, "given")
    else:
        today = dt.date.today().isoformat()
        updates = [
            d
            for line, f in body
            if (d := _us_date(path, line, "Last_Update", f[9])) is not None and d <= today
        ]
        if not updates:
            raise InputError("no Last_Update dates; pass a version", file=str(path))
        vinfo = VersionInfo(max(updates), "file")
    report.version = vinfo.version
    return ReadResult(DPL.dataset, vinfo, report, _dpl_entities(path, body, report))


def _dpl_entities(
    path: Path, rows: list[tuple[int, list[str]]], report: LoadReport
) -> Iterator[StatementEntity]:
    ds = DPL.dataset.name
    for line, f in rows:
        row = dict(zip(DPL_COLUMNS, (v.strip() for v in f), strict=True))
        at = SourcePointer(file=path.name, row=line)
        if not row["Name"]:
            raise InputError("record without a name", file=str(path), row=line, field="Name")
        effective = _us_date(path, line, "Effective_Date", row["Effective_Date"])
        entity = make_entity(ds, "LegalEntity", dpl_entity_id(row["Name"], effective))
        add_checked(entity, "name", row["Name"], at, report)
        parts = [row[c] for c in ("Street_Address", "City", "State", "Postal_Code", "Country")]
        if any(parts):
            add_checked(entity, "address", ", ".join(p for p in parts if p), at, report)
        add_checked(entity, "country", row["Country"], at, report)
        listing = Listing(
            authority=DPL.authority,
            program=DPL.dataset.title,
            listing_date=effective,
            end_date=_us_date(path, line, "Expiration_Date", row["Expiration_Date"]),
            provisions="Standard denial order" if row["Standard_Order"] == "Y" else None,
            source_url=DPL_URL,
            topic=DPL.topic,
        )
        sanction = make_sanction(ds, entity, "dpl", listing, at, report)
        add_checked(sanction, "authorityId", row["FR_Citation"], at, report)
        add_checked(sanction, "summary", row["Action"], at, report)
        yield sanction
        yield entity
