"""The real ZALA Aero / Kalashnikov network under the OFAC, EU, UK and BIS rules.

Facts from ``ftm/zala_entities.ftm.json`` (Russian registry extract plus sanctions
entities): Zakharov owned 100% of Aeroscan from 2024-03-01 to 2024-03-24, 75% of SPS
from 2020-01-10 to 2022-11-22, and 51% of LLC CST (open-ended; earlier records say 50%
and 48%); Kalashnikov Concern owns 49% of CST. OFAC lists Zakharov and CST without a
date; the EU lists CST from 2023-12-18 and Zakharov from 2025-02-24; the UK lists CST
from 2023-02-08 and Zakharov from 2023-12-06; the BIS Entity List has CST from 2023-11-02.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrace.graph.build import build_graph
from dualtrace.judge.exposure import explain, exposure, run_rule
from dualtrace.judge.ownership_rules import get_rule
from dualtrace.store import Store
from tests.graph.ftm_fixture import load_ftm_file

ZAKHAROV = "NK-aU5ybkbRFJucf8YMwsJvDw"
CST = "NK-abdzbEBkqyT29GyREbiURZ"
AEROSCAN = "NK-iE6m5ryPeTAMZozfECVSL7"
SPS = "NK-9Xa4Kg7Y7nfccE7VcZt6Q6"
ZALA_JSC = "NK-cPks3aTbes8k4aCerfBAzN"
KALASHNIKOV = "NK-nR5AXM9AVPq4pQaSPSaVam"


@pytest.fixture(scope="module")
def zala(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("zala") / "store.duckdb"
    with Store.open(path) as store:
        load_ftm_file(store, shared_data / "ftm" / "zala_entities.ftm.json")
        build_graph(store)
        yield store


def status(store: Store, rule: str, as_of: str, entity: str) -> str:
    run = run_rule(store, get_rule(rule), as_of)
    return explain(store, run, entity).status


def test_graph_has_the_registry_ownerships_with_percentages_and_dates(zala: Store) -> None:
    rows = zala.con.execute(
        "SELECT pct, start_date, end_date FROM g_edges "
        "WHERE kind = 'ownership' AND src = ? AND dst = ?",
        [ZAKHAROV, CST],
    ).fetchall()
    assert sorted(rows) == [
        (48.0, "2015-11-25", "2023-12-21"),
        (50.0, "2015-11-25", "2023-03-02"),
        (51.0, "2015-11-25", None),
    ]


def test_ofac_blocks_aeroscan_while_zakharov_owned_it(zala: Store) -> None:
    exp = exposure(zala, AEROSCAN, "ofac", "2024-03-15")
    assert exp.status == "owned"
    assert exp.held_pct == 100.0
    assert [s.owner for s in exp.stakes if s.counts] == [ZAKHAROV]
    assert "blocked under the OFAC 50 Percent Rule as of 2024-03-15" in exp.explanation
    assert (
        "100% held by" in exp.explanation and "Office of Foreign Assets Control" in exp.explanation
    )
    evidence = exp.stakes[0].records[0]["evidence"]
    assert evidence and all(isinstance(e, str) for e in evidence)
    # after the stake ended, Aeroscan is no longer blocked through Zakharov
    assert status(zala, "ofac", "2024-04-01", AEROSCAN) == "clear"


def test_eu_waits_for_zakharovs_eu_listing(zala: Store) -> None:
    # The EU listed Zakharov on 2025-02-24, after his Aeroscan stake ended.
    assert status(zala, "eu", "2024-03-15", AEROSCAN) == "clear"
    assert status(zala, "eu", "2024-03-15", ZAKHAROV) == "clear"
    assert status(zala, "eu", "2025-03-01", ZAKHAROV) == "listed"
    exp = exposure(zala, CST, "eu", "2025-03-01")
    assert exp.status == "listed"
    assert any(s.owner == ZAKHAROV and s.pct == 51.0 and s.counts for s in exp.stakes)


def test_ofac_sps_blocked_only_during_the_75_percent_stake(zala: Store) -> None:
    assert status(zala, "ofac", "2022-06-01", SPS) == "owned"
    assert status(zala, "ofac", "2023-01-01", SPS) == "clear"


def test_conflicting_registry_records_are_shown(zala: Store) -> None:
    exp = exposure(zala, CST, "ofac", "2023-06-01")
    stake = next(s for s in exp.stakes if s.owner == ZAKHAROV)
    assert stake.pct == 51.0
    assert {r["pct_text"] for r in stake.records} == {"48", "51"}
    assert "records state 48, 51%, highest used" in exp.explanation


def test_unknown_share_is_undetermined_not_guessed(zala: Store) -> None:
    # Zakharov's holding in JSC Zala Aero (2024-03-22..2024-06-24) has no percentage.
    exp = exposure(zala, ZALA_JSC, "ofac", "2024-04-01")
    assert exp.status == "undetermined"
    assert "unknown size" in exp.explanation


def test_kalashnikov_minority_stake_does_not_block(zala: Store) -> None:
    # Kalashnikov (49%) is not listed in this file by a Sanction entity, so its stake
    # never counts; CST stays listed in its own right.
    exp = exposure(zala, CST, "ofac", "2024-06-01")
    stake = next(s for s in exp.stakes if s.owner == KALASHNIKOV)
    assert stake.pct == 49.0 and not stake.counts


def test_uk_uses_its_own_listing_dates(zala: Store) -> None:
    assert status(zala, "uk", "2023-06-01", CST) == "listed"
    assert status(zala, "uk", "2023-06-01", ZAKHAROV) == "clear"
    assert status(zala, "uk", "2024-03-15", AEROSCAN) == "owned"


def test_bis_affiliates_rule_effective_and_suspended(zala: Store) -> None:
    before = exposure(zala, CST, "bis", "2025-09-01")
    assert not before.applies and "not in force" in before.rule_state
    during = exposure(zala, CST, "bis", "2025-10-15")
    assert during.applies and during.status == "listed"
    suspended = exposure(zala, CST, "bis", "2026-01-15")
    assert not suspended.applies and "suspended 2025-11-10 to 2026-11-09" in suspended.rule_state
    after = exposure(zala, CST, "bis", "2026-11-10")
    assert after.applies
