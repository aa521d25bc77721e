"""Name normalisation on two processes gives the same features and links as on one."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualtrace.trade.linkage import party_resolution
from dualtrace.trade.linkage.engines import DuckDBEngine
from dualtrace.trade.linkage.party_resolution import (
    TRADE_PARTY_SPEC,
    PartyString,
    normalise_names,
    party_features,
)
from dualtrace.trade.linkage.pipeline import run_linkage
from dualtrace.trade.synth import write_synthetic
from tests.trade.party_strings import party_strings


@pytest.fixture(scope="module")
def strings(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> list[PartyString]:
    """Party strings of 4,000 generated records: real SDN names, Cyrillic renderings, typos."""
    out = tmp_path_factory.mktemp("parallel") / "trade_4000.parquet"
    write_synthetic(out, 4000, 31, shared_data)
    return party_strings(out)


@pytest.fixture
def small_parallel_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    # a few hundred names already go to the workers, in several chunks each
    monkeypatch.setattr(party_resolution, "PARALLEL_NAMES", 100)
    monkeypatch.setattr(party_resolution, "_NAME_CHUNK", 300)


@pytest.mark.usefixtures("small_parallel_threshold")
def test_parallel_names_are_the_serial_names_in_order(strings: list[PartyString]) -> None:
    names = sorted({s.name for s in strings})
    assert len(names) > 1000
    assert any(any("\u0400" <= ch <= "\u04ff" for ch in n) for n in names)  # Cyrillic too
    serial = normalise_names(names, workers=1)
    assert normalise_names(names, workers=2) == serial
    assert normalise_names(['ООО "ТСК Вектор"'] * 150, workers=2) == [("tsk", "vektor")] * 150


@pytest.mark.usefixtures("small_parallel_threshold")
def test_parallel_features_give_the_same_links_and_clusters(strings: list[PartyString]) -> None:
    one = party_features(strings, set(), workers=1)
    two = party_features(strings, set(), workers=2)
    assert two.records.equals(one.records)
    assert two.tokens.equals(one.tokens)
    assert two.duplicates == one.duplicates
    assert two.name_forms == one.name_forms
    first, _ = run_linkage(DuckDBEngine(), TRADE_PARTY_SPEC, one.records, one.tokens)
    second, _ = run_linkage(DuckDBEngine(), TRADE_PARTY_SPEC, two.records, two.tokens)
    assert first.links.num_rows > 100
    assert second.links.equals(first.links)
    assert second.clusters.equals(first.clusters)
