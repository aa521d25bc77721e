"""dualtrace: an open engine for counter-proliferation and sanctions-evasion investigations.

Facts are loaded from lists, FtM data, trade records and documents as statements that
keep their provenance; everything else (resolution, graph, rules, reports) is derived
from those statements and can be rebuilt.
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from dualtrace.native import prefer_fresh_sources

# before any module is imported: a compiled matcher older than its sources must not
# run in their place (dualtrace.native)
prefer_fresh_sources()

if TYPE_CHECKING:
    from dualtrace.resolve.pair import score_pair as score_pair


def __getattr__(name: str) -> Any:
    """Lazy public API: ``dualtrace.score_pair`` without importing matching on every CLI run."""
    if name == "score_pair":
        from dualtrace.resolve.pair import score_pair

        return score_pair
    raise AttributeError(f"module 'dualtrace' has no attribute {name!r}")
