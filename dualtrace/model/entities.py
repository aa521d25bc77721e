"""Entities assembled from stored statements, with the entities around them.

An entity is never stored whole: it is rebuilt from the statements of the dataset
versions in force (or in force on a date), so merges can be undone and versions
compared. The view also gathers adjacent entities (sanctions, addresses, links,
ownerships) because a list entry's programs and addresses live on those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from followthemoney import model
from followthemoney.statement import Statement, StatementEntity

from dualtrace.sources.base import ftm_dataset
from dualtrace.store.duckdb_store import Store, StoredStatement


@dataclass
class EntityView:
    """An entity, its statements with provenance, and the entities linked to it."""

    id: str
    schema: str
    caption: str
    statements: list[StoredStatement]
    related: list[tuple[str, EntityView]] = field(default_factory=list)

    @property
    def datasets(self) -> list[str]:
        return sorted({s.dataset for s in self.statements})

    @property
    def referents(self) -> list[str]:
        return sorted({s.entity_id for s in self.statements})

    def values(self, prop: str) -> list[str]:
        out: list[str] = []
        for s in self.statements:
            if s.prop == prop and s.value not in out:
                out.append(s.value)
        return out

    def to_dict(self, with_related: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "schema": self.schema,
            "caption": self.caption,
            "datasets": self.datasets,
            "referents": self.referents,
            "statements": [s.to_dict() for s in self.statements if s.prop != Statement.BASE],
        }
        if with_related:
            data["related"] = [
                {"via": via, "entity": view.to_dict(with_related=False)}
                for via, view in self.related
            ]
        return data


def assemble(statements: list[StoredStatement]) -> StatementEntity:
    """An FtM entity from stored statements (schemata of merged records are unified)."""
    if not statements:
        raise ValueError("no statements")
    canonical = statements[0].canonical_id
    schemata = {s.schema for s in statements}
    schema = next(iter(schemata))
    if len(schemata) > 1:
        try:
            schema = model.common_schema(*schemata).name
        except Exception:  # incompatible schemata in one merge: most frequent wins
            schema = max(schemata, key=lambda n: sum(1 for s in statements if s.schema == n))
    entity = StatementEntity(ftm_dataset(statements[0].dataset), {"schema": schema})
    entity.id = canonical
    for s in statements:
        if s.prop == Statement.BASE:
            continue
        stmt = s.to_statement()
        stmt.canonical_id = canonical
        entity.add_statement(stmt)
    return entity


def entity_view(
    store: Store, entity_id: str, as_of: str | None = None, depth: int = 1
) -> EntityView:
    """The entity with its statements, plus adjacent entities up to ``depth`` hops."""
    statements = store.entity_statements(entity_id, as_of=as_of)
    if not statements:
        from dualtrace.errors import NotFoundError

        when = f" on {as_of}" if as_of else ""
        raise NotFoundError(f"entity {entity_id!r} is not in any list version in force{when}")
    entity = assemble(statements)
    view = EntityView(str(entity.id), entity.schema.name, entity.caption, statements)
    if depth <= 0:
        return view
    seen = {view.id}
    # Entities this one points to (addresses, parents) ...
    for s in statements:
        if s.prop_type == "entity" and s.value not in seen:
            seen.add(s.value)
            try:
                view.related.append((s.prop, entity_view(store, s.value, as_of, depth - 1)))
            except Exception:  # dangling reference: shown as such by callers
                continue
    # ... and entities pointing to it (sanctions, links, ownerships).
    for other_id, prop in store.referencing(view.id, as_of=as_of):
        if other_id in seen:
            continue
        seen.add(other_id)
        other = entity_view(store, other_id, as_of, 0)
        view.related.append((f"{other.schema}.{prop}", other))
    return view
