"""Fixtures for trade tests: small synthetic files built from the real SDN list."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualtrace.trade.synth import write_synthetic


@pytest.fixture(scope="session")
def synth_csv(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """1,500 generated records (seed 11): real SDN names with noise and planted schemes."""
    out = tmp_path_factory.mktemp("synth") / "synth_1500.csv"
    write_synthetic(out, 1500, 11, shared_data)
    return out


@pytest.fixture(scope="session")
def synth_batch2(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A second, later batch (different seed) for incremental linking."""
    out = tmp_path_factory.mktemp("synth") / "synth_batch2.parquet"
    write_synthetic(out, 400, 12, shared_data)
    return out
