"""Claims: findings kept as evidence with their source, grade, review history and support.

A claim is one finding of one document: value, quote, page, character span,
extraction method and confidence. It stays *pending* until an analyst accepts,
rejects or edits it; each decision is a new row in ``claim_reviews`` (who, when,
what), and the latest one is in force, so any decision can be revisited.

Sources are graded on NATO's Admiralty scale (STANAG 2511): the source's
reliability A-F is set per document (its publisher or informant), the information's
credibility 1-6 per document and, after review, per claim. A claim's support is
the number of *independent sources* (distinct document sources) whose claims state
the same fact, and the claims that contradict it (same subject, different value for
a relation that can only have one value, such as a parent company).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from dualtrace.documents.findings import Finding
from dualtrace.documents.pipeline import Analysis
from dualtrace.errors import InputError, NotFoundError
from dualtrace.sources.documents.model import Document
from dualtrace.store.duckdb_store import Store

SOURCE_RELIABILITY = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
INFO_CREDIBILITY = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}
DECISIONS = ("accept", "reject", "edit")
STATUS = {"accept": "accepted", "reject": "rejected", "edit": "edited"}
# Relations that can have only one object per subject: a second, different object
# from another claim contradicts the first.
FUNCTIONAL_RELATIONS = frozenset({"subsidiary_of"})


def check_grade(reliability: str, credibility: int) -> None:
    """InputError unless ``reliability`` is A-F and ``credibility`` 1-6."""
    if reliability not in SOURCE_RELIABILITY:
        raise InputError(
            f"source reliability must be one of A-F (Admiralty scale), got {reliability!r}",
            field="reliability",
        )
    if credibility not in INFO_CREDIBILITY:
        raise InputError(
            f"information credibility must be 1-6 (Admiralty scale), got {credibility!r}",
            field="credibility",
        )


def describe_grade(reliability: str, credibility: int) -> str:
    """'B2: usually reliable source, information probably true'."""
    return (
        f"{reliability}{credibility}: {SOURCE_RELIABILITY.get(reliability, '?')} source, "
        f"information {INFO_CREDIBILITY.get(credibility, '?')}"
    )


def _party_key(role: dict[str, Any] | None) -> str:
    if not role:
        return ""
    return str(role.get("entity_id") or " ".join(str(role.get("text", "")).lower().split()))


def fact_keys(finding: Finding) -> tuple[str, str | None]:
    """(fact key, subject key): what must be equal for two claims to state the same fact."""
    if finding.kind == "relation":
        rel = str(finding.details.get("relation"))
        x = _party_key(finding.details.get("x"))
        y = _party_key(finding.details.get("y"))
        subject = f"relation|{rel}|{x}" if rel in FUNCTIONAL_RELATIONS else None
        return f"relation|{rel}|{x}|{y}", subject
    return f"{finding.kind}|{finding.value.lower()}", None


def claim_id(doc_id: str, finding: Finding) -> str:
    """Stable id: the same finding in the same document is the same claim on reload."""
    raw = f"{doc_id}|{finding.kind}|{finding.value}|{finding.start}|{finding.end}"
    return "c-" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]


@dataclass(slots=True)
class ClaimView:
    """A claim as shown to an analyst: current value, status, grade and support."""

    claim_id: str
    doc_id: str
    kind: str
    value: str
    original_value: str
    quote: str
    page: int
    span_start: int
    span_end: int
    method: str
    confidence: float
    entity_id: str | None
    status: str
    grade: str
    source: str
    details: dict[str, Any] = field(default_factory=dict)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    corroborating_sources: list[str] = field(default_factory=list)
    contradicting_claims: list[str] = field(default_factory=list)

    @property
    def corroboration(self) -> int:
        return len(self.corroborating_sources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id,
            "doc_id": self.doc_id,
            "kind": self.kind,
            "value": self.value,
            "original_value": self.original_value,
            "quote": self.quote,
            "page": self.page,
            "span": [self.span_start, self.span_end],
            "method": self.method,
            "confidence": round(self.confidence, 3),
            "entity_id": self.entity_id,
            "status": self.status,
            "grade": self.grade,
            "source": self.source,
            "details": self.details,
            "reviews": self.reviews,
            "corroborated_by": self.corroboration,
            "corroborating_sources": self.corroborating_sources,
            "contradicted_by": self.contradicting_claims,
        }


def document_exists(store: Store, sha256: str) -> str | None:
    row = store.con.execute("SELECT doc_id FROM documents WHERE sha256 = ?", [sha256]).fetchone()
    return str(row[0]) if row else None


def save_document(
    store: Store,
    doc: Document,
    analysis: Analysis,
    source: str | None = None,
    reliability: str = "F",
    credibility: int = 6,
    names_indexed: int = 0,
) -> int:
    """Store ``doc`` with its pages and claims in one transaction; returns the claim count.

    Re-analysing a stored document replaces its unreviewed claims and keeps reviewed
    ones (their ids are stable), so no analyst decision is lost to a reload.
    """
    check_grade(reliability, credibility)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        existing = con.execute(
            "SELECT loaded_at, source, source_reliability, info_credibility FROM documents "
            "WHERE doc_id = ?",
            [doc.doc_id],
        ).fetchone()
        loaded_at = existing[0] if existing else now
        if existing and source is None:
            source, reliability, credibility = existing[1], existing[2], existing[3]
        con.execute("DELETE FROM documents WHERE doc_id = ?", [doc.doc_id])
        con.execute(
            f"INSERT INTO documents VALUES ({', '.join(['?'] * 20)})",
            [
                doc.doc_id,
                doc.sha256,
                doc.path,
                doc.filename,
                doc.media_type,
                doc.size,
                doc.language,
                doc.title,
                len(doc.pages),
                doc.ocr_pages,
                len(doc.text),
                doc.text,
                orjson.dumps(doc.metadata).decode(),
                orjson.dumps(doc.warnings).decode(),
                source or doc.doc_id,
                reliability,
                credibility,
                loaded_at,
                now,
                names_indexed,
            ],
        )
        con.execute("DELETE FROM pages WHERE doc_id = ?", [doc.doc_id])
        con.executemany(
            "INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?)",
            [[doc.doc_id, p.number, p.start, p.end, p.method, p.ocr_confidence] for p in doc.pages],
        )
        con.execute(
            "DELETE FROM claims WHERE doc_id = ? AND claim_id NOT IN "
            "(SELECT claim_id FROM claim_reviews)",
            [doc.doc_id],
        )
        rows = []
        seen: set[str] = set()
        for f in analysis.findings:
            cid = claim_id(doc.doc_id, f)
            if cid in seen:
                continue
            seen.add(cid)
            fact, subject = fact_keys(f)
            entity = f.value if f.kind == "mention" else None
            rows.append(
                [
                    cid,
                    doc.doc_id,
                    f.kind,
                    f.value,
                    f.text,
                    doc.page_of(f.start),
                    f.start,
                    f.end,
                    f.method,
                    f.confidence,
                    entity,
                    fact,
                    subject,
                    orjson.dumps(f.details, default=str).decode(),
                    now,
                ]
            )
        if rows:
            con.executemany(
                "INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (claim_id) DO NOTHING",
                rows,
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(rows)


_CLAIMS_SQL = """
WITH latest AS (
  SELECT claim_id, arg_max(decision, reviewed_at) AS decision,
         arg_max(value, reviewed_at) AS value,
         arg_max(info_credibility, reviewed_at) AS credibility
  FROM claim_reviews GROUP BY claim_id
), effective AS (
  SELECT c.*, d.source, d.source_reliability, d.info_credibility,
         l.decision, l.value AS review_value, l.credibility AS review_credibility,
         CASE WHEN l.decision = 'edit' AND c.kind <> 'relation'
              THEN c.kind || '|' || lower(l.value) ELSE c.fact_key END AS eff_fact
  FROM claims c JOIN documents d USING (doc_id) LEFT JOIN latest l USING (claim_id)
), live AS (
  SELECT * FROM effective WHERE coalesce(decision, '') <> 'reject'
), corroborating AS (
  SELECT a.claim_id, list(DISTINCT b.source ORDER BY b.source) AS sources
  FROM effective a JOIN live b
    ON b.eff_fact = a.eff_fact AND b.source <> a.source AND b.claim_id <> a.claim_id
  GROUP BY a.claim_id
), contradicting AS (
  SELECT a.claim_id, list(DISTINCT b.claim_id ORDER BY b.claim_id) AS claims
  FROM effective a JOIN live b
    ON b.subject_key = a.subject_key AND b.eff_fact <> a.eff_fact AND b.claim_id <> a.claim_id
  GROUP BY a.claim_id
)
SELECT e.claim_id, e.doc_id, e.kind, coalesce(e.review_value, e.value), e.value, e.quote,
       e.page, e.span_start, e.span_end, e.method, e.confidence, e.entity_id,
       coalesce(e.decision, 'pending'), e.source_reliability,
       coalesce(e.review_credibility, e.info_credibility), e.source, e.details,
       coalesce(s.sources, []), coalesce(x.claims, [])
FROM effective e LEFT JOIN corroborating s USING (claim_id)
LEFT JOIN contradicting x USING (claim_id)
"""


def list_claims(
    store: Store,
    pending: bool = False,
    doc_id: str | None = None,
    kind: str | None = None,
    claim: str | None = None,
    with_reviews: bool = False,
) -> list[ClaimView]:
    """Claims with status, grade and support; filters combine."""
    where: list[str] = []
    params: list[Any] = []
    if pending:
        where.append("coalesce(e.decision, 'pending') = 'pending'")
    if doc_id:
        where.append("e.doc_id = ?")
        params.append(doc_id)
    if kind:
        where.append("e.kind = ?")
        params.append(kind)
    if claim:
        where.append("e.claim_id = ?")
        params.append(claim)
    sql = _CLAIMS_SQL + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY e.doc_id, e.span_start, e.kind, e.claim_id"
    out: list[ClaimView] = []
    for r in store.con.execute(sql, params).fetchall():
        decision = r[12]
        out.append(
            ClaimView(
                claim_id=r[0],
                doc_id=r[1],
                kind=r[2],
                value=r[3],
                original_value=r[4],
                quote=r[5],
                page=r[6],
                span_start=r[7],
                span_end=r[8],
                method=r[9],
                confidence=r[10],
                entity_id=r[11],
                status=STATUS.get(decision, "pending"),
                grade=f"{r[13]}{r[14]}",
                source=r[15],
                details=orjson.loads(r[16]) if r[16] else {},
                corroborating_sources=list(r[17]),
                contradicting_claims=list(r[18]),
            )
        )
    if with_reviews:
        for view in out:
            view.reviews = reviews(store, view.claim_id)
    return out


def reviews(store: Store, claim: str) -> list[dict[str, Any]]:
    """Every decision on a claim, oldest first."""
    rows = store.con.execute(
        "SELECT review_id, decision, value, info_credibility, note, reviewer, reviewed_at "
        "FROM claim_reviews WHERE claim_id = ? ORDER BY reviewed_at, review_id",
        [claim],
    ).fetchall()
    return [
        {
            "review_id": r[0],
            "decision": r[1],
            "value": r[2],
            "credibility": r[3],
            "note": r[4],
            "reviewer": r[5],
            "reviewed_at": r[6].isoformat(),
        }
        for r in rows
    ]


def get_claim(store: Store, claim: str) -> ClaimView:
    found = list_claims(store, claim=claim, with_reviews=True)
    if not found:
        raise NotFoundError(f"no claim {claim!r}")
    return found[0]


def review_claim(
    store: Store,
    claim: str,
    decision: str,
    reviewer: str,
    value: str | None = None,
    note: str | None = None,
    credibility: int | None = None,
    publish: bool = True,
) -> ClaimView:
    """Record a decision on a claim (a new row; earlier decisions are kept).

    With ``publish`` (the default) the accepted facts are republished as statements
    (:func:`dualtrace.documents.accepted.publish_accepted`), so an acceptance or a
    later rejection reaches the graph at once.
    """
    if decision not in DECISIONS:
        raise InputError(
            f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}", field="decision"
        )
    if decision == "edit" and not (value and value.strip()):
        raise InputError("an edit needs the corrected value (--value)", field="value")
    if decision != "edit" and value is not None:
        raise InputError("--value is only for edit decisions", field="value")
    if credibility is not None and credibility not in INFO_CREDIBILITY:
        raise InputError(f"credibility must be 1-6, got {credibility}", field="credibility")
    if not reviewer.strip():
        raise InputError("a review needs a reviewer name", field="reviewer")
    get_claim(store, claim)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    store.con.execute(
        "INSERT INTO claim_reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            uuid.uuid4().hex,
            claim,
            decision,
            value.strip() if value else None,
            credibility,
            note,
            reviewer,
            now,
        ],
    )
    if publish:
        from dualtrace.documents.accepted import publish_accepted

        publish_accepted(store)
    return get_claim(store, claim)


@dataclass(frozen=True, slots=True)
class StoredDocument:
    doc_id: str
    filename: str
    path: str
    media_type: str
    language: str | None
    title: str | None
    page_count: int
    ocr_pages: int
    chars: int
    source: str
    grade: str
    loaded_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "filename": self.filename,
            "path": self.path,
            "media_type": self.media_type,
            "language": self.language,
            "title": self.title,
            "pages": self.page_count,
            "ocr_pages": self.ocr_pages,
            "chars": self.chars,
            "source": self.source,
            "grade": self.grade,
            "loaded_at": self.loaded_at.isoformat(),
        }


def list_documents(store: Store, doc_id: str | None = None) -> list[StoredDocument]:
    sql = (
        "SELECT doc_id, filename, path, media_type, language, title, page_count, ocr_pages, "
        "chars, source, source_reliability || info_credibility, loaded_at FROM documents"
    )
    params: list[Any] = []
    if doc_id:
        sql += " WHERE doc_id = ? OR sha256 = ?"
        params = [doc_id, doc_id]
    rows = store.con.execute(sql + " ORDER BY loaded_at, doc_id", params).fetchall()
    return [StoredDocument(*r) for r in rows]


def require_document(store: Store, doc_id: str) -> StoredDocument:
    found = list_documents(store, doc_id)
    if not found:
        raise NotFoundError(f"no document {doc_id!r} in {store.path}")
    return found[0]


def document_text(store: Store, doc_id: str) -> str:
    row = store.con.execute("SELECT text FROM documents WHERE doc_id = ?", [doc_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no document {doc_id!r}")
    return str(row[0])
