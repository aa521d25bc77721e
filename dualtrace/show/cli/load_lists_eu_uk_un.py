"""``dualtrace load eu|uk|un``: the European, British and UN sanctions lists.

Each command reads every publication at PATH first (a file or a folder), so a broken
file stops the command before the store is touched; then each dataset version is
stored in its own transaction by the shared :func:`store_results` (progress bar,
summary table, issue counts), exactly as ``load ofac`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dualtrace.show.cli.console import JsonOpt, StoreOpt
from dualtrace.show.cli.load import VersionOpt, load_group, store_results
from dualtrace.sources.eu import read_eu
from dualtrace.sources.uk import read_uk
from dualtrace.sources.un import read_un


def register(app: typer.Typer) -> None:
    load = load_group(app)

    @load.command("eu")
    def load_eu(
        path: Annotated[
            Path,
            typer.Argument(
                help="EU FSF XML export, an Official Journal annex CSV (<CELEX>.csv), "
                "or a folder of them (e.g. eu-journal/)."
            ),
        ],
        version: VersionOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Load EU sanctions: the FSF consolidated XML (dataset eu_fsf) and Official
        Journal annexes, one dataset per act (eu_32014r0269, eu_32014r0833, ...)."""
        store_results(read_eu(path, version), store, as_json)

    @load.command("uk")
    def load_uk(
        path: Annotated[
            Path,
            typer.Argument(
                help="OFSI consolidated list CSV (dataset gb_hmt), or the UK Sanctions "
                "List tables folder with subjects.csv (dataset gb_fcdo)."
            ),
        ],
        version: VersionOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Load UK sanctions: OFSI's consolidated CSV or the FCDO UK Sanctions List tables."""
        store_results(read_uk(path, version), store, as_json)

    @load.command("un")
    def load_un(
        path: Annotated[
            Path, typer.Argument(help="UN Security Council consolidated list XML, or a folder.")
        ],
        version: VersionOpt = None,
        store: StoreOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Load the UN Security Council consolidated list (dataset un_sc)."""
        store_results(read_un(path, version), store, as_json)
