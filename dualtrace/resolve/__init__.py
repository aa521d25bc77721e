"""Resolve who is who: the screening index and the scorer with reasons.

``ScreeningIndex`` screens one query at a time against everything loaded;
``score_pair`` scores two FtM-shaped entities directly. Feature functions live in
``dualtrace.resolve.features`` for reuse by bulk linkage.
"""

from dualtrace.resolve.index import ScreeningIndex, ScreeningResult
from dualtrace.resolve.pair import score_pair
from dualtrace.resolve.scorer import DEFAULT_THRESHOLD, FeatureScore, MatchScore

__all__ = [
    "DEFAULT_THRESHOLD",
    "FeatureScore",
    "MatchScore",
    "ScreeningIndex",
    "ScreeningResult",
    "score_pair",
]
