"""Document screens over the real Reuters report: highlighted text, claim review in
place, and accepted relation claims becoming links on profiles and in the network."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dualtrace.documents.evidence import list_claims, list_documents
from dualtrace.show.web.router import create_web_router
from dualtrace.store import Store

KUPOL = "ofac-46431"
TSK_VEKTOR = "ofac-46441"


@pytest.fixture(scope="module")
def client(kupol_docs_store_path: Path) -> Iterator[TestClient]:
    app = FastAPI()
    router = create_web_router(kupol_docs_store_path)
    app.include_router(router)
    with TestClient(app) as c:
        yield c
    router.workspace.close()  # type: ignore[attr-defined]


def _doc_and_claim(client: TestClient) -> tuple[str, str]:
    page = client.get("/web/documents").text
    doc_id = re.search(r'href="/web/documents/(doc-[0-9a-f]+)"', page)
    assert doc_id, page
    doc_page = client.get(f"/web/documents/{doc_id.group(1)}").text
    claim = re.search(
        r'id="claim-(c-[0-9a-f]+)"[^>]*>\s*<div><strong>relation</strong>: '
        r"intermediary: TSK Vektor",
        doc_page,
    )
    assert claim, "the intermediary relation claim is listed for review"
    return doc_id.group(1), claim.group(1)


def test_document_page_marks_mentions_and_claims(client: TestClient) -> None:
    doc_id, _claim = _doc_and_claim(client)
    page = client.get(f"/web/documents/{doc_id}").text
    assert '<mark class="mention"' in page and '<mark class="claim"' in page
    assert "grade B2" in page and "source Reuters" in page
    # each claim's quote links to the anchor at the start of its span in the text
    anchors = set(re.findall(r'<span id="(span-\d+-\d+)" class="anchor">', page))
    links = set(re.findall(r'href="#(span-\d+-\d+)" class="quote-link"', page))
    assert links and links <= anchors


def test_accepting_a_relation_claim_links_the_parties(
    client: TestClient, kupol_docs_store_path: Path
) -> None:
    doc_id, claim_id = _doc_and_claim(client)
    before = client.get("/web/api/network", params={"id": KUPOL}).json()
    assert not [e for e in before["edges"] if e["type"] == "Representation"]
    done = client.post(
        f"/web/documents/{doc_id}/claims/{claim_id}",
        data={"decision": "accept", "value": "ignored for accept"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith(f"#claim-{claim_id}")
    page = client.get(f"/web/documents/{doc_id}").text
    card = page.split(f'id="claim-{claim_id}"', 1)[1].split("</li>", 1)[0]
    assert "accepted" in card and "workspace user" in card
    after = client.get("/web/api/network", params={"id": KUPOL}).json()
    rep = [e for e in after["edges"] if e["type"] == "Representation"]
    # the accepted claim is now a link (read from the claim, or from the statements the
    # documents capability publishes for accepted facts)
    assert {(e["source"], e["target"]) for e in rep} == {(TSK_VEKTOR, KUPOL)}
    profile = client.get(f"/web/entities/{KUPOL}").text
    relations = profile.split('id="h-rel"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in relations.split("<tr>") if "represents" in r)
    assert "TSK VEKTOR, OOO" in row
    assert 'id="document-mentions"' in profile
    bad = client.post(
        f"/web/documents/{doc_id}/claims/{claim_id}", data={"decision": "edit", "value": ""}
    )
    assert bad.status_code == 400 and "corrected value" in bad.text


def test_documents_listing_matches_the_store(
    client: TestClient, kupol_docs_store_path: Path
) -> None:
    page = client.get("/web/documents").text
    with Store.open(kupol_docs_store_path) as st:  # same process: shares the open database
        docs = list_documents(st)
        claims = list_claims(st, doc_id=docs[0].doc_id)
    assert len(docs) == 1 and docs[0].filename in page
    assert len(claims) > 50
