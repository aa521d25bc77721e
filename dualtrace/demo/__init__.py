"""The embedded demo: a public-domain OFAC slice that works with no network."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def demo_data_dir() -> Path:
    """Folder of the shipped OFAC SDN slice (RUSSIA-EO14024 non-individual entries)."""
    return Path(str(resources.files("dualtrace.demo") / "data"))
