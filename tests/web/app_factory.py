"""The ASGI app the browser tests serve with uvicorn: the real API app (screening,
documents, security) with the workspace mounted, over ``DUALTRACE_STORE``."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI


def make_app() -> FastAPI:
    from dualtrace.security.http_auth import SecurityConfig
    from dualtrace.show.api.app import create_app

    # accounts required (no anonymous access): the tests sign in like a user would
    return create_app(Path(os.environ["DUALTRACE_STORE"]), security=SecurityConfig())
