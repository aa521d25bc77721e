"""The app ``bench/workspace.py`` serves: the real API app with the workspace, over
``DUALTRACE_STORE``, anonymous on loopback (``DUALTRACE_ANONYMOUS_LOCAL=1``)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI


def make_app() -> FastAPI:
    from dualtrace.show.api.app import create_app

    return create_app(Path(os.environ["DUALTRACE_STORE"]))
