"""Who is calling, may they do this, and is it on record: one ASGI layer for every route.

Authentication, the role check, CSRF and auditing run in one middleware driven by one
policy table (:data:`DEFAULT_RULES`): a route added by anyone is protected (unsafe
methods on unknown paths need an admin) and audited without having to remember a
decorator. Routes can still ask for more with ``Depends(require_role(...))`` and read
the caller with ``Depends(current_principal)``.

Credentials, in order: an API key (``Authorization: Bearer <key>``, ``Authorization:
ApiKey <key>`` as yente clients send it, or ``X-API-Key``), then the session cookie. A
wrong credential is refused outright, never downgraded to anonymous. Anonymous access
exists only when configured for local single-user use, and then only for requests
arriving on the loopback interface without proxy headers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import anyio.to_thread
import duckdb
from fastapi import FastAPI, HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dualtrace.errors import DualtraceError
from dualtrace.security.accounts import Accounts, Identity
from dualtrace.security.audit import AuditLog
from dualtrace.security.http_middleware import (
    BodySizeLimitMiddleware,
    ConcurrencyLimitMiddleware,
    SecurityHeadersMiddleware,
    send_plain,
)
from dualtrace.security.roles import Role
from dualtrace.security.sessions import Session, Sessions

ENV_ANONYMOUS_LOCAL = "DUALTRACE_ANONYMOUS_LOCAL"
SESSION_COOKIE = "dt_session"
CSRF_COOKIE = "dt_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
LOOPBACK = frozenset({"127.0.0.1", "::1"})
PROXY_HEADERS = (b"x-forwarded-for", b"forwarded", b"x-real-ip")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_AUDITED_BODY = 4096
MAX_CSRF_SCAN = 64 * 1024
# (method, path) -> rule lookups remembered by a SecurityContext before it starts over
RULE_MEMO_SIZE = 4096
_MULTIPART_CSRF = re.compile(
    rb'content-disposition: *form-data; *name="csrf_token"\r\n\r\n([^\r\n]{1,200})\r\n',
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Rule:
    """Least role for requests to ``prefix`` (and below) with one of ``methods``
    (empty = any method), and the audit action to record them as (None = not audited).
    With ``pattern``, the whole path must also match that regular expression."""

    prefix: str
    role: Role
    methods: frozenset[str] = frozenset()
    action: str | None = None
    durable: bool = True
    pattern: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.methods and method not in self.methods:
            return False
        p = self.prefix.rstrip("/")
        if not (path == p or path.startswith(p + "/") or p == ""):
            return False
        return self.pattern is None or re.fullmatch(self.pattern, path) is not None


_GET = frozenset({"GET", "HEAD"})
_WRITE = UNSAFE_METHODS

# First match wins. Every audited request, screening included, is answered only once
# its entry is committed (group commit: at hundreds of screening requests per second
# the writer commits them in batches, so waiting costs a few ms of latency, not
# throughput). ``durable=False`` is for rules that may answer first. Paths are the
# API's (dualtrace/show/api) and the workspace's (/web, dualtrace/show/web).
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("/auth/login", Role.VIEWER),  # public; see PUBLIC_PATHS
    Rule("/auth/logout", Role.VIEWER),
    Rule("/auth/me", Role.VIEWER),
    Rule("/auth/users", Role.ADMIN),
    Rule("/auth/keys", Role.ADMIN),
    Rule("/audit", Role.ADMIN, action="audit.read"),
    Rule("/admin", Role.ADMIN, action="admin"),
    # screening and search: every role
    Rule("/match", Role.VIEWER, action="screen"),
    Rule("/web/screen", Role.VIEWER, _WRITE, action="screen"),
    # exports and reports leave the system: audited
    Rule("/export", Role.VIEWER, action="export"),
    Rule("/web/screen/jobs", Role.VIEWER, _GET, "export", pattern=r".*/results\.[A-Za-z]+"),
    Rule("/web", Role.VIEWER, _GET, "export", pattern=r".*/report\.[A-Za-z]+"),
    # decisions: analysts
    Rule("/claims", Role.ANALYST, _WRITE, action="review"),
    Rule("/web/documents", Role.ANALYST, _WRITE, action="review"),
    Rule("/review", Role.ANALYST, _WRITE, action="review"),
    Rule("/merge", Role.ANALYST, _WRITE, action="merge"),
    Rule("/split", Role.ANALYST, _WRITE, action="split"),
    Rule("/resolve", Role.ANALYST, _WRITE, action="merge"),
    Rule("/cases", Role.ANALYST, _WRITE, action="case"),
    Rule("/web/cases", Role.ANALYST, _WRITE, action="case"),
    Rule("/documents", Role.ANALYST, _WRITE, action="document.upload"),
    # loading and fetching lists: admins
    Rule("/load", Role.ADMIN, action="load"),
    Rule("/fetch", Role.ADMIN, action="fetch"),
    Rule("", Role.VIEWER, _GET),
    Rule("", Role.ADMIN),  # unknown writes: admin only until a rule says otherwise
)
PUBLIC_PATHS: tuple[str, ...] = (
    "/auth/login",
    "/login",
    "/healthz",
    "/static",
    "/web/static",
    "/favicon.ico",
)


@dataclass(frozen=True)
class SecurityConfig:
    """Limits and switches; :meth:`from_env` reads the ``DUALTRACE_*`` variables."""

    anonymous_local: bool = False
    anonymous_role: Role = Role.ADMIN
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 50 * 1024 * 1024
    max_concurrent: int = 64
    max_queue: int = 512
    queue_timeout: float = 2.0
    cookie_secure: bool = False
    login_page: str | None = "/login"
    rules: tuple[Rule, ...] = DEFAULT_RULES
    public_paths: tuple[str, ...] = PUBLIC_PATHS

    @classmethod
    def from_env(cls, **overrides: Any) -> SecurityConfig:
        env = os.environ
        values: dict[str, Any] = {
            "anonymous_local": env.get(ENV_ANONYMOUS_LOCAL, "") in {"1", "true", "yes"},
            "cookie_secure": env.get("DUALTRACE_COOKIE_SECURE", "") in {"1", "true", "yes"},
        }
        for name, var in (
            ("max_body_bytes", "DUALTRACE_MAX_BODY_BYTES"),
            ("max_upload_bytes", "DUALTRACE_MAX_UPLOAD_BYTES"),
            ("max_concurrent", "DUALTRACE_MAX_CONCURRENT"),
            ("max_queue", "DUALTRACE_MAX_QUEUE"),
        ):
            if env.get(var):
                values[name] = int(env[var])
        values.update(overrides)
        return cls(**values)

    def with_rules(self, *extra: Rule) -> SecurityConfig:
        """This config with ``extra`` rules tried before the existing ones."""
        return dataclasses.replace(self, rules=(*extra, *self.rules))


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a request, as routes see it."""

    name: str
    role: Role
    via: Literal["key", "session", "anonymous"]
    key_id: str | None = None
    session: Session | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this caller (``alice``, ``alice/key:ab12…``)."""
        if self.via == "key":
            return f"{self.name}/key:{self.key_id}"
        if self.via == "anonymous":
            return f"{self.name}/anonymous"
        return self.name


class SecurityContext:
    """Accounts, sessions and the audit log of one store, shared by every request.

    ``store`` is a connection, or a function returning one, called on first use: an
    app can be built (and its middleware installed) before its store is opened.
    """

    def __init__(
        self,
        store: duckdb.DuckDBPyConnection | Callable[[], duckdb.DuckDBPyConnection],
        config: SecurityConfig,
    ) -> None:
        self._source = store
        self.config = config
        # public paths and everything below them, prepared once (asked on every request)
        self._public_exact = frozenset(config.public_paths)
        self._public_below = tuple(p.rstrip("/") + "/" for p in config.public_paths)
        self._rule_memo: dict[tuple[str, str], Rule] = {}
        self._memo_for = config
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._accounts: Accounts | None = None
        self._sessions: Sessions | None = None
        self._audit: AuditLog | None = None
        if isinstance(store, duckdb.DuckDBPyConnection):
            self._open()

    def _open(self) -> None:
        with self._lock:
            if self._con is None:
                src = self._source
                con = src if isinstance(src, duckdb.DuckDBPyConnection) else src()
                self._accounts = Accounts(con)
                self._sessions = Sessions(con)
                self._audit = AuditLog(con)
                self._con = con

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._open()
        assert self._con is not None
        return self._con

    @property
    def accounts(self) -> Accounts:
        if self._accounts is None:
            self._open()
        assert self._accounts is not None
        return self._accounts

    @property
    def sessions(self) -> Sessions:
        if self._sessions is None:
            self._open()
        assert self._sessions is not None
        return self._sessions

    @property
    def audit(self) -> AuditLog:
        """The store's audit log: ``ctx.audit.append(actor, action, target, details)``."""
        if self._audit is None:
            self._open()
        assert self._audit is not None
        return self._audit

    def rule_for(self, method: str, path: str) -> Rule:
        """The first rule matching ``method`` and ``path``. Remembered per (method,
        path): walking the table cost 5-11 us a request, and the rules are fixed for the
        context's life; the memo is cleared when full, so it stays small however many
        distinct paths (entity ids) are asked for."""
        if self._memo_for is not self.config:  # a new config: its own rules
            self._rule_memo.clear()
            self._memo_for = self.config
        key = (method, path)
        rule = self._rule_memo.get(key)
        if rule is None:
            rule = self._first_rule(method, path)
            if len(self._rule_memo) >= RULE_MEMO_SIZE:
                self._rule_memo.clear()
            self._rule_memo[key] = rule
        return rule

    def _first_rule(self, method: str, path: str) -> Rule:
        for rule in self.config.rules:
            if rule.matches(method, path):
                return rule
        return Rule("", Role.ADMIN)

    def is_public(self, path: str) -> bool:
        return path in self._public_exact or path.startswith(self._public_below)

    def disable_user(self, name: str) -> None:
        self.accounts.disable_user(name)
        self.sessions.forget(name.strip().lower())

    def close(self) -> None:
        """Commit queued audit entries and stop the audit writer."""
        if self._audit is not None:
            self._audit.close()


def _presented_key(headers: dict[bytes, bytes]) -> str | None:
    auth = headers.get(b"authorization", b"").decode("latin-1").strip()
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() in {"bearer", "apikey"} and value.strip():
            return value.strip()
    key = headers.get(b"x-api-key", b"").decode("latin-1").strip()
    return key or None


def _cookie(headers: dict[bytes, bytes], name: str) -> str | None:
    raw = headers.get(b"cookie", b"").decode("latin-1")
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def client_host(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def anonymous_allowed(scope: Scope, config: SecurityConfig) -> bool:
    """Local single-user mode: only when configured, on loopback, with no proxy in front
    (a reverse proxy on the same host would make every visitor look local)."""
    if not config.anonymous_local or client_host(scope) not in LOOPBACK:
        return False
    headers = dict(scope.get("headers", []))
    return not any(h in headers for h in PROXY_HEADERS)


def _same_origin(headers: dict[bytes, bytes], scope: Scope) -> bool:
    """Browsers send Origin on every cross-site POST; no Origin means a non-browser
    client (which cannot carry a victim's cookie) or an old same-origin form."""
    origin = headers.get(b"origin")
    if origin is None:
        return True
    host = headers.get(b"host", b"").decode("latin-1")
    parsed = urllib.parse.urlsplit(origin.decode("latin-1"))
    return bool(host) and parsed.netloc == host


class AuthMiddleware:
    """Authenticate, authorise, check CSRF and audit every HTTP request."""

    def __init__(self, app: ASGIApp, context: SecurityContext) -> None:
        self.app = app
        self.ctx = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", "/"))
        method = str(scope.get("method", "GET")).upper()
        state = scope.setdefault("state", {})
        if self.ctx.is_public(path):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        principal, problem = await self._authenticate(scope, headers)
        if principal is None:
            await self._unauthenticated(scope, headers, send, problem)
            return
        state["principal"] = principal
        rule = self.ctx.rule_for(method, path)
        if not principal.role.allows(rule.role):
            self.ctx.audit.append(
                principal.actor,
                "denied",
                f"{method} {path}",
                {"needs": rule.role.label, "has": principal.role.label},
                wait=False,
            )
            await send_plain(
                send, 403, f"{rule.role.label} role required (you are {principal.role.label})"
            )
            return
        body_prefix = b""
        if principal.via == "session" and method in UNSAFE_METHODS:
            ok, receive, body_prefix = await self._check_csrf(scope, headers, receive, principal)
            if not ok:
                await send_plain(send, 403, "missing or invalid CSRF token")
                return
        if rule.action is None:
            await self.app(scope, receive, send)
            return
        await self._audited(scope, receive, send, principal, rule, body_prefix)

    async def _authenticate(
        self, scope: Scope, headers: dict[bytes, bytes]
    ) -> tuple[Principal | None, str]:
        key = _presented_key(headers)
        if key is not None:
            identity: Identity | None = self.ctx.accounts.cached_key(key)
            if identity is None:
                identity = await anyio.to_thread.run_sync(self.ctx.accounts.authenticate_key, key)
            if identity is None:
                return None, "invalid or revoked API key"
            return Principal(identity.user_name, identity.role, "key", identity.key_id), ""
        token = _cookie(headers, SESSION_COOKIE)
        if token is not None:
            session = await anyio.to_thread.run_sync(self.ctx.sessions.lookup, token)
            if session is None:
                return None, "session expired or signed out"
            return Principal(session.user_name, session.role, "session", session=session), ""
        if anonymous_allowed(scope, self.ctx.config):
            return Principal("local", self.ctx.config.anonymous_role, "anonymous"), ""
        return None, "authentication required"

    async def _unauthenticated(
        self, scope: Scope, headers: dict[bytes, bytes], send: Send, problem: str
    ) -> None:
        accept = headers.get(b"accept", b"")
        login = self.ctx.config.login_page
        if login and scope.get("method") == "GET" and b"text/html" in accept:
            target = urllib.parse.quote(str(scope.get("path", "/")), safe="/")
            location = f"{login}?next={target}".encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [(b"location", location), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await send_plain(send, 401, problem, [(b"www-authenticate", b'Bearer realm="dualtrace"')])

    async def _check_csrf(
        self, scope: Scope, headers: dict[bytes, bytes], receive: Receive, principal: Principal
    ) -> tuple[bool, Receive, bytes]:
        """Header token, or a ``csrf_token`` field of a url-encoded form (the body is read
        and replayed to the route). Cross-origin requests are refused outright."""
        session = principal.session
        if session is None or not _same_origin(headers, scope):
            return False, receive, b""
        presented = headers.get(CSRF_HEADER.encode(), b"").decode("latin-1")
        if presented:
            return session.csrf_ok(presented), receive, b""
        ctype = headers.get(b"content-type", b"").lower()
        if ctype.startswith(b"multipart/form-data"):
            return await self._multipart_csrf(receive, session)
        if not ctype.startswith(b"application/x-www-form-urlencoded"):
            return False, receive, b""
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return False, receive, b""
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        fields = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        token = (fields.get(CSRF_FIELD) or [""])[0]
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return session.csrf_ok(token), replay, body[:MAX_AUDITED_BODY]

    async def _multipart_csrf(
        self, receive: Receive, session: Session
    ) -> tuple[bool, Receive, bytes]:
        """A ``csrf_token`` field of an upload form (plain HTML forms cannot set headers).

        Reads only until the field is found (forms put the hidden field first) or
        MAX_CSRF_SCAN bytes, then replays what was read and streams the rest, so a large
        upload is never held in memory here.
        """
        held: list[Message] = []
        seen = b""
        token: str | None = None
        while True:
            message = await receive()
            held.append(message)
            if message["type"] != "http.request":
                break
            seen += message.get("body", b"")
            found = _MULTIPART_CSRF.search(seen[:MAX_CSRF_SCAN])
            if found is not None:
                token = found.group(1).decode("latin-1")
                break
            if not message.get("more_body", False) or len(seen) > MAX_CSRF_SCAN:
                break

        async def replay() -> Message:
            if held:
                return held.pop(0)
            return await receive()

        return session.csrf_ok(token), replay, b""

    async def _audited(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        principal: Principal,
        rule: Rule,
        body_prefix: bytes,
    ) -> None:
        """Run the route; record the event before the client sees the response."""
        seen = bytearray(body_prefix)
        digest = hashlib.sha256(body_prefix)

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                digest.update(chunk)
                if len(seen) < MAX_AUDITED_BODY:
                    seen.extend(chunk[: MAX_AUDITED_BODY - len(seen)])
            return message

        start: Message | None = None
        recorded = False
        refused = False

        async def record(status: int) -> None:
            nonlocal recorded, refused
            recorded = True
            details: dict[str, Any] = {
                "method": scope.get("method"),
                "status": status,
                "client": client_host(scope),
            }
            query = scope.get("query_string", b"")
            if query:
                details["query"] = query.decode("latin-1")[:MAX_AUDITED_BODY]
            if seen:
                details["body"] = bytes(seen).decode("utf-8", "replace")
                details["body_sha256"] = digest.hexdigest()
            target = str(scope.get("path", "/"))
            try:
                if rule.durable:
                    await self.ctx.audit.append_async(
                        principal.actor, rule.action or "", target, details
                    )
                else:
                    self.ctx.audit.append(
                        principal.actor, rule.action or "", target, details, wait=False
                    )
            except (DualtraceError, duckdb.Error, OSError, RuntimeError) as exc:
                # Not on record, so not answered: the client gets a clear 503 instead
                # of a result nobody can account for later.
                refused = True
                await send_plain(send, 503, f"the audit log cannot record this request: {exc}")

        async def holding_send(message: Message) -> None:
            nonlocal start
            if refused:
                return
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body" and start is not None:
                if not recorded:
                    await record(int(start["status"]))
                    if refused:
                        return
                await send(start)
                start = None
            await send(message)

        await self.app(scope, recording_receive, holding_send)
        if not recorded:
            await record(int(start["status"]) if start is not None else 500)
        if start is not None and not refused:
            await send(start)


def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated caller (set by :class:`AuthMiddleware`)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise HTTPException(status_code=401, detail="authentication required")
    return principal


def require_role(role: Role) -> Callable[[Request], Principal]:
    """FastAPI dependency factory: 403 unless the caller has at least ``role``."""

    def dependency(request: Request) -> Principal:
        principal = current_principal(request)
        if not principal.role.allows(role):
            raise HTTPException(
                status_code=403,
                detail=f"{role.label} role required (you are {principal.role.label})",
            )
        return principal

    return dependency


def security_context(request: Request) -> SecurityContext:
    """FastAPI dependency: accounts, sessions and audit log (``ctx.audit.append``)."""
    ctx = getattr(request.app.state, "security", None)
    if not isinstance(ctx, SecurityContext):
        raise HTTPException(status_code=500, detail="security is not installed on this app")
    return ctx


def install_security(
    app: FastAPI,
    con: duckdb.DuckDBPyConnection | Callable[[], duckdb.DuckDBPyConnection],
    config: SecurityConfig | None = None,
) -> SecurityContext:
    """Put the whole guard around ``app``; returns the context (also ``app.state.security``).

    Order, outermost first: headers (so even 413/429 carry them), overload limiter, body
    limits, then authentication/authorisation/audit nearest the routes.
    """
    cfg = config or SecurityConfig.from_env()
    ctx = SecurityContext(con, cfg)
    app.state.security = ctx
    app.add_middleware(AuthMiddleware, context=ctx)
    app.add_middleware(
        BodySizeLimitMiddleware, max_body=cfg.max_body_bytes, max_upload=cfg.max_upload_bytes
    )
    app.add_middleware(
        ConcurrencyLimitMiddleware,
        max_concurrent=cfg.max_concurrent,
        max_queue=cfg.max_queue,
        queue_timeout=cfg.queue_timeout,
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=cfg.cookie_secure)
    return ctx


def check_bind_host(host: str, config: SecurityConfig) -> None:
    """Refuse to serve anonymously on anything but loopback (called by ``serve``)."""
    if config.anonymous_local and host not in LOOPBACK and host != "localhost":
        raise DualtraceError(
            f"anonymous local mode ({ENV_ANONYMOUS_LOCAL}=1) only serves on 127.0.0.1, "
            f"not {host}; create a user instead (dualtrace users add)"
        )
