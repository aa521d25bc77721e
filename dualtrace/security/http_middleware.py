"""ASGI middleware that guards every response: security headers, body limits, overload.

Written as plain ASGI (not Starlette's ``BaseHTTPMiddleware``) so they add microseconds,
stream bodies untouched, and apply to every route, static file and error page alike,
whoever wrote the route.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline scripts or styles, nothing from other origins, no framing, no plugins.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)

_NO_STORE = (b"cache-control", b"no-store")
_HSTS = (b"strict-transport-security", b"max-age=31536000")
# What a response that set none of these itself gets, prepared once
_ALL_GUARD_HEADERS = (*SECURITY_HEADERS, _NO_STORE)
_GUARDED_NAMES = frozenset(name for name, _ in _ALL_GUARD_HEADERS)


async def send_plain(
    send: Send, status: int, text: str, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """A small JSON error response (``{"detail": text}``) sent straight over ASGI."""
    body = json.dumps({"detail": text}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """Adds CSP, frame denial, nosniff and friends; ``no-store`` unless a route set its
    own caching (investigation data must not linger in shared caches)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        hsts = self.hsts or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                if present.isdisjoint(_GUARDED_NAMES):  # the usual case: add them all
                    headers.extend(_ALL_GUARD_HEADERS)
                else:
                    for key, value in SECURITY_HEADERS:
                        if key not in present:
                            headers.append((key, value))
                    if b"cache-control" not in present:
                        headers.append(_NO_STORE)
                if hsts:
                    headers.append(_HSTS)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _BodyTooLarge(Exception):
    pass


class BodySizeLimitMiddleware:
    """413 for bodies over the limit: multipart uploads get ``max_upload`` bytes, every
    other request ``max_body``. Checks Content-Length up front and counts streamed
    (chunked) bodies as they arrive, so a lying or absent length does not help."""

    def __init__(self, app: ASGIApp, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        ctype = headers.get(b"content-type", b"").lower()
        limit = self.max_upload if ctype.startswith(b"multipart/form-data") else self.max_body
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await send_plain(send, 400, "invalid Content-Length")
                return
            if declared > limit:
                await send_plain(send, 413, f"request body too large (limit {limit} bytes)")
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await send_plain(send, 413, f"request body too large (limit {limit} bytes)")


class ConcurrencyLimitMiddleware:
    """At most ``max_concurrent`` requests run at once; up to ``max_queue`` more wait up
    to ``queue_timeout`` seconds; beyond that the answer is 429 with Retry-After.

    Overload then costs a client a retry rather than costing every client a timeout, and
    the server's memory stays bounded by the queue, not by the attacker.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_concurrent: int = 32,
        max_queue: int = 256,
        queue_timeout: float = 2.0,
        exempt_prefixes: tuple[str, ...] = ("/healthz",),
    ) -> None:
        self.app = app
        self.max_concurrent = max_concurrent
        self.max_queue = max_queue
        self.queue_timeout = queue_timeout
        self.exempt_prefixes = exempt_prefixes
        self._slots: asyncio.Semaphore | None = None
        self.admitted = 0
        self.rejected = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_concurrent)
        slots = self._slots
        # Counted here, not read off the semaphore: waiters only reach it when the event
        # loop next runs, so a burst would all look like "free" to slots.locked().
        if self.admitted >= self.max_concurrent + self.max_queue:
            self.rejected += 1
            await send_plain(send, 429, "server busy; retry shortly", [(b"retry-after", b"1")])
            return
        self.admitted += 1
        try:
            try:
                if slots.locked():
                    await asyncio.wait_for(slots.acquire(), timeout=self.queue_timeout)
                else:  # a free slot is taken at once: no timeout task to set up
                    await slots.acquire()
            except TimeoutError:
                self.rejected += 1
                await send_plain(send, 429, "server busy; retry shortly", [(b"retry-after", b"1")])
                return
            try:
                await self.app(scope, receive, send)
            finally:
                slots.release()
        finally:
            self.admitted -= 1
