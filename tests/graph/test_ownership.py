"""Ownership propagation against OFAC FAQ 401's worked examples and the other rules' tests."""

from __future__ import annotations

import pytest

from dualtrace.graph.engine import DuckDBEngine
from dualtrace.graph.ownership import PropagationParams, propagate_ownership
from tests.graph.graph_cases import Edge, put_ownership

OFAC = PropagationParams(threshold=50, inclusive=True, aggregate=True, control_counts=False)
EU = PropagationParams(threshold=50, inclusive=True, aggregate=True, control_counts=True)
UK = PropagationParams(threshold=50, inclusive=False, aggregate=False, control_counts=True)


def blocked(
    edges: list[Edge], listed: list[str], params: PropagationParams = OFAC
) -> dict[str, int]:
    engine = DuckDBEngine()
    put_ownership(engine, edges, listed)
    run = propagate_ownership(engine, params)
    rows = engine.fetch(f"SELECT entity, min(depth) FROM {run.status_table} GROUP BY entity")
    return {str(e): int(d) for e, d in rows}


def unknown(
    edges: list[Edge], listed: list[str], params: PropagationParams = OFAC
) -> dict[str, tuple[float, int]]:
    engine = DuckDBEngine()
    put_ownership(engine, edges, listed)
    run = propagate_ownership(engine, params)
    rows = engine.fetch(f"SELECT entity, known_pct, unknown_stakes FROM {run.unknown_table}")
    return {str(e): (float(k), int(n)) for e, k, n in rows}


def test_faq401_example1_chain_of_50_percent_stakes() -> None:
    # X owns 50% of A, A owns 50% of B: A and B blocked.
    got = blocked([("X", "A", 50, False), ("A", "B", 50, False)], ["X"])
    assert got == {"X": 0, "A": 1, "B": 2}


def test_faq401_example2_two_blocked_intermediaries_aggregate() -> None:
    # X owns 50% of A and of B; A and B each own 25% of C: C blocked (25 + 25).
    edges: list[Edge] = [
        ("X", "A", 50, False),
        ("X", "B", 50, False),
        ("A", "C", 25, False),
        ("B", "C", 25, False),
    ]
    assert blocked(edges, ["X"]) == {"X": 0, "A": 1, "B": 1, "C": 2}


def test_faq401_example3_direct_plus_indirect() -> None:
    # X owns 50% of A and 10% of B; A owns 40% of B: B blocked (10 direct + 40 via A).
    edges: list[Edge] = [("X", "A", 50, False), ("X", "B", 10, False), ("A", "B", 40, False)]
    assert blocked(edges, ["X"]) == {"X": 0, "A": 1, "B": 2}


def test_aggregation_of_two_blocked_persons_faq399() -> None:
    edges: list[Edge] = [("X", "A", 25, False), ("Y", "A", 25, False), ("A", "B", 50, False)]
    assert blocked(edges, ["X", "Y"]) == {"X": 0, "Y": 0, "A": 1, "B": 2}


def test_indirect_only_through_blocked_entities() -> None:
    # X owns 40% of A (A not blocked), A owns 100% of B: B is not blocked either —
    # "indirectly" counts only stakes held through 50%-or-more-owned entities.
    edges: list[Edge] = [("X", "A", 40, False), ("A", "B", 100, False)]
    assert blocked(edges, ["X"]) == {"X": 0}


def test_just_below_threshold_and_control_alone_do_not_block_under_ofac() -> None:
    edges: list[Edge] = [("X", "A", 49.99, False), ("X", "B", None, True)]
    assert blocked(edges, ["X"]) == {"X": 0}


def test_eu_counts_exactly_half_and_control() -> None:
    # EU: 50% or more (aggregated) or control; 49.99% alone is not enough.
    edges: list[Edge] = [
        ("X", "A", 50, False),
        ("X", "B", 49.99, False),
        ("X", "C", None, True),
        ("X", "D", 25, False),
        ("Y", "D", 25, False),
    ]
    assert blocked(edges, ["X", "Y"], EU) == {"X": 0, "Y": 0, "A": 1, "C": 1, "D": 1}


def test_uk_needs_more_than_half_where_eu_takes_exactly_half() -> None:
    edges: list[Edge] = [("X", "A", 50, False), ("X", "B", 50.01, False)]
    assert blocked(edges, ["X"], UK) == {"X": 0, "B": 1}
    assert blocked(edges, ["X"], EU) == {"X": 0, "A": 1, "B": 1}


def test_shipped_rule_parameters_say_what_each_regime_says() -> None:
    from dualtrace.judge.ownership_rules import get_rule

    assert get_rule("eu").params == EU
    assert get_rule("uk").params == UK
    assert get_rule("ofac").params == OFAC
    assert get_rule("eu").threshold_words == "50% or more"
    assert get_rule("uk").threshold_words == "more than 50%"
    assert any("50% or more of the proprietary rights" in c for c in get_rule("eu").citations)


def test_eu_applies_the_test_in_force_on_the_as_of_date() -> None:
    """Before the Best Practices' update of 3 July 2024 the EU test was "more than 50%"."""
    from dualtrace.judge.ownership_rules import get_rule

    eu = get_rule("eu")
    before, after = eu.on("2024-07-02"), eu.on("2024-07-03")
    assert before.threshold_words == "more than 50%"
    assert after.threshold_words == "50% or more" and after.params == EU
    assert "more than 50%" in before.state_on("2024-07-02")[1]
    assert "3 July 2024" in after.state_on("2024-07-03")[1]
    edges: list[Edge] = [("X", "A", 50, False), ("X", "D", 25, False), ("Y", "D", 25, False)]
    assert blocked(edges, ["X", "Y"], before.params) == {"X": 0, "Y": 0}
    assert blocked(edges, ["X", "Y"], after.params) == {"X": 0, "Y": 0, "A": 1, "D": 1}
    assert get_rule("ofac").on("2020-01-01") is get_rule("ofac")


def test_a_period_comparison_must_be_ge_or_gt() -> None:
    from dualtrace.errors import InputError
    from dualtrace.judge.ownership_rules import parse_rules

    text = """
rules:
  eu:
    title: t
    threshold: 50
    comparison: ge
    aggregate: true
    control_counts: true
    in_force:
      - from: "2014-03-17"
        comparison: gte
"""
    with pytest.raises(InputError, match=r"in_force\.comparison"):
        parse_rules(text)


def test_uk_does_not_aggregate_different_designated_persons() -> None:
    edges: list[Edge] = [("X", "A", 30, False), ("Y", "A", 30, False)]
    assert blocked(edges, ["X", "Y"], EU) == {"X": 0, "Y": 0, "A": 1}
    assert blocked(edges, ["X", "Y"], UK) == {"X": 0, "Y": 0}
    # 25% + 25%: exactly half in aggregate is enough for the EU
    at_half: list[Edge] = [("X", "A", 25, False), ("Y", "A", 25, False)]
    assert blocked(at_half, ["X", "Y"], EU) == {"X": 0, "Y": 0, "A": 1}


def test_uk_counts_indirect_holdings_of_the_same_person() -> None:
    # X owns 60% of A; X 30% + A 30% of B = 60% for the same designated person X.
    edges: list[Edge] = [("X", "A", 60, False), ("X", "B", 30, False), ("A", "B", 30, False)]
    assert blocked(edges, ["X"], UK) == {"X": 0, "A": 1, "B": 2}


def test_unknown_percentage_is_reported_not_guessed() -> None:
    edges: list[Edge] = [("X", "A", None, False), ("X", "B", 30, False), ("Y", "B", None, False)]
    assert blocked(edges, ["X", "Y"]) == {"X": 0, "Y": 0}
    assert unknown(edges, ["X", "Y"]) == {"A": (0.0, 1), "B": (30.0, 1)}


def test_cycles_terminate() -> None:
    edges: list[Edge] = [("A", "B", 60, False), ("B", "A", 60, False), ("X", "A", 50, False)]
    got = blocked(edges, ["X"])
    assert got == {"X": 0, "A": 1, "B": 2}


@pytest.mark.parametrize("depth", [1, 5, 20])
def test_long_chains_reach_their_end(depth: int) -> None:
    edges: list[Edge] = [(f"N{i}", f"N{i + 1}", 100, False) for i in range(depth)]
    got = blocked(edges, ["N0"])
    assert got[f"N{depth}"] == depth
