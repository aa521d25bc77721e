"""Accepted claims become statements: evidence an analyst confirmed enters the store as facts.

Claims live in their own tables while they are evidence. Once accepted (or edited),
they are published as FtM statements in the ``documents`` dataset, so the graph,
resolution and reports see them like any list fact, each statement's origin pointing
at the document, page and characters it came from:

* the document itself (schema Document) for every document with an accepted claim;
* a Mention linking the document to the list entity it names (schema Mention);
* organisations and persons the lists do not have (Organization, Person);
* relations between parties (Ownership, Representation, Payment, UnknownLink), with
  the document as ``proof``.

Publishing rebuilds the whole dataset from the accepted claims and stores it as
today's version in one transaction, so a later rejection removes the fact again and
earlier versions remain for history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

from followthemoney.statement import Statement, StatementEntity

from dualtrace.documents.evidence import ClaimView, list_claims
from dualtrace.model.provenance import DatasetInfo, LoadReport, SourcePointer, VersionInfo
from dualtrace.sources.base import add_value, make_entity
from dualtrace.store.duckdb_store import Store

DATASET = DatasetInfo(
    name="documents",
    title="Facts accepted from documents",
    publisher="dualtrace analysts",
    reliability="F",  # per-claim Admiralty grades stay in the claims table
    kind="documents",
)
PUBLISHED = ("accepted", "edited")
# A relation's party that links to no list entity becomes an entity of this schema;
# "name" is a span matching a list name that did not link.
PARTY_SCHEMA = {"organization": "Organization", "person": "Person", "name": "LegalEntity"}


def _id(*parts: str) -> str:
    return "docfact-" + hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]


def _party_id(role: dict[str, Any] | None, kind: str) -> str | None:
    """A party's entity: its linked list entity, else a document entity for its name."""
    if not role:
        return None
    if role.get("entity_id"):
        return str(role["entity_id"])
    text = " ".join(str(role.get("text", "")).split())
    if not text or role.get("kind") == "phrase":
        return None
    return _id(kind, text.lower())


def accepted_entities(store: Store) -> Iterator[StatementEntity]:
    """FtM entities for every accepted or edited claim, with pointers into documents."""
    claims = [c for c in list_claims(store) if c.status in PUBLISHED]
    docs: dict[str, tuple[str, ...]] = {}
    for row in store.con.execute(
        "SELECT doc_id, filename, sha256, media_type, language, title, source FROM documents "
        "WHERE doc_id IN (SELECT unnest(?))",
        [sorted({c.doc_id for c in claims})],
    ).fetchall():
        docs[row[0]] = row
    for doc_id, (_, filename, sha, media, lang, title, source) in sorted(docs.items()):
        doc = make_entity(DATASET.name, "Document", doc_id)
        at = SourcePointer(file=filename, doc_id=doc_id)
        add_value(doc, "fileName", filename, at)
        add_value(doc, "contentHash", sha, at)
        add_value(doc, "mimeType", media, at)
        add_value(doc, "title", title or filename, at)
        add_value(doc, "publisher", source, at)
        if lang:
            add_value(doc, "language", lang, at)
        yield doc
    for claim in claims:
        yield from _claim_entities(claim)


def _claim_entities(c: ClaimView) -> Iterator[StatementEntity]:
    at = SourcePointer(doc_id=c.doc_id, page=c.page, span_start=c.span_start, span_end=c.span_end)
    if c.kind == "mention" and c.value:
        m = make_entity(DATASET.name, "Mention", _id("mention", c.claim_id))
        add_value(m, "document", c.doc_id, at)
        add_value(m, "resolved", c.value, at)
        add_value(m, "name", c.quote, at)
        add_value(m, "detectedSchema", str(c.details.get("schema") or "LegalEntity"), at)
        yield m
    elif c.kind in ("organization", "person"):
        schema = "Organization" if c.kind == "organization" else "Person"
        entity = make_entity(DATASET.name, schema, _id(c.kind, c.value.lower()))
        add_value(entity, "name", c.value, at)
        yield entity
        m = make_entity(DATASET.name, "Mention", _id("mention", c.claim_id))
        add_value(m, "document", c.doc_id, at)
        add_value(m, "resolved", entity.id, at)
        add_value(m, "name", c.quote, at)
        add_value(m, "detectedSchema", schema, at)
        yield m
    elif c.kind == "relation":
        yield from _relation_entities(c, at)


def _relation_entities(c: ClaimView, at: SourcePointer) -> Iterator[StatementEntity]:
    relation = str(c.details.get("relation"))
    roles = {r: c.details.get(r) for r in ("x", "y", "z")}
    for role in roles.values():
        if role and not role.get("entity_id") and role.get("kind") in PARTY_SCHEMA:
            schema = PARTY_SCHEMA[role["kind"]]
            party = make_entity(DATASET.name, schema, _party_id(role, role["kind"]) or "")
            add_value(party, "name", str(role["text"]), at)
            yield party
    x = _party_id(roles["x"], str((roles["x"] or {}).get("kind")))
    y = _party_id(roles["y"], str((roles["y"] or {}).get("kind")))
    rid = _id("relation", c.claim_id)
    if relation == "subsidiary_of" and x and y:
        link = make_entity(DATASET.name, "Ownership", rid)
        add_value(link, "owner", y, at)
        add_value(link, "asset", x, at)
        add_value(link, "role", "parent company", at)
    elif relation == "intermediary" and x and y:
        link = make_entity(DATASET.name, "Representation", rid)
        add_value(link, "agent", x, at)
        add_value(link, "client", y, at)
        third = (roles["z"] or {}).get("text")
        add_value(
            link,
            "role",
            f"intermediary between {roles['y']['text']} and {third}"
            if third and roles["y"]
            else "intermediary",
            at,
        )
    elif relation == "invoiced" and x:
        link = make_entity(DATASET.name, "Payment", rid)
        add_value(link, "payer", x, at)
        if y:
            add_value(link, "beneficiary", y, at)
        add_value(link, "purpose", "invoice", at)
    elif relation == "supplied" and x and y:
        link = make_entity(DATASET.name, "UnknownLink", rid)
        add_value(link, "subject", x, at)
        add_value(link, "object", y, at)
        add_value(link, "role", f"supplied {c.details.get('goods', '')}".strip(), at)
    else:
        return
    add_value(link, "proof", c.doc_id, at)
    add_value(link, "description", c.quote, at)
    yield link


def publish_accepted(store: Store) -> LoadReport:
    """Store today's version of the ``documents`` dataset from all accepted claims."""
    today = dt.date.today().isoformat()
    report = LoadReport(DATASET.name, today)

    def statements() -> Iterator[Statement]:
        for entity in accepted_entities(store):
            yield from entity.statements

    entities = list(statements())
    return store.load(DATASET, VersionInfo(today, "load-date"), entities, report)
