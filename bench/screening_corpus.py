"""The store both screening benchmarks run against: every list we can read, loaded once.

Loads the OFAC SDN (both publications; the 2024 one is in force), the EU Official
Journal annexes, the UN consolidated list and the UK FCDO tables from
../shared/data/lists with the project's own readers. The store is reused between runs
(delete it to rebuild).
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dualtrace.sources.base import ReadResult
from dualtrace.sources.eu import read_eu
from dualtrace.sources.ofac_sdn import read_ofac_sdn
from dualtrace.sources.uk import read_uk
from dualtrace.sources.un import read_un
from dualtrace.store import Store

ROOT = Path(__file__).resolve().parents[1]
DATA = (ROOT.parent / "shared" / "data").resolve()
DEFAULT_STORE = Path("/tmp/dualtrace-bench-screening.duckdb")

READERS: Sequence[tuple[str, Callable[[Path], list[ReadResult]], Path]] = (
    ("OFAC SDN", read_ofac_sdn, DATA / "lists" / "ofac-sdn"),
    ("EU journal", read_eu, DATA / "lists" / "eu-journal" / "consolidated"),
    ("UN", read_un, DATA / "lists" / "un" / "UN_consolidated.xml"),
    ("UK FCDO", read_uk, DATA / "lists" / "uk-transformed"),
)


def ensure_bench_store(path: Path = DEFAULT_STORE) -> Path:
    """Load every list into ``path`` unless it is already there."""
    if path.exists():
        return path
    tmp = path.with_suffix(".loading")
    if tmp.exists():
        tmp.unlink()
    with Store.open(tmp) as store:
        for label, reader, src in READERS:
            started = time.monotonic()
            try:
                results = reader(src)
            except Exception as exc:
                print(f"  skipped {label}: {exc}", file=sys.stderr)
                continue
            for res in results:
                store.load(res.dataset, res.version, res.statements(), res.report)
            print(f"  loaded {label} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    tmp.rename(path)
    return path


if __name__ == "__main__":
    print(ensure_bench_store())


def read_rows(path: Path, limit: int | None = None) -> list[dict[str, str]]:
    """The first ``limit`` rows (all if None) of one of the matching benchmark's CSV files."""
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))[: limit or None]


def person_query(row: dict[str, str], nationality: bool = True) -> dict[str, Any]:
    """A yente benchmark row (full_name, date_of_birth, nationality) as an FtM Person query.

    Shared so every screening benchmark asks the same question of each row.
    """
    props: dict[str, list[str]] = {"name": [row["full_name"]]}
    if row.get("date_of_birth"):
        props["birthDate"] = [row["date_of_birth"]]
    if nationality and row.get("nationality"):
        props["nationality"] = [row["nationality"].lower()]
    return {"schema": "Person", "properties": props}
