"""Branch and bound in screening: the score bound is admissible and changes no result."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from dualtrace.resolve import ScreeningIndex
from dualtrace.resolve.bound import QueryBound, QueryBounds
from dualtrace.resolve.features import name_stats
from dualtrace.resolve.index import ScreeningResult
from dualtrace.resolve.records import Record
from dualtrace.resolve.scorer import score_records


def _queries(index: ScreeningIndex, shared_data: Path) -> list[dict[str, Any]]:
    """Real queries of every kind the bound must handle: persons with birth dates
    (UN positives and synthetic negatives), Cyrillic/Han organisation names, initials."""
    folder = shared_data / "matching" / "yente-screening-bench"
    out: list[dict[str, Any]] = []
    for fname, n in (("positives_un_untreated.csv", 60), ("negatives_us.csv", 60)):
        with (folder / fname).open(encoding="utf-8") as fh:
            for row in list(csv.DictReader(fh))[:n]:
                props = {"name": [row["full_name"]]}
                if row.get("date_of_birth"):
                    props["birthDate"] = [row["date_of_birth"]]
                out.append({"schema": "Person", "properties": props})
    for rec in index.records:
        for name in rec.properties.get("name", []) + rec.properties.get("alias", []):
            if any("\u0400" <= ch <= "\u04ff" or "\u4e00" <= ch <= "\u9fff" for ch in name):
                out.append({"schema": rec.schema_name, "properties": {"name": [name]}})
    out += [
        {"schema": "Person", "properties": {"name": ["V. V. Putin"]}},
        {"schema": "LegalEntity", "properties": {"name": ["Red lepus Vector Shen zhen"]}},
        {"schema": "Company", "properties": {"name": ["EMMA LLC"], "country": ["us"]}},
    ]
    return out[:400]


def _exhaustive(
    index: ScreeningIndex, query: Record, limit: int, cutoff: float
) -> list[tuple[str, float]]:
    """What ``match`` returned before branch and bound: every candidate scored."""
    q_stats = name_stats(query, index.weight)
    results = []
    for idx in index.candidates(query):
        rec = index.records[idx]
        score = score_records(query, rec, index.context(q_stats, index.name_stats[idx]))
        if score.score >= cutoff and score.score > 0:
            results.append(ScreeningResult(rec, score))
    results.sort(key=lambda r: (-r.score.score, r.record.id))
    return [(r.record.id, r.score.score) for r in results[:limit]]


def test_bound_is_never_below_the_score(corpus_index: ScreeningIndex, shared_data: Path) -> None:
    checked = tight = tightened = 0
    arrays = corpus_index._bounds()
    for data in _queries(corpus_index, shared_data):
        query = corpus_index.query_record(data)
        q_stats = name_stats(query, corpus_index.weight)
        qb = QueryBound(query, q_stats, corpus_index.weight, corpus_index.translations.equivalents)
        qbs = QueryBounds(
            query, q_stats, corpus_index.weight, corpus_index.translations.equivalents
        )
        kept = [
            idx
            for idx in corpus_index.candidates(query)
            if query.schema.can_match(corpus_index.records[idx].schema)
        ]
        # the array form, as match() computes it for all candidates at once
        many = qbs.score_bounds([corpus_index.records[i] for i in kept], kept, arrays)
        for idx, bound_many in zip(kept, many, strict=True):
            rec = corpus_index.records[idx]
            ctx = corpus_index.context(q_stats, corpus_index.name_stats[idx])
            score = score_records(query, rec, ctx).score
            ct = corpus_index._bound_tokens(idx)
            bound = qb.score_bound(rec, ct)
            tighter = qb.tight_bound(rec, ct)
            assert bound >= score, (data, rec.id, bound, score)
            assert bound_many >= score, (data, rec.id, bound_many, score)
            assert tighter >= score, (data, rec.id, tighter, score)
            # asked only whether it reaches a level, it answers alike
            for enough in (score, 0.5, 0.7):
                assert (qb.tight_bound(rec, ct, enough) >= enough) == (tighter >= enough)
            checked += 1
            tight += bound_many - score < 0.05
            tightened += tighter < bound_many - 0.05
    # the bound must also be useful: close to the score for a real share of pairs
    assert checked > 500
    assert tight > checked // 20
    # and the query-side charges must cut the bound well below the array bound often
    assert tightened > checked // 10


@pytest.mark.parametrize(("limit", "cutoff"), [(1, 0.0), (5, 0.5), (10, 0.0)])
def test_match_returns_what_scoring_every_candidate_returns(
    corpus_index: ScreeningIndex, shared_data: Path, limit: int, cutoff: float
) -> None:
    for data in _queries(corpus_index, shared_data)[::3]:
        query = corpus_index.query_record(data)
        got = [
            (r.record.id, r.score.score)
            for r in corpus_index.match(query, limit=limit, cutoff=cutoff)
        ]
        assert got == _exhaustive(corpus_index, query, limit, cutoff), data


def test_bound_weights_are_the_scorers() -> None:
    """The bounds copy the scorer's weights: a drift would make them inadmissible."""
    from dualtrace.resolve import bound
    from dualtrace.resolve import features as ft
    from dualtrace.resolve.scorer import FEATURES

    weights = {func: (pos, neg) for func, pos, neg in FEATURES}
    assert weights[ft.name_match][0] == bound.NAME_WEIGHT
    assert weights[ft.name_information][1] == bound.INFO_WEIGHT
    assert weights[ft.address_match][0] == bound.ADDRESS_WEIGHT
    for func, pos, neg in bound.EXACT_FEATURES:
        assert weights[func] == (pos, neg)
