"""The unit every extractor produces: a typed finding anchored to characters of the text.

A :class:`Finding` is not yet a fact. The pipeline turns each into a claim with the
document, page, extraction method and confidence, for an analyst to review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Finding kinds and the FtM schema/property an accepted claim of that kind feeds.
KIND_PROPS: dict[str, tuple[str, str]] = {
    "mention": ("Mention", "resolved"),
    "organization": ("Organization", "name"),
    "person": ("Person", "name"),
    "place": ("Address", "full"),
    "identifier": ("LegalEntity", "registrationNumber"),
    "hs_code": ("Thing", "description"),
    "money": ("Payment", "amount"),
    "quantity": ("Thing", "description"),
    "date": ("Event", "date"),
    "product": ("Thing", "name"),
    "relation": ("UnknownLink", "role"),
}


@dataclass(slots=True)
class Finding:
    """Something an extractor found at ``start:end`` of a document's text."""

    kind: str
    start: int
    end: int
    text: str
    value: str
    method: str
    confidence: float
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def matched(
        cls,
        kind: str,
        m: re.Match[str],
        value: str,
        confidence: float,
        details: dict[str, Any],
        *,
        end: int | None = None,
    ) -> Finding:
        """A finding spanning a pattern match (optionally cut at ``end``, e.g. trailing space).

        The pattern extractors all anchor a finding to one regex match; building it here keeps the
        span, quoted text and method consistent across them.
        """
        stop = m.end() if end is None else end
        return cls(
            kind, m.start(), stop, m.string[m.start() : stop], value, "pattern", confidence, details
        )

    def key(self) -> tuple[str, str, int, int]:
        return (self.kind, self.value, self.start, self.end)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "value": self.value,
            "method": self.method,
            "confidence": round(self.confidence, 3),
            "details": self.details,
        }


def dedupe(findings: list[Finding]) -> list[Finding]:
    """Drop exact repeats and, per kind, spans contained in a longer span of the same kind."""
    out: list[Finding] = []
    by_kind: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: (f.kind, -(f.end - f.start), -f.confidence, f.start)):
        kept = by_kind.setdefault(f.kind, [])
        if f.kind != "relation" and any(k.start <= f.start and f.end <= k.end for k in kept):
            continue
        kept.append(f)
        out.append(f)
    return sorted(out, key=lambda f: (f.start, f.kind))
