"""What every list reader records the same way: listings, identifiers and rejected values.

A list entry is two FtM entities: the listed party, and a ``Sanction`` that says which
list, programme and authority listed it, and when. Keeping the listing separate is what
lets ``dualtrace show`` print every list membership of a merged entity with its own
provenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from followthemoney import registry
from followthemoney.statement import StatementEntity

from dualtrace.model.provenance import LoadReport, SourcePointer
from dualtrace.model.territories import country_code
from dualtrace.sources.base import add_value, make_entity
from dualtrace.sources.identifier_props import specific_prop

# Types whose cleaning is costly (rigour lookups) and whose values repeat across rows.
_CACHED_TYPES = frozenset({"country", "url", "date", "topic", "gender", "language"})


@lru_cache(maxsize=65536)
def _clean(type_name: str, value: str) -> str | None:
    """FtM's cleaning of one value, memoised: list files repeat countries, URLs and dates."""
    if type_name == "country":
        return country_code(value)
    prop_type = registry.get(type_name)
    return None if prop_type is None else prop_type.clean(value)


def add_checked(
    entity: StatementEntity,
    prop: str,
    value: str | None,
    at: SourcePointer,
    report: LoadReport,
    lang: str | None = None,
) -> str | None:
    """Add a value; a value FtM rejects (bad date, unknown country) becomes a load issue."""
    if value is None or not value.strip():
        return None
    if entity.schema.get(prop) is None:
        value = f"{prop}: {value}"
        prop = "notes"
    prop_type = entity.schema.properties[prop].type
    if prop_type.name in _CACHED_TYPES:
        cleaned = _clean(prop_type.name, value.strip())
        if cleaned is None:
            report.issue(at.file or "", at.row, prop, f"value rejected by FtM type: {value!r}")
            return None
        return add_value(entity, prop, cleaned, at, lang=lang, cleaned=True)
    added = add_value(entity, prop, value, at, lang=lang)
    if added is None:
        report.issue(at.file or "", at.row, prop, f"value rejected by FtM type: {value!r}")
    return added


def add_identifier(
    entity: StatementEntity,
    generic_prop: str,
    number: str,
    country: str | None,
    at: SourcePointer,
    report: LoadReport,
) -> str | None:
    """Add a registry number in its scheme property (``innCode``) when its check digits say so."""
    prop = specific_prop(generic_prop, number, country)
    if entity.schema.get(prop) is None:
        prop = generic_prop if entity.schema.get(generic_prop) is not None else "idNumber"
    if entity.schema.get(prop) is None:
        prop = "notes"
        number = f"{generic_prop}: {number}"
    return add_checked(entity, prop, number, at, report)


@dataclass(frozen=True, slots=True)
class Listing:
    """One list entry's listing facts, turned into a Sanction entity by :func:`make_sanction`."""

    authority: str
    program: str | None = None
    listing_date: str | None = None
    end_date: str | None = None
    reason: str | None = None
    provisions: str | None = None
    source_url: str | None = None
    country: str | None = None
    topic: str = "sanction"  # FtM topic: sanction, export.control, debarment, ...


def make_sanction(
    dataset: str,
    subject: StatementEntity,
    key: str,
    listing: Listing,
    at: SourcePointer,
    report: LoadReport,
) -> StatementEntity:
    """The Sanction entity linking ``subject`` to the list (and programme) that names it."""
    assert subject.id is not None
    sanction = make_entity(dataset, "Sanction", f"{subject.id}-sanction-{key}")
    add_value(sanction, "entity", subject.id, at)
    add_value(sanction, "authority", listing.authority, at)
    add_checked(sanction, "program", listing.program, at, report)
    add_checked(sanction, "startDate", listing.listing_date, at, report)
    add_checked(sanction, "listingDate", listing.listing_date, at, report)
    add_checked(sanction, "endDate", listing.end_date, at, report)
    add_checked(sanction, "reason", listing.reason, at, report)
    add_checked(sanction, "provisions", listing.provisions, at, report)
    add_checked(sanction, "sourceUrl", listing.source_url, at, report)
    add_checked(sanction, "country", listing.country, at, report)
    if listing.program:
        add_checked(subject, "program", listing.program, at, report)
    add_value(subject, "topics", listing.topic, at)
    return sanction
