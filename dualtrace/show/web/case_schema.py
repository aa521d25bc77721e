"""Store migration 6: investigation cases (kept apart from :mod:`cases` so the
migration list can import it without importing the store)."""

from __future__ import annotations

CASES_MIGRATION_VERSION = 6
CASES_MIGRATION_NAME = "cases, case items and case notes"
CASES_SQL = """
CREATE TABLE cases (
  case_id VARCHAR PRIMARY KEY,
  title VARCHAR NOT NULL,
  summary VARCHAR NOT NULL DEFAULT '',
  status VARCHAR NOT NULL,
  created_by VARCHAR,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE TABLE case_items (
  case_id VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  ref VARCHAR NOT NULL,
  label VARCHAR NOT NULL,
  added_by VARCHAR,
  added_at TIMESTAMP NOT NULL,
  PRIMARY KEY (case_id, kind, ref)
);
CREATE TABLE case_notes (
  note_id VARCHAR PRIMARY KEY,
  case_id VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  text VARCHAR NOT NULL,
  author VARCHAR,
  created_at TIMESTAMP NOT NULL
);
"""
