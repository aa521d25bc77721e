"""Feature functions: each compares one aspect of a query and a candidate.

Following nomenklatura's design, a feature is a plain function
``(query, candidate, context) -> FtResult`` and its docstring's first line *is* the
user-facing explanation of what it measured. The scorer (``dualtrace.resolve.scorer``)
turns each result into a contribution to the match log-odds, so every score can be
read back as a list of sentences with signed contributions. Trade linkage
(``dualtrace.trade``) imports these functions and :func:`align_tokens` directly.
"""

from __future__ import annotations

import ast
import heapq
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, NamedTuple

import numpy as np
from rigour.addresses import normalize_address
from rigour.text.distance import levenshtein

from dualtrace.names.normalize import token_key
from dualtrace.native import reduce_fields, source_path
from dualtrace.resolve.records import NameEntry, Record

TokenWeight = Callable[[str], float]


class FtResult(NamedTuple):
    """A feature's value in [-1, 1] (negative = evidence against) and a detail text.

    A named tuple rather than a frozen dataclass: every scored pair makes a dozen,
    and a tuple is built several times faster; it is as immutable.
    """

    score: float
    detail: str | None = None


# The result of a feature with nothing to say (shared: results are immutable).
NO_EVIDENCE = FtResult(0.0)


class TokenPair(NamedTuple):
    """Two aligned tokens, how they were paired and how alike they are (a named
    tuple: every alignment makes several, and tuples are built fastest)."""

    query: str
    candidate: str
    similarity: float
    how: str


class Alignment(NamedTuple):
    """How two token sequences line up, weighted by token rarity (a named tuple:
    built for every aligned name pair, most of them never explained)."""

    score: float
    pairs: tuple[TokenPair, ...]
    query_left: tuple[str, ...]
    candidate_left: tuple[str, ...]
    matched_weight: float

    def describe(self) -> str:
        parts = []
        for p in self.pairs:
            if p.how == "exact":
                parts.append(p.query)
            else:
                parts.append(f"{p.query}~{p.candidate} ({p.how} {p.similarity:.2f})")
        text = "aligned " + ", ".join(parts) if parts else "nothing aligned"
        if self.query_left:
            text += "; query only: " + " ".join(self.query_left)
        if self.candidate_left:
            text += "; candidate only: " + " ".join(self.candidate_left)
        return text


EMPTY_ALIGNMENT = Alignment(0.0, (), (), (), 0.0)
# Unmatched candidate tokens cost half as much as unmatched query tokens: list
# entries carry long official names ("... named after academician A.A. Raspletin")
# that a user rarely types, while a query word the candidate lacks is a real miss.
CANDIDATE_EXTRA_COST = 0.5


def allowed_edits(length: int) -> int:
    """Typos tolerated in a token: none below 5 letters, then one per 4 letters."""
    if length < 5:
        return 0
    return max(1, length // 4)


@lru_cache(maxsize=1 << 18)
def token_similarity(a: str, b: str) -> float:
    """Similarity of two comparison keys in [0, 1]; 0 when beyond typo tolerance."""
    if a == b:
        return 1.0
    if a.isdigit() or b.isdigit():
        return 0.0
    longest = max(len(a), len(b))
    limit = allowed_edits(min(len(a), len(b)))
    if limit == 0 or abs(len(a) - len(b)) > limit:
        return 0.0
    dist = levenshtein(a, b)
    if dist > limit:
        return 0.0
    return 1.0 - dist / longest


def _compounds(
    left: list[str], right: list[str], pairs: list[TokenPair], swap: bool
) -> tuple[list[str], list[str]]:
    """Join runs of 2-3 tokens on one side that spell one token on the other.

    Bridges segmentation differences: pinyin syllables "shen zhen" vs "Shenzhen",
    "almaz antei" vs "almazantei".
    """
    if len(left) < 2 or not right:
        return left, right
    changed = True
    while changed:
        changed = False
        for size in (3, 2):
            for i in range(len(left) - size + 1):
                joined = "".join(left[i : i + size])
                if joined in right:
                    run = " ".join(left[i : i + size])
                    pair = (
                        TokenPair(joined, run, 0.95, "joined")
                        if swap
                        else TokenPair(run, joined, 0.95, "joined")
                    )
                    pairs.append(pair)
                    right = list(right)
                    right.remove(joined)
                    left = left[:i] + left[i + size :]
                    changed = True
                    break
            if changed:
                break
    return left, right


# Comparison-key endings of patronymics (-ovich, -evich, -ovna, -evna, -ichna, ogly):
# lists spell them out, people rarely type them.
PATRONYMIC_ENDINGS = ("ovic", "evic", "ovna", "evna", "icna", "ogli")
PATRONYMIC_COST = 0.1
# Two spellings rigour knows to be the same given or family name (any script).
SYMBOL_SIMILARITY = 0.9
# A word pair the lists' alias groups show to be translations (zavod = plant).
TRANSLATION_SIMILARITY = 0.85


# Weight at which a missing word costs its full weight; commoner words cost less.
RARE_WEIGHT = 10.0


def miss_cost(token: str, weight: TokenWeight) -> float:
    """What a word present on one side only costs: its weight, discounted when common.

    Descriptors such as "nauchno", "proizvodstvennoe", "research", "enterprise" fill
    official names and are often translated rather than transliterated; missing one
    says little. A missing rare word ("Redlepus") says a lot.
    """
    w = weight(token)
    return w * min(1.0, w / RARE_WEIGHT)


def is_patronymic(key: str) -> bool:
    return len(key) > 6 and key.endswith(PATRONYMIC_ENDINGS)


def align_tokens(
    query: tuple[str, ...],
    candidate: tuple[str, ...],
    weight: TokenWeight,
    person: bool = False,
    symbols: tuple[Mapping[str, frozenset[str]], Mapping[str, frozenset[str]]] | None = None,
    translations: Mapping[str, frozenset[str]] | None = None,
) -> Alignment:
    """Align two names' tokens: exact, joined compounds, then typo-tolerant pairs.

    The score is a rarity-weighted Dice coefficient: each aligned pair contributes its
    similarity times both tokens' weights; every token counts in the denominator
    (candidate-only tokens at half weight). Word order does not matter. For persons,
    a patronymic present on one side only costs little, and a query initial may
    stand for a candidate name starting with that letter.
    """
    if not query or not candidate:
        return EMPTY_ALIGNMENT
    pairs: list[TokenPair] = []
    q_left = list(query)
    c_left = list(candidate)
    for tok in query:
        if tok in c_left:
            pairs.append(TokenPair(tok, tok, 1.0, "exact"))
            q_left.remove(tok)
            c_left.remove(tok)
    if q_left and c_left:
        q_left, c_left = _compounds(q_left, c_left, pairs, swap=False)
        c_left, q_left = _compounds(c_left, q_left, pairs, swap=True)
    if q_left and c_left:
        scored = []
        for q in q_left:
            for c in c_left:
                sim = token_similarity(q, c)
                if sim > 0:
                    scored.append((sim, q, c))
        if scored:
            scored.sort(reverse=True)
            for sim, q, c in scored:
                if q in q_left and c in c_left:
                    pairs.append(TokenPair(q, c, sim, "fuzzy"))
                    q_left.remove(q)
                    c_left.remove(c)
    if symbols is not None and q_left and c_left:
        q_sym, c_sym = symbols
        for q in list(q_left):
            qs = q_sym.get(q)
            if not qs:
                continue
            for c in c_left:
                if qs & c_sym.get(c, frozenset()):
                    pairs.append(TokenPair(q, c, SYMBOL_SIMILARITY, "same name"))
                    q_left.remove(q)
                    c_left.remove(c)
                    break
    if translations and q_left and c_left:
        for q in list(q_left):
            equiv = translations.get(q)
            if not equiv:
                continue
            for c in c_left:
                if c in equiv:
                    pairs.append(TokenPair(q, c, TRANSLATION_SIMILARITY, "learned translation"))
                    q_left.remove(q)
                    c_left.remove(c)
                    break
    if person and q_left and c_left:
        for q in list(q_left):
            if len(q) == 1:
                for c in c_left:
                    if c.startswith(q) and len(c) > 1:
                        pairs.append(TokenPair(q, c, 0.6, "initial"))
                        q_left.remove(q)
                        c_left.remove(c)
                        break
    num = 0.0
    den = 0.0
    matched = 0.0
    for p in pairs:
        if p.how == "joined":
            qw = sum(weight(t) for t in p.query.split(" "))
            cw = sum(weight(t) for t in p.candidate.split(" "))
        else:
            qw = weight(p.query)
            cw = qw if p.how == "exact" else weight(p.candidate)
            if p.how == "initial":
                qw = cw
        num += p.similarity * (qw + cw)
        den += qw + cw
        # information: common words ("global", "trading") count for less than their IDF
        matched += p.similarity * qw * min(1.0, qw / RARE_WEIGHT)
    for t in q_left:
        den += 2 * miss_cost(t, weight) * (PATRONYMIC_COST if person and is_patronymic(t) else 1.0)
    for t in c_left:
        cost = PATRONYMIC_COST if person and is_patronymic(t) else CANDIDATE_EXTRA_COST
        den += 2 * cost * miss_cost(t, weight)
    score = num / den if den > 0 else 0.0
    return Alignment(score, tuple(pairs), tuple(q_left), tuple(c_left), matched)


@dataclass(frozen=True, slots=True)
class NameMatch:
    """The best-aligned pair of names between a query and a candidate."""

    alignment: Alignment
    query: NameEntry
    candidate: NameEntry
    score: float

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return reduce_fields(self)


ACRONYM_DISCOUNT = 0.9
WEAK_DISCOUNT = 0.8
FULL_ALIGNMENTS = 5


@dataclass(frozen=True, slots=True)
class NameStat:
    """One name entry with what ranking name pairs needs, computed once per record.

    The index computes these for every list entity when it is built and for a query
    once per query, so comparing a query with each candidate costs set intersections
    only, not a re-summing of every token's weight for every pair.
    """

    entry: NameEntry
    tokens: frozenset[str]
    total: float
    # discount as a candidate name (weak alias, acronym variant) and as a query name
    as_candidate: float
    as_query: float

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return reduce_fields(self)


def name_stats(record: Record, weight: TokenWeight) -> tuple[NameStat, ...]:
    """Per-name token sets, weight totals and discounts of ``record``."""
    out = []
    for entry in record.names:
        acronym = ACRONYM_DISCOUNT if entry.note else 1.0
        out.append(
            NameStat(
                entry,
                frozenset(entry.tokens),
                sum(weight(t) for t in entry.tokens),
                (WEAK_DISCOUNT if entry.weak else 1.0) * acronym,
                acronym,
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PairTable:
    """One record's names as ranking name pairs needs them, built once per record.

    The index builds a candidate's table the first time the candidate is scored and
    keeps it; a query's table is built once per query, not once per candidate, which
    matters for long official names with dozens of forms.
    """

    entries: tuple[NameEntry, ...]
    # distinct token -> indices of the names containing it (ascending)
    aliases: Mapping[str, tuple[int, ...]]
    weights: Mapping[str, float]
    # the distinct tokens sorted: shared weights are summed in this order, so a pair's
    # estimate never depends on set iteration order (which follows the hash seed)
    order: tuple[str, ...]
    totals: tuple[float, ...]
    lens: tuple[int, ...]
    discounts: tuple[float, ...]
    # name length -> indices of the names of that many tokens (ascending)
    by_len: Mapping[int, tuple[int, ...]]

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return reduce_fields(self)


def pair_table(stats: tuple[NameStat, ...], weight: TokenWeight, as_query: bool) -> PairTable:
    """The :class:`PairTable` of a record's :func:`name_stats` (query or candidate side)."""
    aliases: dict[str, list[int]] = {}
    by_len: dict[int, list[int]] = {}
    for i, st in enumerate(stats):
        for t in dict.fromkeys(st.entry.tokens):
            aliases.setdefault(t, []).append(i)
        by_len.setdefault(len(st.entry.tokens), []).append(i)
    order = tuple(sorted(aliases))
    return PairTable(
        tuple(st.entry for st in stats),
        {t: tuple(v) for t, v in aliases.items()},
        {t: weight(t) for t in order},
        order,
        # exactly rounded: names with the same words tie whatever their word order
        tuple(math.fsum(weight(t) for t in st.entry.tokens) for st in stats),
        tuple(len(st.entry.tokens) for st in stats),
        tuple(st.as_query if as_query else st.as_candidate for st in stats),
        {n: tuple(v) for n, v in by_len.items()},
    )


@dataclass(slots=True)
class Context:
    """Per-pair scratch space shared by the features (the best name pair, weights).

    ``query_stats`` / ``candidate_stats`` are the records' precomputed
    :func:`name_stats`, and ``query_pairs`` / ``candidate_pairs`` their
    :func:`pair_table`, when the caller has them (the index does); otherwise they are
    computed on demand.
    """

    weight: TokenWeight
    max_weight: float
    translations: Mapping[str, frozenset[str]] = field(default_factory=dict)
    query_stats: tuple[NameStat, ...] | None = None
    candidate_stats: tuple[NameStat, ...] | None = None
    _names: NameMatch | None = None
    _computed: bool = False
    cache: dict[str, object] = field(default_factory=dict)
    query_pairs: PairTable | None = None
    candidate_pairs: PairTable | None = None

    def best_names(self, query: Record, candidate: Record) -> NameMatch | None:
        if not self._computed:
            self._names = best_name_match(
                query,
                candidate,
                self.weight,
                self.translations,
                self.query_stats,
                self.candidate_stats,
                self.query_pairs,
                self.candidate_pairs,
            )
            self._computed = True
        return self._names


def best_name_match(
    query: Record,
    candidate: Record,
    weight: TokenWeight,
    translations: Mapping[str, frozenset[str]] | None = None,
    query_stats: tuple[NameStat, ...] | None = None,
    candidate_stats: tuple[NameStat, ...] | None = None,
    query_pairs: PairTable | None = None,
    candidate_pairs: PairTable | None = None,
) -> NameMatch | None:
    """The query/candidate name pair with the highest alignment.

    Pairs are first ranked by the weight of their exactly shared tokens (a set
    intersection), and only the most promising few are aligned in full: an entity
    with 30 aliases against a query with 5 romanisations would otherwise cost 150
    alignments. Weak aliases and acronym-expanded variants are discounted.
    """
    if query_pairs is None:
        q_stats = query_stats if query_stats is not None else name_stats(query, weight)
        query_pairs = pair_table(q_stats, weight, as_query=True)
    if candidate_pairs is None:
        c_stats = candidate_stats if candidate_stats is not None else name_stats(candidate, weight)
        candidate_pairs = pair_table(c_stats, weight, as_query=False)
    if not query_pairs.entries or not candidate_pairs.entries:
        return None
    best: NameMatch | None = None
    person = query.is_person and candidate.is_person
    symbols = (query.symbols, candidate.symbols) if query.symbols and candidate.symbols else None
    for q, cand in _top_pairs(query_pairs, candidate_pairs):
        discount = 1.0
        if cand.weak:
            discount *= WEAK_DISCOUNT
        if cand.note or q.note:
            discount *= ACRONYM_DISCOUNT
        # an alignment scores at most 1: a pair that cannot beat the best so far even
        # then is not aligned (only a strictly better pair replaces the best)
        if best is not None and 1.0 * discount <= best.score:
            continue
        al = align_tokens(q.tokens, cand.tokens, weight, person, symbols, translations)
        if al.score == 0.0:
            continue
        eff = al.score
        if cand.weak:
            eff *= WEAK_DISCOUNT
        if cand.note or q.note:
            eff *= ACRONYM_DISCOUNT
        if best is None or eff > best.score:
            best = NameMatch(al, q, cand, eff)
    return best


def _top_pairs(q: PairTable, c: PairTable) -> list[tuple[NameEntry, NameEntry]]:
    """The FULL_ALIGNMENTS most promising (query name, candidate name) pairs.

    Ranked by Dice on exactly shared tokens (discounted), then by the closeness of the
    names' lengths, then in candidate-major order. Only pairs sharing a token are
    summed, walking the shared tokens of the smaller side in sorted order (the same
    summation order for every pair, whatever the hash seed); pairs sharing none all
    estimate 0 and fill the remaining places by length difference, found through the
    names grouped by length rather than by listing every pair.
    """
    n_q = len(q.entries)
    q_aliases, c_aliases, q_weights = q.aliases, c.aliases, q.weights
    small, other = (q.order, c_aliases) if len(q.order) <= len(c.order) else (c.order, q_aliases)
    shared = [t for t in small if t in other]
    if sum(len(c_aliases[t]) * len(q_aliases[t]) for t in shared) > ARRAY_PAIR_SUMS:
        return _top_pairs_array(q, c, shared)
    hits: dict[int, float] = {}
    for t in shared:
        w = q_weights[t]
        qis = q_aliases[t]
        for ci in c_aliases[t]:
            base = ci * n_q
            for qi in qis:
                k = base + qi
                hits[k] = hits.get(k, 0.0) + w
    q_totals, q_lens, q_disc = q.totals, q.lens, q.discounts
    c_totals, c_lens, c_disc = c.totals, c.lens, c.discounts
    ranked: list[tuple[float, int, int]] = []
    for k, sw in hits.items():
        ci, qi = divmod(k, n_q)
        quick = 2 * sw / (q_totals[qi] + c_totals[ci] + 1e-9) * (c_disc[ci] * q_disc[qi])
        ranked.append((quick, -abs(q_lens[qi] - c_lens[ci]), -k))
    keys = [-r[2] for r in heapq.nlargest(FULL_ALIGNMENTS, ranked)]
    need = FULL_ALIGNMENTS - len(keys)
    if need > 0:
        keys.extend(_closest_unshared(q, c, hits, need))
    return [(q.entries[k % n_q], c.entries[k // n_q]) for k in keys]


# Above this many (query name, candidate name, shared token) additions, _top_pairs
# sums in a (candidate name x query name) array: long official names in five
# romanisations against an entity with dozens of aliases made tens of thousands of
# dict updates per pair (a third of such a query's time).
ARRAY_PAIR_SUMS = 400


def _top_pairs_array(
    q: PairTable, c: PairTable, shared: list[str]
) -> list[tuple[NameEntry, NameEntry]]:
    """:func:`_top_pairs` for many shared-token additions, with the same floats.

    Each cell receives the same additions in the same (sorted token) order as the
    dict, starting from 0.0; weights are positive, so a cell is non-zero exactly when
    its pair shares a token. The estimate is the same IEEE operations in the same
    order, element-wise, and the ranking the same total order (estimate descending,
    length difference ascending, key ascending), so the same pairs come out.
    """
    n_q, n_c = len(q.entries), len(c.entries)
    sums = np.zeros((n_c, n_q), dtype=np.float64)
    q_aliases, c_aliases, q_weights = q.aliases, c.aliases, q.weights
    for t in shared:
        rows = np.array(c_aliases[t], dtype=np.intp)
        sums[rows[:, None], np.array(q_aliases[t], dtype=np.intp)] += q_weights[t]
    flat = sums.ravel()
    keys = np.flatnonzero(flat)
    sw = flat[keys]
    ci, qi = np.divmod(keys, n_q)
    q_totals, c_totals = np.array(q.totals)[qi], np.array(c.totals)[ci]
    disc = np.array(c.discounts)[ci] * np.array(q.discounts)[qi]
    quick = 2 * sw / (q_totals + c_totals + 1e-9) * disc
    diff = np.abs(np.array(q.lens)[qi] - np.array(c.lens)[ci])
    top: list[int] = keys[np.lexsort((keys, diff, -quick))[:FULL_ALIGNMENTS]].tolist()
    need = FULL_ALIGNMENTS - len(top)
    if need > 0:
        top.extend(_closest_unshared(q, c, frozenset(keys.tolist()), need))
    return [(q.entries[k % n_q], c.entries[k // n_q]) for k in top]


def _closest_unshared(q: PairTable, c: PairTable, shared: Collection[int], need: int) -> list[int]:
    """The ``need`` pairs sharing no token with the closest name lengths (then lowest
    candidate-major key), as ``ci * len(q.entries) + qi``."""
    n_q = len(q.entries)
    widest = max(max(q.lens) - min(c.lens), max(c.lens) - min(q.lens), 0)
    found: list[int] = []
    for d in range(widest + 1):
        batch: list[int] = []
        for c_len, cis in c.by_len.items():
            for q_len in {c_len - d, c_len + d}:
                qis = q.by_len.get(q_len)
                if qis is None:
                    continue
                for ci in cis:
                    base = ci * n_q
                    batch.extend(base + qi for qi in qis if base + qi not in shared)
        if batch:
            batch.sort()
            found.extend(batch[: need - len(found)])
            if len(found) >= need:
                break
    return found


# ---------------------------------------------------------------------------- features


def name_match(query: Record, candidate: Record, ctx: Context) -> FtResult:
    """Rarity-weighted alignment of the best pair of names, across scripts and romanisations."""
    nm = ctx.best_names(query, candidate)
    if nm is None:
        return FtResult(0.0, "no name in common")
    how = nm.candidate.form.system
    via = f" via {how}" if how not in ("latin", "rigour") else ""
    note = f"; {nm.candidate.note or nm.query.note}" if (nm.candidate.note or nm.query.note) else ""
    return FtResult(
        nm.score,
        f"'{nm.query.form.text}' vs '{nm.candidate.form.text}'{via}: "
        f"{nm.alignment.describe()}{note}",
    )


# Matched name information (in nats of inverse document frequency) below which a
# name alone is too common to identify anyone: about two rare words.
INFO_TARGET = 10.0
SHORT_TOKEN = 5


def name_information(query: Record, candidate: Record, ctx: Context) -> FtResult:
    """Penalty when the matched name words are too few or too common to identify anyone."""
    nm = ctx.best_names(query, candidate)
    if nm is None:
        return NO_EVIDENCE
    info = nm.alignment.matched_weight
    if info >= INFO_TARGET:
        return FtResult(0.0, f"matched words carry {info:.1f} nats of information")
    return FtResult(
        -min(1.0, (INFO_TARGET - info) / INFO_TARGET),
        f"matched words carry only {info:.1f} of {INFO_TARGET:.0f} nats needed",
    )


def single_token_name(query: Record, candidate: Record, ctx: Context) -> FtResult:
    """Penalty when the best name match rests on a single short or common word."""
    nm = ctx.best_names(query, candidate)
    if nm is None or len(nm.alignment.pairs) != 1:
        return NO_EVIDENCE
    pair = nm.alignment.pairs[0]
    tok = pair.candidate
    rare = ctx.weight(tok) >= 0.8 * ctx.max_weight
    if len(tok) >= SHORT_TOKEN and rare:
        return FtResult(-0.3, f"only '{tok}' matched (a rare word)")
    return FtResult(-1.0, f"only '{tok}' matched")


# Honorifics and name particles lists put in or leave out of one person's names
# ("Haji Abdul BASIR", "Mullah Ahmed Shah NOORZAI", "Qasim AL-RIMI"): left unmatched
# they are not a different given name. As comparison keys; not "le" (Lee) or "an" (안).
NAME_PARTICLES = frozenset(
    token_key(w)
    for w in [
        "al",
        "el",
        "ul",
        "ud",
        "ad",
        "ar",
        "as",
        "bin",
        "ben",
        "ibn",
        "bint",
        "abu",
        "abou",
        "umm",
        "haji",
        "hajji",
        "hadji",
        "mullah",
        "mulla",
        "mawlawi",
        "maulavi",
        "mawlavi",
        "molvi",
        "maulana",
        "mawlana",
        "sheikh",
        "shaikh",
        "shaykh",
        "sheik",
        "mufti",
        "imam",
        "mr",
        "mrs",
        "ms",
        "dr",
        "don",
        "dona",
        "van",
        "von",
        "der",
        "de",
        "da",
        "di",
        "du",
        "del",
    ]
)
# Unmatched name parts this similar (1 - edits / length) may be two spellings of one
# name that the alignment's typo tolerance did not reach ("Chong"/"Jong", "Ho"/"Hu");
# only parts less alike than this are different names.
LOOSE_SIMILARITY = 0.5


def _loosely_same(a: str, b: str) -> bool:
    """Two unmatched name parts that could still be one name (spelling, initial)."""
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    return 1.0 - levenshtein(a, b) / max(len(a), len(b)) >= LOOSE_SIMILARITY


def name_conflict(query: Record, candidate: Record, ctx: Context) -> FtResult:
    """Penalty when both person names keep parts the other lacks (different given names)."""
    if not (query.is_person and candidate.is_person):
        return NO_EVIDENCE
    nm = ctx.best_names(query, candidate)
    if nm is None or not nm.alignment.pairs:
        return NO_EVIDENCE
    al = nm.alignment
    q_left = [t for t in al.query_left if not is_patronymic(t) and t not in NAME_PARTICLES]
    c_left = [t for t in al.candidate_left if not is_patronymic(t) and t not in NAME_PARTICLES]
    if not q_left or not c_left:
        return NO_EVIDENCE
    conflicting = [q for q in q_left if not any(_loosely_same(q, c) for c in c_left)]
    if not conflicting:
        return NO_EVIDENCE
    # one conflicting part of a three-part name is a different person; of a five-part
    # name (Arabic nasab, extra honorifics) it is weaker evidence
    share = len(conflicting) / (len(al.pairs) + len(al.query_left))
    return FtResult(
        -min(1.0, CONFLICT_SHARE_FULL * share),
        f"query has {' '.join(conflicting)} where the candidate has {' '.join(c_left)}",
    )


# Share of a query name's parts in conflict at which the penalty is full.
CONFLICT_SHARE_FULL = 3.0


def weak_alias(query: Record, candidate: Record, ctx: Context) -> FtResult:
    """Penalty when the best name is a weak alias (the list itself says it is unreliable)."""
    nm = ctx.best_names(query, candidate)
    if nm is None or not nm.candidate.weak:
        return NO_EVIDENCE
    return FtResult(-1.0, f"'{nm.candidate.form.text}' is a weak alias")


def legal_form_mismatch(query: Record, candidate: Record, ctx: Context) -> FtResult:
    """Legal forms of the matched names differ (e.g. LLC vs JSC)."""
    nm = ctx.best_names(query, candidate)
    if nm is None:
        return NO_EVIDENCE
    ql = nm.query.form.legal_forms - {"co", "corp"}
    cl = nm.candidate.form.legal_forms - {"co", "corp"}
    if ql and cl and not (ql & cl):
        return FtResult(-1.0, f"{'/'.join(sorted(ql))} vs {'/'.join(sorted(cl))}")
    return NO_EVIDENCE


def identifier_match(query: Record, candidate: Record, ctx: Context) -> FtResult:
    """An identifier (INN, OGRN, USCC, LEI, IMO, SWIFT, registration no.) is the same."""
    if not query.identifiers or not candidate.identifiers:
        return NO_EVIDENCE
    cand = {i.value: i for i in candidate.identifiers}
    for ident in query.identifiers:
        other = cand.get(ident.value)
        if other is None:
            continue
        if ident.kind or other.kind:
            return FtResult(1.0, f"{ident.value} ({ident.kind or other.kind}, check digits valid)")
        return FtResult(0.7, f"{ident.value} (no check-digit scheme to validate it)")
    return NO_EVIDENCE


def identifier_mismatch(query: Record, candidate: Record, ctx: Context) -> FtResult:
    """Both sides give a validated identifier of the same kind, and none agree."""
    if not query.identifiers or not candidate.identifiers:
        return NO_EVIDENCE
    cvals = {i.value for i in candidate.identifiers}
    if any(i.value in cvals for i in query.identifiers):
        return NO_EVIDENCE
    ckinds = {i.kind: i.value for i in candidate.identifiers if i.kind}
    for ident in query.identifiers:
        if ident.kind and ident.kind in ckinds:
            return FtResult(-1.0, f"{ident.kind} {ident.value} vs {ckinds[ident.kind]}")
    return NO_EVIDENCE


def country_match(query: Record, candidate: Record, ctx: Context) -> FtResult:
    """Countries (nationality, jurisdiction, address country) agree, or conflict."""
    if not query.countries or not candidate.countries:
        return NO_EVIDENCE
    common = query.countries & candidate.countries
    if common:
        return FtResult(1.0, "shared: " + ", ".join(sorted(common)))
    return FtResult(
        -1.0,
        f"{', '.join(sorted(query.countries))} vs {', '.join(sorted(candidate.countries))}",
    )


def _years(dates: frozenset[str]) -> set[str]:
    return {d[:4] for d in dates if len(d) >= 4 and d[:4].isdigit()}


def date_match(query: Record, candidate: Record, ctx: Context) -> FtResult:
    """Birth or incorporation dates agree (full date, or year), or conflict."""
    if not query.dates or not candidate.dates:
        return NO_EVIDENCE
    # sorted: which of several compatible dates the explanation names must not follow
    # set iteration order (the hash seed)
    qd, cd = sorted(query.dates), sorted(candidate.dates)
    for a in qd:
        for b in cd:
            if len(a) >= 10 and len(b) >= 10 and a[:10] == b[:10]:
                return FtResult(1.0, f"same date {a[:10]}")
    for a in qd:
        for b in cd:
            short = min(len(a), len(b))
            if short >= 4 and a[:short] == b[:short]:
                return FtResult(0.6, f"compatible dates {a} / {b}")
    qy, cy = _years(query.dates), _years(candidate.dates)
    if qy and cy:
        gap = min(abs(int(a) - int(b)) for a in qy for b in cy)
        if gap <= 1:
            return FtResult(0.2, f"years within one: {sorted(qy)} / {sorted(cy)}")
        return FtResult(-1.0, f"{', '.join(qd)} vs {', '.join(cd)}")
    return NO_EVIDENCE


def address_match(query: Record, candidate: Record, ctx: Context) -> FtResult:
    """An address shares most of its words with a candidate address."""
    if not query.addresses or not candidate.addresses:
        return NO_EVIDENCE
    best = 0.0
    detail = None
    for qa in query.addresses:
        qn = set((normalize_address(qa) or "").split())
        if not qn:
            continue
        for ca in candidate.addresses:
            cn = set((normalize_address(ca) or "").split())
            if not cn:
                continue
            overlap = len(qn & cn) / max(1, min(len(qn), len(cn)))
            if overlap > best:
                best, detail = overlap, f"'{qa}' ~ '{ca}'"
    if best < 0.5:
        return NO_EVIDENCE
    return FtResult(best, detail)


def contact_match(query: Record, candidate: Record, ctx: Context) -> FtResult:
    """A phone number, e-mail address or website is the same."""
    for label, q, c in (
        ("e-mail", query.emails, candidate.emails),
        ("phone", query.phones, candidate.phones),
        ("website", query.websites, candidate.websites),
    ):
        common = q & c
        if common:
            return FtResult(1.0, f"same {label}: {sorted(common)[0]}")
    return NO_EVIDENCE


Feature = Callable[[Record, Record, Context], FtResult]


@cache
def explain(feature: Feature) -> str:
    """The user-facing sentence of a feature: its docstring's first line."""
    doc = feature.__doc__ or _source_docstrings(feature.__module__).get(feature.__name__)
    return (doc or feature.__name__).strip().splitlines()[0].rstrip(".")


@cache
def _source_docstrings(module: str) -> dict[str, str]:
    """Function docstrings read from a module's source file. Compiled by mypyc
    (``dualtrace.native``), a function carries no ``__doc__``, and a feature's
    docstring is its explanation; the ``.py`` file ships beside the compiled one."""
    try:
        tree = ast.parse(source_path(module).read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return {}
    return {
        node.name: doc
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and (doc := ast.get_docstring(node))
    }


def idf_weight(df: int, total: int) -> float:
    """Inverse document frequency of a token seen in ``df`` of ``total`` entities."""
    return math.log((total + 1) / (df + 1)) + 0.5
