"""Index building from the store and retrieval under spelling damage."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualtrace.resolve import ScreeningIndex
from dualtrace.resolve.index import load_or_build, store_signature
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
