"""The OFAC SDN CSV reader on the real 2021 and 2024 publications, plus bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualtrace.errors import InputError
from dualtrace.sources.ofac_remarks import parse_phrase, split_remarks
from dualtrace.sources.ofac_sdn import discover_file_sets, read_ofac_sdn
from dualtrace.store import Store

PRIMARY_SCHEMATA = {"Person", "Company", "Organization", "Vessel", "Airplane", "LegalEntity"}


def _primary_entities(result_entities: list) -> dict[str, object]:  # type: ignore[type-arg]
    return {
        e.id: e
        for e in result_entities
        if e.schema.name in PRIMARY_SCHEMATA and e.id.count("-") == 1
    }


@pytest.fixture(scope="module")
def sdn_2024(sdn_dir: Path) -> dict[str, object]:
    (result,) = read_ofac_sdn(sdn_dir / "sdn_2024-05-03.csv")
    entities = list(result.entities)
    return {"result": result, "entities": entities, "primary": _primary_entities(entities)}


def test_2024_primary_file_has_14965_entries(sdn_2024: dict[str, object]) -> None:
    primary = sdn_2024["primary"]
    assert isinstance(primary, dict)
    assert len(primary) == 14_965
    result = sdn_2024["result"]
    assert result.version.version == "2024-05-03"  # type: ignore[attr-defined]
    assert result.version.basis == "filename"  # type: ignore[attr-defined]


def test_kupol_with_aliases_identifiers_address_and_program(
    sdn_2024: dict[str, object],
) -> None:
    kupol = sdn_2024["primary"]["ofac-46431"]  # type: ignore[index]
    assert kupol.schema.name == "Company"
    assert kupol.get("name") == ["JOINT STOCK COMPANY IZHEVSK ELECTROMECHANICAL PLANT KUPOL"]
    assert {"JSC IEMZ KUPOL", "AO IEMZ KUPOL"} <= set(kupol.get("alias"))
    assert kupol.get("innCode") == ["1831083343"]
    assert kupol.get("ogrnCode") == ["1021801143374"]
    assert kupol.get("country") == ["ru"]
    assert "http://www.kupol.ru/" in kupol.get("website")
    sanction = next(
        e
        for e in sdn_2024["entities"]
        if e.id == "ofac-46431-sanction"  # type: ignore[attr-defined]
    )
    assert sanction.get("program") == ["RUSSIA-EO14024"]
    assert sanction.get("entity") == ["ofac-46431"]
    # every statement points back to its file and row
    for stmt in kupol.statements:
        if stmt.prop != "id":
            assert stmt.origin and (
                '"f":"sdn_2024-05-03.csv"' in stmt.origin
                or '"f":"alt_2025-12-24.csv"' in stmt.origin
                or '"f":"add_2025-12-24.csv"' in stmt.origin
            )


def test_almaz_antey_and_aliases_kept_apart(sdn_2024: dict[str, object]) -> None:
    almaz = sdn_2024["primary"]["ofac-16865"]  # type: ignore[index]
    assert "JOINT STOCK COMPANY AEROSPACE DEFENSE CONCERN ALMAZ-ANTEY" in almaz.get("name")
    assert "JSC CONCERN VKO ALMAZ-ANTEY" in almaz.get("alias")
    # f.k.a. rows are previous names, not current aliases
    assert "OAO CONCERN PVO ALMAZ-ANTEY" in almaz.get("previousName")
    assert "OAO CONCERN PVO ALMAZ-ANTEY" not in almaz.get("alias")
    assert almaz.get("innCode") == ["7731084175"]


def test_tsk_vektor_alias_from_2025_alias_file(sdn_2024: dict[str, object]) -> None:
    vektor = sdn_2024["primary"]["ofac-46441"]  # type: ignore[index]
    assert vektor.get("name") == ["TSK VEKTOR, OOO"]
    assert "OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU TSK VEKTOR" in vektor.get("alias")
    assert vektor.get("innCode") == ["3849055365"]
    links = [
        e
        for e in sdn_2024["entities"]  # type: ignore[attr-defined]
        if e.schema.name == "UnknownLink" and e.get("subject") == ["ofac-46441"]
    ]
    assert [link.get("object") for link in links] == [["ofac-46431"]]


def test_weak_aliases_from_remarks_are_not_names(sdn_dir: Path) -> None:
    (result,) = read_ofac_sdn(sdn_dir / "sdn_2021-07-07.csv")
    bnc = next(e for e in result.entities if e.id == "ofac-306")
    assert bnc.get("weakAlias") == ["BNC"]
    assert "BNC" not in bnc.get("alias") and "BNC" not in bnc.get("name")


def test_orphan_aliases_are_reported_with_file_and_row(sdn_2024: dict[str, object]) -> None:
    issues = sdn_2024["result"].report.issues  # type: ignore[attr-defined]
    orphans = [
        i for i in issues if i.file == "alt_2025-12-24.csv" and "not in the primary" in i.message
    ]
    assert orphans, "aliases of entries listed after 2024-05-03 must be reported"
    assert all(i.row and i.row > 0 for i in orphans)
    # e.g. Redlepus (listed in 2025) has aliases but no 2024 primary record
    assert any("REDLEPUS" in i.message.upper() for i in orphans) or len(orphans) > 100


def test_companion_substitution_is_reported(sdn_dir: Path) -> None:
    sets = {fs.date: fs for fs in discover_file_sets(sdn_dir)}
    assert set(sets) == {"2021-07-07", "2024-05-03"}
    assert (
        sets["2021-07-07"].alt is not None and sets["2021-07-07"].alt.name == "alt_2021-07-07.csv"
    )
    later = sets["2024-05-03"]
    assert later.alt is not None and later.alt.name == "alt_2025-12-24.csv"
    assert later.comments is None  # remark overflow of another date is never spliced in
    assert any("sdn_comments_2025-12-24.csv not joined" in s for s in later.substitutions)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("DOB 12 Jan 1960", [("birthDate", "1960-01-12")]),
        ("DOB circa 1958", [("birthDate", "1958")]),
        ("Tax ID No. 1831083343 (Russia)", [("taxNumber", "1831083343")]),
        ("Vessel Registration Identification IMO 9187629", [("imoNumber", "9187629")]),
        ("Email Address info@raspletin.ru", [("email", "info@raspletin.ru")]),
        ("a.k.a. 'GSKB'", [("weakAlias", "GSKB")]),
        ("alt. Email Address almaz_zakupki@mail.ru", [("email", "almaz_zakupki@mail.ru")]),
        (
            "Linked To: JOINT STOCK COMPANY IZHEVSK ELECTROMECHANICAL PLANT KUPOL.",
            [("_linked", "JOINT STOCK COMPANY IZHEVSK ELECTROMECHANICAL PLANT KUPOL")],
        ),
        ("Some unrecognised text", []),
    ],
)
def test_remark_phrases(phrase: str, expected: list[tuple[str, str]]) -> None:
    assert [(f.prop, f.value) for f in parse_phrase(phrase)] == expected


def test_split_remarks_keeps_quoted_semicolons() -> None:
    parts = split_remarks("a.k.a. 'A; B'; DOB 1960; nationality Russia.")
    assert parts == ["a.k.a. 'A; B'", "DOB 1960", "nationality Russia."]


# ---------------------------------------------------------------- bad input


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_truncated_file_loads_good_rows_and_reports_the_cut_row(
    tmp_path: Path, sdn_dir: Path
) -> None:
    raw = (sdn_dir / "sdn_2021-07-07.csv").read_bytes()[:20_000]  # cut mid-record
    target = tmp_path / "sdn_2021-07-07.csv"
    target.write_bytes(raw)
    (result,) = read_ofac_sdn(target)
    entities = list(result.entities)
    assert len(_primary_entities(entities)) > 50
    errors = [i for i in result.report.issues if i.severity == "error"]
    assert errors and errors[-1].file == "sdn_2021-07-07.csv" and errors[-1].row
    with Store.open(tmp_path / "s.duckdb") as store:
        store.load(
            result.dataset,
            result.version,
            iter(s for e in entities for s in e.statements),
            result.report,
        )
        assert store.versions("ofac_sdn")[0].version == "2021-07-07"


def test_utf16_file_is_refused_with_file_name(tmp_path: Path) -> None:
    target = _write(tmp_path / "sdn.csv", '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA"\n', "utf-16")
    with pytest.raises(InputError, match=r"sdn\.csv: not a UTF-8 text file"):
        read_ofac_sdn(target)


def test_windows_1252_file_is_decoded_with_a_warning(tmp_path: Path) -> None:
    row = '99,"CAF\u00c9 NACIONAL",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
    target = _write(tmp_path / "sdn.csv", row, "cp1252")
    (result,) = read_ofac_sdn(target)
    (entity, *_rest) = list(result.entities)
    assert entity.get("name") == ["CAF\u00c9 NACIONAL"]
    assert any("Windows-1252" in i.message for i in result.report.issues)


def test_missing_columns_is_a_clear_error(tmp_path: Path) -> None:
    target = _write(tmp_path / "sdn.csv", '36,"AEROCARIBBEAN AIRLINES","CUBA"\n173,"X","CUBA"\n')
    with pytest.raises(InputError) as info:
        read_ofac_sdn(target)
    msg = str(info.value)
    assert "sdn.csv:1" in msg and "12 columns" in msg and "first row has 3" in msg


def test_not_an_ofac_file_name(tmp_path: Path) -> None:
    target = _write(tmp_path / "customers.csv", "a,b\n")
    with pytest.raises(InputError, match="not an OFAC primary file"):
        read_ofac_sdn(target)


def test_bad_ent_num_is_reported_not_fatal(tmp_path: Path) -> None:
    rows = (
        '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
        'X1,"BROKEN",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
    )
    (result,) = read_ofac_sdn(_write(tmp_path / "sdn.csv", rows))
    assert len(_primary_entities(list(result.entities))) == 1
    (issue,) = [i for i in result.report.issues if i.field == "ent_num"]
    assert issue.row == 2 and "X1" in issue.message


def test_entries_only_in_a_newer_alias_file_become_a_partial_dataset(sdn_dir: Path) -> None:
    """Redlepus (listed 2025) is in the 2025-12-24 alias file but no primary file."""
    results = {r.dataset.name: r for r in read_ofac_sdn(sdn_dir)}
    partial = results["ofac_sdn_partial"]
    assert partial.version.version == "2025-12-24"
    entities = {e.id: e for e in partial.entities}
    redlepus = entities["ofac-51265"]
    assert "REDLEPUS TSK VECTOR INDUSTRIAL SHENZHEN CO LTD" in redlepus.get("alias")
    assert redlepus.get("country") == ["cn"]
    assert any(
        "primary record for this entry is not in the files" in n for n in redlepus.get("notes")
    )
    origins = {s.origin for s in redlepus.statements if s.prop == "alias"}
    assert all('"f":"alt_2025-12-24.csv"' in (o or "") for o in origins)
    # entries that are in a primary file are never duplicated here
    assert "ofac-46431" not in entities and "ofac-46441" not in entities
    assert entities["ofac-51265-sanction"].get("entity") == ["ofac-51265"]
