"""The entities around an entity, read straight from the store's statements.

The workspace's network view and the reports' network figure both need "who is
connected to X, how, and since when". FtM states links in two ways: interval entities
whose schema is an edge (Ownership owner->asset, Directorship director->organization,
Payment, Family, ...) and plain entity-valued properties (``Company.parent``,
``addressEntity``). Both are read from the store's entity index
(:mod:`dualtrace.graph.adjacency`: the statements in force sorted by entity, with
inbound references, built once per store version), so an expansion is a few dict
lookups however many neighbours a node has, instead of several passes over all
statements. Sanction, Identification and similar "about this entity" records are not
neighbours: they are list memberships and identifiers, shown on the profile.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from followthemoney import model

from dualtrace.graph.adjacency import StoreIndex, store_index
from dualtrace.store.duckdb_store import Store

# Schemata that describe their subject rather than link two parties.
ATTRIBUTE_SCHEMATA = frozenset(
    {"Sanction", "Identification", "Passport", "Note", "Position", "Risk", "Mention"}
)
# Edge properties shown as labels (in this order) when present.
EDGE_DETAIL_PROPS = ("percentage", "role", "relationship", "amount", "currency", "status")
DATE_PROPS = ("startDate", "date", "endDate")


@dataclass(slots=True)
class Node:
    """One entity as drawn in a network: enough to label, colour and link it."""

    id: str
    caption: str
    schema: str
    listed: bool = False
    datasets: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "caption": self.caption,
            "schema": self.schema,
            "listed": self.listed,
            "datasets": self.datasets,
            "countries": self.countries,
        }


@dataclass(slots=True)
class Edge:
    """A directed link with its type, dates and the statement ids that state it."""

    id: str
    source: str
    target: str
    type: str  # FtM schema of the link (Ownership, Directorship) or the property name
    label: str
    start: str | None = None
    end: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    datasets: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "target": self.target,
            "type": self.type,
            "label": self.label,
            "start": self.start,
            "end": self.end,
            "details": self.details,
            "datasets": self.datasets,
        }


@dataclass(slots=True)
class Neighbourhood:
    """Nodes and edges found around a set of centre entities."""

    centre: list[str]
    nodes: dict[str, Node]
    edges: list[Edge]

    def to_dict(self) -> dict[str, Any]:
        return {
            "centre": self.centre,
            "nodes": [n.to_dict() for n in self.nodes.values()],
            "edges": [e.to_dict() for e in self.edges],
        }


def _index(store: Store) -> StoreIndex:
    return store_index(store)


def has_merges(store: Store) -> bool:
    """Whether any merge decision maps entity ids to other canonical ids."""
    return _index(store).has_merges


def entity_ids_of(store: Store, canonical_ids: Sequence[str]) -> dict[str, str]:
    """Every raw entity id (and the canonical id itself) mapped to its canonical id."""
    return _index(store).entity_ids(canonical_ids)


def canonicalise(store: Store, ids: Iterable[str]) -> dict[str, str]:
    """Map referenced ids (which may be pre-merge entity ids) to canonical ids."""
    si = _index(store)
    return {i: si.canonical(i) for i in sorted(set(ids))}


def pick_caption(names: Iterable[tuple[str, str]]) -> str | None:
    """A display name: a primary ``name`` in Latin script if any, else the shortest.

    Lists give long legal names as primary and short forms as aliases; the primary
    Latin name is what an investigator expects to read first.
    """
    best: tuple[int, int, int, str] | None = None
    for prop, value in names:
        latin = 0 if value.isascii() else 1
        primary = 0 if prop == "name" else 1
        key = (primary, latin, len(value), value)
        if best is None or key < best:
            best = key
    return best[3] if best else None


def describe_nodes(store: Store, ids: Iterable[str], as_of: str | None = None) -> dict[str, Node]:
    """Caption, schema, list status, datasets and countries of canonical ids.

    Read from the store's entity index (:mod:`dualtrace.graph.adjacency`): the nodes'
    own statements, and the Sanction records pointing at any of their raw ids.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    si = _index(store)
    idx = si.at(store, as_of)
    id_map = si.entity_ids(wanted)
    kinds = si.kinds
    names: dict[str, list[tuple[str, str]]] = defaultdict(list)
    addresses: dict[str, list[tuple[str, str]]] = defaultdict(list)
    schemata: dict[str, set[str]] = defaultdict(set)
    datasets: dict[str, set[str]] = defaultdict(set)
    countries: dict[str, set[str]] = defaultdict(set)
    listed: set[str] = set()
    refs = idx.columns(idx.referencing(id_map), ("schema", "prop", "value"))
    for schema, prop, value in zip(refs["schema"], refs["prop"], refs["value"], strict=True):
        if schema == "Sanction" and prop == "entity":
            listed.add(id_map[value])  # FtM data states listings this way
    own = idx.columns(
        idx.rows_of(wanted), ("canonical_id", "schema", "prop", "prop_type", "value", "dataset")
    )
    for cid, schema, prop, prop_type, value, dataset in zip(*own.columns.values(), strict=True):
        if not (prop in ("id", "topics") or prop_type in ("name", "country", "address")):
            continue
        schemata[cid].add(schema)
        datasets[cid].add(dataset)
        if (prop == "id" and kinds.get(dataset) in ("list", "sanctions", "export-control")) or (
            prop == "topics" and str(value).startswith("sanction")
        ):
            listed.add(cid)
        elif prop_type == "name":
            names[cid].append((prop, value))
        elif prop_type == "country":
            countries[cid].add(value)
        elif prop_type == "address":
            addresses[cid].append(("name", value))
    out: dict[str, Node] = {}
    for cid in wanted:
        if cid not in schemata:
            continue  # referenced but not held in the store (or not in force)
        schema = _common_schema(schemata.get(cid, set()))
        out[cid] = Node(
            id=cid,
            caption=pick_caption(names.get(cid, [])) or pick_caption(addresses.get(cid, [])) or cid,
            schema=schema,
            # an address or a link read from a list is not itself a listed party
            listed=cid in listed and _can_be_listed(schema),
            datasets=sorted(datasets.get(cid, set())),
            countries=sorted(countries.get(cid, set())),
        )
    return out


def _can_be_listed(schema_name: str) -> bool:
    schema = model.get(schema_name)
    return schema is not None and schema.matchable and schema.name != "Address"


def _common_schema(names: set[str]) -> str:
    """The most specific schema all statements agree on (Company beats LegalEntity)."""
    result = None
    for name in sorted(names):
        schema = model.get(name)
        if schema is None:
            continue
        try:
            result = schema if result is None else model.common_schema(result, schema)
        except Exception:
            continue
    return result.name if result is not None else (sorted(names)[0] if names else "Thing")


def neighbourhood(
    store: Store,
    centre: Sequence[str],
    as_of: str | None = None,
    limit: int = 2000,
) -> Neighbourhood:
    """All direct links of the ``centre`` entities, with their other ends described."""
    si = _index(store)
    idx = si.at(store, as_of)
    id_map = si.entity_ids(centre)
    centre_canon = sorted({id_map[c] for c in centre if c in id_map} or set(centre))
    raw_ids = list(id_map)
    # 1. entities that point at a centre entity (edge entities, or parent/address props)
    refs = idx.columns(idx.referencing(raw_ids), ("canonical_id", "schema"))
    inbound = list(dict.fromkeys(zip(refs["canonical_id"], refs["schema"], strict=True)))[:limit]
    edge_entities = [
        str(cid)
        for cid, schema in inbound
        if (s := model.get(schema)) is not None and s.edge and schema not in ATTRIBUTE_SCHEMATA
    ]
    pointing_things = [
        str(cid)
        for cid, schema in inbound
        if (s := model.get(schema)) is not None and not s.edge and schema not in ATTRIBUTE_SCHEMATA
    ]
    # 2. entity-valued statements of the edge entities, the pointing things and the centre
    detail_props = frozenset((*EDGE_DETAIL_PROPS, *DATE_PROPS))
    around = dict.fromkeys([*edge_entities, *pointing_things, *centre_canon])
    cols = idx.columns(
        idx.rows_of(around), ("canonical_id", "schema", "prop", "prop_type", "value", "dataset")
    )
    rows = [
        r
        for r in zip(*cols.columns.values(), strict=True)
        if r[3] == "entity" or r[2] in detail_props
    ]
    props: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    schema_of: dict[str, str] = {}
    datasets_of: dict[str, set[str]] = defaultdict(set)
    referenced: set[str] = set()
    for cid, schema, prop, prop_type, value, dataset in rows:
        props[cid][prop].append(str(value))
        schema_of[cid] = schema
        datasets_of[cid].add(dataset)
        if prop_type == "entity":
            referenced.add(str(value))
    canon = {r: si.canonical(r) for r in referenced}
    centre_set = set(centre_canon)
    edges: list[Edge] = []
    edge_set = set(edge_entities)
    for eid in edge_entities:
        schema = model.get(schema_of.get(eid, ""))
        if schema is None or not schema.edge_source or not schema.edge_target:
            continue
        p = props[eid]
        details = {k: ", ".join(sorted(set(p[k]))) for k in EDGE_DETAIL_PROPS if p.get(k)}
        for src in p.get(schema.edge_source, []):
            for tgt in p.get(schema.edge_target, []):
                s_id, t_id = canon.get(src, src), canon.get(tgt, tgt)
                if s_id not in centre_set and t_id not in centre_set:
                    continue
                edges.append(
                    Edge(
                        id=f"{eid}:{s_id}:{t_id}",
                        source=s_id,
                        target=t_id,
                        type=schema.name,
                        label=_edge_label(schema.edge_label or schema.name, details),
                        start=_first(p, "startDate") or _first(p, "date"),
                        end=_first(p, "endDate"),
                        details=details,
                        datasets=sorted(datasets_of[eid]),
                    )
                )
    # plain entity-valued properties (Company.parent, addressEntity, ...), both directions
    for cid in [*pointing_things, *centre_canon]:
        if cid in edge_set:
            continue
        schema = model.get(schema_of.get(cid, ""))
        if schema is None:
            continue
        for prop_name, values in props[cid].items():
            prop = schema.get(prop_name)
            if prop is None or prop.type.name != "entity":
                continue
            for value in values:
                target = canon.get(value, value)
                if cid not in centre_set and target not in centre_set:
                    continue
                if target == cid:
                    continue
                target_schema = prop.range.name if prop.range is not None else ""
                if target_schema in ATTRIBUTE_SCHEMATA:
                    continue
                edges.append(
                    Edge(
                        id=f"{cid}:{prop_name}:{target}",
                        source=cid,
                        target=target,
                        type=prop_name,
                        label=prop.label.lower(),
                        datasets=sorted(datasets_of[cid]),
                    )
                )
    edges.extend(_claim_edges(store, raw_ids, centre_set))
    node_ids = set(centre_canon)
    for e in edges:
        node_ids.add(e.source)
        node_ids.add(e.target)
    nodes = describe_nodes(store, node_ids, as_of)
    # references to entities the store does not hold stay out of the picture
    edges = [e for e in edges if e.source in nodes and e.target in nodes]
    unique: dict[str, Edge] = {}
    for e in edges:
        unique.setdefault(e.id, e)
    return Neighbourhood(centre=centre_canon, nodes=nodes, edges=list(unique.values()))


def _claim_edges(store: Store, raw_ids: list[str], centre: set[str]) -> list[Edge]:
    """Links stated by accepted document claims ("X, a subsidiary of Y").

    Once the documents capability republishes accepted facts as statements
    (``dualtrace.documents.accepted``), those statements are read like any other and
    carry the document, page and span themselves; the claims are then not read again.
    """
    from dualtrace.show.report.capabilities import optional
    from dualtrace.show.web.documents_view import claim_links

    if optional("dualtrace.documents.accepted", "publish_accepted") is not None:
        return []

    links = claim_links(store, set(raw_ids) | centre)
    if not links:
        return []
    canon = canonicalise(store, [i for link in links for i in (link.source_id, link.target_id)])
    out = []
    for link in links:
        s_id = canon.get(link.source_id, link.source_id)
        t_id = canon.get(link.target_id, link.target_id)
        if s_id not in centre and t_id not in centre:
            continue
        schema = model.get(link.schema)
        base = (schema.edge_label if schema is not None else None) or link.schema
        out.append(
            Edge(
                id=f"{link.claim_id}:{s_id}:{t_id}",
                source=s_id,
                target=t_id,
                type=link.schema,
                label=f"{base} (document claim, {link.status})",
                details={"claim": link.claim_id, "page": str(link.page), "quote": link.quote},
                datasets=[f"document {link.doc_id}"],
            )
        )
    return out


def _first(props: dict[str, list[str]], name: str) -> str | None:
    values = sorted(props.get(name, []))
    return values[0] if values else None


def _edge_label(base: str, details: dict[str, str]) -> str:
    if "percentage" in details:
        return f"{base} {details['percentage']}%"
    if "role" in details and details["role"].lower() != base.lower():
        return f"{base} ({details['role']})"
    return base
