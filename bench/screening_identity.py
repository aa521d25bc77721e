"""Screening results identity: dump every quality-set query's results, or compare two dumps.

Speed work on the matcher must not change what it returns. This script runs the
quality sets' queries (bench/screening_quality.py: UN positives untreated and treated,
the first N rows of both negatives files, the EU Cyrillic/Han held-out names) through
``ScreeningIndex.match`` under the settings the interfaces use -- ``limit=10,
cutoff=0`` (quality bench), ``limit=5, cutoff=0.5`` (``POST /match`` defaults) and
``limit=1, cutoff=0`` (batch screening), ``limit=10, cutoff=0`` over 50 candidates of
any schema (``GET /search``) -- and writes each query's (entity id, score,
match) lists to a JSON file, with the CPU seconds spent in ``match``.

Run it once with the code before a change and once after, on one frozen index (a
pickle written by ``--freeze``, so both runs see the same entities and learned
tables), then ``--compare`` the two dumps:

    .venv/bin/python bench/screening_identity.py --freeze /tmp/index.pickle
    .venv/bin/python bench/screening_identity.py --index /tmp/index.pickle -o after.json
    .venv/bin/python bench/screening_identity.py --compare before.json after.json
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson

from bench.screening_corpus import (
    DATA,
    DEFAULT_STORE,
    ensure_bench_store,
    person_query,
    read_rows,
)
from dualtrace.names.romanize import has_cyrillic, has_han
from dualtrace.resolve.index import CANDIDATES, ScreeningIndex
from dualtrace.store import Store

# (label, limit, cutoff, candidates, check_schema) as the quality bench, POST /match,
# batch screening and GET /search (50 candidates, any schema) call match
SETTINGS: tuple[tuple[str, int, float, int, bool], ...] = (
    ("limit10", 10, 0.0, CANDIDATES, True),
    ("api5", 5, 0.5, CANDIDATES, True),
    ("batch1", 1, 0.0, CANDIDATES, True),
    ("search10", 10, 0.0, 50, False),
)


def quality_queries(
    index: ScreeningIndex, negatives: int
) -> list[tuple[dict[str, Any], frozenset[str] | None]]:
    """The quality sets' queries, each with the datasets it is screened against."""
    folder = DATA / "matching" / "yente-screening-bench"
    out: list[tuple[dict[str, Any], frozenset[str] | None]] = []
    for fname in ("positives_un_untreated.csv", "positives_un_treated.csv"):
        out += [(person_query(r), None) for r in read_rows(folder / fname)]
    for fname in ("negatives_global.csv", "negatives_us.csv"):
        out += [(person_query(r), None) for r in read_rows(folder / fname, negatives)]
    others = frozenset(d for d in index.datasets if not d.startswith("eu"))
    seen: set[tuple[str, str]] = set()
    for r in index.records:
        if not any(d.startswith("eu") for d in r.datasets):
            continue
        for n in r.properties.get("name", []) + r.properties.get("alias", []):
            if (has_cyrillic(n) or has_han(n)) and (n, r.schema_name) not in seen:
                seen.add((n, r.schema_name))
                out.append(({"schema": r.schema_name, "properties": {"name": [n]}}, others))
    return out


def dump(index: ScreeningIndex, negatives: int, labels: set[str]) -> dict[str, Any]:
    queries = quality_queries(index, negatives)
    settings = [s for s in SETTINGS if s[0] in labels]
    results: dict[str, list[list[list[Any]]]] = {s[0]: [] for s in settings}
    seconds: dict[str, float] = {}
    for label, limit, cutoff, candidates, check_schema in settings:
        started = time.process_time()
        for data, datasets in queries:
            rec = index.query_record(data)
            found = index.match(
                rec,
                limit=limit,
                cutoff=cutoff,
                datasets=datasets,
                candidates=candidates,
                check_schema=check_schema,
            )
            results[label].append([[r.record.id, r.score.score, r.score.match] for r in found])
        seconds[label] = time.process_time() - started
    return {"queries": len(queries), "seconds": seconds, "results": results}


def compare(a_path: Path, b_path: Path) -> int:
    a = orjson.loads(a_path.read_bytes())
    b = orjson.loads(b_path.read_bytes())
    if a["queries"] != b["queries"]:
        print(f"different query counts: {a['queries']} vs {b['queries']}")
        return 1
    bad = 0
    for label in (s[0] for s in SETTINGS):
        if label not in a["results"] or label not in b["results"]:
            continue
        pairs = zip(a["results"][label], b["results"][label], strict=True)
        diffs = [i for i, (x, y) in enumerate(pairs) if x != y]
        sa, sb = a["seconds"][label], b["seconds"][label]
        print(
            f"{label:<8} {a['queries']:,} queries: {len(diffs)} differ; "
            f"match() CPU s {sa:.1f} -> {sb:.1f} ({sa / sb:.2f}x)"
        )
        for i in diffs[:5]:
            print(f"  query {i}: {a['results'][label][i]} vs {b['results'][label][i]}")
        bad += len(diffs)
    return 1 if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--freeze", type=Path, help="build the index and pickle it here")
    parser.add_argument("--index", type=Path, help="a pickled index from --freeze")
    parser.add_argument("--negatives", type=int, default=2000, help="rows per negatives file")
    parser.add_argument("-o", "--output", type=Path, help="write the results dump here")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    parser.add_argument(
        "--settings",
        default=",".join(s[0] for s in SETTINGS),
        help="comma-separated settings to dump (default: all)",
    )
    args = parser.parse_args()
    if args.compare:
        raise SystemExit(compare(*args.compare))
    if args.index:
        with args.index.open("rb") as fh:
            index = pickle.load(fh)
    else:
        with Store.open(ensure_bench_store(args.store), read_only=True) as store:
            index = ScreeningIndex.from_store(store)
    if args.freeze:
        with args.freeze.open("wb") as fh:
            pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        print(f"index of {len(index):,} entities written to {args.freeze}")
    if args.output:
        out = dump(index, args.negatives, set(args.settings.split(",")))
        args.output.write_bytes(orjson.dumps(out))
        secs = ", ".join(f"{k} {v:.1f}" for k, v in out["seconds"].items())
        print(f"{out['queries']:,} queries -> {args.output} (match() CPU s: {secs})")


if __name__ == "__main__":
    main()
