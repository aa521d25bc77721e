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
                help="Processes that score /match requests beside the server process "
                "(default: $DUALTRACE_SCORING_WORKERS, else 0 = score in the server).",
            ),
        ] = None,
        store: StoreOpt = None,
    ) -> None:
        """Serve the API (yente-compatible /match, /search, /entities; OpenAPI at /docs)."""
        import uvicorn

        from dualtrace.show.api.app import create_app
        from dualtrace.store.duckdb_store import Store, default_store_path

        # Requests wait for their audit entry's commit (docs/security.md, Load), and the
        # audit writer thread needs the GIL between DuckDB calls; with the default 5 ms
        # switch interval it queued behind every scoring request at each step, so a
        # commit took tens of ms under load. 0.25 ms lets it in promptly.
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
        path = store or default_store_path()
        Store.open(path, read_only=True).close()  # fail now, with one line, if missing
        err_console.print(f"serving {path} on http://{host}:{port} (OpenAPI: /docs)")
        uvicorn.run(
            create_app(path, as_of=as_of, scoring_workers=scoring_workers),
            host=host,
            port=port,
            log_level="warning",
        )
