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
    tables = corpus_index._bounds()
    for data in _queries(corpus_index, shared_data):
        query = corpus_index.query_record(data)
        q_stats = name_stats(query, corpus_index.weight)
        qb = QueryBound(query, q_stats, corpus_index.weight, corpus_index.translations.equivalents)
        # with the index's typo look-up, as match() builds it
        qbs = QueryBounds(
            query,
            q_stats,
            corpus_index.weight,
            corpus_index.translations.equivalents,
            corpus_index._typos().near,
        )
        kept = [
            idx
            for idx in corpus_index.candidates(query)
            if query.schema.can_match(corpus_index.records[idx].schema)
        ]
        # as match() computes it for all candidates at once
        many = qbs.score_bounds([corpus_index.records[i] for i in kept], kept, tables)
        for idx, bound_many in zip(kept, many, strict=True):
            rec = corpus_index.records[idx]
            ctx = corpus_index.context(q_stats, corpus_index.name_stats[idx])
            score = score_records(query, rec, ctx).score
            ct = corpus_index._bound_tokens(idx)
            bound = qb.score_bound(rec, ct)
            tighter = qb.tight_bound(rec, ct)
            assert bound >= score, (data, rec.id, bound, score)
            assert bound_many >= score, (data, rec.id, bound_many, score)
            # the typo look-up reaches exactly what the edit distances reach
            assert bound_many == bound, (data, rec.id, bound_many, bound)
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
    # and the query-side charges must cut the bound well below the first bound often
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


def test_top_pairs_array_sums_rank_as_the_dict(
    corpus_index: ScreeningIndex, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Long multi-form names sum shared-token weights in an array: the same pairs come
    out, in the same order, as from the per-pair dict (forced either way here)."""
    from dualtrace.resolve import features as ft

    large = compared = 0
    for data in _queries(corpus_index, shared_data)[::2]:
        query = corpus_index.query_record(data)
        q_pairs = ft.pair_table(name_stats(query, corpus_index.weight), corpus_index.weight, True)
        for idx in corpus_index.candidates(query):
            c_pairs = corpus_index._pair_table(idx)
            monkeypatch.setattr(ft, "ARRAY_PAIR_SUMS", 10**9)
            by_dict = ft._top_pairs(q_pairs, c_pairs)
            monkeypatch.setattr(ft, "ARRAY_PAIR_SUMS", -1)
            assert ft._top_pairs(q_pairs, c_pairs) == by_dict, data
            compared += 1
            shared = [t for t in q_pairs.order if t in c_pairs.aliases]
            work = sum(len(q_pairs.aliases[t]) * len(c_pairs.aliases[t]) for t in shared)
            large += work > ft.ARRAY_PAIR_SUMS
    assert compared > 500
    assert large > 0  # real queries reach the array path on their own


def _joined_everywhere(tokens: frozenset[str], tok: str, parts: int) -> bool:
    """Is ``tok`` 2..``parts`` query tokens run together? (every split tried)"""
    for n in range(1, len(tok)):
        head, rest = tok[:n], tok[n:]
        if head in tokens and (
            rest in tokens or (parts > 2 and _joined_everywhere(tokens, rest, parts - 1))
        ):
            return True
    return False


def test_reach_shortcuts_change_no_answer(
    corpus_index: ScreeningIndex, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compound test's first-letters check and the typo test's pigeonhole check
    only skip work: over every candidate token of real queries, the same answers as
    trying every split and every edit distance."""
    from dualtrace.resolve import bound

    fuzzy_hits = joined_hits = 0
    for data in _queries(corpus_index, shared_data)[::4]:
        query = corpus_index.query_record(data)
        q_stats = name_stats(query, corpus_index.weight)
        tokens = {
            t
            for idx in corpus_index.candidates(query)
            for cs in corpus_index.name_stats[idx]
            for t in cs.entry.tokens
        }
        always = QueryBound(query, q_stats, corpus_index.weight, {})
        never = QueryBound(query, q_stats, corpus_index.weight, {})
        for tok in sorted(tokens):
            monkeypatch.setattr(bound, "PIGEONHOLE_PLAN", -1)
            fuzzy = always._fuzzy(tok)
            monkeypatch.setattr(bound, "PIGEONHOLE_PLAN", 10**9)
            assert fuzzy == never._fuzzy(tok), (data, tok)
            joined = always._joined(tok, 3)
            assert joined == _joined_everywhere(always.tokens, tok, 3), (data, tok)
            fuzzy_hits += fuzzy
            joined_hits += joined
    assert fuzzy_hits > 0 and joined_hits > 0
