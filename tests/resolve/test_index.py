"""Index building from the store and retrieval under spelling damage."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from dualtrace.resolve import ScreeningIndex
from dualtrace.resolve.index import load_or_build, store_signature
from dualtrace.resolve.records import Record
from dualtrace.store import Store
from tests.resolve.test_must_hold import KUPOL, REDLEPUS, VEKTOR


def _top_ids(index: ScreeningIndex, name: str, n: int = 2) -> set[str]:
    query = index.query_record({"schema": "LegalEntity", "properties": {"name": [name]}})
    return {r.record.id for r in index.match(query, limit=n)}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Izhevsk Elektromechanikal Plant Kupoll", KUPOL),  # typos
        ("Kupol Izhevsk Electromechanical Plant", KUPOL),  # word order
        ("Izhevskiy Elektromekhanicheskiy Zavod Kupol", KUPOL),  # other romanisation, no form
        ("ИЭМЗ Купол", KUPOL),  # acronym, no legal form
        ("Red lepus TSK Vektor Industrial Shen zhen", REDLEPUS),  # segmentation
        ("Вектор ТСК", VEKTOR),  # Cyrillic, reversed
    ],
)
def test_retrieval_is_robust(corpus_index: ScreeningIndex, name: str, expected: set[str]) -> None:
    assert _top_ids(corpus_index, name) & expected


def test_index_covers_all_loaded_lists(corpus_index: ScreeningIndex) -> None:
    assert {"ofac_sdn", "eu_32014r0269", "eu_32014r0833"} <= corpus_index.datasets
    assert all(r.schema_name != "Address" for r in corpus_index.records)
    assert len(corpus_index.acronyms) > 0


def test_dataset_filter(corpus_index: ScreeningIndex) -> None:
    query = corpus_index.query_record({"schema": "Company", "properties": {"name": ["TSK Vektor"]}})
    only_eu = corpus_index.match(query, datasets=frozenset({"eu_32014r0833"}))
    assert only_eu and all("eu_32014r0833" in r.record.datasets for r in only_eu)


def test_identifier_retrieves_even_without_a_name_match(corpus_index: ScreeningIndex) -> None:
    """An INN alone pulls the entity in; the name mismatch keeps the score honest."""
    query = corpus_index.query_record(
        {
            "schema": "Company",
            "properties": {"name": ["Completely Different"], "innCode": ["1831083343"]},
        }
    )
    results = corpus_index.match(query, limit=3)
    assert {r.record.id for r in results} & KUPOL


def test_as_of_and_cache(corpus_store_path: Path, tmp_path: Path) -> None:
    with Store.open(corpus_store_path, read_only=True) as store:
        sig_now = store_signature(store)
        sig_old = store_signature(store, "2024-12-31")
        old = ScreeningIndex.from_store(store, "2024-12-31")
    assert sig_now != sig_old
    # the EU journal versions are dated after 2024: only OFAC was in force then
    assert old.datasets == {"ofac_sdn"}
    cached = corpus_store_path.parent.glob(f"{corpus_store_path.name}.screening-*.pickle")
    assert list(cached), "load_or_build leaves a cache beside the store"
    with Store.open(corpus_store_path, read_only=True) as store:
        again = load_or_build(store)
    assert len(again) > len(old)


def _reference_candidates(index: ScreeningIndex, query: Record, limit: int = 20) -> list[int]:
    """Retrieval as a plain loop over postings (what the array form must reproduce)."""
    acc: dict[int, float] = defaultdict(float)
    for ident in query.identifiers:
        for idx in index.ident_postings.get(ident.value, ()):
            acc[idx] += 50.0
    seen: set[str] = set()
    name_weight = max((sum(index.weight(t) for t in e.tokens) for e in query.names), default=0.0)
    for entry in query.names:
        lookups: list[tuple[str, float]] = []
        for tok in entry.tokens:
            if tok in seen:
                continue
            seen.add(tok)
            if tok in index.postings:
                lookups.append((tok, 1.0))
            lookups.extend(index._fuzzy_tokens(tok))
        for size in (2, 3):
            for i in range(len(entry.tokens) - size + 1):
                joined = "".join(entry.tokens[i : i + size])
                if joined in index.postings and joined not in seen:
                    seen.add(joined)
                    lookups.append((joined, 0.95))
        usable = [lk for lk in lookups if len(index.postings[lk[0]]) <= index.common_limit]
        if not usable:
            usable = sorted(lookups, key=lambda lk: len(index.postings[lk[0]]))[:1]
        for tok, sim in usable:
            for idx in index.postings[tok]:
                acc[idx] += index.weight(tok) * sim
    ranked = sorted(acc.items(), key=lambda kv: -kv[1])[:limit]
    if not ranked:
        return []
    floor = max(ranked[0][1] * 0.3, name_weight * 0.3)
    return [i for i, v in ranked if v >= floor]


def test_array_retrieval_matches_a_plain_loop(
    corpus_index: ScreeningIndex, shared_data: Path
) -> None:
    """Candidates, their order and ties are those of summing postings one by one."""
    folder = shared_data / "matching" / "yente-screening-bench"
    with (folder / "negatives_global.csv").open(encoding="utf-8") as fh:
        names = [row["full_name"] for row in list(csv.DictReader(fh))[:150]]
    names += ["Izhevsk Electromechanical Plant Kupol", "ИЭМЗ Купол", "TSK Vektor", "CORP"]
    checked = 0
    for name in names:
        query = corpus_index.query_record({"schema": "Person", "properties": {"name": [name]}})
        got = corpus_index.candidates(query)
        assert got == _reference_candidates(corpus_index, query), name
        checked += bool(got)
    assert checked > 50
