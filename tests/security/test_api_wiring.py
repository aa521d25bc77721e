"""The real API app (``create_app``) is guarded end to end: a store of real OFAC
entries, real users and keys, the real screening and document routes."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualtrace.security import audit as audit_module
from dualtrace.security.accounts import Accounts
from dualtrace.security.audit import AuditLog
from dualtrace.security.roles import Role
from dualtrace.show.api.app import create_app
from dualtrace.store import Store
from tests.security.ofac_slice import cut_ofac_slice, load_ofac

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")
from starlette.testclient import TestClient  # noqa: E402

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def served(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str], Path]]:
    base = tmp_path_factory.mktemp("api")
    store_path = base / "store.duckdb"
    load_ofac(store_path, cut_ofac_slice(shared_data, base / "ofac"))
    keys: dict[str, str] = {}
    with Store.open(store_path) as store:
        accounts = Accounts(store.con)
        for role in Role:
            accounts.add_user(role.label, role, PASSWORD)
            keys[role.label] = accounts.create_key(role.label)[1]
    with TestClient(create_app(store_path)) as client:
        yield client, keys, store_path


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def match_body(name: str) -> dict[str, Any]:
    return {"queries": {"q1": {"schema": "Company", "properties": {"name": [name]}}}}


def test_every_route_needs_credentials(
    served: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, _keys, _ = served
    assert (
        client.post("/match/default", json=match_body("Banco Nacional de Cuba")).status_code == 401
    )
    assert client.get("/search", params={"q": "cuba"}).status_code == 401
    assert client.get("/catalog").status_code == 401
    assert client.get("/openapi.json").status_code == 401
    assert client.get("/healthz").status_code == 200  # liveness probes stay public


def test_viewer_screens_real_entries_and_is_audited(
    served: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, keys, _ = served
    resp = client.post(
        "/match/default", json=match_body("Banco Nacional de Cuba"), headers=bearer(keys["viewer"])
    )
    assert resp.status_code == 200, resp.text
    results = resp.json()["responses"]["q1"]["results"]
    assert results and "BANCO NACIONAL DE CUBA" in str(results[0]).upper()
    assert resp.headers["x-frame-options"] == "DENY"
    ctx = client.app.state.security  # type: ignore[attr-defined]
    # no flush: a screening request is answered only once its entry is committed
    entry = ctx.audit.entries(action="screen", limit=1)[0]
    assert entry.actor.startswith("viewer/key:") and entry.target == "/match/default"
    assert "Banco Nacional de Cuba" in entry.details_dict()["body"]


def test_screening_answer_waits_for_its_audit_commit(
    served: tuple[TestClient, dict[str, str], Path],
) -> None:
    """While the audit writer cannot commit, the screening answer is held back; once it
    can, the answer arrives and its entry is already in the store."""
    client, keys, _ = served
    answers: list[int] = []

    def screen() -> None:
        body = match_body("Banco Nacional de Cuba")
        answers.append(
            client.post("/match/default", json=body, headers=bearer(keys["viewer"])).status_code
        )

    screen()  # the store and the audit writer are open
    ctx = client.app.state.security  # type: ignore[attr-defined]
    before = ctx.audit.head()[0]
    with audit_module._WRITE_LOCK:  # what the writer takes to commit a batch
        caller = threading.Thread(target=screen)
        caller.start()
        caller.join(timeout=2.0)
        held = caller.is_alive()
    caller.join(timeout=60)
    assert held, "the answer was sent before its audit entry could be committed"
    assert answers == [200, 200]
    seq, _ = ctx.audit.head()
    assert seq == before + 1
    assert ctx.audit.entries(action="screen", limit=1)[0].seq == seq


def test_roles_on_real_routes(served: tuple[TestClient, dict[str, str], Path]) -> None:
    client, keys, _ = served
    for role in ("viewer", "analyst"):
        resp = client.get("/audit/verify", headers=bearer(keys[role]))
        assert resp.status_code == 403
    # document upload is an analyst's; a viewer is refused before the body is read
    files = {"file": ("note.txt", b"IEMZ Kupol ordered drones.", "text/plain")}
    resp = client.post("/documents", files=files, headers=bearer(keys["viewer"]))
    assert resp.status_code == 403
    resp = client.post(
        "/claims/x/review", json={"decision": "accept"}, headers=bearer(keys["viewer"])
    )
    assert resp.status_code == 403
    verify = client.get("/audit/verify", headers=bearer(keys["admin"])).json()
    assert verify["ok"] and verify["entries"] >= 1


def test_browser_sign_in_flow(served: tuple[TestClient, dict[str, str], Path]) -> None:
    client, _, _ = served
    page = client.get("/login", params={"next": "/search?q=cuba"})
    assert page.status_code == 200 and "<script" not in page.text
    assert 'value="/search?q=cuba"' in page.text
    # unauthenticated browsers are sent to the sign-in page
    resp = client.get("/catalog", headers={"Accept": "text/html"}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=")
    # a form sign-in returns to the page, never to another site
    form = {"username": "analyst", "password": PASSWORD, "next": "//evil.example/x"}
    resp = client.post("/auth/login", data=form, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/web"
    assert client.get("/catalog").status_code == 200  # the session cookie now works
    client.cookies.clear()


def test_audit_survives_restart(served: tuple[TestClient, dict[str, str], Path]) -> None:
    """What the server recorded is in the store file after shutdown, chain intact."""
    client, keys, store_path = served
    client.get("/search", params={"q": "cuba"}, headers=bearer(keys["viewer"]))
    app = create_app(store_path)
    with TestClient(app) as second:
        r = second.post(
            "/match/default", json=match_body("Aerocaribbean"), headers=bearer(keys["analyst"])
        )
        assert r.status_code == 200
    with Store.open(store_path, read_only=True) as store:
        log = AuditLog(store.con)
        result = log.verify()
        actors = {e.actor.split("/")[0] for e in log.entries(limit=100)}
    assert result.ok, result.problems
    assert {"viewer", "analyst"} <= actors


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
MATCH_BODIES = st.fixed_dictionaries(
    {
        "queries": st.dictionaries(
            st.text(max_size=5),
            st.fixed_dictionaries(
                {
                    "schema": st.sampled_from(
                        ["Company", "Person", "LegalEntity", "Thing", "", "x"]
                    ),
                    "properties": st.dictionaries(
                        st.sampled_from(["name", "birthDate", "country", "idNumber", "bogus"]),
                        st.lists(st.text(max_size=60), max_size=3),
                        max_size=3,
                    ),
                }
            ),
            max_size=3,
        )
    }
)
ENDPOINTS = [
    ("/match/default", "viewer"),
    ("/auth/login", None),
    ("/auth/keys", "admin"),
    ("/auth/users", "admin"),
    ("/claims/c1/review", "analyst"),
]


@pytest.mark.parametrize(("path", "role"), ENDPOINTS)
def test_request_bodies_never_cause_server_errors(
    served: tuple[TestClient, dict[str, str], Path], path: str, role: str | None
) -> None:
    """Arbitrary JSON, yente-shaped bodies with odd values, and raw bytes: the answer
    is a 2xx or 4xx with the security headers, never a 500."""
    client, keys, _ = served
    headers = bearer(keys[role]) if role else {}

    @settings(
        max_examples=30,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(body=st.one_of(JSON, MATCH_BODIES, st.binary(max_size=300)))
    def run(body: Any) -> None:
        if isinstance(body, bytes):
            resp = client.post(
                path, content=body, headers={**headers, "Content-Type": "application/json"}
            )
        else:
            resp = client.post(path, json=body, headers=headers)
        assert resp.status_code < 500, (resp.status_code, resp.text[:300])
        assert resp.headers["x-content-type-options"] == "nosniff"

    run()


def test_workspace_forms_carry_the_session_csrf_token(
    served: tuple[TestClient, dict[str, str], Path],
) -> None:
    """The web workspace under the guard: a signed-in analyst's case form works only
    with the token the page itself embedded; a viewer may read but not create cases."""
    import re

    client, _, _store_path = served
    client.cookies.clear()
    resp = client.post("/auth/login", json={"username": "analyst", "password": PASSWORD})
    assert resp.status_code == 200
    page = client.get("/web/cases")
    assert page.status_code == 200, page.text[:300]
    assert "<script>" not in page.text  # only external scripts under the CSP
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None and token.group(1) == resp.json()["csrf_token"]
    form = {"title": "Kupol / Garpiya-3 supply chain", "summary": "from the Reuters report"}
    assert client.post("/web/cases", data=form, follow_redirects=False).status_code == 403
    made = client.post(
        "/web/cases", data={**form, "csrf_token": token.group(1)}, follow_redirects=False
    )
    assert made.status_code == 303 and made.headers["location"].startswith("/web/cases/")
    client.cookies.clear()
    resp = client.post("/auth/login", json={"username": "viewer", "password": PASSWORD})
    csrf = resp.json()["csrf_token"]
    assert client.get("/web/cases").status_code == 200
    refused = client.post("/web/cases", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 403
    client.cookies.clear()
    ctx = client.app.state.security  # type: ignore[attr-defined]
    ctx.audit.flush()
    [entry] = ctx.audit.entries(action="case", actor="analyst", limit=5)
    assert "Garpiya-3" in entry.details_dict()["body"]


def test_backup_through_the_running_server(
    served: tuple[TestClient, dict[str, str], Path],
) -> None:
    """The CLI cannot open a store the server holds; admins back it up over HTTP, into
    the backup folder only, and the copy verifies."""
    from dualtrace.security.backup import read_manifest

    client, keys, store_path = served
    body = {"name": "nightly.duckdb"}
    assert (
        client.post("/admin/backup", json=body, headers=bearer(keys["analyst"])).status_code == 403
    )
    resp = client.post("/admin/backup", json=body, headers=bearer(keys["admin"]))
    assert resp.status_code == 201, resp.text
    made = store_path.parent / "backups" / "nightly.duckdb"
    assert (
        read_manifest(made).tables["statements"][0] == resp.json()["tables"]["statements"]["rows"]
    )
    for bad in ("../escape.duckdb", "/tmp/x.duckdb", "sub/../../x.duckdb", "notes.txt"):
        resp = client.post("/admin/backup", json={"name": bad}, headers=bearer(keys["admin"]))
        assert resp.status_code == 422, bad
    assert not (store_path.parent / "escape.duckdb").exists()
