"""Score one query against one candidate without an index (``dualtrace.score_pair``).

Without a loaded corpus there are no document frequencies, so token rarity falls back
to length: long words are usually distinctive, two-letter ones rarely are. Acronyms
are learned from the two entities' own names, as the index learns them from a list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dualtrace.names.acronyms import AcronymTable
from dualtrace.resolve.features import Context
from dualtrace.resolve.records import record_from_dict
from dualtrace.resolve.scorer import DEFAULT_THRESHOLD, MatchScore, score_records

# Roughly what IDF gives a distinctive word in a 50,000-entity corpus.
MAX_STANDALONE_WEIGHT = 11.0


def length_weight(token: str) -> float:
    """Rarity proxy without a corpus: 3 + 0.8 per letter up to 10 letters."""
    w = 3.0 + 0.8 * min(len(token), 10)
    return w * 0.5 if len(token) <= 2 else w


def score_pair(
    query: Mapping[str, Any],
    candidate: Mapping[str, Any],
    threshold: float = DEFAULT_THRESHOLD,
) -> MatchScore:
    """Score an FtM-shaped query dict against an FtM-shaped candidate dict.

    Both are ``{"schema": ..., "properties": {prop: [values]}}``. Returns the score
    (a probability), the match decision at ``threshold`` and each feature's
    contribution in words (``result.reasons``).
    """
    plain_q = record_from_dict(query, default_id="query")
    plain_c = record_from_dict(candidate, default_id="candidate")
    table = AcronymTable()
    for rec in (plain_q, plain_c):
        table.learn(rec.id, [n.form for n in rec.names])
    table.freeze()
    q = record_from_dict(query, table, default_id="query")
    c = record_from_dict(candidate, table, default_id="candidate")
    return score_records(q, c, Context(length_weight, MAX_STANDALONE_WEIGHT), threshold)
