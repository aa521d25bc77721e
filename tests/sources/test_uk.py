"""UK readers on the real UK Sanctions List tables and OFSI CSV, plus malformed input."""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from followthemoney.statement import StatementEntity
from stdnum.ru import inn

from dualtrace.errors import InputError
from dualtrace.model.provenance import SourcePointer
from dualtrace.sources.base import ReadResult
from dualtrace.sources.uk import read_fcdo_tables, read_hmt_csv, read_uk
from tests.sources.uk_tables_slice import slice_uk_tables


def _tables(shared_data: Path) -> Path:
    return shared_data / "lists" / "uk-transformed"


def _hmt(shared_data: Path) -> Path:
    return shared_data / "lists" / "format-samples" / "sample_hmt.csv"


@pytest.fixture(scope="module")
def fcdo(shared_data: Path) -> tuple[ReadResult, dict[str, StatementEntity]]:
    (result,) = read_uk(_tables(shared_data))
    return result, {str(e.id): e for e in result.entities}


def test_version_is_latest_update_in_the_tables(fcdo: tuple) -> None:  # type: ignore[type-arg]
    result, _ = fcdo
    assert result.dataset.name == "gb_fcdo"
    assert (result.version.version, result.version.basis) == ("2026-04-29", "file")


def test_subject_counts_match_subjects_csv(fcdo: tuple, shared_data: Path) -> None:  # type: ignore[type-arg]
    _, entities = fcdo
    with (_tables(shared_data) / "subjects.csv").open(encoding="utf-8", newline="") as fh:
        types = Counter(row["subject_type"] for row in csv.DictReader(fh))
    schemata = Counter(e.schema.name for e in entities.values())
    assert schemata["Person"] == types["individual"]
    assert schemata["Organization"] == types["entity"]
    assert schemata["Vessel"] == types["ship"]
    assert schemata["Sanction"] == sum(types.values())
    assert 5000 < sum(types.values()) < 8000  # the UK list has ~6,000 designations


def test_redlepus_on_uk_list_with_uscc(fcdo: tuple) -> None:  # type: ignore[type-arg]
    _, entities = fcdo
    redlepus = entities["gb-fcdo-rus2257"]
    assert redlepus.get("name") == ["Redlepus TSK Vektor Industrial (Shenzhen) Co., Ltd"]
    assert "Red Rabbit TSK Vektor Industrial (Shenzhen) Co., Ltd" in redlepus.get("alias")
    # The same USCC the EU journal prints for it: the cross-list join key.
    assert redlepus.get("uscCode") == ["91440300MA5HX80Y1Q"]
    assert redlepus.get("country") == ["cn"]
    sanction = entities["gb-fcdo-rus2257-sanction-uk"]
    assert sanction.get("program") == ["Russia"]
    assert sanction.get("authorityId") == ["RUS2257"]
    assert sanction.get("listingDate") == ["2024-11-07"]


def test_almaz_antey_on_uk_list(fcdo: tuple) -> None:  # type: ignore[type-arg]
    _, entities = fcdo
    almaz = entities["gb-fcdo-rus0178"]
    assert almaz.schema.name == "Organization"
    assert "Concern Almaz-Antey" in almaz.get("alias")
    name = next(s for s in almaz.statements if s.prop == "name")
    assert SourcePointer.decode(name.origin).file == "subject_names.csv"


def test_person_name_parts(fcdo: tuple) -> None:  # type: ignore[type-arg]
    _, entities = fcdo
    akhund = entities["gb-fcdo-afg0006"]
    assert akhund.get("name") == ["MOHAMMAD HASSAN AKHUND"]
    assert (akhund.get("firstName"), akhund.get("lastName")) == (["MOHAMMAD"], ["AKHUND"])


def test_weak_aliases_kept_apart(fcdo: tuple, shared_data: Path) -> None:  # type: ignore[type-arg]
    _, entities = fcdo
    with (_tables(shared_data) / "subject_names.csv").open(encoding="utf-8", newline="") as fh:
        low = [r for r in csv.DictReader(fh) if r["alias_strength"] == "low_quality_aka"]
    assert low
    for row in low[:50]:
        entity = entities[f"gb-fcdo-{row['unique_id'].lower()}"]
        full = " ".join(row["full_name"].split())
        assert full in entity.get("weakAlias") or full in entity.get("name")


def test_russian_tax_ids_split_from_free_text(fcdo: tuple, shared_data: Path) -> None:  # type: ignore[type-arg]
    """Every check-digit-valid number printed after an INN/TIN label is typed innCode."""
    _, entities = fcdo
    expected: set[tuple[str, str]] = set()
    label = re.compile(r"(?:INN|ИНН|TIN|Tax)\D{0,30}?(\d{12}|\d{10})(?!\d)")
    with (_tables(shared_data) / "subject_identifiers.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["identifier_type"] != "business_registration_numbers":
                continue
            for m in label.finditer(row["raw_value"]):
                if inn.is_valid(m.group(1)):
                    expected.add((f"gb-fcdo-{row['unique_id'].lower()}", m.group(1)))
    assert len(expected) > 200
    got = {
        (str(e.id), v)
        for e in entities.values()
        if e.schema.is_a("LegalEntity")
        for v in e.get("innCode")
    }
    assert expected <= got


def test_orphan_rows_are_reported(shared_data: Path, tmp_path: Path) -> None:
    folder = slice_uk_tables(_tables(shared_data), tmp_path / "uk", ["RUS2257", "RUS0178"])
    with (folder / "subject_names.csv").open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerow(
            ["99999", "ZZZ9999", "primary", "", "Nobody Ltd", "", "", "", "", "", ""]
        )
    names = (folder / "subject_names.csv").read_text(encoding="utf-8").splitlines()
    result = read_fcdo_tables(folder)
    orphans = [i for i in result.report.issues if "ZZZ9999" in i.message]
    assert len(orphans) == 1
    assert orphans[0].file == "subject_names.csv" and orphans[0].row == len(names)
    ids = {e.id for e in result.entities}
    assert "gb-fcdo-zzz9999" not in ids
    assert {"gb-fcdo-rus2257", "gb-fcdo-rus0178"} <= ids


def test_missing_table_column(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "uk"
    shutil.copytree(_tables(shared_data), folder)
    rows = list(csv.reader((folder / "subject_dobs.csv").read_text(encoding="utf-8").splitlines()))
    with (folder / "subject_dobs.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([r[:2] + r[3:] for r in rows])  # drop "year"
    with pytest.raises(InputError) as err:
        read_uk(folder)
    assert err.value.file == str(folder / "subject_dobs.csv")
    assert (err.value.row, err.value.field) == (1, "year")


# ---------------------------------------------------------------- OFSI consolidated CSV


def test_hmt_sample_groups_rows(shared_data: Path) -> None:
    path = _hmt(shared_data)
    result = read_hmt_csv(path)
    assert result.dataset.name == "gb_hmt"
    assert (result.version.version, result.version.basis) == ("2020-04-27", "file")
    entities = {str(e.id): e for e in result.entities}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))[2:]
    groups = {r[-1] for r in rows}
    assert len([e for e in entities.values() if e.schema.name == "Person"]) == len(groups)
    hojati = entities["gb-hmt-9053"]
    assert hojati.get("name") == ["Mohsen HOJATI"]
    persian = next(s for s in hojati.statements if s.value == "محسن حجتی")
    assert persian.lang == "fas"
    assert hojati.get("birthDate") == ["1955-09-28"]
    so = entities["gb-hmt-11039"]
    assert set(so.get("birthDate")) == {str(y) for y in range(1932, 1939)}  # "00/00/1936"
    saeed = entities["gb-hmt-9215"]
    sanction = entities["gb-hmt-9215-sanction-ofsi"]
    assert sanction.get("unscId") == ["QDi.263"]
    assert sanction.get("authorityId") == ["AQD0183"]
    assert saeed.get("addressEntity")
    (doc,) = [e for e in entities.values() if e.schema.name == "Identification"]
    assert doc.get("holder") == ["gb-hmt-9215"]
    assert doc.get("number") == ["3520025509842-7 (Pakistani)"]


def test_hmt_missing_columns(shared_data: Path, tmp_path: Path) -> None:
    lines = _hmt(shared_data).read_text(encoding="utf-8").splitlines()
    rows = list(csv.reader(lines))
    bad = tmp_path / "hmt.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([rows[0]] + [r[:-1] for r in rows[1:]])  # no Group ID
    with pytest.raises(InputError) as err:
        read_uk(bad)
    assert (err.value.file, err.value.row, err.value.field) == (str(bad), 2, "Group ID")


def test_hmt_wrong_encoding(shared_data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "hmt.csv"
    bad.write_text(_hmt(shared_data).read_text(encoding="utf-8"), encoding="utf-16")
    with pytest.raises(InputError, match="UTF-16") as err:
        read_uk(bad)
    assert err.value.file == str(bad)


def test_hmt_truncated_record(shared_data: Path, tmp_path: Path) -> None:
    text = _hmt(shared_data).read_text(encoding="utf-8")
    bad = tmp_path / "hmt.csv"
    bad.write_text(text[: text.index("PLOTNITSKII") + 40], encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_uk(bad)
    assert err.value.file == str(bad) and err.value.row == 22


def test_hmt_group_type_changing_between_rows_is_reported(
    shared_data: Path, tmp_path: Path
) -> None:
    """Fuzz finding: a group first typed as an entity, then given a birth date."""
    lines = _hmt(shared_data).read_text(encoding="utf-8").splitlines()
    rows = list(csv.reader(lines))
    header = rows[1]
    first = rows[2][:]
    first[header.index("Group Type")] = "Entity"
    bad = tmp_path / "hmt.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([rows[0], header, first, *rows[2:]])
    result = read_hmt_csv(bad)
    entities = {str(e.id): e for e in result.entities}
    assert entities["gb-hmt-9053"].schema.name == "Organization"
    assert any(i.field == "Group Type" and i.row == 4 for i in result.report.issues)
