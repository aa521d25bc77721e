"""``dualtrace load eu|uk|un`` end to end: store contents, JSON summary, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dualtrace.show.cli.app import app
from dualtrace.store import Store

runner = CliRunner()


def _lists(shared_data: Path) -> Path:
    return shared_data / "lists"


def test_load_eu_journal_file_and_fsf_xml(shared_data: Path, store_path: Path) -> None:
    journal = _lists(shared_data) / "eu-journal" / "consolidated" / "32014R0208.csv"
    res = runner.invoke(app, ["load", "eu", str(journal), "--store", str(store_path), "--json"])
    assert res.exit_code == 0, res.output
    (summary,) = json.loads(res.stdout)
    assert summary["dataset"] == "eu_32014r0208"
    # 3 rows: 3 persons and their 3 Sanction entities.
    assert summary["entities"] == 6 and summary["statements"] > 6 * 5
    xml = _lists(shared_data) / "format-samples" / "sample_eu.xml"
    res = runner.invoke(app, ["load", "eu", str(xml), "--store", str(store_path)])
    assert res.exit_code == 0, res.output
    assert "eu_fsf" in res.stdout and "2020-04-15" in res.stdout
    with Store.open(store_path, read_only=True) as store:
        names = {d.name for d in store.datasets()}
        assert {"eu_32014r0208", "eu_fsf"} <= names
        (version,) = store.versions("eu_fsf")
        assert (version.version, version.version_basis) == ("2020-04-15", "file")


def test_load_un_and_uk_with_version(shared_data: Path, store_path: Path) -> None:
    un = _lists(shared_data) / "format-samples" / "sample_unsc.xml"
    res = runner.invoke(app, ["load", "un", str(un), "--store", str(store_path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)[0]["version"] == "2024-10-17"
    hmt = _lists(shared_data) / "format-samples" / "sample_hmt.csv"
    args = ["load", "uk", str(hmt), "--version", "2020-05-01", "--store", str(store_path)]
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    (summary,) = json.loads(res.stdout)
    assert (summary["dataset"], summary["version"]) == ("gb_hmt", "2020-05-01")
    assert any("no primary name" in i["message"] for i in summary["issues"])
    with Store.open(store_path, read_only=True) as store:
        stmts = store.entity_statements("gb-hmt-9053")
        assert any(s.value == "محسن حجتی" and s.lang == "fas" for s in stmts)


def test_bad_file_is_one_line_error_and_store_untouched(tmp_path: Path, store_path: Path) -> None:
    bad = tmp_path / "un.xml"
    bad.write_text('<CONSOLIDATED_LIST dateGenerated="2026-01-01"><INDIVIDUALS><INDIVIDUAL>')
    res = runner.invoke(app, ["load", "un", str(bad), "--store", str(store_path)])
    assert res.exit_code != 0
    assert "truncated" in str(res.exception)
    with Store.open(store_path) as store:
        assert store.datasets() == []
