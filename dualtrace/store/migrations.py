"""Versioned schema migrations for the DuckDB store.

Each migration runs once, in order, inside the same transaction that records it in
``schema_migrations``; a store written by an older dualtrace is upgraded on open and a
store written by a newer one is refused rather than misread.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from dualtrace.documents.schema import (
    DOCUMENTS_MIGRATION_NAME,
    DOCUMENTS_MIGRATION_VERSION,
    DOCUMENTS_SQL,
)
from dualtrace.errors import StoreError
from dualtrace.security.schema import (
    SECURITY_MIGRATION_NAME,
    SECURITY_MIGRATION_VERSION,
    SECURITY_SQL,
)
from dualtrace.show.web.case_schema import (
    CASES_MIGRATION_NAME,
    CASES_MIGRATION_VERSION,
    CASES_SQL,
)
from dualtrace.store.lists_schema import LISTS_SQL


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

# Migration 3 (trade records, issue 5). Frozen SQL: a later change to the trade model
# gets its own migration; tests/trade/test_model.py checks this table matches
# dualtrace.trade.model.TRADE_FIELDS.
_TRADE_SQL = """
CREATE TABLE trade_records (
  record_key VARCHAR NOT NULL,
  record_id VARCHAR NOT NULL,
  dataset VARCHAR NOT NULL,
  batch_id VARCHAR NOT NULL,
  source_file VARCHAR NOT NULL,
  source_row BIGINT NOT NULL,
  date DATE,
  exporter_name VARCHAR,
  exporter_address VARCHAR,
  exporter_country VARCHAR,
  exporter_id VARCHAR,
  importer_name VARCHAR,
  importer_address VARCHAR,
  importer_country VARCHAR,
  importer_id VARCHAR,
  notify_name VARCHAR,
  notify_address VARCHAR,
  notify_country VARCHAR,
  notify_id VARCHAR,
  declarant_name VARCHAR,
  declarant_address VARCHAR,
  declarant_country VARCHAR,
  declarant_id VARCHAR,
  origin_country VARCHAR,
  dispatch_country VARCHAR,
  destination_country VARCHAR,
  trade_country VARCHAR,
  hs_code VARCHAR,
  hs6 VARCHAR,
  goods_description VARCHAR,
  brand VARCHAR,
  quantity DOUBLE,
  unit VARCHAR,
  weight_kg DOUBLE,
  value DOUBLE,
  currency VARCHAR,
  incoterms VARCHAR,
  transport VARCHAR,
  chpl_tier VARCHAR,
  military_heading VARCHAR,
  hs_list_version VARCHAR,
  truth_exporter VARCHAR,
  truth_importer VARCHAR,
  truth_scheme VARCHAR
);
CREATE TABLE trade_batches (
  batch_id VARCHAR PRIMARY KEY,
  dataset VARCHAR NOT NULL,
  source_file VARCHAR NOT NULL,
  source_path VARCHAR NOT NULL,
  loaded_at TIMESTAMP NOT NULL,
  rows_read BIGINT NOT NULL,
  rows_loaded BIGINT NOT NULL,
  rows_quarantined BIGINT NOT NULL,
  column_mapping VARCHAR NOT NULL,
  hs_list_version VARCHAR NOT NULL
);
CREATE TABLE trade_quarantine (
  batch_id VARCHAR NOT NULL,
  dataset VARCHAR NOT NULL,
  source_file VARCHAR NOT NULL,
  source_row BIGINT NOT NULL,
  field VARCHAR,
  reason VARCHAR NOT NULL,
  raw VARCHAR NOT NULL
);
CREATE TABLE trade_parties (
  record_key VARCHAR NOT NULL,
  role VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  address VARCHAR,
  country VARCHAR,
  identifier VARCHAR,
  pid VARCHAR NOT NULL
);
CREATE TABLE trade_party_names (
  pid VARCHAR NOT NULL,
  origin VARCHAR NOT NULL,
  entity_id VARCHAR,
  name VARCHAR NOT NULL,
  address VARCHAR,
  country VARCHAR,
  identifier VARCHAR,
  name_norm VARCHAR NOT NULL,
  name_key VARCHAR NOT NULL,
  address_norm VARCHAR,
  mentions BIGINT NOT NULL,
  run_id VARCHAR NOT NULL
);
CREATE TABLE trade_token_freq (
  token VARCHAR NOT NULL,
  n BIGINT NOT NULL,
  run_id VARCHAR NOT NULL
);
CREATE TABLE trade_links (
  pid_l VARCHAR NOT NULL,
  pid_r VARCHAR NOT NULL,
  match_weight DOUBLE NOT NULL,
  probability DOUBLE NOT NULL,
  name_level VARCHAR NOT NULL,
  country_level VARCHAR NOT NULL,
  address_level VARCHAR NOT NULL,
  id_level VARCHAR NOT NULL,
  run_id VARCHAR NOT NULL
);
CREATE TABLE trade_clusters (
  pid VARCHAR NOT NULL,
  cluster_id VARCHAR NOT NULL,
  run_id VARCHAR NOT NULL
);
CREATE TABLE trade_link_params (
  name VARCHAR NOT NULL,
  level VARCHAR NOT NULL,
  value DOUBLE NOT NULL,
  run_id VARCHAR NOT NULL
);
CREATE TABLE trade_link_decisions (
  pid_l VARCHAR NOT NULL,
  pid_r VARCHAR NOT NULL,
  decision VARCHAR NOT NULL,
  note VARCHAR,
  decided_at TIMESTAMP NOT NULL
);
CREATE TABLE trade_link_runs (
  run_id VARCHAR PRIMARY KEY,
  engine VARCHAR NOT NULL,
  mode VARCHAR NOT NULL,
  started_at TIMESTAMP NOT NULL,
  seconds DOUBLE NOT NULL,
  names BIGINT NOT NULL,
  pairs BIGINT NOT NULL,
  links BIGINT NOT NULL,
  clusters BIGINT NOT NULL,
  threshold DOUBLE NOT NULL
);
"""

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
    # lists (issue 3): cross-list merge decisions; see dualtrace/resolve/merge.py
    Migration(
        2,
        "resolver (entity -> canonical id), reversible merge decisions, list fetch log",
        LISTS_SQL,
    ),
    Migration(3, "trade records, quarantine, parties and party links", _TRADE_SQL),
    # documents (issue 7): documents, pages, claims, claim reviews; SQL beside its users
    Migration(DOCUMENTS_MIGRATION_VERSION, DOCUMENTS_MIGRATION_NAME, DOCUMENTS_SQL),
    # security (issue 9): accounts, sessions, audit log; SQL lives beside its users
    Migration(SECURITY_MIGRATION_VERSION, SECURITY_MIGRATION_NAME, SECURITY_SQL),
    # cases (issue 8): investigations collecting entities, documents, notes, decisions
    Migration(CASES_MIGRATION_VERSION, CASES_MIGRATION_NAME, CASES_SQL),
)

LATEST_VERSION = max(m.version for m in MIGRATIONS)


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
            f"{path}: store has schema migrations {sorted(applied - known)} that are "
            f"newer than this dualtrace knows (up to {LATEST_VERSION}); upgrade dualtrace"
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
