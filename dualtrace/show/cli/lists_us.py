"""``dualtrace load csl|dpl|ofac-xml|meti|static-list`` and ``dualtrace fetch LIST``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dualtrace.resolve.merge import resolve_lists
from dualtrace.show.cli.console import JsonOpt, StoreOpt, console, err_console, print_json
from dualtrace.show.cli.load import VersionOpt, load_group, store_results
from dualtrace.sources.fetch import fetch_history, fetch_list
from dualtrace.sources.jp_meti import read_meti
from dualtrace.sources.list_catalog import LIST_SOURCES
from dualtrace.sources.ofac_xml import read_ofac_xml
from dualtrace.sources.static_lists import STATIC_LISTS, read_static_list
from dualtrace.sources.us_csl import read_csl, read_dpl
from dualtrace.store import Store


def register(app: typer.Typer) -> None:
    load = load_group(app)

    @load.command("ofac-xml")
    def load_ofac_xml(
        path: Annotated[
            Path, typer.Argument(help="CONS_ENHANCED.XML / SDN_ENHANCED.XML or sdn.xml.")
        ],
        version: VersionOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Load an OFAC XML publication (enhanced or classic sdnList format)."""
        store_results([read_ofac_xml(path, version=version)], store, as_json)

    @load.command("csl")
    def load_csl(
        path: Annotated[Path, typer.Argument(help="consolidated.csv from trade.gov.")],
        version: VersionOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Load the US Consolidated Screening List, one dataset per list it carries."""
        store_results(read_csl(path, version), store, as_json)

    @load.command("dpl")
    def load_dpl(
        path: Annotated[Path, typer.Argument(help="BIS dpl.txt (tab-separated).")],
        version: VersionOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Load BIS's Denied Persons List (dataset us_bis_dpl)."""
        store_results([read_dpl(path, version)], store, as_json)

    @load.command("meti")
    def load_meti(
        paths: Annotated[
            list[Path], typer.Argument(help="METI list texts (russia, belarus, daisangoku).")
        ],
        version: VersionOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Load Japan METI end-user lists (text extracted from the PDFs) as one version."""
        store_results([read_meti(paths, version)], store, as_json)

    @load.command("static-list")
    def load_static(
        name: Annotated[str, typer.Argument(help=f"One of: {', '.join(sorted(STATIC_LISTS))}.")],
        path: Annotated[Path, typer.Argument(help="The list's CSV table.")],
        version: VersionOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Load a curated list table (BIS MIEU, DoD 1260H, China counter-sanctions, FinCEN 311)."""
        store_results([read_static_list(name, path, version)], store, as_json)

    @app.command("fetch")
    def fetch(
        name: Annotated[
            str | None,
            typer.Argument(help=f"List to fetch: {', '.join(sorted(LIST_SOURCES))}."),
        ] = None,
        url: Annotated[str | None, typer.Option(help="Download from this URL instead.")] = None,
        config: Annotated[
            Path | None,
            typer.Option(
                "--config",
                envvar="DUALTRACE_LISTS_CONFIG",
                help="TOML file overriding list URLs ([lists.NAME] url = ...).",
            ),
        ] = None,
        force: Annotated[
            bool, typer.Option(help="Ignore ETag/Last-Modified; download again.")
        ] = False,
        keep: Annotated[
            Path | None, typer.Option(help="Keep the downloaded file in this folder.")
        ] = None,
        history: Annotated[bool, typer.Option(help="Show recent fetch attempts instead.")] = False,
        resolve: Annotated[
            bool, typer.Option(help="Re-run cross-list grouping after a new version loads.")
        ] = False,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Download a list from its official URL, check it, and load it as a new version.

        Nothing is loaded unless the download has the right content type and size and
        parses completely; the versions already loaded stay either way.
        """
        with Store.open(store) as s:
            if history or name is None:
                rows = fetch_history(s, name)
                if as_json:
                    print_json(rows)
                    return
                table = Table(title="Recent list fetches" if rows else "No fetches yet")
                for col in ("list", "fetched_at", "status", "bytes", "versions", "message"):
                    table.add_column(col, overflow="fold")
                for r in rows:
                    table.add_row(
                        r["list"],
                        str(r["fetched_at"])[:19],
                        r["status"],
                        f"{r['bytes'] or 0:,}",
                        ", ".join(r["versions"] or []),
                        r["message"] or "",
                    )
                console.print(table)
                if name is None:
                    err_console.print(f"lists: {', '.join(sorted(LIST_SOURCES))}")
                return
            result = fetch_list(s, name, url=url, config=config, force=force, keep_dir=keep)
            grouped = resolve_lists(s) if resolve and result.status == "loaded" else None
        if as_json:
            data = result.to_dict()
            if grouped is not None:
                data["resolve"] = {"groups": grouped.decisions, "records": grouped.entities}
            print_json(data)
            return
        if result.status == "not-modified":
            console.print(f"{name}: unchanged since the last fetch ({result.url})")
            return
        console.print(
            f"{name}: loaded {', '.join(result.versions)} "
            f"({result.statements:,} statements, {result.bytes:,} bytes from {result.url})",
            highlight=False,
        )
        if grouped is not None:
            console.print(
                f"regrouped: {grouped.decisions:,} groups of {grouped.entities:,} records",
                highlight=False,
            )
