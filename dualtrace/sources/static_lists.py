"""Small government lists that exist only as web pages or PDFs, kept as curated tables.

OpenSanctions transcribes these into CSV ("static" crawlers): BIS's Military-Intelligence
End-User list, the US DoD Section 1260H list of Chinese military companies, China's
own counter-sanctions and export-control lists (with Chinese names), and FinCEN's
Section 311/9714 special measures. Each becomes its own dataset. Entity ids are derived
from the listed name (and country), because these tables carry no ids of their own and
the same party must keep its id across versions for deltas to mean anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from followthemoney.statement import StatementEntity

from dualtrace.errors import InputError
from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.model.territories import country_code
from dualtrace.sources.base import ReadResult, add_value, csv_rows, make_entity, read_text
from dualtrace.sources.listing import Listing, add_checked, make_sanction

Row = dict[str, str]


@dataclass(frozen=True, slots=True)
class StaticList:
    """A curated list table: its dataset, required columns and row converter."""

    dataset: DatasetInfo
    columns: tuple[str, ...]
    date_column: str | None
    convert: Callable[[StaticList, Path, int, Row, LoadReport], Iterator[StatementEntity]]


def entity_id(prefix: str, name: str, country: str | None = None) -> str:
    """A stable id from the normalised name (and country) for lists without ids."""
    key = re.sub(r"[^0-9a-z\u0080-\uffff]+", " ", name.lower()).strip() + "|" + (country or "")
    # FtM entity references allow letters, digits, '.' and '-' only: no underscores.
    return f"{prefix.replace('_', '-')}-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _split(text: str, sep: str = ";") -> list[str]:
    return [p.strip() for p in text.split(sep) if p.strip()]


def parse_day_first(text: str) -> str | None:
    """``02.12.2019`` / ``27.03.21`` (day first) or ISO to an ISO date; None if empty."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})", text)
    if not m:
        return None
    year = int(m.group(3))
    if year < 100:
        year += 2000
    return f"{year:04d}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"


def _schema(kind: str, default: str = "LegalEntity") -> str:
    return {
        "person": "Person",
        "company": "Company",
        "organization": "Organization",
        "publicbody": "PublicBody",
        "legalentity": "LegalEntity",
    }.get(kind.strip().lower(), default)


# --------------------------------------------------------------------------- converters


def _mieu(
    lst: StaticList, path: Path, line: int, row: Row, report: LoadReport
) -> Iterator[StatementEntity]:
    ds = lst.dataset.name
    at = SourcePointer(path.name, line)
    country = country_code(row["Country"])
    entity = make_entity(
        ds, _schema(row["Type"], "Organization"), entity_id(ds, row["Name"], country)
    )
    add_checked(entity, "name", row["Name"], at, report)
    for alias in _split(row["Alias"]):
        add_checked(entity, "alias", alias, at, report)
    add_checked(entity, "country", row["Country"], at, report)
    listing = Listing(
        authority="US Commerce Department, Bureau of Industry and Security",
        program=row["Program"] or "US-BIS-MIEU",
        listing_date=row["Date"] or None,
        end_date=row["End date"] or None,
        source_url=row["Source URL"] or None,
        topic="export.control",
    )
    yield make_sanction(ds, entity, "mieu", listing, at, report)
    yield entity


def _dod(
    lst: StaticList, path: Path, line: int, row: Row, report: LoadReport
) -> Iterator[StatementEntity]:
    ds = lst.dataset.name
    at = SourcePointer(path.name, line)
    name = row["Clean Name"] or row["Name"]
    entity = make_entity(ds, "Company", entity_id(ds, name))
    add_checked(entity, "name", name, at, report)
    add_checked(entity, "country", "cn", at, report)
    if row["Name"] and row["Name"] != name:
        add_checked(entity, "alias", row["Name"].rstrip("*").strip(), at, report)
    for alias in _split(row["Alias"], ","):
        add_checked(entity, "alias", alias, at, report)
    for prev in _split(row["Previous Name"]):
        add_checked(entity, "previousName", prev, at, report)
    add_checked(entity, "notes", row["Note"], at, report)
    listing = Listing(
        authority="US Department of Defense",
        program="Section 1260H Chinese military companies",
        listing_date=row["Start date"] or None,
        end_date=row["End date"] or None,
        source_url=row["Source Url"] or None,
        topic="sanction",
    )
    yield make_sanction(ds, entity, f"1260h-{row['Start date']}", listing, at, report)
    if row["Parent Name"]:
        assert entity.id is not None
        parent_id = entity_id(ds, row["Parent Name"])
        link = make_entity(ds, "Ownership", f"{entity.id}-parent")
        add_value(link, "owner", parent_id, at)
        add_value(link, "asset", entity.id, at)
        add_value(link, "role", "parent company", at)
        add_value(link, "namesMentioned", row["Parent Name"], at)
        yield link
    yield entity


def _cn(
    lst: StaticList, path: Path, line: int, row: Row, report: LoadReport
) -> Iterator[StatementEntity]:
    ds = lst.dataset.name
    at = SourcePointer(path.name, line)
    name = row["Name"] or row["Chinese name"]
    if not name:
        raise InputError("entry has no name", file=str(path), row=line, field="Name")
    country = country_code(row["Country"])
    entity = make_entity(ds, _schema(row["Type"]), entity_id(ds, name, country))
    add_checked(entity, "name", name, at, report)
    if row["Chinese name"] and row["Chinese name"] != name:
        add_checked(entity, "name", row["Chinese name"], at, report, lang="zho")
    for alias in _split(row["Alias"]):
        add_checked(entity, "alias", alias, at, report)
    add_checked(entity, "country", row["Country"], at, report)
    add_checked(entity, "address", row["Address"], at, report)
    add_checked(entity, "wikidataId", row["QID"], at, report)
    add_checked(entity, "notes", row["Summary"], at, report)
    add_checked(entity, "notes", row["Chinese summary"], at, report, lang="zho")
    listing = Listing(
        authority=f"China, {row['Body']}" if row["Body"] else "China",
        program=row["List"] or "Countermeasures",
        listing_date=parse_day_first(row["Date"]),
        end_date=parse_day_first(row["End date"]),
        reason=row["Summary"] or None,
        source_url=row["Source URL"] or None,
        topic=row["Topics"].split(";")[0].strip() or "sanction.counter",
        country="cn",
    )
    key = hashlib.sha1(f"{row['List']}|{row['Date']}|{row['Source URL']}".encode()).hexdigest()[:8]
    yield make_sanction(ds, entity, key, listing, at, report)
    yield entity


def _fincen(
    lst: StaticList, path: Path, line: int, row: Row, report: LoadReport
) -> Iterator[StatementEntity]:
    ds = lst.dataset.name
    at = SourcePointer(path.name, line)
    name = row["Name"]
    if not name:
        raise InputError("entry has no name", file=str(path), row=line, field="Name")
    entity = make_entity(ds, _schema(row["Type"], "Organization"), entity_id(ds, name))
    add_checked(entity, "name", name, at, report)
    for alias in _split(row["Alias"]):
        add_checked(entity, "alias", alias, at, report)
    add_checked(entity, "country", row["Country"], at, report)
    add_checked(entity, "address", row["Address"], at, report)
    add_checked(entity, "registrationNumber", row["Registration number"], at, report)
    add_checked(entity, "notes", row["Notes"], at, report)
    relation = row["Relationship"].strip().lower()
    if relation in ("self", "target"):
        listing = Listing(
            authority="US Treasury, Financial Crimes Enforcement Network (FinCEN)",
            program=f"Special measure: {row['Measure']}",
            source_url=row["Source URL"] or None,
            topic="sanction",
        )
        key = hashlib.sha1(row["Source URL"].encode()).hexdigest()[:8]
        yield make_sanction(ds, entity, key, listing, at, report)
    else:
        assert entity.id is not None
        measure_id = entity_id(ds, row["Measure"])
        if measure_id != entity.id:
            link = make_entity(ds, "UnknownLink", f"{entity.id}-{relation}-{measure_id}")
            add_value(link, "subject", measure_id, at)
            add_value(link, "object", entity.id, at)
            add_value(link, "role", relation or "related", at)
            yield link
        add_value(entity, "topics", "sanction.linked", at)
    yield entity


def _ds(name: str, title: str, publisher: str, url: str) -> DatasetInfo:
    return DatasetInfo(name=name, title=title, publisher=publisher, url=url, reliability="B")


STATIC_LISTS: dict[str, StaticList] = {
    "us_bis_mieu": StaticList(
        _ds(
            "us_bis_mieu",
            "BIS Military-Intelligence End-User list (EAR 744.22)",
            "US Commerce Department, Bureau of Industry and Security",
            "https://www.ecfr.gov/current/title-15/part-744/section-744.22",
        ),
        ("Type", "Name", "Alias", "Country", "Program", "Date", "End date", "Source URL"),
        "Date",
        _mieu,
    ),
    "us_dod_1260h": StaticList(
        _ds(
            "us_dod_1260h",
            "US DoD Section 1260H Chinese military companies",
            "US Department of Defense",
            "https://www.defense.gov/News/Releases/",
        ),
        (
            "Name",
            "Clean Name",
            "Alias",
            "Previous Name",
            "Parent Name",
            "Note",
            "Start date",
            "End date",
            "Source Url",
        ),
        "Start date",
        _dod,
    ),
    "cn_sanctions": StaticList(
        _ds(
            "cn_sanctions",
            "China counter-sanctions and export-control lists",
            "PRC Ministry of Foreign Affairs / Ministry of Commerce",
            "https://www.mfa.gov.cn/",
        ),
        (
            "Type",
            "QID",
            "Name",
            "Alias",
            "Chinese name",
            "Country",
            "Topics",
            "Summary",
            "Chinese summary",
            "Body",
            "List",
            "Date",
            "End date",
            "Source URL",
            "Address",
        ),
        "Date",
        _cn,
    ),
    "us_fincen_311": StaticList(
        _ds(
            "us_fincen_311",
            "FinCEN special measures (Section 311 / 9714)",
            "US Treasury, Financial Crimes Enforcement Network",
            "https://www.fincen.gov/resources/statutes-and-regulations/311-and-9714-special-measures",
        ),
        (
            "Measure",
            "Relationship",
            "Type",
            "Name",
            "Alias",
            "Country",
            "Address",
            "Registration number",
            "Notes",
            "Source URL",
        ),
        None,
        _fincen,
    ),
}


def read_static_list(name: str, path: Path, version: str | None = None) -> ReadResult:
    """Read one curated list table (``name`` is a key of :data:`STATIC_LISTS`)."""
    if name not in STATIC_LISTS:
        raise InputError(f"unknown list {name!r}; known: {', '.join(sorted(STATIC_LISTS))}")
    lst = STATIC_LISTS[name]
    report = LoadReport(lst.dataset.name, version or "", source_files=[str(path)])
    text = read_text(path, report)
    rows = list(csv_rows(text, path, report))
    errors = [i for i in report.issues if i.severity == "error"]
    if errors:
        raise InputError(errors[0].message, file=str(path), row=errors[0].row)
    if not rows:
        raise InputError("empty file", file=str(path))
    header = [h.strip() for h in rows[0][1]]
    missing = [c for c in lst.columns if c not in header]
    if missing:
        raise InputError(
            f"not a {name} table: header lacks column(s) {', '.join(missing)}",
            file=str(path),
            row=1,
            field=missing[0],
        )
    records: list[tuple[int, Row]] = []
    for line, fields in rows[1:]:
        if len(fields) != len(header):
            raise InputError(
                f"record {fields[0] if fields else '?'!r}: {len(fields)} fields, expected "
                f"{len(header)} (truncated or damaged file)",
                file=str(path),
                row=line,
            )
        records.append((line, dict(zip(header, (f.strip() for f in fields), strict=True))))
    if version is not None:
        vinfo = VersionInfo(version, "given")
    else:
        dates = []
        if lst.date_column:
            today = dt.date.today().isoformat()
            dates = [
                d
                for _, r in records
                if (d := parse_day_first(r[lst.date_column])) is not None and d <= today
            ]
        vinfo = (
            VersionInfo(max(dates), "file")
            if dates
            else VersionInfo(dt.date.today().isoformat(), "load-date")
        )
    report.version = vinfo.version
    return ReadResult(lst.dataset, vinfo, report, _entities(lst, path, records, report))


def _entities(
    lst: StaticList, path: Path, records: list[tuple[int, Row]], report: LoadReport
) -> Iterator[StatementEntity]:
    """Rows naming the same party (same id) are merged into one entity before yielding."""
    merged: dict[str, StatementEntity] = {}
    order: list[str] = []
    for line, row in records:
        for entity in lst.convert(lst, path, line, row, report):
            assert entity.id is not None
            if entity.id in merged:
                for stmt in entity.statements:
                    merged[entity.id].add_statement(stmt)
            else:
                merged[entity.id] = entity
                order.append(entity.id)
    for eid in order:
        yield merged[eid]
