"""``dualtrace screen`` and ``dualtrace screen-file`` on the real-sliced corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dualtrace.show.cli.app import app
from tests.screening_corpus import OFAC_ID, shared_corpus_store

runner = CliRunner()


@pytest.fixture(scope="module")
def store_file(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_corpus_store(shared_data, tmp_path_factory.getbasetemp())


def test_screen_json(store_file: Path) -> None:
    res = runner.invoke(
        app, ["screen", "АО «Концерн ВКО «Алмаз-Антей»", "--store", str(store_file), "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    top = data["results"][0]
    assert top["id"] in {OFAC_ID["almaz"], "eu-32014r0833-iv-8"} and top["match"]
    assert top["reasons"] and "almaz" in top["reasons"][0]


def test_screen_table_and_dataset_filter(store_file: Path) -> None:
    res = runner.invoke(
        app, ["screen", "TSK Vektor", "--dataset", "ofac_sdn", "--store", str(store_file)]
    )
    assert res.exit_code == 0, res.output
    assert "TSK VEKTOR" in res.stdout and "eu_" not in res.stdout
    bad = runner.invoke(app, ["screen", "x", "--dataset", "nope", "--store", str(store_file)])
    assert bad.exit_code != 0


def test_screen_as_of_rejects_bad_dates(store_file: Path) -> None:
    res = runner.invoke(app, ["screen", "x", "--as-of", "2024-13-01", "--store", str(store_file)])
    assert res.exit_code != 0


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_screen_file_with_mapping(store_file: Path, tmp_path: Path, suffix: str) -> None:
    src = tmp_path / "counterparties.csv"
    src.write_text(
        "Ref,Company Name,Country,Tax ID\n"
        "1,АО «ИЭМЗ «Купол»,ru,\n"
        "2,EMMA LLC,,\n"
        "3,Some Bakery Ltd,gb,\n"
        "4,OOO TSK Vektor,ru,3849055365\n",
        encoding="utf-8",
    )
    out = tmp_path / f"out{suffix}"
    res = runner.invoke(
        app,
        [
            "screen-file", str(src), "-o", str(out), "--store", str(store_file),
            "--map", "Ref=$id", "--map", "Company Name=name", "--map", "Country=country",
            "--map", "Tax ID=innCode", "--json",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["rows"] == 4 and summary["rows_matched"] == 2
    assert out.exists() and out.stat().st_size > 0
    if suffix == ".json":
        rows = json.loads(out.read_text())
        by_id = {r["query_id"]: r for r in rows}
        assert by_id["1"]["match"] and by_id["4"]["score"] > 0.98
        assert not by_id["2"]["match"] and not by_id["3"]["match"]


def test_screen_file_guesses_columns_and_reports_bad_rows(store_file: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("name,country\nTSK Vektor,ru\n,ru\n", encoding="utf-8")
    res = runner.invoke(
        app, ["screen-file", str(src), "-o", str(tmp_path / "o.csv"), "--store", str(store_file)]
    )
    assert res.exit_code != 0
    assert "in.csv:3" in str(res.exception)
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("foo,bar\n1,2\n", encoding="utf-8")
    res = runner.invoke(
        app, ["screen-file", str(nocol), "-o", str(tmp_path / "o.csv"), "--store", str(store_file)]
    )
    assert res.exit_code != 0 and "no name column" in str(res.exception)


def test_screen_file_rejects_unknown_dataset_before_writing(
    store_file: Path, tmp_path: Path
) -> None:
    src = tmp_path / "in.csv"
    src.write_text("name\nTSK Vektor\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    res = runner.invoke(
        app,
        [
            "screen-file",
            str(src),
            "-o",
            str(out),
            "--dataset",
            "ofac_sdm",
            "--store",
            str(store_file),
        ],
    )
    assert res.exit_code != 0
    assert "ofac_sdm" in str(res.exception) and not out.exists()


def test_screen_file_reads_xlsx(store_file: Path, tmp_path: Path) -> None:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook()
    ws = wb.active
    ws.append(["Counterparty", "Type"])
    ws.append(["Redlepus Vector Industry Shenzhen Co Ltd", "Company"])
    ws.append(["Emma Daniels", "Person"])
    src = tmp_path / "in.xlsx"
    wb.save(src)
    out = tmp_path / "out.json"
    res = runner.invoke(
        app,
        ["screen-file", str(src), "-o", str(out), "--store", str(store_file),
         "--map", "Counterparty=name", "--map", "Type=$schema"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = json.loads(out.read_text())
    assert rows[0]["entity_id"] == "eu-32014r0269-i-entities-504" and rows[0]["match"]
    assert not rows[1]["match"]


def test_serve_is_registered() -> None:
    res = runner.invoke(app, ["serve", "--help"])
    assert res.exit_code == 0 and "127.0.0.1" in res.stdout
