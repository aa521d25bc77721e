"""Investigation cases: a named collection of entities and documents with notes,
decisions and a status, kept in the store (migration 6) beside the evidence they cite.

A case never copies facts: it holds references (entity ids, document ids, claim ids),
so a case report always shows the evidence as the store holds it on the report's date.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from dualtrace.errors import InputError, NotFoundError
from dualtrace.store.duckdb_store import Store

CASE_STATUSES = ("open", "in review", "escalated", "closed")
ITEM_KINDS = ("entity", "document", "claim")
NOTE_KINDS = ("note", "decision")
MAX_TEXT = 20_000


@dataclass(frozen=True, slots=True)
class CaseItem:
    kind: str
    ref: str
    label: str
    added_by: str | None
    added_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CaseNote:
    note_id: str
    kind: str
    text: str
    author: str | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Case:
    case_id: str
    title: str
    summary: str
    status: str
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    items: tuple[CaseItem, ...] = ()
    notes: tuple[CaseNote, ...] = ()

    @property
    def entity_ids(self) -> list[str]:
        return [i.ref for i in self.items if i.kind == "entity"]

    @property
    def document_ids(self) -> list[str]:
        return [i.ref for i in self.items if i.kind == "document"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _clean(text: str, field: str, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = (text or "").strip()
    if required and not text:
        raise InputError("must not be empty", field=field)
    if len(text) > limit:
        raise InputError(f"too long ({len(text)} characters, at most {limit})", field=field)
    return text


def create_case(store: Store, title: str, summary: str = "", author: str | None = None) -> Case:
    """Open a new case; ids are short random hex so they can be typed and linked."""
    title = _clean(title, "title", limit=300)
    summary = _clean(summary, "summary", required=False)
    case_id = f"case-{uuid.uuid4().hex[:10]}"
    now = _now()
    store.con.execute(
        "INSERT INTO cases VALUES (?, ?, ?, 'open', ?, ?, ?)",
        [case_id, title, summary, author, now, now],
    )
    return get_case(store, case_id)


def list_cases(store: Store) -> list[Case]:
    rows = store.con.execute(
        "SELECT case_id, title, summary, status, created_by, created_at, updated_at "
        "FROM cases ORDER BY updated_at DESC, case_id"
    ).fetchall()
    return [Case(*r) for r in rows]


def get_case(store: Store, case_id: str) -> Case:
    row = store.con.execute(
        "SELECT case_id, title, summary, status, created_by, created_at, updated_at "
        "FROM cases WHERE case_id = ?",
        [case_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no case {case_id!r}")
    items = store.con.execute(
        "SELECT kind, ref, label, added_by, added_at FROM case_items WHERE case_id = ? "
        "ORDER BY added_at, kind, ref",
        [case_id],
    ).fetchall()
    notes = store.con.execute(
        "SELECT note_id, kind, text, author, created_at FROM case_notes WHERE case_id = ? "
        "ORDER BY created_at, note_id",
        [case_id],
    ).fetchall()
    case_id, title, summary, status, created_by, created_at, updated_at = row
    return Case(
        case_id,
        title,
        summary,
        status,
        created_by,
        created_at,
        updated_at,
        items=tuple(CaseItem(*i) for i in items),
        notes=tuple(CaseNote(*n) for n in notes),
    )


def is_case_id(store: Store, ref: str) -> bool:
    row = store.con.execute("SELECT count(*) FROM cases WHERE case_id = ?", [ref]).fetchone()
    return bool(row and row[0])


def _touch(store: Store, case_id: str) -> None:
    get_case(store, case_id)  # raises NotFoundError for unknown cases
    store.con.execute("UPDATE cases SET updated_at = ? WHERE case_id = ?", [_now(), case_id])


def add_item(
    store: Store, case_id: str, kind: str, ref: str, label: str = "", author: str | None = None
) -> None:
    """Add an entity, document or claim to a case (adding it twice is a no-op)."""
    if kind not in ITEM_KINDS:
        raise InputError(f"must be one of {', '.join(ITEM_KINDS)}", field="kind")
    ref = _clean(ref, "ref", limit=300)
    if kind == "entity":
        ref = store.resolve_id(ref)  # NotFoundError for ids the store does not hold
    label_text = _clean(label, "label", required=False, limit=500)
    _touch(store, case_id)
    store.con.execute(
        "INSERT INTO case_items VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [
            case_id,
            kind,
            ref,
            label_text or ref,
            author,
            _now(),
        ],
    )


def remove_item(store: Store, case_id: str, kind: str, ref: str) -> None:
    _touch(store, case_id)
    store.con.execute(
        "DELETE FROM case_items WHERE case_id = ? AND kind = ? AND ref = ?", [case_id, kind, ref]
    )


def add_note(
    store: Store, case_id: str, text: str, kind: str = "note", author: str | None = None
) -> CaseNote:
    """Record a note or a decision; both are append-only so the history stays readable."""
    if kind not in NOTE_KINDS:
        raise InputError(f"must be one of {', '.join(NOTE_KINDS)}", field="kind")
    text = _clean(text, "text")
    _touch(store, case_id)
    note = CaseNote(f"note-{uuid.uuid4().hex[:12]}", kind, text, author, _now())
    store.con.execute(
        "INSERT INTO case_notes VALUES (?, ?, ?, ?, ?, ?)",
        [note.note_id, case_id, note.kind, note.text, note.author, note.created_at],
    )
    return note


def set_status(store: Store, case_id: str, status: str, author: str | None = None) -> None:
    """Change status and log the change as a decision, so who closed a case is on record."""
    if status not in CASE_STATUSES:
        raise InputError(f"must be one of {', '.join(CASE_STATUSES)}", field="status")
    case = get_case(store, case_id)
    if case.status == status:
        return
    store.con.execute("UPDATE cases SET status = ? WHERE case_id = ?", [status, case_id])
    add_note(store, case_id, f"status changed from {case.status} to {status}", "decision", author)
