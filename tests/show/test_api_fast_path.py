"""``POST /match/{dataset}`` without query parameters is answered by a short cut past
FastAPI's routing (``MatchFastPath``): the same bytes as the route, the same errors
(it hands anything unusual to the route), and still authenticated and audited."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.security.ofac_slice import viewer_client

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")
from starlette.testclient import TestClient  # noqa: E402

NAMES = ("Banco Nacional de Cuba", "BANKO NATSIONAL DE KUBA", "Havana Tours", "nobody at all")


@pytest.fixture(scope="module")
def client(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with viewer_client(shared_data, tmp_path_factory.mktemp("fast")) as pair:
        yield pair


def body_for(*names: str, schema: str = "LegalEntity") -> dict[str, Any]:
    return {
        "queries": {
            f"q{i}": {"schema": schema, "properties": {"name": [n]}} for i, n in enumerate(names)
        }
    }


def test_short_cut_answers_exactly_as_the_route(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    http, auth = client
    state = http.app.state  # type: ignore[attr-defined]
    audit = state.security.audit
    before = audit.head()[0]
    answered = state.match_fast_path_answered
    cases = [body_for(n) for n in NAMES] + [body_for(*NAMES), body_for(NAMES[0], schema="Company")]
    for body in cases:
        fast = http.post("/match/default", json=body, headers=auth)
        # ``limit=5`` is the default: same question, answered by the FastAPI route
        routed = http.post("/match/default", params={"limit": "5"}, json=body, headers=auth)
        assert fast.status_code == routed.status_code == 200
        assert fast.content == routed.content
        assert fast.headers["content-type"] == routed.headers["content-type"]
        assert fast.headers["x-frame-options"] == "DENY"  # still inside the guard
    top = http.post("/match/default", json=body_for(NAMES[0]), headers=auth).json()
    assert "BANCO NACIONAL DE CUBA" in top["responses"]["q0"]["results"][0]["caption"].upper()
    dataset = http.post("/match/ofac_sdn", json=body_for(NAMES[0]), headers=auth)
    routed = http.post(
        "/match/ofac_sdn", params={"limit": "5"}, json=body_for(NAMES[0]), headers=auth
    )
    assert dataset.status_code == 200 and dataset.content == routed.content
    assert state.match_fast_path_answered == answered + len(cases) + 2  # the short cut did
    # every one of them is on record
    assert audit.head()[0] == before + 2 * len(cases) + 3
    assert audit.entries(limit=1)[0].target == "/match/ofac_sdn"


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/match/no_such_list", body_for("x"), 404),
        ("/match/default", body_for("x", schema="NoSuchSchema"), 400),
        ("/match/default", {"queries": {"q": {"properties": {"name": 5}}}}, 422),
        ("/match/default", {"nothing": True}, 422),
    ],
)
def test_errors_keep_the_routes_shape(
    client: tuple[TestClient, dict[str, str]], path: str, body: dict[str, Any], status: int
) -> None:
    http, auth = client
    answered = http.app.state.match_fast_path_answered  # type: ignore[attr-defined]
    fast = http.post(path, json=body, headers=auth)
    routed = http.post(path, params={"limit": "5"}, json=body, headers=auth)
    assert fast.status_code == routed.status_code == status
    assert http.app.state.match_fast_path_answered == answered  # type: ignore[attr-defined]
    assert fast.json() == routed.json()


def test_short_cut_is_still_guarded(client: tuple[TestClient, dict[str, str]]) -> None:
    http, _ = client
    assert http.post("/match/default", json=body_for("x")).status_code == 401
    bad = {"Authorization": "Bearer dt_nope_nope"}
    assert http.post("/match/default", json=body_for("x"), headers=bad).status_code == 401
    # a body that is not JSON by its Content-Type goes to the route, which refuses it
    _, auth = client
    resp = http.post(
        "/match/default",
        content=b'{"queries": {}}',
        headers={**auth, "Content-Type": "text/plain"},
    )
    assert resp.status_code == 422
