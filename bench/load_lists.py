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
from typing import Any

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
# The other lists of issue 3, read through the list catalogue (name -> reader).
_CATALOGUE = "dualtrace.sources.list_catalog:read_named"
_STATIC = DATA / "opensanctions-static"
for _key, _name, _path, _desc in (
    ("ofac_cons", "ofac-cons", DATA / "ofac-consolidated/cons_prim.csv", "OFAC non-SDN CSV set"),
    (
        "ofac_xml",
        "ofac-cons-xml",
        DATA / "ofac-consolidated/CONS_ENHANCED.XML",
        "OFAC enhanced XML",
    ),
    ("us_csl", "us-csl", DATA / "us-csl/consolidated_csl.csv", "US CSL, 13 lists"),
    ("us_dpl", "us-bis-dpl", DATA / "us-csl/dpl_bis_denied_persons.txt", "BIS DPL txt"),
    ("jp_meti", "jp-meti-russia", _STATIC / "jp_meti_ru", "Japan METI, 3 PDF texts"),
    ("bis_mieu", "us-bis-mieu", _STATIC / "us_bis_mieu/mieu.csv", "BIS MIEU table"),
    ("dod_1260h", "us-dod-1260h", _STATIC / "us_dod_chinese_milcorps/sanctions.csv", "DoD 1260H"),
    ("cn_sanct", "cn-sanctions", _STATIC / "cn_sanctions/sanctions.csv", "China lists"),
    ("fincen_311", "us-fincen-311", _STATIC / "us_fincen_special_measures/details.csv", "FinCEN"),
):
    LISTS[_key] = (_desc, _CATALOGUE, {"name": _name, "path": str(_path)})

# The EU, UK and UN lists, read by their own readers (a file or a folder each).
for _key, _dotted, _path, _desc in (
    ("eu_journal", "eu:read_eu", DATA / "eu-journal", "EU Official Journal annexes, 56 acts"),
    ("eu_fsf", "eu:read_eu", DATA / "format-samples/sample_eu.xml", "EU FSF XML sample"),
    ("gb_fcdo", "uk:read_uk", DATA / "uk-transformed", "UK Sanctions List tables"),
    ("gb_hmt", "uk:read_uk", DATA / "format-samples/sample_hmt.csv", "OFSI CSV sample"),
    ("un_sc", "un:read_un", DATA / "un/UN_consolidated.xml", "UN consolidated XML"),
):
    LISTS[_key] = (_desc, f"dualtrace.sources.{_dotted}", {"path": str(_path)})


def _resolve(dotted: str) -> Callable[..., list[object]]:
    module, func = dotted.split(":")
    mod = __import__(module, fromlist=[func])
    return getattr(mod, func)  # type: ignore[no-any-return]


def run_one(name: str, engine: str, workdir: Path) -> dict[str, float]:
    """Measure one list with one engine in this (fresh) process; prints JSON."""
    from dualtrace.store import Store

    _desc, dotted, kwargs = LISTS[name]
    reader = _resolve(dotted)
    t0, c0 = time.perf_counter(), time.process_time()
    args = {k: Path(v) if k == "path" else v for k, v in kwargs.items()}
    results = reader(**args)
    statements = [(r, list(r.statements())) for r in results]  # type: ignore[attr-defined]
    t_read = time.perf_counter() - t0
    c_read = time.process_time() - c0
    n = sum(len(s) for _, s in statements)
    t1, c1 = time.perf_counter(), time.process_time()
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
    c_total = c_read + time.process_time() - c1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "read_s": t_read,
        "store_s": t_store,
        "cpu_s": c_total,
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


def _every_list() -> list[object]:
    """ReadResults for every list in ../shared/data/lists (all readers, all versions)."""
    from dualtrace.sources.eu import read_eu
    from dualtrace.sources.list_catalog import read_named
    from dualtrace.sources.ofac_sdn import read_ofac_sdn
    from dualtrace.sources.uk import read_uk
    from dualtrace.sources.un import read_un

    out: list[object] = list(read_ofac_sdn(DATA / "ofac-sdn"))
    for _desc, dotted, kwargs in list(LISTS.values())[1:]:
        assert dotted == _CATALOGUE
        out.extend(read_named(kwargs["name"], Path(kwargs["path"])))
    for path in sorted((DATA / "eu-journal").glob("*/*.csv")):
        out.extend(read_eu(path))
    out.extend(read_uk(DATA / "uk-transformed"))
    out.extend(read_un(DATA / "un"))
    return out


def run_all_and_merge(workdir: Path) -> dict[str, float]:
    """Every list into one store, then the cross-list merge; CPU and wall seconds."""
    from dualtrace.resolve.merge import resolve_lists
    from dualtrace.store import Store

    cpu0, wall0 = time.process_time(), time.perf_counter()
    datasets: set[str] = set()
    n = 0
    with Store.open(workdir / "all.duckdb") as store:
        for r in _every_list():
            store.load(r.dataset, r.version, r.statements(), r.report)  # type: ignore[attr-defined]
            datasets.add(r.dataset.name)  # type: ignore[attr-defined]
            n += r.report.statements  # type: ignore[attr-defined]
        cpu1, wall1 = time.process_time(), time.perf_counter()
        result = resolve_lists(store)
        cpu2, wall2 = time.process_time(), time.perf_counter()
        again = resolve_lists(store)  # a re-run after an update: name keys are cached
        cpu3 = time.process_time()
        groups = store.con.execute(
            "SELECT entity_ids FROM merge_decisions WHERE undone_at IS NULL AND method = 'auto'"
        ).fetchall()
    pairs = [(g[0][0], other) for g in groups for other in g[0][1:]]
    (workdir / "pairs.json").write_text(json.dumps(pairs))
    return {
        "datasets": len(datasets),
        "statements": n,
        "load_cpu_s": cpu1 - cpu0,
        "load_wall_s": wall1 - wall0,
        "merge_cpu_s": cpu2 - cpu1,
        "merge_wall_s": wall2 - wall1,
        "rerun_cpu_s": cpu3 - cpu2,
        "groups": result.decisions,
        "records": result.entities,
        "unchanged_on_rerun": again.unchanged,
        "pairs": len(pairs),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_resolver_anchor(workdir: Path, sample: int) -> dict[str, float]:
    """nomenklatura's Resolver recording the same merge pairs (a sample), pairs per second."""
    import os

    os.environ["NOMENKLATURA_DB_URL"] = f"sqlite:///{workdir / 'resolver.sqlite'}"
    from nomenklatura.db import make_session
    from nomenklatura.judgement import Judgement
    from nomenklatura.resolver import Resolver

    pairs = json.loads((workdir / "pairs.json").read_text())[:sample]
    cpu0 = time.process_time()
    with make_session() as session:
        resolver: Resolver[Any] = Resolver(session, create=True)
        for left, right in pairs:
            resolver.decide(left, right, Judgement.POSITIVE)
        session.commit()
    cpu = time.process_time() - cpu0
    return {"pairs": len(pairs), "cpu_s": cpu}


def _child_json(args: list[str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def merge_report(anchor_sample: int) -> None:
    """Print the all-lists load + merge figures beside nomenklatura's Resolver."""
    with tempfile.TemporaryDirectory() as tmp:
        m = _child_json(["--child-all", "--workdir", tmp])
        a = _child_json(["--child-anchor", str(anchor_sample), "--workdir", tmp])
    print()
    print(
        f"every list ({int(m['datasets'])} datasets, {int(m['statements']):,} statements) "
        "into one store, then merged across lists:"
    )
    print(f"  load  : {m['load_cpu_s']:7.1f} CPU s  ({m['load_wall_s']:.1f} s wall)")
    print(
        f"  merge : {m['merge_cpu_s']:7.1f} CPU s  ({m['merge_wall_s']:.1f} s wall), "
        f"{int(m['groups']):,} groups of {int(m['records']):,} records, "
        f"{int(m['pairs']):,} merge pairs"
    )
    print(
        f"  re-run: {m['rerun_cpu_s']:7.1f} CPU s  "
        f"({int(m['unchanged_on_rerun']):,} groups unchanged)"
    )
    print(
        f"  total : {m['load_cpu_s'] + m['merge_cpu_s']:7.1f} CPU s, peak {m['peak_mb']:.0f} MB "
        "(aim: < 30 s on 2 cores)"
    )
    ours = m["pairs"] / m["merge_cpu_s"] if m["merge_cpu_s"] else 0.0
    theirs = a["pairs"] / a["cpu_s"] if a["cpu_s"] else 0.0
    print(f"  {'recording merge pairs':<34} {'pairs/CPU s':>12}")
    print(f"  {'dualtrace (keys+clusters+decisions)':<34} {ours:>12,.0f}")
    print(
        f"  {'nomenklatura Resolver.decide':<34} {theirs:>12,.0f}  "
        f"(sample of {int(a['pairs']):,} pairs; decisions only, no key finding)"
    )
    if theirs:
        print(f"  ratio: dualtrace {ours / theirs:.1f}x the anchor's pairs per CPU second")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", help="only these lists")
    ap.add_argument("--no-anchor", action="store_true", help="skip nomenklatura's SQLStore")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="dualtrace", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    ap.add_argument("--child-all", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--child-anchor", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--no-merge", action="store_true", help="skip the all-lists merge step")
    ap.add_argument("--anchor-pairs", type=int, default=2000, help="resolver anchor sample")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.engine, Path(args.workdir))))
        return
    if args.child_all:
        print(json.dumps(run_all_and_merge(Path(args.workdir))))
        return
    if args.child_anchor is not None:
        print(json.dumps(run_resolver_anchor(Path(args.workdir), args.child_anchor)))
        return
    names = args.only or list(LISTS)
    header = (
        f"{'list':<12} {'engine':<22} {'read s':>7} {'store s':>8} {'total s':>8} "
        f"{'CPU s':>7} {'stmts':>9} {'stmts/s':>9} {'peak MB':>8} {'size MB':>8}"
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
                f"{m.get('cpu_s', 0.0):>7.2f} "
                f"{int(m['statements']):>9,} {m['statements'] / total:>9,.0f} "
                f"{m['peak_mb']:>8.0f} {m['size_mb']:>8.1f}"
            )
        if "nomenklatura" in rows:
            ratio = rows["nomenklatura"]["store_s"] / rows["dualtrace"]["store_s"]
            print(f"{'':<12} store step: dualtrace is {ratio:.1f}x the anchor's speed")
    print("-" * len(header))
    print(f"all lists, dualtrace total: {totals['dualtrace']:.1f} s (aim: SDN < 10 s, < 1 GB)")
    if not args.no_merge and not args.only:
        merge_report(args.anchor_pairs)


if __name__ == "__main__":
    main()
