"""OFAC XML, the US Consolidated Screening List and BIS Denied Persons on the real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from followthemoney.statement import StatementEntity

from dualtrace.errors import InputError
from dualtrace.model.provenance import SourcePointer
from dualtrace.sources.base import ReadResult
from dualtrace.sources.ofac_xml import read_ofac_xml
from dualtrace.sources.us_csl import dpl_entity_id, read_csl, read_dpl
from dualtrace.store import Store
from dualtrace.store.diff import diff_versions


def _entities(result: ReadResult) -> dict[str, StatementEntity]:
    return {str(e.id): e for e in result.entities}


@pytest.fixture(scope="module")
def enhanced(shared_data: Path) -> tuple[ReadResult, dict[str, StatementEntity]]:
    result = read_ofac_xml(shared_data / "lists/ofac-consolidated/CONS_ENHANCED.XML")
    return result, _entities(result)


@pytest.fixture(scope="module")
def csl(shared_data: Path) -> dict[str, tuple[ReadResult, dict[str, StatementEntity]]]:
    return {
        r.dataset.name: (r, _entities(r))
        for r in read_csl(shared_data / "lists/us-csl/consolidated_csl.csv")
    }


def test_enhanced_xml_identifiers_scripts_and_provenance(
    enhanced: tuple[ReadResult, dict[str, StatementEntity]],
) -> None:
    result, ents = enhanced
    assert result.dataset.name == "ofac_cons"
    assert (result.version.version, result.version.basis) == ("2025-01-10", "file")
    vtb = ents["ofac-17013"]
    # Identity documents land in scheme properties only when their check digits pass.
    assert vtb.get("innCode") == ["7702070139"]
    assert vtb.get("ogrnCode") == ["1027739609391"]
    assert vtb.get("leiCode") == ["253400V1H6ART1UQ0N98"]
    assert "БАНК ВТБ ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО" in vtb.get("name")
    assert "VTB BANK PJSC" in vtb.get("alias")
    assert "ru" in vtb.get("country")
    for stmt in vtb.statements:
        if stmt.prop == "id":
            continue  # FtM's synthetic schema statement
        ptr = SourcePointer.decode(stmt.origin)
        assert ptr.file == "CONS_ENHANCED.XML" and ptr.row is not None and ptr.row > 3000
    # Ownership relations by OFAC id, and one Sanction per list (not the umbrella list).
    owned = [
        e for e in ents.values() if e.schema.name == "Ownership" and "ofac-17013" in e.get("owner")
    ]
    assert owned
    sanctions = [
        e
        for e in ents.values()
        if e.schema.name == "Sanction" and e.get("entity") == ["ofac-17013"]
    ]
    assert sanctions and all(
        "Consolidated List" not in str(s.first("provisions")) for s in sanctions
    )


def test_classic_sdnlist_xml(shared_data: Path) -> None:
    result = read_ofac_xml(shared_data / "lists/format-samples/sample_ofac_consolidated.xml")
    assert result.version.version == "2020-04-22"
    ents = _entities(result)
    saeed = ents["ofac-10689"]
    assert saeed.schema.name == "Person"
    assert set(saeed.get("passportNumber")) == {"Booklet A5250088", "BE5978421"}
    assert "HAFIZ SAHIB" in saeed.get("weakAlias")  # 'weak' category is not a strong alias
    assert saeed.get("birthDate") == ["1950-06-05"]
    assert saeed.get("nationality") == ["pk"]


def test_xml_with_entity_declarations_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        "<sdnList><sdnEntry><uid>1</uid><lastName>&b;</lastName></sdnEntry></sdnList>"
    )
    with pytest.raises(InputError, match="entities"):
        read_ofac_xml(bomb)


def test_truncated_xml_names_file_and_last_record(shared_data: Path, tmp_path: Path) -> None:
    raw = (shared_data / "lists/ofac-consolidated/CONS_ENHANCED.XML").read_bytes()
    cut = tmp_path / "CONS_ENHANCED.XML"
    cut.write_bytes(raw[: len(raw) // 2])
    result = read_ofac_xml(cut)
    with pytest.raises(InputError) as exc:
        list(result.entities)
    assert exc.value.file == str(cut)
    assert "after record" in str(exc.value) and exc.value.row is not None


def test_xml_record_without_name_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "sdn.xml"
    bad.write_text(
        '<?xml version="1.0"?><sdnList><publshInformation><Publish_Date>04/22/2020'
        "</Publish_Date></publshInformation><sdnEntry><uid>7</uid><sdnType>Entity</sdnType>"
        "</sdnEntry></sdnList>"
    )
    with pytest.raises(InputError) as exc:
        list(read_ofac_xml(bad).entities)
    assert "record 7" in str(exc.value) and exc.value.field == "lastName"


def test_not_an_ofac_file(shared_data: Path) -> None:
    with pytest.raises(InputError, match="not an OFAC XML file"):
        read_ofac_xml(shared_data / "lists/format-samples/sample_unsc.xml")


def test_csl_is_split_into_its_lists(
    csl: dict[str, tuple[ReadResult, dict[str, StatementEntity]]],
) -> None:
    assert {
        "us_bis_el",
        "us_bis_meu",
        "us_bis_uvl",
        "us_bis_dpl",
        "us_ddtc_debarred",
        "us_csl_sdn",
    } <= set(csl)
    el, el_ents = csl["us_bis_el"]
    assert el.version.version == "2022-04-21"
    parties = [e for e in el_ents.values() if e.schema.name != "Sanction"]
    assert len(parties) == 2001
    almaz = [e for e in parties if "Joint-Stock Company Concern Almaz-Antey" in e.get("name")]
    assert len(almaz) == 1
    assert "Almaz-Antey Corp" in almaz[0].get("alias")
    assert almaz[0].get("country") == ["ru"]
    sanction = next(
        e
        for e in el_ents.values()
        if e.schema.name == "Sanction" and e.get("entity") == [almaz[0].id]
    )
    assert sanction.get("authorityId") == ["79 FR 42452"]
    assert sanction.get("startDate") == ["2014-07-22"]
    assert "export.control" in almaz[0].get("topics")
    # OFAC rows keep OFAC's number, the key shared with OFAC's own files.
    sdn = csl["us_csl_sdn"][1]["us-csl-ofac-16865"]
    assert "ALMAZ-ANTEY CORP" in sdn.get("alias")


def test_dpl_txt_and_csl_dpl_are_versions_of_one_list(
    shared_data: Path, csl: dict[str, tuple[ReadResult, dict[str, StatementEntity]]]
) -> None:
    result = read_dpl(shared_data / "lists/us-csl/dpl_bis_denied_persons.txt")
    assert result.dataset.name == "us_bis_dpl"
    assert (result.version.version, result.version.basis) == (
        "2023-11-28",
        "file",
    )  # 3033 typo ignored
    ents = _entities(result)
    ash = dpl_entity_id("I. ASH", "2003-06-19")
    assert ash in ents and ash in csl["us_bis_dpl"][1]
    assert ents[ash].get("country") == ["us"]


HEADER = (
    "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,"
    "start_date,end_date,standard_order,license_requirement,license_policy,call_sign,"
    "vessel_type,gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,"
    "source_list_url,alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,"
    "source_information_url,ids\n"
)


def test_address_only_entity_list_entry_becomes_an_address(tmp_path: Path) -> None:
    # Shape of BIS's Hong Kong address-only listings: the "name" is the address.
    path = tmp_path / "csl.csv"
    path.write_text(
        HEADER + "abc123,Entity List (EL) - Bureau of Industry and Security,,,,"
        '"Room 1102, 11/F, Ho King Commercial Centre, 2-16 Fa Yuen Street, Mongkok, Kowloon, '
        'Hong Kong",,,88 FR 12345,2023-02-24,,,For all items subject to the EAR.,'
        "Presumption of denial.,,,,,,,,,,,,,,,\n"
    )
    [result] = read_csl(path)
    ents = list(result.entities)
    addr = next(e for e in ents if e.schema.name == "Address")
    assert "Ho King Commercial Centre" in str(addr.first("full"))
    assert addr.get("country") == ["hk"]
    assert addr.get("name") == addr.get("full")  # screenable like a name
    assert any(e.schema.name == "Sanction" and e.get("entity") == [addr.id] for e in ents)


def test_truncated_csl_names_file_and_record(shared_data: Path, tmp_path: Path) -> None:
    raw = (shared_data / "lists/us-csl/consolidated_csl.csv").read_bytes()
    cut = tmp_path / "consolidated.csv"
    cut.write_bytes(raw[:300_000].rsplit(b",", 3)[0])
    with pytest.raises(InputError) as exc:
        read_csl(cut)
    assert exc.value.file == str(cut) and exc.value.row is not None
    assert "record" in str(exc.value)


def test_csl_with_the_wrong_header(shared_data: Path) -> None:
    with pytest.raises(InputError) as exc:
        read_csl(shared_data / "lists/opensanctions-static/us_bis_mieu/mieu.csv")
    assert exc.value.row == 1 and exc.value.field == "_id"


def test_csl_unknown_list_is_named(tmp_path: Path) -> None:
    path = tmp_path / "csl.csv"
    path.write_text(HEADER + "x1,Secret List (SL) - Nobody,,,,ACME,,,,,,,,,,,,,,,,,,,,,,,\n")
    with pytest.raises(InputError) as exc:
        read_csl(path)
    assert exc.value.row == 2 and exc.value.field == "source"


def test_dpl_bad_date_names_row_and_field(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "lists/us-csl/dpl_bis_denied_persons.txt").read_text().splitlines()
    lines[2] = lines[2].replace('"08/24/2022"', '"24th August"')
    path = tmp_path / "dpl.txt"
    path.write_text("\n".join(lines[:5]) + "\n")
    result = read_dpl(path, version="2023-11-30")
    with pytest.raises(InputError) as exc:
        list(result.entities)
    assert (exc.value.row, exc.value.field) == (3, "Effective_Date")


def test_dpl_versions_diff_and_as_of(shared_data: Path, tmp_path: Path, store: Store) -> None:
    """Two publications of the DPL: who was added, and who was listed on a given date."""
    lines = (shared_data / "lists/us-csl/dpl_bis_denied_persons.txt").read_text().splitlines()
    older = tmp_path / "dpl_old.txt"
    older.write_text("\n".join(lines[:-3]) + "\n")  # the last three orders not yet issued
    for path, version in ((older, "2023-06-01"), (tmp_path / "dpl.txt", None)):
        if version is None:
            path.write_text("\n".join(lines) + "\n")
        r = read_dpl(path, version)
        store.load(r.dataset, r.version, r.statements(), r.report)
    d = diff_versions(store, "us_bis_dpl", "2023-06-01", "2023-11-28")
    added = {row[0] for row in d.added if "-sanction-" not in row[0]}
    # three rows, two denied parties (one party has two addresses: one entity)
    assert len(added) == 2 and not d.removed
    newest = next(iter(added))
    assert store.entity_statements(newest, as_of="2023-07-01") == []
    assert store.entity_statements(newest)


def test_enhanced_xml_names_its_list(shared_data: Path, tmp_path: Path) -> None:
    """SDN_ENHANCED.XML loads into ofac_sdn, CONS_ENHANCED.XML into ofac_cons."""
    raw = (shared_data / "lists/ofac-consolidated/CONS_ENHANCED.XML").read_text()
    head = raw[: raw.index("<entities>")]
    entity = raw[
        raw.index('<entity id="17013">') : raw.index("</entity>", raw.index('<entity id="17013">'))
    ]
    sdn = head.replace(">Consolidated List</sanctionsList>", ">SDN List</sanctionsList>", 1)
    path = tmp_path / "SDN_ENHANCED.XML"
    path.write_text(sdn + "<entities>" + entity + "</entity></entities></sanctionsData>")
    result = read_ofac_xml(path)
    assert result.dataset.name == "ofac_sdn"
    assert [e.id for e in result.entities if e.schema.name == "Organization"] == ["ofac-17013"]
