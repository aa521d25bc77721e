"""Accounts, keys and sessions at the store level (no HTTP)."""

from __future__ import annotations

import datetime as dt

import pytest

from dualtrace.errors import InputError, NotFoundError
from dualtrace.security import accounts as accounts_module
from dualtrace.security.accounts import Accounts
from dualtrace.security.roles import Role
from dualtrace.security.sessions import Sessions
from dualtrace.store import Store

PASSWORD = "correct horse battery staple"


def test_production_hash_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside the tests' cheap setting, hashes use argon2id at 64 MiB and 3 passes."""
    monkeypatch.undo()
    hasher = accounts_module._hasher
    assert hasher.memory_cost >= 65536 and hasher.time_cost >= 3
    assert accounts_module.hash_secret("x" * 20).startswith("$argon2id$v=19$m=65536,t=3")


def test_user_rules(store: Store) -> None:
    acc = Accounts(store.con)
    with pytest.raises(InputError, match="too short"):
        acc.add_user("alice", Role.ANALYST, "short")
    with pytest.raises(InputError, match="invalid user name"):
        acc.add_user("alice; DROP TABLE users", Role.ANALYST, PASSWORD)
    with pytest.raises(InputError, match="unknown role"):
        Role.parse("superuser")
    user = acc.add_user("Alice@Example.org", Role.ANALYST, PASSWORD)
    assert user.name == "alice@example.org"
    with pytest.raises(InputError, match="already exists"):
        acc.add_user("alice@example.org", Role.VIEWER, PASSWORD)
    assert acc.authenticate_password("ALICE@example.org", PASSWORD) is not None
    assert acc.authenticate_password("alice@example.org", PASSWORD + "x") is None
    assert acc.authenticate_password("nobody", PASSWORD) is None
    with pytest.raises(NotFoundError):
        acc.disable_user("nobody")


def test_keys(store: Store) -> None:
    acc = Accounts(store.con)
    acc.add_user("svc", Role.ANALYST)
    key, clear = acc.create_key("svc", label="batch")
    assert clear.startswith(f"dt_{key.key_id}_") and key.role == Role.ANALYST
    identity = acc.authenticate_key(clear)
    assert identity is not None and identity.role == Role.ANALYST
    for wrong in ("", "dt__", f"dt_{key.key_id}_", f"dt_{key.key_id}_nope", "Bearer x"):
        assert acc.authenticate_key(wrong) is None
    assert acc.authenticate_password("svc", "") is None  # keys-only account
    acc.revoke_key(key.key_id)
    assert acc.authenticate_key(clear) is None
    acc.disable_user("svc")
    with pytest.raises(InputError, match="disabled"):
        acc.create_key("svc")


def test_sessions_expire_and_die_with_their_user(store: Store) -> None:
    acc = Accounts(store.con)
    acc.add_user("bob", Role.VIEWER, PASSWORD)
    sessions = Sessions(store.con)
    token, csrf = sessions.create("bob")
    session = sessions.lookup(token)
    assert session is not None and session.csrf_ok(csrf) and not session.csrf_ok(csrf[:-1] + "x")
    assert sessions.lookup(token + "x") is None
    # expired: a session created with no lifetime left is never returned
    short = Sessions(store.con, lifetime=dt.timedelta(seconds=-1))
    stale, _ = short.create("bob")
    assert short.lookup(stale) is None
    acc.disable_user("bob")
    sessions.forget("bob")
    assert sessions.lookup(token) is None
    assert sessions.purge_expired() >= 1
