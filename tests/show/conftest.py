"""A real Kupol-network store shared by the workspace and report tests (built once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.show.kupol_store import build_kupol_store


@pytest.fixture(scope="session")
def kupol_store_path(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kupol_store(shared_data, tmp_path_factory.mktemp("kupol"))


@pytest.fixture(scope="session")
def kupol_docs_store_path(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same store plus the Reuters report read by the documents pipeline."""
    return build_kupol_store(shared_data, tmp_path_factory.mktemp("kupol-docs"), documents=True)


@pytest.fixture(scope="session")
def kupol_trade_store_path(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store plus 400 synthetic trade lines, loaded and resolved by the trade code."""
    return build_kupol_store(shared_data, tmp_path_factory.mktemp("kupol-trade"), trade_rows=400)
