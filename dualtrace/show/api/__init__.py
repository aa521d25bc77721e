"""The HTTP API (FastAPI): yente-compatible screening plus routers from other capabilities."""
