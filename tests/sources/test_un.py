"""UN reader on the real 2026 consolidated list and the 2024 sample, plus hostile input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from followthemoney.statement import StatementEntity

from dualtrace.errors import InputError
from dualtrace.model.provenance import SourcePointer
from dualtrace.sources.base import ReadResult
from dualtrace.sources.un import read_un


def _un(shared_data: Path) -> Path:
    return shared_data / "lists" / "un" / "UN_consolidated.xml"


@pytest.fixture(scope="module")
def un(shared_data: Path) -> tuple[ReadResult, dict[str, StatementEntity]]:
    (result,) = read_un(_un(shared_data))
    return result, {str(e.id): e for e in result.entities}


def test_version_from_date_generated(un: tuple) -> None:  # type: ignore[type-arg]
    result, _ = un
    assert result.dataset.name == "un_sc"
    assert (result.version.version, result.version.basis) == ("2026-02-27", "file")


def test_counts_match_raw_records(un: tuple, shared_data: Path) -> None:  # type: ignore[type-arg]
    _, entities = un
    raw = _un(shared_data).read_text(encoding="utf-8")
    individuals = len(re.findall(r"<INDIVIDUAL>", raw))
    organisations = len(re.findall(r"<ENTITY>", raw))
    schemata = [e.schema.name for e in entities.values()]
    assert schemata.count("Person") == individuals == 730
    assert schemata.count("Organization") == organisations == 273
    assert schemata.count("Sanction") == individuals + organisations


def test_alias_quality_and_original_script(un: tuple) -> None:  # type: ignore[type-arg]
    _, entities = un
    weak = sum(len(e.get("weakAlias")) for e in entities.values() if e.schema.name == "Person")
    assert weak > 300  # UN "Low" quality aliases are weak aliases, not names
    saddam = entities["un-iqi-001"]
    assert saddam.get("name") == ["SADDAM HUSSEIN AL-TIKRITI"]
    arabic = next(s for s in saddam.statements if s.value == "صدام حسين التكريتي")
    assert arabic.lang == "ara"
    assert SourcePointer.decode(arabic.origin).row == 4334


def test_entity_with_sanction_and_addresses(un: tuple) -> None:  # type: ignore[type-arg]
    _, entities = un
    sanction = entities["un-cdi-001-sanction-un"]
    assert sanction.get("unscId") == ["CDi.001"]
    assert sanction.get("program") == ["DRC"]
    assert sanction.get("listingDate") == ["2012-12-31"]
    assert sanction.get("authority") == ["United Nations Security Council"]
    badege = entities["un-cdi-001"]
    assert badege.get("birthDate") == ["1971"]
    assert badege.get("country") == ["rw"]  # address with only a country
    with_address = [e for e in entities.values() if e.schema.name == "Address"]
    assert len(with_address) > 200


def test_sample_with_documents(shared_data: Path) -> None:
    (result,) = read_un(shared_data / "lists" / "format-samples" / "sample_unsc.xml")
    entities = {str(e.id): e for e in result.entities}
    assert result.version.version == "2024-10-17"
    jaber = entities["un-qdi-237"]
    assert "101423404" in jaber.get("passportNumber")
    assert jaber.get("birthDate") == ["1959-09-24"]
    assert {"Abdul-Ghani", "Abu Muhammad"} <= set(jaber.get("weakAlias"))
    passports = [e for e in entities.values() if e.schema.name == "Passport"]
    assert any(e.get("holder") == ["un-qdi-237"] for e in passports)


def test_truncated_xml(shared_data: Path, tmp_path: Path) -> None:
    raw = _un(shared_data).read_bytes()
    bad = tmp_path / "un.xml"
    bad.write_bytes(raw[:500_000])
    with pytest.raises(InputError) as err:
        read_un(bad)
    assert err.value.file == str(bad)
    assert err.value.row is not None and err.value.row > 1000


def test_billion_laughs_refused_not_expanded(tmp_path: Path) -> None:
    bomb = tmp_path / "un.xml"
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY l0 "lol">{levels}]>\n'
        '<CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00Z"><INDIVIDUALS><INDIVIDUAL>'
        "<DATAID>1</DATAID><FIRST_NAME>&l9;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS>"
        "</CONSOLIDATED_LIST>"
    )
    with pytest.raises(InputError, match="DTD") as err:
        read_un(bomb)
    assert err.value.row == 2


def test_wrong_root_element(shared_data: Path) -> None:
    with pytest.raises(InputError, match="not a UN consolidated list"):
        read_un(shared_data / "lists" / "format-samples" / "sample_eu.xml")


def test_record_without_reference_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "un.xml"
    bad.write_text(
        '<CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00Z"><INDIVIDUALS>\n'
        "<INDIVIDUAL><FIRST_NAME>X</FIRST_NAME></INDIVIDUAL>\n</INDIVIDUALS></CONSOLIDATED_LIST>"
    )
    with pytest.raises(InputError, match="record #1") as err:
        read_un(bad)
    assert err.value.row == 2
