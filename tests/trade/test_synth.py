"""The generator: deterministic, real list names with noise, planted schemes, truth."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from dualtrace.errors import InputError
from dualtrace.trade.synth import (
    _TO_CYRILLIC,
    SPLIT_THRESHOLD,
    list_parties,
    to_cyrillic,
    write_synthetic,
)


def test_same_seed_same_file(tmp_path: Path, shared_data: Path) -> None:
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    write_synthetic(a, 300, 5, shared_data)
    write_synthetic(b, 300, 5, shared_data)
    write_synthetic(c, 300, 6, shared_data)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_names_are_real_sdn_entities_with_noise(synth_csv: Path, shared_data: Path) -> None:
    parties = {p.key: p for p in list_parties(shared_data)}
    rows = duckdb.execute(
        "SELECT exporter_name, truth_exporter FROM read_csv(?, all_varchar = true)",
        [str(synth_csv)],
    ).fetchall()
    assert len(rows) == 1500
    truths = [t for _, t in rows if t.startswith("ofac-")]
    assert all(t in parties for t in truths)
    written = [(n, parties[t].name) for n, t in rows if t in parties]
    exact = sum(1 for n, real in written if n == real)
    assert 0.2 < exact / len(written) < 0.6  # most mentions are written differently
    assert any(re.search("[А-Яа-я]", n) for n, _ in written)  # Cyrillic renderings


def test_planted_schemes(synth_csv: Path) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true)", [str(synth_csv)])
    kupol = con.execute(
        "SELECT exporter_name, importer_name, hs_code, currency FROM t "
        "WHERE truth_scheme = 'kupol_route'"
    ).fetchall()
    assert kupol
    assert all(r[3] == "CNY" for r in kupol)
    assert all(r[2][:4] in ("8407", "8806", "8807", "8409") for r in kupol)
    assert {r[0].upper().split()[0] for r in kupol} == {"REDLEPUS"}
    hk = con.execute(
        "SELECT DISTINCT importer_address FROM t WHERE truth_scheme = 'hk_front' "
        "AND importer_country = 'HK' AND importer_address IS NOT NULL"
    ).fetchall()
    assert len(hk) == 1  # the front companies share one (real SDN) address
    split = con.execute(
        "SELECT CAST(value AS DOUBLE) FROM t WHERE truth_scheme = 'split_order'"
    ).fetchall()
    assert split and all(0.9 * SPLIT_THRESHOLD <= v[0] < SPLIT_THRESHOLD for v in split)


def test_cyrillic_rendering() -> None:
    assert to_cyrillic("TSK VEKTOR") == "ЦК ВЕКТОР"  # 'ts' reads as ц, as clerks write it
    assert to_cyrillic("KUPOL") == "КУПОЛ"


def _prefix_scan_cyrillic(text: str) -> str:
    """The rendering as first written: try the table's prefixes in order at each letter."""
    out, lower, i = [], text.lower(), 0
    while i < len(lower):
        for latin, cyr in _TO_CYRILLIC:
            if lower.startswith(latin, i):
                out.append(cyr)
                i += len(latin)
                break
        else:
            out.append(lower[i])
            i += 1
    return "".join(out).upper()


def test_cyrillic_regex_renders_every_list_name_as_the_prefix_scan(shared_data: Path) -> None:
    # the regex must keep the generator's output (and so the benchmarks' files) unchanged
    names = [p.name for p in list_parties(shared_data)]
    names += ["SHCHERBAKOV & SYN, OOO", "Yuzhnyi Yasen-Iy", "Ts'ka chyy kh"]
    assert len(names) > 1000
    assert [to_cyrillic(n) for n in names] == [_prefix_scan_cyrillic(n) for n in names]


def test_bad_arguments(tmp_path: Path, shared_data: Path) -> None:
    with pytest.raises(InputError, match=r"\.csv or \.parquet"):
        write_synthetic(tmp_path / "x.txt", 10, 1, shared_data)
    with pytest.raises(InputError, match="cannot read"):
        write_synthetic(tmp_path / "x.csv", 10, 1, tmp_path)
