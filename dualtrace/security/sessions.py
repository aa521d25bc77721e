"""Browser sessions with a CSRF token bound to each session.

A session token is 256 random bits; the store keeps only its SHA-256, so a stolen
backup does not yield live sessions. Each session has its own CSRF token, which the
workspace sends back in the ``X-CSRF-Token`` header (or a ``csrf_token`` form field)
on every state-changing request: a cross-site form can make the browser send the
session cookie but cannot read the token. Tokens are compared in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

import duckdb

from dualtrace.security.roles import Role

SESSION_LIFETIME = dt.timedelta(hours=12)
# Sessions are re-read from the store at most this often; logout and disabling a user
# clear the cache at once (only this process can write the store while it runs).
SESSION_CACHE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Session:
    user_name: str
    role: Role
    csrf_token: str
    expires_at: dt.datetime
    token_hash: str

    def csrf_ok(self, presented: str | None) -> bool:
        if not presented:
            return False
        return hmac.compare_digest(self.csrf_token.encode(), presented.encode())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Sessions:
    def __init__(
        self, con: duckdb.DuckDBPyConnection, lifetime: dt.timedelta = SESSION_LIFETIME
    ) -> None:
        self.con = con
        self.lifetime = lifetime
        self._cache: dict[str, tuple[Session, float]] = {}
        self._lock = threading.Lock()

    def create(self, user_name: str) -> tuple[str, str]:
        """A new session for an (already authenticated) user: (token, csrf token)."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = _now()
        cur = self.con.cursor()
        try:
            cur.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, NULL)",
                [_digest(token), user_name, csrf, now, now + self.lifetime],
            )
        finally:
            cur.close()
        return token, csrf

    def lookup(self, token: str) -> Session | None:
        """The live session for a token: not expired, not revoked, user still enabled."""
        if not token or len(token) > 128:
            return None
        digest = _digest(token)
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and hit[1] > time.monotonic() and hit[0].expires_at > _now():
            return hit[0]
        session = self._lookup(digest)
        if session is not None:
            with self._lock:
                self._cache[digest] = (session, time.monotonic() + SESSION_CACHE_SECONDS)
        return session

    def forget(self, user_name: str | None = None) -> None:
        """Drop cached sessions (of one user, or all) after a revoke or disable."""
        with self._lock:
            if user_name is None:
                self._cache.clear()
            else:
                self._cache = {d: v for d, v in self._cache.items() if v[0].user_name != user_name}

    def _lookup(self, digest: str) -> Session | None:
        cur = self.con.cursor()
        try:
            row = cur.execute(
                "SELECT s.user_name, u.role, s.csrf_token, s.expires_at, s.token_hash "
                "FROM sessions s JOIN users u ON u.name = s.user_name "
                "WHERE s.token_hash = ? AND s.revoked_at IS NULL AND NOT u.disabled "
                "AND s.expires_at > ?",
                [digest, _now()],
            ).fetchone()
        finally:
            cur.close()
        if row is None:
            return None
        return Session(str(row[0]), Role.parse(row[1]), str(row[2]), row[3], str(row[4]))

    def revoke(self, token: str) -> None:
        with self._lock:
            self._cache.pop(_digest(token), None)
        cur = self.con.cursor()
        try:
            cur.execute(
                "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                [_now(), _digest(token)],
            )
        finally:
            cur.close()

    def purge_expired(self) -> int:
        """Delete sessions that can no longer be used; returns how many."""
        cur = self.con.cursor()
        try:
            row = cur.execute(
                "DELETE FROM sessions WHERE expires_at <= ? OR revoked_at IS NOT NULL "
                "RETURNING token_hash",
                [_now()],
            ).fetchall()
        finally:
            cur.close()
        return len(row)
