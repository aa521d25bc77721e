"""Load FtM JSON lines into a test store (until ``dualtrace load ftm`` lands).

Each line becomes statements with the line number as its source row; the file is the
real data named by the caller, never rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from followthemoney.statement import Statement

from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.sources.base import add_value, make_entity
from dualtrace.store import Store


def ftm_statements(
    dataset: str, lines: Sequence[tuple[int, dict[str, Any]]], file: str
) -> Iterator[Statement]:
    for row, data in lines:
        entity = make_entity(dataset, data["schema"], data["id"])
        at = SourcePointer(file=file, row=row)
        for prop, values in data.get("properties", {}).items():
            if entity.schema.get(prop) is None:
                continue
            for value in values:
                add_value(entity, prop, value, at)
        yield from entity.statements


def load_ftm_file(
    store: Store, path: Path, dataset: str = "zala", version: str = "2026-04-29", kind: str = "ftm"
) -> LoadReport:
    lines = [
        (n, json.loads(line))
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if line.strip()
    ]
    report = LoadReport(dataset, version)
    info = DatasetInfo(name=dataset, title=dataset, kind=kind)
    return store.load(
        info, VersionInfo(version, "given"), ftm_statements(dataset, lines, path.name), report
    )


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
