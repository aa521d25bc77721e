"""A store with both real OFAC SDN publications loaded once per test session."""

from __future__ import annotations

from pathlib import Path

from dualtrace.sources.ofac_sdn import read_ofac_sdn
from dualtrace.store import Store


def load_sdn(store_path: Path, sdn_dir: Path) -> None:
    """Load the 2021-07-07 and 2024-05-03 publications (each with its companions)."""
    with Store.open(store_path) as store:
        for result in read_ofac_sdn(sdn_dir):
            store.load(result.dataset, result.version, result.statements(), result.report)
