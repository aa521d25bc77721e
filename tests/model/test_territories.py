"""The shipped territory table answers exactly as rigour would, and spares its table build."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from followthemoney import registry

from dualtrace.model import territories
from dualtrace.model.territories import country_code, shipped_table

REPO = Path(__file__).resolve().parents[2]
LISTS = REPO.parent / "shared" / "data" / "lists"


def _ofac_countries() -> set[str]:
    """Every country cell of OFAC's real address files, as printed."""
    out: set[str] = set()
    for path in (LISTS / "ofac-sdn").glob("add_*.csv"):
        with path.open(encoding="latin-1", newline="") as fh:
            out.update(row[4].strip() for row in csv.reader(fh) if len(row) > 4)
    return out


def test_table_is_rigours_live_table() -> None:
    from rigour.territories import lookup as rigour_lookup

    table = shipped_table()
    assert table is not None, "rerun scripts/build_territory_table.py for the installed rigour"
    live = {
        name: t.ftm_country
        for name, t in rigour_lookup._get_territory_names().items()
        if t.ftm_country is not None
    }
    assert table == live


def test_real_country_cells_clean_as_ftm_does() -> None:
    cells = _ofac_countries() | {
        "",
        "  Russia ",
        "RU",
        "rus",
        "Россия",
        "中国",
        "Korea, North",
        "Burma",
        "Côte d'Ivoire",
        "Atlantis",
        "-0-",
    }
    assert len(cells) > 150
    for cell in cells:
        assert country_code(cell) == registry.country.clean(cell), cell
    assert country_code(None) is None


def test_stale_or_broken_table_falls_back_to_rigour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "stale.json.gz"
    with gzip.open(stale, "wt", encoding="utf-8") as fh:
        json.dump({"rigour": "0.0.1", "countries": {"ru": ["atlantis"]}}, fh)
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(b"not gzip")
    for path in (stale, broken, tmp_path / "missing.json.gz"):
        monkeypatch.setattr(territories, "TABLE_PATH", path)
        assert shipped_table.__wrapped__() is None, path
    fresh = tmp_path / "fresh.json.gz"
    with gzip.open(fresh, "wt", encoding="utf-8") as fh:
        json.dump({"rigour": version("rigour"), "countries": {"ru": ["atlantis"]}}, fh)
    monkeypatch.setattr(territories, "TABLE_PATH", fresh)
    assert shipped_table.__wrapped__() == {"atlantis": "ru"}


def test_reading_a_list_does_not_build_rigours_table() -> None:
    """The point of the table: a list load never pays rigour's two-second build."""
    code = (
        "from pathlib import Path\n"
        "from rigour.territories import lookup\n"
        "from dualtrace.sources.ofac_sdn import read_ofac_sdn\n"
        f"results = read_ofac_sdn(Path({str(REPO / 'dualtrace/demo/data/sdn_2024-05-03.csv')!r}))\n"
        "n = sum(1 for r in results for s in r.statements() if s.prop == 'country')\n"
        "print(n, lookup._get_territory_names.cache_info().currsize)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout.split()
    assert int(out[0]) > 100
    assert out[1] == "0"
