"""Cutting a document's text into highlighted runs for mentions and claims."""

from __future__ import annotations

from dualtrace.show.web.documents_view import segments

TEXT = "IEMZ Kupol, a subsidiary of Almaz-Antey, received drones."


def test_overlapping_mentions_and_claims_become_nested_runs() -> None:
    kupol = (0, 10, "m1", "mention")
    almaz = (28, 39, "m2", "mention")
    claim = (0, 39, "c1", "claim")
    segs = segments(TEXT, [kupol, almaz, claim])
    assert "".join(s.text for s in segs) == TEXT
    assert [(s.text, s.kind, s.marks) for s in segs[:3]] == [
        ("IEMZ Kupol", "claim", ["m1", "c1"]),
        (", a subsidiary of ", "claim", ["c1"]),
        ("Almaz-Antey", "claim", ["m2", "c1"]),
    ]
    assert segs[-1].kind == "" and segs[-1].text == ", received drones."


def test_spans_outside_the_text_are_ignored() -> None:
    segs = segments(TEXT, [(50, 500, "bad", "mention"), (5, 2, "rev", "claim")])
    assert [s.text for s in segs] == [TEXT]
