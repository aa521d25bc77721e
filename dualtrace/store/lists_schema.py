"""Tables of store migration 2 (issue 3, lists): merge decisions, resolver, fetch log.

Kept apart from :mod:`dualtrace.store.migrations` so the merge and fetch code can
re-create the tables added to migration 2 after it first shipped (``IF NOT EXISTS``)
on stores that already applied its first form.
"""

from __future__ import annotations

import duckdb

MERGE_DECISIONS_DDL = """
CREATE TABLE IF NOT EXISTS merge_decisions (
  id VARCHAR PRIMARY KEY,
  canonical_id VARCHAR NOT NULL,
  entity_ids VARCHAR[] NOT NULL,
  evidence JSON NOT NULL,
  method VARCHAR NOT NULL,
  decided_by VARCHAR NOT NULL,
  decided_at TIMESTAMP NOT NULL,
  undone_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS resolver (
  entity_id VARCHAR PRIMARY KEY,
  canonical_id VARCHAR NOT NULL,
  decision_id VARCHAR NOT NULL
);
"""
# Comparison keys per distinct name, so re-running the merge only normalises new names.
MERGE_NAME_KEYS_DDL = """
CREATE TABLE IF NOT EXISTS merge_name_keys (
  value VARCHAR NOT NULL,
  person BOOLEAN NOT NULL,
  nkeys VARCHAR[] NOT NULL,
  PRIMARY KEY (value, person)
);
"""
LIST_FETCHES_DDL = """
CREATE TABLE IF NOT EXISTS list_fetches (
  list VARCHAR NOT NULL,
  url VARCHAR NOT NULL,
  fetched_at TIMESTAMP NOT NULL,
  status VARCHAR NOT NULL,
  http_status INTEGER,
  etag VARCHAR,
  last_modified VARCHAR,
  content_type VARCHAR,
  bytes BIGINT,
  sha256 VARCHAR,
  versions VARCHAR[],
  message VARCHAR
);
"""
LISTS_SQL = MERGE_DECISIONS_DDL + MERGE_NAME_KEYS_DDL + LIST_FETCHES_DDL


def ensure_lists_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create any migration-2 table a store lacks (stores migrated before it grew)."""
    con.execute(LISTS_SQL)
