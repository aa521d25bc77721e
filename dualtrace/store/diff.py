"""What changed between two versions of a list: entities added, removed and changed.

Computed as set differences over statements in SQL, so a diff of two full SDN
publications takes well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dualtrace.store.duckdb_store import Store


@dataclass
class EntityChange:
    """One entity present in both versions whose properties differ."""

    entity_id: str
    schema: str
    caption: str
    added: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def properties(self) -> list[str]:
        return sorted(set(self.added) | set(self.removed))


@dataclass
class VersionDiff:
    dataset: str
    old: str
    new: str
    added: list[tuple[str, str, str]]  # (entity id, schema, caption)
    removed: list[tuple[str, str, str]]
    changed: list[EntityChange]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "old": self.old,
            "new": self.new,
            "added": [{"id": i, "schema": s, "caption": c} for i, s, c in self.added],
            "removed": [{"id": i, "schema": s, "caption": c} for i, s, c in self.removed],
            "changed": [
                {
                    "id": c.entity_id,
                    "schema": c.schema,
                    "caption": c.caption,
                    "properties": c.properties,
                    "added": c.added,
                    "removed": c.removed,
                }
                for c in self.changed
            ],
        }


_CAPTIONS = """
    SELECT entity_id, any_value(schema) AS schema,
           coalesce(min_by(value, length(value)) FILTER (WHERE prop = 'name'),
                    any_value(entity_id)) AS caption
    FROM statements WHERE dataset = ? AND version = ? GROUP BY entity_id
"""


def diff_versions(store: Store, dataset: str, old: str, new: str) -> VersionDiff:
    """Entities added, removed and changed (with the changed properties) from old to new."""
    store.require_version(dataset, old)
    store.require_version(dataset, new)
    con = store.con
    ents = """
        SELECT entity_id FROM statements WHERE dataset = ? AND version = ? AND prop = 'id'
    """
    added = con.execute(
        f"SELECT c.entity_id, c.schema, c.caption FROM ({_CAPTIONS}) c "
        f"WHERE c.entity_id IN ({ents} EXCEPT {ents}) ORDER BY c.entity_id",
        [dataset, new, dataset, new, dataset, old],
    ).fetchall()
    removed = con.execute(
        f"SELECT c.entity_id, c.schema, c.caption FROM ({_CAPTIONS}) c "
        f"WHERE c.entity_id IN ({ents} EXCEPT {ents}) ORDER BY c.entity_id",
        [dataset, old, dataset, old, dataset, new],
    ).fetchall()
    facts = """
        SELECT entity_id, prop, value FROM statements
        WHERE dataset = ? AND version = ? AND prop <> 'id'
    """
    both = f"({ents} INTERSECT {ents})"
    rows = con.execute(
        f"""
        WITH a AS ({facts}), b AS ({facts}), common AS {both},
        plus AS (SELECT *, 'added' AS side FROM (SELECT * FROM b EXCEPT SELECT * FROM a)),
        minus AS (SELECT *, 'removed' AS side FROM (SELECT * FROM a EXCEPT SELECT * FROM b))
        SELECT d.entity_id, c.schema, c.caption, d.prop, d.value, d.side
        FROM (SELECT * FROM plus UNION ALL SELECT * FROM minus) d
        JOIN ({_CAPTIONS}) c ON c.entity_id = d.entity_id
        WHERE d.entity_id IN (SELECT entity_id FROM common)
        ORDER BY d.entity_id, d.prop, d.side, d.value
        """,
        [dataset, old, dataset, new, dataset, old, dataset, new, dataset, new],
    ).fetchall()
    changes: dict[str, EntityChange] = {}
    for entity_id, schema, caption, prop, value, side in rows:
        change = changes.setdefault(entity_id, EntityChange(entity_id, schema, caption))
        getattr(change, side).setdefault(prop, []).append(value)
    return VersionDiff(
        dataset,
        old,
        new,
        [tuple(r) for r in added],
        [tuple(r) for r in removed],
        list(changes.values()),
    )
