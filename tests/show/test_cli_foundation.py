"""The CLI as a user runs it: real subprocesses, JSON output, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, store: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "dualtrace.show.cli.app", *args]
    if store is not None:
        cmd += ["--store", str(store)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=600)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "demo.duckdb"
    proc = run("demo", store=path)
    assert proc.returncode == 0, proc.stderr
    assert "IZHEVSK ELECTROMECHANICAL PLANT KUPOL" in proc.stdout
    assert "alt_2025-12-24.csv row" in proc.stdout  # provenance of the aliases
    assert "RUSSIA-EO14024" in proc.stdout  # the program, from the Sanction entity
    return path


def test_show_json_has_every_fact_with_provenance(demo_store: Path) -> None:
    proc = run("show", "ofac-46431", "--json", store=demo_store)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["schema"] == "Company"
    aliases = {s["value"] for s in data["statements"] if s["prop"] == "alias"}
    assert {"JSC IEMZ KUPOL", "AO IEMZ KUPOL"} <= aliases
    for s in data["statements"]:
        assert s["dataset"] == "ofac_sdn" and s["version"] == "2024-05-03"
        assert s["source_file"] and s["source_row"] and s["loaded_at"]
    related = {r["entity"]["schema"] for r in data["related"]}
    assert {"Sanction", "Address"} <= related


def test_search_and_datasets_json(demo_store: Path) -> None:
    hits = json.loads(run("search", "almaz antey", "--json", store=demo_store).stdout)
    assert any(h["id"] == "ofac-16865" for h in hits)
    datasets = json.loads(run("datasets", "--json", store=demo_store).stdout)
    (sdn,) = [d for d in datasets if d["name"] == "ofac_sdn"]
    assert [v["version"] for v in sdn["versions"]] == ["2024-05-03"]


def test_export_ftm_writes_entities(demo_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.ftm.json"
    proc = run("export", "ftm", "-o", str(out), store=demo_store)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    kupol = next(x for x in lines if x["id"] == "ofac-46431")
    assert kupol["datasets"] == ["ofac_sdn"]
    assert "1831083343" in kupol["properties"]["innCode"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("load", "ofac", "/nonexistent/sdn.csv"), "/nonexistent/sdn.csv: no such file or folder"),
        (("show", "no-such-entity"), "no entity with id 'no-such-entity'"),
        (("diff", "ofac_sdn", "2020-01-01", "2024-05-03"), "has no version '2020-01-01'"),
        (("load", "ftm", str(REPO / "pyproject.toml")), "not FtM"),
    ],
)
def test_errors_are_one_line_without_traceback(
    demo_store: Path, args: tuple[str, ...], message: str
) -> None:
    proc = run(*args, store=demo_store)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert message in proc.stderr
    assert proc.stderr.strip().startswith("error:")


def test_query_on_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    proc = run("datasets", store=tmp_path / "none.duckdb")
    assert proc.returncode == 1 and "no store here yet" in proc.stderr
