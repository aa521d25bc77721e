"""Screening fixtures: one real-sliced corpus store and its index per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualtrace.resolve.index import ScreeningIndex, load_or_build
from dualtrace.store import Store
from tests.screening_corpus import shared_corpus_store


@pytest.fixture(scope="session")
def corpus_store_path(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_corpus_store(shared_data, tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def corpus_index(corpus_store_path: Path) -> ScreeningIndex:
    with Store.open(corpus_store_path, read_only=True) as store:
        return load_or_build(store)
