"""``dualtrace demo``: load the embedded OFAC slice and walk through the Kupol case.

It needs no network and no data beyond the package, so a new user sees the
engine work on real list data in one command. Each capability adds its step here.
"""

from __future__ import annotations

import typer

from dualtrace.demo import demo_data_dir
from dualtrace.model.entities import entity_view
from dualtrace.show.cli.console import StoreOpt, console
from dualtrace.show.cli.load import store_results
from dualtrace.show.cli.query import print_entity
from dualtrace.sources.ofac_sdn import read_ofac_sdn
from dualtrace.store import Store

KUPOL_ID = "ofac-46431"


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(store: StoreOpt = None) -> None:
        """Load the embedded OFAC slice and show IEMZ Kupol with the provenance of each fact."""
        console.rule("[bold]1. Load the embedded OFAC SDN slice (Russia, EO 14024)")
        store_results(read_ofac_sdn(demo_data_dir()), store, as_json=False)
        with Store.open(store, read_only=True) as s:
            console.rule("[bold]2. Search: 'kupol'")
            for cid, schema, name, datasets in s.search_names("kupol", limit=10):
                console.print(f"  {cid:<14} {schema:<12} {name}  [dim]{', '.join(datasets)}[/]")
            console.rule("[bold]3. IEMZ Kupol: every fact with its source")
            print_entity(entity_view(s, KUPOL_ID))
            console.rule("[bold]4. Search: 'almaz antey'")
            for cid, schema, name, datasets in s.search_names("almaz antey", limit=10):
                console.print(f"  {cid:<14} {schema:<12} {name}  [dim]{', '.join(datasets)}[/]")
