"""The integer-array clustering gives exactly the string-keyed reference's clusters.

The reference below is the dict-of-strings implementation the pipeline used before it
moved to dense integer ids; it is kept here, unchanged, as the executable definition of
coherent clustering. The check runs the real pipeline on generated trade records, with
analyst decisions (forced and rejected pairs) and stored links to strings that are no
longer loaded, so every input path of the array version is exercised.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dualtrace.trade.linkage.engines import DuckDBEngine
from dualtrace.trade.linkage.party_resolution import (
    TRADE_PARTY_SPEC,
    party_features,
)
from dualtrace.trade.linkage.pipeline import run_linkage
from dualtrace.trade.synth import write_synthetic
from tests.trade.party_strings import party_strings


def reference_clusters(
    ids: list[str],
    links: list[tuple[str, str, float]],
    forced: list[tuple[str, str]],
    rejected: set[tuple[str, str]],
    coherence: float,
    support: list[tuple[str, str]] | None = None,
) -> dict[str, str]:
    """Coherent clustering as first written: string-keyed dicts, Kruskal with a
    coherence test on the links between the two clusters (``support``: the links that
    count for coherence, by default the strong links themselves)."""
    parent: dict[str, str] = {i: i for i in ids}
    size: dict[str, int] = dict.fromkeys(ids, 1)
    low: dict[str, str] = {i: i for i in ids}
    adjacency: dict[str, dict[str, int]] = {}

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(a: str, b: str) -> None:
        if (size[a], b) > (size[b], a):
            a, b = b, a
        parent[a] = b
        size[b] += size[a]
        low[b] = min(low[a], low[b])
        into = adjacency.setdefault(b, {})
        into.pop(a, None)
        for n, count in adjacency.pop(a, {}).items():
            if n == b:
                continue
            neighbour = adjacency[n]
            neighbour.pop(a, None)
            neighbour[b] = neighbour.get(b, 0) + count
            into[n] = into.get(n, 0) + count

    usable = [
        (a, b, w)
        for a, b, w in links
        if a != b
        and a in parent
        and b in parent
        and (a, b) not in rejected
        and (b, a) not in rejected
    ]
    counted = (
        [(a, b) for a, b, _ in usable]
        if support is None
        else [
            (a, b)
            for a, b in support
            if a != b
            and a in parent
            and b in parent
            and (a, b) not in rejected
            and (b, a) not in rejected
        ]
    )
    for a, b in counted:
        for x, y in ((a, b), (b, a)):
            row = adjacency.setdefault(x, {})
            row[y] = row.get(y, 0) + 1
    for a, b in forced:
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb:
                union(ra, rb)
    usable.sort(key=lambda e: (-e[2], e[0], e[1]))
    for a, b, _ in usable:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        smaller = min(size[ra], size[rb])
        if smaller > 1 and adjacency[ra].get(rb, 0) < coherence * smaller:
            continue
        union(ra, rb)
    return {i: low[find(i)] for i in ids}


def _labels(clusters: pa.Table) -> dict[str, str]:
    return dict(zip(clusters["id"].to_pylist(), clusters["cluster_id"].to_pylist(), strict=True))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    out = tmp_path_factory.mktemp("arrays") / "trade_8000.parquet"
    write_synthetic(out, 8000, 21, shared_data)
    return out


def test_array_clustering_equals_the_reference_on_generated_records(generated: Path) -> None:
    strings = party_strings(generated)
    features = party_features(strings, set())
    spec = TRADE_PARTY_SPEC
    first, _ = run_linkage(DuckDBEngine(), spec, features.records, features.tokens)
    strong = first.links.filter(pc.greater_equal(first.links["probability"], spec.threshold))
    links = list(
        zip(
            strong["id_l"].to_pylist(),
            strong["id_r"].to_pylist(),
            strong["match_weight"].to_pylist(),
            strict=True,
        )
    )
    # every kept link (probability >= link_floor) counts towards coherence
    kept = list(zip(first.links["id_l"].to_pylist(), first.links["id_r"].to_pylist(), strict=True))
    assert len(kept) > len(links)
    ids = features.records["id"].to_pylist()
    plain = reference_clusters(ids, links, [], set(), coherence=0.0)
    coherent = reference_clusters(ids, links, [], set(), spec.coherence, kept)
    assert len(set(coherent.values())) > len(set(plain.values()))  # merges were refused
    assert _labels(first.clusters) == {i: coherent[i] for i in ids}

    # analyst decisions: reject the strongest links of some clusters, force pairs of
    # singletons together; plus stored links naming strings no longer loaded
    by_weight = sorted(links, key=lambda e: (-e[2], e[0], e[1]))
    rejected = [(a, b) for a, b, _ in by_weight[::37]]
    singles = [i for i in ids if sum(1 for v in coherent.values() if v == coherent[i]) == 1]
    forced = list(zip(singles[0:40:2], singles[1:40:2], strict=True))
    assert len(rejected) > 10 and len(forced) == 20
    gone = [(ids[k], "p-gone", 50.0, 1.0) for k in range(5)]
    prior = pa.table(
        {
            "id_l": [a for a, _, _, _ in gone],
            "id_r": [b for _, b, _, _ in gone],
            "match_weight": [w for _, _, w, _ in gone],
            "probability": [p for _, _, _, p in gone],
        }
    )
    edges = pa.schema([("a", pa.string()), ("b", pa.string())])
    second, _ = run_linkage(
        DuckDBEngine(),
        spec,
        features.records,
        features.tokens,
        forced_edges=pa.Table.from_pylist([{"a": a, "b": b} for a, b in forced], edges),
        rejected_edges=pa.Table.from_pylist([{"a": b, "b": a} for a, b in rejected], edges),
        prior_links=prior,
    )
    expected = reference_clusters(
        ids,
        links + [(a, b, w) for a, b, w, _ in gone],
        forced,
        set(rejected),
        spec.coherence,
        kept + [(a, b) for a, b, _, _ in gone],
    )
    assert expected != coherent  # the decisions changed something
    assert _labels(second.clusters) == {i: expected[i] for i in ids}


def test_features_in_slices_of_the_pairs_give_the_same_result(generated: Path) -> None:
    strings = party_strings(generated)
    features = party_features(strings, set())
    whole, whole_params = run_linkage(
        DuckDBEngine(), TRADE_PARTY_SPEC, features.records, features.tokens
    )
    sliced_spec = dataclasses.replace(TRADE_PARTY_SPEC, pair_chunk=whole.pairs // 7 + 1)
    sliced, sliced_params = run_linkage(
        DuckDBEngine(), sliced_spec, features.records, features.tokens
    )
    assert sliced.pairs == whole.pairs > 0
    assert (sliced_params.m, sliced_params.u) == (whole_params.m, whole_params.u)
    assert sliced.links.to_pylist() == whole.links.to_pylist()
    assert sliced.clusters.to_pylist() == whole.clusters.to_pylist()
