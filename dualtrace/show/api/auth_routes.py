"""HTTP routes for signing in and out, users, API keys and the audit log.

Everything here sits behind :class:`dualtrace.security.http_auth.AuthMiddleware`
(``/auth/login`` is the one public route); user, key and audit routes need an admin.
Each change is written to the audit log before the response is sent.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from pydantic import BaseModel, Field

from dualtrace.errors import DualtraceError, NotFoundError
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

MAX_FAILED_LOGINS = 5
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


_throttle = _LoginThrottle()


async def _login_body(request: Request) -> LoginBody:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/x-www-form-urlencoded") or ctype.startswith(
        "multipart/form-data"
    ):
        form = await request.form()
        return LoginBody(
            username=str(form.get("username", "")), password=str(form.get("password", ""))
        )
    try:
        return LoginBody.model_validate(await request.json())
    except ValueError as exc:
        raise HTTPException(status_code=422, detail="expected username and password") from exc


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


@router.post("/auth/login")
async def login(request: Request, response: Response, ctx: Ctx) -> dict[str, Any]:
    """Password sign-in: sets the session cookie and returns the CSRF token to send back
    in ``X-CSRF-Token`` (or a ``csrf_token`` form field) with every change."""
    body = await _login_body(request)
    client = client_host(request.scope)
    key = (body.username.strip().lower(), client)
    if _throttle.blocked(key):
        ctx.audit.append(body.username, "login.throttled", body.username, {"client": client})
        raise HTTPException(
            status_code=429,
            detail="too many failed sign-ins; wait five minutes",
            headers={"Retry-After": str(int(FAILED_LOGIN_WINDOW))},
        )
    identity = ctx.accounts.authenticate_password(body.username, body.password)
    if identity is None:
        _throttle.failed(key)
        ctx.audit.append(body.username, "login.failed", body.username, {"client": client})
        raise HTTPException(status_code=401, detail="wrong user name or password")
    _throttle.cleared(key)
    token, csrf = ctx.sessions.create(identity.user_name)
    ctx.audit.append(identity.user_name, "login", identity.user_name, {"client": client})
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


def secure_app(
    app: FastAPI, con: duckdb.DuckDBPyConnection, config: SecurityConfig | None = None
) -> SecurityContext:
    """Install the security middleware on ``app`` and mount these routes: the one call
    ``create_app`` makes. Returns the context; ``ctx.audit.append`` records events."""
    ctx = install_security(app, con, config)
    app.include_router(router)
    return ctx
