"""Score behaviour: calibration, corroboration, conflicts, weak aliases, explanations."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import dualtrace
from dualtrace.resolve import DEFAULT_THRESHOLD
from dualtrace.resolve.scorer import FEATURES

# TSK Vektor as OFAC lists it (ent_num 46441, sdn_2024-05-03.csv / alt_2025-12-24.csv)
VEKTOR: dict[str, Any] = {
    "schema": "Company",
    "properties": {
        "name": ["TSK VEKTOR, OOO"],
        "alias": ["OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU TSK VEKTOR"],
        "taxNumber": ["3849055365"],
        "registrationNumber": ["1153850042246"],
        "country": ["ru"],
        "incorporationDate": ["2015-10-06"],
    },
}


def _ent(schema: str, name: str, **props: list[str]) -> dict[str, Any]:
    return {"schema": schema, "properties": {"name": [name], **props}}


def _q(**props: list[str]) -> dict[str, Any]:
    return {"schema": "Company", "properties": {"name": ["ООО ТСК Вектор"], **props}}


def test_bare_name_match_does_not_saturate() -> None:
    res = dualtrace.score_pair(_q(), VEKTOR)
    assert DEFAULT_THRESHOLD <= res.score < 0.9


def test_corroboration_raises_and_conflict_lowers() -> None:
    bare = dualtrace.score_pair(_q(), VEKTOR).score
    with_inn = dualtrace.score_pair(_q(innCode=["3849055365"]), VEKTOR).score
    with_country = dualtrace.score_pair(_q(country=["ru"]), VEKTOR).score
    with_date = dualtrace.score_pair(_q(incorporationDate=["2015-10-06"]), VEKTOR).score
    other_inn = dualtrace.score_pair(_q(innCode=["7703438390"]), VEKTOR).score
    other_country = dualtrace.score_pair(_q(country=["cn"]), VEKTOR).score
    other_date = dualtrace.score_pair(_q(incorporationDate=["1999-01-01"]), VEKTOR).score
    assert with_inn > 0.98
    assert bare < with_country < with_inn
    assert bare < with_date
    assert other_inn < DEFAULT_THRESHOLD
    assert other_country < bare
    assert other_date < DEFAULT_THRESHOLD


def test_invalid_identifier_counts_less_than_a_validated_one() -> None:
    cand = {
        "schema": "Company",
        "properties": {"name": ["Acme Rocket Works"], "idNumber": ["AB12345"]},
    }
    q = {
        "schema": "Company",
        "properties": {"name": ["Acme Rocket Works"], "idNumber": ["AB-12345"]},
    }
    res = dualtrace.score_pair(q, cand)
    assert res.features[[f.name for f in res.features].index("identifier_match")].value == 0.7


def test_weak_alias_alone_cannot_match() -> None:
    cand = {
        "schema": "Person",
        "properties": {"name": ["Ali Hassan AL-MAJID"], "weakAlias": ["Chemical Ali"]},
    }
    res = dualtrace.score_pair({"schema": "Person", "properties": {"name": ["Chemical Ali"]}}, cand)
    assert res.score < DEFAULT_THRESHOLD
    assert any("weak alias" in r for r in res.reasons)


def test_generic_words_cannot_match_alone() -> None:
    cand = {"schema": "Company", "properties": {"name": ["Global Trading Company"]}}
    q = {"schema": "Company", "properties": {"name": ["Global Trading LLC"]}}
    assert dualtrace.score_pair(q, cand).score < 0.9


def test_person_and_company_never_match() -> None:
    res = dualtrace.score_pair(
        {"schema": "Person", "properties": {"name": ["Vektor"]}},
        {"schema": "Company", "properties": {"name": ["Vektor"]}},
    )
    assert res.score == 0.0 and not res.match
    assert res.features[0].name == "schema_mismatch"


def test_every_feature_is_explained_in_words() -> None:
    res = dualtrace.score_pair(_q(innCode=["3849055365"], country=["ru"]), VEKTOR)
    assert len(res.features) == len(FEATURES)
    for feat in res.features:
        assert feat.explanation and feat.explanation[0].isupper()
    text = "\n".join(res.reasons)
    assert "3849055365" in text and "ru-inn" in text
    assert "shared: ru" in text
    data = res.to_dict()
    assert data["features"]["identifier_match"]["weight"] > 0


def test_person_birth_date_conflict() -> None:
    cand = {
        "schema": "Person",
        "properties": {"name": ["Vladimir Vladimirovich PUTIN"], "birthDate": ["1952-10-07"]},
    }
    same = dualtrace.score_pair(
        {
            "schema": "Person",
            "properties": {"name": ["Владимир Путин"], "birthDate": ["1952-10-07"]},
        },
        cand,
    )
    other = dualtrace.score_pair(
        {
            "schema": "Person",
            "properties": {"name": ["Владимир Путин"], "birthDate": ["1962-03-01"]},
        },
        cand,
    )
    assert same.match
    assert other.score < 0.3


def test_cross_script_given_names_via_rigour_symbols() -> None:
    """rigour knows محمد and Mohamed are the same name; edit distance does not."""
    res = dualtrace.score_pair(_ent("Person", "محمد علي"), _ent("Person", "Mohamed Ali"))
    detail = res.features[0].detail or ""
    assert "same name" in detail
    assert res.score > 0.3


def test_missing_patronymic_costs_little() -> None:
    cand = _ent("Person", "Sergey Valeryevich AKSYONOV")
    assert dualtrace.score_pair(_ent("Person", "Sergey Aksyonov"), cand).match


def _eu_record(shared_data: Path, celex: str, annex: str, record_id: str) -> dict[str, Any]:
    """An EU journal person's names, verbatim from the consolidated CSV."""
    path = shared_data / "lists" / "eu-journal" / "consolidated" / f"{celex}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["annex"] == annex and row["recordId"] == record_id:
                names = [n for n in (row["name"], row["alias"]) if n]
                return {"schema": "Person", "properties": {"name": names}}
    raise AssertionError(f"{celex} annex {annex} record {record_id} not found")


def _negative_name(shared_data: Path, line: int) -> str:
    """full_name of a row of yente's negatives_global.csv (1-based file line)."""
    path = shared_data / "matching" / "yente-screening-bench" / "negatives_global.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return rows[line - 2]["full_name"]


def test_different_given_name_syllable_is_a_conflict(shared_data: Path) -> None:
    """성호 김 (a yente negative) shares two of three syllables with KIM Sung Su / 김성수
    (EU 32017R1509 annex XVI.A #14): the other given-name syllable differs on both sides."""
    listed = _eu_record(shared_data, "32017R1509", "XVI.A", "14")
    query = _negative_name(shared_data, 9122)
    assert query == "성호 김"
    res = dualtrace.score_pair({"schema": "Person", "properties": {"name": [query]}}, listed)
    conflict = next(f for f in res.features if f.name == "name_conflict")
    assert conflict.contribution < -1.0
    assert "ho" in (conflict.detail or "") and "su" in (conflict.detail or "")
    assert res.score < DEFAULT_THRESHOLD - 0.3
    # the listed name itself, in Hangul or Latin, still matches
    for own in ("김성수", "Kim Sung Su"):
        same = dualtrace.score_pair({"schema": "Person", "properties": {"name": [own]}}, listed)
        assert same.match, own
        assert all(f.contribution == 0 for f in same.features if f.name == "name_conflict")


def test_spelling_variants_and_patronymics_are_not_conflicts() -> None:
    """Parts that may be one name spelt two ways (Chong/Jong), initials, patronymics,
    honorifics and particles present on one side only do not count as different names."""
    for query, listed in (
        ("Kim Jong Un", "KIM Chong Un"),
        ("Sergey V. Aksyonov", "Sergey Valeryevich AKSYONOV"),
        ("Vladimir Putin", "Vladimir Vladimirovich PUTIN"),
        # yente UN positives vs the OFAC entries' names: honorifics and particles
        ("BASIR NOORZAI, ABDUL", "Haji Basir NOORZAI"),
        ("QASIM MOHAMED MAHDI AL-RIMI", "Qasim AL-RIMI"),
        ("AHMED SHAH NOORZAI OBAIDULLAH", "Mullah Ahmed Shah NOORZAI"),
    ):
        res = dualtrace.score_pair(_ent("Person", query), _ent("Person", listed))
        conflict = next(f for f in res.features if f.name == "name_conflict")
        assert conflict.contribution == 0, (query, listed, conflict.detail)
    other = dualtrace.score_pair(
        _ent("Person", "John Michael Smith"), _ent("Person", "John Robert Smith")
    )
    assert not other.match
    conflict = next(f for f in other.features if f.name == "name_conflict")
    assert conflict.contribution < 0 and "robert" in (conflict.detail or "")
