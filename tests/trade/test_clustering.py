"""Coherent clustering: look-alike bridges are refused, real variants still meet."""

from __future__ import annotations

import itertools

from dualtrace.trade.linkage.pipeline import coherent_clusters


def _clique(ids: list[str], weight: float) -> list[tuple[str, str, float]]:
    return [(a, b, weight) for a, b in itertools.combinations(ids, 2)]


def test_a_generic_hub_does_not_chain_two_parties() -> None:
    # Two Hong Kong fronts, each written four ways, and "Electronics Trading Ltd"
    # (the distinctive word dropped), contained in both names.
    tianyu = ["a1", "a2", "a3", "a4"]
    sinoelec = ["b1", "b2", "b3", "b4"]
    hub = "h"
    links = _clique(tianyu, 10.0) + _clique(sinoelec, 10.0)
    links += [(hub, "a1", 6.0), (hub, "a2", 5.0), (hub, "b1", 5.5), (hub, "b2", 5.0)]
    ids = [*tianyu, *sinoelec, hub]
    plain = coherent_clusters(ids, links, [], set(), coherence=0.0)
    assert len(set(plain.values())) == 1  # connected components chain them all
    labels = coherent_clusters(ids, links, [], set(), coherence=2.0)
    assert {labels[x] for x in tianyu} == {"a1"}
    assert {labels[x] for x in sinoelec} == {"b1"}
    assert labels[hub] == "a1"  # the ambiguous string joins its strongest match only


def test_two_groups_of_variants_of_one_party_meet() -> None:
    # Cyrillic and Latin renderings of one party: tight groups, many links across.
    latin = ["l1", "l2", "l3"]
    cyrillic = ["c1", "c2", "c3"]
    links = _clique(latin, 9.0) + _clique(cyrillic, 9.0)
    links += [(c, x, 7.0) for c in cyrillic for x in latin[:2]]  # 6 links: 2 per member
    labels = coherent_clusters([*latin, *cyrillic], links, [], set(), coherence=2.0)
    assert set(labels.values()) == {"c1"}
    # with one link fewer the two groups are not coherently tied and stay apart
    labels = coherent_clusters([*latin, *cyrillic], links[:-1], [], set(), coherence=2.0)
    assert len(set(labels.values())) == 2


def test_forced_edges_merge_and_rejected_pairs_never_link() -> None:
    ids = ["x", "y", "z"]
    links = [("x", "y", 9.0)]
    labels = coherent_clusters(ids, links, [("y", "z")], set(), coherence=2.0)
    assert set(labels.values()) == {"x"}
    labels = coherent_clusters(ids, links, [], {("x", "y")}, coherence=2.0)
    assert labels == {"x": "x", "y": "y", "z": "z"}


def test_the_result_does_not_depend_on_link_order() -> None:
    ids = ["a1", "a2", "a3", "b1", "b2", "h"]
    links = _clique(["a1", "a2", "a3"], 9.0) + _clique(["b1", "b2"], 9.0)
    links += [("h", "a1", 5.0), ("h", "b1", 5.0)]  # a tie: broken by id, not by order
    first = coherent_clusters(ids, links, [], set(), coherence=2.0)
    again = coherent_clusters(ids, list(reversed(links)), [], set(), coherence=2.0)
    assert first == again
    assert first["h"] == "a1"


def test_links_to_strings_no_longer_loaded_are_ignored() -> None:
    # a reloaded file replaced its rows: stored links may still name the old strings
    labels = coherent_clusters(["x", "y"], [("x", "y", 9.0), ("x", "gone", 9.5)], [], set(), 2.0)
    assert labels == {"x": "x", "y": "x"}


def test_weaker_kept_links_count_towards_coherence_but_never_propose_a_merge() -> None:
    # Two variant groups of one party (e.g. with and without a typed legal form):
    # blocking compared them through a few capped keys, so only one strong link runs
    # across, but every member has likely (kept, below-threshold) links to the other.
    short = ["s1", "s2", "s3"]
    long = ["t1", "t2", "t3"]
    strong = _clique(short, 9.0) + _clique(long, 9.0) + [("s1", "t1", 7.0)]
    likely = [(a, b) for a in short for b in long]  # 9 kept links: 3 per member
    ids = [*short, *long]
    assert len(set(coherent_clusters(ids, strong, [], set(), 2.0).values())) == 2
    merged = coherent_clusters(ids, strong, [], set(), 2.0, support=[*likely])
    assert set(merged.values()) == {"s1"}
    # likely links alone, with no strong link across, never merge the groups
    apart = _clique(short, 9.0) + _clique(long, 9.0)
    assert len(set(coherent_clusters(ids, apart, [], set(), 2.0, support=likely).values())) == 2
    # a rejected pair counts neither as a link nor as support
    refused = {("s1", "t1")}
    labels = coherent_clusters(ids, strong, [], refused, 2.0, support=likely)
    assert len(set(labels.values())) == 2
