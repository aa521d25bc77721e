"""The evidence store: one DuckDB file of statements with provenance."""

from dualtrace.store.duckdb_store import Store, default_store_path

__all__ = ["Store", "default_store_path"]
