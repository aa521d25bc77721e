"""Access control, the tamper-evident audit log, backups and hostile-input guards.

Kept free of web imports at package level so the store's migrations and the CLI can use
the schema, accounts and audit log without loading FastAPI.
"""
