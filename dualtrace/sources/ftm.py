"""FollowTheMoney JSON lines in and out.

FtM is what OpenSanctions and Aleph speak, so dualtrace reads and writes it as its
exchange format. Three line shapes are read: plain entities (``{"id", "schema",
"properties"}``), OpenSanctions delta lines (``{"op": "ADD"|"MOD"|"DEL", "entity": ...}``)
and statement rows (``{"entity_id", "prop", "value", ...}``), which carry language,
original value and provenance and therefore round-trip every statement exactly.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson
from followthemoney import model
from followthemoney.statement import Statement, StatementEntity

from dualtrace.errors import InputError
from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.sources.base import ReadResult, add_value, ftm_dataset, version_from_filename
from dualtrace.store.duckdb_store import StoredStatement

# Bad lines tolerated at the start of a file before we decide it is not FtM at all.
_PROBE_LINES = 5


def dataset_name_for(path: Path) -> str:
    """A dataset name derived from a file name: ``zala_entities.ftm.json`` -> ``zala_entities``."""
    stem = path.name.split(".")[0]
    name = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")
    return name or "ftm"


def _check_dataset_name(name: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_]*", name):
        raise InputError(
            f"dataset name {name!r} must be lower-case letters, digits and underscores"
        )
    return name


def read_ftm(
    path: Path,
    dataset: str | None = None,
    version: str | None = None,
    title: str | None = None,
    reliability: str = "B",
) -> ReadResult:
    """Read an FtM JSON lines file (entities, deltas or statements) as one dataset version."""
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    name = _check_dataset_name(dataset or dataset_name_for(path))
    if version is not None:
        try:
            vinfo = VersionInfo(dt.date.fromisoformat(version).isoformat(), "given")
        except ValueError as exc:
            raise InputError(f"--version must be a date YYYY-MM-DD, got {version!r}") from exc
    elif (fdate := version_from_filename(path)) is not None:
        vinfo = VersionInfo(fdate, "filename")
    else:
        vinfo = VersionInfo(dt.date.today().isoformat(), "load-date")
    info = DatasetInfo(
        name=name,
        title=title or f"FtM data from {path.name}",
        publisher="",
        url="",
        reliability=reliability,
        kind="ftm",
    )
    report = LoadReport(name, vinfo.version, source_files=[path.name])
    entities = list(_parse(path, name, report))
    return ReadResult(info, vinfo, report, iter(entities))


def _parse(path: Path, dataset: str, report: LoadReport) -> Iterator[StatementEntity]:
    by_id: dict[str, StatementEntity] = {}
    good = bad = 0
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=str(path)) from exc
    with fh:
        for line_no, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                data = orjson.loads(raw)
                if not isinstance(data, dict):
                    raise ValueError("a line must be a JSON object")
                ok = _parse_line(data, path, line_no, dataset, by_id, report)
            except (orjson.JSONDecodeError, ValueError, UnicodeDecodeError) as exc:
                report.issue(path.name, line_no, None, f"not valid JSON: {exc}", "error")
                ok = False
            if ok:
                good += 1
            else:
                bad += 1
                if good == 0 and bad >= _PROBE_LINES:
                    raise InputError(
                        f"the first {bad} lines are not FtM entities or statements; "
                        "is this a FollowTheMoney JSON lines file?",
                        file=str(path),
                        row=line_no,
                    )
    if good == 0 and bad > 0:
        raise InputError("no line is an FtM entity or statement", file=str(path))
    return iter(by_id.values())


def _parse_line(
    data: dict[str, Any],
    path: Path,
    line_no: int,
    dataset: str,
    by_id: dict[str, StatementEntity],
    report: LoadReport,
) -> bool:
    at = SourcePointer(file=path.name, row=line_no)
    if "op" in data and "entity" in data:
        op = str(data["op"]).upper()
        if op == "DEL":
            report.issue(path.name, line_no, "op", "DEL line: entity removed in this delta", "info")
            return True
        if op not in ("ADD", "MOD"):
            report.issue(path.name, line_no, "op", f"unknown delta op {op!r}", "error")
            return False
        data = data["entity"]
        if not isinstance(data, dict):
            report.issue(path.name, line_no, "entity", "delta entity is not an object", "error")
            return False
    if "entity_id" in data and "prop" in data:
        return _parse_statement(data, path, line_no, dataset, by_id, report)
    entity_id = data.get("id")
    schema_name = data.get("schema")
    if not isinstance(entity_id, str) or not entity_id:
        report.issue(path.name, line_no, "id", "entity without an id", "error")
        return False
    schema = model.get(schema_name) if isinstance(schema_name, str) else None
    if schema is None:
        report.issue(path.name, line_no, "schema", f"unknown FtM schema {schema_name!r}", "error")
        return False
    entity = _entity(by_id, dataset, schema.name, entity_id, path, line_no, report)
    if entity is None:
        return False
    props = data.get("properties") or {}
    if not isinstance(props, dict):
        report.issue(path.name, line_no, "properties", "properties must be an object", "error")
        return False
    origin = at.encode()
    for prop, values in props.items():
        if entity.schema.get(prop) is None:
            report.issue(path.name, line_no, prop, f"{schema.name} has no property {prop!r}")
            continue
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list):
            report.issue(path.name, line_no, prop, "values must be a list of strings", "error")
            continue
        for value in values:
            if not isinstance(value, str):
                report.issue(path.name, line_no, prop, f"value {value!r} is not a string")
                continue
            if add_value(entity, prop, value, origin) is None and value.strip():
                report.issue(path.name, line_no, prop, f"value {value!r} is not a valid {prop}")
    return True


def _entity(
    by_id: dict[str, StatementEntity],
    dataset: str,
    schema: str,
    entity_id: str,
    path: Path,
    line_no: int,
    report: LoadReport,
) -> StatementEntity | None:
    """The entity for an id, widening its schema when a later line is more specific."""
    entity = by_id.get(entity_id)
    if entity is None:
        entity = StatementEntity(ftm_dataset(dataset), {"schema": schema, "id": entity_id})
        by_id[entity_id] = entity
        return entity
    if entity.schema.name != schema:
        try:
            common = model.common_schema(entity.schema, schema)
        except Exception:  # followthemoney raises InvalidData for incompatible schemata
            report.issue(
                path.name,
                line_no,
                "schema",
                f"{entity_id} is {entity.schema.name} earlier and {schema} here; line skipped",
                "error",
            )
            return None
        entity.schema = common
    return entity


def _parse_statement(
    data: dict[str, Any],
    path: Path,
    line_no: int,
    dataset: str,
    by_id: dict[str, StatementEntity],
    report: LoadReport,
) -> bool:
    entity_id, prop, schema = data.get("entity_id"), data.get("prop"), data.get("schema")
    value = data.get("value")
    if not isinstance(entity_id, str) or not isinstance(prop, str) or not isinstance(value, str):
        report.issue(path.name, line_no, None, "statement needs entity_id, prop and value", "error")
        return False
    if not isinstance(schema, str) or model.get(schema) is None:
        report.issue(path.name, line_no, "schema", f"unknown FtM schema {schema!r}", "error")
        return False
    entity = _entity(by_id, dataset, schema, entity_id, path, line_no, report)
    if entity is None:
        return False
    if prop == Statement.BASE:
        return True  # the id statement is a checksum; it is regenerated on load
    if entity.schema.get(prop) is None:
        report.issue(path.name, line_no, prop, f"{schema} has no property {prop!r}")
        return False
    origin = data.get("origin")
    if not origin:
        origin = SourcePointer(file=path.name, row=line_no).encode()
    stmt = Statement(
        entity_id=entity_id,
        prop=prop,
        schema=schema,
        value=value,
        dataset=dataset,
        lang=data.get("lang"),
        original_value=data.get("original_value"),
        external=bool(data.get("external", False)),
        origin=str(origin),
    )
    entity.add_statement(stmt)
    return True


def entity_dicts(statements: Iterable[StoredStatement]) -> Iterator[dict[str, Any]]:
    """Group statements (ordered by canonical id) into FtM entity dicts."""
    current: list[StoredStatement] = []
    for stmt in statements:
        if current and stmt.canonical_id != current[0].canonical_id:
            yield _entity_dict(current)
            current = []
        current.append(stmt)
    if current:
        yield _entity_dict(current)


def _entity_dict(stmts: list[StoredStatement]) -> dict[str, Any]:
    schemata = {s.schema for s in stmts}
    schema = next(iter(schemata))
    if len(schemata) > 1:
        try:
            schema = model.common_schema(*schemata).name
        except Exception:  # incompatible merge: keep the most frequent schema
            schema = max(schemata, key=lambda n: sum(1 for s in stmts if s.schema == n))
    props: dict[str, list[str]] = {}
    for s in stmts:
        if s.prop == Statement.BASE:
            continue
        values = props.setdefault(s.prop, [])
        if s.value not in values:
            values.append(s.value)
    return {
        "id": stmts[0].canonical_id,
        "schema": schema,
        "properties": props,
        "datasets": sorted({s.dataset for s in stmts}),
        "referents": sorted({s.entity_id for s in stmts} - {stmts[0].canonical_id}),
        "first_seen": min((s.first_seen for s in stmts if s.first_seen), default=None),
        "last_seen": max((s.last_seen for s in stmts if s.last_seen), default=None),
    }


def statement_dict(stmt: StoredStatement) -> dict[str, Any]:
    """FtM's statement row shape, with our provenance in ``origin``."""
    return {
        "canonical_id": stmt.canonical_id,
        "entity_id": stmt.entity_id,
        "prop": stmt.prop,
        "schema": stmt.schema,
        "value": stmt.value,
        "dataset": stmt.dataset,
        "lang": stmt.lang,
        "original_value": stmt.original_value,
        "first_seen": stmt.first_seen,
        "last_seen": stmt.last_seen,
        "external": stmt.external,
        "origin": stmt.pointer.encode(),
        "id": stmt.id,
    }


def write_ftm(statements: Iterable[StoredStatement], out: IO[bytes], as_statements: bool) -> int:
    """Write entities (or statement rows) as JSON lines; returns the number of lines."""
    count = 0
    rows: Iterable[dict[str, Any]] = (
        (statement_dict(s) for s in statements if s.prop != Statement.BASE)
        if as_statements
        else entity_dicts(statements)
    )
    for row in rows:
        out.write(orjson.dumps(row))
        out.write(b"\n")
        count += 1
    return count
