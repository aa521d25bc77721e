"""Screening quality: dualtrace beside nomenklatura logic-v1 and logic-v2 on the same pairs.

Sets (all real data from ../shared/data):

1. yente screening bench (matching/yente-screening-bench): UN-listed persons as
   positives, raw ("untreated") and perturbed ("treated"), and the first N synthetic
   non-matching persons of each negatives file. Truth for a positive: the UN list
   entity whose name is exactly the untreated row's name.
2. watchman cross-script pairs (matching/watchman-cross-script): 25 name pairs in
   Arabic, Cyrillic, Han, Hangul, Kana, Greek and Hebrew against Latin; and the EU
   DPRK regime's Hangul names, each against the same entity's Latin names.
3. Held-out from the lists: every EU journal entity with a Cyrillic or Han name and a
   check-digit-valid identifier (INN, OGRN, USCC, IMO) shared with an OFAC/UK/UN
   entity. Query: that other-script name alone; candidates: non-EU lists only; truth:
   the entities sharing the identifier.

nomenklatura has no candidate index of its own (yente uses Elasticsearch), so both
of its algorithms score exactly the candidates our index retrieves, plus the truth
entities; differences are therefore in scoring, and our retrieval misses hurt all three.

Metrics per query at the threshold (0.7 for all, as yente's default): TP = the truth
entity is matched; FP = a query with matches but none of them true (or any match for a
negative); precision, recall, F1; recall@1 = the truth entity ranks first.

    .venv/bin/python bench/screening_quality.py [--negatives 2000] [--anchor-negatives N]
        [--store PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from followthemoney import model
from followthemoney.proxy import EntityProxy
from nomenklatura.matching import LogicV1, LogicV2

import dualtrace
from bench.screening_corpus import DATA, DEFAULT_STORE, ensure_bench_store, person_query, read_rows
from dualtrace.names.hangul import has_hangul
from dualtrace.names.romanize import has_cyrillic, has_han
from dualtrace.resolve.index import ScreeningIndex, load_or_build
from dualtrace.resolve.records import Record
from dualtrace.store import Store

THRESHOLD = 0.7
MATCHERS = ("dualtrace", "logic-v1", "logic-v2")
ALGOS = {"logic-v1": LogicV1, "logic-v2": LogicV2}
_QUERY_IDS = [0]


@dataclass
class Tally:
    positives: int = 0
    tp: int = 0
    fp: int = 0
    top1: int = 0
    scored_pairs: int = 0
    seconds: float = 0.0
    # dualtrace's false positives on negatives, for --show-false-positives
    false_positives: list[str] = field(default_factory=list)

    def row(self) -> dict[str, str]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / self.positives if self.positives else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        r1 = self.top1 / self.positives if self.positives else 0.0
        return {"P": f"{p:.3f}", "R": f"{r:.3f}", "F1": f"{f1:.3f}", "R@1": f"{r1:.3f}",
                "FP": str(self.fp) if self.fp >= 0 else "-"}  # fmt: skip


@dataclass
class Query:
    data: dict[str, Any]
    truth: set[str] = field(default_factory=set)
    datasets: frozenset[str] | None = None


def _proxy(rec_or_data: Record | dict[str, Any], cache: dict[str, EntityProxy]) -> EntityProxy:
    if isinstance(rec_or_data, Record):
        key = rec_or_data.id
        if key in cache:
            return cache[key]
        schema, props, eid = rec_or_data.schema_name, rec_or_data.properties, rec_or_data.id
    else:
        # unique ids: logic-v2 caches name analysis per entity id
        _QUERY_IDS[0] += 1
        schema, props = rec_or_data["schema"], rec_or_data["properties"]
        eid = f"query-{_QUERY_IDS[0]}"
    ent = model.make_entity(schema)
    ent.id = eid
    for prop, values in props.items():
        if ent.schema.get(prop) is not None:
            ent.add(prop, values, quiet=True)
    if isinstance(rec_or_data, Record):
        cache[eid] = ent
    return ent


def run(
    index: ScreeningIndex,
    queries: Iterable[Query],
    tallies: dict[str, Tally],
    positive: bool,
    anchors: bool = True,
) -> None:
    cache: dict[str, EntityProxy] = {}
    for q in queries:
        rec = index.query_record(q.data)
        started = time.process_time()
        results = index.match(rec, limit=10, cutoff=0.0, datasets=q.datasets)
        tallies["dualtrace"].seconds += time.process_time() - started
        ours = [(r.record.id, r.score.score) for r in results]
        cands = {i for i in index.candidates(rec, datasets=q.datasets)}
        cand_recs = [index.records[i] for i in cands]
        cand_recs += [index.records[index.by_id[t]] for t in q.truth if t in index.by_id]
        qproxy = _proxy(q.data, cache)
        scored: dict[str, list[tuple[str, float]]] = {"dualtrace": ours}
        for name, algo in ALGOS.items() if anchors else ():
            cfg = algo.default_config()
            started = time.process_time()
            pairs = []
            for c in {r.id: r for r in cand_recs}.values():
                pairs.append((c.id, algo.compare(qproxy, _proxy(c, cache), cfg).score))
            tallies[name].seconds += time.process_time() - started
            tallies[name].scored_pairs += len(pairs)
            pairs.sort(key=lambda p: -p[1])
            scored[name] = pairs
        for name, pairs in scored.items():
            t = tallies[name]
            matched = {eid for eid, s in pairs if s >= THRESHOLD}
            if positive:
                t.positives += 1
                if matched & q.truth:
                    t.tp += 1
                elif matched:
                    t.fp += 1
                if pairs and pairs[0][0] in q.truth and pairs[0][1] > 0:
                    t.top1 += 1
            elif matched:
                t.fp += 1
                if name == "dualtrace":
                    top = results[0]
                    nf = next(f for f in top.score.features if f.name == "name_match")
                    t.false_positives.append(
                        f"{top.score.score:.3f} {top.record.id} ({top.record.caption}): {nf.detail}"
                    )


def yente_bench(
    index: ScreeningIndex, negatives: int, anchor_negatives: int | None = None
) -> dict[str, dict[str, Tally]]:
    folder = DATA / "matching" / "yente-screening-bench"
    # The same person is often on several lists (not merged yet): any list's record
    # carrying the exact name counts as the right answer.
    by_name: dict[str, set[str]] = {}
    for r in index.records:
        for n in r.properties.get("name", []) + r.properties.get("alias", []):
            by_name.setdefault(n.casefold().strip(), set()).add(r.id)
    untreated = read_rows(folder / "positives_un_untreated.csv")
    treated = read_rows(folder / "positives_un_treated.csv")
    out: dict[str, dict[str, Tally]] = {}
    for label, rows in (("UN positives, untreated", untreated), ("UN positives, treated", treated)):
        tallies = {m: Tally() for m in MATCHERS}
        qs = []
        for raw, row in zip(untreated, rows, strict=False):
            truth = by_name.get(raw["full_name"].casefold().strip(), set())
            if truth:
                qs.append(Query(person_query(row), truth))
        run(index, qs, tallies, positive=True)
        out[label] = tallies
    # nomenklatura is slow on 50,000 negatives: it may score a leading share of them
    # while dualtrace screens them all (two rows in the table)
    shared = negatives if anchor_negatives is None else min(anchor_negatives, negatives)
    tallies = {m: Tally() for m in MATCHERS}
    rest = {m: Tally() for m in MATCHERS}
    for fname in ("negatives_global.csv", "negatives_us.csv"):
        rows = read_rows(folder / fname, negatives)
        run(index, [Query(person_query(r)) for r in rows[:shared]], tallies, positive=False)
        run(index, [Query(person_query(r)) for r in rows[shared:]], rest, False, anchors=False)
    out[f"negatives ({2 * shared:,} persons)"] = tallies
    if shared < negatives:
        rest["dualtrace"].fp += tallies["dualtrace"].fp
        rest["dualtrace"].seconds += tallies["dualtrace"].seconds
        rest["dualtrace"].false_positives[:0] = tallies["dualtrace"].false_positives
        for m in ALGOS:
            rest[m].fp = -1
        out[f"negatives ({2 * negatives:,} persons, dualtrace only)"] = rest
    return out


def pair_bench(pairs: Iterable[tuple[str, str, list[str]]]) -> dict[str, Tally]:
    """Score (schema, query name, candidate names) pairs one by one, without an index."""
    tallies = {m: Tally() for m in MATCHERS}
    cache: dict[str, EntityProxy] = {}
    for schema, query, expected in pairs:
        q = {"schema": schema, "properties": {"name": [query]}}
        c = {"schema": schema, "properties": {"name": expected}}
        scores = {"dualtrace": dualtrace.score_pair(q, c).score}
        for name, algo in ALGOS.items():
            # fresh proxies with unique ids: logic-v2 caches name analysis per entity id
            qp = _proxy(q, cache)
            cp = _proxy(c, cache)
            scores[name] = algo.compare(qp, cp, algo.default_config()).score
        for name, s in scores.items():
            tallies[name].positives += 1
            if s >= THRESHOLD:
                tallies[name].tp += 1
                tallies[name].top1 += 1
    return tallies


def watchman_bench() -> dict[str, Tally]:
    path = DATA / "matching" / "watchman-cross-script" / "cross_script_pairs.csv"
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, expected = line.split(",")[:2]
        pairs.append(("Person", query, [expected]))
    return pair_bench(pairs)


def hangul_bench(index: ScreeningIndex) -> dict[str, Tally]:
    """Each EU (DPRK regime) entity's Hangul name against the same entity's Latin names.

    The lists give these names side by side, so they are real cross-script pairs;
    the entity's own Latin names are the candidate (it is not an index search).
    """
    pairs = []
    for r in index.records:
        names = r.properties.get("name", []) + r.properties.get("alias", [])
        latin = [n for n in names if not has_hangul(n)]
        for n in names:
            if has_hangul(n) and latin:
                pairs.append((r.schema_name, n, latin))
    return pair_bench(pairs)


def heldout_bench(index: ScreeningIndex) -> dict[str, Tally]:
    by_ident: dict[str, set[str]] = {}
    for r in index.records:
        if any(d.startswith("eu") for d in r.datasets):
            continue
        for ident in r.identifiers:
            if ident.validated:
                by_ident.setdefault(ident.value, set()).add(r.id)
    others = frozenset(d for d in index.datasets if not d.startswith("eu"))
    qs = []
    seen: set[tuple[str, str]] = set()
    for r in index.records:
        if not any(d.startswith("eu") for d in r.datasets):
            continue
        truth: set[str] = set()
        for ident in r.identifiers:
            if ident.validated:
                truth |= by_ident.get(ident.value, set())
        if not truth:
            continue
        names = r.properties.get("name", []) + r.properties.get("alias", [])
        for n in names:
            if (has_cyrillic(n) or has_han(n)) and (n, r.schema_name) not in seen:
                seen.add((n, r.schema_name))
                query = {"schema": r.schema_name, "properties": {"name": [n]}}
                qs.append(Query(query, truth, others))
    tallies = {m: Tally() for m in MATCHERS}
    run(index, qs, tallies, positive=True)
    return tallies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--negatives", type=int, default=2000, help="rows per negatives file")
    parser.add_argument(
        "--anchor-negatives",
        type=int,
        default=None,
        help="rows per negatives file nomenklatura also scores (default: all of --negatives)",
    )
    parser.add_argument(
        "--show-false-positives",
        action="store_true",
        help="list dualtrace's false positives on the negatives (query, match, name detail)",
    )
    args = parser.parse_args()
    store_path = ensure_bench_store(args.store)
    started = time.monotonic()
    with Store.open(store_path, read_only=True) as store:
        index = load_or_build(store, cache=False)
    print(f"index: {len(index):,} entities, {len(index.acronyms):,} learned acronym expansions, "
          f"{len(index.acronyms.translations.translate):,} learned word translations, "
          f"built in {time.monotonic() - started:.1f} s")  # fmt: skip
    sections: dict[str, dict[str, Tally]] = {}
    sections.update(yente_bench(index, args.negatives, args.anchor_negatives))
    sections["watchman cross-script pairs"] = watchman_bench()
    sections["EU Hangul names vs their Latin names"] = hangul_bench(index)
    sections["held-out: EU Cyrillic/Han names vs OFAC/UK/UN"] = heldout_bench(index)
    header = f"{'set':<48} {'metric':<6} " + " ".join(f"{m:>10}" for m in MATCHERS)
    print(header)
    print("-" * len(header))
    for label, tallies in sections.items():
        rows = {m: tallies[m].row() for m in MATCHERS}
        n = tallies["dualtrace"].positives
        for metric in ("P", "R", "F1", "R@1", "FP"):
            if metric != "FP" and n == 0:
                continue
            print(f"{label if metric == 'P' or n == 0 else '':<48} {metric:<6} "
                  + " ".join(f"{rows[m][metric]:>10}" for m in MATCHERS))  # fmt: skip
        print(f"{'':<48} {'n':<6} {n:>10}")
    print()
    if args.show_false_positives:
        # the last negatives section holds them all (the first is its nomenklatura share)
        label = [k for k in sections if k.startswith("negatives")][-1]
        print(f"dualtrace false positives, {label}:")
        for line in sections[label]["dualtrace"].false_positives:
            print(f"  {line}")
        print()
    print("CPU seconds spent scoring (dualtrace includes retrieval; nomenklatura scores "
          "the retrieved candidates):")  # fmt: skip
    for m in MATCHERS:
        secs = sum(t[m].seconds for t in sections.values())
        pairs = sum(t[m].scored_pairs for t in sections.values())
        print(f"  {m:<10} {secs:8.1f} s" + (f"  ({pairs / secs:,.0f} pairs/s)" if pairs else ""))


if __name__ == "__main__":
    main()
