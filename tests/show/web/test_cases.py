"""Cases: collect entities and documents, notes, decisions and status in the store."""

from __future__ import annotations

import pytest

from dualtrace.errors import InputError, NotFoundError
from dualtrace.show.web import cases
from dualtrace.store import Store


def test_case_lifecycle_records_items_notes_and_status_decisions(store: Store) -> None:
    case = cases.create_case(store, "Kupol procurement network", "G3 drones via TSK Vektor", "ana")
    assert case.status == "open" and case.case_id.startswith("case-")
    cases.add_item(store, case.case_id, "document", "doc-reuters", "Reuters report", "ana")
    cases.add_item(store, case.case_id, "document", "doc-reuters", "again", "ana")  # no duplicate
    cases.add_note(
        store, case.case_id, "Invoice in yuan points to Shenzhen supplier", "note", "ana"
    )
    cases.set_status(store, case.case_id, "escalated", "lead")
    got = cases.get_case(store, case.case_id)
    assert [(i.kind, i.ref, i.label) for i in got.items] == [
        ("document", "doc-reuters", "Reuters report")
    ]
    assert got.status == "escalated"
    kinds = [(n.kind, n.author) for n in got.notes]
    assert kinds == [("note", "ana"), ("decision", "lead")]
    assert "from open to escalated" in got.notes[-1].text
    assert cases.is_case_id(store, case.case_id)
    assert [c.case_id for c in cases.list_cases(store)] == [case.case_id]
    cases.remove_item(store, case.case_id, "document", "doc-reuters")
    assert cases.get_case(store, case.case_id).items == ()


def test_cases_survive_reopening_the_store(store_path) -> None:  # type: ignore[no-untyped-def]
    with Store.open(store_path) as st:
        case_id = cases.create_case(st, "Persisted").case_id
    with Store.open(store_path) as st:
        assert cases.get_case(st, case_id).title == "Persisted"


def test_bad_case_input_is_refused_with_the_field_named(store: Store) -> None:
    with pytest.raises(InputError, match="title"):
        cases.create_case(store, "   ")
    case = cases.create_case(store, "x")
    with pytest.raises(InputError, match="status"):
        cases.set_status(store, case.case_id, "archived")
    with pytest.raises(InputError, match="kind"):
        cases.add_item(store, case.case_id, "vessel", "IMO1234567")
    with pytest.raises(NotFoundError):
        cases.add_item(store, case.case_id, "entity", "no-such-entity")
    with pytest.raises(NotFoundError):
        cases.add_note(store, "case-missing", "text")
