"""Security test fixtures.

argon2's production cost (64 MiB, 3 passes) is the point in production and pure waiting
in tests that create dozens of users and keys; tests swap in the cheapest argon2id
parameters. ``test_production_hash_cost`` checks the real defaults separately.
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from dualtrace.security import accounts


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
