"""The Kupol network from real lists plus generated trade records with the planted route.

Slices of the real OFAC SDN (2024-05-03) and EU Regulation 269/2014 files are cut here
(the Kupol, TSK Vektor, Almaz-Antey and Redlepus entries plus a few hundred unrelated
rows as noise); the trade generator plants the route Redlepus TSK Vector Industrial
(Shenzhen) -> TSK Vektor / IEMZ Kupol, paid in yuan. The engine sees no truth column:
trade parties are resolved to list entities by the trade linkage, the graph is built
from the store, and the flags and paths are what an analyst would get.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrace.documents.loading import load_documents
from dualtrace.graph.build import build_graph
from dualtrace.graph.paths import find_paths, listed_in_force_sql
from dualtrace.judge.control import ensure_control
from dualtrace.judge.red_flags import FlagRun, run_flags
from dualtrace.sources.eu import read_eu
from dualtrace.sources.ofac_sdn import read_ofac_sdn
from dualtrace.store import Store
from dualtrace.trade.linkage.party_resolution import resolve_parties
from dualtrace.trade.loader import load_trade
from dualtrace.trade.synth import write_synthetic

KEEP = ("KUPOL", "VEKTOR", "ALMAZ", "REDLEPUS")
REUTERS = "reuters-kupol-garpiya-china.txt"
NOTE = "Source FOXTROT reports that IEMZ Kupol, a subsidiary of Almaz-Antey, tested drones."
OFAC_KUPOL, OFAC_VEKTOR = "ofac-46431", "ofac-46441"


def _slice(src: Path, dst: Path, noise: int) -> None:
    lines = src.read_text("utf-8").splitlines(keepends=True)
    head, body = lines[0], lines[1:]
    kept = [ln for ln in body if any(k in ln.upper() for k in KEEP)]
    dst.write_text("".join([head, *body[:noise], *[k for k in kept if k not in body[:noise]]]))


@pytest.fixture(scope="module")
def kupol(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("kupol")
    sdn = folder / "sdn_2024-05-03.csv"
    sdn.write_text(
        "".join(
            ln
            for i, ln in enumerate(
                (shared_data / "lists/ofac-sdn/sdn_2024-05-03.csv")
                .read_text("utf-8", errors="replace")
                .splitlines(keepends=True)
            )
            if i < 300 or any(k in ln.upper() for k in KEEP)
        )
    )
    kept = {ln.split(",", 1)[0] for ln in sdn.read_text("utf-8").splitlines()}
    alt = shared_data / "lists/ofac-sdn/alt_2025-12-24.csv"
    (folder / alt.name).write_text(
        "".join(
            ln
            for ln in alt.read_text("utf-8", errors="replace").splitlines(keepends=True)
            if ln.split(",", 1)[0] in kept
        )
    )
    eu = folder / "32014R0269.csv"
    _slice(shared_data / "lists/eu-journal/consolidated/32014R0269.csv", eu, noise=150)
    trade = folder / "trade.csv"
    write_synthetic(trade, 1500, 7, shared_data)
    with Store.open(folder / "store.duckdb") as store:
        for rr in [*read_ofac_sdn(sdn), *read_eu(eu)]:
            store.load(rr.dataset, rr.version, rr.statements(), rr.report)
        # the real Reuters report, through the documents capability (mention claims)
        load_documents(store, shared_data / "documents", "Reuters", "B", 2)
        # and a short note written for the point, whose relation links both parties
        (folder / "note.txt").write_text(NOTE, "utf-8")
        load_documents(store, folder / "note.txt", "FOXTROT", "C", 3)
        load_trade(store, trade, dataset="synth")
        resolve_parties(store)
        build_graph(store)
        yield store


@pytest.fixture(scope="module")
def flags(kupol: Store) -> FlagRun:
    return run_flags(kupol, "2025-06-01")


def _entity(store: Store, dataset_prefix: str, text: str) -> str:
    for eid, _schema, _name, datasets in store.search_names(text, limit=20):
        if any(d.startswith(dataset_prefix) for d in datasets):
            return eid
    raise AssertionError(f"{text!r} not found in {dataset_prefix}")


def _planted(store: Store) -> list[str]:
    rows = store.con.execute(
        "SELECT record_key FROM trade_records WHERE truth_scheme = 'kupol_route' ORDER BY 1"
    ).fetchall()
    assert rows, "the generator planted no Kupol route at this size and seed"
    return [str(r[0]) for r in rows]


def _redlepus_node(store: Store) -> str:
    row = store.con.execute(
        "SELECT node FROM g_trade_party WHERE role = 'exporter' AND name ILIKE '%redlepus%' "
        "GROUP BY node ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.slow
def test_kupol_subsidiary_of_almaz_antey_from_the_listing_text(kupol: Store) -> None:
    almaz = _entity(kupol, "eu_", "Almaz-Antey")
    rows = kupol.con.execute(
        "SELECT src, role FROM g_edges WHERE kind = 'mention' AND dst = ? "
        "AND role ILIKE '%subsidiary of%'",
        [almaz],
    ).fetchall()
    kupols = {OFAC_KUPOL, _entity(kupol, "eu_", "Kupol")}
    assert kupols & {r[0] for r in rows}, rows
    linked = kupol.con.execute(
        "SELECT role FROM g_edges WHERE kind = 'unknown_link' AND src = ? AND dst = ?",
        [OFAC_VEKTOR, OFAC_KUPOL],
    ).fetchall()
    assert linked == [("Linked To",)]


@pytest.mark.slow
def test_paths_from_the_shenzhen_supplier_reach_almaz_antey(kupol: Store) -> None:
    almaz = _entity(kupol, "eu_", "Almaz-Antey")
    found = find_paths(kupol, _redlepus_node(kupol), f"SELECT '{almaz}' AS entity", max_hops=3)
    assert found and found[0]["hops"] <= 2
    assert "Almaz" in found[0]["text"]
    # the supplier's shipments reach the intermediary and the end user directly
    shipped = find_paths(
        kupol, _redlepus_node(kupol), listed_in_force_sql(None), max_hops=1, edge_types=["trade"]
    )
    targets = {p["target"]["caption"].upper() for p in shipped}
    assert any("VEKTOR" in t for t in targets) and any("KUPOL" in t for t in targets)


@pytest.mark.slow
def test_planted_route_is_flagged_with_reasons(kupol: Store, flags: FlagRun) -> None:
    planted = set(_planted(kupol))
    by_rule: dict[str, set[str]] = {}
    for f in flags.flags:
        for key in f.evidence:
            if key in planted:
                by_rule.setdefault(f.rule_id, set()).add(key)
    # every planted line is paid in yuan for engines/UAV parts bound for Russia
    assert by_rule.get("RF-CURRENCY") == planted
    assert by_rule.get("RF-UAV-DEFENCE")
    assert by_rule.get("RF-LISTED-PARTY")
    uav = [f for f in flags.flags if f.rule_id == "RF-UAV-DEFENCE" and f.evidence[0] in planted]
    # engines and UAV parts consigned to the plant itself (in Latin or Cyrillic script)
    assert any("KUPOL" in f.reason.upper() or "КУПОЛ" in f.reason.upper() for f in uav)


@pytest.mark.slow
def test_redlepus_name_mimics_tsk_vektor(kupol: Store, flags: FlagRun) -> None:
    node = _redlepus_node(kupol)
    mimic = [f for f in flags.flags if f.rule_id == "RF-NAME-MIMICRY" and node in f.entity_ids]
    assert mimic, "Redlepus TSK Vector Industrial should be flagged as mimicking TSK Vektor"
    assert any("vektor" in f.reason.lower() and "in another country" in f.reason for f in mimic)
    score = next(s for s in flags.scores if s.subject == node)
    assert score.score > 0.5 and "RF-NAME-MIMICRY" in score.rule_ids


@pytest.mark.slow
def test_reuters_report_co_mentions_kupol_vektor_and_redlepus(kupol: Store) -> None:
    """The real article names the three together; each gets a co-mention edge to the
    document whose evidence is the mention claims, each pointing at its exact span."""
    doc_id, text = kupol.con.execute(
        "SELECT doc_id, text FROM documents WHERE filename = ?", [REUTERS]
    ).fetchone() or ("", "")
    assert doc_id
    rows = kupol.con.execute(
        "SELECT src, role, evidence FROM g_edges WHERE kind = 'co_mention' AND dst = ?",
        [f"doc:{doc_id}"],
    ).fetchall()
    by_src = {str(r[0]): (str(r[1]), list(r[2])) for r in rows}
    parties = {
        "Kupol": {OFAC_KUPOL, _entity(kupol, "eu_", "Kupol")},
        "Vektor": {OFAC_VEKTOR, _entity(kupol, "eu_", "TSK Vektor")},
        "Redlepus": {_entity(kupol, "eu_", "Redlepus")},
    }
    for word, ids in parties.items():
        hits = ids & set(by_src)
        assert hits, f"{word} not co-mentioned: {sorted(by_src)}"
        role, evidence = by_src[sorted(hits)[0]]
        assert role.startswith(f"named in document {doc_id} as ")
        for claim in evidence:
            row = kupol.con.execute(
                "SELECT doc_id, kind, quote, span_start, span_end FROM claims WHERE claim_id = ?",
                [claim],
            ).fetchone()
            assert row is not None and row[0] == doc_id and row[1] == "mention"
            assert text[row[3] : row[4]] == row[2]  # the span is the quoted words
            assert f'"{row[2]}" (page 1, chars {row[3]}-{row[4]})' in role
        quotes = [text[s:e] for s, e in _spans(kupol, evidence)]
        assert any(word.lower() in q.lower() for q in quotes), quotes
    # and the document connects them: Redlepus is two hops from Kupol through it
    redlepus = sorted(parties["Redlepus"] & set(by_src))[0]
    kupols = sorted(parties["Kupol"] & set(by_src))
    targets = " UNION ALL ".join(f"SELECT '{k}' AS entity" for k in kupols)
    found = find_paths(kupol, redlepus, targets, max_hops=2, edge_types=["co_mention"])
    assert found and found[0]["nodes"][1]["id"] == f"doc:{doc_id}"
    assert found[0]["target"]["id"] in kupols


def _spans(store: Store, claims: list[str]) -> list[tuple[int, int]]:
    rows = store.con.execute(
        "SELECT span_start, span_end FROM claims WHERE claim_id IN (SELECT unnest(?))", [claims]
    ).fetchall()
    return [(int(a), int(b)) for a, b in rows]


@pytest.mark.slow
def test_control_derived_from_the_eu_reasons_and_a_document_claim(kupol: Store) -> None:
    ensure_control(kupol)
    rows = kupol.con.execute(
        "SELECT controller, entity, pattern_id, statement, evidence FROM g_control"
    ).fetchall()
    almaz = _entity(kupol, "eu_", "Almaz-Antey")
    kupols = {OFAC_KUPOL, _entity(kupol, "eu_", "Kupol")}
    vektors = {OFAC_VEKTOR, _entity(kupol, "eu_", "TSK Vektor")}
    by_pattern: dict[str, list[tuple[str, str, str, list[str]]]] = {}
    for c, e, pid, text, ev in rows:
        by_pattern.setdefault(str(pid), []).append((str(c), str(e), str(text), list(ev)))
    # "IEMZ Kupol, a subsidiary of Russian state-owned arms company Almaz-Antey"
    listing = [
        r for r in by_pattern.get("listing-subsidiary-of", []) if r[0] == almaz and r[1] in kupols
    ]
    assert listing, by_pattern
    for _c, _e, text, evidence in listing:
        assert "subsidiary of" in text and "[named: " in text
        stmt = kupol.con.execute(
            "SELECT value FROM statements WHERE id = ?", [evidence[0]]
        ).fetchone()
        assert stmt is not None and "subsidiary of" in stmt[0] and "Almaz" in stmt[0]
    # the same words in TSK Vektor's reason are about Kupol, not about Vektor
    assert not [r for r in rows if r[0] == almaz and r[1] in vektors]
    # the note's claim "IEMZ Kupol, a subsidiary of Almaz-Antey", pending review
    doc = by_pattern.get("document-subsidiary-of", [])
    assert any(c in {almaz, "ofac-almaz"} or "Almaz" in t for c, _e, t, _ev in doc), doc
    assert all("claim pending review" in t for _c, _e, t, _ev in doc)
    assert kupols & {e for _c, e, _t, _ev in doc}
    claim = doc[0][3][0]
    row = kupol.con.execute("SELECT kind FROM claims WHERE claim_id = ?", [claim]).fetchone()
    assert row == ("relation",)
