"""EU sanctions: the Financial Sanctions Files XML and the Official Journal annex CSVs.

Two publications of the same law. The FSF XML (``eu_fsf``) is the Commission's
consolidated export of every regime at one moment. The Official Journal annexes
(transcribed by OpenSanctions, format in ``eu-journal/data/FORMAT.md``) are what the
regulations themselves say, annex by annex, with the names in Cyrillic and Chinese,
the listing reasons and the Russian tax ids.

Dataset naming (why one dataset per CELEX act): each consolidated CSV is a complete
snapshot of one framework act's annexes, updated in place. Making each act its own
dataset (``eu_32014r0269``, ``eu_32014r0833``; FtM dataset names are lower case)
means a new snapshot of 269/2014 is a new *version of that list*, so ``diff`` shows
exactly who was added to or removed from that regulation, and "listed under 833/2014"
is simply membership of a dataset.
A single ``eu_journal`` dataset would turn loading one regulation's file into a version
in which every other regulation's designations look removed. An amending act
(``amendments/32026R1720.csv``) only adds or changes designations, never removes, so it
cannot be a version of its framework list (that would drop everyone it does not name);
it is its own dataset ``eu_32026r1720``, and its rows get the *same entity id* as the
framework designation they amend (framework CELEX + annex + printed entry number), so
the amendment and the later consolidated snapshot describe one entity.

Versions: the FSF XML states its ``generationDate`` (basis ``file``). The journal CSVs
state no publication date: an amending act's version is its designation date (every
row of one act carries the act's date), a consolidated snapshot's is the file's
modification date (basis ``file``); ``--version`` overrides both (basis ``given``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from followthemoney import registry
from followthemoney.exc import InvalidData
from followthemoney.statement import StatementEntity

from dualtrace.errors import InputError
from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.model.territories import country_code
from dualtrace.sources.base import ReadResult, add_value, csv_rows, make_entity, read_text
from dualtrace.sources.listing import Listing, add_checked, make_sanction
from dualtrace.sources.name_scripts import name_lang
from dualtrace.sources.printed_dates import parse_printed_date, parse_printed_dates
from dualtrace.sources.registry_ids import extract_registry_ids
from dualtrace.sources.safe_xml import child_text, children, local, parse_list_xml

AUTHORITY = "Council of the European Union"
FSF_DATASET = DatasetInfo(
    name="eu_fsf",
    title="EU Financial Sanctions Files: consolidated list of persons, groups and entities",
    publisher="European Commission (DG FISMA)",
    url="https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content",
    reliability="A",
    kind="list",
)

# FORMAT.md: the exact headers of the two journal file kinds.
ENTITY_COLUMNS = [
    "recordId",
    "programKey",
    "annex",
    "measure",
    "startDate",
    "reason",
    "schema",
    "name",
    "alias",
    "weakAlias",
    "previousName",
    "country",
    "nationality",
    "jurisdiction",
    "birthDate",
    "birthPlace",
    "position",
    "passportNumber",
    "gender",
    "appearance",
    "ethnicity",
    "fatherName",
    "motherName",
    "incorporationDate",
    "legalForm",
    "sector",
    "registrationNumber",
    "taxNumber",
    "idNumber",
    "innCode",
    "ogrnCode",
    "kppCode",
    "okpoCode",
    "leiCode",
    "swiftBic",
    "ticker",
    "imoNumber",
    "mmsi",
    "flag",
    "address",
    "phone",
    "email",
    "website",
    "notes",
]
CONSOLIDATED_COLUMNS = ["celex", *ENTITY_COLUMNS]
AMENDMENT_COLUMNS = ["amendedCelex", "amendmentCelex", *ENTITY_COLUMNS]
JOURNAL_SCHEMATA = {"Person", "LegalEntity", "Organization", "Company", "Vessel", "Asset"}
CELEX = re.compile(r"^3(\d{4})([RDL])(\d{4})$")
# Printed labels that the transcription kept as alias values ("Chinese:", "Text of image").
_LABEL_NOT_NAME = re.compile(r"^(?:Text of image|[A-Z][a-z]+(?: [a-z]+)?:)$")
# Bidi and zero-width marks pasted from PDFs ("+ 971 \u202d(0)44473204\u202c...").
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_RUSSIA = re.compile(r"Russia|Российская|Crimea|Sevastopol|Moscow|Москва", re.IGNORECASE)
TEXT_PROPS = (
    "birthPlace",
    "position",
    "gender",
    "appearance",
    "ethnicity",
    "fatherName",
    "motherName",
    "legalForm",
    "sector",
    "passportNumber",
    "notes",
)
ID_COLUMNS = (
    "registrationNumber",
    "taxNumber",
    "idNumber",
    "innCode",
    "ogrnCode",
    "kppCode",
    "okpoCode",
    "leiCode",
    "swiftBic",
    "imoNumber",
)
_MEASURE_TOPIC = {
    "Export control": "export.control",
    "Asset freeze": "sanction",
    "Financial restrictions": "sanction",
    "Investment ban": "sanction",
    "Services ban": "sanction",
    "Transportation restrictions": "sanction",
}


def celex_title(celex: str) -> str:
    """``32014R0269`` -> ``Regulation (EU) No 269/2014``: how the act is cited."""
    m = CELEX.match(celex)
    if m is None:
        return celex
    year, kind, number = int(m.group(1)), m.group(2), int(m.group(3))
    if kind == "D":
        return f"Decision {year}/{number}"
    if kind == "L":
        return f"Directive {year}/{number}"
    union = "EU" if year >= 2010 else "EC"
    if year >= 2015:
        return f"Regulation ({union}) {year}/{number}"
    return f"Regulation ({union}) No {number}/{year}"


def celex_url(celex: str) -> str:
    return f"https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:{celex}"


def journal_dataset(celex: str, amending: bool) -> DatasetInfo:
    """The dataset for one Official Journal act (see module docstring for why)."""
    title = celex_title(celex)
    what = "amending act" if amending else "consolidated annexes"
    return DatasetInfo(
        name=f"eu_{celex.lower()}",
        title=f"EU {title} ({celex}), {what} as printed in the Official Journal",
        publisher="Council of the European Union (annexes transcribed by OpenSanctions)",
        url=celex_url(celex),
        reliability="B",
        kind="list",
    )


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")


def _short_hash(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]


def split_cell(text: str) -> list[str]:
    """FORMAT.md multi-values: ``;``-separated, CSV-quoted when a value holds ``;``."""
    if not text.strip():
        return []
    # Values never span lines; a stray line break must not break the cell's parse.
    flat = " ".join(_INVISIBLE.sub("", text).split())
    try:
        values = next(csv.reader([flat], delimiter=";", skipinitialspace=True))
    except csv.Error:  # e.g. a NUL byte: fall back to a plain split, losing no value
        values = flat.split(";")
    return [v.strip() for v in values if v.strip()]


def _check_version(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise InputError(f"--version must be a date YYYY-MM-DD, got {text!r}") from exc


def _file_date(path: Path) -> str:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date().isoformat()


def add_address(
    dataset: str,
    subject: StatementEntity,
    full: str,
    at: SourcePointer,
    report: LoadReport,
    parts: dict[str, str | None] | None = None,
) -> StatementEntity | None:
    """An Address entity (shared by every entry printed with the same address text).

    The id is a hash of the normalised text within the dataset, so two entries at one
    address point to one Address: the graph sees the shared address without any
    matching step. The subject also keeps the text in its ``address`` property.
    """
    full = " ".join(full.split())
    if not full:
        return None
    add_checked(subject, "address", full, at, report)
    prefix = dataset.replace("_", "-")  # FtM entity ids allow [0-9a-zA-Z.-] only
    address = make_entity(dataset, "Address", f"{prefix}-addr-{_short_hash(full.lower())}")
    add_value(address, "full", full, at)
    for prop, value in (parts or {}).items():
        if value:
            add_checked(address, prop, value, at, report)
    add_value(subject, "addressEntity", address.id, at)
    return address


def add_countries(
    entity: StatementEntity, prop: str, text: str, at: SourcePointer, report: LoadReport
) -> None:
    """A printed country cell; ``Ukrainian and/or Russian`` yields both countries."""
    if entity.schema.get(prop) is None:
        prop = "country"
    if country_code(text) is not None:
        add_value(entity, prop, text, at)
        return
    parts = [p for p in re.split(r",|;|/|\. | and/or | and | or |\(|\)", text) if p.strip()]
    added = [p for p in parts if add_value(entity, prop, p, at) is not None]
    if not added and len(text.split()) <= 5:
        # "allegedly Russian", "Italian since 1990": a qualifier around one country word.
        words = re.findall(r"[A-Z][a-z]+", text)
        added = [w for w in words if add_value(entity, prop, w, at) is not None]
    if not added:
        report.issue(at.file or "", at.row, prop, f"country not recognised: {text!r}")


def add_dates(
    entity: StatementEntity, prop: str, text: str, at: SourcePointer, report: LoadReport
) -> None:
    """Every date printed in a cell, at the precision printed."""
    if entity.schema.get(prop) is None:  # e.g. a birth date printed for a company
        add_checked(entity, prop, text, at, report)  # kept as a note, not lost
        return
    dates = parse_printed_dates(text)
    if not dates:
        report.issue(at.file or "", at.row, prop, f"no date found in {text!r}")
    for value in dates:
        add_value(entity, prop, value, at)


_CONTACT_TOKEN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://)?[\w-]+(?:\.[\w-]+)+\S*")


def add_contact(
    entity: StatementEntity, prop: str, text: str, at: SourcePointer, report: LoadReport
) -> None:
    """An e-mail or website cell; several printed in one value ("a@x.ru, www.x.ru") or
    with a note ("http://x.ru (offline)") are each kept when FtM accepts them."""
    if entity.schema.get(prop) is None:
        add_checked(entity, prop, text, at, report)
        return
    if add_value(entity, prop, text, at) is not None:
        return
    added = False
    for token in _CONTACT_TOKEN.findall(text):
        token = token.rstrip(".,;)")
        target = "email" if "@" in token else "website"
        if entity.schema.get(target) is not None and add_value(entity, target, token, at):
            added = True
    if not added:
        report.issue(at.file or "", at.row, prop, f"not a usable {prop}: {text[:120]!r}")


def add_phone(
    entity: StatementEntity,
    text: str,
    region: str | None,
    at: SourcePointer,
    report: LoadReport,
) -> None:
    """A phone number; national formats (``8 (495) 787-89-55``) are read with the
    entry's country as the dialling region, as FtM's phone type expects."""
    text = text.strip()
    if not text:
        return
    if entity.schema.get("phone") is None:  # a vessel has no phone in FtM
        add_checked(entity, "phone", text, at, report)
        return
    if add_value(entity, "phone", text, at) is not None:
        return
    clean = None
    if region is not None:
        # "+ 8 (812) ..." is a Russian national number printed with a stray plus.
        for candidate in (text, text.lstrip("+ ")):
            try:
                clean = registry.phone.clean_text(candidate, format=region)
            except InvalidData:  # a region FtM cannot dial in
                clean = None
            if clean is not None:
                break
    if clean is None:
        report.issue(at.file or "", at.row, "phone", f"not a phone number: {text!r}")
        return
    entity.unsafe_add(
        entity.schema.properties["phone"],
        clean,
        cleaned=True,
        original_value=text,
        origin=at.encode(),
    )


def add_ids(
    entity: StatementEntity,
    column: str,
    text: str,
    russian: bool,
    at: SourcePointer,
    report: LoadReport,
) -> None:
    """Registry numbers, typed and checked (see :mod:`dualtrace.sources.registry_ids`)."""
    for rid in extract_registry_ids(text, column, russian):
        if rid.problem:
            report.issue(at.file or "", at.row, column, rid.problem)
        add_checked(entity, rid.prop, rid.value, at, report)


def add_name(
    entity: StatementEntity,
    prop: str,
    text: str,
    at: SourcePointer,
    report: LoadReport,
    lang: str | None = None,
) -> None:
    """A name with its language judged from its script (Cyrillic, Han ...)."""
    if _LABEL_NOT_NAME.match(text):
        report.issue(at.file or "", at.row, prop, f"printed label, not a name: {text!r}", "info")
        return
    add_value(entity, prop, text, at, lang=name_lang(text, lang))


# ---------------------------------------------------------------- journal CSVs


@dataclass
class _JournalFile:
    path: Path
    amending: bool
    celex: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _read_journal_rows(path: Path, report: LoadReport) -> _JournalFile:
    """Check the header against FORMAT.md and return the rows; structure errors raise."""
    text = read_text(path, report)
    before = len(report.issues)
    rows = list(csv_rows(text, path, report))
    for issue in report.issues[before:]:
        if issue.severity == "error":
            raise InputError(issue.message, file=str(path), row=issue.row)
    if not rows:
        raise InputError("empty file; expected the EU journal CSV header", file=str(path), row=1)
    line, header = rows[0]
    header = [h.strip() for h in header]
    if header and header[0] == "amendedCelex":
        expected, amending = AMENDMENT_COLUMNS, True
    else:
        expected, amending = CONSOLIDATED_COLUMNS, False
    missing = [c for c in expected if c not in header]
    if missing:
        raise InputError(
            f"not an EU journal CSV: missing column(s) {', '.join(missing)}",
            file=str(path),
            row=line,
            field=missing[0],
        )
    extra = [c for c in header if c not in expected]
    if extra:
        report.issue(path.name, line, extra[0], f"unknown column(s) ignored: {', '.join(extra)}")
    result = _JournalFile(path, amending, path.stem.upper())
    for num, fields in rows[1:]:
        if len(fields) != len(header):
            raise InputError(
                f"record has {len(fields)} cells, header has {len(header)} "
                "(truncated or misquoted record)",
                file=str(path),
                row=num,
            )
        result.rows.append((num, dict(zip(header, fields, strict=True))))
    return result


class _JournalBuilder:
    """Turns journal rows into entities; one entity per designation, one Sanction per row."""

    def __init__(self, dataset: str, report: LoadReport) -> None:
        self.dataset = dataset
        self.report = report
        self.entities: dict[str, StatementEntity] = {}
        self.extra: dict[str, StatementEntity] = {}

    def row(self, jf: _JournalFile, num: int, row: dict[str, str]) -> None:
        at = SourcePointer(file=jf.path.name, row=num)
        report = self.report
        framework = (row.get("amendedCelex") if jf.amending else row.get("celex")) or ""
        source_celex = (row.get("amendmentCelex") if jf.amending else row.get("celex")) or ""
        framework, source_celex = framework.strip().upper(), source_celex.strip().upper()
        if not CELEX.match(framework):
            report.issue(jf.path.name, num, "celex", f"not a CELEX number: {framework!r}", "error")
            return
        if source_celex != jf.celex:
            report.issue(
                jf.path.name,
                num,
                "amendmentCelex" if jf.amending else "celex",
                f"row CELEX {source_celex!r} differs from the file name {jf.celex!r}",
            )
        schema = row["schema"].strip()
        name = " ".join(row["name"].split())
        if schema not in JOURNAL_SCHEMATA:
            report.issue(jf.path.name, num, "schema", f"unknown schema {schema!r}", "error")
            return
        if not name:
            report.issue(jf.path.name, num, "name", "row without a name skipped", "error")
            return
        if row["kppCode"].strip() and schema in ("LegalEntity", "Organization"):
            schema = "Company"  # only Company carries kppCode in FtM; a KPP implies one
        annex = row["annex"].strip()
        record = row["recordId"].strip()
        key = record if record else _short_hash(schema, name)
        entity_id = f"eu-{framework.lower()}-{_slug(annex) or 'annex'}-{_slug(key)}"
        entity = self.entities.get(entity_id)
        if entity is not None and entity.schema.name != schema:
            # FORMAT.md: one entry number may repeat "if the rows have different schema
            # values" -- then they are different designations.
            entity_id = f"{entity_id}-{schema.lower()}"
            entity = self.entities.get(entity_id)
        if entity is None:
            entity = make_entity(self.dataset, schema, entity_id)
            self.entities[entity_id] = entity

        first_name = not entity.get("name")
        add_name(entity, "name" if first_name else "alias", name, at, report)
        for col in ("alias", "weakAlias", "previousName"):
            for value in split_cell(row[col]):
                add_name(entity, col, value, at, report)

        russian = bool(
            _RUSSIA.search(
                " ".join(
                    row[c]
                    for c in ("address", "country", "nationality", "jurisdiction", "birthPlace")
                )
            )
        ) or any(name_lang(v) == "rus" for v in [name, *split_cell(row["alias"])])
        for col, prop in (
            ("country", "country"),
            ("nationality", "nationality"),
            ("jurisdiction", "jurisdiction"),
            ("flag", "flag"),
        ):
            for value in split_cell(row[col]):
                add_countries(entity, prop, value, at, report)
        for col in ("birthDate", "incorporationDate"):
            for value in split_cell(row[col]):
                add_dates(entity, col, value, at, report)
        for prop in TEXT_PROPS:
            for value in split_cell(row[prop]):
                add_checked(entity, prop, value, at, report)
        for col in ("email", "website"):
            for value in split_cell(row[col]):
                add_contact(entity, col, value, at, report)
        region = "ru" if russian else next(iter(entity.get("country")), None)
        for value in split_cell(row["phone"]):
            for phone in value.split(","):
                add_phone(entity, phone, region, at, report)
        for col in ID_COLUMNS:
            for value in split_cell(row[col]):
                add_ids(entity, col, value, russian, at, report)
        for col in ("mmsi", "ticker"):
            for value in split_cell(row[col]):
                add_checked(entity, col, value, at, report)
        for value in split_cell(row["address"]):
            if len(value) < 40 and country_code(value) is not None:
                add_value(entity, "country", value, at)  # "Russia": a country, not an address
                continue
            address = add_address(self.dataset, entity, value, at, report)
            if address is not None and address.id is not None:
                self.extra.setdefault(address.id, address)

        listing_date = None
        if row["startDate"].strip():
            listing_date = parse_printed_date(row["startDate"])
            if listing_date is None:
                report.issue(jf.path.name, num, "startDate", f"not a date: {row['startDate']!r}")
        measure = row["measure"].strip()
        program_key = row["programKey"].strip()
        program = f"{celex_title(framework)} ({framework})"
        if annex:
            program += f", Annex {annex}"
        listing = Listing(
            authority=AUTHORITY,
            program=program,
            listing_date=listing_date,
            reason=" ".join(row["reason"].split()) or None,
            provisions=measure or None,
            source_url=celex_url(source_celex or framework),
            country="eu",
            topic=_MEASURE_TOPIC.get(measure, "sanction"),
        )
        sanction_key = _slug(f"{source_celex}-{program_key}-{measure}")
        sanction = make_sanction(self.dataset, entity, sanction_key, listing, at, report)
        add_value(sanction, "programId", program_key, at)
        if record:
            add_value(sanction, "authorityId", record, at)
        if jf.amending:
            add_value(
                sanction,
                "description",
                f"Added or amended by {celex_title(source_celex)} ({source_celex})",
                at,
            )
        if sanction.id is not None:
            self.extra[sanction.id] = sanction

    def iter_entities(self) -> Iterator[StatementEntity]:
        yield from self.entities.values()
        yield from self.extra.values()


def read_eu_journal_csv(path: Path, version: str | None = None) -> ReadResult:
    """One Official Journal CSV (consolidated snapshot or amending act) as one dataset."""
    probe = LoadReport("", "")
    jf = _read_journal_rows(path, probe)
    dataset = journal_dataset(jf.celex, jf.amending)
    if version is not None:
        vinfo = VersionInfo(_check_version(version), "given")
    else:
        dates = sorted(
            d for _, r in jf.rows if (d := parse_printed_date(r["startDate"])) and len(d) == 10
        )
        if jf.amending and dates:
            vinfo = VersionInfo(dates[-1], "file")
        else:
            vinfo = VersionInfo(_file_date(path), "file")
    report = LoadReport(dataset.name, vinfo.version, source_files=[path.name])
    report.issues.extend(probe.issues)
    if not CELEX.match(jf.celex):
        raise InputError(
            "EU journal files are named after their CELEX number (e.g. 32014R0269.csv)",
            file=str(path),
        )
    builder = _JournalBuilder(dataset.name, report)
    for num, row in jf.rows:
        builder.row(jf, num, row)
    return ReadResult(dataset, vinfo, report, builder.iter_entities())


# ---------------------------------------------------------------- FSF XML

_FSF_SCHEMA = {"person": "Person", "enterprise": "Organization", "vessel": "Vessel"}
_ID_TYPE_PROP = {
    "passport": "passportNumber",
    "id": "idNumber",
    "regnumber": "registrationNumber",
    "fiscalcode": "taxNumber",
    "tax": "taxNumber",
    "swiftbic": "swiftBic",
    "imo": "imoNumber",
}


def _attr(elem: Any, name: str) -> str | None:
    value = elem.get(name)
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def _country(elem: Any) -> str | None:
    code = _attr(elem, "countryIso2Code")
    if code and code != "00":
        return code.lower()
    return None


def _fsf_entity(
    elem: Any, path: Path, dataset: str, report: LoadReport
) -> Iterator[StatementEntity]:
    at = SourcePointer(file=path.name, row=elem.sourceline)
    logical = _attr(elem, "logicalId")
    if logical is None:
        report.issue(path.name, elem.sourceline, "logicalId", "sanctionEntity without id", "error")
        return
    subject = None
    for st in children(elem, "subjectType"):
        subject = _attr(st, "code")
    schema = _FSF_SCHEMA.get(subject or "", "LegalEntity")
    if subject not in _FSF_SCHEMA:
        report.issue(path.name, elem.sourceline, "subjectType", f"unknown subject {subject!r}")
    entity = make_entity(dataset, schema, f"eu-fsf-{logical}")
    extra: list[StatementEntity] = []
    names = children(elem, "nameAlias")
    has_name = False
    for na in names:
        nat = SourcePointer(file=path.name, row=na.sourceline)
        whole = _attr(na, "wholeName") or " ".join(
            p for p in (_attr(na, "firstName"), _attr(na, "middleName"), _attr(na, "lastName")) if p
        )
        if not whole:
            continue
        lang_code = _attr(na, "nameLanguage")
        lang = registry.language.clean(lang_code.lower()) if lang_code else None
        strong = (_attr(na, "strong") or "true").lower() == "true"
        prop = "weakAlias" if not strong else ("alias" if has_name else "name")
        if prop == "name":
            has_name = True
        add_name(entity, prop, whole, nat, report, lang)
        if schema == "Person" and prop == "name":
            add_checked(entity, "firstName", _attr(na, "firstName"), nat, report)
            add_checked(entity, "middleName", _attr(na, "middleName"), nat, report)
            add_checked(entity, "lastName", _attr(na, "lastName"), nat, report)
        add_checked(entity, "position", _attr(na, "function"), nat, report)
        add_checked(entity, "title", _attr(na, "title"), nat, report)
        gender = _attr(na, "gender")
        if gender in ("M", "F") and entity.schema.get("gender") is not None:
            add_value(entity, "gender", "male" if gender == "M" else "female", nat)
    if not has_name:
        report.issue(path.name, elem.sourceline, "nameAlias", "entity without a strong name")
    for cz in children(elem, "citizenship"):
        cat = SourcePointer(file=path.name, row=cz.sourceline)
        prop = "nationality" if schema == "Person" else "country"
        add_checked(entity, prop, _country(cz), cat, report)
    for bd in children(elem, "birthdate"):
        bat = SourcePointer(file=path.name, row=bd.sourceline)
        date = _attr(bd, "birthdate")
        if date is None and _attr(bd, "year"):
            ymd = [_attr(bd, "year"), _attr(bd, "monthOfYear"), _attr(bd, "dayOfMonth")]
            date = "-".join(f"{int(p):02d}" if i else p for i, p in enumerate(ymd) if p)
        add_checked(entity, "birthDate", date, bat, report)
        place = ", ".join(
            p
            for p in (
                _attr(bd, "city"),
                _attr(bd, "place"),
                _attr(bd, "region"),
                _attr(bd, "countryDescription"),
            )
            if p and p != "UNKNOWN"
        )
        if schema == "Person":
            add_checked(entity, "birthPlace", place or None, bat, report)
            add_checked(entity, "birthCountry", _country(bd), bat, report)
    for ad in children(elem, "address"):
        aat = SourcePointer(file=path.name, row=ad.sourceline)
        parts: dict[str, str | None] = {
            "street": _attr(ad, "street"),
            "postOfficeBox": _attr(ad, "poBox"),
            "postalCode": _attr(ad, "zipCode"),
            "city": _attr(ad, "city"),
            "region": _attr(ad, "region"),
            "country": _country(ad),
        }
        printed = [
            parts["street"],
            _attr(ad, "place"),
            parts["postOfficeBox"],
            parts["postalCode"],
            parts["city"],
            parts["region"],
            _attr(ad, "countryDescription"),
        ]
        full = ", ".join(p for p in printed if p and p != "UNKNOWN")
        address = add_address(dataset, entity, full, aat, report, parts)
        if address is not None:
            add_checked(address, "remarks", child_text(ad, "remark"), aat, report)
            extra.append(address)
        # Later FSF exports put phones, e-mails and websites on the address.
        for info in children(ad, "contactInfo"):
            cat = SourcePointer(file=path.name, row=info.sourceline)
            key = (_attr(info, "key") or "").upper()
            value = _attr(info, "value")
            if not value:
                continue
            if key in ("PHONE", "FAX"):
                add_phone(entity, value, _country(ad), cat, report)
            elif key in ("EMAIL", "WEB"):
                add_contact(entity, "email" if key == "EMAIL" else "website", value, cat, report)
            else:
                add_checked(entity, "notes", f"{key.lower()}: {value}", cat, report)
    for ident in children(elem, "identification"):
        iat = SourcePointer(file=path.name, row=ident.sourceline)
        number = _attr(ident, "number") or _attr(ident, "latinNumber")
        if not number:
            continue
        code = (_attr(ident, "identificationTypeCode") or "").lower()
        prop = _ID_TYPE_PROP.get(code, "idNumber")
        if prop == "passportNumber" and schema != "Person":
            prop = "idNumber"
        russian = _country(ident) == "ru"
        # A number the EU says is false stays on its document only: as an identifier of
        # the entity it would join it to whoever really holds that number.
        if (_attr(ident, "knownFalse") or "").lower() != "true":
            add_ids(entity, prop, number, russian, iat, report)
        doc = make_entity(
            dataset,
            "Passport" if code == "passport" and schema == "Person" else "Identification",
            f"eu-fsf-{logical}-id-{_attr(ident, 'logicalId') or _short_hash(number)}",
        )
        add_value(doc, "holder", entity.id, iat)
        add_value(doc, "number", number, iat)
        add_checked(doc, "type", _attr(ident, "identificationTypeDescription"), iat, report)
        add_checked(doc, "country", _country(ident), iat, report)
        add_checked(doc, "authority", _attr(ident, "issuedBy"), iat, report)
        add_checked(doc, "description", child_text(ident, "remark"), iat, report)
        flags = [
            label
            for attr, label in (
                ("knownFalse", "known to be false"),
                ("knownExpired", "known to be expired"),
                ("reportedLost", "reported lost"),
                ("revokedByIssuer", "revoked by issuer"),
                ("diplomatic", "diplomatic"),
            )
            if (_attr(ident, attr) or "").lower() == "true"
        ]
        if flags:
            add_value(doc, "description", "Document " + ", ".join(flags), iat)
        extra.append(doc)
    for remark in children(elem, "remark"):
        rat = SourcePointer(file=path.name, row=remark.sourceline)
        add_checked(entity, "notes", (remark.text or "").strip() or None, rat, report)

    regulations = children(elem, "regulation")
    programme = next((p for r in regulations if (p := _attr(r, "programme"))), None)
    url = None
    for reg in regulations:
        url = child_text(reg, "publicationUrl") or url
    listing = Listing(
        authority=AUTHORITY,
        program=programme,
        listing_date=_attr(elem, "designationDate"),
        reason=_attr(elem, "designationDetails"),
        source_url=url,
        country="eu",
    )
    sanction = make_sanction(dataset, entity, "fsf", listing, at, report)
    add_checked(sanction, "authorityId", _attr(elem, "euReferenceNumber"), at, report)
    add_checked(sanction, "unscId", _attr(elem, "unitedNationId"), at, report)
    add_checked(sanction, "programId", programme, at, report)
    for reg in regulations:
        rat = SourcePointer(file=path.name, row=reg.sourceline)
        title = _attr(reg, "numberTitle")
        if title:
            kind = _attr(reg, "regulationType") or "regulation"
            published = _attr(reg, "publicationDate") or "?"
            add_value(sanction, "description", f"{kind} {title}, published {published}", rat)
    yield entity
    yield sanction
    yield from extra


def read_eu_xml(path: Path, version: str | None = None) -> ReadResult:
    """The FSF consolidated XML (``<export>`` of ``<sanctionEntity>``) as dataset eu_fsf."""
    root = parse_list_xml(path)
    if local(root) != "export":
        raise InputError(
            f"not an EU FSF export: root element is <{local(root)}>, expected <export>",
            file=str(path),
            row=root.sourceline,
        )
    generated = _attr(root, "generationDate")
    if version is not None:
        vinfo = VersionInfo(_check_version(version), "given")
    elif generated and re.match(r"\d{4}-\d{2}-\d{2}", generated):
        vinfo = VersionInfo(generated[:10], "file")
    else:
        vinfo = VersionInfo(_file_date(path), "file")
    report = LoadReport(FSF_DATASET.name, vinfo.version, source_files=[path.name])
    entities: dict[str, StatementEntity] = {}
    for elem in children(root, "sanctionEntity"):
        for entity in _fsf_entity(elem, path, FSF_DATASET.name, report):
            if entity.id is None:
                continue
            known = entities.get(entity.id)
            if known is None:
                entities[entity.id] = entity
                continue
            if entity.schema.name not in ("Address", "Sanction"):
                report.issue(
                    path.name,
                    elem.sourceline,
                    "logicalId",
                    f"{entity.id} appears again; both records' facts kept on one entity",
                )
            known.merge(entity)
    return ReadResult(FSF_DATASET, vinfo, report, iter(list(entities.values())))


def read_eu(path: Path, version: str | None = None) -> list[ReadResult]:
    """Every EU publication at ``path``: an XML export, a journal CSV, or a folder of them.

    All files are parsed before anything is returned, so a broken file stops the whole
    load before the store is touched.
    """
    if not path.exists():
        raise InputError("no such file or folder", file=str(path))
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".csv", ".xml"))
        if not files:
            raise InputError("no EU .xml or .csv files in this folder", file=str(path))
        # --version on a folder dates every file: the journal folder is one snapshot
        # of its repository (e.g. the commit date), which the files cannot state.
    else:
        files = [path]
    results: list[ReadResult] = []
    for file in files:
        if file.suffix.lower() == ".xml":
            result = read_eu_xml(file, version)
        else:
            result = read_eu_journal_csv(file, version)
        results.append(
            ReadResult(result.dataset, result.version, result.report, iter(list(result.entities)))
        )
    return results
