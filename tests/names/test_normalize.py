"""Name normalisation: romanisation systems, comparison keys, legal forms, Han words."""

from __future__ import annotations

import pytest

from dualtrace.names import legal_forms, name_forms, romanize_cyrillic, token_key
from dualtrace.names.romanize import han_words


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        ("bgn-pcgn", "Izhevskiy Elektromekhanicheskiy Zavod Kupol"),
        ("gost-7.79-b", "Izhevskij Elektromexanicheskij Zavod Kupol"),
        ("icao-9303", "Izhevskii Elektromekhanicheskii Zavod Kupol"),
        ("scientific", "Iževskij Èlektromexaničeskij Zavod Kupol"),
    ],
)
def test_cyrillic_systems(system: str, expected: str) -> None:
    text = "Ижевский Электромеханический Завод Купол"
    assert romanize_cyrillic(text, system) == expected


def test_bgn_writes_ye_at_word_start_only() -> None:
    assert romanize_cyrillic("Евгений Елкин", "bgn-pcgn") == "Yevgeniy Yelkin"
    assert romanize_cyrillic("Евгений", "icao-9303") == "Evgenii"


def test_romanisations_share_one_key() -> None:
    """Every system's spelling of the same Russian word folds to one comparison key."""
    text = "Ижевский Электромеханический"
    keys = {
        tuple(token_key(t) for t in romanize_cyrillic(text, s).split())
        for s in ("bgn-pcgn", "icao-9303")
    }
    assert len(keys) == 1
    forms = name_forms(text)
    assert {f.tokens for f in forms} >= keys


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Izhevskiy", "Izhevsky"),
        ("Izhevskij", "IZHEVSKI"),
        ("Antey", "ANTEI"),
        ("Vektor", "Vector"),
        ("Kontsern", "Kontzern"),
        ("Concern", "Koncern"),
        ("Shenzhen", "SHENZHEN"),
        ("Mikhail", "Mihail"),
    ],
)
def test_spelling_variants_share_a_key(a: str, b: str) -> None:
    assert token_key(a) == token_key(b)


@pytest.mark.parametrize(("a", "b"), [("Vektor", "Vektra"), ("Kupol", "Kopol"), ("Emma", "Emir")])
def test_different_words_keep_different_keys(a: str, b: str) -> None:
    assert token_key(a) != token_key(b)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("ООО ТСК Вектор", "llc"),
        ("TSK VEKTOR, OOO", "llc"),
        ("LLC TSK Vektor", "llc"),
        ("Vektor Limited Liability Company", "llc"),
        ("OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU TSK VEKTOR", "llc"),
        ("АО «ИЭМЗ «Купол»", "jsc"),
        ("JSC IEMZ Kupol", "jsc"),
        ("红兔矢量实业（深圳）有限公司", "llc"),
        ("Xiamen Limbach Aviation Engine Co., Ltd", "llc"),
        ("Siemens GmbH", "llc"),
    ],
)
def test_legal_forms_across_languages(name: str, code: str) -> None:
    assert code in legal_forms(name)


def test_legal_forms_and_stop_words_are_not_name_tokens() -> None:
    (form,) = name_forms("Almaz-Antey Air and Space Defence Corporation")
    assert form.tokens == ("almaz", "antei", "air", "spase", "defense")
    assert "corp" in form.legal_forms


def test_a_bare_legal_form_has_no_distinctive_tokens() -> None:
    (form,) = name_forms("CORP")
    assert form.tokens == ()


def test_cyrillic_legal_form_romanised_is_removed_too() -> None:
    """The long romanised Russian legal form is only recognisable after romanisation."""
    forms = name_forms("Общество с ограниченной ответственностью «ТСК Вектор»")
    assert all(f.tokens == (token_key("tsk"), "vektor") for f in forms)
    assert all("llc" in f.legal_forms for f in forms)


def test_han_is_segmented_into_pinyin_words() -> None:
    """pypinyin's dictionary joins known words; the name becomes pinyin tokens."""
    words = han_words("厦门林巴贺航空发动机股份有限公司")
    joined = ["".join(w) for w in words]
    assert joined[0] == "xiamen"
    assert "hangkong" in joined
    (form,) = name_forms("厦门林巴贺航空发动机股份有限公司")
    assert form.system == "pinyin"
    assert token_key("xiamen") in form.tokens


def test_numbers_are_kept() -> None:
    (form,) = name_forms("Plant No. 9 of 2015")
    assert "9" in form.tokens and "2015" in form.tokens


def test_other_scripts_transliterate() -> None:
    (greek,) = name_forms("Νικόλαος")
    assert greek.tokens == (token_key("Nikolaos"),)


def test_names_packed_in_one_field_are_split() -> None:
    """EU journal rows put the short form in parentheses (32014R0833, record 516)."""
    from dualtrace.names.normalize import name_variants

    parts = name_variants("Акционерное Общество «Швабе» (АО «Швабе»)")
    assert parts[1:] == ["Акционерное Общество «Швабе»", "АО «Швабе»"]
    # a one-word aside is a place, not a name
    assert name_variants("Redlepus TSK Vektor Industrial (Shenzhen) Co., Ltd") == [
        "Redlepus TSK Vektor Industrial (Shenzhen) Co., Ltd"
    ]
    assert "VNIITF" in name_variants("RFNC-VNIITF / VNIITF")


def test_homoglyphs_are_repaired() -> None:
    from dualtrace.names.normalize import fix_homoglyphs

    # EU 32014R0833 entries: Latin e/o inside Cyrillic words, Cyrillic А inside an
    # English word, Latin "ACT" / "TECT" for Cyrillic АСТ / ТЕСТ
    assert fix_homoglyphs("Акционерноe Обществo «Кронштадт»") == "Акционерное Общество «Кронштадт»"
    assert fix_homoglyphs("JSC ‘61 Аrmored repair plant’") == "JSC ‘61 Armored repair plant’"
    assert name_forms("Акционерное Общество ACT")[0].tokens == ("ast",)
    assert ("ostek", "test") in {f.tokens for f in name_forms("ООО “Остек-TECT”")}
    # a real Latin word keeps its neighbours Latin ("PMC" is not РМС)
    assert fix_homoglyphs("PMC Redoubt (ЧВК Редут") == "PMC Redoubt (ЧВК Редут"
    assert fix_homoglyphs("Vladimir Putin") == "Vladimir Putin"


def test_unremovable_legal_form_keeps_the_name() -> None:
    # EU 32023R1529: "PMC Redoubt (ЧВК Редут" lost every word when rigour declined to
    # remove the military-company forms
    (form,) = name_forms("PMC Redoubt (ЧВК Редут")[:1]
    assert {"redut", "redubt"} <= set(form.tokens)
    assert name_forms("LLC")[0].tokens == ()


def test_short_names_keep_two_letter_syllables() -> None:
    # "Un" and "An" are stop words in other languages (EU 32017R1509 "AN Se-Ho")
    assert name_forms("Kim Jong Un")[0].tokens == ("kim", "iong", "un")
    assert name_forms("AN Se-Ho")[0].tokens[0] == "an"
    assert "of" not in name_forms("Credit Bank of Moscow Public")[0].tokens
