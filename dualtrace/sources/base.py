"""What every reader shares: the dataset handle, entity factory and text decoding."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from followthemoney.dataset import Dataset
from followthemoney.statement import Statement, StatementEntity
from followthemoney.types import registry

from dualtrace.errors import InputError
from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.model.territories import country_code

_DATASETS: dict[str, Dataset] = {}
DATE_IN_NAME = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def ftm_dataset(name: str) -> Dataset:
    """FtM's Dataset object for a name (cached: statements only need the name)."""
    if name not in _DATASETS:
        _DATASETS[name] = Dataset.make({"name": name, "title": name})
    return _DATASETS[name]


def make_entity(dataset: str, schema: str, entity_id: str) -> StatementEntity:
    """An empty statement-backed entity of ``schema`` in ``dataset``."""
    entity = StatementEntity(ftm_dataset(dataset), {"schema": schema})
    entity.id = entity_id
    return entity


# Property types whose cleaning does not depend on the entity (phones do: they use the
# entity's countries), so cleaned values can be cached across a whole load.
_CONTEXT_FREE_TYPES = frozenset(
    {
        "country",
        "url",
        "date",
        "email",
        "identifier",
        "name",
        "string",
        "text",
        "address",
        "topic",
        "gender",
        "language",
        "checksum",
        "number",
        "mimetype",
        "ip",
        "iban",
        "entity",
    }
)


@lru_cache(maxsize=262_144)
def _clean_cached(type_name: str, value: str) -> str | None:
    if type_name == "country":
        return country_code(value)
    return registry.get(type_name).clean_text(value)


def add_value(
    entity: StatementEntity,
    prop: str,
    value: str | None,
    at: SourcePointer | str,
    lang: str | None = None,
    cleaned: bool = False,
    original_value: str | None = None,
) -> str | None:
    """Add one value with its source pointer; returns the cleaned value or None.

    Values FtM's type system rejects (an unparseable date or country) return None so
    the caller can report them instead of losing them silently. ``at`` may be a
    pre-encoded pointer when many values share one source row.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    prop_obj = entity.schema.get(prop)
    if prop_obj is None:
        raise KeyError(f"{entity.schema.name} has no property {prop!r}")
    origin = at if isinstance(at, str) else at.encode()
    clean: str | None = value
    if not cleaned:
        if prop_obj.type.name in _CONTEXT_FREE_TYPES:
            clean = _clean_cached(prop_obj.type.name, value)
        else:
            clean = prop_obj.type.clean_text(value, proxy=entity)
        if clean is None:
            return None
    return entity.unsafe_add(
        prop_obj,
        clean,
        cleaned=True,
        lang=lang,
        original_value=original_value or value,
        origin=origin,
    )


@dataclass(frozen=True)
class ReadResult:
    """One dataset version read from a source: its entities are produced lazily."""

    dataset: DatasetInfo
    version: VersionInfo
    report: LoadReport
    entities: Iterator[StatementEntity]

    def statements(self) -> Iterator[Statement]:
        for entity in self.entities:
            yield from entity.statements


def version_from_filename(path: Path) -> str | None:
    """A YYYY-MM-DD (or YYYYMMDD) date embedded in a file name, if any."""
    m = DATE_IN_NAME.search(path.name)
    if not m:
        return None
    y, mo, d = m.groups()
    if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31):
        return None
    return f"{y}-{mo}-{d}"


def read_text(path: Path, report: LoadReport | None = None) -> str:
    """Read a text file as UTF-8 (BOM allowed); fall back to cp1252 with a warning.

    Binary or UTF-16 input is refused with an error naming the file, rather than being
    parsed into garbage rows.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=str(path)) from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:4096]:
        raise InputError(
            "not a UTF-8 text file (binary data or UTF-16); re-save it as UTF-8 CSV",
            file=str(path),
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise InputError(
                f"invalid UTF-8 at byte {exc.start} and not Windows-1252 either",
                file=str(path),
                row=line,
            ) from exc
        if report is not None:
            report.issue(path.name, line, None, "file is not valid UTF-8; decoded as Windows-1252")
        return text


def csv_rows(
    text: str, path: Path, report: LoadReport, delimiter: str = ","
) -> Iterator[tuple[int, list[str]]]:
    """(row number, fields) for each CSV record; malformed records are reported.

    Strips the DOS end-of-file marker (0x1A) that OFAC's files end with.
    """
    lines = text.rstrip("\x1a\r\n ").splitlines(keepends=True)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.issue(path.name, reader.line_num, None, f"malformed CSV record: {exc}", "error")
            continue
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        yield reader.line_num, fields
