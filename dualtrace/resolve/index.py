"""The in-memory screening index over every loaded entity.

Built once from the store (all datasets in force, or as of a date), it holds each
entity's :class:`~dualtrace.resolve.records.Record` and inverted postings from name
comparison keys and identifiers to entities. Retrieval keeps recall high under
transliteration (keys already fold romanisation differences), word order (postings
are per token), missing legal forms (removed before keying), typos (prefix/suffix
buckets verified with an edit-distance bound), segmentation ("shen zhen" vs
"Shenzhen") and abbreviations (acronyms learned from the lists' alias groups). Only
the best few candidates are scored in full.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import time
from bisect import insort
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from followthemoney import model
from followthemoney.schema import Schema

from dualtrace.names.acronyms import AcronymTable
from dualtrace.names.normalize import name_forms, name_variants
from dualtrace.names.translations import TranslationTable
from dualtrace.native import build_name
from dualtrace.resolve.bound import (
    CandidateTokens,
    QueryBounds,
    candidate_tokens,
)
from dualtrace.resolve.features import (
    Context,
    NameStat,
    PairTable,
    TokenWeight,
    idf_weight,
    name_stats,
    pair_table,
    token_similarity,
)
from dualtrace.resolve.records import Record, build_record, get_schema, record_from_dict
from dualtrace.resolve.scorer import DEFAULT_THRESHOLD, MatchScore, score_records
from dualtrace.resolve.typos import TypoIndex
from dualtrace.store.duckdb_store import Store

INDEX_FORMAT = "dualtrace-screening-2"


def _code_fingerprint() -> str:
    """Hash of the code that shapes an index: a cache from older code is never reused."""
    import dualtrace.names as names_pkg
    import dualtrace.resolve as resolve_pkg

    digest = hashlib.sha1(INDEX_FORMAT.encode())
    for pkg in (names_pkg, resolve_pkg):
        folder = Path(pkg.__file__ or "").parent
        for path in sorted(folder.glob("*.py")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# Tokens in more entities than this share are skipped for retrieval (still scored).
COMMON_SHARE = 0.05
CANDIDATES = 20
# Candidates retrieved with less than this share of the best candidate's evidence
# cannot outscore it on names; scoring them would only cost time.
RETRIEVAL_FLOOR = 0.3
MIN_SHARED = 0.3
# Query tokens whose typo neighbours are remembered (about 100 bytes each).
FUZZY_CACHE_SIZE = 100_000
# One query per script and kind whose first use initialises a library: rigour's name
# tagger (person names, several seconds), its transliterator, pypinyin, pykakasi.
WARM_UP_QUERIES: tuple[dict[str, Any], ...] = (
    {"schema": "Person", "properties": {"name": ["Иван Петрович Сидоров"]}},
    {"schema": "Person", "properties": {"name": ["桂芝 秀兰 孙"]}},
    {"schema": "Company", "properties": {"name": ["株式会社東芝"]}},
    {"schema": "Company", "properties": {"name": ["조선광선은행"]}},
    {"schema": "Person", "properties": {"name": ["محمد علي", "José Müller"]}},
    {"schema": "Company", "properties": {"name": ["Αλφα Βήτα Ltd"]}},
)
# Matchable schemata that are parts of other entities rather than screening targets.
UNSCREENED = frozenset({"Address"})


@dataclass(frozen=True, slots=True)
class RawEntity:
    """An entity's properties as grouped from statements, before normalisation."""

    id: str
    schema: Schema
    props: dict[str, list[str]]
    datasets: frozenset[str]
    first_seen: str | None = None
    last_seen: str | None = None


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """One candidate returned for a query, with its score and reasons."""

    record: Record
    score: MatchScore


class TokenWeights(dict[str, float]):
    """Token -> rarity weight; a token the index has never seen weighs the most (half
    for tokens of one or two letters, as for indexed ones), and is not stored."""

    def __init__(self, weights: Mapping[str, float], unseen: float) -> None:
        super().__init__(weights)
        self.unseen = unseen

    def __missing__(self, token: str) -> float:
        return self.unseen * (0.5 if len(token) <= 2 else 1.0)


class RetrievalArrays:
    """Postings as numpy arrays, and each entity's datasets as a bit mask.

    Retrieval sums key weights over postings; as arrays that is one ``bincount``
    per query instead of a Python loop over every posted entity.
    """

    def __init__(
        self,
        postings: dict[str, npt.NDArray[np.int32]],
        dataset_bits: dict[str, int],
        dataset_masks: npt.NDArray[np.int64] | None,
    ) -> None:
        self.postings = postings
        self.dataset_bits = dataset_bits
        # None when there are too many datasets for one 63-bit mask
        self.dataset_masks = dataset_masks

    @classmethod
    def build(
        cls, postings: Mapping[str, tuple[int, ...]], records: list[Record]
    ) -> RetrievalArrays:
        arrays = {t: np.asarray(p, dtype=np.int32) for t, p in postings.items()}
        names = sorted({d for r in records for d in r.datasets})
        if len(names) > 63:
            return cls(arrays, {}, None)
        bits = {d: 1 << i for i, d in enumerate(names)}
        masks = np.fromiter(
            (sum(bits[d] for d in r.datasets) for r in records), dtype=np.int64, count=len(records)
        )
        return cls(arrays, bits, masks)

    def in_datasets(
        self, entities: npt.NDArray[np.intp], datasets: frozenset[str], records: list[Record]
    ) -> npt.NDArray[np.bool_]:
        """Which of ``entities`` are in at least one of ``datasets``."""
        if self.dataset_masks is None:
            return np.fromiter(
                (bool(records[i].datasets & datasets) for i in entities),
                dtype=bool,
                count=len(entities),
            )
        wanted = sum(self.dataset_bits.get(d, 0) for d in datasets)
        keep: npt.NDArray[np.bool_] = (self.dataset_masks[entities] & wanted) != 0
        return keep


def _name_values(raw: RawEntity) -> Iterator[str]:
    for prop_name, values in raw.props.items():
        prop = raw.schema.get(prop_name)
        if prop is not None and prop.type.name == "name":
            yield from values


class ScreeningIndex:
    """Records plus postings; ``match`` screens one query against them."""

    def __init__(self, raws: Iterable[RawEntity]) -> None:
        started = time.monotonic()
        raws = [r for r in raws if r.schema.matchable and r.schema.name not in UNSCREENED]
        self.acronyms = AcronymTable()
        self.translations = TranslationTable()
        for raw in raws:
            forms = [
                f for v in _name_values(raw) for part in name_variants(v) for f in name_forms(part)
            ]
            if len(forms) > 1:
                self.acronyms.learn(raw.id, forms)
                self.translations.learn(forms)
        self.acronyms.freeze()
        self.translations.freeze()
        self.records: list[Record] = []
        self.by_id: dict[str, int] = {}
        postings: dict[str, set[int]] = defaultdict(set)
        ident_postings: dict[str, set[int]] = defaultdict(set)
        for raw in raws:
            rec = build_record(
                raw.id,
                raw.schema,
                raw.props,
                self.acronyms,
                raw.datasets,
                raw.first_seen,
                raw.last_seen,
            )
            idx = len(self.records)
            self.records.append(rec)
            self.by_id[rec.id] = idx
            for entry in rec.names:
                for tok in entry.tokens:
                    postings[tok].add(idx)
            for ident in rec.identifiers:
                ident_postings[ident.value].add(idx)
        self.total = max(1, len(self.records))
        self.postings: dict[str, tuple[int, ...]] = {t: tuple(s) for t, s in postings.items()}
        self.ident_postings = {k: tuple(v) for k, v in ident_postings.items()}
        self.max_weight = idf_weight(0, self.total)
        self._weights = TokenWeights(
            {
                t: idf_weight(len(p), self.total) * (0.5 if len(t) <= 2 else 1.0)
                for t, p in self.postings.items()
            },
            self.max_weight,
        )
        # Every indexed word's typo neighbours are found by look-ups (typos.py),
        # shared by retrieval and the score bound and remembered per word.
        self._typo_index: TypoIndex | None = TypoIndex(self.postings)
        self.common_limit = max(50, int(self.total * COMMON_SHARE))
        self._fuzzy_cache: dict[str, list[tuple[str, float]]] = {}
        # Per-name token sets and weight totals, once here rather than for every pair.
        self.name_stats: list[tuple[NameStat, ...]] = [
            name_stats(rec, self.weight) for rec in self.records
        ]
        self.datasets = frozenset(d for r in self.records for d in r.datasets)
        self._arrays: RetrievalArrays | None = RetrievalArrays.build(self.postings, self.records)
        # Per-entity scoring tables, built here rather than on an entity's first use
        # inside a query: a batch of new names touches thousands of entities once each
        # (about 2 CPU s and 70 MB at 30,000 entities, paid by the build instead).
        self._pair_tables: list[PairTable] | None = self._build_pair_tables()
        self._token_tables: list[CandidateTokens] | None = self._build_token_tables()
        self.build_seconds = time.monotonic() - started

    # ------------------------------------------------------------------ building

    @classmethod
    def from_entities(cls, entities: Iterable[Mapping[str, Any]]) -> ScreeningIndex:
        """An index over FtM-shaped dicts (``id``, ``schema``, ``properties``, ``datasets``)."""
        raws = []
        for data in entities:
            schema = get_schema(str(data.get("schema", "Thing")))
            props = {
                k: [str(x) for x in (v if isinstance(v, list) else [v])]
                for k, v in (data.get("properties") or {}).items()
            }
            raws.append(
                RawEntity(str(data["id"]), schema, props, frozenset(data.get("datasets", [])))
            )
        return cls(raws)

    @classmethod
    def from_store(cls, store: Store, as_of: str | None = None) -> ScreeningIndex:
        """An index over every entity in force in ``store`` (latest, or as of a date)."""
        return cls(iter_raw_entities(store, as_of))

    # ------------------------------------------------------------------ querying

    def weight(self, token: str) -> float:
        """A token's rarity weight (inverse document frequency; unseen = rarest)."""
        w = self._weights.get(token)
        if w is None:
            return self.max_weight * (0.5 if len(token) <= 2 else 1.0)
        return w

    def _weight_lookup(self) -> TokenWeight:
        """:meth:`weight` as the weight table's own ``__getitem__`` (the same values):
        a batch looks weights up over a million times, and a C-level call costs a
        fraction of a Python method's."""
        table = self._weights
        if not isinstance(table, TokenWeights):  # pickled by older code
            table = self._weights = TokenWeights(table, self.max_weight)
        return table.__getitem__

    def context(
        self,
        query_stats: tuple[NameStat, ...] | None = None,
        candidate_stats: tuple[NameStat, ...] | None = None,
        query_pairs: PairTable | None = None,
        candidate_pairs: PairTable | None = None,
    ) -> Context:
        return Context(
            self._weight_lookup(),
            self.max_weight,
            self.translations.equivalents,
            query_stats,
            candidate_stats,
            query_pairs=query_pairs,
            candidate_pairs=candidate_pairs,
        )

    def query_record(self, data: Mapping[str, Any]) -> Record:
        """A query record from an FtM-shaped dict, with learned acronyms applied."""
        return record_from_dict(data, self.acronyms)

    def _fuzzy_tokens(self, tok: str) -> list[tuple[str, float]]:
        """Indexed tokens within typo distance of ``tok`` (memoised: names repeat)."""
        if len(tok) < 5 or tok.isdigit():
            return []
        cached = self._fuzzy_cache.get(tok)
        if cached is None:
            if len(self._fuzzy_cache) >= FUZZY_CACHE_SIZE:
                self._fuzzy_cache.clear()
            cached = self._fuzzy_cache[tok] = self._fuzzy_lookup(tok)
        return cached

    def _fuzzy_lookup(self, tok: str) -> list[tuple[str, float]]:
        """Retrieval's typo neighbours of ``tok``: the indexed words within typo
        distance that share its first or last three letters (retrieval's rule since
        before the complete search), in the order retrieval has always added their
        postings -- by length, those sharing the first three letters first, then
        vocabulary order -- which fixes the float sums and the tie-break."""
        typos = self._typos()
        head, tail = tok[:3], tok[-3:]
        rank = typos.rank
        near = sorted(
            (o for o in typos.near(tok) if o[:3] == head or o[-3:] == tail),
            key=lambda o: (len(o), o[:3] != head, rank[o]),
        )
        out = []
        for other in near:
            sim = token_similarity(tok, other)
            if sim > 0:
                out.append((other, sim))
        return out

    def _typos(self) -> TypoIndex:
        """The typo look-up table (built on first use: older pickles lack it)."""
        typos: TypoIndex | None = getattr(self, "_typo_index", None)
        if typos is None:
            typos = self._typo_index = TypoIndex(self.postings)
        return typos

    def candidates(
        self, query: Record, limit: int = CANDIDATES, datasets: frozenset[str] | None = None
    ) -> list[int]:
        """Indices of the entities most worth scoring for ``query``.

        Each usable query key adds its weight to every entity in its postings; the
        sums are one ``numpy.bincount`` over the concatenated posting arrays (the
        same additions in the same order as a per-entity loop, so the same floats),
        ranked by sum and, on ties, by the order entities were first reached.
        """
        arrays = self._retrieval()
        parts: list[npt.NDArray[np.int32]] = []
        amounts: list[float] = []
        for ident in query.identifiers:
            posted = self.ident_postings.get(ident.value)
            if posted:
                parts.append(np.asarray(posted, dtype=np.int32))
                amounts.append(50.0)
        seen_tokens: set[str] = set()
        weight = self._weight_lookup()
        postings = self.postings
        common_limit = self.common_limit
        name_weight = max((sum(weight(t) for t in e.tokens) for e in query.names), default=0.0)
        for entry in query.names:
            toks = entry.tokens
            lookups: list[tuple[str, float]] = []
            for tok in toks:
                if tok in seen_tokens:
                    continue
                seen_tokens.add(tok)
                if tok in postings:
                    lookups.append((tok, 1.0))
                lookups.extend(self._fuzzy_tokens(tok))
            for size in (2, 3):
                for i in range(len(toks) - size + 1):
                    joined = "".join(toks[i : i + size])
                    if joined in postings and joined not in seen_tokens:
                        seen_tokens.add(joined)
                        lookups.append((joined, 0.95))
            usable = [lk for lk in lookups if len(postings[lk[0]]) <= common_limit]
            if not usable:
                usable = sorted(lookups, key=lambda lk: len(postings[lk[0]]))[:1]
            for tok, sim in usable:
                parts.append(arrays.postings[tok])
                amounts.append(weight(tok) * sim)
        if not parts:
            return []
        hits = np.concatenate(parts) if len(parts) > 1 else parts[0]
        sizes = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
        amount = np.repeat(np.array(amounts), sizes)
        # Each reached entity's sum: one bincount over the hits into an array the size
        # of the index, adding each entity's amounts in hit order (the same floats as a
        # per-entity loop); amounts are positive, so the reached entities are those
        # with a positive sum. No sort of all the hits (np.unique over them was 8% of a
        # batch; flatnonzero over the float sums themselves would be slower still).
        n = len(self.records)
        sums = np.bincount(hits, weights=amount, minlength=n)
        reached: npt.NDArray[np.intp] = np.flatnonzero(sums > 0)
        evidence = sums[reached]
        if datasets is not None:
            wanted = arrays.in_datasets(reached, datasets, self.records)
            reached, evidence = reached[wanted], evidence[wanted]
            if not len(reached):
                return []
        if len(reached) > limit:
            # only entities at or above the limit-th best sum (ties included) can rank
            cut = len(evidence) - limit
            keep = evidence >= np.partition(evidence, cut)[cut]
            reached, evidence = reached[keep], evidence[keep]
        # Where each of those few was first reached (the tie-break), sorting only their
        # own hits: ``first`` lines up with ``reached`` (both in entity order).
        marked = np.zeros(n, dtype=bool)
        marked[reached] = True
        at = np.flatnonzero(marked[hits])
        first = at[np.unique(hits[at], return_index=True)[1]]
        order = np.lexsort((first, -evidence))[:limit]
        if not len(order):
            return []
        top = evidence[order[0]]
        # A candidate sharing less than MIN_SHARED of the query name's weight cannot
        # reach a useful name score (Dice <= 2f/(1+f)); identifier hits always pass.
        floor = max(top * RETRIEVAL_FLOOR, name_weight * MIN_SHARED)
        return [int(i) for i in reached[order[evidence[order] >= floor]]]

    def _retrieval(self) -> RetrievalArrays:
        """Posting arrays for retrieval (built on first use: older pickles lack them)."""
        arrays: RetrievalArrays | None = getattr(self, "_arrays", None)
        if arrays is None:
            arrays = self._arrays = RetrievalArrays.build(self.postings, self.records)
        return arrays

    def match(
        self,
        query: Record,
        limit: int = 5,
        threshold: float = DEFAULT_THRESHOLD,
        cutoff: float = 0.0,
        datasets: frozenset[str] | None = None,
        candidates: int = CANDIDATES,
        check_schema: bool = True,
    ) -> list[ScreeningResult]:
        """Score the best candidates for ``query``; highest score first.

        ``check_schema=False`` scores candidates of any schema (name search).

        Branch and bound: every retrieved candidate first gets an admissible upper
        bound on its score (:mod:`dualtrace.resolve.bound`, no alignment); they are
        scored in full in descending bound order, and scoring stops at the first
        bound below the ``limit``-th best score so far (or ``cutoff``). A skipped
        candidate could not have entered the returned list, so the results are
        exactly those of scoring every candidate.
        """
        weight = self._weight_lookup()
        q_stats = name_stats(query, weight)
        records = self.records
        all_stats = self.name_stats
        found = self.candidates(query, candidates, datasets)
        bounded: list[tuple[float, int]] = []
        qb: QueryBounds | None = None
        if len(found) <= limit and cutoff <= 0:
            # every candidate with a score fits in the list: bounds could skip none
            bounded = [(1.0, idx) for idx in found]
        else:
            qb = QueryBounds(
                query, q_stats, weight, self.translations.equivalents, self._typos().near
            )
            schema = query.schema
            kept = [
                idx for idx in found if not check_schema or schema.can_match(records[idx].schema)
            ]  # the others score 0 and are never returned
            bounds = qb.score_bounds([records[i] for i in kept], kept, self._bounds())
            bounded = [
                (ub, idx) for ub, idx in zip(bounds, kept, strict=True) if ub > 0 and ub >= cutoff
            ]
            bounded.sort(key=lambda b: -b[0])
        results: list[ScreeningResult] = []
        scores: list[float] = []  # scores of ``results``, highest first
        q_pairs = pair_table(q_stats, weight, as_query=True) if bounded else None
        for ub, idx in bounded:
            full = len(scores) >= limit
            if full and ub < scores[limit - 1]:
                break
            rec = records[idx]
            if qb is not None and (full or cutoff > 0):
                # a tighter bound, worth its cost only for a candidate about to be
                # scored that must beat the list's last score or the cutoff
                needed = max(cutoff, scores[limit - 1]) if full else cutoff
                tight = qb.tight_bound(rec, self._bound_tokens(idx), needed, qb.rests.get(idx))
                if tight <= 0 or tight < needed:
                    continue
            ctx = self.context(q_stats, all_stats[idx], q_pairs, self._pair_table(idx))
            score = score_records(query, rec, ctx, threshold, check_schema)
            if score.score >= cutoff and score.score > 0:
                results.append(ScreeningResult(rec, score))
                insort(scores, score.score, key=lambda s: -s)
        results.sort(key=lambda r: (-r.score.score, r.record.id))
        return results[:limit]

    def _bounds(self) -> list[CandidateTokens]:
        """Every entity's bound token table, by entity (built with the index; on first
        use when an index pickled by older code lacks them)."""
        tables: list[CandidateTokens] | None = getattr(self, "_token_tables", None)
        if tables is None:
            tables = self._token_tables = self._build_token_tables()
        return tables

    def _build_pair_tables(self) -> list[PairTable]:
        return [pair_table(st, self.weight, as_query=False) for st in self.name_stats]

    def _build_token_tables(self) -> list[CandidateTokens]:
        return [candidate_tokens(st, self.weight) for st in self.name_stats]

    def _pair_table(self, idx: int) -> PairTable:
        """What ranking name pairs needs from one entity's names (built with the index;
        on first use when an index pickled by older code lacks the tables)."""
        tables: list[PairTable] | None = getattr(self, "_pair_tables", None)
        if tables is None:
            tables = self._pair_tables = self._build_pair_tables()
        return tables[idx]

    def _bound_tokens(self, idx: int) -> CandidateTokens:
        """The bound's token data for one entity (see :meth:`_bounds`)."""
        return self._bounds()[idx]

    def warm_up(self) -> float:
        """Pay the libraries' one-time initialisation before the first real query.

        Without it the first person query of a process waits seconds for rigour's
        name tagger and the first Han or kana name for pypinyin/pykakasi: the worst
        single-query latency of a fresh server. Returns the CPU seconds spent; the
        index's answers are unchanged (only library caches fill).
        """
        started = time.process_time()
        self._retrieval()
        self._bounds()
        if self.records:  # per-entity tables missing from an older pickle
            self._pair_table(0)
            self._bound_tokens(0)
        for data in WARM_UP_QUERIES:
            self.match(self.query_record(data), limit=5, cutoff=0.5)
        return time.process_time() - started

    def get(self, entity_id: str) -> Record | None:
        idx = self.by_id.get(entity_id)
        return None if idx is None else self.records[idx]

    def __len__(self) -> int:
        return len(self.records)


def settle_heap() -> None:
    """Collect once, then freeze every object alive into the collector's permanent
    generation, before screening many queries against a loaded index.

    The index is hundreds of thousands of objects that live as long as the process;
    each full (generation 2) collection walks all of them for nothing -- 0.8 s of a
    7,859-query batch's 12 s at 30,000 entities (bench/screening_speed.py), one
    pass that also lands in some single query's latency. Frozen, they are out of the
    collector's sight; the index's answers are unchanged. ``dualtrace serve`` does the
    same at start-up. Objects frozen here and later dropped are still freed by
    reference counting; only reference cycles among them would stay.
    """
    gc.collect()
    gc.freeze()


def iter_raw_entities(store: Store, as_of: str | None = None) -> Iterator[RawEntity]:
    """Entities in force, grouped by canonical id, straight from one SQL scan."""
    vsql, params = store.versions_in_force_sql(as_of)
    sql = (
        "SELECT s.canonical_id, s.schema, s.prop, s.value, s.dataset, "
        "s.first_seen, s.last_seen FROM statements s "
        f"JOIN ({vsql}) v ON s.dataset = v.dataset AND s.version = v.version "
        "WHERE s.prop <> 'id' ORDER BY s.canonical_id"
    )
    cur = store.con.cursor()
    try:
        cur.execute(sql, params)
        current: str | None = None
        schemata: set[str] = set()
        props: dict[str, list[str]] = {}
        datasets: set[str] = set()
        seen: list[str] = []
        while True:
            rows = cur.fetchmany(100_000)
            if not rows:
                break
            for cid, schema, prop, value, dataset, first, last in rows:
                if cid != current:
                    if current is not None:
                        yield _raw(current, schemata, props, datasets, seen)
                    current, schemata, props, datasets, seen = cid, set(), {}, set(), []
                schemata.add(schema)
                datasets.add(dataset)
                if first:
                    seen.append(str(first))
                if last:
                    seen.append(str(last))
                vals = props.setdefault(prop, [])
                if value not in vals:
                    vals.append(value)
        if current is not None:
            yield _raw(current, schemata, props, datasets, seen)
    finally:
        cur.close()


def _raw(
    cid: str, schemata: set[str], props: dict[str, list[str]], datasets: set[str], seen: list[str]
) -> RawEntity:
    schema = get_schema(sorted(schemata)[0])
    if len(schemata) > 1:
        with contextlib.suppress(Exception):
            schema = model.common_schema(*sorted(schemata))
    return RawEntity(
        cid,
        schema,
        props,
        frozenset(datasets),
        min(seen) if seen else None,
        max(seen) if seen else None,
    )


def store_signature(store: Store, as_of: str | None = None) -> str:
    """A hash of the store's loaded versions: the index must be rebuilt when it changes."""
    rows = store.con.execute(
        "SELECT dataset, version, load_id FROM dataset_versions ORDER BY dataset, version"
    ).fetchall()
    return hashlib.sha1(repr((_code_fingerprint(), as_of, rows)).encode()).hexdigest()[:16]


def load_or_build(store: Store, as_of: str | None = None, cache: bool = True) -> ScreeningIndex:
    """The screening index for ``store``, from a cache file beside it when still valid.

    Building normalises every name of every entity; caching makes repeated ``screen``
    commands start in well under a second. The cache file is named after a hash of the
    loaded versions (and the build, compiled or not), so any load invalidates it; stale
    caches are removed.
    """
    sig = store_signature(store, as_of)
    # a compiled matcher pickles its classes differently from the pure-Python one
    target = store.path.with_name(f"{store.path.name}.screening-{sig}-{build_name()}.pickle")
    if cache and target.exists():
        try:
            with target.open("rb") as fh:
                index = pickle.load(fh)
            if isinstance(index, ScreeningIndex):
                return index
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
            # unreadable, or written by other code (a class changed shape): rebuild
            pass
    index = ScreeningIndex.from_store(store, as_of)
    if cache:
        for old in store.path.parent.glob(f"{store.path.name}.screening-*.pickle"):
            with contextlib.suppress(OSError):
                old.unlink()
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        try:
            with tmp.open("wb") as fh:
                pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(target)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
    return index
