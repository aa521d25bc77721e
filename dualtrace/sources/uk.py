"""UK sanctions: the HMT/OFSI consolidated CSV and the UK Sanctions List (FCDO) tables.

Two publications. The OFSI consolidated list CSV (``gb_hmt``) is one row per name *and*
date of birth (a person with 3 names and 7 birth years is 21 rows), grouped by
``Group ID``; rows are folded back into one entity per group. The UK Sanctions List
tables (``gb_fcdo``, ``uk-transformed/``) are normalised: ``subjects.csv`` has one row
per designation and four tables hang off it by ``unique_id``; a row whose
``unique_id`` has no subject is reported, never silently attached or dropped.

Names keep the source's alias strength: OFSI ``Low quality`` and FCDO
``low_quality_aka`` become FtM ``weakAlias``; ``primary_variation`` spellings and
good-quality a.k.a.s stay strong aliases. Registry numbers in the free-text
``business_registration_numbers`` (``INN: 7704734000OGRN: 1027739001993``) are split
and checked (see :mod:`dualtrace.sources.registry_ids`), which is what lets the UK
entry of Almaz-Antey meet its EU entry by OGRN.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from followthemoney.statement import StatementEntity

from dualtrace.errors import InputError
from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.sources.base import ReadResult, add_value, csv_rows, make_entity, read_text
from dualtrace.sources.eu import add_address, add_countries, add_dates, add_ids, add_name
from dualtrace.sources.listing import Listing, add_checked, make_sanction
from dualtrace.sources.name_scripts import name_lang
from dualtrace.sources.printed_dates import parse_printed_date

AUTHORITY_OFSI = "HM Treasury, Office of Financial Sanctions Implementation (OFSI)"
AUTHORITY_FCDO = "UK Foreign, Commonwealth and Development Office (FCDO)"
HMT_DATASET = DatasetInfo(
    name="gb_hmt",
    title="UK HMT/OFSI Consolidated List of Financial Sanctions Targets",
    publisher="HM Treasury, Office of Financial Sanctions Implementation",
    url="https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.csv",
    reliability="A",
    kind="list",
)
FCDO_DATASET = DatasetInfo(
    name="gb_fcdo",
    title="UK Sanctions List (FCDO), normalised tables",
    publisher="UK Foreign, Commonwealth and Development Office "
    "(tables normalised by covyr/uk-sanctions-list)",
    url="https://www.gov.uk/government/publications/the-uk-sanctions-list",
    reliability="B",
    kind="list",
)
HMT_COLUMNS = [
    "Name 6",
    "Name 1",
    "Name 2",
    "Name 3",
    "Name 4",
    "Name 5",
    "Title",
    "Name Non-Latin Script",
    "Non-Latin Script Type",
    "Non-Latin Script Language",
    "DOB",
    "Town of Birth",
    "Country of Birth",
    "Nationality",
    "Passport Number",
    "Passport Details",
    "National Identification Number",
    "NI Details",
    "Position",
    "Address 1",
    "Address 2",
    "Address 3",
    "Address 4",
    "Address 5",
    "Address 6",
    "Post/Zip Code",
    "Country",
    "Other Information",
    "Group Type",
    "Alias Type",
    "Alias Quality",
    "Regime",
    "Listed On",
    "UK Sanctions List Date Designated",
    "Last Updated",
    "Group ID",
]
GROUP_SCHEMA = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}
# Prefix of a UK Sanctions List reference (RUS2257) -> the regime it was listed under.
UK_REGIMES = {
    "AFG": "Afghanistan",
    "AQD": "ISIL (Da'esh) and Al-Qaida",
    "BEL": "Belarus",
    "BIH": "Bosnia and Herzegovina",
    "CAF": "Central African Republic",
    "CHW": "Chemical Weapons",
    "CTD": "Counter-Terrorism (Domestic)",
    "CTI": "Counter-Terrorism (International)",
    "CYB": "Cyber",
    "DPR": "Democratic People's Republic of Korea",
    "DRC": "Democratic Republic of the Congo",
    "GAC": "Global Anti-Corruption",
    "GHR": "Global Human Rights",
    "GUB": "Guinea-Bissau",
    "HAI": "Haiti",
    "INU": "Iran (Nuclear)",
    "IRN": "Iran",
    "IRQ": "Iraq",
    "LIB": "Libya",
    "MAL": "Mali",
    "MYA": "Myanmar",
    "NIC": "Nicaragua",
    "RUS": "Russia",
    "SOM": "Somalia",
    "SSU": "South Sudan",
    "SUD": "Sudan",
    "SYR": "Syria",
    "VEN": "Venezuela",
    "YEM": "Yemen",
}
_NON_LATIN_LANG = {
    "russian": "rus",
    "ukrainian": "ukr",
    "belarusian": "bel",
    "arabic": "ara",
    "persian": "fas",
    "farsi": "fas",
    "chinese": "zho",
    "korean": "kor",
    "urdu": "urd",
    "pashto": "pus",
    "burmese": "mya",
}
_UK_REF = re.compile(r"\(UK Sanctions List Ref\):\s*([A-Z]{3}\d{4})")
_UN_REF = re.compile(r"\(UN Ref\):\s*([A-Za-z]{2,4}\.\d+)")
_RUSSIA = re.compile(r"Russia", re.IGNORECASE)


def _uk_date(text: str | None) -> str | None:
    """``27/04/2020`` (day first, ``00`` for unknown parts) -> ISO prefix."""
    return parse_printed_date(text) if text and text.strip() else None


def _check_version(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise InputError(f"--version must be a date YYYY-MM-DD, got {text!r}") from exc


def _strict_rows(path: Path, report: LoadReport) -> list[tuple[int, list[str]]]:
    """CSV records; a malformed (e.g. truncated, unterminated quote) record raises."""
    text = read_text(path, report)
    before = len(report.issues)
    rows = list(csv_rows(text, path, report))
    for issue in report.issues[before:]:
        if issue.severity == "error":
            raise InputError(issue.message, file=str(path), row=issue.row)
    return rows


def _require(
    path: Path, line: int, header: list[str], columns: list[str] | tuple[str, ...]
) -> None:
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}", file=str(path), row=line, field=missing[0]
        )


def _records(
    path: Path,
    rows: list[tuple[int, list[str]]],
    header_at: int,
    columns: tuple[str, ...] | list[str],
) -> Iterator[tuple[int, dict[str, str]]]:
    line, header = rows[header_at]
    header = [h.strip() for h in header]
    _require(path, line, header, columns)
    for num, fields in rows[header_at + 1 :]:
        if len(fields) != len(header):
            raise InputError(
                f"record has {len(fields)} cells, header has {len(header)} "
                "(truncated or misquoted record)",
                file=str(path),
                row=num,
            )
        yield num, {k: v.strip() for k, v in zip(header, fields, strict=True)}


# ---------------------------------------------------------------- OFSI consolidated CSV


def read_hmt_csv(path: Path, version: str | None = None) -> ReadResult:
    """The OFSI consolidated list CSV; version = its ``Last Updated`` line."""
    probe = LoadReport(HMT_DATASET.name, "")
    rows = _strict_rows(path, probe)
    if not rows:
        raise InputError("empty file; expected the OFSI consolidated list CSV", file=str(path))
    header_at = 0
    stated = None
    if rows[0][1] and rows[0][1][0].strip().lower() == "last updated":
        stated = _uk_date(rows[0][1][1] if len(rows[0][1]) > 1 else None)
        header_at = 1
    if len(rows) <= header_at:
        raise InputError("no header row", file=str(path), row=rows[0][0])
    if version is not None:
        vinfo = VersionInfo(_check_version(version), "given")
    elif stated is not None and len(stated) == 10:
        vinfo = VersionInfo(stated, "file")
    else:
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()
        vinfo = VersionInfo(mtime.isoformat(), "file")
    report = LoadReport(HMT_DATASET.name, vinfo.version, source_files=[path.name])
    report.issues.extend(probe.issues)
    dataset = HMT_DATASET.name
    entities: dict[str, StatementEntity] = {}
    sanctions: dict[str, StatementEntity] = {}
    extra: dict[str, StatementEntity] = {}
    for num, r in _records(path, rows, header_at, HMT_COLUMNS):
        at = SourcePointer(file=path.name, row=num)
        gid = r["Group ID"]
        if not gid:
            report.issue(path.name, num, "Group ID", "row without Group ID skipped", "error")
            continue
        group_type = r["Group Type"].lower()
        schema = GROUP_SCHEMA.get(group_type)
        if schema is None:
            report.issue(path.name, num, "Group Type", f"unknown group type {group_type!r}")
            schema = "LegalEntity"
        entity = entities.get(gid)
        if entity is None:
            entity = make_entity(dataset, schema, f"gb-hmt-{gid}")
            entities[gid] = entity
        elif entity.schema.name != schema:
            report.issue(
                path.name,
                num,
                "Group Type",
                f"group {gid} was {entity.schema.name} on an earlier row, here {group_type!r}; "
                "the first type is kept",
            )
        # What a row may say depends on the group's entity, not on this row's label.
        schema = entity.schema.name
        parts = [r[f"Name {i}"] for i in range(1, 7)]
        name = " ".join(p for p in parts if p)
        alias_type = r["Alias Type"].lower()
        quality = r["Alias Quality"].lower()
        if alias_type.startswith("prime"):
            prop = "name" if not entity.get("name") else "alias"
        elif alias_type in ("fka", "f.k.a."):
            prop = "previousName"
        elif quality.startswith("low"):
            prop = "weakAlias"
        else:
            prop = "alias"
        if name:
            add_name(entity, prop, name, at, report)
            if schema == "Person" and prop == "name":
                add_checked(entity, "firstName", r["Name 1"], at, report)
                add_checked(entity, "lastName", r["Name 6"], at, report)
        non_latin = r["Name Non-Latin Script"]
        if non_latin:
            hint = _NON_LATIN_LANG.get(r["Non-Latin Script Language"].lower())
            add_value(entity, "alias", non_latin, at, lang=name_lang(non_latin, hint))
        if schema == "Person":
            add_checked(entity, "title", r["Title"], at, report)
            if r["DOB"]:
                add_dates(entity, "birthDate", r["DOB"], at, report)
            place = ", ".join(p for p in (r["Town of Birth"], r["Country of Birth"]) if p)
            add_checked(entity, "birthPlace", place or None, at, report)
            if r["Country of Birth"]:
                add_countries(entity, "birthCountry", r["Country of Birth"], at, report)
            if r["Nationality"]:
                add_countries(entity, "nationality", r["Nationality"], at, report)
            if r["Passport Number"]:
                add_ids(entity, "passportNumber", r["Passport Number"], False, at, report)
                _hmt_document(
                    extra,
                    entity,
                    "Passport",
                    r["Passport Number"],
                    r["Passport Details"],
                    at,
                    report,
                )
            add_checked(entity, "position", r["Position"], at, report)
        if r["National Identification Number"]:
            add_ids(entity, "idNumber", r["National Identification Number"], False, at, report)
            _hmt_document(
                extra,
                entity,
                "Identification",
                r["National Identification Number"],
                r["NI Details"],
                at,
                report,
            )
        address_parts = [r[f"Address {i}"] for i in range(1, 7)] + [r["Post/Zip Code"]]
        full = ", ".join(p for p in [*address_parts, r["Country"]] if p)
        if any(address_parts):
            address = add_address(
                dataset, entity, full, at, report, {"postalCode": r["Post/Zip Code"] or None}
            )
            if address is not None and address.id is not None:
                if r["Country"]:
                    add_countries(address, "country", r["Country"], at, report)
                extra.setdefault(address.id, address)
        elif r["Country"]:
            add_countries(entity, "country", r["Country"], at, report)
        other = r["Other Information"]
        add_checked(entity, "notes", other or None, at, report)
        if gid not in sanctions:
            listing = Listing(
                authority=AUTHORITY_OFSI,
                program=r["Regime"] or None,
                listing_date=_uk_date(r["Listed On"]),
                source_url=HMT_DATASET.url,
                country="gb",
            )
            sanction = make_sanction(dataset, entity, "ofsi", listing, at, report)
            add_value(sanction, "recordId", gid, at)
            sanctions[gid] = sanction
        sanction = sanctions[gid]
        uk_ref = _UK_REF.search(other)
        if uk_ref:
            add_value(sanction, "authorityId", uk_ref.group(1), at)
        un_ref = _UN_REF.search(other)
        if un_ref:
            add_value(sanction, "unscId", un_ref.group(1), at)
        add_checked(
            sanction, "startDate", _uk_date(r["UK Sanctions List Date Designated"]), at, report
        )
        add_checked(sanction, "modifiedAt", _uk_date(r["Last Updated"]), at, report)
    _promote_names(entities.values(), path, report)
    result = [*entities.values(), *sanctions.values(), *extra.values()]
    return ReadResult(HMT_DATASET, vinfo, report, iter(result))


def _hmt_document(
    extra: dict[str, StatementEntity],
    holder: StatementEntity,
    schema: str,
    number: str,
    details: str,
    at: SourcePointer,
    report: LoadReport,
) -> None:
    """A passport or national id as its own entity, with OFSI's details (issuer, dates)."""
    key = re.sub(r"[^0-9a-z]+", "-", number.lower()).strip("-")[:40]
    doc_id = f"{holder.id}-doc-{key}"
    doc = extra.get(doc_id)
    if doc is None:
        doc = make_entity(HMT_DATASET.name, schema, doc_id)
        add_value(doc, "holder", holder.id, at)
        add_value(doc, "number", number, at)
        add_value(doc, "type", "passport" if schema == "Passport" else "national id", at)
        extra[doc_id] = doc
    add_checked(doc, "description", details or None, at, report)


def _promote_names(entities: Iterable[StatementEntity], path: Path, report: LoadReport) -> None:
    """A group printed only with a.k.a. rows still needs a name: use its first alias."""
    for entity in entities:
        name_prop = entity.schema.get("name")
        if name_prop is None or entity.get("name"):
            continue
        for prop in ("alias", "weakAlias", "previousName"):
            # Prefer a Latin-script alias (no lang) as the display name.
            values = sorted(
                (s for s in entity.statements if s.prop == prop), key=lambda s: s.lang is not None
            )
            if values:
                stmt = values[0]
                entity.unsafe_add(
                    name_prop,
                    stmt.value,
                    cleaned=True,
                    lang=stmt.lang,
                    origin=stmt.origin,
                )
                report.issue(
                    path.name,
                    SourcePointer.decode(stmt.origin).row,
                    "Alias Type",
                    f"{entity.id} has no primary name; using alias {stmt.value!r}",
                    "info",
                )
                break


# ---------------------------------------------------------------- FCDO normalised tables

FCDO_FILES = {
    "subjects.csv": (
        "unique_id",
        "subject_type",
        "un_reference_number",
        "ofsi_group_id",
        "date_designated",
        "last_updated",
    ),
    "subject_names.csv": ("name_id", "unique_id", "name_type", "alias_strength", "full_name"),
    "subject_identifiers.csv": (
        "id",
        "unique_id",
        "raw_value",
        "identifier_type",
        "additional_info",
    ),
    "subject_dobs.csv": ("dob_id", "unique_id", "year", "month", "day", "precision"),
    "subject_countries.csv": ("id", "unique_id", "raw_value", "country_type", "iso"),
}
FCDO_SCHEMA = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}


@dataclass
class _Subject:
    entity: StatementEntity
    sanction: StatementEntity
    russian: bool = False
    docs: dict[str, StatementEntity] = field(default_factory=dict)


def read_fcdo_tables(folder: Path, version: str | None = None) -> ReadResult:
    """The five UK Sanctions List tables, joined on ``unique_id``."""
    tables: dict[str, list[tuple[int, dict[str, str]]]] = {}
    probe = LoadReport(FCDO_DATASET.name, "")
    for name, columns in FCDO_FILES.items():
        path = folder / name
        if not path.exists():
            raise InputError(f"missing table {name} of the UK Sanctions List", file=str(path))
        rows = _strict_rows(path, probe)
        if not rows:
            raise InputError("empty table; expected a header row", file=str(path))
        tables[name] = list(_records(path, rows, 0, columns))

    latest = None
    for _, r in tables["subjects.csv"]:
        for col in ("last_updated", "date_designated"):
            d = _uk_date(r[col])
            if d and len(d) == 10 and (latest is None or d > latest):
                latest = d
    if version is not None:
        vinfo = VersionInfo(_check_version(version), "given")
    elif latest is not None:
        vinfo = VersionInfo(latest, "file")
    else:
        mtime = dt.datetime.fromtimestamp((folder / "subjects.csv").stat().st_mtime, dt.UTC)
        vinfo = VersionInfo(mtime.date().isoformat(), "file")
    report = LoadReport(FCDO_DATASET.name, vinfo.version, source_files=sorted(FCDO_FILES))
    report.issues.extend(probe.issues)
    dataset = FCDO_DATASET.name

    subjects: dict[str, _Subject] = {}
    for num, r in tables["subjects.csv"]:
        at = SourcePointer(file="subjects.csv", row=num)
        uid = r["unique_id"]
        if not uid:
            report.issue("subjects.csv", num, "unique_id", "subject without id skipped", "error")
            continue
        if uid in subjects:
            report.issue("subjects.csv", num, "unique_id", f"duplicate subject {uid}", "error")
            continue
        schema = FCDO_SCHEMA.get(r["subject_type"].lower())
        if schema is None:
            report.issue("subjects.csv", num, "subject_type", f"unknown type {r['subject_type']!r}")
            schema = "LegalEntity"
        entity = make_entity(dataset, schema, f"gb-fcdo-{uid.lower()}")
        regime = UK_REGIMES.get(uid[:3])
        listing = Listing(
            authority=AUTHORITY_FCDO,
            program=regime or uid[:3],
            listing_date=_uk_date(r["date_designated"]),
            source_url=FCDO_DATASET.url,
            country="gb",
        )
        sanction = make_sanction(dataset, entity, "uk", listing, at, report)
        add_value(sanction, "authorityId", uid, at)
        add_checked(sanction, "programId", uid[:3], at, report)
        add_checked(sanction, "unscId", r["un_reference_number"] or None, at, report)
        add_checked(sanction, "recordId", r["ofsi_group_id"] or None, at, report)
        add_checked(sanction, "modifiedAt", _uk_date(r["last_updated"]), at, report)
        subjects[uid] = _Subject(entity, sanction)

    def subject_of(table: str, num: int, uid: str) -> _Subject | None:
        found = subjects.get(uid)
        if found is None:
            report.issue(
                table, num, "unique_id", f"no subject {uid!r} in subjects.csv; row skipped"
            )
        return found

    extra: dict[str, StatementEntity] = {}
    # The tables repeat a value once per name variation (Almaz-Antey's country is on
    # 12 rows); the first row is the pointer kept, the repeats are skipped early.
    seen: set[tuple[str, ...]] = set()
    # Countries first: they decide whether an entry is tied to Russia (INN reading).
    for num, r in tables["subject_countries.csv"]:
        dedupe = (r["unique_id"], r["country_type"], r["iso"], r["raw_value"])
        if dedupe in seen:
            continue
        seen.add(dedupe)
        subj = subject_of("subject_countries.csv", num, r["unique_id"])
        if subj is None:
            continue
        at = SourcePointer(file="subject_countries.csv", row=num)
        kind = r["country_type"]
        prop = {"nationality": "nationality", "birth": "birthCountry"}.get(kind, "country")
        value = r["iso"] or r["raw_value"]
        if value:
            add_countries(subj.entity, prop, value, at, report)
        if (r["iso"] or "").upper() == "RU" or _RUSSIA.search(r["raw_value"]):
            subj.russian = True
    for num, r in tables["subject_names.csv"]:
        subj = subject_of("subject_names.csv", num, r["unique_id"])
        if subj is None:
            continue
        at = SourcePointer(file="subject_names.csv", row=num)
        name = " ".join(r["full_name"].split())
        if not name:
            report.issue("subject_names.csv", num, "full_name", "empty name")
            continue
        if name_lang(name) == "rus":
            subj.russian = True
        name_type = r["name_type"]
        if name_type == "primary":
            prop = "name" if not subj.entity.get("name") else "alias"
        elif r["alias_strength"] == "low_quality_aka":
            prop = "weakAlias"
        else:
            prop = "alias"  # primary_variation, good_quality_aka, unlabelled alias
        add_name(subj.entity, prop, name, at, report)
        if prop == "name" and subj.entity.schema.name == "Person":
            # name_1..name_5 are given names, name_6 the family name (OFSI's layout).
            given = " ".join(r.get(f"name_{i}", "").strip() for i in range(1, 6)).split()
            add_checked(subj.entity, "firstName", given[0] if given else None, at, report)
            add_checked(subj.entity, "lastName", r.get("name_6", "").strip() or None, at, report)
    for num, r in tables["subject_dobs.csv"]:
        subj = subject_of("subject_dobs.csv", num, r["unique_id"])
        if subj is None:
            continue
        at = SourcePointer(file="subject_dobs.csv", row=num)
        parts = [
            r["year"],
            r["month"] if r["month"].isdigit() else "",
            r["day"] if r["day"].isdigit() else "",
        ]
        if r["precision"] == "year_only":
            parts = parts[:1]
        elif r["precision"] == "month_year":
            parts = parts[:2]
        value = "-".join(p.zfill(2) if i else p for i, p in enumerate(parts) if p)
        prop = "birthDate" if subj.entity.schema.get("birthDate") else "incorporationDate"
        if subj.entity.schema.get(prop) is None:
            continue
        add_checked(subj.entity, prop, value or None, at, report)
    for num, r in tables["subject_identifiers.csv"]:
        dedupe = (r["unique_id"], r["identifier_type"], r["raw_value"], r["additional_info"])
        if dedupe in seen:
            continue
        seen.add(dedupe)
        subj = subject_of("subject_identifiers.csv", num, r["unique_id"])
        if subj is None:
            continue
        at = SourcePointer(file="subject_identifiers.csv", row=num)
        raw = " ".join(r["raw_value"].split())
        if not raw:
            continue
        kind = r["identifier_type"]
        entity = subj.entity
        if kind == "imo":
            add_ids(entity, "imoNumber", raw, False, at, report)
        elif kind == "business_registration_numbers":
            add_ids(entity, "registrationNumber", raw, subj.russian, at, report)
        else:
            passport = kind == "passport" and entity.schema.name == "Person"
            add_ids(entity, "passportNumber" if passport else "idNumber", raw, False, at, report)
            doc_key = f"{entity.id}-doc-{kind}-{re.sub(r'[^0-9a-z]+', '-', raw.lower())[:40]}"
            if doc_key not in subj.docs:
                doc = make_entity(dataset, "Passport" if passport else "Identification", doc_key)
                add_value(doc, "holder", entity.id, at)
                add_value(doc, "number", raw, at)
                add_value(doc, "type", kind, at)
                subj.docs[doc_key] = doc
            add_checked(subj.docs[doc_key], "description", r["additional_info"] or None, at, report)
    result: list[StatementEntity] = []
    for subj in subjects.values():
        if not subj.entity.get("name"):
            report.issue("subjects.csv", None, "unique_id", f"{subj.entity.id} has no name")
        result.extend([subj.entity, subj.sanction, *subj.docs.values()])
    result.extend(extra.values())
    return ReadResult(FCDO_DATASET, vinfo, report, iter(result))


def read_uk(path: Path, version: str | None = None) -> list[ReadResult]:
    """A UK publication at ``path``: the OFSI CSV file, or the FCDO tables folder."""
    if not path.exists():
        raise InputError("no such file or folder", file=str(path))
    if path.is_dir():
        if (path / "subjects.csv").exists():
            return [read_fcdo_tables(path, version)]
        files = sorted(path.glob("*.csv"))
        if not files:
            raise InputError(
                "no UK list here: expected subjects.csv (UK Sanctions List tables) "
                "or an OFSI consolidated .csv",
                file=str(path),
            )
        if version is not None and len(files) > 1:
            raise InputError(
                f"{len(files)} files found; --version applies to one file: name the file",
                file=str(path),
            )
        return [read_hmt_csv(f, version) for f in files]
    if path.name in FCDO_FILES:
        return [read_fcdo_tables(path.parent, version)]
    return [read_hmt_csv(path, version)]
