"""The UN Security Council consolidated list (``CONSOLIDATED_LIST`` XML).

Every UN listing binds all member states, and EU, UK and US lists copy UN entries
(their ``UN Ref`` numbers point back here), so this list is the hub that ties the
others together. Entities keep the UN reference number as id (``un-qdi-237``), which
is stable across publications, so versions compare entry by entry.

Alias quality is kept: UN ``Good`` and ``a.k.a.`` aliases are strong aliases, ``Low``
quality ones are weak (FtM ``weakAlias``: too common to screen on alone), ``f.k.a.``
are previous names. The original-script name (Arabic, Cyrillic, Korean ...) gets its
language from its script. XML safety: see :mod:`dualtrace.sources.safe_xml`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from followthemoney.statement import StatementEntity

from dualtrace.errors import InputError
from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.sources.base import ReadResult, add_value, make_entity
from dualtrace.sources.eu import add_address, add_countries, add_ids, add_name
from dualtrace.sources.listing import Listing, add_checked, make_sanction
from dualtrace.sources.printed_dates import parse_printed_dates
from dualtrace.sources.safe_xml import child_text, children, local, parse_list_xml

AUTHORITY = "United Nations Security Council"
UN_DATASET = DatasetInfo(
    name="un_sc",
    title="UN Security Council Consolidated List",
    publisher="United Nations Security Council",
    url="https://scsanctions.un.org/resources/xml/en/consolidated.xml",
    reliability="A",
    kind="list",
)
ALIAS_PROPS = {
    "good": "alias",
    "a.k.a.": "alias",
    "": "alias",
    "low": "weakAlias",
    "f.k.a.": "previousName",
}
_PASSPORT = re.compile(r"pass(?:port|eport)|pasaporte", re.IGNORECASE)


def _texts(elem: Any, name: str) -> list[str]:
    """Values of a repeated ``<NAME><VALUE>..</VALUE></NAME>`` block."""
    out: list[str] = []
    for block in children(elem, name):
        for value in children(block, "VALUE"):
            text = " ".join((value.text or "").split())
            if text:
                out.append(text)
    return out


def _at(path: Path, elem: Any, name: str) -> SourcePointer:
    """Pointer to the line of child ``name`` (the record's line if it is absent)."""
    found = children(elem, name)
    line = found[0].sourceline if found else elem.sourceline
    return SourcePointer(file=path.name, row=line)


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text or None


def _record(
    elem: Any, path: Path, index: int, dataset: str, report: LoadReport
) -> Iterator[StatementEntity]:
    kind = local(elem)
    at = SourcePointer(file=path.name, row=elem.sourceline)
    ref = child_text(elem, "REFERENCE_NUMBER")
    data_id = child_text(elem, "DATAID")
    key = ref or data_id
    if key is None:
        raise InputError(
            f"{kind} record #{index} has neither REFERENCE_NUMBER nor DATAID",
            file=str(path),
            row=elem.sourceline,
        )
    schema = "Person" if kind == "INDIVIDUAL" else "Organization"
    entity = make_entity(dataset, schema, f"un-{re.sub(r'[^0-9a-z]+', '-', key.lower())}")
    extra: list[StatementEntity] = []

    parts = [
        _clean(child_text(elem, tag))
        for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
    ]
    name = " ".join(p for p in parts if p)
    if not name:
        report.issue(path.name, elem.sourceline, "FIRST_NAME", f"{kind} {key} has no name")
    else:
        add_name(entity, "name", name, _at(path, elem, "FIRST_NAME"), report)
    if schema == "Person":
        for prop, tag, part in zip(
            ("firstName", "secondName", "middleName", "lastName"),
            ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"),
            parts,
            strict=True,
        ):
            add_checked(entity, prop, part, _at(path, elem, tag), report)
    original = child_text(elem, "NAME_ORIGINAL_SCRIPT")
    if original:
        oat = _at(path, elem, "NAME_ORIGINAL_SCRIPT")
        add_name(entity, "alias", " ".join(original.split()), oat, report)
    for alias in children(elem, f"{kind}_ALIAS"):
        aat = SourcePointer(file=path.name, row=alias.sourceline)
        alias_name = _clean(child_text(alias, "ALIAS_NAME"))
        if not alias_name:
            continue
        quality = (child_text(alias, "QUALITY") or "").lower()
        alias_prop = ALIAS_PROPS.get(quality)
        if alias_prop is None:
            report.issue(path.name, alias.sourceline, "QUALITY", f"unknown quality {quality!r}")
            alias_prop = "alias"
        add_name(entity, alias_prop, alias_name, aat, report)

    for title in _texts(elem, "TITLE"):
        add_checked(entity, "title", title, _at(path, elem, "TITLE"), report)
    for position in _texts(elem, "DESIGNATION"):
        add_checked(entity, "position", position, _at(path, elem, "DESIGNATION"), report)
    for nationality in _texts(elem, "NATIONALITY"):
        nat = _at(path, elem, "NATIONALITY")
        add_countries(entity, "nationality", nationality, nat, report)
    gender = child_text(elem, "GENDER")
    if gender:
        add_checked(entity, "gender", gender.lower(), _at(path, elem, "GENDER"), report)
    notes = _clean(child_text(elem, "COMMENTS1"))
    add_checked(entity, "notes", notes, _at(path, elem, "COMMENTS1"), report)

    for dob in children(elem, f"{kind}_DATE_OF_BIRTH"):
        dat = SourcePointer(file=path.name, row=dob.sourceline)
        values = [child_text(dob, t) for t in ("DATE", "YEAR", "FROM_YEAR", "TO_YEAR")]
        found = [d for v in values if v for d in parse_printed_dates(v)]
        for value in found:
            add_checked(entity, "birthDate", value, dat, report)
        if not found and any(values):
            report.issue(path.name, dob.sourceline, "DATE_OF_BIRTH", f"no date in {values!r}")
    for pob in children(elem, f"{kind}_PLACE_OF_BIRTH"):
        pat = SourcePointer(file=path.name, row=pob.sourceline)
        place = ", ".join(
            t
            for tag in ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY")
            if (t := child_text(pob, tag))
        )
        add_checked(entity, "birthPlace", place or None, pat, report)
        country = child_text(pob, "COUNTRY")
        if country:
            add_countries(entity, "birthCountry", country, pat, report)
    for addr in children(elem, f"{kind}_ADDRESS"):
        aat = SourcePointer(file=path.name, row=addr.sourceline)
        fields = {
            "street": child_text(addr, "STREET"),
            "city": child_text(addr, "CITY"),
            "region": child_text(addr, "STATE_PROVINCE"),
            "postalCode": child_text(addr, "ZIP_CODE"),
        }
        country = child_text(addr, "COUNTRY")
        full = ", ".join(v for v in (*fields.values(), country) if v)
        if not full:
            continue
        if not any(fields.values()) and country:
            add_countries(entity, "country", country, aat, report)
            continue
        address = add_address(dataset, entity, full, aat, report, fields)
        if address is not None:
            if country:
                add_countries(address, "country", country, aat, report)
            add_checked(address, "remarks", child_text(addr, "NOTE"), aat, report)
            extra.append(address)
    for num, doc in enumerate(children(elem, f"{kind}_DOCUMENT")):
        dat = SourcePointer(file=path.name, row=doc.sourceline)
        number = _clean(child_text(doc, "NUMBER"))
        if not number:
            continue
        doc_type = _clean(child_text(doc, "TYPE_OF_DOCUMENT")) or ""
        country = child_text(doc, "ISSUING_COUNTRY") or child_text(doc, "COUNTRY_OF_ISSUE")
        passport = bool(_PASSPORT.search(doc_type)) and schema == "Person"
        add_ids(entity, "passportNumber" if passport else "idNumber", number, False, dat, report)
        ident = make_entity(
            dataset, "Passport" if passport else "Identification", f"{entity.id}-doc-{num}"
        )
        add_value(ident, "holder", entity.id, dat)
        add_value(ident, "number", number, dat)
        add_checked(ident, "type", doc_type or None, dat, report)
        if country:
            add_countries(ident, "country", country, dat, report)
        add_checked(ident, "startDate", child_text(doc, "DATE_OF_ISSUE"), dat, report)
        add_checked(ident, "description", _clean(child_text(doc, "NOTE")), dat, report)
        extra.append(ident)

    listed = child_text(elem, "LISTED_ON")
    listing = Listing(
        authority=AUTHORITY,
        program=child_text(elem, "UN_LIST_TYPE"),
        listing_date=listed,
        source_url=UN_DATASET.url,
    )
    sanction = make_sanction(dataset, entity, "un", listing, at, report)
    add_checked(sanction, "unscId", ref, at, report)
    add_checked(sanction, "authorityId", ref, at, report)
    add_checked(sanction, "recordId", data_id, at, report)
    for updated in _texts(elem, "LAST_DAY_UPDATED"):
        add_checked(sanction, "modifiedAt", updated, at, report)
    yield entity
    yield sanction
    yield from extra


def read_un_xml(path: Path, version: str | None = None) -> ReadResult:
    """One UN consolidated list publication; version = its ``dateGenerated``."""
    root = parse_list_xml(path)
    if local(root) != "CONSOLIDATED_LIST":
        raise InputError(
            f"not a UN consolidated list: root element is <{local(root)}>",
            file=str(path),
            row=root.sourceline,
        )
    generated = root.get("dateGenerated") or ""
    if version is not None:
        try:
            vinfo = VersionInfo(dt.date.fromisoformat(version).isoformat(), "given")
        except ValueError as exc:
            raise InputError(f"--version must be a date YYYY-MM-DD, got {version!r}") from exc
    elif re.match(r"\d{4}-\d{2}-\d{2}", generated):
        vinfo = VersionInfo(generated[:10], "file")
    else:
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()
        vinfo = VersionInfo(mtime.isoformat(), "file")
    report = LoadReport(UN_DATASET.name, vinfo.version, source_files=[path.name])
    entities: dict[str, StatementEntity] = {}
    index = 0
    for section in root:
        if local(section) not in ("INDIVIDUALS", "ENTITIES"):
            continue
        for elem in section:
            if local(elem) not in ("INDIVIDUAL", "ENTITY"):
                continue
            index += 1
            for entity in _record(elem, path, index, UN_DATASET.name, report):
                if entity.id is None:
                    continue
                if entity.id in entities and entity.schema.name != "Address":
                    report.issue(
                        path.name,
                        elem.sourceline,
                        "REFERENCE_NUMBER",
                        f"duplicate record id {entity.id}; facts merged into one entity",
                    )
                    entities[entity.id].merge(entity)
                    continue
                entities.setdefault(entity.id, entity)
    if index == 0:
        report.issue(path.name, None, None, "the list has no INDIVIDUAL or ENTITY records")
    return ReadResult(UN_DATASET, vinfo, report, iter(list(entities.values())))


def read_un(path: Path, version: str | None = None) -> list[ReadResult]:
    """A UN XML file, or every ``.xml`` in a folder (each one publication)."""
    if not path.exists():
        raise InputError("no such file or folder", file=str(path))
    files = sorted(path.glob("*.xml")) if path.is_dir() else [path]
    if not files:
        raise InputError("no .xml files in this folder", file=str(path))
    if version is not None and len(files) > 1:
        raise InputError(
            f"{len(files)} files found; --version applies to one file: name the file",
            file=str(path),
        )
    return [read_un_xml(f, version) for f in files]
