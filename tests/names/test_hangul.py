"""Hangul romanisation on names the EU lists give in Hangul and Latin side by side."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import dualtrace
from dualtrace.names import name_forms
from dualtrace.names.hangul import hangul_renderings, has_hangul, romanize_hangul, syllable
from dualtrace.names.normalize import name_variants

DPRK = (
    Path(__file__).resolve().parents[2].parent
    / "shared/data/lists/eu-journal/consolidated/32017R1509.csv"
)


def _keys(name: str) -> set[tuple[str, ...]]:
    return {f.tokens for f in name_forms(name)}


def test_syllables_in_each_system() -> None:
    assert syllable("정", "revised") == "jeong"
    assert syllable("정", "mccune-reischauer") == "chong"
    assert syllable("정", "dprk") == "jong"
    assert syllable("성", "popular") == "sung"
    assert syllable("문", "popular") == "moon"
    assert romanize_hangul("김정은", "revised", split=True) == "gim jeong eun"
    assert romanize_hangul("ab 김", "revised") == "ab gim"


def test_surnames_take_their_conventional_spellings() -> None:
    spelled = {text for _, text in hangul_renderings("박지성")}
    assert {"park ji sung", "pak ji song", "bak ji seong"} <= spelled
    assert "lee min ho" in {text for _, text in hangul_renderings("이민호")}
    assert "kim jong un" in {text for _, text in hangul_renderings("김정은")}


def test_hangul_names_share_keys_with_list_spellings() -> None:
    # watchman cross-script pairs and EU 32017R1509 rows 7 ("KIM Yong Chol", 김영철)
    # and 6 ("SO Sang Kuk", 서상국)
    assert _keys("Kim Jong Un").pop() in _keys("김정은")
    assert _keys("Park Ji Sung").pop() in _keys("박지성")
    assert _keys("KIM Yong Chol").pop() in _keys("김영철")
    assert _keys("SO Sang Kuk").pop() in _keys("서상국")
    assert not has_hangul("Kim Jong Un")


def test_latin_name_beside_its_hangul_is_split() -> None:
    # EU 32017R1509: "PAK Kwang Hun 박광훈" in one alias field
    assert name_variants("PAK Kwang Hun 박광훈")[1:] == ["PAK Kwang Hun", "박광훈"]
    assert name_variants("金正恩 Kim Jong Un")[1:] == ["金正恩", "Kim Jong Un"]


def _dprk_pairs() -> list[tuple[str, str, list[str]]]:
    with DPRK.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    pairs = []
    for row in rows:
        names = [row["name"], *(a.strip() for a in row["alias"].split(";"))]
        latin = [n for n in names if n and not has_hangul(n)]
        for n in names:
            if has_hangul(n) and row["schema"] == "Person" and latin:
                pairs.append((row["schema"], n, latin))
    return pairs


@pytest.mark.skipif(not DPRK.exists(), reason="shared list data not present")
def test_eu_dprk_person_names_match_their_latin_names() -> None:
    pairs = _dprk_pairs()
    assert len(pairs) >= 40
    matched = 0
    for schema, hangul, latin in pairs:
        res = dualtrace.score_pair(
            {"schema": schema, "properties": {"name": [hangul]}},
            {"schema": schema, "properties": {"name": latin}},
        )
        matched += res.match
    # before Hangul romanisation none of these matched; short exact names such as
    # "KIM Su Il" still score under the threshold (few nats of information)
    assert matched / len(pairs) >= 0.6
    kim = dualtrace.score_pair(
        {"schema": "Person", "properties": {"name": ["김영철"]}},
        {"schema": "Person", "properties": {"name": ["KIM Yong Chol", "KIM Young-Chol"]}},
    )
    assert kim.match


def test_romanised_syllables_are_neither_stop_words_nor_legal_forms() -> None:
    """Names from yente's negatives: 구 romanises to "ku" (a legal form to rigour), 도
    to "do" and 은 to "un" (stop words); dropping them left a shorter name that
    matched other listed people (지연 구 aligned with 전지부 on "ji yeon" alone)."""
    for name, part in (("지연 구", "ku"), ("도윤 서영 최", "do"), ("은주 병철 김", "un")):
        forms = name_forms(name)
        assert forms
        assert any(part in f.raw_tokens for f in forms), (name, forms)
        # every form keeps the surname and the given name (as syllables or one word)
        assert all(len(f.tokens) >= 3 for f in forms), (name, forms)
