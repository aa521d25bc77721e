"""The name score does not depend on the order the store returns an entity's names in,
nor on what was built earlier in the process.

The store groups statements by entity but returns one entity's values in no fixed
order (it varied between test runs and with the hash seed of the process that loaded
it). A learned variant (ИЭМЗ contracted from the romanised full name, discounted as
an acronym path) used to take the place of a name the entity really has with the same
tokens when it happened to come first, so "АО «ИЭМЗ «Купол»" scored 0.90 against IEMZ
Kupol in some runs and 1.0 in others; and the learned word translations and acronym
expansions themselves differed with that order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dualtrace.resolve.index import RawEntity, ScreeningIndex, iter_raw_entities
from dualtrace.store import Store
from tests.screening_corpus import OFAC_ID

KUPOL_QUERY = {"schema": "Company", "properties": {"name": ["АО «ИЭМЗ «Купол»"]}}


def _reordered(raws: list[RawEntity], reverse: bool) -> list[RawEntity]:
    """The same entities with every property's values, and the properties, re-ordered."""
    out = []
    for raw in raws:
        props = {
            k: sorted(v, reverse=reverse) for k, v in sorted(raw.props.items(), reverse=reverse)
        }
        out.append(
            RawEntity(raw.id, raw.schema, props, raw.datasets, raw.first_seen, raw.last_seen)
        )
    return out


def _kupol_name_feature(index: ScreeningIndex) -> tuple[float, str | None]:
    query = index.query_record(KUPOL_QUERY)
    record = index.get(OFAC_ID["kupol"])
    assert record is not None
    score = index.match(query, limit=20)
    found = [r for r in score if r.record.id == OFAC_ID["kupol"]]
    assert found, "IEMZ Kupol is retrieved"
    name = next(f for f in found[0].score.features if f.name == "name_match")
    return name.value, name.detail


@pytest.fixture(scope="module")
def raws(corpus_store_path: Path) -> list[RawEntity]:
    with Store.open(corpus_store_path, read_only=True) as store:
        return list(iter_raw_entities(store))


def test_name_path_independent_of_value_order_and_earlier_indexes(raws: list[RawEntity]) -> None:
    # an unrelated index first, as other tests in the same process build them
    small = ScreeningIndex.from_entities(
        [
            {
                "id": "a",
                "schema": "Company",
                "properties": {"name": ["ООО Ромашка", "Romashka LLC"]},
            },
            {"id": "b", "schema": "Company", "properties": {"name": ["АО ИЭМЗ Купол"]}},
        ]
    )
    assert len(small) == 2
    # "AKTSIONERNOE OBSHCHESTVO IZHEVSKI ELEKTROMEKHANICHESKI ZAVOD KUPOL" sorts before
    # "AO IEMZ KUPOL" / "JSC IEMZ KUPOL": its contraction to "iemz kupol" came first
    ascending = ScreeningIndex(_reordered(raws, reverse=False))
    descending = ScreeningIndex(_reordered(raws, reverse=True))
    up, down = _kupol_name_feature(ascending), _kupol_name_feature(descending)
    # the direct romanised alias, not the discounted learned-acronym path (0.90)
    assert up[0] > 0.9 and "learned" not in (up[1] or ""), up
    assert up == down
    assert ascending.translations.translate == descending.translations.translate
    assert ascending.translations.equivalents == descending.translations.equivalents
    assert ascending.acronyms.expansions == descending.acronyms.expansions
    kupol_up = ascending.get(OFAC_ID["kupol"])
    kupol_down = descending.get(OFAC_ID["kupol"])
    assert kupol_up is not None and kupol_down is not None
    assert [(e.tokens, e.note) for e in kupol_up.names] == [
        (e.tokens, e.note) for e in kupol_down.names
    ]
    # every name the entity really has stays a name of its own, never only a variant
    direct = {e.tokens for e in kupol_up.names if e.note is None}
    assert ("iemz", "kupol") in direct
