"""How sure we are that a name found in a text is a given list entity, with reasons.

The screening layer (``dualtrace.score_pair``) is the one place that scores a pair
of names. Until it is importable this module scores with rigour's Jaro-Winkler
similarity on normalised names; :func:`pair_scorer` switches to ``score_pair`` as
soon as it exists, so mention linking and screening give the same numbers.
Document-level evidence (a short form whose full form occurs in the same text, a
token that only one listed entity has) is added here, because only a document
knows it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from rigour.text import jaro_winkler

from dualtrace.documents.textnorm import name_tokens


@dataclass(frozen=True, slots=True)
class PairScore:
    """A name-pair score in [0, 1] and the reasons a user sees for it."""

    score: float
    reasons: tuple[str, ...] = ()
    scorer: str = ""


class PairScorer(Protocol):
    """Scores the name found in a text against one name of a list entity."""

    name: str

    def __call__(self, found: str, listed: str, schema: str) -> PairScore: ...


class NameSimilarityScorer:
    """Jaro-Winkler over transliterated, normalised names (used until screening lands)."""

    name = "name-similarity"

    def __call__(self, found: str, listed: str, schema: str) -> PairScore:
        a = " ".join(name_tokens(found))
        b = " ".join(name_tokens(listed))
        if not a or not b:
            return PairScore(0.0, ("no comparable name tokens",), self.name)
        if a == b:
            return PairScore(1.0, (f"same name as listed {listed!r}",), self.name)
        sim = jaro_winkler(a, b)
        return PairScore(
            round(sim, 3), (f"name similarity {sim:.2f} to listed {listed!r}",), self.name
        )


class ScreeningAdapter:
    """Calls the screening layer's ``score_pair(query, candidate)`` on FtM-shaped dicts.

    The found name becomes a query of the candidate's schema, so the screening
    layer applies the same legal-form, transliteration and acronym handling it uses
    for screening. What ``score_pair`` returns is read duck-typed (``score`` and
    ``reasons``), so its result type can evolve without this module changing.
    """

    name = "screening"

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, found: str, listed: str, schema: str) -> PairScore:
        query = {"schema": schema, "properties": {"name": [found]}}
        candidate = {"schema": schema, "properties": {"name": [listed]}}
        try:
            result = self.fn(query, candidate)
        except (ValueError, KeyError, TypeError) as exc:
            return PairScore(0.0, (f"screening could not compare: {exc}",), self.name)
        return _as_pair_score(result, self.name)


def _as_pair_score(result: Any, scorer: str) -> PairScore:
    if isinstance(result, int | float):
        return PairScore(float(result), (), scorer)
    get: Callable[[str], Any]
    if isinstance(result, dict):
        get = result.get
    else:

        def get(key: str) -> Any:
            return getattr(result, key, None)

    score = get("score")
    reasons = get("reasons") or get("explanation") or ()
    if isinstance(reasons, str):
        reasons = (reasons,)
    elif isinstance(reasons, dict):
        reasons = tuple(f"{k}: {v}" for k, v in reasons.items())
    else:
        reasons = tuple(str(r) for r in reasons)
    return PairScore(float(score or 0.0), reasons, scorer)


def pair_scorer() -> PairScorer:
    """``dualtrace.score_pair`` when the screening layer provides it, else name similarity."""
    try:
        module = importlib.import_module("dualtrace")
        fn = getattr(module, "score_pair", None)
    except ImportError:  # pragma: no cover - dualtrace itself always imports
        fn = None
    if callable(fn):
        return ScreeningAdapter(fn)
    return NameSimilarityScorer()


@dataclass(slots=True)
class LinkCandidate:
    """A list entity a mention may refer to, with its score and every reason for it."""

    entity_id: str
    schema: str
    name: str
    datasets: list[str]
    score: float
    match: str  # 'full', 'core' or 'partial'
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "schema": self.schema,
            "name": self.name,
            "datasets": self.datasets,
            "score": round(self.score, 3),
            "match": self.match,
            "reasons": self.reasons,
        }
