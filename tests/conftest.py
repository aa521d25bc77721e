"""Shared fixtures: where the real data lives, and fresh stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrace.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout: real lists, documents and benchmarks."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


@pytest.fixture()
def store(store_path: Path) -> Iterator[Store]:
    with Store.open(store_path) as s:
        yield s


@pytest.fixture(scope="session")
def sdn_dir(shared_data: Path) -> Path:
    return shared_data / "lists" / "ofac-sdn"


@pytest.fixture(scope="session")
def sdn_store_path(tmp_path_factory: pytest.TempPathFactory, sdn_dir: Path) -> Path:
    """Both real SDN publications loaded once; tests must open it read-only."""
    from tests.ofac_fixtures import load_sdn

    path = tmp_path_factory.mktemp("sdn") / "sdn.duckdb"
    load_sdn(path, sdn_dir)
    return path


@pytest.fixture()
def sdn_store(sdn_store_path: Path) -> Iterator[Store]:
    with Store.open(sdn_store_path, read_only=True) as s:
        yield s
