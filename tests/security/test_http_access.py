"""Access control over HTTP: every role is refused what it may not do, and the guard
(authentication, CSRF, headers, limits, audit) holds on a small app built like the real
one: routes that know nothing about security, wrapped by ``secure_app``."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from dualtrace.security.http_auth import SecurityConfig, SecurityContext
from dualtrace.security.roles import Role
from dualtrace.show.api.auth_routes import secure_app
from dualtrace.store import Store

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")
from starlette.testclient import TestClient  # noqa: E402

PASSWORD = "correct horse battery staple"


def build_app(
    store: Store, config: SecurityConfig | None = None
) -> tuple[FastAPI, SecurityContext]:
    app = FastAPI()

    @app.get("/search")
    def search(q: str = "") -> dict[str, Any]:
        return {"q": q, "results": []}

    @app.post("/match/{dataset}")
    async def match(dataset: str, request: Request) -> dict[str, Any]:
        body = await request.json()
        return {"dataset": dataset, "queries": len(body.get("queries", {}))}

    @app.post("/review/{claim}")
    async def review(claim: str, request: Request) -> dict[str, Any]:
        form = await request.form()
        return {"claim": claim, "decision": form.get("decision")}

    @app.post("/merge")
    def merge() -> dict[str, Any]:
        return {"merged": True}

    @app.post("/load")
    def load() -> dict[str, Any]:
        return {"loaded": True}

    @app.get("/export/entities")
    def export() -> dict[str, Any]:
        return {"rows": 0}

    @app.post("/something-new")
    def unknown_write() -> dict[str, Any]:
        return {"ok": True}

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, Any]:
        return {"bytes": len(await request.body())}

    ctx = secure_app(app, store.con, config or SecurityConfig(max_body_bytes=10_000))
    return app, ctx


@pytest.fixture()
def setup(store: Store) -> Iterator[tuple[TestClient, SecurityContext, dict[str, str]]]:
    app, ctx = build_app(store)
    keys: dict[str, str] = {}
    for role in Role:
        ctx.accounts.add_user(role.label, role, PASSWORD)
        keys[role.label] = ctx.accounts.create_key(role.label)[1]
    with TestClient(app) as client:
        yield client, ctx, keys
    ctx.close()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


CASES: list[tuple[str, str, dict[str, Any], Role]] = [
    ("GET", "/search?q=kupol", {}, Role.VIEWER),
    ("POST", "/match/default", {"json": {"queries": {"q1": {"schema": "Company"}}}}, Role.VIEWER),
    ("GET", "/export/entities", {}, Role.VIEWER),
    ("POST", "/review/c1", {"data": {"decision": "confirmed"}}, Role.ANALYST),
    ("POST", "/merge", {}, Role.ANALYST),
    ("POST", "/load", {}, Role.ADMIN),
    ("POST", "/something-new", {}, Role.ADMIN),
    ("GET", "/auth/users", {}, Role.ADMIN),
    ("POST", "/auth/keys", {"json": {"user": "viewer"}}, Role.ADMIN),
    ("GET", "/audit/verify", {}, Role.ADMIN),
]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.label)
def test_each_role_gets_exactly_its_rights(
    setup: tuple[TestClient, SecurityContext, dict[str, str]], role: Role
) -> None:
    client, ctx, keys = setup
    for method, path, kwargs, needed in CASES:
        resp = client.request(method, path, headers=auth(keys[role.label]), **kwargs)
        if role >= needed:
            assert resp.status_code in (200, 201), (role, path, resp.text)
        else:
            assert resp.status_code == 403, (role, path, resp.text)
            assert needed.label in resp.json()["detail"]
    ctx.audit.flush()
    denied = ctx.audit.entries(actor=None, action="denied", limit=100)
    expected = sum(1 for *_, needed in CASES if role < needed)
    assert len([e for e in denied if e.actor.startswith(role.label + "/")]) == expected


def test_no_credentials_or_bad_ones_are_refused(
    setup: tuple[TestClient, SecurityContext, dict[str, str]],
) -> None:
    client, _ctx, keys = setup
    assert client.get("/search").status_code == 401
    assert client.get("/search", headers=auth("dt_000000000000_nope")).status_code == 401
    assert client.get("/search", headers=auth("garbage")).status_code == 401
    tampered = keys["admin"][:-2] + ("AA" if not keys["admin"].endswith("AA") else "BB")
    assert client.get("/search", headers=auth(tampered)).status_code == 401
    # yente clients send "ApiKey"; scripts often X-API-Key
    assert client.get("/search", headers={"Authorization": f"ApiKey {keys['viewer']}"}).is_success
    assert client.get("/search", headers={"X-API-Key": keys["viewer"]}).is_success


def test_revoked_key_and_disabled_user_stop_at_once(
    setup: tuple[TestClient, SecurityContext, dict[str, str]],
) -> None:
    client, _ctx, keys = setup
    assert client.get("/search", headers=auth(keys["analyst"])).is_success
    key_id = keys["analyst"].split("_")[1]
    resp = client.delete(f"/auth/keys/{key_id}", headers=auth(keys["admin"]))
    assert resp.status_code == 200 and resp.json()["revoked_at"]
    assert client.get("/search", headers=auth(keys["analyst"])).status_code == 401

    assert client.get("/search", headers=auth(keys["viewer"])).is_success
    resp = client.post("/auth/users/viewer/disable", headers=auth(keys["admin"]))
    assert resp.json()["disabled"] is True
    assert client.get("/search", headers=auth(keys["viewer"])).status_code == 401


def test_key_limited_below_its_user(
    setup: tuple[TestClient, SecurityContext, dict[str, str]],
) -> None:
    client, _ctx, keys = setup
    resp = client.post(
        "/auth/keys", json={"user": "admin", "role": "viewer"}, headers=auth(keys["admin"])
    )
    assert resp.status_code == 201
    limited = resp.json()["key"]
    assert client.get("/search", headers=auth(limited)).is_success
    assert client.post("/load", headers=auth(limited)).status_code == 403
    # and a key can never exceed its user
    resp = client.post(
        "/auth/keys", json={"user": "viewer", "role": "admin"}, headers=auth(keys["admin"])
    )
    assert resp.status_code == 422


def test_keys_and_passwords_are_stored_hashed(
    setup: tuple[TestClient, SecurityContext, dict[str, str]],
) -> None:
    _client, ctx, keys = setup
    rows = ctx.con.execute("SELECT password_hash FROM users").fetchall()
    assert all(r[0].startswith("$argon2id$") and PASSWORD not in r[0] for r in rows)
    secrets_stored = ctx.con.execute("SELECT secret_hash FROM api_keys").fetchall()
    assert all(r[0].startswith("$argon2id$") for r in secrets_stored)
    for key in keys.values():
        secret = key.split("_", 2)[2]
        assert all(secret not in r[0] for r in secrets_stored)


def test_session_login_and_csrf(setup: tuple[TestClient, SecurityContext, dict[str, str]]) -> None:
    client, ctx, _keys = setup
    assert (
        client.post(
            "/auth/login", json={"username": "analyst", "password": "wrong-password!"}
        ).status_code
        == 401
    )
    resp = client.post("/auth/login", json={"username": "analyst", "password": PASSWORD})
    assert resp.status_code == 200
    csrf = resp.json()["csrf_token"]
    set_cookie = resp.headers.get_list("set-cookie")
    session_cookie = next(c for c in set_cookie if c.startswith("dt_session="))
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie
    assert client.get("/search").is_success  # cookie carries the session
    assert client.get("/auth/me").json()["role"] == "analyst"
    # a state change without the CSRF token is refused, with it accepted
    assert client.post("/merge").status_code == 403
    assert client.post("/merge", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/merge", headers={"X-CSRF-Token": csrf}).is_success
    # a plain HTML form carries the token as a field; the route still gets its body
    resp = client.post("/review/c9", data={"decision": "rejected", "csrf_token": csrf})
    assert resp.is_success and resp.json() == {"claim": "c9", "decision": "rejected"}
    resp = client.post("/review/c9", data={"decision": "rejected", "csrf_token": "x"})
    assert resp.status_code == 403
    # a cross-site request is refused even with the token
    resp = client.post("/merge", headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"})
    assert resp.status_code == 403
    # rights still apply to sessions
    assert client.post("/load", headers={"X-CSRF-Token": csrf}).status_code == 403
    assert client.post("/auth/logout", headers={"X-CSRF-Token": csrf}).is_success
    assert client.get("/search").status_code == 401
    ctx.audit.flush()
    actions = [e.action for e in ctx.audit.entries(actor="analyst", limit=50)]
    assert "login" in actions and "logout" in actions and "merge" in actions


def test_login_throttled_after_repeated_failures(
    setup: tuple[TestClient, SecurityContext, dict[str, str]],
) -> None:
    client, ctx, _keys = setup
    for _ in range(5):
        r = client.post("/auth/login", json={"username": "admin", "password": "not-the-password"})
        assert r.status_code == 401
    r = client.post("/auth/login", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 429
    ctx.audit.flush()
    assert len(ctx.audit.entries(action="login.failed")) == 5


def test_anonymous_only_when_configured_and_only_on_loopback(store: Store) -> None:
    closed = SecurityConfig()
    app, ctx = build_app(store, closed)
    with TestClient(app, client=("127.0.0.1", 5000)) as client:
        assert client.get("/search").status_code == 401
    ctx.close()

    local = SecurityConfig(anonymous_local=True)
    app, ctx = build_app(store, local)
    with TestClient(app, client=("127.0.0.1", 5000)) as client:
        assert client.get("/search").is_success
        assert client.post("/load").is_success
        # behind a proxy every visitor looks local: refused
        assert client.get("/search", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 401
    with TestClient(app, client=("10.1.2.3", 5000)) as client:
        assert client.get("/search").status_code == 401
    with TestClient(app, client=("::1", 5000)) as client:
        assert client.get("/search").is_success
    ctx.close()


def test_security_headers_on_every_response(
    setup: tuple[TestClient, SecurityContext, dict[str, str]],
) -> None:
    client, _ctx, keys = setup
    for resp in (
        client.get("/search", headers=auth(keys["viewer"])),
        client.get("/search"),
        client.get("/nope", headers=auth(keys["viewer"])),
        client.post("/load", headers=auth(keys["viewer"])),
    ):
        csp = resp.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert resp.headers["x-frame-options"] == "DENY"
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["cache-control"] == "no-store"


def test_request_size_limits(setup: tuple[TestClient, SecurityContext, dict[str, str]]) -> None:
    client, _ctx, keys = setup
    headers = auth(keys["admin"])
    assert client.post("/upload", content=b"x" * 5_000, headers=headers).json() == {"bytes": 5_000}
    assert client.post("/upload", content=b"x" * 20_000, headers=headers).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(30):
            yield b"y" * 1_000

    assert client.post("/upload", content=chunks(), headers=headers).status_code == 413


def test_screening_and_decisions_are_audited(
    setup: tuple[TestClient, SecurityContext, dict[str, str]],
) -> None:
    client, ctx, keys = setup
    body = {"queries": {"q1": {"schema": "Company", "properties": {"name": ["IEMZ Kupol"]}}}}
    assert client.post("/match/default", json=body, headers=auth(keys["viewer"])).is_success
    assert client.post(
        "/review/c1", data={"decision": "confirmed"}, headers=auth(keys["analyst"])
    ).is_success
    assert client.get("/export/entities", headers=auth(keys["viewer"])).is_success
    ctx.audit.flush()
    entries = {e.action: e for e in ctx.audit.entries(limit=50)}
    screen = entries["screen"]
    assert screen.actor.startswith("viewer/key:") and screen.target == "/match/default"
    assert "IEMZ Kupol" in screen.details_dict()["body"]
    assert screen.details_dict()["status"] == 200
    assert entries["review"].actor.startswith("analyst/key:")
    assert "confirmed" in entries["review"].details_dict()["body"]
    assert "export" in entries
    assert ctx.audit.verify().ok


def test_overload_answers_429_not_a_crash(store: Store) -> None:
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        await asyncio.sleep(0.3)
        return {"ok": True}

    config = SecurityConfig(anonymous_local=True, max_concurrent=2, max_queue=2, queue_timeout=5)
    ctx = secure_app(app, store.con, config)

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            resps = await asyncio.gather(*(client.get("/slow") for _ in range(10)))
        return [r.status_code for r in resps]

    codes = asyncio.run(run())
    assert codes.count(200) == 4  # 2 running + 2 queued
    assert codes.count(429) == 6
    ctx.close()


def test_upload_forms_carry_csrf_as_a_field(
    setup: tuple[TestClient, SecurityContext, dict[str, str]],
) -> None:
    """Plain HTML upload forms cannot set headers: the token travels as the first form
    field, is found without buffering the upload, and the route still gets every byte."""
    client, _, _ = setup
    resp = client.post("/auth/login", json={"username": "admin", "password": PASSWORD})
    csrf = resp.json()["csrf_token"]
    upload = {"file": ("parties.csv", b"name,country\nTSK Vektor,RU\n" * 200, "text/csv")}
    ok = client.post("/upload", data={"csrf_token": csrf}, files=upload)
    assert ok.status_code == 200 and ok.json()["bytes"] > 200 * 27
    assert client.post("/upload", files=upload).status_code == 403
    assert client.post("/upload", data={"csrf_token": "forged"}, files=upload).status_code == 403
    client.cookies.clear()
