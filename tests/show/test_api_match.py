"""The HTTP API speaks yente's shapes: proven with TestClient and with yente-client
against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from dualtrace.security.http_auth import SecurityConfig
from dualtrace.show.api.app import create_app
from dualtrace.show.api.models import MatchResponse
from tests.screening_corpus import OFAC_ID, shared_corpus_store

LOCAL = SecurityConfig(anonymous_local=True)


@pytest.fixture(scope="module")
def corpus_store_path(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_corpus_store(shared_data, tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def client(corpus_store_path: Path) -> Iterator[TestClient]:
    # local single-user mode: no accounts needed, loopback clients only (docs/security.md)
    app = create_app(corpus_store_path, security=LOCAL)
    with TestClient(app, client=("127.0.0.1", 50000)) as c:
        yield c


def _match(client: TestClient, dataset: str, queries: dict[str, Any], **params: Any) -> Any:
    resp = client.post(f"/match/{dataset}", json={"queries": queries}, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_match_default_yente_shape(client: TestClient) -> None:
    data = _match(
        client,
        "default",
        {
            "kupol": {"schema": "Company", "properties": {"name": ["АО «ИЭМЗ «Купол»"]}},
            "emma": {"schema": "Company", "properties": {"name": "EMMA LLC"}},
        },
    )
    assert set(data["responses"]) == {"kupol", "emma"}
    kupol = data["responses"]["kupol"]
    assert kupol["status"] == 200
    assert kupol["total"]["relation"] == "eq"
    top = kupol["results"][0]
    assert top["match"] is True and 0.7 <= top["score"] < 0.95
    for key in ("id", "caption", "schema", "properties", "datasets", "features", "explanations"):
        assert key in top
    expl = top["explanations"]["name_match"]
    # a direct romanised alias, not the discounted learned-acronym path (exactly 0.9)
    assert expl["score"] > 0.9 and "kupol" in expl["detail"]
    emma = data["responses"]["emma"]["results"]
    assert all(not r["match"] for r in emma)
    # the body is serialised without pydantic: it must still be exactly MatchResponse
    assert MatchResponse.model_validate(data).model_dump(by_alias=True) == data


def test_match_one_list_and_threshold(client: TestClient) -> None:
    query = {"q": {"schema": "Company", "properties": {"name": ["ООО ТСК Вектор"]}}}
    data = _match(client, "ofac_sdn", query)
    results = data["responses"]["q"]["results"]
    assert results and all(r["datasets"] == ["ofac_sdn"] for r in results)
    assert results[0]["id"] == OFAC_ID["vektor"]
    strict = _match(client, "ofac_sdn", query, threshold=0.99)
    assert not strict["responses"]["q"]["results"][0]["match"]


def test_match_errors(client: TestClient) -> None:
    q = {"q": {"schema": "Company", "properties": {"name": ["x"]}}}
    assert client.post("/match/no-such-list", json={"queries": q}).status_code == 404
    bad = {"q": {"schema": "Spaceship", "properties": {"name": ["x"]}}}
    resp = client.post("/match/default", json={"queries": bad})
    assert resp.status_code == 400 and "Spaceship" in resp.json()["detail"]
    resp = client.post("/match/default", json={"nothing": 1})
    assert resp.status_code == 422


def test_search_and_entity(client: TestClient) -> None:
    resp = client.get("/search", params={"q": "Алмаз-Антей"})
    assert resp.status_code == 200
    ids = [r["id"] for r in resp.json()["results"]]
    assert OFAC_ID["almaz"] in ids
    ent = client.get(f"/entities/{OFAC_ID['kupol']}")
    assert ent.status_code == 200
    body = ent.json()
    assert body["schema"] in ("Company", "Organization", "LegalEntity")
    assert "1831083343" in " ".join(body["properties"].get("taxNumber", []))
    assert client.get("/entities/nope").status_code == 404


def test_openapi_lists_the_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/match/{dataset}", "/search", "/entities/{entity_id}"):
        assert path in spec["paths"]


@pytest.fixture(scope="module")
def live_server(corpus_store_path: Path) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    config = uvicorn.Config(
        create_app(corpus_store_path, security=LOCAL),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 300
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_yente_client_works_unchanged(live_server: str) -> None:
    from yente_client import Client, Company, Person

    with Client(base_url=live_server) as yc:
        res = yc.match(Company(name="红兔矢量实业（深圳）有限公司"))
        assert res.top is not None and res.top.id == "eu-32014r0269-i-entities-504"
        assert res.top.match
        assert res.top.contributing_explanations["name_match"].score > 0.9
        res = yc.match(Company(name="ООО ТСК Вектор"), datasets=["ofac_sdn"])
        assert res.top is not None and res.top.id == OFAC_ID["vektor"]
        res = yc.match(Person(name="Emma Daniels"))
        assert res.matches == []
        found = yc.search("IEMZ Kupol")
        assert {r.id for r in found.results} & {OFAC_ID["kupol"], "eu-32014r0833-iv-516"}
        ent = yc.fetch(OFAC_ID["kupol"])
        assert ent.caption
        assert yc.algorithms().default
