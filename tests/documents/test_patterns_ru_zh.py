"""Russian and Chinese texts written for the patterns: parties, ids, money, relations.

The texts restate the Kupol network in the way Russian and Chinese invoices and
reports phrase things (nested «» quotes, ИНН/ОГРН, юаней, 人民币...万元, 统一社会信用代码).
TSK Vektor's INN and OGRN are its real ones from OFAC's SDN remarks.
"""

from __future__ import annotations

from typing import Any

from dualtrace.documents.mentions import NameIndex
from dualtrace.documents.pipeline import Analysis, analyse
from dualtrace.sources.documents import ingest_bytes

RUSSIAN = """Справка о поставках

АО «ИЭМЗ «Купол», дочернее предприятие концерна ВКО «Алмаз-Антей», получило от ООО «ТСК Вектор» (ИНН 3849055365, ОГРН 1153850042246) семь беспилотников, включая две единицы «Гарпия-3». ООО «ТСК Вектор» выступило посредником между АО «ИЭМЗ «Купол» и китайскими поставщиками. Счёт на сумму 1,5 млн юаней был выставлен АО «ИЭМЗ «Купол» компанией ООО «ТСК Вектор» 3 мая 2024 г. Генеральный директор Фанис Гатауллин подтвердил поставку в Ижевске. Дальность полёта БПЛА — 2000 км, полезная нагрузка — 50 кг. Код ТН ВЭД 8806 24 000 0.
"""  # noqa: E501

CHINESE = """关于无人机交付的说明

红兔矢量实业（深圳）有限公司向伊热夫斯克机电厂供应了七架无人机。红兔矢量实业（深圳）有限公司作为伊热夫斯克机电厂和中国供应商之间的中间商。货款以人民币支付，金额为人民币150万元。统一社会信用代码：91440300MA5FUK7T17。法定代表人：张伟。交货日期为2024年5月3日，地点在喀什。HS编码 8806.24。
"""  # noqa: E501

KUPOL = "ofac-46431"
TSK_VEKTOR = "eu-32014r0269-i-entities-503"
REDLEPUS = "eu-32014r0269-i-entities-504"
ALMAZ_ANTEY = {"eu-32014r0269-i-entities-21", "ofac-16865"}


def relations(analysis: Analysis) -> list[dict[str, Any]]:
    return [f.details for f in analysis.of_kind("relation")]


def test_russian_text(name_index: NameIndex) -> None:
    doc = ingest_bytes(RUSSIAN.encode("utf-8"), "spravka.txt")
    assert doc.language == "rus"
    a = analyse(doc.text, name_index)
    linked = {f.value for f in a.of_kind("mention")}
    assert {KUPOL, TSK_VEKTOR} <= linked and linked & ALMAZ_ANTEY
    assert {"АО «ИЭМЗ «Купол»", "ООО «ТСК Вектор»"} <= a.values("organization")
    ids = {(f.details["scheme"], f.value, f.details["valid"]) for f in a.of_kind("identifier")}
    assert ids == {("ru_inn", "3849055365", True), ("ru_ogrn", "1153850042246", True)}
    assert "1500000 CNY" in a.values("money")
    assert {"7 беспилотников", "2 единицы", "2000 km", "50 kg"} <= a.values("quantity")
    assert "2024-05-03" in a.values("date")
    assert "Гарпия-3" in a.values("product")
    assert "Фанис Гатауллин" in a.values("person")
    assert "Ижевск" in a.values("place")  # lemmatised from "в Ижевске"
    hs = a.of_kind("hs_code")
    assert [f.value for f in hs] == ["8806.24"] and hs[0].details["military_heading"] == "UAV"
    rels = {(r["relation"], r["x"].get("entity_id"), r["y"].get("entity_id")) for r in relations(a)}
    assert any(rel == "subsidiary_of" and x == KUPOL and y in ALMAZ_ANTEY for rel, x, y in rels)
    assert ("intermediary", TSK_VEKTOR, KUPOL) in rels
    assert ("invoiced", KUPOL, TSK_VEKTOR) in rels
    middle = next(r for r in relations(a) if r["relation"] == "intermediary")
    assert middle["z"] == {"text": "китайскими поставщиками", "kind": "phrase", "entity_id": None}


def test_chinese_text(name_index: NameIndex) -> None:
    doc = ingest_bytes(CHINESE.encode("gb18030"), "shuoming.txt")
    assert doc.language == "zho"
    assert any("gb18030" in w.lower() or "gb2312" in w.lower() for w in doc.warnings)
    a = analyse(doc.text, name_index)
    # the EU list's Chinese name for Redlepus, found in Han script
    assert REDLEPUS in {f.value for f in a.of_kind("mention")}
    assert "伊热夫斯克机电厂" in a.values("organization")
    assert {"CNY", "1500000 CNY"} <= a.values("money")
    assert "7 无人机" in a.values("quantity")
    ids = a.of_kind("identifier")
    assert [(f.details["scheme"], f.value, f.details["valid"]) for f in ids] == [
        ("cn_uscc", "91440300MA5FUK7T17", True)
    ]
    assert "张伟" in a.values("person")
    assert "2024-05-03" in a.values("date")
    assert a.values("place") == {"Kashgar"}  # single Han characters never become places
    assert "8806.24" in a.values("hs_code")
    rels = {(r["relation"], r["x"].get("entity_id"), r["y"]["text"]) for r in relations(a)}
    assert ("supplied", REDLEPUS, "伊热夫斯克机电厂") in rels
    assert ("intermediary", REDLEPUS, "伊热夫斯克机电厂") in rels


def test_identifier_with_bad_check_digit_is_kept_as_weak_evidence() -> None:
    a = analyse("Поставщик: ООО «Ромашка», ИНН 3849055366.")
    (inn,) = a.of_kind("identifier")
    assert inn.details == {"scheme": "ru_inn", "prop": "innCode", "valid": False, "label": "ИНН"}
    assert inn.confidence < 0.5


def test_numbers_inside_designations_are_not_quantities() -> None:
    a = analyse("The REM 1 attack UAV and the Garpiya-A1 drone; 3 drones were sent.")
    assert a.values("quantity") == {"3 drones"}
    assert {"REM 1", "Garpiya-A1"} <= a.values("product")


def test_english_supply_and_invoice_phrasings(name_index: NameIndex) -> None:
    text = (
        "Redlepus supplied Kupol with engines and navigation modules. "
        "Kupol received two engines from Redlepus TSK Vector Industrial last year. "
        "The invoices were sent to IEMZ Kupol in June by TSK Vektor. "
        "Shenzhen Juhang International Wuliu Co. Ltd. supplied OOO Laggar Pro with 200 units."
    )
    a = analyse(text, name_index)
    rels = {(r["relation"], r["x"]["text"], r["y"]["text"], r.get("goods")) for r in relations(a)}
    assert ("supplied", "Redlepus", "Kupol", "engines and navigation modules") in rels
    assert ("supplied", "Redlepus TSK Vector Industrial", "Kupol", "two engines") in rels
    assert ("invoiced", "IEMZ Kupol", "TSK Vektor", None) in rels
    juhang = next(r for r in relations(a) if r["x"]["text"].startswith("Shenzhen Juhang"))
    assert juhang["x"]["entity_id"] == "eu-32014r0269-i-entities-502"
    assert juhang["y"]["text"] == "OOO Laggar Pro" and juhang["goods"] == "200 units"
    invoiced = next(f for f in a.of_kind("relation") if f.details["relation"] == "invoiced")
    assert invoiced.text.endswith("by TSK Vektor")  # the sentence's full stop is not quoted


def test_unlinked_list_names_can_still_be_parties(name_index: NameIndex) -> None:
    a = analyse("Redlepus supplied Kupol with engines and navigation modules.", name_index)
    assert not a.of_kind("mention")  # one-word short forms alone do not link
    (rel,) = relations(a)
    assert (rel["x"]["text"], rel["x"]["kind"], rel["x"]["entity_id"]) == ("Redlepus", "name", None)
    assert rel["y"]["text"] == "Kupol" and rel["goods"] == "engines and navigation modules"
