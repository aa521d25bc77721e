"""The screening scorer: features combined into a calibrated-looking probability.

Each feature's value is multiplied by its weight and added to a base log-odds; the
score is the logistic of the sum. The weights are set so that a perfect match on a
distinctive name alone gives about 0.85 (a name is not an identity), corroborating
identifiers, dates or countries push the score towards 1, and conflicting ones pull it
down. A bare match on a common or one-word name stays below the default threshold.
Every feature reports its contribution in log-odds with a sentence, so a reviewer can
see *why* a score is what it is.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from dualtrace.resolve import features as ft
from dualtrace.resolve.features import Context, Feature, FtResult
from dualtrace.resolve.records import Record

NAME = "dualtrace-v1"
DEFAULT_THRESHOLD = 0.7
DEFAULT_CUTOFF = 0.5
BASE_LOG_ODDS = -5.6

# (feature, weight for positive values, weight for negative values)
FEATURES: tuple[tuple[Feature, float, float], ...] = (
    (ft.name_match, 7.3, 0.0),
    (ft.name_information, 0.0, 2.2),
    (ft.single_token_name, 0.0, 1.6),
    (ft.name_conflict, 0.0, 1.6),
    (ft.weak_alias, 0.0, 1.0),
    (ft.legal_form_mismatch, 0.0, 0.4),
    (ft.identifier_match, 4.5, 0.0),
    (ft.identifier_mismatch, 0.0, 2.5),
    (ft.country_match, 0.6, 0.9),
    (ft.date_match, 1.6, 2.5),
    (ft.address_match, 0.8, 0.0),
    (ft.contact_match, 1.5, 0.0),
)


class FeatureScore(NamedTuple):
    """One feature's verdict on a pair, in words and in log-odds (a named tuple: a
    dozen are built for every result whose reasons are read)."""

    name: str
    value: float
    contribution: float
    explanation: str
    detail: str | None

    def sentence(self) -> str:
        sign = "+" if self.contribution >= 0 else "-"
        text = f"{sign}{abs(self.contribution):.2f} {self.explanation}"
        return f"{text}: {self.detail}" if self.detail else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.value, 4),
            "weight": round(self.contribution, 4),
            "detail": self.detail,
            "explanation": self.explanation,
        }


class MatchScore:
    """A scored query/candidate pair: probability, decision and reasons.

    The per-feature explanations (:class:`FeatureScore`) are built from the features'
    raw results when first read (``features``, ``reasons``, ``to_dict``), not when
    the pair is scored: the matcher scores more candidates than it returns (a batch
    returns one of about three), and the explanation objects of the others were a
    tenth of its time. The explanations are the same whenever they are built.
    """

    __slots__ = ("_features", "_results", "match", "score")

    def __init__(
        self,
        score: float,
        match: bool,
        features: tuple[FeatureScore, ...] | None = None,
        results: tuple[FtResult, ...] | None = None,
    ) -> None:
        self.score = score
        self.match = match
        # ``results`` line up with FEATURES; explanations are built from them on demand
        self._features = features
        self._results = results

    @property
    def features(self) -> tuple[FeatureScore, ...]:
        """Each feature's value, contribution and explanation, in FEATURES order."""
        if self._features is None:
            self._features = _explained(self._results or ())
            self._results = None
        return self._features

    @property
    def reasons(self) -> list[str]:
        """Sentences for the features that moved the score, largest effect first."""
        moving = [f for f in self.features if f.contribution]
        moving.sort(key=lambda f: -abs(f.contribution))
        return [f.sentence() for f in moving]

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "match": self.match,
            "reasons": self.reasons,
            "features": {f.name: f.to_dict() for f in self.features},
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MatchScore):
            return NotImplemented
        return (self.score, self.match, self.features) == (other.score, other.match, other.features)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"MatchScore(score={self.score!r}, match={self.match!r}, features={self.features!r})"

    def __getstate__(self) -> tuple[float, bool, tuple[FeatureScore, ...]]:
        return (self.score, self.match, self.features)

    def __setstate__(self, state: tuple[float, bool, tuple[FeatureScore, ...]]) -> None:
        self.score, self.match, self._features = state
        self._results = None


def _explained(results: tuple[FtResult, ...]) -> tuple[FeatureScore, ...]:
    """The FeatureScores of the features' results (in FEATURES order), with the same
    contributions the score was summed from."""
    out = []
    for (func, pos, neg), res in zip(FEATURES, results, strict=True):
        contribution = res.score * (pos if res.score >= 0 else neg)
        out.append(
            FeatureScore(func.__name__, res.score, contribution, ft.explain(func), res.detail)
        )
    return tuple(out)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def score_records(
    query: Record,
    candidate: Record,
    ctx: Context,
    threshold: float = DEFAULT_THRESHOLD,
    check_schema: bool = True,
) -> MatchScore:
    """Score one candidate for one query. Incompatible schemata score 0."""
    if check_schema and not query.schema.can_match(candidate.schema):
        reason = FeatureScore(
            "schema_mismatch",
            -1.0,
            0.0,
            "The query and the candidate are different kinds of entity",
            f"{query.schema.name} vs {candidate.schema.name}",
        )
        return MatchScore(0.0, False, features=(reason,))
    total = BASE_LOG_ODDS
    results = []
    for func, pos, neg in FEATURES:
        res = func(query, candidate, ctx)
        total += res.score * (pos if res.score >= 0 else neg)
        results.append(res)
    score = round(_sigmoid(total), 4)
    return MatchScore(score, score >= threshold, results=tuple(results))


def feature_docs() -> dict[str, str]:
    """Feature name -> explanation, for ``/algorithms`` and the docs."""
    return {func.__name__: ft.explain(func) for func, _, _ in FEATURES}
