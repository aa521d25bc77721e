"""The workspace pages over a real store, through FastAPI's test client.

The browser tests (tests/web) drive the same pages in Chromium; these check content and
error handling quickly and precisely.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dualtrace.show.web.router import create_web_router

KUPOL = "ofac-46431"
ALMAZ_ANTEY = "ofac-16865"
LLC_CST = "NK-abdzbEBkqyT29GyREbiURZ"  # ZALA network: owners with percentages


@pytest.fixture(scope="module")
def client(kupol_store_path: Path) -> Iterator[TestClient]:
    app = FastAPI()
    router = create_web_router(kupol_store_path)
    app.include_router(router)
    with TestClient(app) as c:
        yield c
    router.workspace.close()  # type: ignore[attr-defined]


def test_search_finds_kupol_with_facets_and_filters(client: TestClient) -> None:
    page = client.get("/web/search", params={"q": "kupol"}).text
    assert f'href="/web/entities/{KUPOL}"' in page
    assert "JOINT STOCK COMPANY IZHEVSK ELECTROMECHANICAL PLANT KUPOL" in page
    assert 'name="dataset" value="ofac_sdn"' in page and 'value="listed"' in page
    almaz = client.get("/web/search", params={"q": "almaz"}).text
    all_hits = len(re.findall(r'class="hit"', almaz))
    assert all_hits >= 5
    only_2021 = client.get("/web/search", params={"q": "almaz", "as_of": "2021-12-31"}).text
    # as of 2021 only the two Almaz-Antey entries listed in July 2021 are in force
    assert len(re.findall(r'class="hit"', only_2021)) == 2
    filtered = client.get("/web/search", params={"q": "almaz", "schema": "Person"}).text
    assert len(re.findall(r'class="hit"', filtered)) == 0


def test_profile_shows_names_identifiers_memberships_relations_and_sources(
    client: TestClient,
) -> None:
    page = client.get(f"/web/entities/{KUPOL}").text
    assert "AO IEMZ KUPOL" in page  # alias from the 2025-12-24 alias file
    assert "1831083343" in page  # INN parsed from OFAC remarks
    assert "RUSSIA-EO14024" in page
    assert "sdn_2024-05-03.csv row" in page  # every statement cites its file and row
    assert "TSK VEKTOR, OOO" in page  # 'Linked To' relation from the remarks
    assert "in force" in page
    before = client.get(f"/web/entities/{KUPOL}", params={"as_of": "2022-01-01"}).text
    assert "not in version in force" in before


def test_profile_ownership_chain_from_ftm_edges(client: TestClient) -> None:
    page = client.get(f"/web/entities/{LLC_CST}").text
    chain = page.split('id="ownership-chain"', 1)[1].split("</ol>", 1)[0]
    assert "OJSC IZHMASH" in chain and "owns 49%" in chain
    assert re.search(r"zakharov", chain, re.IGNORECASE)  # any of his list spellings


def test_network_json_expands_neighbours(client: TestClient) -> None:
    data = client.get("/web/api/network", params={"id": KUPOL}).json()
    names = {n["caption"] for n in data["nodes"]}
    assert "TSK VEKTOR, OOO" in names
    assert {e["type"] for e in data["edges"]} >= {"UnknownLink"}
    vektor = next(n["id"] for n in data["nodes"] if n["caption"] == "TSK VEKTOR, OOO")
    both = client.get("/web/api/network", params={"id": [KUPOL, vektor]}).json()
    assert sorted(both["centre"]) == sorted([KUPOL, vektor])
    assert client.get("/web/api/network", params={"id": "nope"}).status_code == 404
    page = client.get(f"/web/entities/{KUPOL}/network").text
    assert 'src="/web/static/network.js"' in page and "<script>" not in page


def test_errors_are_pages_not_tracebacks(client: TestClient) -> None:
    missing = client.get("/web/entities/no-such-id")
    assert missing.status_code == 404 and "no entity with id" in missing.text
    bad = client.get(f"/web/entities/{KUPOL}", params={"as_of": "2024-13-40"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    assert client.get("/web/static/..%2Fcases.py").status_code == 404
    assert (
        client.get("/web/static/network.js").headers["content-type"].startswith("text/javascript")
    )


def test_no_page_carries_inline_script_or_style(client: TestClient) -> None:
    for url in (
        "/web/search?q=kupol",
        f"/web/entities/{KUPOL}",
        f"/web/entities/{KUPOL}/network",
        "/web/screen",
        "/web/cases",
        "/web/documents",
        f"/web/entities/{KUPOL}/report.html",
    ):
        html = client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "<style" not in html and " style=" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url


def test_case_workflow_through_forms(client: TestClient) -> None:
    created = client.post(
        "/web/cases", data={"title": "Kupol G3 procurement"}, follow_redirects=False
    )
    assert created.status_code == 303
    case_url = created.headers["location"]
    case_id = case_url.rsplit("/", 1)[1]
    client.post("/web/cases/add-item", data={"case_id": case_id, "kind": "entity", "ref": KUPOL})
    client.post(
        "/web/cases/add-item", data={"case_id": case_id, "kind": "entity", "ref": ALMAZ_ANTEY}
    )
    client.post(f"{case_url}/notes", data={"text": "Parent per Reuters", "kind": "decision"})
    client.post(f"{case_url}/status", data={"status": "in review"})
    page = client.get(case_url).text
    assert "IZHEVSK ELECTROMECHANICAL PLANT KUPOL" in page and "ALMAZ-ANTEY" in page
    assert "Parent per Reuters" in page and "status changed from open to in review" in page
    refused = client.post(f"{case_url}/status", data={"status": "archived"})
    assert refused.status_code == 400 and "status" in refused.text
    report = client.get(f"{case_url}/report.html").text
    assert "Kupol G3 procurement" in report and "Parent per Reuters" in report


def test_profile_states_ownership_rule_status_with_citations(client: TestClient) -> None:
    profile = client.get(f"/web/entities/{LLC_CST}", params={"as_of": "2025-06-01"}).text
    assert f'action="/web/entities/{LLC_CST}/ownership"' in profile  # offered on request
    page = client.get(f"/web/entities/{LLC_CST}/ownership", params={"as_of": "2025-06-01"}).text
    table = page.split('id="rule-status"', 1)[1].split("</table>", 1)[0]
    for rule in ("OFAC", "EU", "UK", "BIS"):
        assert f"<td>{rule}</td>" in table
    # Zakharov's stake, under whichever of his list spellings the graph shows
    assert re.search(r"\d+% held by [^<(]*zakharov", table, re.IGNORECASE), table
    assert "ofac.treasury.gov/faqs/401" in table  # the rule's own citation
    assert "as of 2025-06-01" in page
