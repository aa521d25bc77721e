"""Benchmark: loading sanctions lists into the store.

For each list: time to read (parse + map to FtM statements), time to store (one
DuckDB transaction), peak memory (max RSS of a fresh process per list), statements per
second and store size. The anchor is nomenklatura's SQLStore (OpenSanctions' own
statement store, SQLite) writing the very same statements in the same run, so the
store step is compared like for like.

Run: .venv/bin/python bench/load_lists.py [--only NAME] [--no-anchor]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "lists"

# name -> (description, function returning a list of ReadResult). Each list's reader
# module registers here; the function is looked up by dotted path in the child process.
LISTS: dict[str, tuple[str, str, dict[str, str]]] = {
    "ofac_sdn": (
        "OFAC SDN CSV set, 2024-05-03 primary + 2025-12-24 aliases/addresses",
        "dualtrace.sources.ofac_sdn:read_ofac_sdn",
        {"path": str(DATA / "ofac-sdn" / "sdn_2024-05-03.csv")},
    ),
}


def _resolve(dotted: str) -> Callable[..., list[object]]:
    module, func = dotted.split(":")
    mod = __import__(module, fromlist=[func])
    return getattr(mod, func)  # type: ignore[no-any-return]


def run_one(name: str, engine: str, workdir: Path) -> dict[str, float]:
    """Measure one list with one engine in this (fresh) process; prints JSON."""
    from dualtrace.store import Store

    _desc, dotted, kwargs = LISTS[name]
    reader = _resolve(dotted)
    t0 = time.perf_counter()
    args = {k: Path(v) if k == "path" else v for k, v in kwargs.items()}
    results = reader(**args)
    statements = [(r, list(r.statements())) for r in results]  # type: ignore[attr-defined]
    t_read = time.perf_counter() - t0
    n = sum(len(s) for _, s in statements)
    t1 = time.perf_counter()
    if engine == "dualtrace":
        path = workdir / f"{name}.duckdb"
        with Store.open(path) as store:
            for r, stmts in statements:
                store.load(r.dataset, r.version, iter(stmts), r.report)  # type: ignore[attr-defined]
        size = path.stat().st_size + sum(
            p.stat().st_size for p in workdir.glob(f"{name}.duckdb.wal")
        )
    else:
        from followthemoney.dataset import Dataset
        from nomenklatura.resolver import Linker
        from nomenklatura.store.sql import SQLStore
        from sqlalchemy import create_engine

        path = workdir / f"{name}.sqlite"
        engine_ = create_engine(f"sqlite:///{path}")
        store = SQLStore(Dataset.make({"name": name, "title": name}), Linker({}), engine_)
        with store.writer() as writer:
            for _r, stmts in statements:
                for stmt in stmts:
                    writer.add_statement(stmt)
        engine_.dispose()
        size = path.stat().st_size
    t_store = time.perf_counter() - t1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "read_s": t_read,
        "store_s": t_store,
        "statements": n,
        "peak_mb": peak_mb,
        "size_mb": size / 1e6,
    }


def measure(name: str, engine: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, __file__, "--child", name, "--engine", engine, "--workdir", tmp],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", help="only these lists")
    ap.add_argument("--no-anchor", action="store_true", help="skip nomenklatura's SQLStore")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="dualtrace", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.engine, Path(args.workdir))))
        return
    names = args.only or list(LISTS)
    header = (
        f"{'list':<12} {'engine':<22} {'read s':>7} {'store s':>8} {'total s':>8} "
        f"{'stmts':>9} {'stmts/s':>9} {'peak MB':>8} {'size MB':>8}"
    )
    print(header)
    print("-" * len(header))
    totals = {"dualtrace": 0.0, "nomenklatura": 0.0}
    for name in names:
        rows = {"dualtrace": measure(name, "dualtrace")}
        if not args.no_anchor:
            rows["nomenklatura"] = measure(name, "nomenklatura")
        for engine, m in rows.items():
            total = m["read_s"] + m["store_s"]
            totals[engine] += total
            label = "dualtrace (DuckDB)" if engine == "dualtrace" else "nomenklatura SQLStore"
            print(
                f"{name:<12} {label:<22} {m['read_s']:>7.2f} {m['store_s']:>8.2f} {total:>8.2f} "
                f"{int(m['statements']):>9,} {m['statements'] / total:>9,.0f} "
                f"{m['peak_mb']:>8.0f} {m['size_mb']:>8.1f}"
            )
        if "nomenklatura" in rows:
            ratio = rows["nomenklatura"]["store_s"] / rows["dualtrace"]["store_s"]
            print(f"{'':<12} store step: dualtrace is {ratio:.1f}x the anchor's speed")
    print("-" * len(header))
    print(f"all lists, dualtrace total: {totals['dualtrace']:.1f} s (aim: SDN < 10 s, < 1 GB)")


if __name__ == "__main__":
    main()
