"""Cross-list grouping on real list records: Kupol and Almaz-Antey across OFAC, EU, UK,
the CSL and Japan's METI list, and reversible merge decisions.

The store is built from slices of the real files (header plus the rows of the parties
under test and of look-alikes that must stay apart), cut here from ../shared/data so
the test stays fast.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrace.errors import DualtraceError, NotFoundError
from dualtrace.resolve.merge import (
    decisions,
    merge_entities,
    name_keys,
    resolve_lists,
    split_entity,
)
from dualtrace.sources.base import ReadResult
from dualtrace.sources.eu import read_eu
from dualtrace.sources.jp_meti import meti_entity_id, read_meti
from dualtrace.sources.ofac_sdn import read_ofac_sdn
from dualtrace.sources.uk import read_uk
from dualtrace.sources.us_csl import read_csl
from dualtrace.store import Store

KUPOL_OFAC = "ofac-46431"
ALMAZ_OFAC = "ofac-16865"
NPP_ALMAZ_OFAC = "ofac-37684"
OFAC_ROWS = {"46431", "16865", "37684", "46441"}
EU_ROWS = {"32014R0269": {"141", "504"}, "32014R0833": {"8", "183", "516"}}
UK_IDS = {"RUS0178", "RUS2069"}
CSL_NAMES = (
    "Joint-Stock Company Concern Almaz-Antey",
    "JOINT-STOCK COMPANY CONCERN ALMAZ-ANTEY",
    "Scientific-Production Enterprise Almaz, JSC",
)


def _cut_csv(src: Path, dst: Path, keep: object, header: bool = True) -> None:
    text = src.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(rows[0])
    body = rows[1:] if header else rows
    writer.writerows(r for r in body if r and keep(r))  # type: ignore[operator]
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(out.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def slices(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    lists = shared_data / "lists"
    root = tmp_path_factory.mktemp("lists")
    for name in ("sdn_2021-07-07.csv", "sdn_2024-05-03.csv", "alt_2021-07-07.csv"):
        _cut_csv(
            lists / "ofac-sdn" / name, root / "ofac" / name, lambda r: r[0] in OFAC_ROWS, False
        )
    for celex, rows in EU_ROWS.items():
        _cut_csv(
            lists / f"eu-journal/consolidated/{celex}.csv",
            root / "eu" / f"{celex}.csv",
            lambda r, rows=rows: r[1] in rows,
        )
    for table in (
        "subjects.csv",
        "subject_names.csv",
        "subject_identifiers.csv",
        "subject_dobs.csv",
        "subject_countries.csv",
    ):
        col = 0 if table == "subjects.csv" else 1
        _cut_csv(
            lists / "uk-transformed" / table, root / "uk" / table, lambda r, c=col: r[c] in UK_IDS
        )
    _cut_csv(
        lists / "us-csl/consolidated_csl.csv", root / "csl.csv", lambda r: r[5].strip() in CSL_NAMES
    )
    return root


def _load(store: Store, results: list[ReadResult]) -> None:
    for r in results:
        store.load(r.dataset, r.version, r.statements(), r.report)


@pytest.fixture(scope="module")
def lists_store(
    slices: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("store") / "lists.duckdb"
    with Store.open(path) as store:
        _load(store, read_ofac_sdn(slices / "ofac"))
        _load(store, read_eu(slices / "eu/32014R0269.csv") + read_eu(slices / "eu/32014R0833.csv"))
        _load(store, read_uk(slices / "uk"))
        _load(store, read_csl(slices / "csl.csv"))
        meti = (
            shared_data / "lists/opensanctions-static/jp_meti_ru/250912_list_russia_tokutei.pdf.txt"
        )
        _load(store, [read_meti([meti])])
        resolve_lists(store)
        yield store


def _ids(store: Store, dataset: str, name_part: str) -> set[str]:
    rows = store.con.execute(
        "SELECT DISTINCT entity_id FROM statements WHERE dataset = ? AND prop_type = 'name' "
        "AND value ILIKE ?",
        [dataset, f"%{name_part}%"],
    ).fetchall()
    return {r[0] for r in rows}


def _canonical(store: Store, entity_id: str) -> str:
    return store.resolve_id(entity_id)


def _members(store: Store, canonical: str) -> dict[str, set[str]]:
    rows = store.con.execute(
        "SELECT DISTINCT dataset, entity_id FROM statements WHERE canonical_id = ?", [canonical]
    ).fetchall()
    out: dict[str, set[str]] = {}
    for ds, eid in rows:
        out.setdefault(ds, set()).add(eid)
    return out


def test_kupol_is_one_entity_across_ofac_eu_and_meti(lists_store: Store) -> None:
    store = lists_store
    canonical = _canonical(store, KUPOL_OFAC)
    members = _members(store, canonical)
    kupol_meti = meti_entity_id("Joint Stock Company Izhevsk Electromechanical Plant Kupol", "")
    assert members["ofac_sdn"] == {KUPOL_OFAC}
    assert members["eu_32014r0269"] == {"eu-32014r0269-i-entities-141"}
    assert members["eu_32014r0833"] == {"eu-32014r0833-iv-516"}
    assert members["jp_meti_enduser"] == {kupol_meti}
    # Every list membership keeps its own provenance under the one canonical id.
    stmts = store.entity_statements(canonical)
    cyrillic = [s for s in stmts if "КУПОЛ" in s.value.upper()]
    assert {s.dataset for s in cyrillic} >= {"eu_32014r0269", "eu_32014r0833"}
    assert all(s.source_file and s.source_row for s in stmts if s.prop != "id")
    inn = [s for s in stmts if s.value == "1831083343" and s.dataset == "eu_32014r0833"]
    assert inn and inn[0].source_file == "32014R0833.csv"
    # The decision records why: the shared INN and the name key with the country.
    [decision] = decisions(store, canonical)
    kinds = {(link["kind"], link["key"]) for link in decision.evidence["links"]}
    assert ("identifier", "inn:1831083343") in kinds
    assert any(kind == "name" and key.endswith("|ru") for kind, key in kinds)


def test_almaz_antey_is_one_entity_across_ofac_eu_uk_and_csl(lists_store: Store) -> None:
    store = lists_store
    canonical = _canonical(store, ALMAZ_OFAC)
    members = _members(store, canonical)
    assert members["ofac_sdn"] == {ALMAZ_OFAC}
    assert members["eu_32014r0833"] == {"eu-32014r0833-iv-8"}
    assert members["gb_fcdo"] == {"gb-fcdo-rus0178"}
    assert members["us_csl_sdn"] == {"us-csl-ofac-16865"}
    assert len(members["us_bis_el"]) == 1
    # A look-alike with its own INN stays its own entity.
    npp = _canonical(store, NPP_ALMAZ_OFAC)
    assert npp != canonical
    assert "eu-32014r0833-iv-183" in _members(store, npp)["eu_32014r0833"]
    assert "gb-fcdo-rus2069" not in {e for ids in members.values() for e in ids}


def test_split_and_merge_are_recorded_and_reversible(lists_store: Store) -> None:
    store = lists_store
    canonical = _canonical(store, KUPOL_OFAC)
    meti = next(iter(_members(store, canonical)["jp_meti_enduser"]))
    made = split_entity(store, meti, "tester")
    split_decision = next(d for d in made if d.method == "split")
    assert _canonical(store, meti) == meti  # back to its own id
    assert _canonical(store, KUPOL_OFAC) == canonical  # the rest stays together
    # A re-run honours the split instead of re-merging on the same evidence.
    resolve_lists(store)
    assert _canonical(store, meti) == meti
    assert any(d.method == "split" and meti in d.entity_ids for d in decisions(store, meti))
    # Merging by hand brings it back, and survives another automatic run.
    merged = merge_entities(store, [canonical, meti], "tester", reason="same INN in METI notes")
    resolve_lists(store)
    assert _canonical(store, meti) == _canonical(store, KUPOL_OFAC) == merged.canonical_id
    history = decisions(store, meti, include_undone=True)
    assert split_decision.id in {d.id for d in history if d.undone_at is not None}


def test_merge_needs_known_ids_and_two_records(lists_store: Store) -> None:
    with pytest.raises(NotFoundError):
        merge_entities(lists_store, ["no-such-record", KUPOL_OFAC], "tester")
    with pytest.raises(DualtraceError, match="already one entity"):
        merge_entities(lists_store, [KUPOL_OFAC, _canonical(lists_store, KUPOL_OFAC)], "tester")


def test_as_of_answers_from_the_versions_in_force(lists_store: Store) -> None:
    store = lists_store
    canonical = _canonical(store, KUPOL_OFAC)
    now = {s.dataset for s in store.entity_statements(canonical)}
    then = {s.dataset for s in store.entity_statements(canonical, as_of="2023-06-01")}
    assert "ofac_sdn" in now and "ofac_sdn" not in then  # OFAC listed Kupol after 2021-07
    hits = store.search_names("Almaz-Antey", as_of="2022-01-01")
    assert any("ofac_sdn" in ds for _, _, _, ds in hits)


def test_name_keys_strip_legal_forms_and_need_substance() -> None:
    a = name_keys("JSC IZHEVSK ELECTROMECHANICAL PLANT ‘KUPOL’")
    b = name_keys("Joint Stock Company Izhevsk Electromechanical Plant Kupol")
    assert a & b
    assert not name_keys("GSKB")  # one token: too weak to merge on
    assert name_keys("SAEED, Hafiz", person=True) == name_keys("Hafiz SAEED", person=True)


def test_cli_resolve_decisions_split_merge(shared_data: Path, tmp_path: Path) -> None:
    """The commands end to end on two real lists: BIS MIEU and METI both list the GRU."""
    import orjson
    from typer.testing import CliRunner

    from dualtrace.show.cli.app import app

    static = shared_data / "lists/opensanctions-static"
    store = str(tmp_path / "cli.duckdb")
    runner = CliRunner()

    def run(*args: str) -> object:
        result = runner.invoke(app, [*args, "--store", store], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return orjson.loads(result.stdout) if "--json" in args else result.stdout

    run("load", "static-list", "us_bis_mieu", str(static / "us_bis_mieu/mieu.csv"), "--json")
    run("load", "meti", str(static / "jp_meti_ru/250912_list_russia_tokutei.pdf.txt"), "--json")
    summary = run("resolve", "--json")
    assert isinstance(summary, dict) and summary["groups"] >= 1
    gru_meti = meti_entity_id("Main Intelligence Directorate", "")
    found = run("decisions", gru_meti, "--json")
    assert isinstance(found, list) and len(found) == 1
    decision = found[0]
    assert any(
        link["key"].startswith("name:") and link["key"].endswith("|ru")
        for link in decision["evidence"]["links"]
    )
    assert {"us_bis_mieu", "jp_meti_enduser"} == set(decision["evidence"]["datasets"].values())
    shown = run("show", decision["canonical_id"], "--json")
    assert "jp_meti_enduser" in str(shown) and "us_bis_mieu" in str(shown)
    run("split", decision["canonical_id"], "--json")
    after = run("decisions", gru_meti, "--json")
    assert isinstance(after, list) and [d["method"] for d in after] == ["split"]
    merged = run("merge", *decision["entity_ids"], "--reason", "same GRU", "--json")
    assert isinstance(merged, dict) and merged["method"] == "manual"
