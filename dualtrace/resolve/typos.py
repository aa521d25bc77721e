"""Every indexed word within typo distance of a token, found by look-ups, remembered.

Two parts of screening ask which words are a typo apart: retrieval (a query word's
indexed neighbours add their postings) and the score bound (can some query word pair
with this candidate word?). Both used to measure edit distances at query time -- the
bound for every (query word, candidate word) pair of every query, ~70 candidate words
a query. This module answers "which indexed words are within typo distance of ``q``"
once per distinct ``q`` and remembers it, so a batch pays each word's search once and
the bound's typo test becomes a set look-up.

The search is complete (every word within distance is found), by the pigeonhole
principle: an indexed word of ``n`` letters is split into ``k + 1`` pieces, ``k`` its
allowed edits (:func:`pieces`); ``k`` or fewer edits leave one piece untouched, and an
untouched piece starting at ``s`` sits in ``q`` at ``s + d`` with ``|d| <= k`` (the
net insertions before it). The index keeps ``(n, s, piece) -> words``; a query word
looks up each piece position of each compatible length at each shift and checks the
few words found with an edit distance that stops counting past the limit.

"Within typo distance" is :func:`dualtrace.resolve.features.token_similarity`'s test
for two different words: both of 5+ letters and not all digits, lengths within the
allowed edits of the shorter, and an edit distance within them.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from itertools import compress, pairwise, repeat
from typing import Any

from rigour._core import raw_levenshtein_cutoff

from dualtrace.resolve.features import allowed_edits

# New (not indexed) query words whose neighbourhoods are remembered (a set of a few
# words each).
NEAR_CACHE_SIZE = 200_000
NOTHING: frozenset[str] = frozenset()


@lru_cache(maxsize=256)
def typo_lengths(size: int) -> tuple[tuple[int, int], ...]:
    """(length, edits allowed) of the words of 5+ letters a word of ``size`` letters
    may be a typo of (the same for every query: computed once per size)."""
    out: list[tuple[int, int]] = []
    for n in range(max(5, size - allowed_edits(size)), size + allowed_edits(size) + 1):
        limit = allowed_edits(min(n, size))
        if abs(n - size) <= limit:
            out.append((n, limit))
    return tuple(out)


@lru_cache(maxsize=256)
def pieces(size: int) -> tuple[tuple[int, int], ...]:
    """(start, end) of k + 1 contiguous pieces covering a word of ``size`` letters,
    k its allowed edits: at most k edits leave one piece intact."""
    k = allowed_edits(size)
    bounds = [round(i * size / (k + 1)) for i in range(k + 2)]
    return tuple(pairwise(bounds))


@lru_cache(maxsize=256)
def probes(size: int) -> tuple[tuple[int, int, tuple[tuple[int, int, int], ...]], ...]:
    """For a query word of ``size`` letters: per compatible (length ``n``, edits
    ``limit``), the (piece start, slice start, slice end) look-ups to make.

    A piece left intact by at most ``limit`` edits sits in the query word shifted by
    ``d``, the net insertions before it; the edits before it are at least ``|d|`` and
    those after it at least ``|size - n - d|`` (the rest of the length difference), so
    only shifts with ``|d| + |size - n - d| <= limit`` can hold it -- one shift instead
    of three for same-length words at one edit. Same completeness, fewer look-ups."""
    out: list[tuple[int, int, tuple[tuple[int, int, int], ...]]] = []
    for n, limit in typo_lengths(size):
        slots = [
            (start, start + d, end + d)
            for start, end in pieces(n)
            for d in range(-limit, limit + 1)
            if abs(d) + abs(size - n - d) <= limit and start + d >= 0 and end + d <= size
        ]
        out.append((n, limit, tuple(slots)))
    return tuple(out)


def typo_capable(tok: str) -> bool:
    """Can ``tok`` be a typo of anything (5+ letters, not all digits)?"""
    return len(tok) >= 5 and not tok.isdigit()


class TypoIndex:
    """Pieces of every indexed word, for complete typo look-ups (built with the index).

    ``rank`` is each word's position in the vocabulary as given (the index's postings
    order), which retrieval needs to add typo postings in a fixed order.
    """

    def __init__(self, vocabulary: Iterable[str]) -> None:
        table: dict[tuple[int, int, str], list[str]] = {}
        rank: dict[str, int] = {}
        for tok in vocabulary:
            rank[tok] = len(rank)
            if typo_capable(tok):
                size = len(tok)
                for start, end in pieces(size):
                    table.setdefault((size, start, tok[start:end]), []).append(tok)
        self.table = {key: tuple(words) for key, words in table.items()}
        self.rank = rank
        # Every indexed word's neighbours, searched now (most query words are indexed
        # words: 83% of the speed bench's distinct ones), only the non-empty kept.
        self.indexed: dict[str, frozenset[str]] = {}
        for tok in rank:
            found = self._search(tok)
            if found:
                self.indexed[tok] = found
        self._near: dict[str, frozenset[str]] = {}

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled as its tables (compiled by mypyc, the class has no pickle support of
        its own; the screening index is pickled beside the store)."""
        return _restore, (self.table, self.rank, self.indexed)

    def near(self, tok: str) -> frozenset[str]:
        """The indexed words other than ``tok`` within typo distance of it (an indexed
        word's from the build; a new word's searched once and remembered)."""
        if tok in self.rank:
            return self.indexed.get(tok, NOTHING)
        found = self._near.get(tok)
        if found is None:
            if len(self._near) >= NEAR_CACHE_SIZE:
                self._near.clear()
            found = self._near[tok] = self._search(tok)
        return found

    def _search(self, q: str) -> frozenset[str]:
        if not typo_capable(q):
            return NOTHING
        get = self.table.get
        out: list[str] = []
        for n, limit, slots in probes(len(q)):
            seen: set[str] = set()
            for start, a, b in slots:
                words = get((n, start, q[a:b]))
                if words:
                    seen.update(words)
            seen.discard(q)
            if seen:
                found = list(seen)
                dists = map(raw_levenshtein_cutoff, repeat(q), found, repeat(limit))
                out.extend(compress(found, map(limit.__ge__, dists)))
        return frozenset(out) if out else NOTHING


def _restore(
    table: dict[tuple[int, int, str], tuple[str, ...]],
    rank: dict[str, int],
    indexed: dict[str, frozenset[str]],
) -> TypoIndex:
    """A pickled :class:`TypoIndex` back from its tables, without searching again."""
    out = TypoIndex(())
    out.table, out.rank, out.indexed = table, rank, indexed
    return out
