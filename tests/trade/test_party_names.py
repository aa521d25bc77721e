"""Party names become comparable tokens across scripts and spellings."""

from __future__ import annotations

from dualtrace.trade.linkage.party_names import address_tokens, identifier_key, name_tokens


def test_cyrillic_and_latin_spellings_share_tokens() -> None:
    # the intermediary of the Reuters Kupol report, as a Russian clerk and a Chinese
    # exporter would write it, and as OFAC lists it
    forms = [
        'ООО "ТСК Вектор"',
        "TSK Vector LLC",
        "TSK VEKTOR, OOO",
        "Общество с ограниченной ответственностью ТСК Вектор",
    ]
    assert {name_tokens(f) for f in forms} == {("tsk", "vektor")}


def test_kupol_forms_share_the_rare_token() -> None:
    a = set(name_tokens("АО «ИЭМЗ «Купол»"))
    b = set(name_tokens("JOINT STOCK COMPANY IZHEVSK ELECTROMECHANICAL PLANT KUPOL"))
    assert a & b == {"kupol"}
    assert "iemz" in a


def test_legal_form_variants_are_not_identity() -> None:
    assert name_tokens("Obshchestvo S Ogranichennoy Otvetstvennostyu Atomaiz") == ("atomaiz",)
    assert name_tokens("LIMITED LIABILITY COMPANY NANOCHIP") == ("nanohip",)


def test_addresses_and_identifiers() -> None:
    assert address_tokens("Room 3605 36/F Wu Chung House, Wan Chai") == (
        "rom", "3605", "36", "f", "vu", "hung", "house", "van", "hai",
    )  # fmt: skip
    assert identifier_key("7701-234 567") == "7701234567"
    assert identifier_key(" ") is None


def test_one_record_per_normalised_form_represented_by_a_known_string() -> None:
    from dualtrace.trade.linkage.party_resolution import PartyString, party_features

    def party(pid: str, name: str) -> PartyString:
        return PartyString(pid, "trade", None, name, "Izhevsk", "RU", None, 1)

    # two spellings of one form, and a third string of another name
    strings = [party("p2", "OOO TSK Vektor"), party("p1", "TSK VEKTOR, OOO"),
               party("p3", "Kupol IEMZ")]  # fmt: skip
    fresh = party_features(strings, new=set(), workers=1)
    assert fresh.duplicates == {"p2": "p1"}  # the smallest pid represents the form
    # on an incremental run the already-linked string keeps representing it
    later = party_features(strings, new={"p1", "p3"}, workers=1)
    assert later.duplicates == {"p1": "p2"}
    records = later.records.to_pylist()
    assert [r["id"] for r in records] == ["p2", "p3"]
    assert [r["is_new"] for r in records] == [False, True]
    tokens = later.tokens.to_pylist()
    vektor = [t["token"] for t in tokens if t["id"] == "p2"]
    assert vektor == list(later.name_forms["OOO TSK Vektor"])
    assert {t["id"] for t in tokens} == {"p2", "p3"}
