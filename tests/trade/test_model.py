"""The trade model and its store migration agree; the HS risk list cites its sources."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from dualtrace.errors import InputError
from dualtrace.store import Store
from dualtrace.trade.hs_classification import default_risk_list, parse_risk_list
from dualtrace.trade.model import FIELD_TYPES, TRADE_FIELDS


def test_trade_records_table_matches_model(store: Store) -> None:
    rows = store.con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'trade_records' ORDER BY ordinal_position"
    ).fetchall()
    assert [r[0] for r in rows] == [f.name for f in TRADE_FIELDS]
    assert {r[0]: r[1] for r in rows} == FIELD_TYPES


def test_every_chpl_code_of_the_reference_gets_its_tier(shared_data: Path) -> None:
    risk = default_risk_list()
    with (shared_data / "reference" / "chpl_hs6_tiers.csv").open() as fh:
        reference = list(csv.DictReader(fh))
    assert len(reference) == 50
    for row in reference:
        # a 10-digit TN VED code under the HS-6 subheading carries the same tier
        assert risk.classify(row["hs6"] + "0000").chpl_tier == row["tier"], row
    assert sum(1 for e in risk.entries if e.list == "CHPL") == 50


@pytest.mark.parametrize(
    ("code", "tier", "military"),
    [
        ("8806210000", None, "UAV"),
        ("840710", None, "PISTON_ENGINE"),
        ("8409910000", None, "ENGINE_PARTS"),
        ("8411110000", None, "TURBINE_ENGINE"),
        ("8807300000", "TIER_3_B", None),  # UAV parts are CHPL, not a separate tag
        ("8542310000", "TIER_1", None),
        ("6109100000", None, None),
        ("85423", None, None),
    ],
)
def test_hs_classification(code: str, tier: str | None, military: str | None) -> None:
    got = default_risk_list().classify(code)
    assert (got.chpl_tier, got.military_heading) == (tier, military)


def test_risk_list_is_versioned_and_cites_sources() -> None:
    risk = default_risk_list()
    assert risk.version.startswith("2024-02-23")
    assert "bis.gov" in risk.citation
    assert "Harmonized System" in risk.citation


def test_risk_list_rejects_bad_codes() -> None:
    with pytest.raises(InputError, match="4 or 6 digits"):
        parse_risk_list("# list_version: x\ncode,list,category,label\n85,CHPL,TIER_1,IC\n")
    with pytest.raises(InputError, match="list_version"):
        parse_risk_list("code,list,category,label\n854231,CHPL,TIER_1,IC\n")
