"""Benchmark: EU, UK and UN lists read and loaded end to end, beside a raw-parse anchor.

For each list in ../shared/data/lists this runs, in a fresh child process (so peak
memory is that list's own):

* anchor: the bare parse of the same files into records with the standard tools
  (``csv.DictReader`` / ``lxml.etree.parse``), no mapping, no store: the floor any
  reader pays;
* ours: the dualtrace reader (records -> FtM entities with a source pointer on every
  statement, dates, checked registry ids) and ``Store.load`` into a new DuckDB file
  (one transaction per dataset version).

Prints one table: records, entities, statements, anchor seconds, our read and store
seconds, the ratio of our end-to-end time to the anchor, and peak RSS. Times are CPU
seconds of the child process (all threads): the benchmark machine is shared, and wall
time there measures the neighbours; the wall time of the whole run is printed too.
Usage: ``.venv/bin/python bench/load_lists_eu_uk_un.py``.
"""

from __future__ import annotations

import csv
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from dualtrace.sources.base import ReadResult
from dualtrace.sources.eu import read_eu
from dualtrace.sources.uk import read_uk
from dualtrace.sources.un import read_un
from dualtrace.store import Store

ROOT = Path(__file__).resolve().parents[1]
LISTS = (ROOT.parent / "shared" / "data" / "lists").resolve()

Reader = Callable[[Path], list[ReadResult]]
CASES: tuple[tuple[str, str, Path], ...] = (
    ("EU journal (all acts + amendments)", "eu", LISTS / "eu-journal"),
    ("EU FSF XML sample", "eu", LISTS / "format-samples" / "sample_eu.xml"),
    ("UK FCDO tables", "uk", LISTS / "uk-transformed"),
    ("UK OFSI CSV sample", "uk", LISTS / "format-samples" / "sample_hmt.csv"),
    ("UN consolidated XML", "un", LISTS / "un" / "UN_consolidated.xml"),
)
READERS: dict[str, Reader] = {"eu": read_eu, "uk": read_uk, "un": read_un}


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix.lower() in (".csv", ".xml"))


def raw_parse(path: Path) -> int:
    """The anchor: records parsed by the standard tools, nothing else."""
    records = 0
    for file in _files(path):
        if file.suffix.lower() == ".xml":
            root = etree.parse(str(file), etree.XMLParser(resolve_entities=False)).getroot()
            records += (
                sum(len(section) for section in root)
                if root.tag == "CONSOLIDATED_LIST"
                else len(root)
            )
        else:
            with file.open(encoding="utf-8", newline="") as fh:
                records += sum(1 for _ in csv.DictReader(fh))
    return records


def _run(kind: str, path: Path, out: Any) -> None:
    """Child process: anchor, then our read and store, then report peak RSS."""
    # Warm the territory and script tables every reader shares, outside the timings.
    from followthemoney import registry

    registry.country.clean("Russia")
    started = time.process_time()
    records = raw_parse(path)
    anchor = time.process_time() - started

    started = time.process_time()
    results = READERS[kind](path)
    entity_lists = [list(r.entities) for r in results]
    read = time.process_time() - started

    entities = statements = 0
    started = time.process_time()
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "bench.duckdb") as store:
        for result, ents in zip(results, entity_lists, strict=True):
            stmts = (s for e in ents for s in e.statements)
            report = store.load(result.dataset, result.version, stmts, result.report)
            entities += report.entities
            statements += report.statements
    load = time.process_time() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send((len(results), records, entities, statements, anchor, read, load, peak_mb))


def main() -> None:
    ctx = mp.get_context("spawn")
    wall = time.perf_counter()
    header = (
        f"{'list':38} {'datasets':>8} {'records':>8} {'entities':>9} {'statements':>11} "
        f"{'anchor s':>9} {'read s':>7} {'store s':>8} {'ours/anchor':>12} {'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    totals = [0.0, 0.0, 0.0]
    for label, kind, path in CASES:
        if not path.exists():
            print(f"{label:38} missing: {path}", file=sys.stderr)
            continue
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_run, args=(kind, path, child))
        proc.start()
        datasets, records, entities, statements, anchor, read, load, peak = parent.recv()
        proc.join()
        totals[0] += anchor
        totals[1] += read
        totals[2] += load
        ratio = (read + load) / anchor if anchor else float("nan")
        print(
            f"{label:38} {datasets:>8} {records:>8,} {entities:>9,} {statements:>11,} "
            f"{anchor:>9.2f} {read:>7.2f} {load:>8.2f} {ratio:>11.1f}x {peak:>8.0f}"
        )
    print("-" * len(header))
    end_to_end = totals[1] + totals[2]
    print(
        f"{'all EU/UK/UN lists':38} {'':>8} {'':>8} {'':>9} {'':>11} "
        f"{totals[0]:>9.2f} {totals[1]:>7.2f} {totals[2]:>8.2f} "
        f"{end_to_end / totals[0] if totals[0] else float('nan'):>11.1f}x"
    )
    print(
        f"\nend to end (read + store) for these lists: {end_to_end:.1f} CPU s; "
        f"wall time of this run {time.perf_counter() - wall:.0f} s "
        "(includes the anchors and process start-up)"
    )


if __name__ == "__main__":
    main()
