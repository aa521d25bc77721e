"""Japan METI end-user lists (Russia, Belarus, third countries): numbered entries in PDF text.

METI publishes the parties Japan bans exports to as PDFs; we read the text extracted
from them. Each entry is a number, the Japanese name (with Japanese aliases in
``（別称、...）``), the English name with ``a.k.a., the following N aliases:`` and one
alias per ``-``/``—`` line, and ``所在地：`` followed by one or more addresses. PDF
extraction glues lines (``...Russia.25 株式会社...``), so entries are found by their
*sequential* numbers followed by Japanese text, which no address or alias produces.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from followthemoney.statement import StatementEntity

from dualtrace.errors import InputError
from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.model.territories import country_code
from dualtrace.sources.base import ReadResult, make_entity, read_text
from dualtrace.sources.listing import Listing, add_checked, make_sanction

DATASET = DatasetInfo(
    name="jp_meti_enduser",
    title="Japan METI export ban end-user lists (Russia, Belarus, third countries)",
    publisher="Japan Ministry of Economy, Trade and Industry",
    url="https://www.meti.go.jp/policy/external_economy/trade_control/01_seido/04_seisai/crimea.html",
    reliability="A",
)
AUTHORITY = "Japan Ministry of Economy, Trade and Industry (METI)"
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_JAPANESE = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
_UPDATED = re.compile(r"最終更新日：\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DESIGNATED = re.compile(r"指定日：\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_AKA = re.compile(r",?\s*a\.k\.a\.?,?\s*(?:the\s+following\s+\w+?\s*alias(?:es)?:?)?", re.I)
_ALIAS_ITEM = re.compile(r"(?:^|;)\s*[-—–]\s*", re.M)
# Which list a file holds, from its name; the country used when an address has none.
LISTS = {
    "russia": ("ru", "Russia"),
    "belarus": ("by", "Belarus"),
    "daisangoku": (None, "third countries"),
}


@dataclass(slots=True)
class MetiEntry:
    """One numbered entry as parsed from the text, before it becomes an FtM entity."""

    number: int
    line: int
    name_ja: str = ""
    aliases_ja: list[str] = field(default_factory=list)
    name_en: str = ""
    aliases_en: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)


def _list_kind(path: Path) -> str:
    for key in LISTS:
        if key in path.name.lower():
            return key
    raise InputError(
        "cannot tell which METI list this is (file name must contain russia, belarus or "
        "daisangoku)",
        file=str(path),
    )


def _date(m: re.Match[str] | None) -> str | None:
    if m is None:
        return None
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


def _entry_starts(
    text: str, path: Path, report: LoadReport | None
) -> Iterator[tuple[int, int, int]]:
    """(number, start offset, end of the number) of each entry, found in sequence.

    An entry starts with the next expected number, not glued to a digit or Japanese
    character, with Japanese text later on the same line. A missing number (PDF
    extraction can lose one) is skipped after looking a few numbers ahead, and reported.
    """
    expected = 1
    pos = 0
    while True:
        for skip in range(4):
            number = expected + skip
            pat = re.compile(
                rf"(?<![0-9\u3040-\u30ff\u3400-\u9fff])({number})(?![0-9])[ \u3000]*"
                rf"(?=[^\n]*{_JAPANESE.pattern})"
            )
            m = pat.search(text, pos)
            if m is not None:
                break
        else:
            return
        if skip and report is not None:
            report.issue(path.name, None, None, f"entries {expected}..{number - 1} not found")
        yield number, m.start(1), m.end()
        pos = m.end()
        expected = number + 1


def parse_meti_text(text: str, path: Path, report: LoadReport | None = None) -> list[MetiEntry]:
    """Numbered entries of one METI list; InputError when none can be found."""
    text = text.translate(_FULLWIDTH)
    text = re.sub(r"\s*所\s*在\s*地\s*：", "\n所在地：", text)
    text = re.sub(r"\s*別\s*称\s*：", "\n別称：", text)
    starts = list(_entry_starts(text, path, report))
    if not starts:
        raise InputError(
            "no numbered entries found (is this a METI end-user list?)", file=str(path)
        )
    entries = []
    for i, (number, start, body_start) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else len(text)
        line = text.count("\n", 0, start) + 1
        entries.append(_parse_block(number, line, text[body_start:end], path))
    return entries


def _split_ja_en(first: str) -> tuple[str, str]:
    """A first line may hold the Japanese name *and* the start of the English one."""
    last_ja = max((m.end() for m in _JAPANESE.finditer(first)), default=0)
    tail = first[last_ja:]
    if re.search(r"[A-Za-z]{2,}.*\s.*[A-Za-z]{2,}", tail):
        return first[:last_ja].strip(), tail.strip()
    return first.strip(), ""


def _parse_block(number: int, line: int, block: str, path: Path) -> MetiEntry:
    entry = MetiEntry(number, line)
    lines = [ln.strip() for ln in block.strip().splitlines() if ln.strip()]
    ja_parts: list[str] = []
    en_lines: list[str] = []
    addr_lines: list[str] = []
    alias_lines: list[str] = []
    section = "ja"
    for ln in lines:
        if ln.startswith("所在地："):
            section = "addr"
            ln = ln[len("所在地：") :]
        elif ln.startswith("別称："):
            section = "alias"
            ln = ln[len("別称：") :]
        if section == "ja":
            if _JAPANESE.search(ln) and not en_lines:
                ja, en = _split_ja_en(ln)
                ja_parts.append(ja)
                if en:
                    en_lines.append(en)
                    section = "en"
                continue
            section = "en"
        if section == "en":
            en_lines.append(ln)
        elif section == "alias":
            alias_lines.append(ln)
        else:
            addr_lines.append(ln)
    name_ja = "".join(ja_parts)
    m = re.search(r"[（(]別称[、､](.*)[）)]\s*$", name_ja)
    if m:
        entry.aliases_ja = [a.strip() for a in re.split(r"、|及び", m.group(1)) if a.strip()]
        name_ja = name_ja[: m.start()]
    entry.name_ja = name_ja.strip()
    if not en_lines:
        # Some entries print the English name inside the Japanese line:
        # "エレ・テクノロジー・カンパニー・リミテッドEle Technology Co LTD（深圳市...）".
        latin = re.findall(r"[A-Za-z][A-Za-z0-9.,&'\- ]*[A-Za-z.]", entry.name_ja)
        latin = [t for t in latin if " " in t.strip()]
        if latin:
            en_lines.append(max(latin, key=len))
    english = "\n".join(en_lines)
    parts = _AKA.split(english, maxsplit=1)
    entry.name_en = _clean_name(parts[0].replace("\n", " "))
    if len(parts) > 1:
        entry.aliases_en = [_clean_name(a) for a in _ALIAS_ITEM.split(parts[1]) if _clean_name(a)]
    for ln in alias_lines:  # the newer "別称：" layout: ";"-separated, Japanese or English
        for alias in ln.split(";"):
            alias = _clean_name(alias)
            if alias:
                (entry.aliases_ja if _JAPANESE.search(alias) else entry.aliases_en).append(alias)
    address = " ".join(addr_lines)
    entry.addresses = [
        a.strip(" ;.")
        for a in re.split(r";\s*(?:and\s+)?|\s+and\s+(?=\d)", address)
        if a.strip(" ;.")
    ]
    if not entry.name_en and not entry.name_ja:
        raise InputError(f"entry {number}: no name", file=str(path), row=line)
    return entry


def _clean_name(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(?:and\s+)", "", text)
    text = re.sub(r"(?:;?\s*and)?[;,.\s]*$", "", text)
    return text.strip(" -—–")


def _address_country(address: str, default: str | None) -> str | None:
    tail = re.sub(r"[\d\s.,]+$", "", address.rsplit(",", 1)[-1]).strip()
    tail = re.sub(r"^\d+\s*", "", tail)
    return country_code(tail) or default


def read_meti(paths: list[Path], version: str | None = None) -> ReadResult:
    """Read one or more METI list texts as one version of ``jp_meti_enduser``.

    The version is the latest "last updated" (最終更新日) date printed in the files.
    """
    if not paths:
        raise InputError("no METI list files given")
    parsed: list[tuple[Path, str, list[MetiEntry]]] = []
    dates: list[str] = []
    report = LoadReport(DATASET.name, version or "", source_files=[str(p) for p in paths])
    for path in paths:
        kind = _list_kind(path)
        text = read_text(path, report)
        updated = _date(_UPDATED.search(text.translate(_FULLWIDTH)))
        if updated:
            dates.append(updated)
        entries = parse_meti_text(text, path, report)
        parsed.append((path, kind, entries))
    if version is not None:
        vinfo = VersionInfo(version, "given")
    elif dates:
        vinfo = VersionInfo(max(dates), "file")
    else:
        raise InputError(
            "no 最終更新日 (last updated) date in the files; pass a version", file=str(paths[0])
        )
    report.version = vinfo.version
    return ReadResult(DATASET, vinfo, report, _entities(parsed, report))


def meti_entity_id(name_en: str, name_ja: str) -> str:
    """Id from the English (else Japanese) name: entries are renumbered between updates."""
    key = re.sub(r"[^0-9a-z]+", " ", name_en.lower()).strip() or name_ja
    return "jp-meti-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _entities(
    parsed: list[tuple[Path, str, list[MetiEntry]]], report: LoadReport
) -> Iterator[StatementEntity]:
    ds = DATASET.name
    for path, kind, entries in parsed:
        default_country, list_title = LISTS[kind]
        for e in entries:
            at = SourcePointer(file=path.name, row=e.line)
            entity = make_entity(ds, "Organization", meti_entity_id(e.name_en, e.name_ja))
            add_checked(entity, "name", e.name_en or e.name_ja, at, report)
            if e.name_en and e.name_ja:
                add_checked(entity, "name", e.name_ja, at, report, lang="jpn")
            for alias in e.aliases_en:
                add_checked(entity, "alias", alias, at, report)
            for alias in e.aliases_ja:
                add_checked(entity, "alias", alias, at, report, lang="jpn")
            countries = set()
            for address in e.addresses:
                add_checked(entity, "address", address, at, report)
                country = _address_country(address, default_country)
                if country:
                    countries.add(country)
            if not countries and default_country:
                countries.add(default_country)
            for country in sorted(countries):
                add_checked(entity, "country", country, at, report)
            listing = Listing(
                authority=AUTHORITY,
                program=f"METI end-user list ({list_title})",
                source_url=DATASET.url,
                topic="export.control",
            )
            yield make_sanction(ds, entity, f"{kind}-{e.number}", listing, at, report)
            yield entity
