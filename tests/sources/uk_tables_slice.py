"""A slice of the real UK Sanctions List tables: the rows of a few subjects, all 5 tables.

Tests that need the FCDO join but not all 6,046 subjects cut it here (README: cut slices
in the test, never rewrite the shared files).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from dualtrace.sources.uk import FCDO_FILES


def slice_uk_tables(source: Path, target: Path, unique_ids: Iterable[str]) -> Path:
    """Copy the header and the rows of ``unique_ids`` of every table into ``target``."""
    keep = set(unique_ids)
    target.mkdir(parents=True, exist_ok=True)
    for name in FCDO_FILES:
        with (source / name).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        at = rows[0].index("unique_id")
        with (target / name).open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([rows[0], *(r for r in rows[1:] if r[at] in keep)])
    return target
