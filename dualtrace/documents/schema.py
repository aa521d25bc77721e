"""Store tables for documents and the evidence drawn from them (store migration 4).

``documents`` keeps each file once by content hash, with its full text so every
claim's span can be shown in context; ``pages`` maps character ranges to pages;
``claims`` holds findings that are evidence, not yet facts; ``claim_reviews`` is
append-only, so every decision (who, when, what) is kept and a later review can
revisit an earlier one.
"""

from __future__ import annotations

DOCUMENTS_MIGRATION_VERSION = 4
DOCUMENTS_MIGRATION_NAME = "documents, pages, claims and claim reviews"

DOCUMENTS_SQL = """
CREATE TABLE documents (
  doc_id VARCHAR PRIMARY KEY,
  sha256 VARCHAR NOT NULL UNIQUE,
  path VARCHAR NOT NULL,
  filename VARCHAR NOT NULL,
  media_type VARCHAR NOT NULL,
  size BIGINT NOT NULL,
  language VARCHAR,
  title VARCHAR,
  page_count INTEGER NOT NULL,
  ocr_pages INTEGER NOT NULL,
  chars BIGINT NOT NULL,
  text VARCHAR NOT NULL,
  metadata JSON,
  warnings JSON,
  source VARCHAR NOT NULL,
  source_reliability VARCHAR NOT NULL,
  info_credibility INTEGER NOT NULL,
  loaded_at TIMESTAMP NOT NULL,
  analysed_at TIMESTAMP NOT NULL,
  names_indexed BIGINT NOT NULL
);
CREATE TABLE pages (
  doc_id VARCHAR NOT NULL,
  page INTEGER NOT NULL,
  span_start BIGINT NOT NULL,
  span_end BIGINT NOT NULL,
  method VARCHAR NOT NULL,
  ocr_confidence DOUBLE,
  PRIMARY KEY (doc_id, page)
);
CREATE TABLE claims (
  claim_id VARCHAR PRIMARY KEY,
  doc_id VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  value VARCHAR NOT NULL,
  quote VARCHAR NOT NULL,
  page INTEGER NOT NULL,
  span_start BIGINT NOT NULL,
  span_end BIGINT NOT NULL,
  method VARCHAR NOT NULL,
  confidence DOUBLE NOT NULL,
  entity_id VARCHAR,
  fact_key VARCHAR NOT NULL,
  subject_key VARCHAR,
  details JSON,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX claims_doc ON claims (doc_id);
CREATE INDEX claims_fact ON claims (fact_key);
CREATE TABLE claim_reviews (
  review_id VARCHAR PRIMARY KEY,
  claim_id VARCHAR NOT NULL,
  decision VARCHAR NOT NULL,
  value VARCHAR,
  info_credibility INTEGER,
  note VARCHAR,
  reviewer VARCHAR NOT NULL,
  reviewed_at TIMESTAMP NOT NULL
);
CREATE INDEX claim_reviews_claim ON claim_reviews (claim_id);
"""
