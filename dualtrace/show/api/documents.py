"""Documents and evidence over HTTP: upload, mentions, claims and review decisions.

The same operations as the CLI (``load docs``, ``mentions``, ``claims``, ``review``).
The store is opened per request, read-write even for reads: the API process already
holds a read-write connection (accounts, audit log) and DuckDB refuses a second
connection to the same file with a different mode. When the security middleware has
authenticated the caller, the reviewer recorded on a decision is that caller, not a
name in the body.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile
from pydantic import BaseModel, Field

from dualtrace.documents.evidence import (
    check_grade,
    document_exists,
    get_claim,
    list_claims,
    list_documents,
    require_document,
    review_claim,
    save_document,
)
from dualtrace.documents.loading import cached_name_index
from dualtrace.documents.mentions import NameIndex
from dualtrace.documents.pipeline import analyse
from dualtrace.errors import DualtraceError, InputError, NotFoundError, StoreError
from dualtrace.sources.documents.ingest import IngestLimits, ingest_bytes
from dualtrace.store.duckdb_store import Store

router = APIRouter(tags=["documents"])
MAX_UPLOAD = 200 * 1024 * 1024


class ReviewRequest(BaseModel):
    """An analyst's decision on a claim."""

    decision: Literal["accept", "reject", "edit"]
    value: str | None = Field(None, description="The corrected value (edit only).")
    note: str | None = None
    credibility: int | None = Field(None, ge=1, le=6, description="Admiralty 1-6.")
    reviewer: str | None = Field(None, description="Used only when the caller is anonymous.")


@contextmanager
def _store(request: Request, read_only: bool) -> Iterator[Store]:
    path = getattr(request.app.state, "store_path", None)
    try:
        with Store.open(path, read_only=read_only) as store:
            yield store
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    except InputError as exc:
        raise HTTPException(422, str(exc)) from exc
    except StoreError as exc:
        raise HTTPException(503, str(exc)) from exc
    except DualtraceError as exc:
        raise HTTPException(400, str(exc)) from exc


def _index(request: Request, store: Store) -> NameIndex:
    """The mention automaton, built on first use and kept for the app's lifetime."""
    index: NameIndex | None = getattr(request.app.state, "documents_index", None)
    if index is None:
        index = cached_name_index(store)
        request.app.state.documents_index = index
    return index


@router.post("/documents", summary="Upload a document; it is ingested, analysed and stored")
async def upload_document(
    request: Request,
    file: Annotated[UploadFile, File(description="PDF, DOCX, HTML, TXT or EML")],
    source: Annotated[str | None, Query(description="Publisher or informant")] = None,
    reliability: Annotated[str, Query(pattern="^[A-F]$")] = "F",
    credibility: Annotated[int, Query(ge=1, le=6)] = 6,
) -> dict[str, Any]:
    raw = await file.read(MAX_UPLOAD + 1)
    name = file.filename or "upload"
    try:
        check_grade(reliability, credibility)
        doc = ingest_bytes(raw, name, IngestLimits(max_bytes=MAX_UPLOAD))
    except InputError as exc:
        raise HTTPException(422, str(exc)) from exc
    with _store(request, read_only=False) as store:
        if document_exists(store, doc.sha256):
            return {"doc_id": doc.doc_id, "status": "unchanged"}
        index = _index(request, store)
        analysis = analyse(doc.text, index)
        claims = save_document(store, doc, analysis, source, reliability, credibility, len(index))
    return {
        "doc_id": doc.doc_id,
        "status": "loaded",
        "pages": len(doc.pages),
        "ocr_pages": doc.ocr_pages,
        "language": doc.language,
        "claims": claims,
        "warnings": doc.warnings,
    }


@router.get("/documents", summary="Stored documents")
def documents(request: Request) -> list[dict[str, Any]]:
    with _store(request, read_only=False) as store:
        return [d.to_dict() for d in list_documents(store)]


@router.get("/documents/{doc_id}", summary="One document with its page map")
def document(doc_id: str, request: Request) -> dict[str, Any]:
    with _store(request, read_only=False) as store:
        doc = require_document(store, doc_id)
        pages = store.con.execute(
            "SELECT page, span_start, span_end, method, ocr_confidence FROM pages "
            "WHERE doc_id = ? ORDER BY page",
            [doc.doc_id],
        ).fetchall()
    return {
        **doc.to_dict(),
        "page_map": [
            {"page": p[0], "start": p[1], "end": p[2], "method": p[3], "ocr_confidence": p[4]}
            for p in pages
        ],
    }


@router.get("/documents/{doc_id}/mentions", summary="Known entities the document mentions")
def mentions(doc_id: str, request: Request) -> dict[str, Any]:
    with _store(request, read_only=False) as store:
        doc = require_document(store, doc_id)
        found = list_claims(store, doc_id=doc.doc_id, kind="mention")
    return {"document": doc.to_dict(), "mentions": [c.to_dict() for c in found]}


@router.get("/claims", summary="Claims with status, Admiralty grade and corroboration")
def claims(
    request: Request,
    pending: bool = False,
    doc: str | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    with _store(request, read_only=False) as store:
        if doc:
            doc = require_document(store, doc).doc_id
        return [c.to_dict() for c in list_claims(store, pending=pending, doc_id=doc, kind=kind)]


@router.get("/claims/{claim_id}", summary="One claim with its review history")
def claim(claim_id: str, request: Request) -> dict[str, Any]:
    with _store(request, read_only=False) as store:
        return get_claim(store, claim_id).to_dict()


@router.post("/claims/{claim_id}/review", summary="Accept, reject or edit a claim")
def review(claim_id: str, body: ReviewRequest, request: Request) -> dict[str, Any]:
    principal = getattr(request.state, "principal", None)
    name = getattr(principal, "name", None)
    via = getattr(principal, "via", None)
    reviewer = name if name and via != "anonymous" else (body.reviewer or name)
    if not reviewer:
        raise HTTPException(422, "a review needs a reviewer (sign in or give 'reviewer')")
    with _store(request, read_only=False) as store:
        view = review_claim(
            store, claim_id, body.decision, reviewer, body.value, body.note, body.credibility
        )
    data = view.to_dict()
    data["reviewed_at"] = dt.datetime.now(dt.UTC).isoformat()
    return data
