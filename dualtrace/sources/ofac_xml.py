"""OFAC's XML publications: the enhanced XML (``CONS_ENHANCED.XML``) and classic ``sdnList``.

The enhanced format is the richest OFAC export: names per script, typed identity
documents with issuing country, features (birth dates, websites, directive
determinations) and ownership relations by entity id. The classic ``sdnList`` format
(``sdn.xml`` / ``consolidated.xml``) is older and flatter but still published. Both are
read by streaming (``lxml.iterparse``), so a 100 MB file never sits in memory whole.

XML safety: entities are never resolved, the network is never touched, and a document
with a DTD declaring entities is refused outright (billion-laughs / XXE), before
parsing starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from followthemoney.statement import StatementEntity
from lxml import etree  # type: ignore[import-untyped]

from dualtrace.errors import InputError
from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.model.territories import country_code
from dualtrace.sources.base import ReadResult, add_value, make_entity
from dualtrace.sources.listing import (
    Listing,
    add_checked,
    add_identifier,
    make_sanction,
)
from dualtrace.sources.ofac_remarks import ID_LABELS, parse_ofac_date
from dualtrace.sources.ofac_sdn import AUTHORITY, CONS_DATASET, SDN_DATASET

CONSOLIDATED = CONS_DATASET  # the same list as the CSV set: XML and CSV are versions of it
ENHANCED_URL = (
    "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/CONS_ENHANCED.XML"
)
ENHANCED_NS = (
    "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ENHANCED_XML"
)
SCHEMAS = {
    "individual": "Person",
    "entity": "Organization",
    "vessel": "Vessel",
    "aircraft": "Airplane",
}
_ID_PROPS = dict(ID_LABELS)
_ID_PROPS.update(
    {
        "Public Registration Number": "registrationNumber",
        "C.R. No.": "registrationNumber",
        "License": "licenseNumber",
    }
)
# Enhanced-XML features with a direct FtM property; others are kept as notes.
FEATURE_PROPS = {
    "Birthdate": "birthDate",
    "Place of Birth": "birthPlace",
    "Website": "website",
    "Email Address": "email",
    "Nationality Country": "nationality",
    "Citizenship Country": "citizenship",
    "Gender": "gender",
    "Organization Established Date": "incorporationDate",
    "SWIFT/BIC": "swiftBic",
    "Organization Type:": "sector",
    "Nationality of Registration": "jurisdiction",
    "Phone Number": "phone",
}
_DTD_ENTITY = re.compile(rb"<!DOCTYPE[^>]*\[|<!ENTITY", re.IGNORECASE)


def _refuse_entities(path: Path) -> None:
    """Refuse documents that declare entities: we never expand them, and OFAC never uses them."""
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=str(path)) from exc
    if _DTD_ENTITY.search(head):
        raise InputError("XML declares a DTD with entities; refused for safety", file=str(path))


def _iterparse(path: Path, tag: str | tuple[str, ...]) -> Any:
    return etree.iterparse(
        str(path),
        events=("end",),
        tag=tag,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )


def _syntax_error(path: Path, exc: etree.XMLSyntaxError, record: str | None) -> InputError:
    where = f" (after record {record})" if record else " (before the first record)"
    line = exc.lineno if exc.lineno else None
    return InputError(f"malformed XML{where}: {exc.msg}", file=str(path), row=line)


def detect_format(path: Path) -> str:
    """``enhanced`` or ``sdnlist`` from the root element; InputError for anything else."""
    _refuse_entities(path)
    try:
        for _event, elem in etree.iterparse(
            str(path), events=("start",), resolve_entities=False, no_network=True, load_dtd=False
        ):
            local = etree.QName(elem).localname
            if local == "sanctionsData":
                return "enhanced"
            if local == "sdnList":
                return "sdnlist"
            raise InputError(
                f"not an OFAC XML file: root element is <{local}>, expected "
                "<sanctionsData> (enhanced XML) or <sdnList>",
                file=str(path),
            )
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(path, exc, None) from exc
    raise InputError("empty XML document", file=str(path))


def _text(elem: Any, path: str) -> str | None:
    found = elem.find(path)
    if found is None or found.text is None:
        return None
    text: str = found.text.strip()
    return text or None


def _publication_date(path: Path, fmt: str) -> str | None:
    tag = f"{{{ENHANCED_NS}}}dataAsOf" if fmt == "enhanced" else "{*}Publish_Date"
    try:
        for _event, elem in _iterparse(path, tag):
            text = (elem.text or "").strip()
            if fmt == "enhanced":
                return text[:10] or None
            m = re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
            return f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}" if m else None
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(path, exc, None) from exc
    return None


def _which_list(path: Path, fmt: str) -> DatasetInfo:
    """SDN or non-SDN list: the enhanced XML names its list filter; else the file name."""
    if fmt == "enhanced":
        ns = f"{{{ENHANCED_NS}}}"
        try:
            for _event, elem in _iterparse(path, f"{ns}publicationInfo"):
                names = {
                    (e.text or "").strip()
                    for e in elem.iterfind(f"{ns}filters/{ns}sanctionsLists/{ns}sanctionsList")
                }
                return SDN_DATASET if "SDN List" in names else CONSOLIDATED
        except etree.XMLSyntaxError as exc:
            raise _syntax_error(path, exc, None) from exc
    return SDN_DATASET if path.name.lower().startswith("sdn") else CONSOLIDATED


def read_ofac_xml(
    path: Path,
    dataset: DatasetInfo | None = None,
    version: str | None = None,
) -> ReadResult:
    """Read an OFAC enhanced-XML or sdnList-XML file as one version of its list.

    The list (``ofac_sdn`` or ``ofac_cons``, the same datasets as OFAC's CSV sets) is
    the one the file says it holds unless ``dataset`` is given; the version is the
    file's own publication date (``dataAsOf`` / ``Publish_Date``) unless ``version`` is.
    """
    fmt = detect_format(path)
    if dataset is None:
        dataset = _which_list(path, fmt)
    if version:
        vinfo = VersionInfo(version, "given")
    else:
        published = _publication_date(path, fmt)
        if published is None:
            raise InputError(
                "no publication date in the file (dataAsOf / Publish_Date); pass a version",
                file=str(path),
            )
        vinfo = VersionInfo(published, "file")
    report = LoadReport(dataset.name, vinfo.version, source_files=[str(path)])
    reader = _enhanced_entities if fmt == "enhanced" else _sdnlist_entities
    return ReadResult(dataset, vinfo, report, reader(path, dataset.name, report))


# --------------------------------------------------------------------------- enhanced


def _enhanced_entities(path: Path, dataset: str, report: LoadReport) -> Iterator[StatementEntity]:
    ns = f"{{{ENHANCED_NS}}}"
    last: str | None = None
    try:
        for _event, elem in _iterparse(path, f"{ns}entity"):
            uid = elem.get("id")
            if not uid:
                raise InputError(
                    f"<entity> without an id attribute (after record {last})",
                    file=str(path),
                    row=elem.sourceline,
                )
            yield from _enhanced_entity(elem, ns, uid, path, dataset, report)
            last = uid
            elem.clear(keep_tail=True)
            while elem.getprevious() is not None:
                del elem.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(path, exc, last) from exc


def _enhanced_entity(
    elem: Any, ns: str, uid: str, path: Path, dataset: str, report: LoadReport
) -> Iterator[StatementEntity]:
    at = SourcePointer(file=path.name, row=elem.sourceline)
    etype = (_text(elem, f"{ns}generalInfo/{ns}entityType") or "").lower()
    schema = SCHEMAS.get(etype)
    if schema is None:
        raise InputError(
            f"record {uid}: unknown entityType {etype!r}",
            file=str(path),
            row=elem.sourceline,
            field="entityType",
        )
    entity = make_entity(dataset, schema, f"ofac-{uid}")
    add_checked(entity, "notes", _text(elem, f"{ns}generalInfo/{ns}remarks"), at, report)
    named = False
    for name in elem.iterfind(f"{ns}names/{ns}name"):
        primary = _text(name, f"{ns}isPrimary") == "true"
        low = _text(name, f"{ns}isLowQuality") == "true"
        alias_type = (_text(name, f"{ns}aliasType") or "").upper()
        for tr in name.iterfind(f"{ns}translations/{ns}translation"):
            full = _text(tr, f"{ns}formattedFullName")
            if not full:
                continue
            script = _text(tr, f"{ns}script")
            lang = None if script in (None, "Latin") else _script_lang(script)
            if primary:
                prop = "name"
                named = True
                if schema == "Person" and script in (None, "Latin"):
                    add_checked(
                        entity, "firstName", _text(tr, f"{ns}formattedFirstName"), at, report
                    )
                    add_checked(entity, "lastName", _text(tr, f"{ns}formattedLastName"), at, report)
            elif low:
                prop = "weakAlias"
            elif alias_type.startswith("F.K.A"):
                prop = "previousName"
            else:
                prop = "alias"
            add_checked(entity, prop, full, SourcePointer(path.name, tr.sourceline), report, lang)
    if not named:
        raise InputError(
            f"record {uid}: no primary name", file=str(path), row=elem.sourceline, field="names"
        )
    for addr in elem.iterfind(f"{ns}addresses/{ns}address"):
        _enhanced_address(entity, addr, ns, path, report)
    for feat in elem.iterfind(f"{ns}features/{ns}feature"):
        _enhanced_feature(entity, feat, ns, path, report)
    for doc in elem.iterfind(f"{ns}identityDocuments/{ns}identityDocument"):
        kind = _text(doc, f"{ns}type") or ""
        number = _text(doc, f"{ns}documentNumber")
        if not number:
            continue
        dat = SourcePointer(path.name, doc.sourceline)
        country = country_code(_text(doc, f"{ns}issuingCountry"))
        id_prop = _ID_PROPS.get(kind)
        if id_prop is None:
            add_checked(entity, "notes", f"{kind} {number}", dat, report)
            continue
        add_identifier(entity, id_prop, number, country, dat, report)
    programs = [
        p.text.strip()
        for p in elem.iterfind(f"{ns}sanctionsPrograms/{ns}sanctionsProgram")
        if p.text
    ]
    provisions = "; ".join(
        t.text.strip() for t in elem.iterfind(f"{ns}sanctionsTypes/{ns}sanctionsType") if t.text
    )
    for lst in elem.iterfind(f"{ns}sanctionsLists/{ns}sanctionsList"):
        list_name = (lst.text or "").strip()
        if list_name == "Consolidated List":
            continue  # the umbrella publication, not a list of its own
        lat = SourcePointer(path.name, lst.sourceline)
        listing = Listing(
            authority=AUTHORITY,
            program="; ".join(programs) or None,
            listing_date=lst.get("datePublished"),
            provisions=f"{list_name}: {provisions}" if provisions else list_name,
            source_url=ENHANCED_URL,
        )
        yield make_sanction(dataset, entity, lst.get("refId") or list_name, listing, lat, report)
    for rel in elem.iterfind(f"{ns}relationships/{ns}relationship"):
        yield from _enhanced_relation(entity, rel, ns, path, dataset, report)
    yield entity


def _script_lang(script: str) -> str | None:
    return {
        "Cyrillic": "rus",
        "Chinese Simplified": "zho",
        "Chinese Traditional": "zho",
        "Arabic": "ara",
    }.get(script)


def _enhanced_address(
    entity: StatementEntity, addr: Any, ns: str, path: Path, report: LoadReport
) -> None:
    at = SourcePointer(path.name, addr.sourceline)
    country = _text(addr, f"{ns}country")
    parts: list[str] = []
    for tr in addr.iterfind(f"{ns}translations/{ns}translation"):
        for part in tr.iterfind(f"{ns}addressParts/{ns}addressPart"):
            value = _text(part, f"{ns}value")
            if value:
                parts.append(value)
        break  # first (primary) translation only
    if country:
        parts.append(country)
        add_checked(entity, "country", country, at, report)
    if parts and (len(parts) > 1 or not country):
        add_checked(entity, "address", ", ".join(parts), at, report)


def _enhanced_feature(
    entity: StatementEntity, feat: Any, ns: str, path: Path, report: LoadReport
) -> None:
    at = SourcePointer(path.name, feat.sourceline)
    kind = _text(feat, f"{ns}type") or ""
    value = _text(feat, f"{ns}value")
    if not value:
        begin = _text(feat, f"{ns}valueDate/{ns}fromDateBegin")
        if begin and _text(feat, f"{ns}valueDate/{ns}isDateRange") != "true":
            value = begin
    if not value:
        return
    prop = FEATURE_PROPS.get(kind)
    if prop is not None and entity.schema.get(prop) is not None:
        if prop in ("birthDate", "incorporationDate"):
            value = parse_ofac_date(value) or value
        add_checked(entity, prop, value, at, report)
    else:
        add_checked(entity, "notes", f"{kind.rstrip(':- ')}: {value}", at, report)


def _enhanced_relation(
    entity: StatementEntity, rel: Any, ns: str, path: Path, dataset: str, report: LoadReport
) -> Iterator[StatementEntity]:
    at = SourcePointer(path.name, rel.sourceline)
    other = rel.find(f"{ns}relatedEntity")
    if other is None or not other.get("entityId"):
        report.issue(path.name, rel.sourceline, "relatedEntity", "relationship without entity id")
        return
    assert entity.id is not None
    other_id = f"ofac-{other.get('entityId')}"
    kind = _text(rel, f"{ns}type") or "related"
    rid = rel.get("id") or other_id
    if kind == "Owned or Controlled By":
        link = make_entity(dataset, "Ownership", f"ofac-rel-{rid}")
        add_value(link, "owner", other_id, at)
        add_value(link, "asset", entity.id, at)
        add_value(link, "role", kind, at)
    else:
        link = make_entity(dataset, "UnknownLink", f"ofac-rel-{rid}")
        add_value(link, "subject", entity.id, at)
        add_value(link, "object", other_id, at)
        add_value(link, "role", kind, at)
    yield link


# --------------------------------------------------------------------------- sdnList


def _sdnlist_entities(path: Path, dataset: str, report: LoadReport) -> Iterator[StatementEntity]:
    last: str | None = None
    try:
        for _event, elem in _iterparse(path, "{*}sdnEntry"):
            yield from _sdnlist_entry(elem, path, dataset, report, last)
            last = _text(elem, "{*}uid") or last
            elem.clear(keep_tail=True)
            while elem.getprevious() is not None:
                del elem.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(path, exc, last) from exc


def _join_name(elem: Any) -> str | None:
    first = _text(elem, "{*}firstName")
    last = _text(elem, "{*}lastName")
    if first and last:
        return f"{first} {last}"
    return last or first


def _sdnlist_entry(
    elem: Any, path: Path, dataset: str, report: LoadReport, previous: str | None
) -> Iterator[StatementEntity]:
    uid = _text(elem, "{*}uid")
    if not uid:
        raise InputError(
            f"<sdnEntry> without <uid> (after record {previous})",
            file=str(path),
            row=elem.sourceline,
            field="uid",
        )
    at = SourcePointer(path.name, elem.sourceline)
    kind = (_text(elem, "{*}sdnType") or "").lower()
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise InputError(
            f"record {uid}: unknown sdnType {kind!r}",
            file=str(path),
            row=elem.sourceline,
            field="sdnType",
        )
    name = _join_name(elem)
    if not name:
        raise InputError(
            f"record {uid}: no name", file=str(path), row=elem.sourceline, field="lastName"
        )
    entity = make_entity(dataset, schema, f"ofac-{uid}")
    add_checked(entity, "name", name, at, report)
    if schema == "Person":
        add_checked(entity, "firstName", _text(elem, "{*}firstName"), at, report)
        add_checked(entity, "lastName", _text(elem, "{*}lastName"), at, report)
    add_checked(
        entity, "position" if schema == "Person" else "notes", _text(elem, "{*}title"), at, report
    )
    add_checked(entity, "notes", _text(elem, "{*}remarks"), at, report)
    for aka in elem.iterfind("{*}akaList/{*}aka"):
        aat = SourcePointer(path.name, aka.sourceline)
        alias = _join_name(aka)
        weak = _text(aka, "{*}category") == "weak"
        fka = (_text(aka, "{*}type") or "").lower().startswith("f.k.a")
        prop = "weakAlias" if weak else "previousName" if fka else "alias"
        add_checked(entity, prop, alias, aat, report)
    for addr in elem.iterfind("{*}addressList/{*}address"):
        aat = SourcePointer(path.name, addr.sourceline)
        parts = [
            _text(addr, f"{{*}}{p}")
            for p in ("address1", "address2", "address3", "city", "stateOrProvince", "postalCode")
        ]
        country = _text(addr, "{*}country")
        add_checked(entity, "country", country, aat, report)
        text = ", ".join(p for p in [*parts, country] if p)
        if any(parts):
            add_checked(entity, "address", text, aat, report)
    for ident in elem.iterfind("{*}idList/{*}id"):
        iat = SourcePointer(path.name, ident.sourceline)
        kind_id = _text(ident, "{*}idType") or ""
        number = _text(ident, "{*}idNumber")
        if not number:
            continue
        id_prop = _ID_PROPS.get(kind_id)
        if id_prop is None:
            add_checked(entity, "notes", f"{kind_id} {number}", iat, report)
            continue
        add_identifier(
            entity, id_prop, number, country_code(_text(ident, "{*}idCountry")), iat, report
        )
    if schema == "Person":
        for dob in elem.iterfind("{*}dateOfBirthList/{*}dateOfBirthItem/{*}dateOfBirth"):
            for part in (dob.text or "").replace("circa-", "").split(" to "):
                text = part.strip()
                add_checked(entity, "birthDate", parse_ofac_date(text) or text, at, report)
        for pob in elem.iterfind("{*}placeOfBirthList/{*}placeOfBirthItem/{*}placeOfBirth"):
            add_checked(entity, "birthPlace", pob.text, at, report)
        for nat in elem.iterfind("{*}nationalityList/{*}nationality/{*}country"):
            add_checked(entity, "nationality", nat.text, at, report)
    programs = [p.text.strip() for p in elem.iterfind("{*}programList/{*}program") if p.text]
    listing = Listing(authority=AUTHORITY, program="; ".join(programs) or None)
    yield make_sanction(dataset, entity, "ofac", listing, at, report)
    yield entity
