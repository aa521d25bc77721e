"""The HTTP API: a FastAPI app composed of routers from each capability.

``create_app(store_path)`` builds the screening index once at start-up (from a cache
beside the store when still valid) and keeps it in ``app.state.screening``; every
router module listed in :data:`ROUTER_MODULES` contributes its ``router`` via
``include_router``, so other capabilities (web workspace, auth, documents) add routes
without touching the screening code.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from dualtrace import __version__
from dualtrace.resolve.index import ScreeningIndex, load_or_build, settle_heap
from dualtrace.security.http_auth import SecurityConfig
from dualtrace.show.api.auth_routes import secure_store_app
from dualtrace.show.api.scoring_pool import ScoringPool, scoring_workers_from_env
from dualtrace.show.api.screening import MatchFastPath, SearchFastPath
from dualtrace.store.duckdb_store import Store

# Modules exposing ``router: fastapi.APIRouter``; append yours (one line).
ROUTER_MODULES: tuple[str, ...] = (
    "dualtrace.show.api.screening",
    "dualtrace.show.api.documents",
    "dualtrace.show.web.router",
)


def _no_telemetry() -> dict[str, Any]:
    """``telemetry`` switched off, for FastAPI versions that have it (0.165 on).

    FastAPI's OpenTelemetry support asks on every request whether a tracer, meter or
    logger provider is configured (a few microseconds), and if one were configured
    through the environment it would send request details and exception messages
    (screened names) to that collector: not something an investigation server should
    start doing because of an environment variable. The audit log is this server's
    record of requests."""
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    off = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
    return {"telemetry": off}


_NO_TELEMETRY = _no_telemetry()


def create_app(
    store_path: Path | str | None = None,
    index: ScreeningIndex | None = None,
    as_of: str | None = None,
    security: SecurityConfig | None = None,
    scoring_workers: int | None = None,
) -> FastAPI:
    """The API app over the store at ``store_path`` (or over a prepared ``index``).

    ``security`` defaults to :meth:`SecurityConfig.from_env` (accounts required; see
    docs/security.md); tests pass ``SecurityConfig(anonymous_local=True)``.
    ``scoring_workers`` (default ``DUALTRACE_SCORING_WORKERS``, else 0) forks that many
    processes holding the index to score ``/match`` requests on other cores
    (:mod:`dualtrace.show.api.scoring_pool`).
    """
    workers = scoring_workers_from_env() if scoring_workers is None else scoring_workers

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.screening is None:
            with Store.open(store_path, read_only=True) as st:
                app.state.screening = load_or_build(st, as_of)
        # The first person query of a process waited 6-8 s for rigour's name tagger
        # (and the first Han or kana name for pypinyin/pykakasi): paid here, before any
        # client waits and before scoring workers fork, so they inherit it too.
        app.state.screening.warm_up()
        # The index is a few hundred thousand long-lived objects that every full
        # collection walks: 0.7-1.4 s per gen-2 pass on this host, a pause that lands in
        # some request's latency. Frozen, they are out of the collector's sight (and
        # scoring workers forked below keep sharing their pages).
        settle_heap()
        if workers > 0:
            app.state.scoring_pool = ScoringPool(app.state.screening, workers)
        try:
            yield
        finally:
            if app.state.scoring_pool is not None:
                app.state.scoring_pool.close()

    app = FastAPI(
        title="dualtrace API",
        version=__version__,
        description="Screening (yente-compatible /match), search and entities over the "
        "loaded sanctions and export-control lists.",
        lifespan=lifespan,
        **_NO_TELEMETRY,
    )
    app.state.screening = index
    app.state.scoring_pool = None
    app.state.store_path = Path(store_path) if store_path is not None else None
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(name).router)
    # Added before the security layers, so they sit inside them (authenticated, checked,
    # audited, limited like the routes they short-cut).
    app.add_middleware(MatchFastPath, state=app.state)
    app.add_middleware(SearchFastPath, state=app.state)
    # Security (issue 9, dualtrace/security): every route above sits behind
    # authentication, role checks, CSRF, security headers, size limits, the overload
    # limiter and the audit log; /auth/* and /login are added. Routes record extra
    # events with request.app.state.security.audit.append(actor, action, target, details).
    secure_store_app(app, store_path, security)
    return app
