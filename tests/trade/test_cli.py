"""The trade commands end to end through the real CLI app."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from dualtrace.errors import InputError
from dualtrace.show.cli.app import app

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_synth_load_resolve_summary_export(tmp_path: Path, shared_data: Path) -> None:
    store = str(tmp_path / "s.duckdb")
    data = tmp_path / "t.parquet"
    _run("synth", "trade", "--rows", "400", "--seed", "3", "-o", str(data),
         "--data-dir", str(shared_data))  # fmt: skip
    loaded = json.loads(_run("load", "trade", str(data), "--store", store, "--json"))
    assert loaded["rows_loaded"] == 400 and loaded["rows_quarantined"] == 0
    run = json.loads(_run("trade", "resolve", "--store", store, "--json"))
    assert run["mode"] == "full" and run["clusters"] < run["names"]
    # the same full run with DuckDB's buffers capped: same parties and links
    capped = json.loads(
        _run("trade", "resolve", "--full", "--memory-limit", "64MB", "--store", store, "--json")
    )
    assert {k: capped[k] for k in ("names", "pairs", "links", "clusters")} == {
        k: run[k] for k in ("names", "pairs", "links", "clusters")
    }
    summary = json.loads(_run("trade", "summary", "--store", store, "--json", "--limit", "5"))
    assert summary["lines"] == 400
    assert {t["tier"] for t in summary["tiers"]} >= {"TIER_1", "none"}
    assert len(summary["consignees"]) == 5
    out = tmp_path / "parties.csv"
    _run("export", "trade-parties", "-o", str(out), "--store", store)
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert {"record_id", "role", "name", "party_id", "list_entity_ids", "list_link_score"} <= set(
        rows[0]
    )
    assert len(rows) == loaded["parties"]
    assert all(r["party_id"].startswith("tp-") for r in rows)


def test_bad_memory_limit_is_one_line_error(tmp_path: Path) -> None:
    store = str(tmp_path / "s.duckdb")
    for args, message in (
        (["--memory-limit", "lots"], "field '--memory-limit': 'lots' is not a memory size"),
        (
            ["--memory-limit", "1GB", "--engine", "spark"],
            "field '--memory-limit': applies to --engine",
        ),
        # refused before a Spark session is started
        (
            ["--engine", "spark", "--spark-memory", "2 GB"],
            "field '--spark-memory': '2 GB' is not a Spark memory size",
        ),
    ):
        result = runner.invoke(app, ["trade", "resolve", "--store", store, *args])
        assert result.exit_code != 0
        assert isinstance(result.exception, InputError)
        assert str(result.exception).startswith(message), str(result.exception)


def test_synth_help_says_it_is_synthetic() -> None:
    assert "SYNTHETIC" in _run("synth", "trade", "--help")


def test_bad_file_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["load", "trade", str(bad), "--store", str(tmp_path / "s.duckdb")])
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError)
    assert str(result.exception).startswith("x.csv: no exporter/shipper or importer/consignee")
