"""The typed registry numbers the EU, UK and UN readers emit join the same organisation
across lists in the store (the evidence the cross-list merge step groups on)."""

from __future__ import annotations

from pathlib import Path

from dualtrace.sources.eu import read_eu
from dualtrace.sources.uk import read_uk
from dualtrace.store import Store
from tests.sources.uk_tables_slice import slice_uk_tables


def _holders(store: Store, prop: str, value: str) -> set[tuple[str, str]]:
    rows = store.con.execute(
        "SELECT DISTINCT dataset, entity_id FROM statements WHERE prop = ? AND value = ?",
        [prop, value],
    ).fetchall()
    return {(str(d), str(e)) for d, e in rows}


def test_kupol_and_redlepus_join_across_lists_by_checked_ids(
    shared_data: Path, store: Store, tmp_path: Path
) -> None:
    lists = shared_data / "lists"
    results = [
        *read_eu(lists / "eu-journal" / "consolidated" / "32014R0269.csv"),
        *read_eu(lists / "eu-journal" / "consolidated" / "32014R0833.csv"),
        # The UK entries of Redlepus and Almaz-Antey with all their table rows.
        *read_uk(
            slice_uk_tables(lists / "uk-transformed", tmp_path / "uk", ["RUS2257", "RUS0178"])
        ),
    ]
    for result in results:
        store.load(result.dataset, result.version, result.statements(), result.report)

    # IEMZ Kupol: INN printed as "taxNumber" on 269/2014 and as "(Tax ID/INN)" on 833/2014.
    assert _holders(store, "innCode", "1831083343") == {
        ("eu_32014r0269", "eu-32014r0269-i-entities-141"),
        ("eu_32014r0833", "eu-32014r0833-iv-516"),
    }
    # Redlepus: the USCC printed bare on 269/2014 and as "USCC: ..." on the UK list.
    assert _holders(store, "uscCode", "91440300MA5HX80Y1Q") == {
        ("eu_32014r0269", "eu-32014r0269-i-entities-504"),
        ("gb_fcdo", "gb-fcdo-rus2257"),
    }
    # The Cyrillic and Chinese names are searchable next to the Latin ones.
    hits = {h[0] for h in store.search_names("КУПОЛ")}
    assert "eu-32014r0269-i-entities-141" in hits
    hits = {h[0] for h in store.search_names("红兔矢量实业")}
    assert hits == {"eu-32014r0269-i-entities-504"}
