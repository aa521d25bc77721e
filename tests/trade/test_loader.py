"""Loading trade files: header detection, mapping files, quarantine, atomic reloads."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dualtrace.errors import InputError
from dualtrace.store import Store
from dualtrace.trade.loader import load_trade

RUSSIAN_ROWS = [
    [
        "Номер ДТ",
        "Дата регистрации ДТ",
        "Отправитель",
        "Страна отправителя",
        "Получатель",
        "ИНН получателя",
        "Код ТН ВЭД",
        "Описание товара",
        "Страна происхождения",
        "Количество",
        "Фактурная стоимость",
        "Валюта",
        "Вес нетто, кг",
        "Примечание",
    ],
    [
        "10005030/010823/0012345",
        "01.08.2023",
        "Redlepus TSK Vector Industrial Co., Limited",
        "Китай",
        'ООО "ТСК Вектор"',
        "3849055365",
        "8806 21 000 0",
        "Беспилотный летательный аппарат",
        "CN",
        "2",
        "1 250 000,00",
        "156",
        "150,5",
        "x",
    ],
    [
        "10005030/020823/0012346",
        "02.08.2023",
        "Shenzhen Foo Ltd",
        "CN",
        "АО «ИЭМЗ «Купол»",
        "1831083343",
        "8407.10.00",
        "Двигатель поршневой",
        "CN",
        "10",
        "12000",
        "CNY",
        "40",
        "",
    ],
    [
        "10005030/030823/0012347",
        "32.13.2023",
        "Bad Co",
        "XX",
        "",
        "",
        "12",
        "",
        "",
        "-5",
        "abc",
        "ZZZ",
        "",
        "",
    ],
]
RUSSIAN_CSV = "".join(";".join(row) + "\n" for row in RUSSIAN_ROWS)


def _ru_file(tmp_path: Path) -> Path:
    path = tmp_path / "gtd_2023.csv"
    path.write_text(RUSSIAN_CSV, encoding="utf-8")
    return path


def test_russian_headers_detected_and_bad_row_quarantined(store: Store, tmp_path: Path) -> None:
    result = load_trade(store, _ru_file(tmp_path))
    assert result.mapping["Код ТН ВЭД"] == "hs_code"
    assert result.mapping["Фактурная стоимость"] == "value"
    assert result.mapping["Страна происхождения"] == "origin_country"
    assert result.unused_columns == ["Примечание"]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    rows = store.con.execute(
        "SELECT record_id, hs_code, military_heading, value, currency, exporter_country, "
        "source_file, source_row FROM trade_records ORDER BY source_row"
    ).fetchall()
    assert rows[0] == (
        "10005030/010823/0012345", "8806210000", "UAV", 1250000.0, "CNY", "CN",
        "gtd_2023.csv", 2,
    )  # fmt: skip
    assert rows[1][2] == "PISTON_ENGINE"
    q = store.con.execute("SELECT source_row, reason, raw FROM trade_quarantine").fetchall()
    assert len(q) == 1 and q[0][0] == 4
    for fragment in ("not a date", "unknown country", "HS code", "ISO 4217"):
        assert fragment in q[0][1]
    assert json.loads(q[0][2])["Отправитель"] == "Bad Co"
    # the quarantine is counted in the load report and in the store's record of loads
    assert result.report is not None
    assert sum(1 for i in result.report.issues if i.severity == "error") >= 4
    batch = store.con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined FROM trade_batches"
    ).fetchone()
    assert batch == (3, 2, 1)
    parties = store.con.execute(
        "SELECT role, name, identifier FROM trade_parties ORDER BY record_key, role"
    ).fetchall()
    assert ("importer", 'ООО "ТСК Вектор"', "3849055365") in parties


def test_reload_replaces_rows_of_that_file(store: Store, tmp_path: Path) -> None:
    path = _ru_file(tmp_path)
    load_trade(store, path)
    load_trade(store, path)
    counts = store.con.execute(
        "SELECT (SELECT count(*) FROM trade_records), (SELECT count(*) FROM trade_quarantine),"
        " (SELECT count(*) FROM trade_parties)"
    ).fetchone()
    assert counts == (2, 1, 4)


def test_mapping_file_and_excel(store: Store, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Data"
    ws.append(["Decl", "Ship Date", "Seller Co", "Buyer Co", "Tariff", "Amt", "Cur"])
    ws.append(
        ["A1", "05/03/2024", "Grandview Electronics Ltd", "OOO Vektor", 8542310000, 950.5, "USD"]
    )
    ws.append(
        ["A2", "06/03/2024", "Grandview Electronics Ltd", "OOO Vektor", "854231", "1,5", "EUR"]
    )
    path = tmp_path / "vendor.xlsx"
    book.save(path)
    mapping = tmp_path / "vendor.toml"
    mapping.write_text(
        '[columns]\n"Decl" = "record_id"\n"Ship Date" = "date"\n"Seller Co" = "exporter_name"\n'
        '"Buyer Co" = "importer_name"\n"Tariff" = "hs_code"\n"Amt" = "value"\n'
        '"Cur" = "currency"\n[options]\ndate_formats = ["%d/%m/%Y"]\nsheet = "Data"\n',
        encoding="utf-8",
    )
    result = load_trade(store, path, dataset="vendor", mapping_file=mapping)
    assert result.rows_loaded == 2
    rows = store.con.execute(
        "SELECT record_id, CAST(date AS VARCHAR), hs_code, chpl_tier, value FROM trade_records "
        "ORDER BY source_row"
    ).fetchall()
    assert rows == [
        ("A1", "2024-03-05", "8542310000", "TIER_1", 950.5),
        ("A2", "2024-03-06", "854231", "TIER_1", 1.5),
    ]


def test_parquet_rows_are_numbered_from_one(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bol.parquet"
    pq.write_table(
        pa.table({"shipper": ["Alpha Ltd", "Beta LLC"], "consignee": ["Gamma", None],
                  "hs code": ["847150", "8471"]}),
        path,
    )  # fmt: skip
    result = load_trade(store, path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    row = store.con.execute("SELECT source_row FROM trade_quarantine").fetchone()
    assert row == (2,)


def test_file_without_party_columns_is_refused(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="no exporter/shipper or importer"):
        load_trade(store, path)
    assert store.con.execute("SELECT count(*) FROM trade_batches").fetchone() == (0,)


def test_unknown_mapping_field_is_an_error(store: Store, tmp_path: Path) -> None:
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"columns": {"Seller": "vendor_name"}}), encoding="utf-8")
    with pytest.raises(InputError, match="unknown trade field"):
        load_trade(store, _ru_file(tmp_path), mapping_file=mapping)


def test_load_is_atomic(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dualtrace.trade.loader as loader

    def boom(*args: object, **kwargs: object) -> object:
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "_party_sql", boom)
    with pytest.raises(RuntimeError):
        load_trade(store, _ru_file(tmp_path))
    assert store.con.execute("SELECT count(*) FROM trade_records").fetchone() == (0,)
    assert store.con.execute("SELECT count(*) FROM trade_quarantine").fetchone() == (0,)
