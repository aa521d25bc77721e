"""CLI for trade records: load, generate, resolve parties, summarise, export."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import typer

from dualtrace.errors import DualtraceError, InputError
from dualtrace.show.cli.console import JsonOpt, StoreOpt, console, print_json, progress
from dualtrace.store.duckdb_store import Store
from dualtrace.trade.linkage.engines import LinkageEngine, spark_memory_errors

EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where heavy SQL runs: duckdb (default, in-process) or spark.",
    ),
]
SparkMasterOpt = Annotated[
    str,
    typer.Option(
        "--spark-master",
        envvar="DUALTRACE_SPARK_MASTER",
        help="Spark master URL for --engine spark (default local[2]).",
    ),
]
SparkMemoryOpt = Annotated[
    str,
    typer.Option(
        "--spark-memory",
        envvar="DUALTRACE_SPARK_MEMORY",
        help="Spark driver memory for --engine spark (e.g. 4g; default 2g). Raise it for "
        "millions of trade records: in local mode the driver also runs the joins (10M "
        "generated records needed 6g).",
    ),
]
_SPARK_MEMORY = re.compile(r"^[1-9][0-9]*[kmgt]?$", re.IGNORECASE)


MemoryLimitOpt = Annotated[
    str | None,
    typer.Option(
        "--memory-limit",
        help="Cap DuckDB's buffers (e.g. 2GB); past it the joins spill to a temporary "
        "directory instead of growing. DuckDB engine only.",
    ),
]


def _engine(
    name: str, master: str, memory_limit: str | None = None, spark_memory: str = "2g"
) -> LinkageEngine:
    """The linkage engine named on the command line."""
    import tempfile

    import duckdb

    from dualtrace.trade.linkage.engines import DuckDBEngine, SparkEngine, spark_session

    if memory_limit is not None and name != "duckdb":
        raise InputError("applies to --engine duckdb only", field="--memory-limit")
    if name == "duckdb":
        if memory_limit is None:
            return DuckDBEngine()
        con = duckdb.connect()
        con.execute(
            "SET temp_directory = ?", [str(Path(tempfile.gettempdir()) / "dualtrace-spill")]
        )
        try:
            return DuckDBEngine(con, memory_limit=memory_limit)
        except duckdb.Error as exc:
            con.close()
            raise InputError(
                f"{memory_limit!r} is not a memory size DuckDB understands (e.g. 2GB, 500MB)",
                field="--memory-limit",
            ) from exc
    if name == "spark":
        if not _SPARK_MEMORY.match(spark_memory):
            raise InputError(
                f"{spark_memory!r} is not a Spark memory size (e.g. 2g, 4096m)",
                field="--spark-memory",
            )
        return SparkEngine(spark_session(master, memory=spark_memory))
    raise InputError(f"unknown engine {name!r}; use duckdb or spark", field="--engine")


def default_data_dir() -> Path:
    """Where the real lists live: $DUALTRACE_DATA, else ../shared/data beside the cwd."""
    env = os.environ.get("DUALTRACE_DATA")
    return Path(env) if env else Path.cwd().parent / "shared" / "data"


def load_trade_cmd(
    file: Annotated[Path, typer.Argument(help="CSV, Excel (.xlsx) or Parquet trade file.")],
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Dataset name (default: file stem).")
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="Column-mapping file (.toml or .json)."),
    ] = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Load customs or shipment records; bad rows are quarantined and counted."""
    from dualtrace.trade.loader import load_trade

    with Store.open(store) as st, progress() as bar:
        task = bar.add_task(f"loading {file.name}", total=None)
        result = load_trade(
            st, file, dataset, mapping, on_progress=lambda n: bar.update(task, completed=n)
        )
    if json:
        print_json(result.to_dict())
        return
    console.print(
        f"[bold]{result.dataset}[/]: {result.rows_loaded:,} lines loaded, "
        f"{result.rows_quarantined:,} quarantined (of {result.rows_read:,} read); "
        f"{result.chpl_lines:,} CHPL lines, {result.military_lines:,} military headings; "
        f"{result.parties:,} party mentions; {result.seconds:.1f}s"
    )
    for column in result.unused_columns:
        console.print(f"  [yellow]ignored column[/] {column!r}")
    if result.rows_quarantined:
        console.print("  quarantine reasons (first 10):")
        report = result.report
        for issue in [i for i in report.issues if i.severity == "error"][:10] if report else []:
            console.print(f"    {issue.render()}", highlight=False)


def synth_trade_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output .csv or .parquet file.")],
    rows: Annotated[int, typer.Option("--rows", help="Number of records.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same file).")] = 1,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Shared data folder with lists/ofac-sdn."),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Generate SYNTHETIC trade records with ground truth, for benchmarks and tests only.

    Names, addresses and tax numbers are real OFAC SDN entities written with realistic
    noise (Cyrillic, legal forms, typos, dropped words, missing fields); planted
    schemes: the Kupol / TSK Vektor / Redlepus route, Hong Kong front companies sharing
    an address, and orders split under 10,000 USD. Columns truth_exporter,
    truth_importer and truth_scheme hold the truth. Not real trade data.
    """
    from dualtrace.trade.synth import write_synthetic

    written = write_synthetic(out, rows, seed, data_dir or default_data_dir())
    if json:
        print_json({"file": str(out), "rows": written, "seed": seed})
    else:
        console.print(f"wrote {written:,} synthetic records to {out}")


def resolve_cmd(
    engine: EngineOpt = "duckdb",
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild frequency tables and model, rescore all.")
    ] = False,
    no_lists: Annotated[
        bool, typer.Option("--no-lists", help="Do not link to list entities in the store.")
    ] = False,
    spark_master: SparkMasterOpt = "local[2]",
    spark_memory: SparkMemoryOpt = "2g",
    memory_limit: MemoryLimitOpt = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Resolve trade parties to each other and to list entities (incremental by default)."""
    from dualtrace.trade.linkage.party_resolution import resolve_parties

    linkage_engine = _engine(engine, spark_master, memory_limit, spark_memory)
    with Store.open(store) as st, spark_memory_errors(spark_memory):
        run = resolve_parties(st, linkage_engine, full=full, include_lists=not no_lists)
    if json:
        print_json(run.to_dict())
        return
    console.print(
        f"{run.mode} run on {run.engine}: {run.names:,} party strings "
        f"({run.new_names:,} new), {run.pairs:,} pairs compared, {run.links:,} links, "
        f"{run.clusters:,} parties, {run.linked_to_lists:,} strings linked to list "
        f"entities; {run.seconds:.1f}s"
    )


def decide_cmd(
    pid_a: Annotated[str, typer.Argument(help="Party string id (pid).")],
    pid_b: Annotated[str, typer.Argument(help="Other party string id.")],
    decision: Annotated[str, typer.Argument(help="match, no-match or undo.")],
    note: Annotated[str | None, typer.Option("--note", help="Why.")] = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Record an analyst decision on two party strings; applied at the next resolve."""
    from dualtrace.trade.linkage.party_resolution import record_decision

    with Store.open(store) as st:
        record_decision(st, pid_a, pid_b, decision, note)
    if json:
        print_json({"pid_l": min(pid_a, pid_b), "pid_r": max(pid_a, pid_b), "decision": decision})
    else:
        console.print(f"recorded {decision} for {pid_a} / {pid_b}; run `dualtrace trade resolve`")


def summary_cmd(
    limit: Annotated[int, typer.Option("--limit", help="Rows per view.")] = 20,
    engine: EngineOpt = "duckdb",
    spark_master: SparkMasterOpt = "local[2]",
    spark_memory: SparkMemoryOpt = "2g",
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Trade lines per consignee, route and HS risk tier."""
    from rich.table import Table

    from dualtrace.trade.summary import trade_summary

    with Store.open(store, read_only=True) as st, spark_memory_errors(spark_memory):
        eng = None if engine == "duckdb" else _engine(engine, spark_master, None, spark_memory)
        data = trade_summary(st, eng, limit)
    if json:
        print_json(data)
        return
    console.print(
        f"{data['lines']:,} lines in {data['datasets']} dataset(s), "
        f"{data['first_date']} to {data['last_date']}; {data['quarantined']:,} quarantined"
    )
    for key, title in (
        ("consignees", "Consignees"),
        ("routes", "Routes"),
        ("tiers", "HS risk tiers"),
    ):
        rows = data[key]
        if not rows:
            continue
        table = Table(title=title)
        for column in rows[0]:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row.values()))
        console.print(table)


def export_parties_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output CSV file.")],
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """One row per record and role: party as written, resolved party, list links, score."""
    from dualtrace.trade.export import export_trade_parties

    with Store.open(store, read_only=True) as st:
        n = export_trade_parties(st, out)
    if json:
        print_json({"file": str(out), "rows": n})
    else:
        console.print(f"wrote {n:,} rows to {out}")


def export_ftm_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output FtM JSON-lines file.")],
    dataset: Annotated[str | None, typer.Option("--dataset", help="Only this dataset.")] = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Trade lines as FtM EconomicActivity entities plus their parties (interchange)."""
    from dualtrace.trade.export import export_trade_ftm

    with Store.open(store, read_only=True) as st:
        n = export_trade_ftm(st, out, dataset)
    if json:
        print_json({"file": str(out), "entities": n})
    else:
        console.print(f"wrote {n:,} FtM entities to {out}")


def register(app: typer.Typer) -> None:
    """Add ``load trade``, ``synth trade``, ``trade …`` and ``export trade-…``."""
    groups = {g.name: g.typer_instance for g in app.registered_groups if g.typer_instance}
    load_app = groups.get("load")
    export_app = groups.get("export")
    if load_app is None or export_app is None:
        raise DualtraceError("CLI is missing its load/export groups")
    load_app.command("trade")(load_trade_cmd)
    export_app.command("trade-parties")(export_parties_cmd)
    export_app.command("trade-ftm")(export_ftm_cmd)
    synth_app = groups.get("synth")
    if synth_app is None:
        synth_app = typer.Typer(help="Generate synthetic data for benchmarks and tests.")
        app.add_typer(synth_app, name="synth")
    synth_app.command("trade")(synth_trade_cmd)
    trade_app = typer.Typer(help="Trade records: party resolution and analyst views.")
    trade_app.command("resolve")(resolve_cmd)
    trade_app.command("decide")(decide_cmd)
    trade_app.command("summary")(summary_cmd)
    app.add_typer(trade_app, name="trade")
