"""Control derived from the statements the data carries (EU and UK count control).

One small network written for the point: a party listed by the EU, the UK and OFAC
holds stakes and board seats described in different ways, and a party listed only by
OFAC is said in its sanctions reason to be controlled by it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dualtrace.errors import InputError
from dualtrace.graph.build import build_graph
from dualtrace.judge.control import control_evidence, ensure_control, parse_control_evidence
from dualtrace.judge.exposure import exposure
from dualtrace.store import Store
from tests.graph.ftm_fixture import load_entities

AUTHORITIES = ("Council of the European Union", "HM Treasury", "Office of Foreign Assets Control")


def _company(eid: str, name: str) -> dict[str, Any]:
    return {"id": eid, "schema": "Company", "properties": {"name": [name]}}


def _rel(eid: str, schema: str, src: str, dst: str, **props: str) -> dict[str, Any]:
    ends = {"Ownership": ("owner", "asset"), "Directorship": ("director", "organization")}
    a, b = ends[schema]
    properties = {a: [src], b: [dst], **{k: [v] for k, v in props.items()}}
    return {"id": eid, "schema": schema, "properties": properties}


ENTITIES: list[dict[str, Any]] = [
    _company("x", "Xenon Holding Group"),
    *[
        {
            "id": f"x-s{i}",
            "schema": "Sanction",
            "properties": {"entity": ["x"], "authority": [a], "startDate": ["2022-01-01"]},
        }
        for i, a in enumerate(AUTHORITIES)
    ],
    _company("a", "Alpha Components"),
    _rel(
        "own-a",
        "Ownership",
        "x",
        "a",
        percentage="30",
        summary="Holds a majority of the voting rights under a shareholders' agreement",
    ),
    _company("b", "Beta Logistics"),
    _rel(
        "own-b", "Ownership", "x", "b", role="Right to appoint and remove a majority of the board"
    ),
    _company("c", "Gamma Trading"),
    _rel("dir-c", "Directorship", "x", "c", role="Sole director"),
    _company("h", "Hotel Systems"),
    _rel("dir-h", "Directorship", "x", "h", role="Единоличный исполнительный орган"),
    _company("d", "Delta Parts"),
    _rel("dir-d", "Directorship", "x", "d", role="Director"),
    _company("e", "Epsilon Tools"),
    _rel("own-e", "Ownership", "x", "e", summary="Non-controlling interest"),
    _company("g", "Golf Instruments"),
    _rel("own-g", "Ownership", "x", "g"),
    _company("f", "Foxtrot Machinery"),
    {
        "id": "f-s",
        "schema": "Sanction",
        "properties": {
            "entity": ["f"],
            "authority": ["Office of Foreign Assets Control"],
            "startDate": ["2023-01-01"],
            "reason": ["Foxtrot Machinery is controlled by Xenon Holding Group."],
        },
    },
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("control") / "store.duckdb"
    with Store.open(path) as st:
        load_entities(st, ENTITIES)
        build_graph(st)
        yield st


@pytest.mark.parametrize(
    ("entity", "eu", "ofac"),
    [
        ("a", "controlled", "clear"),  # 30% plus a majority of the voting rights
        ("b", "controlled", "undetermined"),  # board appointment; stake size unknown
        ("c", "controlled", "clear"),  # sole director
        ("h", "controlled", "clear"),  # the same, in a Russian registry's words
        ("d", "clear", "clear"),  # a director is not control
        ("e", "undetermined", "undetermined"),  # "non-controlling": unknown stays unknown
        ("g", "undetermined", "undetermined"),  # a stake of unknown size, nothing more
        ("f", "controlled", "listed"),  # OFAC reason: "controlled by Xenon Holding Group"
    ],
)
def test_control_from_statements(store: Store, entity: str, eu: str, ofac: str) -> None:
    assert exposure(store, entity, "eu", "2024-01-01").status == eu
    assert exposure(store, entity, "uk", "2024-01-01").status == eu
    assert exposure(store, entity, "ofac", "2024-01-01").status == ofac


def test_each_derived_control_explains_itself_and_cites_its_statements(store: Store) -> None:
    exp = exposure(store, "a", "eu", "2024-01-01")
    text = exp.explanation
    assert "30% and control (majority of the voting rights: ownership record own-a" in text
    assert "Holds a majority of the voting rights" in text
    record = next(r for r in exp.stakes[0].records if r["kind"] == "control")
    ids = {str(r[0]) for r in store.con.execute("SELECT id FROM statements").fetchall()}
    assert record["evidence"] and set(record["evidence"]) <= ids
    summary = store.con.execute(
        "SELECT id FROM statements WHERE entity_id = 'own-a' AND prop = 'summary'"
    ).fetchone()
    assert summary is not None and summary[0] in record["evidence"]

    sole = exposure(store, "c", "uk", "2024-01-01").explanation
    assert "sole director (the whole management body): directorship record dir-c" in sole

    f = exposure(store, "f", "eu", "2024-01-01")
    assert "listing text: controlled by" in f.explanation
    assert "Foxtrot Machinery is controlled by" in f.explanation
    reason = store.con.execute(
        "SELECT id FROM statements WHERE entity_id = 'f-s' AND prop = 'reason'"
    ).fetchone()
    assert reason is not None and reason[0] in f.explanation


def test_control_is_dated_like_its_record(store: Store) -> None:
    # before the listing of Xenon nothing is derived from it, control or not
    assert exposure(store, "c", "eu", "2021-06-01").status == "clear"


def test_control_table_has_one_row_per_statement_basis(store: Store) -> None:
    ensure_control(store)
    rows = store.con.execute(
        "SELECT controller, entity, pattern_id FROM g_control ORDER BY entity, pattern_id"
    ).fetchall()
    assert rows == [
        ("x", "a", "majority-voting-rights"),
        ("x", "b", "board-appointment"),
        ("x", "c", "sole-director"),
        ("x", "f", "listing-controlled-by"),
        ("x", "h", "sole-director"),
    ]


def test_patterns_are_data_with_citations() -> None:
    ev = control_evidence()
    assert any("SI 2019/855" in c for c in ev.citations)
    assert {p.id for p in ev.directorship} == {"sole-director"}
    with pytest.raises(InputError, match="control_evidence"):
        parse_control_evidence("control_evidence:\n  relationship:\n    - {id: x}\n")
    with pytest.raises(InputError, match="control_evidence"):
        parse_control_evidence("rules: {}\n")


def test_shipped_patterns_on_real_words() -> None:
    """Run through DuckDB's regular expressions (RE2), which the graph uses."""
    import duckdb

    con = duckdb.connect()

    def hit(pattern: str, text: str) -> bool:
        row = con.execute("SELECT regexp_matches(lower(?), ?)", [text, pattern]).fetchone()
        return bool(row and row[0])

    ev = control_evidence()
    stated = {p.id: p.pattern for p in ev.relationship + ev.directorship}
    cases = {
        "majority-voting-rights": [
            "voting-rights-75-to-100-percent",
            "Контрольный пакет акций",
            "holds a majority of the voting rights",
        ],
        "board-appointment": ["right-to-appoint-and-remove-directors"],
        "sole-director": ["Единоличный исполнительный орган", "Sole managing director"],
        "stated-control": ["controlling shareholder", "parent company", "Дочернее общество"],
    }
    for pid, texts in cases.items():
        for t in texts:
            assert hit(stated[pid], t) and not hit(ev.negation, t), (pid, t)
    for t in ("non-controlling interest", "minority shareholder", "Неконтролирующая доля"):
        assert hit(ev.negation, t), t
    for t in ("director", "Генеральный директор", "shareholder", "export control officer"):
        hits = [pid for pid, rx in stated.items() if hit(rx, t) and pid != "stated-control"]
        assert not hits, (t, hits)
    named = {p.id: p.pattern for p in ev.named_after}
    assert hit(named["listing-subsidiary-of"], "IEMZ Kupol a subsidiary of Russian state owned")
    assert hit(named["listing-controlled-by"], "which is ultimately controlled by the")
    # more than six words between the phrase and the name: not about that name
    far = "controlled by X and has since supplied spare parts and tools to"
    assert not hit(named["listing-controlled-by"], far)
