"""A real server and a real browser for the workspace tests.

The server is uvicorn running the API app (with the workspace, documents, screening
and security routers) on 127.0.0.1 at a free port, over a store built with the real
readers; the browser is Debian's Chromium driven by Playwright's Python package
(``scripts/setup-system-web.sh`` installs it; ``playwright install`` is not used).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dualtrace.security.accounts import Accounts
from dualtrace.security.roles import Role
from dualtrace.store import Store
from tests.show.kupol_store import build_kupol_store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
# Screenshots go to a scratch directory so a test run leaves the working tree clean;
# set DUALTRACE_SCREENSHOTS=docs/screenshots to refresh the images the docs show.
SCREENSHOTS = Path(
    os.environ.get("DUALTRACE_SCREENSHOTS")
    or Path(os.environ.get("TMPDIR", "/tmp")) / "dualtrace-screenshots"
)
if not SCREENSHOTS.is_absolute():
    SCREENSHOTS = REPO / SCREENSHOTS
PASSWORDS = {"ana": "analyst-pass-2026", "vic": "viewer-pass-2026"}


@dataclass(frozen=True)
class Server:
    url: str
    store_path: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def web_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build_kupol_store(shared_data, tmp_path_factory.mktemp("web"), documents=True)
    with Store.open(path) as st:
        accounts = Accounts(st.con)
        accounts.add_user("ana", Role.ANALYST, PASSWORDS["ana"])
        accounts.add_user("vic", Role.VIEWER, PASSWORDS["vic"])
    return path


@pytest.fixture(scope="session")
def server(web_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run scripts/setup-system-web.sh")
    port = _free_port()
    log = tmp_path_factory.mktemp("uvicorn") / "server.log"
    env = {**os.environ, "DUALTRACE_STORE": str(web_store)}
    env.pop("DUALTRACE_ANONYMOUS_LOCAL", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "tests.web.app_factory:make_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield Server(f"http://127.0.0.1:{port}", web_store)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
