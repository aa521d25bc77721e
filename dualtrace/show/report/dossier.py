"""Everything the store knows about one entity as of a date, each fact with its source.

The web profile and the HTML/PDF reports show the same dossier, so what an analyst
sees on screen is exactly what the exported report says. Building it is a handful of
queries against the store plus the direct neighbourhood; capabilities that land
separately (ownership rules, red flags, trade flows) add their sections through
:mod:`dualtrace.show.report.capabilities` and are marked unavailable otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from followthemoney import model

from dualtrace.errors import InputError
from dualtrace.graph.adjacency import store_index
from dualtrace.show.report.neighbourhood import (
    Edge,
    Neighbourhood,
    Node,
    describe_nodes,
    neighbourhood,
)
from dualtrace.store.duckdb_store import Store, StoredStatement

# Link types that make the other end an owner or controller of this entity.
PARENT_LINKS = frozenset({"Ownership", "Control", "parent"})
MAX_CHAIN_DEPTH = 6
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_as_of(value: str | None, field: str = "as_of") -> str | None:
    """A YYYY-MM-DD date or None; anything else is an InputError naming the field."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        if not DATE_RE.match(value):
            raise ValueError(value)
        dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"expected a date as YYYY-MM-DD, got {value!r}", field=field) from exc
    return value


def script_of(text: str) -> str:
    """The dominant writing system of a name (Latin, Cyrillic, Han, Arabic, ...)."""
    counts: dict[str, int] = defaultdict(int)
    for ch in text:
        if not ch.isalpha():
            continue
        try:
            name = unicodedata.name(ch)
        except ValueError:
            continue
        word = name.split()[0]
        if word == "CJK":
            word = "HAN"
        counts[word] += 1
    if not counts:
        return "Other"
    top = max(counts.items(), key=lambda kv: kv[1])[0]
    return top.capitalize()


@dataclass(slots=True)
class Evidence:
    """One stored statement and the sentence that cites where it came from."""

    statement: StoredStatement
    citation: str
    quote: str | None = None

    @property
    def doc_anchor(self) -> str | None:
        s = self.statement
        if not s.doc_id:
            return None
        if s.span_start is not None and s.span_end is not None:
            return f"{s.doc_id}#span-{s.span_start}-{s.span_end}"
        return s.doc_id


@dataclass(slots=True)
class Membership:
    """An entity's presence in one dataset across its versions, and status on a date."""

    dataset: str
    title: str
    kind: str | None
    publisher: str | None
    versions_present: list[str]
    versions_known: list[str]
    in_force: bool
    programs: list[str] = field(default_factory=list)
    listing_dates: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def first_seen(self) -> str | None:
        return self.versions_present[0] if self.versions_present else None

    @property
    def last_seen(self) -> str | None:
        return self.versions_present[-1] if self.versions_present else None

    @property
    def removed_after(self) -> str | None:
        """The first version after the last one naming the entity, if it was dropped."""
        last = self.last_seen
        later = [v for v in self.versions_known if last is not None and v > last]
        return later[0] if later else None


@dataclass(slots=True)
class Relation:
    """A direct link seen from this entity: who is at the other end and how."""

    edge: Edge
    other: Node
    outgoing: bool

    @property
    def phrase(self) -> str:
        if self.outgoing:
            return f"{self.edge.label} {self.other.caption}"
        return f"{self.other.caption} {self.edge.label} this entity"


@dataclass(slots=True)
class ChainStep:
    """One hop up an ownership/control chain: ``owner`` holds ``asset`` via ``edge``."""

    owner: Node
    asset: Node
    edge: Edge
    depth: int


@dataclass(slots=True)
class TimelineEvent:
    date: str
    what: str
    source: str


@dataclass(slots=True)
class Dossier:
    """The profile of one entity, ready for a page or a report."""

    id: str
    caption: str
    schema: str
    as_of: str | None
    listed: bool
    names: dict[str, list[tuple[str, str, list[str]]]]  # script -> (name, prop, datasets)
    identifiers: list[tuple[str, str, str]]  # (property label, value, citation)
    facts: list[tuple[str, str, str]]  # other properties: (label, value, citation)
    memberships: list[Membership]
    relations: list[Relation]
    chain: list[ChainStep]
    network: Neighbourhood
    evidence: list[Evidence]
    timeline: list[TimelineEvent]
    claims: list[Any] = field(default_factory=list)  # document claims naming the entity
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def parents(self) -> list[Node]:
        return [step.owner for step in self.chain if step.depth == 1]


def cite(store_titles: dict[str, str], s: StoredStatement) -> str:
    """A citation a reader can check: list and version, or document, page and span."""
    title = store_titles.get(s.dataset, s.dataset)
    if s.doc_id:
        where = f"document {s.doc_id}"
        if s.page is not None:
            where += f", page {s.page}"
        if s.span_start is not None and s.span_end is not None:
            where += f", characters {s.span_start}-{s.span_end}"
        return f"{title} ({s.dataset} {s.version}), {where}"
    loc = s.pointer.describe()
    return f"{title} ({s.dataset} version {s.version}), {loc}"


def build_dossier(
    store: Store, entity_id: str, as_of: str | None = None, quotes: Any = None
) -> Dossier:
    """Assemble the dossier; ``quotes(doc_id, start, end)`` may supply document quotes."""
    si = store_index(store)
    canonical = si.resolve(store, entity_id)
    statements = si.at(store, as_of).statements(canonical)
    titles = si.titles
    net = neighbourhood(store, [canonical], as_of=as_of)
    me = net.nodes.get(canonical)
    if me is None:  # not in any version in force on that date: still name it
        fallback = Node(canonical, canonical, "Thing")
        me = describe_nodes(store, [canonical]).get(canonical) or fallback
        me.listed = False

    by_script: dict[str, dict[str, tuple[str, set[str]]]] = defaultdict(dict)
    identifiers: list[tuple[str, str, str]] = []
    facts: list[tuple[str, str, str]] = []
    evidence: list[Evidence] = []
    timeline: list[TimelineEvent] = []
    schema = model.get(me.schema) or model.get("Thing")
    for s in statements:
        citation = cite(titles, s)
        quote = None
        if quotes is not None and s.doc_id and s.span_start is not None:
            quote = quotes(s.doc_id, s.span_start, s.span_end)
        evidence.append(Evidence(s, citation, quote))
        if s.prop == "id":
            continue
        prop = schema.get(s.prop) if schema is not None else None
        label = prop.label if prop is not None else s.prop
        if s.prop_type == "name":
            script = script_of(s.value)
            entry = by_script[script].get(s.value)
            datasets = entry[1] if entry else set()
            datasets.add(s.dataset)
            by_script[script][s.value] = (s.prop, datasets)
        elif s.prop_type == "identifier":
            identifiers.append((label, s.value, citation))
        elif s.prop_type != "entity":
            facts.append((label, s.value, citation))
        if s.prop_type == "date":
            timeline.append(TimelineEvent(s.value, f"{label}: {s.value}", citation))
    names = {
        script: sorted(
            ((value, prop, sorted(ds)) for value, (prop, ds) in entries.items()),
            key=lambda t: (t[1] != "name", t[0]),
        )
        for script, entries in sorted(by_script.items(), key=lambda kv: (kv[0] != "Latin", kv[0]))
    }
    memberships = list_memberships(store, canonical, as_of, titles)
    for m in memberships:
        if m.first_seen:
            timeline.append(
                TimelineEvent(
                    m.first_seen, f"first seen in {m.title}", f"{m.dataset} {m.first_seen}"
                )
            )
        if m.removed_after:
            timeline.append(
                TimelineEvent(
                    m.removed_after, f"no longer in {m.title}", f"{m.dataset} {m.removed_after}"
                )
            )
        for d in m.listing_dates:
            timeline.append(TimelineEvent(d, f"listed in {m.title}", m.dataset))
    relations: list[Relation] = []
    for e in net.edges:
        outgoing = e.source == canonical
        other_id = e.target if outgoing else e.source
        other = net.nodes.get(other_id)
        if other is None:
            continue
        relations.append(Relation(e, other, outgoing))
        if e.start:
            verb = "from" if outgoing else "by"
            timeline.append(
                TimelineEvent(e.start, f"{e.label} ({verb} {other.caption}) starts", e.type)
            )
        if e.end:
            timeline.append(TimelineEvent(e.end, f"{e.label} ({other.caption}) ends", e.type))
    relations.sort(key=lambda r: (r.edge.type, r.other.caption))
    from dualtrace.show.web.documents_view import claims_about

    raw_ids = set(si.entity_ids([canonical]))
    claims = claims_about(store, raw_ids)
    timeline.sort(key=lambda t: t.date)
    return Dossier(
        id=canonical,
        caption=me.caption,
        schema=me.schema,
        as_of=as_of,
        listed=me.listed,
        names=names,
        identifiers=sorted(identifiers),
        facts=sorted(facts),
        memberships=memberships,
        relations=relations,
        chain=ownership_chain(store, canonical, as_of, first=net),
        network=net,
        evidence=evidence,
        timeline=timeline,
        claims=claims,
    )


def ownership_chain(
    store: Store, canonical: str, as_of: str | None, first: Neighbourhood | None = None
) -> list[ChainStep]:
    """Owners and controllers upwards, breadth first, as far as the store states them."""
    steps: list[ChainStep] = []
    seen = {canonical}
    frontier = [canonical]
    net = first
    for depth in range(1, MAX_CHAIN_DEPTH + 1):
        if not frontier:
            break
        if net is None or depth > 1:
            net = neighbourhood(store, frontier, as_of=as_of)
        nxt: list[str] = []
        for e in net.edges:
            if e.type not in PARENT_LINKS or e.target not in frontier:
                continue
            owner, asset = net.nodes.get(e.source), net.nodes.get(e.target)
            if owner is None or asset is None:
                continue
            steps.append(ChainStep(owner, asset, e, depth))
            if owner.id not in seen:
                seen.add(owner.id)
                nxt.append(owner.id)
        frontier = nxt
    return steps


def list_memberships(
    store: Store, canonical: str, as_of: str | None, titles: dict[str, str] | None = None
) -> list[Membership]:
    """Which datasets name the entity, in which versions, and whether as of ``as_of``."""
    si = store_index(store)
    idx = si.at(store, as_of)
    titles = titles or si.titles
    info = {d.name: d for d in si.datasets}
    sanctions = _sanction_records(store, canonical, as_of)
    out = []
    for dataset, versions in si.presence(canonical):
        row = info.get(dataset)
        current = idx.in_force.get(dataset)
        rec = sanctions.get(dataset, {})
        out.append(
            Membership(
                dataset=dataset,
                title=titles.get(dataset, dataset),
                kind=row.kind if row is not None else None,
                publisher=row.publisher if row is not None else None,
                versions_present=list(versions),
                versions_known=[v.version for v in row.versions] if row is not None else [],
                in_force=current is not None and current in versions,
                programs=sorted(rec.get("program", set()) | rec.get("programId", set())),
                listing_dates=sorted(rec.get("listingDate", set()) | rec.get("startDate", set())),
                reasons=sorted(rec.get("reason", set())),
            )
        )
    return out


SANCTION_PROPS = frozenset({"program", "programId", "listingDate", "startDate", "reason"})


def _sanction_records(
    store: Store, canonical: str, as_of: str | None
) -> dict[str, dict[str, set[str]]]:
    """Programme, listing date and reason from the Sanction entities about the entity."""
    si = store_index(store)
    idx = si.at(store, as_of)
    refs = idx.columns(
        idx.referencing(si.entity_ids([canonical])), ("canonical_id", "schema", "prop")
    )
    sanctions = {
        cid
        for cid, schema, prop in zip(*refs.columns.values(), strict=True)
        if schema == "Sanction" and prop == "entity"
    }
    rows = idx.columns(idx.rows_of(sorted(sanctions)), ("dataset", "prop", "value"))
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for dataset, prop, value in zip(*rows.columns.values(), strict=True):
        if prop in SANCTION_PROPS:
            out[dataset][prop].add(value)
    return out
