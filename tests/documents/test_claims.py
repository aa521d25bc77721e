"""Claims as evidence: review decisions with who and when, revisits, grades, support.

Three documents from three sources: the Reuters report, an intelligence note that
repeats the Kupol/Almaz-Antey relation (corroboration) and a note that names a
different parent (contradiction). Also drives the CLI and the HTTP API end to end.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dualtrace.documents.evidence import get_claim, list_claims, review_claim
from dualtrace.documents.loading import load_documents
from dualtrace.documents.mentions import NameIndex
from dualtrace.errors import InputError, NotFoundError
from dualtrace.security.accounts import Accounts
from dualtrace.security.roles import Role
from dualtrace.show.api.app import create_app
from dualtrace.show.cli.app import app as cli_app
from dualtrace.store import Store
from tests.documents.conftest import REUTERS

KUPOL = "ofac-46431"
NOTE_AGREES = "Source FOXTROT reports that IEMZ Kupol, a subsidiary of Almaz-Antey, tested drones."
NOTE_DISAGREES = "An informant claims IEMZ Kupol, a subsidiary of TSK Vektor, tested drones."


def subsidiary_claims(store: Store) -> dict[str, str]:
    """Source -> claim id of the Kupol 'subsidiary_of' claim."""
    out = {}
    for c in list_claims(store, kind="relation"):
        if c.details["relation"] == "subsidiary_of" and c.details["x"]["entity_id"] == KUPOL:
            out[c.source] = c.claim_id
    return out


@pytest.fixture(scope="module")
def loaded_file(
    shared_data: Path,
    list_store_file: Path,
    name_index: NameIndex,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The list store with the three documents loaded, once per module."""
    base = tmp_path_factory.mktemp("claims")
    path = base / "loaded.duckdb"
    shutil.copy(list_store_file, path)
    (base / "foxtrot.txt").write_text(NOTE_AGREES, "utf-8")
    (base / "informant.txt").write_text(NOTE_DISAGREES, "utf-8")
    with Store.open(path) as store:
        load_documents(store, shared_data / REUTERS, "Reuters", "B", 2, index=name_index)
        load_documents(store, base / "foxtrot.txt", "FOXTROT", "C", 3, index=name_index)
        load_documents(store, base / "informant.txt", "informant", "E", 5, index=name_index)
    return path


@pytest.fixture()
def loaded(loaded_file: Path, tmp_path: Path) -> Iterator[Store]:
    """A writable copy of the loaded store for one test."""
    path = tmp_path / "loaded.duckdb"
    shutil.copy(loaded_file, path)
    with Store.open(path) as store:
        yield store


def test_claims_carry_document_page_span_method_grade(loaded: Store) -> None:
    claims = list_claims(loaded)
    assert claims and all(c.status == "pending" for c in claims)
    reuters = [c for c in claims if c.source == "Reuters"]
    assert {c.grade for c in reuters} == {"B2"}
    mention = next(c for c in reuters if c.kind == "mention" and c.quote == "IEMZ Kupol")
    assert (mention.page, mention.span_start, mention.span_end) == (1, 431, 441)
    assert mention.entity_id == KUPOL and mention.method == "automaton:core"
    assert 0.7 <= mention.confidence <= 1.0


def test_corroboration_counts_independent_sources_and_contradictions(loaded: Store) -> None:
    ids = subsidiary_claims(loaded)
    assert set(ids) == {"Reuters", "FOXTROT", "informant"}
    reuters = get_claim(loaded, ids["Reuters"])
    assert reuters.corroborating_sources == ["FOXTROT"]
    assert reuters.contradicting_claims == [ids["informant"]]
    informant = get_claim(loaded, ids["informant"])
    assert informant.corroboration == 0
    assert set(informant.contradicting_claims) == {ids["Reuters"], ids["FOXTROT"]}
    # a rejected claim no longer supports or contradicts anything
    review_claim(loaded, ids["informant"], "reject", "alice", note="source unreliable")
    assert get_claim(loaded, ids["Reuters"]).contradicting_claims == []


def test_reviews_are_kept_with_who_and_when_and_can_be_revisited(loaded: Store) -> None:
    claim = next(c for c in list_claims(loaded, kind="money"))
    review_claim(loaded, claim.claim_id, "accept", "alice", credibility=2)
    review_claim(loaded, claim.claim_id, "edit", "bob", value="CNY 1.5 million", note="invoice")
    view = review_claim(loaded, claim.claim_id, "reject", "carol", note="second look")
    assert view.status == "rejected" and view.value == "CNY 1.5 million"
    assert [(r["decision"], r["reviewer"]) for r in view.reviews] == [
        ("accept", "alice"),
        ("edit", "bob"),
        ("reject", "carol"),
    ]
    assert all(r["reviewed_at"] for r in view.reviews)
    view = review_claim(loaded, claim.claim_id, "accept", "alice")
    assert view.status == "accepted" and len(view.reviews) == 4
    assert claim.claim_id not in {c.claim_id for c in list_claims(loaded, pending=True)}
    with pytest.raises(InputError, match="corrected value"):
        review_claim(loaded, claim.claim_id, "edit", "bob")
    with pytest.raises(InputError, match="accept, reject, edit"):
        review_claim(loaded, claim.claim_id, "maybe", "bob")
    with pytest.raises(NotFoundError):
        review_claim(loaded, "c-nope", "accept", "bob")


def test_reanalysis_keeps_reviewed_claims(
    loaded: Store, shared_data: Path, name_index: NameIndex
) -> None:
    claim = next(c for c in list_claims(loaded, kind="place") if c.value == "Kashgar")
    review_claim(loaded, claim.claim_id, "accept", "alice")
    before = len(list_claims(loaded))
    report = load_documents(loaded, shared_data / REUTERS, reanalyse=True, index=name_index)
    assert report.results[0].status == "loaded"
    assert len(list_claims(loaded)) == before
    assert get_claim(loaded, claim.claim_id).status == "accepted"
    assert get_claim(loaded, claim.claim_id).grade == "B2"  # the document's grade survives


def test_cli_load_mentions_claims_review(
    tmp_path: Path, shared_data: Path, list_store: Store
) -> None:
    path = list_store.path
    list_store.close()
    runner = CliRunner()
    args = ["--store", str(path)]
    res = runner.invoke(
        cli_app,
        [
            "load",
            "docs",
            str(shared_data / "documents"),
            "--source",
            "Reuters",
            "--reliability",
            "B",
            "--credibility",
            "2",
            "--json",
            *args,
        ],
    )
    assert res.exit_code == 0, res.output
    report = orjson.loads(res.stdout[res.stdout.index("{") :])
    assert report["loaded"] == 1 and report["errors"] == 0
    doc_id = report["documents"][0]["doc_id"]
    res = runner.invoke(cli_app, ["mentions", doc_id, "--json", *args])
    assert res.exit_code == 0, res.output
    mentions = orjson.loads(res.stdout)["mentions"]
    assert {"ofac-46431", "eu-32014r0269-i-entities-504"} <= {m["entity_id"] for m in mentions}
    assert all(m["reasons"] if "reasons" in m else m["details"]["reasons"] for m in mentions)
    res = runner.invoke(cli_app, ["claims", "--pending", "--json", *args])
    pending = orjson.loads(res.stdout)
    target = pending[0]["claim_id"]
    res = runner.invoke(cli_app, ["review", target, "accept", "--reviewer", "dana", *args])
    assert res.exit_code == 0 and "accepted" in res.stdout
    res = runner.invoke(cli_app, ["claims", "--pending", "--json", *args])
    assert len(orjson.loads(res.stdout)) == len(pending) - 1
    res = runner.invoke(cli_app, ["review", target, "edit", *args])
    assert res.exit_code != 0


def test_http_api(tmp_path: Path, shared_data: Path, list_store: Store) -> None:
    accounts = Accounts(list_store.con)
    accounts.add_user("erin", Role.ANALYST, "a long enough passphrase 42")
    key = accounts.create_key("erin")[1]
    path = list_store.path
    list_store.close()
    client = TestClient(create_app(path), headers={"Authorization": f"Bearer {key}"})
    raw = (shared_data / REUTERS).read_bytes()
    assert TestClient(create_app(path)).get("/claims").status_code == 401
    res = client.post(
        "/documents?source=Reuters&reliability=B&credibility=2",
        files={"file": ("reuters.txt", raw, "text/plain")},
    )
    assert res.status_code == 200, res.text
    doc_id = res.json()["doc_id"]
    again = client.post("/documents", files={"file": ("copy.txt", raw, "text/plain")})
    assert again.json() == {"doc_id": doc_id, "status": "unchanged"}
    bad = client.post("/documents", files={"file": ("empty.txt", b"", "text/plain")})
    assert bad.status_code == 422 and "empty file" in bad.json()["detail"]
    assert client.get(f"/documents/{doc_id}").json()["page_map"][0]["method"] == "text"
    mentions = client.get(f"/documents/{doc_id}/mentions").json()["mentions"]
    assert "ofac-46431" in {m["entity_id"] for m in mentions}
    pending = client.get("/claims", params={"pending": True}).json()
    cid = pending[0]["claim_id"]
    # the authenticated caller is the reviewer, whatever the body says
    res = client.post(f"/claims/{cid}/review", json={"decision": "reject", "reviewer": "mallory"})
    assert res.status_code == 200 and res.json()["status"] == "rejected"
    assert client.get(f"/claims/{cid}").json()["reviews"][0]["reviewer"] == "erin"
    assert client.get("/claims/c-missing").status_code == 404
    res = client.post(f"/claims/{cid}/review", json={"decision": "edit", "reviewer": "erin"})
    assert res.status_code == 422


def test_accepted_claims_become_statements_with_document_pointers(loaded: Store) -> None:
    ids = subsidiary_claims(loaded)
    review_claim(loaded, ids["Reuters"], "accept", "alice")
    mention = next(
        c
        for c in list_claims(loaded, kind="mention")
        if c.quote == "TSK Vektor" and c.source == "Reuters"
    )
    review_claim(loaded, mention.claim_id, "accept", "alice")
    rows = loaded.con.execute(
        "SELECT schema, prop, value, doc_id, page, span_start, span_end FROM statements "
        "WHERE dataset = 'documents' AND prop <> 'id'"
    ).fetchall()
    ownership = {(r[1], r[2]) for r in rows if r[0] == "Ownership"}
    reuters = get_claim(loaded, ids["Reuters"])
    owner = reuters.details["y"]["entity_id"]
    assert ("asset", KUPOL) in ownership and ("owner", owner) in ownership
    assert ("proof", reuters.doc_id) in ownership
    pointers = {(r[3], r[4], r[5], r[6]) for r in rows if r[0] == "Ownership"}
    assert pointers == {(reuters.doc_id, 1, reuters.span_start, reuters.span_end)}
    resolved = {r[2] for r in rows if r[0] == "Mention" and r[1] == "resolved"}
    assert resolved == {mention.entity_id}
    assert {r[2] for r in rows if r[0] == "Document" and r[1] == "fileName"} == {
        "reuters-kupol-garpiya-china.txt"
    }
    # a later rejection takes the fact out again
    review_claim(loaded, ids["Reuters"], "reject", "bob", note="single source")
    left = loaded.con.execute(
        "SELECT count(*) FROM statements WHERE dataset = 'documents' AND schema = 'Ownership'"
    ).fetchone()
    assert left == (0,)


def test_name_index_is_cached_beside_the_store_until_lists_change(
    list_store: Store, shared_data: Path
) -> None:
    from dualtrace.documents.loading import cached_name_index
    from dualtrace.sources.ofac_sdn import read_ofac_sdn
    from tests.documents.conftest import slice_ofac

    first = cached_name_index(list_store)
    cache = list_store.path.with_name(list_store.path.name + ".mentions-index")
    assert cache.exists()
    again = cached_name_index(list_store)
    assert again is not first and len(again) == len(first)  # read back from the file
    stamp = cache.read_bytes()[:64]
    # loading another list version changes what the index must hold
    ofac = slice_ofac(shared_data, list_store.path.parent / "ofac2")
    (ofac / "sdn_2024-05-03.csv").rename(ofac / "sdn_2024-05-04.csv")
    for result in read_ofac_sdn(ofac):
        list_store.load(result.dataset, result.version, result.statements(), result.report)
    rebuilt = cached_name_index(list_store)
    assert cache.read_bytes()[:64] != stamp and len(rebuilt) >= len(first)
    cache.write_bytes(b"garbage")
    assert len(cached_name_index(list_store)) == len(rebuilt)
