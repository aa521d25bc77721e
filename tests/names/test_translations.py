"""Word translations learned from alias groups (OFAC SDN alias rows)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from dualtrace.names import name_forms, token_key
from dualtrace.names.normalize import name_variants
from dualtrace.names.translations import TranslationTable, stem

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


EU = Path(__file__).resolve().parents[2].parent / "shared/data/lists/eu-journal/consolidated"


def _eu_groups() -> list[list[str]]:
    groups = []
    for name in ("32014R0269.csv", "32014R0833.csv"):
        with (EU / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                names = [row["name"], *(a.strip() for a in row["alias"].split(";"))]
                names = [v for n in names if n for v in name_variants(n)]
                if len(names) > 1:
                    groups.append(names)
    return groups


@pytest.fixture(scope="module")
def eu_table() -> TranslationTable:
    table = TranslationTable()
    for names in _eu_groups():
        table.learn([f for n in names for f in name_forms(n)])
    table.freeze()
    return table


@pytest.mark.skipif(not EU.exists(), reason="shared list data not present")
def test_learns_translations_from_eu_multi_script_alias_groups(eu_table: TranslationTable) -> None:
    # the EU lists give Russian names beside English translations
    assert "plant" in eu_table.equivalents["zavod"]
    assert eu_table.translate[stem("zavod")] == "plant"
    # inflections share one stem: квантовый / квантового
    assert stem(token_key("kvantovyy")) == stem(token_key("kvantovogo"))
    (form,) = name_forms("Российский квантовый центр")[:1]
    found = eu_table.translated(form.tokens)
    assert found is not None
    assert found[0] == name_forms("Russian Quantum Center")[0].tokens
