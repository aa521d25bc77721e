"""Screening records: an FtM entity reduced to what screening compares.

Queries (a counterparty typed by a user, a row of a batch file, a yente ``/match``
query) and candidates (entities assembled from the store) become the same
:class:`Record`, so every feature compares like with like. Names are normalised once
here, into all their romanised forms, with learned acronyms expanded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from followthemoney import model
from followthemoney.schema import Schema
from rigour.names import NameTypeTag, SymbolCategory, analyze_names

from dualtrace.errors import InputError
from dualtrace.names.acronyms import AcronymTable
from dualtrace.names.identifiers import Identifier, classify_identifier
from dualtrace.names.normalize import NameForm, name_forms, name_variants, token_key

WEAK_NAME_PROPS = frozenset({"weakAlias", "abbreviation"})
DATE_PROPS = frozenset({"birthDate", "incorporationDate"})
# Properties of FtM's identifier type that are not about the entity's identity.
SKIP_IDENTIFIER_PROPS = frozenset({"programId", "wikidataId"})


@dataclass(frozen=True, slots=True)
class NameEntry:
    """One comparable form of one of a record's names."""

    form: NameForm
    tokens: tuple[str, ...]
    weak: bool
    prop: str
    note: str | None = None


@dataclass(slots=True)
class Record:
    """What screening knows about one entity (query or candidate)."""

    id: str
    schema_name: str
    caption: str
    names: list[NameEntry] = field(default_factory=list)
    countries: frozenset[str] = frozenset()
    dates: frozenset[str] = frozenset()
    identifiers: tuple[Identifier, ...] = ()
    addresses: tuple[str, ...] = ()
    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    websites: frozenset[str] = frozenset()
    datasets: frozenset[str] = frozenset()
    properties: dict[str, list[str]] = field(default_factory=dict)
    first_seen: str | None = None
    last_seen: str | None = None
    symbols: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def schema(self) -> Schema:
        return get_schema(self.schema_name)

    @property
    def is_person(self) -> bool:
        return _is_person(self.schema_name)


@lru_cache(maxsize=512)
def get_schema(name: str) -> Schema:
    """The FtM schema called ``name``; an unknown schema is an input error."""
    schema = model.get(name)
    if schema is None:
        raise InputError(f"unknown FtM schema {name!r}", field="schema")
    return schema


@lru_cache(maxsize=512)
def _is_person(schema_name: str) -> bool:
    """Whether a schema is a Person (asked for every candidate of every query)."""
    return get_schema(schema_name).is_a("Person")


def name_symbols(names: list[str]) -> dict[str, frozenset[str]]:
    """Token key -> rigour NAME symbols (Wikidata ids of given/family names).

    rigour tags person-name parts with the ids of the names they spell, in any script
    (محمد and Mohamed share Muhammad's ids; Александр and Alexander share one), which
    bridges transliterations that edit distance cannot.

    Each name is analysed on its own (rigour does not consolidate across names here,
    so the union is what one call over all of them returns) and remembered: the index
    build analyses every list name, and batches repeat names.
    """
    out: dict[str, frozenset[str]] = {}
    for name in names:
        for key, ids in _name_symbols(name):
            have = out.get(key)
            out[key] = ids if have is None else have | ids
    return out


@lru_cache(maxsize=131072)
def _name_symbols(name: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """One name's (token key, NAME symbol ids) in the order rigour tags them."""
    out: dict[str, set[str]] = {}
    for analysed in analyze_names(NameTypeTag.PER, [name], consolidate=False, phonetics=False):
        for span in analysed.spans:
            if span.symbol.category != SymbolCategory.NAME:
                continue
            for part in span.parts:
                key = token_key(part.form)
                if key:
                    out.setdefault(key, set()).add(span.symbol.id)
    return tuple((k, frozenset(v)) for k, v in out.items())


def _phone(value: str) -> str | None:
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits[-9:] if len(digits) >= 7 else None


def _domain(value: str) -> str:
    text = value.lower().strip()
    for prefix in ("https://", "http://", "www."):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if text.startswith("www."):
        text = text[4:]
    return text.split("/")[0]


def _person_names(props: Mapping[str, list[str]]) -> list[str]:
    """Full names built from name parts when an entity gives only the parts."""
    first = props.get("firstName", [])
    last = props.get("lastName", [])
    middle = props.get("middleName", [])
    out = []
    for f in first:
        for la in last:
            out.append(" ".join([f, *middle[:1], la]))
    return out


def build_record(
    entity_id: str,
    schema: Schema,
    props: Mapping[str, list[str]],
    acronyms: AcronymTable | None = None,
    datasets: Iterable[str] = (),
    first_seen: str | None = None,
    last_seen: str | None = None,
) -> Record:
    """A :class:`Record` from FtM properties (values already grouped by property)."""
    names: list[NameEntry] = []
    countries: set[str] = set()
    dates: set[str] = set()
    idents: dict[str, Identifier] = {}
    addresses: list[str] = []
    phones: set[str] = set()
    emails: set[str] = set()
    sites: set[str] = set()
    name_values: list[tuple[str, str]] = []
    for prop_name, values in props.items():
        prop = schema.get(prop_name)
        if prop is None or not values:
            continue
        type_name = prop.type.name
        if type_name == "name":
            name_values.extend((prop_name, v) for v in values)
        elif type_name == "country":
            countries.update(v.lower() for v in values)
        elif type_name == "date" and prop_name in DATE_PROPS:
            dates.update(values)
        elif type_name == "identifier" and prop_name not in SKIP_IDENTIFIER_PROPS:
            for v in values:
                ident = classify_identifier(v)
                if ident is not None:
                    idents.setdefault(ident.value, ident)
        elif type_name == "address":
            addresses.extend(values)
        elif type_name == "phone":
            phones.update(p for p in map(_phone, values) if p)
        elif type_name == "email":
            emails.update(v.lower().strip() for v in values)
        elif type_name == "url" and prop_name == "website":
            sites.update(_domain(v) for v in values)
    if not any(p in ("name", "alias") for p, _ in name_values) and schema.is_a("Person"):
        name_values.extend(("name", n) for n in _person_names(props))
    # Every name as written first, learned variants after: a variant (discounted) must
    # never take the place of a name the entity really has with the same tokens, or
    # the score would depend on the order the store returned the values in.
    # names, then the other name properties, each in text order: the store does not
    # return one entity's values in a fixed order, and ties between equally good name
    # pairs, and which form a shared variant is explained by, follow this order
    name_values.sort(key=lambda pv: (pv[0] != "name", pv[0], pv[1]))
    seen: set[tuple[tuple[str, ...], bool]] = set()
    written: list[tuple[NameForm, bool, str]] = []
    for prop_name, full_value in name_values:
        weak = prop_name in WEAK_NAME_PROPS
        for value in name_variants(full_value):
            for form in name_forms(value):
                written.append((form, weak, prop_name))
                key = (form.tokens, weak)
                if key not in seen:
                    seen.add(key)
                    names.append(NameEntry(form, form.tokens, weak, prop_name))
    if acronyms is not None:
        for form, weak, prop_name in written:
            for tokens, note in acronyms.variants(form.tokens):
                vkey = (tokens, weak)
                if vkey not in seen:
                    seen.add(vkey)
                    names.append(NameEntry(form, tokens, weak, prop_name, note))
    symbols = name_symbols([v for _, v in name_values]) if schema.is_a("Person") else {}
    caption_values = props.get("name") or [v for _, v in name_values] or [entity_id]
    return Record(
        id=entity_id,
        schema_name=schema.name,
        caption=min(caption_values, key=len) if len(caption_values) > 3 else caption_values[0],
        names=names,
        countries=frozenset(countries),
        dates=frozenset(dates),
        identifiers=tuple(idents.values()),
        addresses=tuple(addresses),
        phones=frozenset(phones),
        emails=frozenset(emails),
        websites=frozenset(sites),
        datasets=frozenset(datasets),
        properties=dict(props),
        first_seen=first_seen,
        last_seen=last_seen,
        symbols=symbols,
    )


def record_from_dict(
    data: Mapping[str, Any], acronyms: AcronymTable | None = None, default_id: str = "query"
) -> Record:
    """A record from an FtM-shaped dict: ``{"schema": ..., "properties": {...}}``.

    Property values may be strings or lists of strings (yente accepts both). Unknown
    properties are input errors naming the property, as yente reports them.
    """
    schema_name = data.get("schema") or "Thing"
    if not isinstance(schema_name, str):
        raise InputError("schema must be a string", field="schema")
    schema = get_schema(schema_name)
    raw_props = data.get("properties") or {}
    if not isinstance(raw_props, Mapping):
        raise InputError("properties must be an object", field="properties")
    props: dict[str, list[str]] = {}
    for key, value in raw_props.items():
        if schema.get(key) is None:
            raise InputError(f"{schema.name} has no property {key!r}", field=key)
        values = value if isinstance(value, list) else [value]
        clean = [str(v).strip() for v in values if v is not None and str(v).strip()]
        if clean:
            props[key] = clean
    entity_id = data.get("id") or default_id
    return build_record(str(entity_id), schema, props, acronyms)
