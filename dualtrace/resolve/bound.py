"""An admissible upper bound on a candidate's score, for branch-and-bound screening.

Aligning a multi-form query against an entity with dozens of aliases is the matcher's
cost. ``ScreeningIndex.match`` only needs the ``limit`` best candidates at or above
``cutoff``, so a candidate whose score *cannot* reach the current ``limit``-th best
(or the cutoff) need not be aligned at all. This module computes, without aligning,
a number that is never below the candidate's real score; the index scores
candidates in descending bound order and stops at the first bound that cannot make
the list. The results are therefore exactly those of scoring every candidate.

Why the name bound holds (see :func:`dualtrace.resolve.features.align_tokens`): an
alignment's score is ``num / den`` with ``num <= A`` (each aligned token counted once
with its weight, similarity <= 1) and ``den >= A + U``, where ``U`` is what the
candidate-name tokens that *no* query token can pair with cost. ``A / (A + U)``
grows with ``A``, and ``A`` is at most the query name's weight plus the weight of the
candidate tokens some query token can reach (exactly, as a joined compound or a part
of one, within typo distance, as a learned translation, a shared rigour name symbol,
or an initial). The other name features only subtract; the cheap non-name features
are computed exactly and the address feature is bounded by its weight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from dualtrace.resolve import features as ft
from dualtrace.resolve.features import NameStat, TokenWeight, token_similarity
from dualtrace.resolve.records import Record
from dualtrace.resolve.scorer import BASE_LOG_ODDS

# Non-name features cheap enough to compute exactly inside the bound.
EXACT_FEATURES: tuple[tuple[ft.Feature, float, float], ...] = (
    (ft.identifier_match, 4.5, 0.0),
    (ft.identifier_mismatch, 0.0, 2.5),
    (ft.country_match, 0.6, 0.9),
    (ft.date_match, 1.6, 2.5),
    (ft.contact_match, 1.5, 0.0),
)
NAME_WEIGHT = 7.3
ADDRESS_WEIGHT = 0.8
# Summation order differs from the scorer's: keep the bound above it by more than
# any float rounding difference.
EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class CandidateTokens:
    """A candidate's name tokens as the bound needs them (built once per entity).

    Distinct tokens with their weight and their cost when left unmatched (as a
    non-person and as a person pair, where patronymics cost less), and for each
    token the aliases it occurs in (repeated per occurrence), so a query only walks
    the tokens it can reach.
    """

    tokens: tuple[str, ...]
    weights: tuple[float, ...]
    costs: tuple[float, ...]
    person_costs: tuple[float, ...]
    occurs: tuple[tuple[int, ...], ...]
    # per alias: cost if nothing matched (non-person, person) and its discount
    alias_costs: tuple[float, ...]
    alias_person_costs: tuple[float, ...]
    discounts: tuple[float, ...]


def candidate_tokens(stats: tuple[NameStat, ...], weight: TokenWeight) -> CandidateTokens:
    """The bound's view of one candidate's names."""
    position: dict[str, int] = {}
    occurs: list[list[int]] = []
    for ai, cs in enumerate(stats):
        for tok in cs.entry.tokens:
            ti = position.get(tok)
            if ti is None:
                ti = position[tok] = len(occurs)
                occurs.append([])
            occurs[ti].append(ai)
    tokens = tuple(position)
    costs = tuple(2 * ft.CANDIDATE_EXTRA_COST * ft.miss_cost(t, weight) for t in tokens)
    person_costs = tuple(
        2 * ft.PATRONYMIC_COST * ft.miss_cost(t, weight) if ft.is_patronymic(t) else c
        for t, c in zip(tokens, costs, strict=True)
    )
    alias_costs = [0.0] * len(stats)
    alias_person_costs = [0.0] * len(stats)
    for ti, ais in enumerate(occurs):
        for ai in ais:
            alias_costs[ai] += costs[ti]
            alias_person_costs[ai] += person_costs[ti]
    return CandidateTokens(
        tokens,
        tuple(weight(t) for t in tokens),
        costs,
        person_costs,
        tuple(tuple(o) for o in occurs),
        tuple(alias_costs),
        tuple(alias_person_costs),
        tuple(cs.as_candidate for cs in stats),
    )


class QueryBound:
    """Per-query data for bounding any candidate's score (built once per query)."""

    def __init__(
        self,
        query: Record,
        query_stats: tuple[NameStat, ...],
        weight: TokenWeight,
        translations: Mapping[str, frozenset[str]],
    ) -> None:
        self.query = query
        self.weight = weight
        tokens = {t for qs in query_stats for t in qs.entry.tokens}
        self.tokens = frozenset(tokens)
        self.lengths = tuple(sorted({len(t) for t in tokens}))
        self.query_weight = max((qs.total for qs in query_stats), default=0.0)
        self.translated = frozenset(e for t in tokens for e in translations.get(t, ()))
        # every query token of 2+ letters in one string: a substring test in C
        self.haystack = "\x00".join(t for t in tokens if len(t) > 1)
        by_length: dict[int, list[str]] = {}
        for t in tokens:
            if len(t) >= 5 and not t.isdigit():
                by_length.setdefault(len(t), []).append(t)
        self.by_length = {n: tuple(v) for n, v in by_length.items()}
        self.initials = frozenset(t for t in tokens if len(t) == 1)
        self.symbols = frozenset(s for v in query.symbols.values() for s in v)
        self._reach: dict[str, bool] = {}

    def _joined(self, tok: str, parts: int) -> bool:
        """Is ``tok`` 2..``parts`` query tokens run together (a query-side compound)?

        Exact matches are removed before compounds are joined, so the joined tokens
        need not be adjacent in the query: any concatenation is checked.
        """
        for n in self.lengths:
            if n >= len(tok):
                break
            if tok[:n] in self.tokens:
                rest = tok[n:]
                if rest in self.tokens or (parts > 2 and self._joined(rest, parts - 1)):
                    return True
        return False

    def _fuzzy(self, tok: str) -> bool:
        """Is some query token within typo distance of ``tok`` (token_similarity > 0)?"""
        size = len(tok)
        if size < 5 or tok.isdigit():
            return False
        spread = ft.allowed_edits(size)
        for n in range(max(5, size - spread - 1), size + spread + 2):
            for q in self.by_length.get(n, ()):
                if token_similarity(q, tok) > 0:
                    return True
        return False

    def _reachable(self, tok: str) -> bool:
        """Can some query token pair with this candidate token (symbols aside)?"""
        hit = self._reach.get(tok)
        if hit is None:
            hit = (
                tok in self.tokens
                or tok in self.translated
                # a part of a candidate-side compound is a substring of a query token
                or tok in self.haystack
                or self._fuzzy(tok)
                or self._joined(tok, 3)
            )
            self._reach[tok] = hit
        return hit

    def name_bound(self, candidate: Record, ct: CandidateTokens) -> float:
        """An upper bound on the name_match feature's value for ``candidate``."""
        if not ct.discounts or not self.query_weight:
            return 0.0
        person = self.query.is_person and candidate.is_person
        symbols = self.symbols if (self.query.symbols and candidate.symbols) else None
        initials = self.initials if person else frozenset()
        c_symbols = candidate.symbols
        costs = ct.person_costs if person else ct.costs
        n_alias = len(ct.discounts)
        reach_w = [0.0] * n_alias
        unmatched = list(ct.alias_person_costs if person else ct.alias_costs)
        reachable = self._reachable
        for ti, tok in enumerate(ct.tokens):
            if (
                reachable(tok)
                or (initials and len(tok) > 1 and tok[0] in initials)
                or (symbols is not None and not symbols.isdisjoint(c_symbols.get(tok, ())))
            ):
                w, c = ct.weights[ti], costs[ti]
                for ai in ct.occurs[ti]:
                    reach_w[ai] += w
                    unmatched[ai] -= c
        # an initial pair counts the candidate token's weight on the query side too
        factor = 2.0 if initials else 1.0
        best = 0.0
        qw = self.query_weight
        for ai in range(n_alias):
            aligned = qw + reach_w[ai] * factor
            # unmatched is a difference of sums: clamp float residue at zero
            ub = aligned / (aligned + max(0.0, unmatched[ai] - EPSILON)) * ct.discounts[ai]
            if ub > best:
                best = ub
        return best

    def score_bound(self, candidate: Record, ct: CandidateTokens) -> float:
        """An upper bound on ``score_records(query, candidate).score`` (rounded alike)."""
        query = self.query
        total = BASE_LOG_ODDS + NAME_WEIGHT * self.name_bound(candidate, ct)
        for func, pos, neg in EXACT_FEATURES:
            value = func(query, candidate, _NO_CONTEXT).score
            total += value * (pos if value >= 0 else neg)
        if query.addresses and candidate.addresses:
            total += ADDRESS_WEIGHT
        return round(1.0 / (1.0 + math.exp(-(total + EPSILON))), 4)


# The exact features bounded here read only the two records, never the context.
_NO_CONTEXT = ft.Context(lambda _t: 0.0, 0.0)
