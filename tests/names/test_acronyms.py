"""Acronyms learned from alias groups, on the real EU row for IEMZ Kupol."""

from __future__ import annotations

import csv
from pathlib import Path

from dualtrace.names import AcronymTable, name_forms, token_key
from dualtrace.names.acronyms import find_expansion


def _eu_row(shared_data: Path, celex: str, record_id: str) -> dict[str, str]:
    path = shared_data / "lists" / "eu-journal" / "consolidated" / f"{celex}.csv"
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["recordId"] == record_id:
                return row
    raise AssertionError(f"{celex} record {record_id} not found")


def test_learns_iemz_from_the_eu_kupol_row(shared_data: Path) -> None:
    """32014R0833 record 516 lists "Акционерное Общество «Ижевский Электромеханический
    Завод «Купол» (АО «ИЭМЗ «Купол»)": the acronym and its expansion side by side."""
    row = _eu_row(shared_data, "32014R0833", "516")
    names = [row["name"], *row["alias"].split("; ")]
    table = AcronymTable()
    learned = table.learn("eu-516", [f for n in names for f in name_forms(n)])
    table.freeze()
    assert learned >= 1
    expansions = table.expansions[token_key("iemz")]
    assert (token_key("izhevskiy"), token_key("elektromekhanicheskiy"), "zavod") in expansions
    # Expanding the acronym, and contracting the expansion, both produce variants.
    expanded = table.variants(("iemz", "kupol"))
    assert any(v[0][:3] == (token_key("izhevskiy"), token_key("elektromekhanicheskiy"), "zavod")
               for v in expanded)  # fmt: skip
    contracted = table.variants(
        (token_key("izhevskiy"), token_key("elektromekhanicheskiy"), "zavod", "kupol")
    )
    assert (("iemz", "kupol"), contracted[0][1]) in contracted


def test_compound_word_supplies_two_letters() -> None:
    """Э and М both come from "электромеханический"."""
    tokens = ("izhevskiy", "elektromekhanicheskiy", "zavod", "kupol")
    assert find_expansion("iemz", tokens) == (0, 3)


def test_no_expansion_from_unrelated_words() -> None:
    assert find_expansion("iemz", ("joint", "stock", "company", "kupol")) is None
    # a short word may not supply extra letters
    assert find_expansion("abc", ("abc", "def")) is None


def test_nothing_learned_without_an_alias_group() -> None:
    table = AcronymTable()
    assert table.learn("x", list(name_forms("TSK VEKTOR, OOO"))) == 0
