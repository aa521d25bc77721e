"""HTTP routes for signing in and out, users, API keys and the audit log.

Everything here sits behind :class:`dualtrace.security.http_auth.AuthMiddleware`
(``/auth/login`` is the one public route); user, key and audit routes need an admin.
Each change is written to the audit log before the response is sent.
"""

from __future__ import annotations

import html
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from dualtrace.errors import DualtraceError, InputError, NotFoundError, StoreError
from dualtrace.security.backup import backup, hold_store, release_store
from dualtrace.security.http_auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Principal,
    SecurityConfig,
    SecurityContext,
    client_host,
    current_principal,
    install_security,
    require_role,
    security_context,
)
from dualtrace.security.roles import Role
from dualtrace.security.uploads import resolve_within
from dualtrace.store import Store

MAX_FAILED_LOGINS = 5
ENV_BACKUP_DIR = "DUALTRACE_BACKUP_DIR"
FAILED_LOGIN_WINDOW = 300.0

router = APIRouter(tags=["auth"])
Ctx = Annotated[SecurityContext, Depends(security_context)]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
Caller = Annotated[Principal, Depends(current_principal)]


class LoginBody(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class NewUser(BaseModel):
    name: str = Field(max_length=64)
    role: str = Field(max_length=16)
    password: str | None = Field(default=None, max_length=1024)


class NewKey(BaseModel):
    user: str = Field(max_length=64)
    role: str | None = Field(default=None, max_length=16)
    label: str | None = Field(default=None, max_length=200)


class _LoginThrottle:
    """Counts recent failures per (user, client); the sixth try in five minutes waits."""

    def __init__(self) -> None:
        self._fails: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: tuple[str, str]) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._fails.get(key, []) if now - t < FAILED_LOGIN_WINDOW]
            self._fails[key] = recent
            return len(recent) >= MAX_FAILED_LOGINS

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._fails.setdefault(key, []).append(time.monotonic())

    def cleared(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._fails.pop(key, None)


def _throttle(request: Request) -> _LoginThrottle:
    """The app's own failed-sign-in counter (one per app, so apps never share state)."""
    throttle = getattr(request.app.state, "login_throttle", None)
    if not isinstance(throttle, _LoginThrottle):
        throttle = _LoginThrottle()
        request.app.state.login_throttle = throttle
    return throttle


async def _login_body(request: Request) -> tuple[LoginBody, str | None]:
    """The credentials, and for an HTML form the page to return to afterwards."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/x-www-form-urlencoded") or ctype.startswith(
        "multipart/form-data"
    ):
        form = await request.form()
        try:
            body = LoginBody(
                username=str(form.get("username", "")), password=str(form.get("password", ""))
            )
        except ValueError as exc:
            raise HTTPException(status_code=422, detail="expected username and password") from exc
        return body, safe_next(str(form.get("next", "") or "/web"))
    try:
        return LoginBody.model_validate(await request.json()), None
    except ValueError as exc:
        raise HTTPException(status_code=422, detail="expected username and password") from exc


def safe_next(target: str) -> str:
    """Only a path on this server: ``//evil.example`` or ``https://…`` would turn the
    sign-in page into an open redirect."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/web"
    if any(ord(c) < 32 for c in target):
        return "/web"
    return target


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · dualtrace</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>dualtrace</h1>
<form method="post" action="/auth/login">
<input type="hidden" name="next" value="{next}">
<p><label for="username">User name</label><br>
<input id="username" name="username" autocomplete="username" required maxlength="64"></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password"
required maxlength="1024"></p>
<p><button type="submit">Sign in</button></p>
</form></main></body></html>
"""


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(next: str = "/web") -> HTMLResponse:
    """The sign-in form (plain HTML, no scripts: the CSP allows none inline)."""
    return HTMLResponse(LOGIN_PAGE.format(next=html.escape(safe_next(next), quote=True)))


def _set_cookies(response: Response, token: str, csrf: str, config: SecurityConfig) -> None:
    lifetime = 12 * 3600
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=lifetime,
        httponly=True,
        secure=config.cookie_secure,
        samesite="strict",
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=lifetime,
        httponly=False,
        secure=config.cookie_secure,
        samesite="strict",
        path="/",
    )


@router.post("/auth/login", response_model=None)
async def login(request: Request, response: Response, ctx: Ctx) -> dict[str, Any] | Response:
    """Password sign-in: sets the session cookie and returns the CSRF token to send back
    in ``X-CSRF-Token`` (or a ``csrf_token`` form field) with every change. A form
    post from the sign-in page is redirected back to the page it came from."""
    body, next_page = await _login_body(request)
    client = client_host(request.scope)
    key = (body.username.strip().lower(), client)
    throttle = _throttle(request)
    if throttle.blocked(key):
        ctx.audit.append(body.username, "login.throttled", body.username, {"client": client})
        raise HTTPException(
            status_code=429,
            detail="too many failed sign-ins; wait five minutes",
            headers={"Retry-After": str(int(FAILED_LOGIN_WINDOW))},
        )
    identity = ctx.accounts.authenticate_password(body.username, body.password)
    if identity is None:
        throttle.failed(key)
        ctx.audit.append(body.username, "login.failed", body.username, {"client": client})
        raise HTTPException(status_code=401, detail="wrong user name or password")
    throttle.cleared(key)
    token, csrf = ctx.sessions.create(identity.user_name)
    ctx.audit.append(identity.user_name, "login", identity.user_name, {"client": client})
    if next_page is not None:
        redirect = RedirectResponse(next_page, status_code=303)
        _set_cookies(redirect, token, csrf, ctx.config)
        return redirect
    _set_cookies(response, token, csrf, ctx.config)
    return {"user": identity.user_name, "role": identity.role.label, "csrf_token": csrf}


@router.post("/auth/logout")
def logout(request: Request, response: Response, caller: Caller, ctx: Ctx) -> dict[str, Any]:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        ctx.sessions.revoke(token)
    ctx.audit.append(caller.actor, "logout", caller.name, {})
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return {"signed_out": True}


@router.get("/auth/me")
def me(caller: Caller) -> dict[str, Any]:
    return {
        "user": caller.name,
        "role": caller.role.label,
        "via": caller.via,
        "key_id": caller.key_id,
        "csrf_token": caller.session.csrf_token if caller.session else None,
    }


def _user_dict(user: Any) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": user.role.label,
        "has_password": user.has_password,
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
    }


def _key_dict(key: Any) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "user": key.user_name,
        "label": key.label,
        "role": key.role.label,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


def _user_error(exc: DualtraceError) -> HTTPException:
    status = 404 if isinstance(exc, NotFoundError) else 422
    return HTTPException(status_code=status, detail=str(exc))


@router.get("/auth/users")
def list_users(admin: Admin, ctx: Ctx) -> list[dict[str, Any]]:
    return [_user_dict(u) for u in ctx.accounts.users()]


@router.post("/auth/users", status_code=201)
def add_user(body: NewUser, admin: Admin, ctx: Ctx) -> dict[str, Any]:
    try:
        user = ctx.accounts.add_user(body.name, Role.parse(body.role), body.password)
    except DualtraceError as exc:
        raise _user_error(exc) from exc
    ctx.audit.append(admin.actor, "users.add", user.name, {"role": user.role.label})
    return _user_dict(user)


@router.post("/auth/users/{name}/disable")
def disable_user(name: str, admin: Admin, ctx: Ctx) -> dict[str, Any]:
    try:
        ctx.disable_user(name)
        user = ctx.accounts.user(name)
    except DualtraceError as exc:
        raise _user_error(exc) from exc
    ctx.audit.append(admin.actor, "users.disable", user.name, {})
    return _user_dict(user)


@router.get("/auth/keys")
def list_keys(admin: Admin, ctx: Ctx, user: str | None = None) -> list[dict[str, Any]]:
    try:
        return [_key_dict(k) for k in ctx.accounts.keys(user)]
    except DualtraceError as exc:
        raise _user_error(exc) from exc


@router.post("/auth/keys", status_code=201)
def create_key(body: NewKey, admin: Admin, ctx: Ctx) -> dict[str, Any]:
    """A new API key; the clear key is in this response only, never again."""
    try:
        role = Role.parse(body.role) if body.role else None
        key, clear = ctx.accounts.create_key(body.user, role, body.label)
    except DualtraceError as exc:
        raise _user_error(exc) from exc
    ctx.audit.append(
        admin.actor, "keys.create", key.key_id, {"user": key.user_name, "role": key.role.label}
    )
    return {**_key_dict(key), "key": clear}


@router.delete("/auth/keys/{key_id}")
def revoke_key(key_id: str, admin: Admin, ctx: Ctx) -> dict[str, Any]:
    try:
        key = ctx.accounts.revoke_key(key_id)
    except DualtraceError as exc:
        raise _user_error(exc) from exc
    ctx.audit.append(admin.actor, "keys.revoke", key.key_id, {"user": key.user_name})
    return _key_dict(key)


@router.get("/audit/verify")
def audit_verify(admin: Admin, ctx: Ctx) -> dict[str, Any]:
    ctx.audit.flush()
    return ctx.audit.verify().to_dict()


@router.get("/audit/log")
def audit_log(
    admin: Admin,
    ctx: Ctx,
    limit: int = 100,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
) -> list[dict[str, Any]]:
    ctx.audit.flush()
    return [e.to_dict() for e in ctx.audit.entries(limit, actor, action, target)]


class BackupBody(BaseModel):
    name: str = Field(max_length=200)


def backup_dir(request: Request) -> Path:
    """``$DUALTRACE_BACKUP_DIR``, else ``backups/`` beside the store."""
    env = os.environ.get(ENV_BACKUP_DIR)
    if env:
        return Path(env)
    store_path = getattr(request.app.state, "store_path", None)
    if store_path is None:
        raise HTTPException(status_code=409, detail="this server has no store to back up")
    return Path(store_path).parent / "backups"


@router.post("/admin/backup", status_code=201)
def backup_store(body: BackupBody, request: Request, admin: Admin) -> dict[str, Any]:
    """Back up the running server's store into the backup folder (a file name, never a
    path: the name must stay inside that folder). Works while the server holds the
    store, which the CLI's ``dualtrace backup`` cannot."""
    store_path = getattr(request.app.state, "store_path", None)
    if store_path is None:
        raise HTTPException(status_code=409, detail="this server has no store to back up")
    folder = backup_dir(request)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        dest = resolve_within(folder, body.name)
        if dest.suffix != ".duckdb":
            raise InputError("backup names end in .duckdb", file=body.name)
        manifest = backup(Path(store_path), dest, admin.actor)
    except DualtraceError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return {**manifest.to_dict(), "file": dest.name}


def secure_app(
    app: FastAPI,
    con: duckdb.DuckDBPyConnection | Callable[[], duckdb.DuckDBPyConnection],
    config: SecurityConfig | None = None,
) -> SecurityContext:
    """Install the security middleware on ``app`` and mount these routes: the one call
    ``create_app`` makes. Returns the context; ``ctx.audit.append`` records events."""
    ctx = install_security(app, con, config)
    app.state.login_throttle = _LoginThrottle()
    app.include_router(router)
    return ctx


def _open_read_write(store_path: Path | str | None) -> Store:
    """The store, read-write. A read-only connection held elsewhere in this process (the
    app's own start-up reading the index) blocks a read-write one until it closes, so
    wait a little for it rather than fail the first request."""
    target = store_path if store_path is not None else ":memory:"
    for _ in range(100):
        try:
            return Store.open(target)
        except StoreError as exc:
            if "different configuration" not in str(exc):
                raise
            time.sleep(0.1)
    return Store.open(target)


def secure_store_app(
    app: FastAPI, store_path: Path | str | None, config: SecurityConfig | None = None
) -> SecurityContext:
    """:func:`secure_app` for ``create_app``: the store at ``store_path`` is opened
    read-write on the first request (after the app's own start-up has read it) and
    closed, with the audit log flushed, when the app shuts down.

    Without a store (an app over a prepared index) there are no accounts; an empty
    in-memory account store is used, so only configured local anonymous access works.
    """
    holder: list[Store] = []
    lock = threading.Lock()

    def connection() -> duckdb.DuckDBPyConnection:
        with lock:
            if not holder:
                holder.append(_open_read_write(store_path))
            return holder[0].con

    ctx = secure_app(app, connection, config)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with inner(a) as state:
            # Hold the store (read-write, so DuckDB's file lock) from start-up, not from
            # the first request: a ``dualtrace restore`` in another process is refused
            # for the server's whole life instead of swapping the file under an index
            # and an audit chain built from the old one; one in this process is refused
            # by ``served_stores``.
            if store_path is not None:
                connection()
                hold_store(Path(store_path))
            try:
                yield state
            finally:
                if store_path is not None:
                    release_store(Path(store_path))
        ctx.close()
        with lock:
            for store in holder:
                store.close()
            holder.clear()

    app.router.lifespan_context = lifespan
    return ctx
