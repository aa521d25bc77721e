"""Documents and their claims as the workspace shows them.

Documents, mentions and claims are stored and reviewed by the documents capability
(``dualtrace.documents.evidence``, store migration 4). This module only adapts its public
functions to what the pages need: a document's text cut into plain and highlighted
segments (mentions and claims), claim review, quotes for citations, and the accepted
relation claims that become links in the network and the ownership chain. When that
capability is not part of the build every function says so instead of showing an empty
page as if it were true.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dualtrace.errors import DualtraceError, NotFoundError
from dualtrace.show.report import capabilities
from dualtrace.store.duckdb_store import Store

MAX_QUOTE = 400
ACCEPTED = frozenset({"accepted", "edited"})


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    doc_id: str
    title: str
    media_type: str | None
    language: str | None
    pages: int
    source: str = ""
    grade: str = ""


@dataclass(slots=True)
class Segment:
    """A run of document text; ``marks`` are the mentions/claims that cover it."""

    start: int
    end: int
    text: str
    marks: list[str] = field(default_factory=list)
    kind: str = ""  # 'mention', 'claim' or ''
    anchors: list[str] = field(default_factory=list)  # span-START-END of spans starting here


@dataclass(slots=True)
class DocumentView:
    doc_id: str
    title: str
    language: str | None
    pages: int
    source: str
    grade: str
    segments: list[Segment]
    claims: list[Any]  # dualtrace.documents.evidence.ClaimView
    mentions: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ClaimLink:
    """An accepted relation claim read as a link between two stored entities."""

    claim_id: str
    doc_id: str
    relation: str
    schema: str
    source_id: str
    target_id: str
    page: int
    quote: str
    status: str


def documents_available() -> bool:
    return capabilities.capability_status()["documents"].available


def _evidence() -> Any:
    if not documents_available():
        raise DualtraceError(capabilities.unavailable("documents"))
    return capabilities.optional_module("dualtrace.documents.evidence")


def _has_tables(store: Store) -> bool:
    row = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'claims'"
    ).fetchone()
    return bool(row and row[0])


def list_documents(store: Store) -> list[DocumentSummary]:
    """Stored documents, or an empty list when the documents capability is absent."""
    if not documents_available() or not _has_tables(store):
        return []
    return [
        DocumentSummary(
            d.doc_id,
            d.title or d.filename,
            d.media_type,
            d.language,
            d.page_count,
            d.source,
            d.grade,
        )
        for d in _evidence().list_documents(store)
    ]


def summary(store: Store, doc_id: str) -> DocumentSummary:
    for doc in list_documents(store):
        if doc.doc_id == doc_id:
            return doc
    raise NotFoundError(f"no document {doc_id!r}")


def document_view(store: Store, doc_id: str) -> DocumentView:
    """The document's text with mentions and claims marked, and its claims to review."""
    ev = _evidence()
    doc = ev.require_document(store, doc_id)
    text = ev.document_text(store, doc.doc_id)
    claims = ev.list_claims(store, doc_id=doc.doc_id, with_reviews=True)
    spans = [
        (c.span_start, c.span_end, c.claim_id, "mention" if c.kind == "mention" else "claim")
        for c in claims
    ]
    mentions = [
        {"text": c.quote, "entity_id": c.entity_id, "reason": c.method, "claim_id": c.claim_id}
        for c in claims
        if c.kind == "mention"
    ]
    return DocumentView(
        doc_id=doc.doc_id,
        title=doc.title or doc.filename,
        language=doc.language,
        pages=doc.page_count,
        source=doc.source,
        grade=doc.grade,
        segments=segments(text, spans),
        claims=[c for c in claims if c.kind != "mention"],
        mentions=_distinct_mentions(mentions),
    )


def _distinct_mentions(mentions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str | None]] = set()
    out = []
    for m in mentions:
        key = (m["text"], m["entity_id"])
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def review(
    store: Store, claim_id: str, decision: str, value: str | None, author: str | None
) -> None:
    """Accept, reject or edit a claim; the decision is appended with who made it."""
    ev = _evidence()
    ev.review_claim(
        store,
        claim_id,
        decision,
        reviewer=author or "workspace user",
        value=value if decision == "edit" else None,
    )


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
        anchors = sorted({f"span-{s}-{e}" for s, e, _m, _k in spans if s == a and e > s})
        out.append(Segment(a, b, text[a:b], [m for m, _k in covering], kind, anchors))
    return out


def quoter(store: Store) -> Callable[[str, int, int | None], str | None] | None:
    """A function giving the quoted text of a document span, when documents are stored."""
    if not documents_available() or not _has_tables(store):
        return None
    ev = _evidence()
    texts: dict[str, str] = {}

    def quote(doc_id: str, start: int, end: int | None) -> str | None:
        if doc_id not in texts:
            try:
                texts[doc_id] = ev.document_text(store, doc_id)
            except NotFoundError:
                return None
        stop = min(end if end is not None else start + MAX_QUOTE, start + MAX_QUOTE)
        return texts[doc_id][start:stop]

    return quote


def claims_about(store: Store, entity_ids: set[str]) -> list[Any]:
    """Claims naming any of ``entity_ids`` (mentions, and relations by either party)."""
    if not documents_available() or not _has_tables(store):
        return []
    out = []
    seen: set[str] = set()
    for c in _evidence().list_claims(store):
        ids = {c.entity_id} | _party_ids(c.details)
        if ids & entity_ids and c.claim_id not in seen:
            seen.add(c.claim_id)
            out.append(c)
    return out


def _party_ids(details: dict[str, Any]) -> set[str]:
    out = set()
    for role in ("x", "y", "z"):
        party = details.get(role)
        if isinstance(party, dict) and party.get("entity_id"):
            out.add(str(party["entity_id"]))
    return out


def claim_links(store: Store, entity_ids: set[str]) -> list[ClaimLink]:
    """Accepted relation claims touching ``entity_ids``, as directed FtM-style links.

    The documents capability says which FtM schema and roles each relation stands for
    (``subsidiary_of`` = Ownership with the subject as asset and the object as owner);
    only claims an analyst accepted or edited become links, and only between parties
    that were linked to stored entities.
    """
    if not documents_available() or not _has_tables(store):
        return []
    schema_of = capabilities.optional("dualtrace.documents.relations", "RELATION_SCHEMA") or {}
    out = []
    for c in claims_about(store, entity_ids):
        if c.kind != "relation" or c.status not in ACCEPTED:
            continue
        relation = str(c.details.get("relation", ""))
        spec = schema_of.get(relation)
        x = c.details.get("x") or {}
        y = c.details.get("y") or {}
        if spec is None or not x.get("entity_id") or not y.get("entity_id"):
            continue
        schema, subject_prop, _object_prop = spec
        from followthemoney import model

        ftm = model.get(schema)
        if ftm is None:
            continue
        # the subject (x) plays subject_prop; edges run edge_source -> edge_target
        subject_is_source = subject_prop == ftm.edge_source
        src, tgt = (x, y) if subject_is_source else (y, x)
        out.append(
            ClaimLink(
                claim_id=c.claim_id,
                doc_id=c.doc_id,
                relation=relation,
                schema=schema,
                source_id=str(src["entity_id"]),
                target_id=str(tgt["entity_id"]),
                page=int(c.page),
                quote=str(c.quote)[:MAX_QUOTE],
                status=str(c.status),
            )
        )
    return out
