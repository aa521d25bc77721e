"""Fixtures for the document tests: a store of real list entities and its name index.

The store holds the EU Russia asset-freeze act 32014R0269 in full (it lists IEMZ
Kupol, Almaz-Antey, TSK Vektor and Redlepus with Cyrillic and Chinese names) and a
slice of the real OFAC SDN list of 2024-05-03 with its 2025-12-24 aliases: the
Kupol network's entries plus every 25th entry as distractors, cut here from the
shared files so the suite stays fast.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dualtrace.documents.loading import name_index_from_store
from dualtrace.documents.mentions import NameIndex
from dualtrace.sources.eu import read_eu
from dualtrace.sources.ofac_sdn import read_ofac_sdn
from dualtrace.store import Store

REUTERS = Path("documents") / "reuters-kupol-garpiya-china.txt"
# OFAC ent_nums: Almaz-Antey concern, its design bureau, IEMZ Kupol, TSK Vektor.
OFAC_NETWORK = {"16865", "17258", "46431", "46441"}


def network_and_distractors(ent: str) -> bool:
    """The Kupol network's OFAC entries and every 25th entry."""
    return ent in OFAC_NETWORK or (ent.isdigit() and int(ent) % 25 == 0)


def slice_ofac(
    shared_data: Path, out: Path, keep: Callable[[str], bool] = network_and_distractors
) -> Path:
    """sdn_2024-05-03.csv and alt_2025-12-24.csv cut to the entries ``keep`` accepts."""
    out.mkdir(parents=True, exist_ok=True)
    src = shared_data / "lists" / "ofac-sdn"
    kept: set[str] = set()
    lines = []
    for line in (src / "sdn_2024-05-03.csv").read_text("utf-8", errors="strict").splitlines():
        ent = line.split(",", 1)[0]
        if keep(ent):
            kept.add(ent)
            lines.append(line)
    (out / "sdn_2024-05-03.csv").write_text("\n".join(lines) + "\n", "utf-8")
    alt = [
        line
        for line in (src / "alt_2025-12-24.csv").read_text("utf-8").splitlines()
        if line.split(",", 1)[0] in kept
    ]
    (out / "alt_2025-12-24.csv").write_text("\n".join(alt) + "\n", "utf-8")
    return out


@pytest.fixture(scope="session")
def list_store_file(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("doc-lists")
    path = base / "lists.duckdb"
    eu_act = shared_data / "lists" / "eu-journal" / "consolidated" / "32014R0269.csv"
    with Store.open(path) as store:
        for result in [*read_eu(eu_act), *read_ofac_sdn(slice_ofac(shared_data, base / "ofac"))]:
            store.load(result.dataset, result.version, result.statements(), result.report)
    return path


@pytest.fixture()
def list_store(list_store_file: Path, tmp_path: Path) -> Iterator[Store]:
    """A writable copy of the list store, fresh for each test."""
    path = tmp_path / "store.duckdb"
    shutil.copy(list_store_file, path)
    with Store.open(path) as store:
        yield store


@pytest.fixture(scope="session")
def name_index(list_store_file: Path) -> NameIndex:
    with Store.open(list_store_file, read_only=True) as store:
        return name_index_from_store(store)


@pytest.fixture(scope="session")
def reuters_text(shared_data: Path) -> str:
    return (shared_data / REUTERS).read_text("utf-8")
