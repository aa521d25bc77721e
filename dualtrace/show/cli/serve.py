"""``dualtrace serve``: the HTTP API on loopback."""

from __future__ import annotations

from typing import Annotated

import typer

from dualtrace.show.cli.console import StoreOpt, err_console


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
        store: StoreOpt = None,
    ) -> None:
        """Serve the API (yente-compatible /match, /search, /entities; OpenAPI at /docs)."""
        import uvicorn

        from dualtrace.show.api.app import create_app
        from dualtrace.store.duckdb_store import Store, default_store_path

        path = store or default_store_path()
        Store.open(path, read_only=True).close()  # fail now, with one line, if missing
        err_console.print(f"serving {path} on http://{host}:{port} (OpenAPI: /docs)")
        uvicorn.run(create_app(path, as_of=as_of), host=host, port=port, log_level="warning")
