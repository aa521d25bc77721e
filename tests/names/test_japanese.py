"""Japanese names read in Hepburn (watchman pairs, a METI list entry, legal forms)."""

from __future__ import annotations

import pytest

import dualtrace
from dualtrace.names import name_forms
from dualtrace.names.japanese import drop_long_vowels, has_kana, japanese_available

needs_reader = pytest.mark.skipif(
    not japanese_available(), reason="optional pykakasi (dualtrace[japanese]) not installed"
)


def test_long_vowels_are_dropped_as_lists_do() -> None:
    assert drop_long_vowels("tarou") == "taro"
    assert drop_long_vowels("juukougyou") == "jukogyo"
    assert has_kana("トヨタ") and has_kana("さくら") and not has_kana("山田")


@needs_reader
def test_kanji_names_get_a_japanese_reading() -> None:
    # watchman cross-script pairs: 山田太郎 = Yamada Taro, 田中花子 = Tanaka Hanako
    assert ("iamada", "taro") in {f.tokens for f in name_forms("山田太郎")}
    for query, expected in (("山田太郎", "Yamada Taro"), ("田中花子", "Tanaka Hanako")):
        res = dualtrace.score_pair(
            {"schema": "Person", "properties": {"name": [query]}},
            {"schema": "Person", "properties": {"name": [expected]}},
        )
        assert res.match, (query, res.reasons)
    # Chinese names keep their pinyin reading beside it
    assert ("vang", "vei") in {f.tokens for f in name_forms("王伟")}


@needs_reader
def test_japanese_legal_forms_are_removed() -> None:
    # METI "250912_list_daisangoku_tokutei": 有限会社タコ = Tako LLC
    (form,) = name_forms("有限会社タコ")
    assert form.tokens == ("tako",)
    assert form.legal_forms == {"llc"}
    forms = name_forms("株式会社東芝")
    assert [f.tokens for f in forms] == [("tosiba",)]
    assert forms[0].legal_forms == {"jsc"}
