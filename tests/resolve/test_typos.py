"""Typo look-ups: complete, and the same answers as the edit distances they replace."""

from __future__ import annotations

import csv
from itertools import chain
from pathlib import Path

from rigour._core import raw_levenshtein_cutoff

from dualtrace.resolve import ScreeningIndex
from dualtrace.resolve.bound import QueryBound
from dualtrace.resolve.features import allowed_edits, name_stats, token_similarity
from dualtrace.resolve.typos import TypoIndex, typo_capable


def _query_words(index: ScreeningIndex, shared_data: Path) -> list[str]:
    """Words of real screening names (US negatives: mostly new words) and of indexed
    names, each also with one letter dropped and one changed (typos)."""
    path = shared_data / "matching" / "yente-screening-bench" / "negatives_us.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:150]
    words: dict[str, None] = {}
    for row in rows:
        for entry in index.query_record(
            {"schema": "Person", "properties": {"name": [row["full_name"]]}}
        ).names:
            words.update(dict.fromkeys(entry.tokens))
    words.update(dict.fromkeys(list(index.postings)[::200]))
    out = list(words)
    out += [w[:2] + w[3:] for w in out if len(w) > 5]
    out += [w[:-2] + "x" + w[-1] for w in out if len(w) > 5]
    return out


def _brute_near(vocab: list[str], q: str) -> frozenset[str]:
    """token_similarity > 0 against every indexed word, the definition itself."""
    return frozenset(u for u in vocab if u != q and token_similarity(q, u) > 0)


def test_near_finds_every_indexed_word_within_typo_distance(
    corpus_index: ScreeningIndex, shared_data: Path
) -> None:
    vocab = [w for w in corpus_index.postings if typo_capable(w)]
    typos = TypoIndex(corpus_index.postings)
    found = 0
    for q in _query_words(corpus_index, shared_data):
        near = typos.near(q)
        assert near == _brute_near(vocab, q), q
        found += len(near)
    assert found > 100
    assert typos.near("abc") == frozenset()
    assert typos.near("1234567") == frozenset()


def _bucket_lookup(index: ScreeningIndex, tok: str) -> list[tuple[str, float]]:
    """Retrieval's typo look-up before the complete search: buckets of indexed words
    by (first or last three letters, length), in vocabulary order."""
    prefix: dict[tuple[str, int], list[str]] = {}
    suffix: dict[tuple[str, int], list[str]] = {}
    for w in index.postings:
        if typo_capable(w):
            prefix.setdefault((w[:3], len(w)), []).append(w)
            suffix.setdefault((w[-3:], len(w)), []).append(w)
    spread = allowed_edits(len(tok))
    buckets = [
        table.get((key, n), [])
        for n in range(len(tok) - spread, len(tok) + spread + 1)
        for table, key in ((prefix, tok[:3]), (suffix, tok[-3:]))
    ]
    out = []
    for other in dict.fromkeys(chain.from_iterable(buckets)):
        if raw_levenshtein_cutoff(tok, other, spread) <= spread and other != tok:
            sim = token_similarity(tok, other)
            if sim > 0:
                out.append((other, sim))
    return out


def test_retrieval_typo_lookup_is_unchanged(
    corpus_index: ScreeningIndex, shared_data: Path
) -> None:
    words = [w for w in _query_words(corpus_index, shared_data) if typo_capable(w)][:300]
    nonempty = 0
    for tok in words:
        got = corpus_index._fuzzy_lookup(tok)
        assert got == _bucket_lookup(corpus_index, tok), tok
        nonempty += bool(got)
    assert nonempty > 20


def test_bound_reach_and_masks_are_unchanged(
    corpus_index: ScreeningIndex, shared_data: Path
) -> None:
    """The set look-up gives the bound the same reach and the same query-word masks
    as the edit distances, on every candidate word of real queries."""
    path = shared_data / "matching" / "yente-screening-bench" / "negatives_us.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:80]
    tables = corpus_index._bounds()
    weight, translations = corpus_index.weight, corpus_index.translations.equivalents
    reached = 0
    for row in rows:
        query = corpus_index.query_record(
            {"schema": "Person", "properties": {"name": [row["full_name"]]}}
        )
        q_stats = name_stats(query, weight)
        old = QueryBound(query, q_stats, weight, translations)
        new = QueryBound(query, q_stats, weight, translations, corpus_index._typos().near)
        old._prepare()
        new._prepare()
        words = list(
            dict.fromkeys(t for i in corpus_index.candidates(query) for t in tables[i].tokens)
        )
        assert new._reach_all(words) == old._reach_all(words)
        assert [new._mask(w) for w in words] == [old._mask(w) for w in words]
        assert [new._fuzzy(w) for w in words] == [old._fuzzy(w) for w in words]
        reached += sum(new._reach_all(words))
    assert reached > 100
