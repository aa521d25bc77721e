"""The entity index behind the profile and network view (dualtrace.graph.adjacency).

It must answer exactly what the store's own queries answer, on real list data, and
follow the store: a load or a merge made while the index is cached shows on the next
page without a restart, and an as-of date sees only the versions then in force. The
profile pages its long tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dualtrace.graph.adjacency import pinned, store_fingerprint, store_index
from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.resolve.merge import merge_entities, split_entity
from dualtrace.show.report.dossier import build_dossier
from dualtrace.show.report.neighbourhood import neighbourhood
from dualtrace.show.web.paging import PAGE_ROWS, paginate
from dualtrace.show.web.router import create_web_router
from dualtrace.sources.base import add_value, make_entity
from dualtrace.sources.ftm import read_ftm
from dualtrace.store import Store

KUPOL = "ofac-46431"
LLC_CST = "NK-abdzbEBkqyT29GyREbiURZ"  # ZALA network: owners with percentages
EXTRA = DatasetInfo("test_links", "Generated links for the index tests", kind="ftm")


def _zala_store(shared_data: Path, path: Path) -> Path:
    with Store.open(path) as st:
        zala = read_ftm(shared_data / "ftm" / "zala_entities.ftm.json", dataset="zala_ftm")
        st.load(zala.dataset, zala.version, zala.statements(), zala.report)
    return path


def _load_links(st: Store, version: str, payers: int, owner: bool) -> None:
    """A GENERATED dataset: ``payers`` companies paying LLC CST, and optionally one owner."""
    at = SourcePointer(file="generated-by-test")
    entities = []
    for i in range(payers):
        party = make_entity(EXTRA.name, "Company", f"test-payer-{i}")
        add_value(party, "name", f"Test payer {i:03d} LLC", at)
        link = make_entity(EXTRA.name, "Payment", f"test-payment-{i}")
        add_value(link, "payer", party.id, at)
        add_value(link, "beneficiary", LLC_CST, at)
        entities += [party, link]
    if owner:
        holding = make_entity(EXTRA.name, "Company", "test-holding")
        add_value(holding, "name", "Test Holding LLC", at)
        own = make_entity(EXTRA.name, "Ownership", "test-ownership")
        add_value(own, "owner", holding.id, at)
        add_value(own, "asset", LLC_CST, at)
        add_value(own, "percentage", "51", at)
        entities += [holding, own]
    stmts = [s for e in entities for s in e.statements]
    st.load(EXTRA, VersionInfo(version, "given"), iter(stmts), LoadReport(EXTRA.name, version))


def test_index_answers_what_the_store_queries_answer(kupol_store_path: Path) -> None:
    with Store.open(kupol_store_path) as st:
        ids = [
            str(r[0])
            for r in st.con.execute(
                "SELECT DISTINCT canonical_id FROM statements WHERE prop = 'id' ORDER BY 1"
            ).fetchall()
        ]
        assert len(ids) > 100 and KUPOL in ids and LLC_CST in ids
        si = store_index(st)
        for as_of in (None, "2022-01-01"):
            idx = si.at(st, as_of)
            for cid in ids:
                assert idx.statements(cid) == st.entity_statements(cid, as_of=as_of), cid
                assert si.resolve(st, cid) == st.resolve_id(cid)
        # inbound references: who points at Kupol (Sanction record, links)
        idx = si.at(st, None)
        refs = idx.columns(idx.referencing(si.entity_ids([KUPOL])), ("canonical_id", "prop"))
        assert set(zip(refs["canonical_id"], refs["prop"], strict=True)) == set(
            st.referencing(KUPOL)
        )
        # Kupol was first listed in 2022: the 2021 publication in force then lacks it
        assert si.at(st, "2022-01-01").statements(KUPOL) == []
        assert si.presence(KUPOL) == [("ofac_sdn", ["2024-05-03"])]
        assert si.known(KUPOL) and not si.known("no-such-id")


def test_index_follows_loads_merges_and_dates(shared_data: Path, tmp_path: Path) -> None:
    path = _zala_store(shared_data, tmp_path / "zala.duckdb")
    with Store.open(path) as st:
        before = neighbourhood(st, [LLC_CST])
        assert "Test Holding LLC" not in {n.caption for n in before.nodes.values()}
        first = store_fingerprint(st)

        _load_links(st, "2026-01-01", payers=3, owner=True)  # index is cached: must notice
        assert store_fingerprint(st) != first
        after = neighbourhood(st, [LLC_CST])
        captions = {n.caption for n in after.nodes.values()}
        assert {"Test Holding LLC", "Test payer 000 LLC"} <= captions
        chain = build_dossier(st, LLC_CST).chain
        assert any(s.owner.caption == "Test Holding LLC" and "51%" in s.edge.label for s in chain)
        # as of a date before that version, the generated links are not in force
        earlier = neighbourhood(st, [LLC_CST], as_of="2025-12-31")
        assert "Test Holding LLC" not in {n.caption for n in earlier.nodes.values()}

        # a merge moves the holding's statements under one canonical id at once
        merge_entities(st, ["test-holding", "test-payer-0"], "tester")
        si = store_index(st)
        canonical = si.resolve(st, "test-holding")
        assert canonical == si.resolve(st, "test-payer-0")
        merged = {s.value for s in si.at(st, None).statements(canonical) if s.prop == "name"}
        assert merged == {"Test Holding LLC", "Test payer 000 LLC"}
        split_entity(st, canonical, "tester")
        assert store_index(st).resolve(st, "test-holding") == "test-holding"


def test_a_pinned_block_reads_the_store_version_once(shared_data: Path, tmp_path: Path) -> None:
    path = _zala_store(shared_data, tmp_path / "zala.duckdb")
    with Store.open(path) as st, pinned(st) as si:
        _load_links(st, "2026-01-01", payers=1, owner=False)
        assert store_index(st) is si  # inside the block: the version pinned at its start
    with Store.open(path) as st:
        assert store_index(st) is not si  # outside: the load is seen


@pytest.fixture()
def busy_client(shared_data: Path, tmp_path: Path) -> Iterator[TestClient]:
    """The workspace over ZALA plus 130 generated payers of LLC CST."""
    path = _zala_store(shared_data, tmp_path / "zala.duckdb")
    with Store.open(path) as st:
        _load_links(st, "2026-01-01", payers=130, owner=False)
    app = FastAPI()
    router = create_web_router(path)
    app.include_router(router)
    with TestClient(app) as client:
        yield client


def test_profile_pages_long_relation_tables(busy_client: TestClient) -> None:
    first = busy_client.get(f"/web/entities/{LLC_CST}").text
    relations = first.split('id="relations"', 1)[1].split("</table>", 1)[0]
    assert relations.count("<tr>") == PAGE_ROWS + 1  # header row + one page
    found = re.search(rf"Relations 1–{PAGE_ROWS} of (\d+)", first)
    assert found is not None
    total = int(found.group(1))
    assert total > 130
    assert 'href="?relations_page=2#h-rel"' in first
    seen = set(re.findall(r"Test payer \d{3} LLC", relations))
    last = -(-total // PAGE_ROWS)
    final = busy_client.get(
        f"/web/entities/{LLC_CST}", params={"relations_page": str(last), "as_of": "2099-12-31"}
    ).text
    assert f"Relations {(last - 1) * PAGE_ROWS + 1}–{total} of {total}" in final
    assert f'href="?as_of=2099-12-31&amp;relations_page={last - 1}#h-rel"' in final
    assert "next relations" not in final
    rows = final.split('id="relations"', 1)[1].split("</table>", 1)[0]
    assert not seen & set(re.findall(r"Test payer \d{3} LLC", rows))
    bad = busy_client.get(f"/web/entities/{LLC_CST}", params={"relations_page": "x"})
    assert bad.status_code == 400 and "page number" in bad.text


def test_network_json_of_a_busy_node(busy_client: TestClient) -> None:
    data = busy_client.get("/web/api/network", params={"id": LLC_CST}).json()
    payers = [n for n in data["nodes"] if n["caption"].startswith("Test payer")]
    assert len(payers) == 130
    assert sum(e["type"] == "Payment" and e["target"] == LLC_CST for e in data["edges"]) == 130


def test_paginate_clamps_and_keeps_other_parameters() -> None:
    items = list(range(250))
    last = paginate(items, {"p": "9", "as_of": "2024-01-01"}, "p", "t", size=100)
    assert (last.number, last.first, last.last, last.next_href) == (3, 201, 250, None)
    assert last.prev_href == "?as_of=2024-01-01&p=2#t"
    empty = paginate(list[int](), {}, "p", "t")
    assert (empty.pages, empty.rows, empty.first, empty.paged) == (1, [], 0, False)
