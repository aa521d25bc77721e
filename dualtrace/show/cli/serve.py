"""``dualtrace serve``: the HTTP API on loopback."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dualtrace.show.cli.console import StoreOpt, err_console

SWITCH_INTERVAL_SECONDS = 0.00025


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
        host: Annotated[
            str,
            typer.Option("--host", help="Address to bind (default loopback only)."),
        ] = "127.0.0.1",
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="Serve the lists in force on this date.")
        ] = None,
        scoring_workers: Annotated[
            int | None,
            typer.Option(
                "--scoring-workers",
                min=0,
                max=64,
                help="Processes that score /match and /search beside the server process "
                "(default: $DUALTRACE_SCORING_WORKERS, else one per core up to 4 when the "
                "host has more than one core, else 0 = score in the server).",
            ),
        ] = None,
        no_scoring_workers: Annotated[
            bool,
            typer.Option(
                "--no-scoring-workers",
                help="Score in the server process (as --scoring-workers 0): one process, "
                "one core for scoring, no forked copies of the index.",
            ),
        ] = False,
        store: StoreOpt = None,
    ) -> None:
        """Serve the API (yente-compatible /match, /search, /entities; OpenAPI at /docs)."""
        import uvicorn

        from dualtrace.show.api.app import create_app
        from dualtrace.show.api.http_protocol import HeadWithBodyProtocol
        from dualtrace.show.api.scoring_pool import default_scoring_workers
        from dualtrace.store.duckdb_store import Store, default_store_path

        # Requests wait for their audit entry's commit (docs/security.md, Load), and the
        # audit writer thread needs the GIL between DuckDB calls; with the default 5 ms
        # switch interval it queued behind every scoring request at each step, so a
        # commit took tens of ms under load. 0.25 ms lets it in promptly.
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
        if no_scoring_workers and scoring_workers:
            err_console.print("error: --no-scoring-workers and --scoring-workers N disagree")
            raise typer.Exit(2)
        workers = 0 if no_scoring_workers else scoring_workers
        if workers is None:
            workers = default_scoring_workers()
        path = store or default_store_path()
        Store.open(path, read_only=True).close()  # fail now, with one line, if missing
        scoring = (
            f"{workers} scoring worker processes (--no-scoring-workers to score in the server)"
            if workers
            else "scoring in the server process"
        )
        err_console.print(f"serving {path} on http://{host}:{port} (OpenAPI: /docs), {scoring}")
        # httptools and uvloop are dependencies: named here so that a broken install
        # fails at start-up instead of silently serving on h11 and asyncio's own loop
        # (pure-Python parsing, more CPU per request). Screening, decisions and denials
        # are in the audit log, so no access log; no Server header naming the software.
        uvicorn.run(
            create_app(path, as_of=as_of, scoring_workers=workers),
            host=host,
            port=port,
            log_level="warning",
            http=HeadWithBodyProtocol,  # httptools, a response's head and body in one write
            loop="uvloop",
            access_log=False,
            server_header=False,
        )
