"""Red-flag rules on trade lines written for each rule, and on the real ZALA network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrace.errors import InputError
from dualtrace.judge.red_flags import FlagRun, flag_book, parse_flag_book, run_flags
from dualtrace.store import Store
from dualtrace.trade.loader import load_trade
from tests.graph.ftm_fixture import load_entities, load_ftm_file

HEADER = (
    "record_id,date,exporter_name,exporter_address,exporter_country,exporter_id,"
    "importer_name,importer_address,importer_country,importer_id,notify_name,origin_country,"
    "dispatch_country,destination_country,hs_code,goods_description,quantity,unit,weight_kg,"
    "value,currency"
)
ROWS = [
    # the planted Kupol pattern: Shenzhen look-alike to TSK Vektor and to Kupol, in yuan
    'R1,2024-05-02,Redlepus TSK Vector Industrial Co. Limited,"Futian District, Shenzhen",CN,,'
    '"ООО ""ТСК Вектор""",,RU,3849055365,,CN,CN,RU,880730,UAV parts,10,PCS,5,12000,CNY',
    'R2,2024-05-03,Redlepus TSK Vector Industrial Co. Limited,"Futian District, Shenzhen",CN,,'
    'IEMZ Kupol JSC,"ul. Kirova 2, Izhevsk",RU,1831083343,TSK Vector LLC,CN,CN,RU,880600,UAV,'
    "2,PCS,50,90000,CNY",
    # one order split under 10,000 USD, to a "food" company
    "R3,2024-06-01,Acme Electronics GmbH,Berlin,DE,,Sunrise Food Products LLC,,RU,,,DE,DE,RU,"
    "854231,processors,100,PCS,1,9500,USD",
    "R4,2024-06-03,Acme Electronics GmbH,Berlin,DE,,Sunrise Food Products LLC,,RU,,,DE,DE,RU,"
    "854231,processors,100,PCS,1,9600,USD",
    "R5,2024-06-05,Acme Electronics GmbH,Berlin,DE,,Sunrise Food Products LLC,,RU,,,DE,DE,RU,"
    "854231,processors,100,PCS,1,9900,USD",
    # an ordinary line: nothing to flag
    "R6,2024-06-05,Acme Electronics GmbH,Berlin,DE,,Berlin Bakery GmbH,,DE,,,DE,DE,DE,190590,"
    "bread,100,KG,100,900,EUR",
    # Hong Kong forwarder to a Russian logistics firm, in HKD
    "R7,2024-07-01,Shenzhen Global Electronics Co Ltd,Shenzhen,HK,,Trans Cargo Logistics LLC,,"
    "RU,,,CN,HK,RU,854232,memory,1000,PCS,1,50000,HKD",
]
LISTED = [
    {
        "id": "vektor",
        "schema": "Company",
        "properties": {"name": ["TSK VEKTOR, OOO"], "country": ["ru"]},
    },
    {
        "id": "vektor-sanction",
        "schema": "Sanction",
        "properties": {
            "entity": ["vektor"],
            "authority": ["US Treasury, Office of Foreign Assets Control (OFAC)"],
            "program": ["RUSSIA-EO14024"],
        },
    },
]


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlagRun]:
    folder = tmp_path_factory.mktemp("flags")
    csv = folder / "case.csv"
    csv.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    with Store.open(folder / "store.duckdb") as store:
        load_entities(store, LISTED, dataset="listed_case")
        load_trade(store, csv, dataset="case")
        yield run_flags(store, "2024-12-31")


def hits(run: FlagRun, rule_id: str) -> set[str]:
    return {r for f in run.flags if f.rule_id == rule_id for r in f.record_ids}


def test_every_rule_cites_its_guidance() -> None:
    book = flag_book()
    for rule in book.rules.values():
        cites = book.cite(rule.id)
        assert cites and all(len(c) > 20 for c in cites)
    with pytest.raises(InputError):
        parse_flag_book("rules: [{id: X, weight: 2, sources: [a]}]\nsources: {a: b}")


def test_chpl_via_hub(case: FlagRun) -> None:
    assert hits(case, "RF-CHPL-HUB") == {"R1", "R7"}


def test_settlement_currency(case: FlagRun) -> None:
    assert hits(case, "RF-CURRENCY") == {"R1", "R2", "R7"}


def test_uav_to_defence_plant(case: FlagRun) -> None:
    assert hits(case, "RF-UAV-DEFENCE") == {"R2"}
    flag = next(f for f in case.flags if f.rule_id == "RF-UAV-DEFENCE")
    assert "IEMZ Kupol JSC" in flag.reason and "UAV" in flag.reason


def test_forwarder_consignee(case: FlagRun) -> None:
    assert hits(case, "RF-FORWARDER-CONSIGNEE") == {"R7"}


def test_split_order(case: FlagRun) -> None:
    flags = [f for f in case.flags if f.rule_id == "RF-SPLIT-ORDER"]
    assert len(flags) == 1
    assert sorted(flags[0].record_ids) == ["R3", "R4", "R5"]
    assert "3 lines of HS 854231" in flags[0].reason


def test_line_of_business(case: FlagRun) -> None:
    assert hits(case, "RF-LINE-OF-BUSINESS") == {"R3", "R4", "R5"}


def test_name_mimicry_across_scripts(case: FlagRun) -> None:
    flags = [f for f in case.flags if f.rule_id == "RF-NAME-MIMICRY"]
    assert any("Redlepus" in f.reason and "TSK VEKTOR" in f.reason for f in flags)
    assert "vektor" in flags[0].entity_ids


def test_ordinary_line_is_not_flagged(case: FlagRun) -> None:
    assert all("R6" not in f.record_ids for f in case.flags)


def test_record_scores_combine_their_reasons(case: FlagRun) -> None:
    scores = {s.caption: s for s in case.scores if s.kind == "trade_record"}
    r2 = scores["R2"]
    assert r2.rule_ids == ["RF-CURRENCY", "RF-UAV-DEFENCE"]
    assert r2.score == pytest.approx(1 - (1 - 0.7) * (1 - 0.35))
    assert len(r2.reasons) == 2


@pytest.fixture(scope="module")
def zala_flags(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> FlagRun:
    with Store.open(tmp_path_factory.mktemp("zf") / "s.duckdb") as store:
        load_ftm_file(store, shared_data / "ftm" / "zala_entities.ftm.json")
        run = run_flags(store, "2024-03-15")
        ids = {f.evidence[0] for f in run.flags if f.rule_id == "RF-OWNED-BY-LISTED"}
        known = store.con.execute(
            "SELECT count(*) FROM statements WHERE id IN (SELECT unnest(?))", [sorted(ids)]
        ).fetchone()
        assert known is not None and known[0] == len(ids)
        return run


def test_zala_ownership_and_shared_address_flags(zala_flags: FlagRun) -> None:
    owned = [f for f in zala_flags.flags if f.rule_id == "RF-OWNED-BY-LISTED"]
    assert {f.title for f in owned} == {
        "Owned or controlled by listed parties (ownership rules): OFAC",
        "Owned or controlled by listed parties (ownership rules): UK",
    }
    assert all(f.entity_ids[0] == "NK-iE6m5ryPeTAMZozfECVSL7" for f in owned)
    shared = [f for f in zala_flags.flags if f.rule_id == "RF-SHARED-CONTACT"]
    assert any("272 pushkinskaya street apt 41" in f.reason for f in shared)
    top = {s.subject: s for s in zala_flags.scores}
    assert top["NK-aU5ybkbRFJucf8YMwsJvDw"].score == 1.0
    assert top["NK-iE6m5ryPeTAMZozfECVSL7"].distance == 1
