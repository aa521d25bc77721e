"""Versioned schema migrations for the DuckDB store.

Each migration runs once, in order, inside the same transaction that records it in
``schema_migrations``; a store written by an older dualtrace is upgraded on open and a
store written by a newer one is refused rather than misread.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from dualtrace.errors import StoreError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


STATEMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "VARCHAR NOT NULL"),
    ("entity_id", "VARCHAR NOT NULL"),
    ("canonical_id", "VARCHAR NOT NULL"),
    ("schema", "VARCHAR NOT NULL"),
    ("prop", "VARCHAR NOT NULL"),
    ("prop_type", "VARCHAR NOT NULL"),
    ("value", "VARCHAR NOT NULL"),
    ("dataset", "VARCHAR NOT NULL"),
    ("version", "VARCHAR NOT NULL"),
    ("lang", "VARCHAR"),
    ("original_value", "VARCHAR"),
    ("external", "BOOLEAN NOT NULL"),
    ("first_seen", "VARCHAR"),
    ("last_seen", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("source_row", "BIGINT"),
    ("doc_id", "VARCHAR"),
    ("page", "INTEGER"),
    ("span_start", "BIGINT"),
    ("span_end", "BIGINT"),
    ("reliability", "VARCHAR"),
    ("load_id", "VARCHAR NOT NULL"),
    ("loaded_at", "TIMESTAMP NOT NULL"),
)

_statements_ddl = ",\n  ".join(f"{n} {t}" for n, t in STATEMENT_COLUMNS)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "statements, datasets, versions, loads and load issues",
        f"""
CREATE TABLE datasets (
  name VARCHAR PRIMARY KEY,
  title VARCHAR NOT NULL,
  publisher VARCHAR,
  url VARCHAR,
  reliability VARCHAR,
  kind VARCHAR
);
CREATE TABLE loads (
  load_id VARCHAR PRIMARY KEY,
  dataset VARCHAR NOT NULL,
  version VARCHAR NOT NULL,
  version_basis VARCHAR NOT NULL,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP NOT NULL,
  source_files VARCHAR NOT NULL,
  entities BIGINT NOT NULL,
  statements BIGINT NOT NULL,
  issues BIGINT NOT NULL
);
CREATE TABLE dataset_versions (
  dataset VARCHAR NOT NULL,
  version VARCHAR NOT NULL,
  version_basis VARCHAR NOT NULL,
  load_id VARCHAR NOT NULL,
  loaded_at TIMESTAMP NOT NULL,
  entities BIGINT NOT NULL,
  statements BIGINT NOT NULL,
  PRIMARY KEY (dataset, version)
);
CREATE TABLE statements (
  {_statements_ddl}
);
CREATE TABLE load_issues (
  load_id VARCHAR NOT NULL,
  file VARCHAR NOT NULL,
  row BIGINT,
  field VARCHAR,
  severity VARCHAR NOT NULL,
  message VARCHAR NOT NULL
);
""",
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


def migrate(con: duckdb.DuckDBPyConnection, path: str) -> int:
    """Bring the store at ``path`` up to :data:`LATEST_VERSION`; returns the version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    applied = {int(r[0]) for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
    known = {m.version for m in MIGRATIONS}
    current = max(applied, default=0)
    if applied - known:
        raise StoreError(
            f"{path}: store schema version {current} is newer than this dualtrace "
            f"supports ({LATEST_VERSION}); upgrade dualtrace"
        )
    for migration in sorted(MIGRATIONS, key=lambda m: m.version):
        if migration.version in applied:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, current_timestamp)",
                [migration.version, migration.name],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        current = max(current, migration.version)
    return current
