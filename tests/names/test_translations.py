"""Word translations learned from alias groups (OFAC SDN alias rows)."""

from __future__ import annotations

from dualtrace.names import name_forms
from dualtrace.names.translations import TranslationTable

# The first group is OFAC SDN ent_num 46431 (sdn_2024-05-03.csv primary name and its
# alt_2025-12-24.csv alias); the others are small cases written in the same pattern
# (English name beside its romanised Russian form, sharing the distinctive word).
GROUPS = [
    ["JOINT STOCK COMPANY IZHEVSK ELECTROMECHANICAL PLANT KUPOL",
     "AKTSIONERNOE OBSHCHESTVO IZHEVSKI ELEKTROMEKHANICHESKI ZAVOD KUPOL"],
    ["JOINT STOCK COMPANY ELEKON PLANT", "AKTSIONERNOE OBSHCHESTVO ZAVOD ELEKON"],
    ["ZVEZDA PLANT", "ZAVOD ZVEZDA"],
    ["KAZAN GUNPOWDER PLANT", "KAZAN POROKHOVOI ZAVOD"],
]  # fmt: skip


def test_learns_zavod_plant_only_when_several_entities_agree() -> None:
    table = TranslationTable()
    for names in GROUPS[:2]:
        table.learn([f for n in names for f in name_forms(n)])
    table.freeze()
    assert "plant" not in table.equivalents.get("zavod", frozenset())
    table = TranslationTable()
    for names in GROUPS:
        table.learn([f for n in names for f in name_forms(n)])
    table.freeze()
    assert "plant" in table.equivalents["zavod"]
    assert "zavod" in table.equivalents["plant"]


def test_needs_a_shared_anchor_word() -> None:
    table = TranslationTable()
    for _ in range(5):
        table.learn([f for n in ("ALPHA PLANT", "BETA ZAVOD") for f in name_forms(n)])
    table.freeze()
    assert not table.equivalents
