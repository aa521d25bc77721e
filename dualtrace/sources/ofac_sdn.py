"""OFAC's legacy CSV set (SDN and the non-SDN consolidated list) as FtM statements.

OFAC publishes each list as four header-less CSV files joined on ``ent_num``: the
primary records (``sdn.csv`` / ``cons_prim.csv``), aliases (``alt``), addresses
(``add``) and the overflow of long remarks (``sdn_comments`` / ``cons_comments``).
Strong aliases live in ``alt``; the weak ones OFAC only mentions in remarks as
``a.k.a. '...'`` and they become ``weakAlias`` so that screening never treats them as
names. Rows that cannot be parsed or joined are reported with file and row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from followthemoney.statement import StatementEntity
from stdnum.ru import inn as ru_inn

from dualtrace.errors import InputError
from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.sources.base import (
    ReadResult,
    add_value,
    csv_rows,
    make_entity,
    read_text,
    version_from_filename,
)
from dualtrace.sources.ofac_remarks import RemarkFact, parse_phrase, split_remarks

SDN_DATASET = DatasetInfo(
    name="ofac_sdn",
    title="OFAC Specially Designated Nationals and Blocked Persons List (SDN)",
    publisher="US Treasury, Office of Foreign Assets Control",
    url="https://sanctionslist.ofac.treas.gov/Home/SdnList",
    reliability="A",
    kind="list",
)
CONS_DATASET = DatasetInfo(
    name="ofac_cons",
    title="OFAC Consolidated Sanctions List (non-SDN)",
    publisher="US Treasury, Office of Foreign Assets Control",
    url="https://sanctionslist.ofac.treas.gov/Home/ConsolidatedList",
    reliability="A",
    kind="list",
)
PARTIAL_DATASET = DatasetInfo(
    name="ofac_sdn_partial",
    title="OFAC SDN entries known only from alias/address files (primary record not available)",
    publisher="US Treasury, Office of Foreign Assets Control",
    url="https://sanctionslist.ofac.treas.gov/Home/SdnList",
    reliability="A",
    kind="list",
)
AUTHORITY = "US Treasury, Office of Foreign Assets Control (OFAC)"

NULL = "-0-"
PRIMARY_COLUMNS = (
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
)
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
ADD_COLUMNS = ("ent_num", "add_num", "address", "city_state_zip", "country", "add_remarks")
COMMENT_COLUMNS = ("ent_num", "remarks_extended")

# File roles by name prefix, for the SDN set and the consolidated (non-SDN) set.
ROLE_PATTERNS: dict[str, re.Pattern[str]] = {
    "comments": re.compile(r"^(sdn_comments|cons_comments)", re.I),
    "primary": re.compile(r"^(sdn|cons_prim)(?![a-z_]*comments)", re.I),
    "alt": re.compile(r"^(alt|cons_alt)", re.I),
    "add": re.compile(r"^(add|cons_add)", re.I),
}

# Legal-form words that make an OFAC "entity" row a Company rather than an Organization.
_COMPANY_WORDS = re.compile(
    r"\b(LLC|L\.L\.C|LTD|LIMITED|INC|CORP|CORPORATION|COMPANY|CO\.|JSC|PJSC|OJSC|CJSC|"
    r"OOO|OAO|ZAO|PAO|AO|GMBH|AG|S\.A|SA|S\.R\.L|SRL|B\.V|BV|LLP|PLC|PTE|FZE|FZCO|FZ-LLC|"
    r"DMCC|SDN\. BHD|BHD|TRADING|INDUSTRIAL|ENTERPRISE|HOLDING|HOLDINGS|GROUP|BANK)\b",
    re.I,
)


def _val(text: str) -> str | None:
    """OFAC writes missing values as ``-0-`` (with stray spaces)."""
    text = text.strip()
    return None if not text or text == NULL else text


@dataclass
class OfacFileSet:
    """The files that make up one publication of an OFAC CSV list."""

    primary: Path
    alt: Path | None = None
    add: Path | None = None
    comments: Path | None = None
    substitutions: list[str] = field(default_factory=list)

    @property
    def date(self) -> str | None:
        return version_from_filename(self.primary)

    @property
    def files(self) -> list[Path]:
        return [p for p in (self.primary, self.alt, self.add, self.comments) if p is not None]


def _role(path: Path) -> str | None:
    for role, pattern in ROLE_PATTERNS.items():
        if pattern.match(path.name) and path.suffix.lower() == ".csv":
            return role
    return None


def _pick_companion(primary_date: str | None, candidates: dict[str | None, Path]) -> Path | None:
    """Same date if present; else undated; else the nearest later, else nearest earlier."""
    if primary_date in candidates:
        return candidates[primary_date]
    if None in candidates:
        return candidates[None]
    dated = sorted(d for d in candidates if d is not None)
    if not dated:
        return None
    if primary_date is None:
        return candidates[dated[-1]]
    later = [d for d in dated if d >= primary_date]
    return candidates[later[0] if later else dated[-1]]


def discover_file_sets(path: Path) -> list[OfacFileSet]:
    """Find the primary files under ``path`` (a file or folder) and their companions.

    Companion files (aliases, addresses, comments) are matched by the date in their
    name; when a publication lacks one, the nearest other date is used and the
    substitution is reported, because OFAC's aliases change far less often than the
    primary list and joining them beats losing every alias.
    """
    if not path.exists():
        raise InputError("no such file or folder", file=str(path))
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    by_role: dict[str, dict[str | None, Path]] = {r: {} for r in ROLE_PATTERNS}
    for f in files:
        role = _role(f)
        if role is not None:
            by_role[role][version_from_filename(f)] = f
    if path.is_file() and not by_role["primary"]:
        raise InputError(
            "not an OFAC primary file (expected sdn*.csv or cons_prim*.csv)", file=str(path)
        )
    if path.is_file():
        siblings = sorted(path.parent.iterdir())
        for f in siblings:
            role = _role(f)
            if role is not None and role != "primary":
                by_role[role].setdefault(version_from_filename(f), f)
    if not by_role["primary"]:
        raise InputError("no OFAC primary file (sdn*.csv or cons_prim*.csv) here", file=str(path))
    sets = []
    for date, primary in sorted(by_role["primary"].items(), key=lambda kv: kv[0] or ""):
        fs = OfacFileSet(primary=primary)
        for role in ("alt", "add", "comments"):
            chosen = _pick_companion(date, by_role[role])
            if role == "comments" and chosen is not None:
                cdate = version_from_filename(chosen)
                if cdate is not None and cdate != date:
                    # The comments file continues remarks cut off mid-word in the primary
                    # file of the same publication; spliced onto another date's remarks
                    # it produces garbage, so it is not joined.
                    fs.substitutions.append(
                        f"{chosen.name} not joined: remark overflow only continues the "
                        f"primary file of the same date ({date or 'undated'})"
                    )
                    continue
            setattr(fs, role, chosen)
            if chosen is not None and version_from_filename(chosen) != date:
                fs.substitutions.append(
                    f"no {role} file dated {date or '(undated)'}; joined {chosen.name} instead"
                )
        sets.append(fs)
    return sets


def _check_columns(
    rows: list[tuple[int, list[str]]], expected: tuple[str, ...], path: Path, report: LoadReport
) -> list[tuple[int, list[str]]]:
    """Keep rows with the expected number of columns; a file with none is an error."""
    good = []
    for line, fields in rows:
        if len(fields) == len(expected):
            good.append((line, fields))
        else:
            report.issue(
                path.name,
                line,
                None,
                f"expected {len(expected)} columns ({', '.join(expected)}), found {len(fields)}",
                "error",
            )
    if rows and not good:
        raise InputError(
            f"no row has the {len(expected)} columns of this OFAC file "
            f"({', '.join(expected)}); first row has {len(rows[0][1])}",
            file=str(path),
            row=rows[0][0],
        )
    return good


def _read_table(
    path: Path, expected: tuple[str, ...], report: LoadReport
) -> list[tuple[int, list[str]]]:
    text = read_text(path, report)
    return _check_columns(list(csv_rows(text, path, report)), expected, path, report)


def _ent_num(path: Path, line: int, value: str, report: LoadReport) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        report.issue(path.name, line, "ent_num", f"not a number: {value.strip()!r}", "error")
        return None


def _person_name(raw: str) -> tuple[str, str | None, str | None]:
    """OFAC writes "LAST, First Middle"; FtM names read "First Middle LAST"."""
    if "," in raw:
        last, first = (p.strip() for p in raw.split(",", 1))
        if last and first:
            return f"{first} {last}", first, last
    return raw, None, None


def _schema_for(sdn_type: str | None, name: str) -> str:
    kind = (sdn_type or "").strip().lower()
    if kind == "individual":
        return "Person"
    if kind == "vessel":
        return "Vessel"
    if kind == "aircraft":
        return "Airplane"
    return "Company" if _COMPANY_WORDS.search(name) else "Organization"


class _Builder:
    """Accumulates the entities of one OFAC publication from its four files."""

    def __init__(self, dataset: DatasetInfo, report: LoadReport) -> None:
        self.dataset = dataset
        self.report = report
        self.entities: dict[int, StatementEntity] = {}
        self.extras: list[StatementEntity] = []
        self.names: dict[str, str] = {}
        self.links: list[tuple[str, str, SourcePointer, str]] = []

    def eid(self, ent_num: int) -> str:
        return f"ofac-{ent_num}"

    def add(self, entity: StatementEntity, prop: str, value: str | None, at: SourcePointer) -> None:
        """Add a value; report it (and keep it as a note) if FtM rejects it."""
        if value is None:
            return
        prop_obj = entity.schema.get(prop)
        if prop_obj is None or prop_obj.type.name == "entity":
            # Not a property of this schema, or a reference OFAC gives only as a name
            # (an aircraft's operator): keep it verbatim.
            add_value(entity, "notes", f"{prop}: {value}", at)
            return
        if add_value(entity, prop, value, at) is None:
            self.report.issue(
                at.file or "", at.row, prop, f"value {value!r} is not a valid {prop}; kept as note"
            )
            add_value(entity, "notes", f"{prop}: {value}", at)

    def add_name(self, entity: StatementEntity, prop: str, raw: str, at: SourcePointer) -> None:
        if entity.schema.name == "Person":
            name, first, last = _person_name(raw)
            add_value(entity, prop, name, at, original_value=raw)
            if prop == "name" and first and last:
                add_value(entity, "firstName", first, at)
                add_value(entity, "lastName", last, at)
        else:
            add_value(entity, prop, raw, at)
        if prop in ("name", "alias"):
            self.names.setdefault(_name_key(raw), str(entity.id))

    def primary(self, path: Path, line: int, f: list[str], comments: dict[int, str]) -> None:
        ent_num = _ent_num(path, line, f[0], self.report)
        if ent_num is None:
            return
        name = _val(f[1])
        if name is None:
            self.report.issue(path.name, line, "SDN_Name", "entry has no name; skipped", "error")
            return
        at = SourcePointer(file=path.name, row=line)
        schema = _schema_for(_val(f[2]), name)
        entity = make_entity(self.dataset.name, schema, self.eid(ent_num))
        self.entities[ent_num] = entity
        self.add_name(entity, "name", name, at)
        add_value(entity, "topics", "sanction", at, cleaned=True)
        if schema == "Person":
            self.add(entity, "position", _val(f[4]), at)
        elif _val(f[4]):
            self.add(entity, "notes", f"Title: {_val(f[4])}", at)
        if schema == "Vessel":
            self.add(entity, "callSign", _val(f[5]), at)
            self.add(entity, "type", _val(f[6]), at)
            self.add(entity, "tonnage", _val(f[7]), at)
            self.add(entity, "grossRegisteredTonnage", _val(f[8]), at)
            self.add(entity, "flag", _val(f[9]), at)
            if _val(f[10]):
                self.add(entity, "notes", f"Vessel owner: {_val(f[10])}", at)
        remarks = _val(f[11]) or ""
        if ent_num in comments:
            remarks += comments[ent_num]
        programs = [p.strip() for p in (_val(f[3]) or "").strip("[] ").split("] [") if p.strip()]
        sanction = make_entity(self.dataset.name, "Sanction", f"{entity.id}-sanction")
        add_value(sanction, "entity", str(entity.id), at, cleaned=True)
        add_value(sanction, "authority", AUTHORITY, at, cleaned=True)
        add_value(sanction, "sourceUrl", self.dataset.url, at, cleaned=True)
        for program in programs:
            add_value(sanction, "program", program, at)
            add_value(sanction, "programId", program, at)
        self.extras.append(sanction)
        for phrase in split_remarks(remarks):
            self.remark(entity, sanction, phrase, at)

    def remark(
        self,
        entity: StatementEntity,
        sanction: StatementEntity,
        phrase: str,
        at: SourcePointer,
    ) -> None:
        lower = phrase.lower()
        if lower.startswith(("secondary sanctions risk", "additional sanctions information")):
            add_value(sanction, "provisions", phrase, at)
            return
        if lower.startswith(("listing date", "effective date")):
            add_value(sanction, "summary", phrase, at)
            return
        facts = parse_phrase(phrase)
        if not facts:
            add_value(entity, "notes", phrase, at)
            return
        for fact in facts:
            self.fact(entity, fact, at)

    def fact(self, entity: StatementEntity, fact: RemarkFact, at: SourcePointer) -> None:
        if fact.prop == "_linked":
            self.links.append((str(entity.id), fact.value, at, fact.phrase))
            return
        if fact.prop in ("weakAlias", "alias", "previousName"):
            self.add_name(entity, fact.prop, fact.value, at)
            return
        if fact.prop in ("nationality", "citizenship") and entity.schema.name != "Person":
            self.add(entity, "country", fact.value, at)
            return
        russian = (fact.country or "").strip().lower() in ("russia", "russian federation")
        digits = re.sub(r"\D", "", fact.value)
        if fact.prop == "taxNumber" and russian and ru_inn.is_valid(digits):
            self.add(entity, "innCode", digits, at)
        if fact.prop == "registrationNumber" and russian and len(digits) in (13, 15):
            self.add(entity, "ogrnCode", digits, at)
            return
        if fact.prop == "okpoCode" and not russian:
            self.add(entity, "registrationNumber", fact.value, at)
            return
        self.add(entity, fact.prop, fact.value, at)

    def alias(self, path: Path, line: int, f: list[str]) -> None:
        ent_num = _ent_num(path, line, f[0], self.report)
        if ent_num is None:
            return
        entity = self.entities.get(ent_num)
        name = _val(f[3])
        if entity is None:
            self.report.issue(
                path.name,
                line,
                "ent_num",
                f"alias {name!r} belongs to ent_num {ent_num}, which is not in the primary file",
            )
            return
        if name is None:
            self.report.issue(path.name, line, "alt_name", "alias row without a name", "error")
            return
        kind = (_val(f[2]) or "aka").lower().replace(".", "")
        prop = {"aka": "alias", "fka": "previousName", "nka": "name"}.get(kind)
        if prop is None:
            self.report.issue(path.name, line, "alt_type", f"unknown alias type {kind!r}; kept")
            prop = "alias"
        at = SourcePointer(file=path.name, row=line)
        self.add_name(entity, prop, name, at)
        if _val(f[4]):
            add_value(entity, "notes", f"Alias {name}: {_val(f[4])}", at)

    def address(self, path: Path, line: int, f: list[str]) -> None:
        ent_num = _ent_num(path, line, f[0], self.report)
        if ent_num is None:
            return
        entity = self.entities.get(ent_num)
        if entity is None:
            self.report.issue(
                path.name,
                line,
                "ent_num",
                f"address belongs to ent_num {ent_num}, which is not in the primary file",
            )
            return
        at = SourcePointer(file=path.name, row=line)
        street, csz, country, remarks = _val(f[2]), _val(f[3]), _val(f[4]), _val(f[5])
        if country:
            self.add(entity, "country", country, at)
        if not street and not csz:
            return
        addr = make_entity(self.dataset.name, "Address", f"{entity.id}-addr-{f[1].strip()}")
        full = ", ".join(p for p in (street, csz, country) if p)
        add_value(addr, "full", full, at)
        add_value(addr, "street", street, at)
        if csz:
            m = re.match(r"^(.*?)[,\s]+([A-Z]{0,2}[- ]?\d[\d -]{2,}[A-Z\d]*)$", csz)
            if m:
                add_value(addr, "city", m.group(1).strip(" ,"), at)
                add_value(addr, "postalCode", m.group(2).strip(), at)
            else:
                add_value(addr, "city", csz, at)
        if country and add_value(addr, "country", country, at) is None:
            self.report.issue(path.name, line, "country", f"unknown country {country!r}")
        add_value(addr, "remarks", remarks, at)
        add_value(entity, "addressEntity", str(addr.id), at)
        add_value(entity, "address", full, at)
        self.extras.append(addr)

    def resolve_links(self) -> None:
        """Turn "Linked To: NAME" remarks into UnknownLink entities between list entries."""
        for source_id, target_name, at, phrase in self.links:
            target = self.names.get(_name_key(target_name))
            if target is None:
                self.report.issue(
                    at.file or "",
                    at.row,
                    "Remarks",
                    f"'Linked To' names {target_name!r}, which is not an entry of this list; "
                    "kept as note",
                )
                src = next(e for e in self.entities.values() if e.id == source_id)
                add_value(src, "notes", phrase, at)
                continue
            link = make_entity(
                self.dataset.name, "UnknownLink", f"{source_id}-linked-{target.split('-')[-1]}"
            )
            add_value(link, "subject", source_id, at)
            add_value(link, "object", target, at)
            add_value(link, "role", "Linked To", at)
            self.extras.append(link)

    def iter_entities(self) -> Iterator[StatementEntity]:
        yield from self.entities.values()
        yield from self.extras


def _name_key(name: str) -> str:
    return re.sub(r"[^0-9A-Z]+", " ", name.upper()).strip()


def read_ofac_csv(
    files: OfacFileSet,
    dataset: DatasetInfo = SDN_DATASET,
    version: str | None = None,
) -> ReadResult:
    """Read one publication (primary + companions) into a :class:`ReadResult`.

    The version is ``version`` when given, else the date in the primary file's name,
    else today's date; the CSV format carries no publication date of its own.
    """
    if version is not None:
        vinfo = VersionInfo(_check_date(version), "given")
    elif files.date is not None:
        vinfo = VersionInfo(files.date, "filename")
    else:
        vinfo = VersionInfo(dt.date.today().isoformat(), "load-date")
    report = LoadReport(dataset.name, vinfo.version, source_files=[p.name for p in files.files])
    for note in files.substitutions:
        report.issue(files.primary.name, None, None, note, "info")

    comments: dict[int, str] = {}
    if files.comments is not None:
        for line, f in _read_table(files.comments, COMMENT_COLUMNS, report):
            num = _ent_num(files.comments, line, f[0], report)
            if num is not None:
                comments[num] = comments.get(num, "") + f[1]

    builder = _Builder(dataset, report)
    primary_rows = _read_table(files.primary, PRIMARY_COLUMNS, report)
    for line, f in primary_rows:
        builder.primary(files.primary, line, f, comments)
    for num in comments:
        if num not in builder.entities:
            report.issue(
                files.comments.name if files.comments else "",
                None,
                "ent_num",
                f"comment for ent_num {num}, which is not in the primary file",
            )
    if files.alt is not None:
        for line, f in _read_table(files.alt, ALT_COLUMNS, report):
            builder.alias(files.alt, line, f)
    if files.add is not None:
        for line, f in _read_table(files.add, ADD_COLUMNS, report):
            builder.address(files.add, line, f)
    builder.resolve_links()
    return ReadResult(dataset, vinfo, report, builder.iter_entities())


def _check_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise InputError(f"--version must be a date YYYY-MM-DD, got {text!r}") from exc


def read_ofac_sdn(path: Path, version: str | None = None) -> list[ReadResult]:
    """Every SDN publication found at ``path`` (a primary file or a folder).

    For a folder, entries found only in alias files newer than every primary file
    are returned as one more result (dataset ``ofac_sdn_partial``).
    """
    sets = discover_file_sets(path)
    if version is not None and len(sets) > 1:
        raise InputError(
            f"{len(sets)} publications found; --version applies to one file: name the file",
            file=str(path),
        )
    out = []
    for fs in sets:
        dataset = CONS_DATASET if fs.primary.name.lower().startswith("cons") else SDN_DATASET
        out.append(read_ofac_csv(fs, dataset, version))
    if version is None and path.is_dir():
        partial = partial_from_newer_aliases(sets)
        if partial is not None:
            out.append(partial)
    return out


def partial_from_newer_aliases(sets: list[OfacFileSet]) -> ReadResult | None:
    """Entries that appear only in alias files newer than every primary file.

    OFAC's alias file of a later date names entries designated after the newest
    primary file at hand (Redlepus TSK Vector Industrial, listed in 2025, is in the
    2025-12-24 alias file but not in the 2024-05-03 primary list). Dropping them
    would hide a designation from screening; inventing a primary record would be
    worse. They become a separate dataset, versioned by the alias file's date, whose
    entities carry only what the alias and address rows say, and say so.
    """
    sdn_sets = [fs for fs in sets if not fs.primary.name.lower().startswith("cons")]
    if not sdn_sets:
        return None
    newest = max(sdn_sets, key=lambda fs: fs.date or "")
    alt = newest.alt
    if alt is None or newest.date is None:
        return None
    alt_date = version_from_filename(alt)
    if alt_date is None or alt_date <= newest.date:
        return None
    report = LoadReport(PARTIAL_DATASET.name, alt_date, source_files=[alt.name])
    known: set[int] = set()
    for fs in sdn_sets:
        for _line, f in _read_table(fs.primary, PRIMARY_COLUMNS, LoadReport("", "")):
            try:
                known.add(int(f[0].strip()))
            except ValueError:
                continue
    builder = _Builder(PARTIAL_DATASET, report)
    note = (
        f"Known only from {alt.name}: OFAC's primary record for this entry is not in the "
        f"files loaded (newest primary file: {newest.primary.name}); programs and "
        "identifiers are unknown."
    )
    for line, f in _read_table(alt, ALT_COLUMNS, report):
        ent_num = _ent_num(alt, line, f[0], report)
        name = _val(f[3])
        if ent_num is None or ent_num in known or name is None:
            continue
        at = SourcePointer(file=alt.name, row=line)
        if ent_num not in builder.entities:
            entity = make_entity(PARTIAL_DATASET.name, "LegalEntity", builder.eid(ent_num))
            builder.entities[ent_num] = entity
            add_value(entity, "notes", note, at)
            add_value(entity, "topics", "sanction", at, cleaned=True)
            sanction = make_entity(PARTIAL_DATASET.name, "Sanction", f"{entity.id}-sanction")
            add_value(sanction, "entity", str(entity.id), at, cleaned=True)
            add_value(sanction, "authority", AUTHORITY, at, cleaned=True)
            add_value(sanction, "sourceUrl", PARTIAL_DATASET.url, at, cleaned=True)
            add_value(sanction, "summary", note, at)
            builder.extras.append(sanction)
        builder.alias(alt, line, f)
    add = newest.add
    if add is not None and version_from_filename(add) == alt_date:
        report.source_files.append(add.name)
        for line, f in _read_table(add, ADD_COLUMNS, LoadReport("", "")):
            try:
                num = int(f[0].strip())
            except ValueError:
                continue
            if num in builder.entities:
                builder.address(add, line, f)
    if not builder.entities:
        return None
    return ReadResult(
        PARTIAL_DATASET, VersionInfo(alt_date, "filename"), report, builder.iter_entities()
    )
