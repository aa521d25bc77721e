"""Tag HS codes with their export-control risk: CHPL tier and military headings.

The codes are data, not code: ``data/hs_risk_list.csv`` carries the list version and a
citation header for every list it draws from, so a tag on a trade line can always be
traced to the guidance it comes from, and a new CHPL revision is a data change.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from dualtrace.errors import InputError

RISK_LIST_FILE = "hs_risk_list.csv"
_VERSION_LINE = re.compile(r"^#\s*list_version:\s*(\S+)")


@dataclass(frozen=True, slots=True)
class HSRiskEntry:
    """One code of the risk list: a prefix of HS codes and what it marks."""

    code: str
    list: str  # 'CHPL' or 'MILITARY'
    category: str  # CHPL tier (TIER_1..TIER_4_B) or military heading tag (UAV, ...)
    label: str


@dataclass(frozen=True, slots=True)
class HSClassification:
    chpl_tier: str | None
    military_heading: str | None


class HSRiskList:
    """The versioned HS risk list, answering prefix look-ups on HS codes."""

    def __init__(self, version: str, entries: tuple[HSRiskEntry, ...], citation: str) -> None:
        self.version = version
        self.entries = entries
        self.citation = citation
        self._chpl = {e.code: e for e in entries if e.list == "CHPL"}
        self._military = {e.code: e for e in entries if e.list == "MILITARY"}

    def classify(self, hs_code: str | None) -> HSClassification:
        """CHPL tier by HS-6 and military tag by HS-4 heading of a digits-only code."""
        if not hs_code or len(hs_code) < 4:
            return HSClassification(None, None)
        chpl = self._chpl.get(hs_code[:6])
        mil = self._military.get(hs_code[:4])
        return HSClassification(chpl.category if chpl else None, mil.category if mil else None)

    def label(self, category: str) -> str:
        for entry in self.entries:
            if entry.category == category:
                return entry.label
        return category


def parse_risk_list(text: str, name: str = RISK_LIST_FILE) -> HSRiskList:
    """Read the risk list format: ``#`` citation lines (one gives the version), then CSV."""
    version = None
    citation: list[str] = []
    body: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            m = _VERSION_LINE.match(line)
            if m:
                version = m.group(1)
            citation.append(line.lstrip("# ").rstrip())
        elif line.strip():
            body.append(line)
    if version is None:
        raise InputError("no '# list_version:' line", file=name)
    entries: list[HSRiskEntry] = []
    for lineno, row in enumerate(csv.DictReader(body), start=2):
        code = (row.get("code") or "").strip()
        if not code.isdigit() or len(code) not in (4, 6):
            raise InputError("HS code must be 4 or 6 digits", file=name, row=lineno, field="code")
        lst = (row.get("list") or "").strip()
        if lst not in ("CHPL", "MILITARY"):
            raise InputError("list must be CHPL or MILITARY", file=name, row=lineno, field="list")
        entries.append(HSRiskEntry(code, lst, row["category"].strip(), row["label"].strip()))
    return HSRiskList(version, tuple(entries), "\n".join(c for c in citation if c))


@lru_cache(maxsize=1)
def default_risk_list() -> HSRiskList:
    """The risk list shipped with dualtrace."""
    text = resources.files("dualtrace.trade").joinpath("data", RISK_LIST_FILE).read_text("utf-8")
    return parse_risk_list(text)
