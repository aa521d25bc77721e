"""Users and API keys, stored with argon2 hashes in the store.

A user has a role and, optionally, a password (service accounts have none and use keys
only). An API key belongs to a user and may be limited to a lower role; it acts with
the lesser of the two, so disabling a user kills all of that user's keys at once.

The clear key is shown once, at creation: ``dt_<key id>_<secret>``. The key id is
public (it names the key in lists and the audit log); only the argon2 hash of the
secret is stored. argon2 is deliberately slow (tens of ms), which would cap an API at a
few dozen requests per second, so a key that verified once is remembered in memory by
the SHA-256 of the whole key for a few minutes. Revoking a key or disabling a user
drops those memories at once; no other process can change the store while a server
holds it open (DuckDB allows one writer process), so the memory cannot go stale.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dualtrace.errors import InputError, NotFoundError
from dualtrace.security.roles import Role

KEY_PREFIX = "dt"
MIN_PASSWORD_LENGTH = 12
VERIFIED_KEY_TTL_SECONDS = 300.0
USER_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-@")

# argon2id with the library's RFC 9106 defaults (3 passes over 64 MiB).
_hasher = PasswordHasher()
_dummy: dict[int, str] = {}


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    has_password: bool
    disabled: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    user_name: str
    label: str | None
    role: Role
    created_at: dt.datetime
    revoked_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a verified credential speaks for, with the role it may use."""

    user_name: str
    role: Role
    key_id: str | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def hash_secret(secret: str) -> str:
    """argon2id hash of a password or key secret (salted, self-describing)."""
    return _hasher.hash(secret)


def _dummy_hash() -> str:
    """A hash to verify against when the user or key does not exist, so response time
    does not reveal which user names or key ids exist."""
    key = id(_hasher)
    if key not in _dummy:
        _dummy[key] = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy[key]


def verify_secret(stored_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def check_user_name(name: str) -> str:
    clean = name.strip().lower()
    if not clean or len(clean) > 64 or not set(clean) <= USER_NAME_CHARS:
        raise InputError(f"invalid user name {name!r}: use 1-64 of a-z 0-9 . _ - @", field="name")
    return clean


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"password too short: at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )


class Accounts:
    """Users and keys in one store. Each call uses its own cursor, so one instance can
    serve many request threads over the server's single DuckDB connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._verified: dict[str, tuple[Identity, float]] = {}
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- users

    def add_user(self, name: str, role: Role, password: str | None = None) -> User:
        name = check_user_name(name)
        if password is not None:
            check_password(password)
        cur = self.con.cursor()
        try:
            exists = cur.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone()
            if exists:
                raise InputError(f"user {name!r} already exists", field="name")
            cur.execute(
                "INSERT INTO users VALUES (?, ?, ?, false, ?, NULL)",
                [name, role.label, hash_secret(password) if password else None, _now()],
            )
        finally:
            cur.close()
        return self.user(name)

    def user(self, name: str) -> User:
        cur = self.con.cursor()
        try:
            row = cur.execute(
                "SELECT name, role, password_hash IS NOT NULL, disabled, created_at "
                "FROM users WHERE name = ?",
                [name.strip().lower()],
            ).fetchone()
        finally:
            cur.close()
        if row is None:
            raise NotFoundError(f"no user {name!r}")
        return User(row[0], Role.parse(row[1]), bool(row[2]), bool(row[3]), row[4])

    def users(self) -> list[User]:
        cur = self.con.cursor()
        try:
            rows = cur.execute(
                "SELECT name, role, password_hash IS NOT NULL, disabled, created_at "
                "FROM users ORDER BY name"
            ).fetchall()
        finally:
            cur.close()
        return [User(r[0], Role.parse(r[1]), bool(r[2]), bool(r[3]), r[4]) for r in rows]

    def disable_user(self, name: str) -> User:
        """Disable a user: their password, sessions and keys stop working at once."""
        user = self.user(name)
        cur = self.con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            cur.execute(
                "UPDATE users SET disabled = true, disabled_at = ? WHERE name = ?",
                [_now(), user.name],
            )
            cur.execute(
                "UPDATE sessions SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL",
                [_now(), user.name],
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
        self._forget(user_name=user.name)
        return self.user(user.name)

    def set_password(self, name: str, password: str) -> None:
        check_password(password)
        user = self.user(name)
        cur = self.con.cursor()
        try:
            cur.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?",
                [hash_secret(password), user.name],
            )
        finally:
            cur.close()

    def authenticate_password(self, name: str, password: str) -> Identity | None:
        """The user's identity if the password is right and the user is enabled."""
        cur = self.con.cursor()
        try:
            row = cur.execute(
                "SELECT name, role, password_hash, disabled FROM users WHERE name = ?",
                [name.strip().lower()],
            ).fetchone()
        finally:
            cur.close()
        if row is None or row[2] is None:
            verify_secret(_dummy_hash(), password)
            return None
        if not verify_secret(str(row[2]), password) or row[3]:
            return None
        return Identity(str(row[0]), Role.parse(row[1]))

    # ----------------------------------------------------------------- keys

    def create_key(
        self, user_name: str, role: Role | None = None, label: str | None = None
    ) -> tuple[ApiKey, str]:
        """A new key for a user; returns the key record and the clear key (shown once)."""
        user = self.user(user_name)
        if user.disabled:
            raise InputError(f"user {user.name!r} is disabled", field="user")
        key_role = role or user.role
        if key_role > user.role:
            raise InputError(
                f"a key cannot have more rights ({key_role.label}) than its user "
                f"({user.role.label})",
                field="role",
            )
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        cur = self.con.cursor()
        try:
            cur.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, NULL)",
                [key_id, user.name, label, key_role.label, hash_secret(secret), _now()],
            )
        finally:
            cur.close()
        return self.key(key_id), f"{KEY_PREFIX}_{key_id}_{secret}"

    def key(self, key_id: str) -> ApiKey:
        cur = self.con.cursor()
        try:
            row = cur.execute(
                "SELECT key_id, user_name, label, role, created_at, revoked_at "
                "FROM api_keys WHERE key_id = ?",
                [key_id],
            ).fetchone()
        finally:
            cur.close()
        if row is None:
            raise NotFoundError(f"no API key {key_id!r}")
        return ApiKey(row[0], row[1], row[2], Role.parse(row[3]), row[4], row[5])

    def keys(self, user_name: str | None = None) -> list[ApiKey]:
        sql = "SELECT key_id, user_name, label, role, created_at, revoked_at FROM api_keys"
        params: list[str] = []
        if user_name is not None:
            sql += " WHERE user_name = ?"
            params.append(check_user_name(user_name))
        cur = self.con.cursor()
        try:
            rows = cur.execute(sql + " ORDER BY created_at, key_id", params).fetchall()
        finally:
            cur.close()
        return [ApiKey(r[0], r[1], r[2], Role.parse(r[3]), r[4], r[5]) for r in rows]

    def revoke_key(self, key_id: str) -> ApiKey:
        self.key(key_id)
        cur = self.con.cursor()
        try:
            cur.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                [_now(), key_id],
            )
        finally:
            cur.close()
        self._forget(key_id=key_id)
        return self.key(key_id)

    def authenticate_key(self, presented: str) -> Identity | None:
        """The identity a clear API key speaks for, or None (unknown, wrong, revoked,
        or its user disabled)."""
        parts = presented.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
            return None
        key_id, secret = parts[1], parts[2]
        cur = self.con.cursor()
        try:
            row = cur.execute(
                "SELECT k.secret_hash, k.role, k.revoked_at, u.name, u.role, u.disabled "
                "FROM api_keys k JOIN users u ON u.name = k.user_name WHERE k.key_id = ?",
                [key_id],
            ).fetchone()
        finally:
            cur.close()
        if row is None:
            verify_secret(_dummy_hash(), secret)
            return None
        secret_hash, key_role, revoked_at, user_name, user_role, disabled = row
        if revoked_at is not None or disabled:
            return None
        cached = self.cached_key(presented)
        if cached is not None:
            return cached
        digest = hashlib.sha256(presented.encode("utf-8")).hexdigest()
        if not verify_secret(str(secret_hash), secret):
            return None
        identity = Identity(
            str(user_name), min(Role.parse(key_role), Role.parse(user_role)), key_id
        )
        with self._lock:
            self._verified[digest] = (identity, time.monotonic() + VERIFIED_KEY_TTL_SECONDS)
        return identity

    def cached_key(self, presented: str) -> Identity | None:
        """A key verified in the last few minutes and not revoked or disabled since (by
        this process, which is the only one that can write the store while it runs)."""
        digest = hashlib.sha256(presented.strip().encode("utf-8")).hexdigest()
        with self._lock:
            hit = self._verified.get(digest)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def _forget(self, key_id: str | None = None, user_name: str | None = None) -> None:
        """Drop remembered verifications (the store check would refuse them anyway)."""
        with self._lock:
            if key_id is not None:
                self._verified = {d: v for d, v in self._verified.items() if v[0].key_id != key_id}
            if user_name is not None:
                self._verified.clear()
