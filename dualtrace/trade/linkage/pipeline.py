"""Bulk record linkage as set-based SQL: block, compare, score, cluster.

The model is Fellegi-Sunter, as in Splink: each comparison puts a pair in one level,
each level carries a log2 Bayes factor ``log2(m/u)``, and a pair's match weight is the
prior plus the sum. What differs, and why:

* names are compared as **token sets weighted by inverse frequency** (shared rare
  tokens such as ``kupol`` count for much more than ``trading``) as well as by the
  Levenshtein ratio of the compact key, so word order, dropped words and legal forms
  in any position do not break a match. (Not Jaro-Winkler: DuckDB's function and the
  Spark UDF Splink ships disagree, e.g. 0.682 vs 0.675 on the same pair, which would
  make the engines cluster differently; ``levenshtein`` is native and exact on both.);
* blocking is on **shared rare tokens** (plus exact keys), which finds cross-script
  and reordered variants that prefix blocking misses, and bounds the pair count by
  the token frequency cap;
* the model (m, u and the match share of blocked pairs) is estimated by EM over the
  *pattern counts* of the blocked pairs (a few hundred integers, identical on every
  engine), and together with the token frequencies it becomes a **fixed table**:
  stored and reused, so linking a new batch scores only pairs that involve new
  records and never changes an existing score.

Clustering is not connected components but :func:`coherent_clusters` (strongest link
first, two clusters merge only when coherently linked), so one ambiguous look-alike
string cannot chain two parties together.

Everything heavy is one SQL statement per step, run unchanged by
:class:`~dualtrace.trade.linkage.engines.DuckDBEngine` and (translated) by
:class:`~dualtrace.trade.linkage.engines.SparkEngine`; floating values are rounded at
each step so both engines make the same decisions.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dualtrace.trade.linkage.engines import LinkageEngine


@dataclass(frozen=True, slots=True)
class Level:
    """One outcome of a comparison: an SQL condition and its prior m-probability.

    The condition sees ``<column>_l`` / ``<column>_r`` for every record column and the
    pair features ``name_sim`` (Levenshtein ratio of the compact name keys), ``tok_j``
    (weighted Jaccard), ``tok_o`` (weighted overlap coefficient) and ``shared_w``
    (summed weight of shared name tokens).
    """

    label: str
    sql: str
    m: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """A feature of the pair; ``null_sql`` true means no evidence either way (weight 0)."""

    name: str
    levels: tuple[Level, ...]
    null_sql: str | None = None


@dataclass(frozen=True)
class LinkageSpec:
    """What to compare and how to block; record columns are strings named in ``columns``."""

    columns: tuple[str, ...]
    comparisons: tuple[Comparison, ...]
    # SQL expressions over a record ``{t}`` whose equality makes a candidate pair.
    exact_blocking: tuple[str, ...] = ()
    token_block_max: int = 50  # tokens in more records than this do not block
    exact_block_cap: int = 20  # members of an equality block everyone is compared with
    link_requires: str | None = None  # SQL over level columns a link must also satisfy
    threshold: float = 0.9  # probability to link in clustering
    # strong links per member of the smaller cluster that a merge of two clusters needs
    # (``coherent_clusters``); 0 gives plain connected components
    coherence: float = 2.0
    link_floor: float = 0.5  # pairs kept in the links table (review band starts here)
    # the lowest ``name_sim`` any level reads: a pair whose name lengths alone put its
    # similarity below it gets 0.0 without computing the Levenshtein distance (the
    # distance is at least the length difference), and reaches the same levels
    name_sim_floor: float = 0.0
    # pairs whose features one statement computes: the feature joins' working set
    # grows with the pairs (at 1M trade records DuckDB filled its 5 GB cap on 8.7M)
    # (500k: at 100k generated records 0.70 GB and 15.5 linkage CPU-s against 0.88 GB
    # and 18.7 with 2M slices, at 1M 2.57 GB / 125.1 against 2.63 / 136.4, same links)
    pair_chunk: int = 500_000
    # at most this many slices: each one re-reads the pairs and probes the token and
    # record tables again, so beyond ~16M pairs the slices grow instead (the 10M run,
    # 61.9M pairs, used 31 slices of 2M)
    max_pair_slices: int = 32

    def __post_init__(self) -> None:
        # a level reading a similarity below the floor would silently never fire for
        # the pairs the guard skips: refuse such a spec rather than change its links
        for comparison in self.comparisons:
            for level in comparison.levels:
                for value in _NAME_SIM_BOUND.findall(level.sql):
                    if float(value) < self.name_sim_floor:
                        raise ValueError(
                            f"level {comparison.name}/{level.label} reads name_sim "
                            f"{value}, below the spec's name_sim_floor "
                            f"{self.name_sim_floor}"
                        )


# ``name_sim >= 0.85`` / ``name_sim > 0.85`` in a level's SQL: the similarity it reads
_NAME_SIM_BOUND = re.compile(r"name_sim\s*>=?\s*([0-9]*\.?[0-9]+)")


@dataclass
class LinkageParams:
    """The fixed tables: token frequencies (with their total) and the model.

    ``m``/``u`` are per comparison and level, conditional on a pair being blocked;
    ``prior`` is the share of blocked pairs that match. All are estimated once by EM
    on the first full run and then kept, so later scores are comparable.
    """

    n_total: int
    token_freq: pa.Table  # token, n
    prior: float = 0.0
    m: dict[str, dict[str, float]] = field(default_factory=dict)
    u: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def estimated(self) -> bool:
        return bool(self.m) and bool(self.u) and 0.0 < self.prior < 1.0

    def weight(self, comparison: str, level: str) -> float:
        """log2 Bayes factor of one level, rounded so both engines add the same numbers."""
        m = max(self.m.get(comparison, {}).get(level, 0.0), MIN_PROBABILITY)
        u = max(self.u.get(comparison, {}).get(level, 0.0), MIN_PROBABILITY)
        return round(math.log2(m / u), 6)

    def prior_weight(self) -> float:
        return round(math.log2(self.prior / (1.0 - self.prior)), 6)


MIN_PROBABILITY = 1e-6


@dataclass
class LinkageResult:
    pairs: int
    links: pa.Table  # id_l, id_r, match_weight, probability, <comparison> levels
    clusters: pa.Table  # id, cluster_id
    seconds_by_step: dict[str, float] = field(default_factory=dict)
    # CPU seconds of this process (all its threads) per step: CPU / wall near the
    # number of cores means the step ran in parallel; well below it on a loaded host
    # means it waited for a core (see docs/trade.md, "Cores")
    cpu_by_step: dict[str, float] = field(default_factory=dict)


def _level_labels(comparison: Comparison) -> tuple[str, ...]:
    """Every outcome of a comparison, in code order: ``null``, the levels, ``else``."""
    return ("null", *(lv.label for lv in comparison.levels), "else")


def _level_case(comparison: Comparison) -> str:
    """The level a pair reaches, as its small-integer code (see :func:`_level_label`).

    Features are stored for every blocked pair until the model is known (tens of
    millions of rows at 10M records), so a level is kept as a 1-byte code rather
    than its label (a 16-byte string in DuckDB); the labels come back when the links
    and the EM patterns are read.
    """
    codes = {label: k for k, label in enumerate(_level_labels(comparison))}
    whens = []
    if comparison.null_sql:
        whens.append(f"WHEN {comparison.null_sql} THEN {codes['null']}")
    for level in comparison.levels:
        whens.append(f"WHEN {level.sql} THEN {codes[level.label]}")
    return f"CAST(CASE {' '.join(whens)} ELSE {codes['else']} END AS TINYINT) AS {comparison.name}"


def _level_label(comparison: Comparison) -> str:
    """SQL turning a stored level code back into its label, under the same name."""
    whens = " ".join(
        f"WHEN {k} THEN '{label}'" for k, label in enumerate(_level_labels(comparison))
    )
    return f"CASE {comparison.name} {whens} END AS {comparison.name}"


def _weight_case(params: LinkageParams, comparison: Comparison) -> str:
    whens = [
        f"WHEN '{lv.label}' THEN {params.weight(comparison.name, lv.label)!r}"
        for lv in comparison.levels
    ]
    return f"CASE {comparison.name} {' '.join(whens)} ELSE 0.0 END"


def token_weights_sql(n_total: int) -> str:
    """Inverse-frequency weight of each record token under the fixed frequency table.

    The weight (6 decimals) is kept as its integer count of millionths ``wi``, the
    form every sum of weights takes (:func:`_exact_sum`): converted once per record
    token here rather than once per pair and shared token in the features (Spark
    rounds a double through a decimal, a profile's hot spot).
    """
    return f"""
SELECT id, token, n, CAST(round(w * 1000000) AS BIGINT) AS wi FROM (
  SELECT t.id, t.token, coalesce(f.n, 1) AS n,
         round(ln(1.0 + {float(n_total)!r} / coalesce(f.n, 1)), 6) AS w
  FROM tokens t LEFT JOIN token_freq f ON f.token = t.token
) AS weighted
"""


def blocking_sql(spec: LinkageSpec, incremental: bool) -> str:
    """Candidate pairs (id_l < id_r) from shared rare tokens and exact keys."""
    # (a full run pairs everything: no join to the records for their ``is_new``)
    new_only = (
        "\nJOIN records l ON l.id = a.id JOIN records r ON r.id = b.id\n"
        "WHERE (l.is_new OR r.is_new) AND"
        if incremental
        else "\nWHERE"
    )
    rules = [
        f"""SELECT a.id AS id_l, b.id AS id_r FROM tw a
JOIN tw b ON a.token = b.token AND a.id < b.id{new_only} a.n <= {int(spec.token_block_max)}"""
    ]
    # Equality blocks pair every member with the first ``exact_block_cap`` members
    # (by id), not with all: a block of n costs n * cap pairs instead of n * n / 2,
    # and its members still meet through those first members.
    cap = int(spec.exact_block_cap)
    new_pair = " AND (a.is_new OR b.is_new)" if incremental else ""
    for expression in ("{t}.name_key", *spec.exact_blocking):
        key = expression.format(t="l")
        rules.append(
            f"""SELECT a.id AS id_l, b.id AS id_r FROM (
  SELECT l.id, l.is_new, {key} AS k,
         row_number() OVER (PARTITION BY {key} ORDER BY l.id) AS rn
  FROM records l WHERE {key} IS NOT NULL) AS a
JOIN (SELECT l.id, l.is_new, {key} AS k FROM records l WHERE {key} IS NOT NULL) AS b
  ON a.k = b.k AND a.id < b.id
WHERE a.rn <= {cap}{new_pair}"""
        )
    # one de-duplication over all rules (``UNION`` would add a second hash table of
    # every distinct pair under the outer ``DISTINCT``)
    union = "\nUNION ALL\n".join(rules)
    return f"SELECT DISTINCT id_l, id_r FROM (\n{union}\n) AS u"


def _exact_sum(millionths: str) -> str:
    """Sum of token weights given as integer counts of millionths, as a double.

    A sum of doubles depends on the order of its terms, and that order is whatever the
    engine's threads and partitions make it: Spark local[2] gave other clusters than
    DuckDB at 100k records (P 0.9780250 vs 0.9780278) once a feature slice held every
    pair. Integers add up the same in any order, and one division by 10^6 is correctly
    rounded on both engines.
    """
    return f"CAST(sum({millionths}) AS DOUBLE) / 1000000"


def _name_sim_guard(spec: LinkageSpec) -> str:
    """A ``WHEN`` giving ``name_sim`` 0.0 where the name lengths rule out the floor.

    The Levenshtein distance is at least the difference of the lengths, so when that
    difference exceeds ``(1 - floor)`` of the longer name the similarity is below the
    floor and no level can read it. A margin of 1e-6 keeps binary rounding of
    ``1 - floor`` (1 - 0.9 is 0.09999999999999998) from skipping a pair exactly at the
    floor. At 300k generated trade records this skips 37% of the blocked pairs' name
    distances (the most expensive expression of the features on both engines).
    """
    if spec.name_sim_floor <= 0.0:
        return ""
    share = round(1.0 - spec.name_sim_floor + 1e-6, 9)
    return (
        "\n         WHEN abs(length(l.name_key) - length(r.name_key))"
        f" > {share!r} * greatest(length(l.name_key), length(r.name_key)) THEN 0.0"
    )


def features_sql(spec: LinkageSpec, pairs_table: str) -> str:
    """Comparison levels (as codes) of every pair of ``pairs_table``.

    Only the ids and the level codes are kept: the similarity values decide the levels
    here and nothing later reads them, while the stored rows are every blocked pair.
    """
    cols = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in spec.columns)
    levels = ",\n  ".join(_level_case(c) for c in spec.comparisons)
    guard = _name_sim_guard(spec)
    return f"""
WITH overlap AS (
  SELECT p.id_l, p.id_r, {_exact_sum("a.wi")} AS shared_w
  FROM {pairs_table} p JOIN tw a ON a.id = p.id_l
  JOIN tw b ON b.id = p.id_r AND b.token = a.token
  GROUP BY p.id_l, p.id_r
), base AS (
  SELECT p.id_l, p.id_r, round(coalesce(o.shared_w, 0.0), 6) AS shared_w,
    coalesce(wl.total_w, 0.0) AS wl, coalesce(wr.total_w, 0.0) AS wr,
    CASE WHEN l.name_key IS NULL OR r.name_key IS NULL OR l.name_key = '' THEN 0.0{guard}
         ELSE round(1.0 - levenshtein(l.name_key, r.name_key)
                    / greatest(length(l.name_key), length(r.name_key)), 6) END AS name_sim,
    {cols}
  FROM {pairs_table} p
  JOIN records l ON l.id = p.id_l JOIN records r ON r.id = p.id_r
  LEFT JOIN overlap o ON o.id_l = p.id_l AND o.id_r = p.id_r
  LEFT JOIN rw wl ON wl.id = p.id_l LEFT JOIN rw wr ON wr.id = p.id_r
), feats AS (
  SELECT *,
    CASE WHEN wl + wr - shared_w <= 0 THEN 0.0
         ELSE round(shared_w / (wl + wr - shared_w), 6) END AS tok_j,
    CASE WHEN least(wl, wr) <= 0 THEN 0.0
         ELSE round(shared_w / least(wl, wr), 6) END AS tok_o
  FROM base
)
SELECT id_l, id_r,
  {levels}
FROM feats
"""


def prepare(engine: LinkageEngine, params: LinkageParams) -> None:
    """Token weights and per-record total weights under the fixed frequencies."""
    engine.register("token_freq", params.token_freq)
    engine.create("tw", token_weights_sql(params.n_total))
    engine.create("rw", f"SELECT id, {_exact_sum('wi')} AS total_w FROM tw GROUP BY id")


def token_frequencies(engine: LinkageEngine) -> tuple[int, pa.Table]:
    """Document frequency of every token over the current ``tokens`` table."""
    n_total = int(engine.scalar("SELECT count(*) FROM records") or 0)
    table = engine.arrow(
        "SELECT token, count(DISTINCT id) AS n FROM tokens GROUP BY token ORDER BY token"
    )
    return n_total, table


def expectation_maximisation(
    spec: LinkageSpec,
    patterns: list[dict[str, Any]],
    iterations: int = 40,
) -> tuple[float, dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """EM over comparison patterns of the blocked pairs: (prior, m, u).

    Runs on pattern counts (a few hundred rows at most, integers that both engines
    produce identically), so it is cheap and engine-independent. Starts from the
    spec's m-priors and the observed level shares as u. (Holding u at values from
    random pairs, as Splink does, made this EM degenerate on our rare-token blocks:
    measured prior 0.89 and F1 0.001 on the historical figures, so u is estimated
    here too, conditional on blocking, and ``link_requires`` guards the weak spots.)
    """
    names = [c.name for c in spec.comparisons]
    total = sum(int(p["n"]) for p in patterns) or 1
    m = {c.name: {lv.label: lv.m for lv in c.levels} for c in spec.comparisons}
    u: dict[str, dict[str, float]] = {}
    for c in spec.comparisons:
        seen = {lv.label: 0.0 for lv in c.levels}
        for p in patterns:
            if p[c.name] in seen:
                seen[p[c.name]] += int(p["n"])
        denom = sum(seen.values()) or 1.0
        u[c.name] = {k: max(v / denom, MIN_PROBABILITY) for k, v in seen.items()}
    prior = 0.1
    for _ in range(iterations):
        match_n = 0.0
        m_acc = {n: dict.fromkeys(m[n], 0.0) for n in names}
        u_acc = {n: dict.fromkeys(u[n], 0.0) for n in names}
        for p in patterns:
            count = int(p["n"])
            pm, pu = prior, 1.0 - prior
            for n in names:
                level = p[n]
                if level in m[n]:
                    pm *= m[n][level]
                    pu *= u[n][level]
            post = pm / (pm + pu) if pm + pu > 0 else 0.0
            match_n += count * post
            for n in names:
                level = p[n]
                if level in m_acc[n]:
                    m_acc[n][level] += count * post
                    u_acc[n][level] += count * (1.0 - post)
        prior = min(max(match_n / total, MIN_PROBABILITY), 1 - MIN_PROBABILITY)
        for n in names:
            ms, us = sum(m_acc[n].values()), sum(u_acc[n].values())
            if ms > 0:
                m[n] = {k: max(v / ms, MIN_PROBABILITY) for k, v in m_acc[n].items()}
            if us > 0:
                u[n] = {k: max(v / us, MIN_PROBABILITY) for k, v in u_acc[n].items()}
    return prior, m, u


def score(
    engine: LinkageEngine, spec: LinkageSpec, params: LinkageParams, incremental: bool
) -> int:
    """Block, compare, (first time) estimate the model, score; creates ``links``."""
    engine.create("pairs", blocking_sql(spec, incremental))
    pairs = int(engine.scalar("SELECT count(*) FROM pairs") or 0)
    per_slice = engine.pair_chunk or spec.pair_chunk
    chunks = max(1, min(spec.max_pair_slices, math.ceil(pairs / max(1, per_slice))))
    pieces = [f"feats_{k}" for k in range(chunks)] if chunks > 1 else ["feats"]
    if chunks == 1:
        engine.create("feats", features_sql(spec, "pairs"))
    else:
        # Features in slices of the pairs (by a hash of id_l; any split gives the same
        # rows, so each engine may hash differently): bounded working set per slice,
        # read back as one UNION ALL (Spark refuses to union a cached table with a
        # new plan, so there is no appending).
        engine.create(
            "pair_buckets",
            f"SELECT id_l, id_r, (hash(id_l) % {chunks} + {chunks}) % {chunks} AS bucket "
            "FROM pairs",
        )
        engine.drop("pairs")
        for k, piece in enumerate(pieces):
            engine.create(
                piece,
                features_sql(spec, f"(SELECT id_l, id_r FROM pair_buckets WHERE bucket = {k})"),
            )
        engine.drop("pair_buckets")
    level_cols = ", ".join(c.name for c in spec.comparisons)
    labels = ", ".join(_level_label(c) for c in spec.comparisons)
    coded = " UNION ALL ".join(f"SELECT * FROM {p}" for p in pieces)
    if not params.estimated:
        patterns = engine.arrow(
            f"SELECT {level_cols}, count(*) AS n FROM (SELECT {labels} FROM ({coded}) AS c) "
            f"AS f GROUP BY {level_cols} ORDER BY {level_cols}"
        ).to_pylist()
        params.prior, params.m, params.u = expectation_maximisation(spec, patterns)
    weight = " + ".join(_weight_case(params, c) for c in spec.comparisons)
    floor = round(math.log2(spec.link_floor / (1 - spec.link_floor)), 6)
    requires = f" AND ({spec.link_requires})" if spec.link_requires else ""
    # weights and ``link_requires`` read the labels; the links keep the codes (one
    # byte a level, as the features: at 10M records there are tens of millions of
    # links), and :func:`link_registered` names the levels again when it reads them
    codes = ", ".join(f"{c.name} AS {c.name}__code" for c in spec.comparisons)
    kept_codes = ", ".join(f"{c.name}__code AS {c.name}" for c in spec.comparisons)
    engine.create(
        "links",
        f"""
SELECT id_l, id_r, match_weight,
  round(1.0 / (1.0 + power(2.0, -match_weight)), 6) AS probability, {kept_codes}
FROM (SELECT *, round({params.prior_weight()!r} + {weight}, 6) AS match_weight
      FROM (SELECT id_l, id_r, {codes}, {labels} FROM ({coded}) AS c) AS d) AS s
WHERE match_weight >= {floor!r}{requires}
""",
    )
    for piece in pieces:
        engine.drop(piece)
    engine.drop("pairs")  # the links are all that later steps need
    return pairs


def coherent_clusters(
    ids: list[str],
    links: list[tuple[str, str, float]],
    forced: list[tuple[str, str]],
    rejected: set[tuple[str, str]],
    coherence: float,
    support: list[tuple[str, str]] | None = None,
) -> dict[str, str]:
    """Clusters (id -> smallest member id) of strong links, without look-alike chaining.

    Plain connected components let one ambiguous string join parties that are not the
    same: ``Electronics Trading Ltd`` (a dropped word) is contained in six different
    Hong Kong fronts' names, ``Shahid Industries`` in a dozen Iranian ones, so the
    components merge them all. Here links are taken strongest first (Kruskal) and two
    clusters merge only if the smaller one is *coherently* tied to the larger: at least
    ``coherence`` strong links per member of the smaller cluster run between them (a
    single string always joins its best match). A bridge of one or a few links between
    two established parties is refused; the many variants of one party, which link to
    each other many times over, still meet. ``forced`` edges (aliases of one list
    entity, analyst ``match`` decisions) always merge; ``rejected`` pairs (analyst
    ``no-match``) are never used. Only ever removes merges that connected components
    would make, so look-alikes kept apart by the scores stay apart.

    ``support`` (default: the strong links themselves) are the links that count towards
    coherence: the pipeline passes every kept link (probability >= ``link_floor``, with
    the name evidence ``link_requires`` asks for), so two large variant groups of one
    party, which blocking compares only through a few capped keys and which meet by a
    few dozen strong links but hundreds of likely ones, still merge; a merge is still
    only ever proposed by a strong link.

    Deterministic: links are ordered by (weight desc, id_l, id_r), and weights are
    rounded by the engines, so DuckDB and Spark links give the same clusters.

    This is the string-keyed entry point (small inputs, tests, the bench's plain
    components); the pipeline calls :func:`coherent_cluster_labels` on integer arrays.
    """
    order = sorted(set(ids))
    index = {x: i for i, x in enumerate(order)}
    kept = [
        (index[a], index[b], w)
        for a, b, w in links
        if a in index and b in index and (a, b) not in rejected and (b, a) not in rejected
    ]
    pairs = [(index[a], index[b]) for a, b in forced if a in index and b in index]
    backing = None
    if support is not None:
        counted = [
            (index[a], index[b])
            for a, b in support
            if a in index and b in index and (a, b) not in rejected and (b, a) not in rejected
        ]
        backing = (
            np.array([k[0] for k in counted], np.int32),
            np.array([k[1] for k in counted], np.int32),
        )
    labels = coherent_cluster_labels(
        len(order),
        np.array([k[0] for k in kept], np.int32),
        np.array([k[1] for k in kept], np.int32),
        np.array([k[2] for k in kept], np.float64),
        np.array([p[0] for p in pairs], np.int32),
        np.array([p[1] for p in pairs], np.int32),
        coherence,
        support=backing,
    ).tolist()
    return {x: order[labels[index[x]]] for x in ids}


_CHUNK = 1 << 18  # links turned into Python ints at a time (bounds the loop's memory)


def coherent_cluster_labels(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    weight: np.ndarray,
    forced_left: np.ndarray,
    forced_right: np.ndarray,
    coherence: float,
    support: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """:func:`coherent_clusters` on dense integer ids: label of each id (its cluster's
    smallest id), as an ``int32`` array of length ``n``.

    Ids are ranks in id order, so ordering links by (weight desc, left, right) on the
    ranks is the reference order on the strings. Links must already be free of
    rejected pairs and of ids outside ``[0, n)``. ``support`` (left, right) are the
    links counted for coherence (default: these).

    Memory is what decides the design at 10M trade records (tens of millions of
    links): the support graph is one CSR array pair (4 bytes a link end), each id's
    cluster is kept current in a numpy array (members relabelled small into large),
    and the links between two clusters are counted only when a strong link proposes
    to merge two clusters of more than one member, from the smaller cluster's
    neighbour lists, with the count cached until either cluster grows. (The earlier
    per-cluster dicts of counts cost ~100 bytes a link and would not fit at 10M.)
    """
    keep = left != right
    if not keep.all():  # copies only when there is a self-link to drop
        left, right, weight = left[keep], right[keep], weight[keep]
    del keep
    count_left, count_right = (left, right) if support is None else support
    counted = count_left != count_right
    if not counted.all():
        count_left, count_right = count_left[counted], count_right[counted]
    del counted
    # Both ends of every counted link as one array of ``end << 32 | other``, sorted in
    # place: the neighbours of each end in 24 bytes a link, where an argsort's int64
    # index beside two concatenated copies took 40 (at 1M trade records, 4.8M links,
    # this step set the Python process's peak, beside Spark's JVM)
    k = count_left.size
    degree = np.bincount(count_left, minlength=n) + np.bincount(count_right, minlength=n)
    packed = np.empty(2 * k, np.int64)
    for half, (a, b) in enumerate(((count_left, count_right), (count_right, count_left))):
        part = packed[half * k : (half + 1) * k]
        part[:] = a
        part <<= 32
        part |= b
    del count_left, count_right
    packed.sort()
    neighbours = np.empty(2 * k, np.int32)
    np.bitwise_and(packed, 0xFFFFFFFF, out=neighbours, casting="unsafe")
    del packed
    starts = np.zeros(n + 1, np.int64)
    np.cumsum(degree, out=starts[1:])
    del degree
    first = starts.tolist()
    root = np.arange(n, dtype=np.int32)  # each id's cluster, kept current
    members: list[list[int] | None] = [None] * n  # ids of clusters of 2 or more
    size = [1] * n
    low = list(range(n))
    cache: dict[tuple[int, int], tuple[int, int]] = {}  # (a, b) -> (sizes, links)

    def links_between(small: int, big: int) -> int:
        key = (small, big) if small < big else (big, small)
        version = size[small] + size[big]  # grows whenever either absorbs a cluster
        hit = cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        ids = members[small] or [small]
        if len(ids) == 1:
            x = ids[0]
            seen = neighbours[first[x] : first[x + 1]]
        else:
            seen = np.concatenate([neighbours[first[x] : first[x + 1]] for x in ids])
        found = int(np.count_nonzero(root[seen] == big))
        cache[key] = (version, found)
        return found

    def union(a: int, b: int) -> None:
        if (size[a], b) > (size[b], a):
            a, b = b, a  # a is the smaller: fold it into b
        moved = members[a] or [a]
        root[moved] = b
        into = members[b]
        if into is None:
            into = members[b] = [b]
        into.extend(moved)
        members[a] = None
        size[b] += size[a]
        if low[a] < low[b]:
            low[b] = low[a]

    for a, b in zip(forced_left.tolist(), forced_right.tolist(), strict=True):
        ra, rb = int(root[a]), int(root[b])
        if ra != rb:
            union(ra, rb)
    order = np.lexsort((right, left, -weight))
    for start in range(0, order.size, _CHUNK):
        chunk = order[start : start + _CHUNK]
        for ra, rb in zip(root[left[chunk]].tolist(), root[right[chunk]].tolist(), strict=True):
            # roots read for the whole chunk go stale as merges happen: re-read them
            ra, rb = int(root[ra]), int(root[rb])
            if ra == rb:
                continue
            small, big = (ra, rb) if size[ra] < size[rb] else (rb, ra)
            if size[small] > 1 and links_between(small, big) < coherence * size[small]:
                continue  # a weak bridge between two parties: refused
            union(ra, rb)
    return np.array(low, np.int32)[root]


def _ranks(values: pa.ChunkedArray | pa.Array, ids: pa.Array) -> np.ndarray:
    """Position of each value in the sorted ``ids`` (-1 where it is not there)."""
    found = pc.index_in(values, value_set=ids)
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), np.int32)


def _with_ranks(table: pa.Table, columns: tuple[str, ...], ids: pa.Array) -> pa.Table:
    """``table`` with each id column replaced by its rank in ``ids`` (rows naming an
    id outside ``ids`` dropped: stored links or decisions of strings no longer there)."""
    ranks = {c: _ranks(table.column(c), ids) for c in columns}
    known = np.ones(table.num_rows, bool)
    for r in ranks.values():
        known &= r >= 0
    for c, r in ranks.items():
        table = table.set_column(table.schema.get_field_index(c), c, pa.array(r, pa.int32()))
    return table.filter(pa.array(known)) if not known.all() else table


# rows of links one engine query returns at most (see :func:`fetch_in_slices`)
FETCH_ROWS = 2_000_000
_FETCH_BUCKETS = 256  # rank ranges counted to place the slices' bounds


def fetch_in_slices(
    engine: LinkageEngine,
    source: str,
    columns: str,
    n: int,
    ordered: bool = False,
    rows: int | None = None,
) -> pa.Table:
    """``SELECT columns FROM source`` in slices of at most about ``rows`` rows, by
    ranges of ``id_l`` (a record rank in ``[0, n)``), concatenated.

    One query for millions of links makes Spark's driver hold every task's result in
    its block manager at once; at 1M generated trade records (4.8M links) a 2 GB
    driver lost one (``TaskResultLost``). Ranges of ``id_l`` split the rows exactly
    on every engine, and each slice is small enough to arrive whole. The bounds come
    from a count of rows per rank range, so they follow the rows (``id_l < id_r``
    puts more links on low ranks). With ``ordered`` each slice is sorted by
    ``(id_l, id_r)``, so the whole result is. ``rows`` defaults to :data:`FETCH_ROWS`.
    """
    rows = rows or FETCH_ROWS
    width = max(1, math.ceil(n / _FETCH_BUCKETS))
    counted = engine.arrow(
        f"SELECT CAST(floor(id_l / {width}) AS BIGINT) AS b, count(*) AS c FROM {source} GROUP BY 1"
    )
    per_bucket = dict(
        zip(counted.column("b").to_pylist(), counted.column("c").to_pylist(), strict=True)
    )
    order = " ORDER BY id_l, id_r" if ordered else ""
    bounds: list[tuple[int, int]] = []
    start, held = 0, 0
    for bucket in range(_FETCH_BUCKETS):
        held += int(per_bucket.get(bucket, 0))
        if held >= rows:
            bounds.append((start, (bucket + 1) * width))
            start, held = (bucket + 1) * width, 0
    if held or not bounds:
        bounds.append((start, _FETCH_BUCKETS * width))
    pieces = [
        engine.arrow(f"SELECT {columns} FROM {source} WHERE id_l >= {lo} AND id_l < {hi}{order}")
        for lo, hi in bounds
    ]
    return pa.concat_tables(pieces) if len(pieces) > 1 else pieces[0]


def cluster(engine: LinkageEngine, threshold: float, coherence: float) -> np.ndarray:
    """Cluster label (smallest member's rank) of every record rank, from ``links`` and
    prior links, by :func:`coherent_cluster_labels`: links at ``threshold`` or above
    propose merges, every kept link (and prior link) counts towards coherence.

    Record ids in the engine are already dense ranks in sorted string-id order
    (:func:`register_inputs`), so tie-breaking by id is unchanged; the links are
    fetched once as Arrow; the merge order is sequential by nature, so it runs here
    rather than as SQL, identically for every engine.
    """
    n = int(engine.scalar("SELECT count(*) FROM records") or 0)
    kept = fetch_in_slices(
        engine,
        "(SELECT id_l, id_r, match_weight, probability FROM links "
        "UNION ALL SELECT id_l, id_r, match_weight, probability FROM prior_links) AS k",
        "id_l, id_r, match_weight, probability",
        n,
    )
    left = np.asarray(kept.column("id_l").to_numpy(), np.int32)
    right = np.asarray(kept.column("id_r").to_numpy(), np.int32)
    weight = np.asarray(kept.column("match_weight").to_numpy(), np.float64)
    strong = np.asarray(kept.column("probability").to_numpy(), np.float64) >= threshold
    del kept
    release_freed_memory()  # the fetched buffers, before the clustering arrays
    engine.release_memory()  # and the engine's idle memory (a Spark driver's heap)
    keep = np.ones(left.size, bool)
    rejected_t = engine.arrow("SELECT a, b FROM rejected_edges")
    if rejected_t.num_rows:
        ra = np.asarray(rejected_t.column("a").to_numpy(), np.int64)
        rb = np.asarray(rejected_t.column("b").to_numpy(), np.int64)
        refused = np.minimum(ra, rb) * n + np.maximum(ra, rb)
        lo, hi = np.minimum(left, right).astype(np.int64), np.maximum(left, right)
        keep &= ~np.isin(lo * n + hi, refused)
    support = (left, right) if keep.all() else (left[keep], right[keep])
    keep &= strong
    left, right, weight = left[keep], right[keep], weight[keep]
    forced_t = engine.arrow("SELECT a, b FROM forced_edges ORDER BY a, b")
    return coherent_cluster_labels(
        n,
        left,
        right,
        weight,
        np.asarray(forced_t.column("a").to_numpy(), np.int32),
        np.asarray(forced_t.column("b").to_numpy(), np.int32),
        coherence,
        support=support,
    )


def register_inputs(
    engine: LinkageEngine,
    records: pa.Table,
    tokens: pa.Table,
    forced_edges: pa.Table | None = None,
    rejected_edges: pa.Table | None = None,
    prior_links: pa.Table | None = None,
) -> None:
    """Copy the linkage inputs into the engine (see :func:`run_linkage`).

    Inside the engine every record is its *rank* in sorted id order (``int32``), not
    its string id: joins, hash tables and the pairs then carry 4 bytes an id instead of
    a 17-character string (at 100k generated records the process peak fell from 1.17
    to 0.88 GB and the linkage CPU from 22.1 to 18.7 s, ``bench/linkage_loss.py``, same
    links). Ranks keep the order of the strings,
    so ``id_l < id_r``, "first members by id" and every tie-break are unchanged: the
    same pairs, links and clusters. The sorted ids are kept in the engine as
    ``record_ids`` (rid, id) to name the results.

    Separate from :func:`link_registered` so a caller holding millions of rows can
    drop its Arrow copies before the heavy steps (the 10M-record bench does).
    """
    ids = pc.take(records.column("id"), pc.sort_indices(records.column("id"))).combine_chunks()
    engine.register(
        "record_ids", pa.table({"rid": pa.array(np.arange(len(ids), dtype=np.int32)), "id": ids})
    )
    engine.register("records", _with_ranks(records, ("id",), ids))
    engine.register("tokens", _with_ranks(tokens, ("id",), ids))
    edge_schema = pa.schema([("a", pa.string()), ("b", pa.string())])
    for name, edges in (("forced_edges", forced_edges), ("rejected_edges", rejected_edges)):
        engine.register(name, _with_ranks(edges or edge_schema.empty_table(), ("a", "b"), ids))
    prior_schema = pa.schema(
        [("id_l", pa.string()), ("id_r", pa.string()), ("match_weight", pa.float64()),
         ("probability", pa.float64())]
    )  # fmt: skip
    prior = (prior_links or prior_schema.empty_table()).select(prior_schema.names)
    engine.register("prior_links", _with_ranks(prior.cast(prior_schema), ("id_l", "id_r"), ids))


def release_freed_memory() -> None:
    """Hand memory the process has freed back to the operating system.

    Building the party features allocates and frees hundreds of megabytes of Python
    objects and Arrow buffers; glibc's heap and Arrow's mimalloc pool keep freed pages
    mapped, so the process stays that large for the whole linkage, beside the engine
    (a Spark driver JVM, or DuckDB's buffers). At 1M generated trade records, after
    the features were built and dropped, this took the Python process from 0.65 to
    0.39 GB. Elsewhere than on glibc there is nothing to trim and only Arrow's pool is
    released.
    """
    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        # musl or another libc has no malloc_trim
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def link_registered(
    engine: LinkageEngine,
    spec: LinkageSpec,
    params: LinkageParams | None = None,
    fetch_links: bool = True,
) -> tuple[LinkageResult, LinkageParams]:
    """Prepare, score and cluster the inputs :func:`register_inputs` put in ``engine``.

    ``fetch_links=False`` leaves the links in the engine (``result.links`` is empty):
    at 10M records they are tens of millions of rows a benchmark does not need. The
    returned links and clusters name records by their string ids again (``links`` in
    the engine keeps the ranks).
    """
    import time

    release_freed_memory()  # what the caller built the inputs with, before heavy steps
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    t0, c0 = time.monotonic(), time.process_time()
    incremental = params is not None
    if params is None:
        n_total, freq = token_frequencies(engine)
        params = LinkageParams(n_total=n_total, token_freq=freq)
    prepare(engine, params)
    t1, c1 = time.monotonic(), time.process_time()
    pairs = score(engine, spec, params, incremental)
    t2, c2 = time.monotonic(), time.process_time()
    labels = cluster(engine, spec.threshold, spec.coherence)
    t3, c3 = time.monotonic(), time.process_time()
    timings.update(prepare=t1 - t0, score=t2 - t1, cluster=t3 - t2)
    cpu.update(prepare=c1 - c0, score=c2 - c1, cluster=c3 - c2)
    ids = engine.arrow("SELECT id FROM record_ids ORDER BY rid").column("id").combine_chunks()
    clusters = pa.table({"id": ids, "cluster_id": ids.take(pa.array(labels))})
    levels = ", ".join(c.name for c in spec.comparisons)
    columns = f"id_l, id_r, match_weight, probability, {levels}"
    links = (
        fetch_in_slices(engine, "links", columns, len(ids), ordered=True)
        if fetch_links
        else engine.arrow(f"SELECT {columns} FROM links LIMIT 0")
    )
    for comparison in spec.comparisons:
        # level codes back to their labels here, on one byte a row, rather than as
        # strings in the engine's result (which Spark's driver has to hold)
        labels = pa.array(_level_labels(comparison), pa.string())
        codes = pc.cast(links.column(comparison.name), pa.int32())
        links = links.set_column(
            links.schema.get_field_index(comparison.name), comparison.name, labels.take(codes)
        )
    for name in ("id_l", "id_r"):
        ranks = pc.cast(links.column(name), pa.int32())
        links = links.set_column(links.schema.get_field_index(name), name, ids.take(ranks))
    return LinkageResult(pairs, links, clusters, timings, cpu), params


def run_linkage(
    engine: LinkageEngine,
    spec: LinkageSpec,
    records: pa.Table,
    tokens: pa.Table,
    params: LinkageParams | None = None,
    forced_edges: pa.Table | None = None,
    rejected_edges: pa.Table | None = None,
    prior_links: pa.Table | None = None,
) -> tuple[LinkageResult, LinkageParams]:
    """Link ``records`` (id, name_key, is_new, spec columns) with their ``tokens``.

    With ``params`` given (the stored fixed tables) only pairs touching ``is_new``
    records are scored; without, frequencies and u are estimated from this input.
    ``prior_links`` (id_l, id_r, match_weight, probability) are the stored links of
    earlier runs: not rescored, but clustered with the new ones.
    """
    register_inputs(engine, records, tokens, forced_edges, rejected_edges, prior_links)
    return link_registered(engine, spec, params)
