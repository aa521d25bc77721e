"""Load FtM data into a test store: real files through the FtM reader, and small
cases written for the point as FtM entity dicts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from followthemoney.statement import Statement

from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.sources.base import add_value, make_entity
from dualtrace.sources.ftm import read_ftm
from dualtrace.store import Store


def ftm_statements(
    dataset: str, lines: Sequence[tuple[int, dict[str, Any]]], file: str
) -> Iterator[Statement]:
    for row, data in lines:
        entity = make_entity(dataset, data["schema"], data["id"])
        at = SourcePointer(file=file, row=row, doc_id=data.get("doc"))
        for prop, values in data.get("properties", {}).items():
            if entity.schema.get(prop) is None:
                continue
            for value in values:
                add_value(entity, prop, value, at)
        yield from entity.statements


def load_ftm_file(
    store: Store, path: Path, dataset: str = "zala", version: str = "2026-04-29"
) -> LoadReport:
    """A real FtM JSON lines file, read by ``dualtrace.sources.ftm.read_ftm``."""
    result = read_ftm(path, dataset=dataset, version=version)
    return store.load(result.dataset, result.version, result.statements(), result.report)


def load_entities(
    store: Store,
    entities: Sequence[dict[str, Any]],
    dataset: str = "case",
    version: str = "2026-01-01",
    kind: str = "ftm",
) -> LoadReport:
    report = LoadReport(dataset, version)
    info = DatasetInfo(name=dataset, title=dataset, kind=kind)
    lines = list(enumerate(entities, 1))
    return store.load(
        info, VersionInfo(version, "given"), ftm_statements(dataset, lines, "case"), report
    )
