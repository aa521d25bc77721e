"""Curated government lists and Japan's METI end-user lists, on the real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from followthemoney.statement import StatementEntity

from dualtrace.errors import InputError
from dualtrace.sources.base import ReadResult
from dualtrace.sources.jp_meti import meti_entity_id, parse_meti_text, read_meti
from dualtrace.sources.static_lists import parse_day_first, read_static_list

STATIC = "lists/opensanctions-static"


def _entities(result: ReadResult) -> dict[str, StatementEntity]:
    return {str(e.id): e for e in result.entities}


def _by_name(ents: dict[str, StatementEntity], name: str) -> StatementEntity:
    return next(
        e for e in ents.values() if e.schema.get("name") is not None and name in e.get("name")
    )


def _meti_files(shared_data: Path) -> list[Path]:
    return sorted((shared_data / STATIC / "jp_meti_ru").glob("*tokutei*.txt"))


def test_meti_lists_parse_every_numbered_entry(shared_data: Path) -> None:
    result = read_meti(_meti_files(shared_data))
    assert (result.dataset.name, result.version.version) == ("jp_meti_enduser", "2025-09-12")
    ents = _entities(result)
    parties = [e for e in ents.values() if e.schema.name == "Organization"]
    sanctions = [e for e in ents.values() if e.schema.name == "Sanction"]
    # 561 Russian + 56 third-country + 27 Belarusian entries; a few are listed twice.
    assert len(sanctions) == 561 + 56 + 27
    assert 600 < len(parties) <= len(sanctions)
    assert not result.report.issues
    kupol = ents[meti_entity_id("Joint Stock Company Izhevsk Electromechanical Plant Kupol", "")]
    assert set(kupol.get("alias")) >= {
        "AO IEMZ Kupol",
        "AO Izhevskiy Elektromekhanicheskiy Zavod Kupol",
        "IEMZ Kupol",
        "JSC Izhevsk Electromechanical Plant Kupol",
        "IEMZクポル",
    }
    assert "株式会社イジェフスク電気機械工場クポル" in kupol.get("name")
    assert kupol.get("address") == ["3 Pesochnaya Street, Izhevsk, Udmurt Republic, 426033, Russia"]
    assert kupol.get("country") == ["ru"]
    assert "export.control" in kupol.get("topics")


def test_meti_glued_pdf_lines(shared_data: Path) -> None:
    path = _meti_files(shared_data)[1]  # russia
    entries = {e.number: e for e in parse_meti_text(path.read_text(), path)}
    # "...Moscow 127055RU.10 対外諜報庁": entry 10 starts in the middle of a line.
    assert entries[10].name_en == "Foreign Intelligence Service (SVR)"
    # Japanese and English name on one line.
    assert entries[18].name_en == "JSC Rocket and Space Centre – Progress"
    # Entry starting with a Latin name.
    assert entries[74].aliases_en == ["Mashpriborintorg-Volna", "Mashpriborintorg Wave"]
    # the newer "別称：" layout
    assert entries[560].aliases_en == ["LLC Company AMG", "Kompaniya AMG"]


def test_meti_file_without_entries(tmp_path: Path) -> None:
    path = tmp_path / "list_russia_tokutei.pdf.txt"
    path.write_text("最終更新日：2025 年09 月12 日\nno entries here\n")
    with pytest.raises(InputError) as exc:
        read_meti([path])
    assert exc.value.file == str(path)


def test_meti_unknown_list_file(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("1 株式会社\nACME\n")
    with pytest.raises(InputError, match="which METI list"):
        read_meti([path])


def test_bis_mieu(shared_data: Path) -> None:
    result = read_static_list("us_bis_mieu", shared_data / STATIC / "us_bis_mieu/mieu.csv")
    ents = _entities(result)
    assert result.version.version == "2022-03-02"
    gru = _by_name(ents, "Main Intelligence Directorate")
    assert gru.get("alias") == ["GRU"] and gru.get("country") == ["ru"]
    assert len([e for e in ents.values() if e.schema.name == "Organization"]) == 13


def test_dod_1260h_parents_and_previous_names(shared_data: Path) -> None:
    result = read_static_list(
        "us_dod_1260h", shared_data / STATIC / "us_dod_chinese_milcorps/sanctions.csv"
    )
    ents = _entities(result)
    avic_sub = _by_name(ents, "AVIC Heavy Machinery Company Limited")
    link = ents[f"{avic_sub.id}-parent"]
    parent = _by_name(ents, "Aviation Industry Corporation of China Ltd.")
    assert link.get("owner") == [parent.id] and link.get("asset") == [avic_sub.id]
    chengdu = _by_name(ents, "AVIC Chengdu Aircraft Co., Ltd.")
    assert "Zhonghang Electronic Measuring Instruments Company Limited" in chengdu.get(
        "previousName"
    )


def test_china_countersanctions_keep_chinese_names(shared_data: Path) -> None:
    result = read_static_list("cn_sanctions", shared_data / STATIC / "cn_sanctions/sanctions.csv")
    ents = _entities(result)
    ned = _by_name(ents, "National Endowment for Democracy")
    assert "美国国家民主基金会" in ned.get("name")
    sanction = next(
        e for e in ents.values() if e.schema.name == "Sanction" and e.get("entity") == [ned.id]
    )
    assert sanction.get("startDate") == ["2019-12-02"]
    assert "sanction.counter" in ned.get("topics")


def test_fincen_relations(shared_data: Path) -> None:
    result = read_static_list(
        "us_fincen_311", shared_data / STATIC / "us_fincen_special_measures/details.csv"
    )
    ents = _entities(result)
    saab = _by_name(ents, "Ayoub-Farid M. Saab")
    assert saab.schema.name == "Person" and "sanction.linked" in saab.get("topics")
    links = [
        e for e in ents.values() if e.schema.name == "UnknownLink" and e.get("object") == [saab.id]
    ]
    assert links and links[0].get("role") == ["owner"]


def test_day_first_dates() -> None:
    assert parse_day_first("02.12.2019") == "2019-12-02"
    assert parse_day_first("27.03.21") == "2021-03-27"
    assert parse_day_first("") is None


def test_static_table_missing_column(shared_data: Path) -> None:
    with pytest.raises(InputError) as exc:
        read_static_list("cn_sanctions", shared_data / STATIC / "us_bis_mieu/mieu.csv")
    assert exc.value.row == 1 and exc.value.field == "QID"


def test_static_table_truncated_record(shared_data: Path, tmp_path: Path) -> None:
    text = (shared_data / STATIC / "us_bis_mieu/mieu.csv").read_text()
    path = tmp_path / "mieu.csv"
    path.write_text(text[: text.index("\n", 600)] + "\nOrganization,Cut Off Here\n")
    with pytest.raises(InputError) as exc:
        read_static_list("us_bis_mieu", path)
    assert exc.value.file == str(path) and "Organization" in str(exc.value)
    assert exc.value.row == text[: text.index("\n", 600)].count("\n") + 2


def test_unknown_static_list(shared_data: Path) -> None:
    with pytest.raises(InputError, match="unknown list"):
        read_static_list("nope", shared_data / STATIC / "us_bis_mieu/mieu.csv")
