"""EU readers on the real Official Journal annexes and FSF XML, plus malformed input."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from followthemoney.statement import StatementEntity

from dualtrace.errors import InputError
from dualtrace.model.provenance import SourcePointer
from dualtrace.sources.base import ReadResult
from dualtrace.sources.eu import celex_title, read_eu, read_eu_journal_csv, read_eu_xml
from dualtrace.store import Store


def _journal(shared_data: Path) -> Path:
    return shared_data / "lists" / "eu-journal"


def _read(path: Path) -> tuple[ReadResult, dict[str, StatementEntity]]:
    (result,) = read_eu(path)
    return result, {str(e.id): e for e in result.entities}


@pytest.fixture(scope="module")
def eu_269(shared_data: Path) -> tuple[ReadResult, dict[str, StatementEntity]]:
    return _read(_journal(shared_data) / "consolidated" / "32014R0269.csv")


@pytest.fixture(scope="module")
def eu_833(shared_data: Path) -> tuple[ReadResult, dict[str, StatementEntity]]:
    return _read(_journal(shared_data) / "consolidated" / "32014R0833.csv")


def _named(entities: dict[str, StatementEntity], pattern: str) -> list[StatementEntity]:
    rx = re.compile(pattern, re.IGNORECASE)
    return [
        e
        for e in entities.values()
        if e.schema.name != "Sanction" and any(rx.search(n) for n in e.get("name"))
    ]


def _sanctions_of(entities: dict[str, StatementEntity], entity_id: str) -> list[StatementEntity]:
    return [
        e for e in entities.values() if e.schema.name == "Sanction" and entity_id in e.get("entity")
    ]


def test_kupol_on_269_with_cyrillic_name_and_tax_ids(eu_269: tuple) -> None:  # type: ignore[type-arg]
    result, entities = eu_269
    assert result.dataset.name == "eu_32014r0269"
    (kupol,) = _named(entities, r"IZHEVSK ELECTROMECHANICAL PLANT")
    cyrillic = [s for s in kupol.statements if s.prop == "alias" and "КУПОЛ" in s.value]
    assert cyrillic and cyrillic[0].lang == "rus"
    # Printed as taxNumber / registrationNumber; the check digits make them INN / OGRN.
    assert kupol.get("innCode") == ["1831083343"]
    assert kupol.get("ogrnCode") == ["1021801143374"]
    (sanction,) = _sanctions_of(entities, str(kupol.id))
    assert sanction.get("program") == ["Regulation (EU) No 269/2014 (32014R0269), Annex I.ENTITIES"]
    assert sanction.get("programId") == ["EU-UKR"]
    assert sanction.get("listingDate") == ["2022-12-16"]
    assert sanction.get("provisions") == ["Asset freeze"]
    assert sanction.get("authorityId") == ["141"]
    assert sanction.get("reason")  # listing reason kept as prose
    assert sanction.get("sourceUrl") == [
        "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32014R0269"
    ]
    pointer = SourcePointer.decode(cyrillic[0].origin)
    assert pointer.file == "32014R0269.csv"
    assert pointer.row is not None and pointer.row > 1


def test_kupol_row_pointer_is_the_csv_line(eu_269: tuple, shared_data: Path) -> None:  # type: ignore[type-arg]
    _, entities = eu_269
    (kupol,) = _named(entities, r"IZHEVSK ELECTROMECHANICAL PLANT")
    row = SourcePointer.decode(next(s for s in kupol.statements if s.prop == "name").origin).row
    path = _journal(shared_data) / "consolidated" / "32014R0269.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        for fields in reader:
            if reader.line_num == row:
                assert "IZHEVSK ELECTROMECHANICAL PLANT" in ",".join(fields)
                break
        else:
            pytest.fail(f"row {row} not found")


def test_kupol_on_833_with_inn(eu_833: tuple) -> None:  # type: ignore[type-arg]
    _, entities = eu_833
    (kupol,) = _named(entities, r"Izhevsk Electromechanical Plant Kupol")
    assert kupol.get("innCode") == ["1831083343"]
    # The printed wording stays too, in the column it was printed in.
    assert "1831083343 (Tax ID/INN)" in kupol.get("registrationNumber")
    assert any(s.lang == "rus" and "Купол" in s.value for s in kupol.statements)
    (sanction,) = _sanctions_of(entities, str(kupol.id))
    assert sanction.get("provisions") == ["Export control"]
    assert "export.control" in kupol.get("topics")
    assert sanction.get("program") == ["Regulation (EU) No 833/2014 (32014R0833), Annex IV"]


def test_redlepus_on_269_with_chinese_name(eu_269: tuple) -> None:  # type: ignore[type-arg]
    _, entities = eu_269
    (redlepus,) = _named(entities, r"Redlepus")
    chinese = [s for s in redlepus.statements if s.value == "红兔矢量实业（深圳）有限公司"]
    assert len(chinese) == 1 and chinese[0].lang == "zho"
    assert redlepus.get("uscCode") == ["91440300MA5HX80Y1Q"]
    # "Chinese:" and "Text of image" are transcription labels, not aliases.
    names = redlepus.get("alias") + redlepus.get("name")
    assert "Chinese:" not in names and "Text of image" not in names


def test_almaz_antey_on_269_and_833(eu_269: tuple, eu_833: tuple) -> None:  # type: ignore[type-arg]
    _, e269 = eu_269
    _, e833 = eu_833
    (almaz,) = _named(e269, r"Almaz-Antey air and space")
    assert almaz.get("ogrnCode") == ["1027739001993"]
    # 833/2014 names it in three annexes (IV, XIII, XIX.A): three designations.
    on_833 = _named(e833, r"^(OAO )?Almaz[ -]Antey$")
    assert len(on_833) == 3
    assert any(e.get("innCode") == ["7731084175"] for e in on_833)


def _independent_journal_counts(path: Path) -> tuple[int, int]:
    """Designations and listings counted straight from the CSV (FORMAT.md rules)."""
    designations: set[tuple[str, ...]] = set()
    listings: set[tuple[str, ...]] = set()
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            fw = row.get("celex") or row["amendedCelex"]
            key = row["recordId"] or f"{row['schema']}|{' '.join(row['name'].split())}"
            designation = (fw, row["annex"], key, row["schema"])
            designations.add(designation)
            listings.add((*designation, row["programKey"], row["measure"]))
    return len(designations), len(listings)


@pytest.mark.parametrize(
    "name",
    ["consolidated/32014R0269.csv", "consolidated/32014R0833.csv", "amendments/32026R1843.csv"],
)
def test_entity_counts_match_independent_count(shared_data: Path, name: str) -> None:
    path = _journal(shared_data) / name
    result = read_eu_journal_csv(path)
    entities = list(result.entities)
    subjects = [e for e in entities if e.schema.name not in ("Sanction", "Address")]
    sanctions = [e for e in entities if e.schema.name == "Sanction"]
    designations, listings = _independent_journal_counts(path)
    assert len(subjects) == designations
    assert len(sanctions) == listings
    assert not [i for i in result.report.issues if i.severity == "error"]


def test_269_counts_are_plausible(eu_269: tuple) -> None:  # type: ignore[type-arg]
    _, entities = eu_269
    persons = [e for e in entities.values() if e.schema.name == "Person"]
    # Regulation 269/2014 lists well over a thousand persons and several hundred entities.
    assert 1500 < len(persons) < 2500
    cyrillic = sum(
        1 for e in persons for s in e.statements if s.prop in ("name", "alias") and s.lang == "rus"
    )
    assert cyrillic > 1000


def test_amendment_shares_entity_ids_with_its_framework(shared_data: Path) -> None:
    result = read_eu_journal_csv(_journal(shared_data) / "amendments" / "32026R1720.csv")
    assert result.dataset.name == "eu_32026r1720"
    # An amending act's version is its designation date, stated in every row.
    assert result.version.version == "2026-07-13"
    assert result.version.basis == "file"
    entities = {str(e.id): e for e in result.entities}
    # Same id as the designation in the framework act's consolidated snapshot.
    assert entities["eu-32020r1998-i-a-139"].schema.name == "Person"
    (sanction,) = _sanctions_of(entities, "eu-32020r1998-i-a-139")
    assert sanction.get("description") == [
        "Added or amended by Regulation (EU) 2026/1720 (32026R1720)"
    ]
    assert sanction.get("program") == ["Regulation (EU) 2020/1998 (32020R1998), Annex I.A"]


def test_folder_load_one_dataset_per_act(shared_data: Path) -> None:
    results = read_eu(_journal(shared_data) / "amendments")
    names = sorted(r.dataset.name for r in results)
    assert names == sorted(
        f"eu_{p.stem.lower()}" for p in (_journal(shared_data) / "amendments").glob("*.csv")
    )


def test_celex_titles() -> None:
    assert celex_title("32014R0269") == "Regulation (EU) No 269/2014"
    assert celex_title("32024R1485") == "Regulation (EU) 2024/1485"
    assert celex_title("32002R0881") == "Regulation (EC) No 881/2002"
    assert celex_title("32010D0573") == "Decision 2010/573"


# ---------------------------------------------------------------- FSF XML


def test_fsf_sample(shared_data: Path) -> None:
    path = shared_data / "lists" / "format-samples" / "sample_eu.xml"
    result = read_eu_xml(path)
    assert result.dataset.name == "eu_fsf"
    assert (result.version.version, result.version.basis) == ("2020-04-15", "file")
    entities = {str(e.id): e for e in result.entities}
    raw = path.read_text(encoding="utf-8")
    # The sample repeats one record (logicalId 5468): one entity, and a reported issue.
    logical_ids = set(re.findall(r'<sanctionEntity [^>]*logicalId="(\d+)"', raw))
    assert len([e for e in entities.values() if e.schema.name == "Person"]) == len(logical_ids)
    assert [i.row for i in result.report.issues if i.field == "logicalId"] == [110]
    abid = entities["eu-fsf-5295"]
    assert "Abid Hammadou" in abid.get("name")
    assert {"Abdelhamid Abou Zeid", "Youcef Adel"} <= set(abid.get("alias"))
    assert {"1965-12-12", "1958"} <= set(abid.get("birthDate"))
    assert abid.get("nationality") == ["dz"]
    name_stmt = next(s for s in abid.statements if s.value == "Abid Hammadou")
    pointer = SourcePointer.decode(name_stmt.origin)
    assert raw.splitlines()[pointer.row - 1].lstrip().startswith('<nameAlias firstName="Abid"')  # type: ignore[operator]
    (sanction,) = _sanctions_of(entities, "eu-fsf-5295")
    assert sanction.get("program") == ["TAQA"]
    assert sanction.get("authorityId") == ["EU.2026.82"]
    assert sanction.get("listingDate") == ["2008-07-03"]
    passports = [e for e in entities.values() if e.schema.name == "Passport"]
    assert any("488555" in p.get("number") for p in passports)


def test_version_override(shared_data: Path) -> None:
    path = shared_data / "lists" / "format-samples" / "sample_eu.xml"
    (result,) = read_eu(path, version="2021-01-31")
    assert (result.version.version, result.version.basis) == ("2021-01-31", "given")
    with pytest.raises(InputError, match="--version"):
        read_eu(path, version="31/01/2021")


# ---------------------------------------------------------------- malformed input


def test_truncated_xml_names_file_and_line(shared_data: Path, tmp_path: Path) -> None:
    raw = (shared_data / "lists" / "format-samples" / "sample_eu.xml").read_bytes()
    bad = tmp_path / "cut.xml"
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError) as err:
        read_eu(bad)
    assert err.value.file == str(bad)
    assert err.value.row is not None and err.value.row > 10
    assert "truncated" in str(err.value)


def test_entity_expansion_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    lol = "".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};">' for i in range(1, 9))
    bomb.write_text(
        f'<?xml version="1.0"?><!DOCTYPE export [<!ENTITY l0 "lol">{lol}]>'
        '<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2020-01-01">'
        '<sanctionEntity logicalId="1"><nameAlias wholeName="&l8;" strong="true"/>'
        "</sanctionEntity></export>"
    )
    with pytest.raises(InputError, match="DTD"):
        read_eu(bomb)


def test_xxe_refused(tmp_path: Path) -> None:
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(
        '<?xml version="1.0"?><!DOCTYPE export [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<export generationDate="2020-01-01"><sanctionEntity logicalId="1">'
        '<nameAlias wholeName="&x;" strong="true"/></sanctionEntity></export>'
    )
    with pytest.raises(InputError, match="refused"):
        read_eu(xxe)


def test_journal_csv_missing_column(shared_data: Path, tmp_path: Path) -> None:
    src = _journal(shared_data) / "consolidated" / "32014R0208.csv"
    lines = src.read_text(encoding="utf-8").splitlines()
    rows = list(csv.reader(lines))
    drop = rows[0].index("innCode")
    bad = tmp_path / "32014R0208.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        for row in rows:
            writer.writerow(row[:drop] + row[drop + 1 :])
    with pytest.raises(InputError) as err:
        read_eu(bad)
    assert err.value.file == str(bad) and err.value.row == 1 and err.value.field == "innCode"


def test_journal_csv_truncated_record(shared_data: Path, tmp_path: Path) -> None:
    text = (_journal(shared_data) / "consolidated" / "32014R0208.csv").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    bad = tmp_path / "32014R0208.csv"
    cut = lines[3][: len(lines[3]) // 3]  # a record cut inside its cells
    bad.write_text("".join(lines[:3]) + cut + "\n" + "".join(lines[4:]), encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_eu(bad)
    assert err.value.file == str(bad) and err.value.row == 4


def test_journal_csv_wrong_encoding(shared_data: Path, tmp_path: Path) -> None:
    text = (_journal(shared_data) / "consolidated" / "32014R0208.csv").read_text(encoding="utf-8")
    bad = tmp_path / "32014R0208.csv"
    bad.write_text(text, encoding="utf-16")
    with pytest.raises(InputError, match="UTF-16") as err:
        read_eu(bad)
    assert err.value.file == str(bad)


def test_journal_row_with_unknown_schema_is_reported(shared_data: Path, tmp_path: Path) -> None:
    src = _journal(shared_data) / "consolidated" / "32014R0208.csv"
    rows = list(csv.reader(src.read_text(encoding="utf-8").splitlines()))
    schema_at = rows[0].index("schema")
    rows[2][schema_at] = "Spaceship"
    bad = tmp_path / "32014R0208.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    result = read_eu_journal_csv(bad)
    entities = list(result.entities)
    errors = [i for i in result.report.issues if i.severity == "error"]
    assert [(i.row, i.field) for i in errors] == [(3, "schema")]
    assert len([e for e in entities if e.schema.name == "Sanction"]) == len(rows) - 2


def test_load_into_store_and_read_back(shared_data: Path, store: Store) -> None:
    (result,) = read_eu(_journal(shared_data) / "consolidated" / "32014R0833.csv")
    report = store.load(result.dataset, result.version, result.statements(), result.report)
    assert report.entities > 1000
    rows = store.con.execute(
        "SELECT entity_id, source_file, source_row FROM statements "
        "WHERE dataset = 'eu_32014r0833' AND prop = 'innCode' AND value = '1831083343'"
    ).fetchall()
    assert rows and rows[0][1] == "32014R0833.csv" and rows[0][2] > 1
    stmts = store.entity_statements(rows[0][0])
    assert any(s.lang == "rus" and "Купол" in s.value for s in stmts)


def test_version_on_a_folder_dates_every_file(shared_data: Path) -> None:
    results = read_eu(_journal(shared_data) / "amendments", version="2026-08-14")
    assert {(r.version.version, r.version.basis) for r in results} == {("2026-08-14", "given")}


def test_properties_the_schema_lacks_are_kept_as_notes(shared_data: Path, tmp_path: Path) -> None:
    """Fuzz findings: a vessel with a phone, a company with a birth date, a cell with a
    line break must load (kept as notes), not crash."""
    src = _journal(shared_data) / "consolidated" / "32014R0208.csv"
    rows = list(csv.reader(src.read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    row = rows[1][:]
    row[header.index("schema")] = "Vessel"
    row[header.index("phone")] = "+7 (495) 787-89-55"
    row[header.index("alias")] = "First\rSecond; Third"
    bad = tmp_path / "32014R0208.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, row])
    (vessel,) = [e for e in read_eu_journal_csv(bad).entities if e.schema.name == "Vessel"]
    assert any("+7 (495) 787-89-55" in n for n in vessel.get("notes"))
    birth = row[header.index("birthDate")]
    assert birth and f"birthDate: {birth}" in vessel.get("notes")
    assert {"First Second", "Third"} <= set(vessel.get("alias"))


def test_fsf_contact_info_and_document_flags(tmp_path: Path) -> None:
    """The shape of later FSF exports: contactInfo on addresses, document status flags."""
    path = tmp_path / "fsf.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2024-05-01T10:00:00">\n'
        '<sanctionEntity designationDate="2022-12-16" euReferenceNumber="EU.1.2" logicalId="77">\n'
        '<regulation programme="UKR" numberTitle="2022/2477 (OJ L323)"/>\n'
        '<subjectType code="enterprise" classificationCode="E"/>\n'
        '<nameAlias wholeName="JSC Izhevsk Electromechanical Plant Kupol" strong="true"/>\n'
        '<nameAlias wholeName="ИЭМЗ Купол" nameLanguage="RU" strong="true"/>\n'
        '<nameAlias wholeName="Kupol" strong="false"/>\n'
        '<address city="Izhevsk" street="Pesochnaya str. 3" countryIso2Code="RU">\n'
        '<contactInfo key="PHONE" value="8 (3412) 72-22-09"/>\n'
        '<contactInfo key="EMAIL" value="iemz@kupol.ru"/>\n'
        "</address>\n"
        '<identification number="1831083343" identificationTypeCode="fiscalcode" '
        'countryIso2Code="RU" knownFalse="true"/>\n'
        "</sanctionEntity>\n</export>\n",
        encoding="utf-8",
    )
    result = read_eu_xml(path)
    assert result.version.version == "2024-05-01"
    entities = {str(e.id): e for e in result.entities}
    kupol = entities["eu-fsf-77"]
    assert kupol.schema.name == "Organization"
    assert kupol.get("weakAlias") == ["Kupol"]
    russian = next(s for s in kupol.statements if s.value == "ИЭМЗ Купол")
    assert russian.lang == "rus" and SourcePointer.decode(russian.origin).row == 7
    assert kupol.get("phone") == ["+73412722209"]
    assert kupol.get("email") == ["iemz@kupol.ru"]
    # A document the EU marks as false does not give the entity an identifier.
    assert kupol.get("innCode") == [] and kupol.get("taxNumber") == []
    (doc,) = [e for e in entities.values() if e.schema.name == "Identification"]
    assert "Document known to be false" in doc.get("description")
    assert doc.get("number") == ["1831083343"] and doc.get("holder") == ["eu-fsf-77"]
