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

The first bound (:meth:`QueryBounds.score_bounds`) is cheap but counts every query
token as aligned. A candidate it leaves to be scored in full first gets
:meth:`QueryBound.tight_bound`, which also charges the query tokens nothing in a
candidate alias can pair with and bounds the name-information penalty from below: a
third (batch) to three quarters (cutoff 0.5) of those candidates are then skipped
without aligning, again changing no result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rigour._core import raw_levenshtein_cutoff

from dualtrace.native import reduce_fields
from dualtrace.resolve import features as ft
from dualtrace.resolve.features import NameStat, TokenWeight
from dualtrace.resolve.records import Record
from dualtrace.resolve.scorer import BASE_LOG_ODDS
from dualtrace.resolve.typos import pieces as _pieces
from dualtrace.resolve.typos import typo_capable
from dualtrace.resolve.typos import typo_lengths as _typo_lengths

# Non-name features cheap enough to compute exactly inside the bound.
EXACT_FEATURES: tuple[tuple[ft.Feature, float, float], ...] = (
    (ft.identifier_match, 4.5, 0.0),
    (ft.identifier_mismatch, 0.0, 2.5),
    (ft.country_match, 0.6, 0.9),
    (ft.date_match, 1.6, 2.5),
    (ft.contact_match, 1.5, 0.0),
)
NAME_WEIGHT = 7.3
INFO_WEIGHT = 2.2
# Query tokens the reach masks of the tight bound can name (one bit each).
MASK_TOKENS = 62
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

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return reduce_fields(self)


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


# Beyond this many (query token, edits) pairs to try, _fuzzy first checks that some
# piece of the candidate token occurs in a query token (cheaper than the distances).
PIGEONHOLE_PLAN = 3


class QueryBound:
    """Per-query data for bounding any candidate's score (built once per query)."""

    def __init__(
        self,
        query: Record,
        query_stats: tuple[NameStat, ...],
        weight: TokenWeight,
        translations: Mapping[str, frozenset[str]],
        near: Callable[[str], frozenset[str]] | None = None,
    ) -> None:
        """``near``: the index's complete typo look-up (:meth:`TypoIndex.near`); with
        it the typo test is a set look-up, without it edit distances per pair."""
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
        # each query word of 5+ letters with every indexed word within typo distance
        # of it, and all of those together with the query words themselves: a word
        # within typo distance of some query word is in ``typo_reach``
        self.typo_near: dict[str, frozenset[str]] | None = None
        self.typo_reach: frozenset[str] | None = None
        if near is not None:
            self.typo_near = {t: near(t) for t in tokens if typo_capable(t)}
            self.typo_reach = frozenset(self.typo_near).union(*self.typo_near.values())
        self.initials = frozenset(t for t in tokens if len(t) == 1)
        # first two letters of the query tokens of 2+ letters: a candidate token that
        # starts with none of them (nor with a one-letter query token) cannot begin
        # with a query token, so it is no query-side compound (see _joined)
        self.starts = frozenset(t[:2] for t in tokens if len(t) > 1)
        self.symbols = frozenset(s for v in query.symbols.values() for s in v)
        self._reach: dict[str, bool] = {}
        self._plans: dict[int, tuple[tuple[str, int], ...]] = {}
        self._query_stats = query_stats
        self._translations = translations
        self._prepared = False
        # entity -> log-odds of the exactly computed non-name features: filled by
        # QueryBounds.score_bounds, reused by tight_bound instead of computing them again
        self.rests: dict[int, float] = {}
        self.bits: dict[str, int] | None = None

    def _prepare(self) -> None:
        """What the tight bound needs, built on its first use (many queries never
        need it): one bit per distinct query token (sorted, so no sum's order follows
        the hash seed) and each query name as (bit, weight, miss cost, person miss
        cost) per token. Beyond MASK_TOKENS tokens the tight bound is not used."""
        self._prepared = True
        weight = self.weight
        order = sorted(self.tokens)
        if len(order) > MASK_TOKENS:
            return
        bits = self.bits = {t: 1 << j for j, t in enumerate(order)}
        parts = []
        for qs in self._query_stats:
            if not qs.entry.tokens:
                continue
            row = []
            for t in qs.entry.tokens:
                miss = 2 * ft.miss_cost(t, weight)
                patronymic = ft.PATRONYMIC_COST if ft.is_patronymic(t) else 1.0
                row.append((bits[t], weight(t), miss, miss * patronymic))
            parts.append(tuple(row))
        self.name_parts: tuple[tuple[tuple[int, float, float, float], ...], ...] = tuple(parts)
        translated_bits: dict[str, int] = {}
        for t, bit in bits.items():
            for e in self._translations.get(t, ()):
                translated_bits[e] = translated_bits.get(e, 0) | bit
        self._translated_bits = translated_bits
        self._long_bits = tuple((t, b) for t, b in bits.items() if len(t) > 1)
        self._masks: dict[str, int] = {}
        self._symbol_masks: dict[frozenset[str], int] = {}
        self._sides: dict[tuple[int, bool], tuple[tuple[float, float, float], ...]] = {}

    def _joined(self, tok: str, parts: int) -> bool:
        """Is ``tok`` 2..``parts`` query tokens run together (a query-side compound)?

        Exact matches are removed before compounds are joined, so the joined tokens
        need not be adjacent in the query: any concatenation is checked.
        """
        if tok[:2] not in self.starts and tok[:1] not in self.initials:
            return False
        for n in self.lengths:
            if n >= len(tok):
                break
            if tok[:n] in self.tokens:
                rest = tok[n:]
                if rest in self.tokens or (parts > 2 and self._joined(rest, parts - 1)):
                    return True
        return False

    def _fuzzy(self, tok: str) -> bool:
        """Is some query token within typo distance of ``tok`` (token_similarity > 0)?

        The same test as :func:`~dualtrace.resolve.features.token_similarity` for two
        different tokens of 5+ letters (equal ones are caught before): lengths within
        the allowed edits of the shorter, and a Rust edit distance that stops counting
        past them.
        """
        if self.typo_reach is not None:
            return tok in self.typo_reach
        size = len(tok)
        if size < 5:
            return False
        plan = self._plans.get(size)
        if plan is None:
            plan = self._plans[size] = self._plan(size)
        if not plan or tok.isdigit():
            return False
        if len(plan) > PIGEONHOLE_PLAN:
            # Within k edits of a query token, one of k + 1 pieces of ``tok`` is
            # untouched, so it is a substring of that token and of the haystack. Most
            # candidate tokens fail this (83% on the speed bench's batch) and skip the
            # edit distances: long multi-form queries have dozens of plan entries.
            haystack = self.haystack
            for start, end in _pieces(size):
                if tok[start:end] in haystack:
                    break
            else:
                return False
        # a plain loop: a generator per call cost as much as the Rust distances
        for q, limit in plan:  # noqa: SIM110
            if raw_levenshtein_cutoff(q, tok, limit) <= limit:
                return True
        return False

    def _plan(self, size: int) -> tuple[tuple[str, int], ...]:
        """(query token, edits allowed) pairs a candidate token of ``size`` letters
        could be a typo of: lengths within the allowed edits of the shorter."""
        by_length = self.by_length
        return tuple((q, limit) for n, limit in _typo_lengths(size) for q in by_length.get(n, ()))

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

    def _reach_all(self, words: Sequence[str]) -> list[bool]:
        """:meth:`_reachable` for many tokens in one loop (the bound asks for every
        distinct token of every retrieved candidate): the same tests in the same
        order, with the cheap exits of :meth:`_fuzzy` (under 5 letters) and
        :meth:`_joined` (no query token's first letters) taken before the call."""
        known = self._reach
        tokens, translated, haystack = self.tokens, self.translated, self.haystack
        starts, initials = self.starts, self.initials
        fuzzy, joined = self._fuzzy, self._joined
        out: list[bool] = []
        typo_reach = self.typo_reach
        if typo_reach is not None:
            # the typo test as a set look-up (the same answer as _fuzzy's distances)
            typo: Callable[[str], bool] = typo_reach.__contains__
        else:

            def typo(tok: str) -> bool:
                return len(tok) >= 5 and fuzzy(tok)

        for tok in words:
            hit = known.get(tok)
            if hit is None:
                hit = (
                    tok in tokens
                    or tok in translated
                    or tok in haystack
                    or typo(tok)
                    or ((tok[:2] in starts or tok[:1] in initials) and joined(tok, 3))
                )
                known[tok] = hit
            out.append(hit)
        return out

    def _mask(self, tok: str) -> int:
        """The query tokens that may pair with candidate token ``tok`` (0: none).

        Non-zero exactly when :meth:`_reachable` is true, naming the query side of
        each pairing it allows: equal, a learned translation, ``tok`` a part of a
        query token (a candidate-side compound), within typo distance, or for a
        query-side compound every query token inside ``tok`` (a superset of the
        joined parts: more bits only loosen the bound).
        """
        m = self._masks.get(tok)
        if m is None:
            m = 0
            bits = self.bits
            if bits is not None and self._reachable(tok):
                m = bits.get(tok, 0) | self._translated_bits.get(tok, 0)
                for t, bit in self._long_bits:
                    if tok in t:
                        m |= bit
                size = len(tok)
                if self.typo_near is not None:
                    for q, near in self.typo_near.items():
                        if q == tok or tok in near:
                            m |= bits[q]
                elif size >= 5 and not tok.isdigit():
                    plan = self._plans.get(size)
                    if plan is None:
                        plan = self._plans[size] = self._plan(size)
                    for q, limit in plan:
                        if raw_levenshtein_cutoff(q, tok, limit) <= limit:
                            m |= bits[q]
                if self._joined(tok, 3):
                    for t, bit in bits.items():
                        if t in tok:
                            m |= bit
            self._masks[tok] = m
        return m

    def _symbol_mask(self, syms: frozenset[str]) -> int:
        """The query tokens sharing a rigour name symbol with ``syms``."""
        m = self._symbol_masks.get(syms)
        if m is None:
            m = 0
            bits = self.bits or {}
            for q, qs in self.query.symbols.items():
                if not qs.isdisjoint(syms):
                    m |= bits.get(q, 0)
            self._symbol_masks[syms] = m
        return m

    def _query_side(self, mask: int, person: bool) -> tuple[tuple[float, float, float], ...]:
        """Per query name: (weight of its tokens in ``mask``, miss cost of the others,
        the least name_information penalty in log-odds those aligned tokens allow)."""
        key = (mask, person)
        got = self._sides.get(key)
        if got is None:
            rows = []
            for parts in self.name_parts:
                aligned = missed = 0.0
                for bit, w, cost, person_cost in parts:
                    if bit & mask:
                        aligned += w
                    else:
                        missed += person_cost if person else cost
                info = aligned * min(1.0, aligned / ft.INFO_TARGET)
                penalty = (
                    INFO_WEIGHT * (ft.INFO_TARGET - info) / ft.INFO_TARGET
                    if info < ft.INFO_TARGET
                    else 0.0
                )
                rows.append((aligned, missed, penalty))
            got = self._sides[key] = tuple(rows)
        return got

    def tight_bound(
        self,
        candidate: Record,
        ct: CandidateTokens,
        enough: float = math.inf,
        rest: float | None = None,
    ) -> float:
        """A tighter upper bound on ``score_records(query, candidate).score``, for the
        few candidates the first bound leaves to be scored in full.

        Beyond :meth:`score_bound` it charges, per (query name, candidate alias),
        the query tokens no token of the alias can pair with: each reachable
        candidate token carries a bit mask of the query tokens that may pair with
        it, OR-ed per alias. An alignment's score is then at most
        ``(Aq + Ac) / (Aq + Ac + Uq + Uc)`` with ``Aq`` the masked query weight and
        ``Uq`` the unmasked query tokens' miss costs. The matched information of the
        best pair is at most ``f(Aq)`` with ``f(x) = x * min(1, x / INFO_TARGET)``
        (superadditive, so joined pairs are covered), which bounds
        :func:`~dualtrace.resolve.features.name_information`'s penalty from below;
        initial pairs count the candidate's weight, so persons with query initials
        get no penalty bound. The name features are 0 when nothing aligns, hence the
        floor at 0.

        ``rest`` is the log-odds of the features other than names when the caller
        has them (:meth:`QueryBounds.score_bounds` keeps them per entity).
        The caller only asks whether the bound reaches ``enough``: once it is known
        to, the walk stops and returns a value at least ``enough`` (not the bound).
        """
        if not self._prepared:
            self._prepare()
        if self.bits is None:
            return self.score_bound(candidate, ct)
        query = self.query
        if rest is None:
            rest = BASE_LOG_ODDS
            for func, pos, neg in EXACT_FEATURES:
                value = func(query, candidate, _NO_CONTEXT).score
                rest += value * (pos if value >= 0 else neg)
            if query.addresses and candidate.addresses:
                rest += ADDRESS_WEIGHT
        rest += EPSILON
        best = 0.0
        if ct.discounts and self.name_parts:
            # name value from which the rounded score certainly reaches ``enough``
            target = (
                math.log(enough / (1.0 - enough)) - rest + 1e-6 if 0.0 < enough < 1.0 else math.inf
            )
            person = query.is_person and candidate.is_person
            initials = self.initials if person else frozenset()
            c_symbols = candidate.symbols if (query.symbols and candidate.symbols) else None
            symbols = self.symbols
            bits = self.bits
            costs = ct.person_costs if person else ct.costs
            n_alias = len(ct.discounts)
            reach_w = [0.0] * n_alias
            unmatched = list(ct.alias_person_costs if person else ct.alias_costs)
            masks = [0] * n_alias
            mask_of = self._mask
            for ti, tok in enumerate(ct.tokens):
                m = mask_of(tok)
                if initials and len(tok) > 1 and tok[0] in initials:
                    m |= bits[tok[0]]
                if c_symbols is not None:
                    syms = c_symbols.get(tok)
                    if syms and not symbols.isdisjoint(syms):
                        m |= self._symbol_mask(syms)
                if m:
                    w, c = ct.weights[ti], costs[ti]
                    for ai in ct.occurs[ti]:
                        reach_w[ai] += w
                        unmatched[ai] -= c
                        masks[ai] |= m
            factor = 2.0 if initials else 1.0
            side = self._query_side
            for ai in range(n_alias):
                mask = masks[ai]
                top = NAME_WEIGHT * ct.discounts[ai]
                if not mask or top <= best:
                    # nothing of the alias can align (value <= 0), or even a perfect
                    # alignment would not beat the best so far
                    continue
                c_aligned = reach_w[ai] * factor
                # unmatched is a difference of sums: clamp float residue at zero
                c_missed = max(0.0, unmatched[ai] - EPSILON)
                for q_aligned, q_missed, penalty in side(mask, person):
                    aligned = q_aligned + c_aligned
                    value = top * aligned / (aligned + q_missed + c_missed)
                    if not initials:
                        value -= penalty
                    if value > best:
                        best = value
                if best >= target:
                    break
        return round(1.0 / (1.0 + math.exp(-(rest + best))), 4)

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
        reached = self._reach_all(ct.tokens)
        for ti, tok in enumerate(ct.tokens):
            if (
                reached[ti]
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


class QueryBounds(QueryBound):
    """:class:`QueryBound` for all of a query's retrieved candidates."""

    def score_bounds(
        self,
        candidates: Sequence[Record],
        entities: Sequence[int],
        tables: Sequence[CandidateTokens],
    ) -> list[float]:
        """Upper bounds on ``score_records(query, candidate).score`` for each candidate
        (:meth:`QueryBound.score_bound`), from the index's per-entity token tables
        (``tables[entity]``, built with the index).

        One candidate at a time in Python: with the tables prebuilt this is faster than
        the flat numpy arrays over every entity's tokens it replaces (about 50 small
        array operations a query for ~14 candidates). Each distinct token's reach is
        tested once a query (:meth:`QueryBound._reach_all`, cached); the non-name
        features are computed exactly and kept per entity for the tight bound.
        """
        query = self.query
        out: list[float] = []
        checks = self._exact_features()
        rests = self.rests
        name_bound = self.name_bound
        has_addresses = bool(query.addresses)
        for ent, cand in zip(entities, candidates, strict=True):
            total = BASE_LOG_ODDS + NAME_WEIGHT * name_bound(cand, tables[ent])
            rest = BASE_LOG_ODDS
            for func, pos, neg in checks:
                value = func(query, cand, _NO_CONTEXT).score
                total += value * (pos if value >= 0 else neg)
                rest += value * (pos if value >= 0 else neg)
            if has_addresses and cand.addresses:
                total += ADDRESS_WEIGHT
                rest += ADDRESS_WEIGHT
            rests[ent] = rest
            out.append(round(1.0 / (1.0 + math.exp(-(total + EPSILON))), 4))
        return out

    def _exact_features(self) -> list[tuple[ft.Feature, float, float]]:
        """The exact features that can be non-zero for this query (the others need
        something the query lacks)."""
        q = self.query
        present: dict[ft.Feature, bool] = {
            ft.identifier_match: bool(q.identifiers),
            ft.identifier_mismatch: bool(q.identifiers),
            ft.country_match: bool(q.countries),
            ft.date_match: bool(q.dates),
            ft.contact_match: bool(q.emails or q.phones or q.websites),
        }
        return [f for f in EXACT_FEATURES if present[f[0]]]


# The exact features bounded here read only the two records, never the context.
_NO_CONTEXT = ft.Context(lambda _t: 0.0, 0.0)
