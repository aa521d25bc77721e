"""Store tables for accounts, sessions and the audit log (store migration 5).

Secrets never appear here in clear: passwords and API keys are argon2 hashes, session
tokens are SHA-256 digests (they are 256-bit random, so a slow hash adds nothing). The
audit log keeps its timestamp as the exact ISO text that was hashed, so verification
recomputes the chain from stored bytes rather than from a re-rendered timestamp.
"""

from __future__ import annotations

SECURITY_MIGRATION_VERSION = 5
SECURITY_MIGRATION_NAME = "users, api keys, sessions and hash-chained audit log"

SECURITY_SQL = """
CREATE TABLE users (
  name VARCHAR PRIMARY KEY,
  role VARCHAR NOT NULL,
  password_hash VARCHAR,
  disabled BOOLEAN NOT NULL,
  created_at TIMESTAMP NOT NULL,
  disabled_at TIMESTAMP
);
CREATE TABLE api_keys (
  key_id VARCHAR PRIMARY KEY,
  user_name VARCHAR NOT NULL,
  label VARCHAR,
  role VARCHAR NOT NULL,
  secret_hash VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL,
  revoked_at TIMESTAMP
);
CREATE TABLE sessions (
  token_hash VARCHAR PRIMARY KEY,
  user_name VARCHAR NOT NULL,
  csrf_token VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  revoked_at TIMESTAMP
);
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
  logged_at VARCHAR NOT NULL,
  actor VARCHAR NOT NULL,
  action VARCHAR NOT NULL,
  target VARCHAR NOT NULL,
  details VARCHAR NOT NULL,
  prev_hash VARCHAR NOT NULL,
  hash VARCHAR NOT NULL
);
"""
