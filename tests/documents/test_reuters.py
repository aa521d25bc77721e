"""The Reuters report on Kupol's Garpiya drones: every finding the issue lists.

The same text is analysed three ways (plain text, a PDF with a text layer, and an
image-only PDF that must be OCR-ed) and must give the same findings each time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dualtrace.documents.loading import name_index_from_store
from dualtrace.documents.mentions import NameIndex
from dualtrace.documents.pipeline import Analysis, analyse
from dualtrace.sources.documents import Document, ingest_file
from dualtrace.sources.ofac_sdn import read_ofac_sdn
from dualtrace.store import Store
from tests.documents.conftest import REUTERS, slice_ofac
from tests.documents.rendering import scanned_pdf, text_pdf

KUPOL = {"ofac-46431", "eu-32014r0269-i-entities-141"}
ALMAZ_ANTEY = {"ofac-16865", "eu-32014r0269-i-entities-21"}
TSK_VEKTOR = {"ofac-46441", "eu-32014r0269-i-entities-503"}
REDLEPUS = {"eu-32014r0269-i-entities-504"}


@pytest.fixture(scope="module")
def forms(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory, name_index: NameIndex
) -> dict[str, tuple[Document, Analysis]]:
    """The report as text, as a text PDF and as a scanned PDF, each ingested and analysed."""
    out = tmp_path_factory.mktemp("reuters")
    source = shared_data / REUTERS
    text = source.read_text("utf-8")
    files = {
        "text": source,
        "pdf": text_pdf(text, out / "reuters.pdf"),
        "scan": scanned_pdf(text, out / "reuters-scan.pdf"),
    }
    result = {}
    for form, path in files.items():
        doc = ingest_file(path)
        result[form] = (doc, analyse(doc.text, name_index))
    return result


def summary(analysis: Analysis) -> dict[str, Any]:
    """What the issue asks to be found, in a form that must not depend on the format."""
    linked = {f.value for f in analysis.of_kind("mention")}
    for f in analysis.of_kind("mention"):
        linked.update(a["entity_id"] for a in f.details.get("also", []))
    relations = {
        (
            f.details["relation"],
            f.details["x"].get("entity_id") or f.details["x"]["text"],
            f.details["y"].get("entity_id") or f.details["y"]["text"],
        )
        for f in analysis.of_kind("relation")
    }
    return {
        "linked": linked,
        "relations": relations,
        "products": analysis.values("product"),
        "places": analysis.values("place"),
        "money": analysis.values("money"),
        "quantities": analysis.values("quantity"),
        "persons": analysis.values("person"),
    }


FORMS = ("text", "pdf", "scan")


@pytest.mark.parametrize("form", FORMS)
def test_links_the_network_to_its_list_entities(
    form: str, forms: dict[str, tuple[Document, Analysis]]
) -> None:
    _, analysis = forms[form]
    linked = summary(analysis)["linked"]
    for entity in (KUPOL, ALMAZ_ANTEY, TSK_VEKTOR, REDLEPUS):
        assert linked & entity, f"{entity} not linked in {form}"
    kupol = [f for f in analysis.of_kind("mention") if f.text == "Kupol"]
    assert len(kupol) >= 15, "the short form 'Kupol' should link every time"
    assert all(f.value in KUPOL for f in kupol)
    assert any("short form of 'IEMZ Kupol'" in r for r in kupol[0].details["reasons"])
    redlepus = [f for f in analysis.of_kind("mention") if f.text.startswith("Redlepus")]
    assert {f.text for f in redlepus} >= {"Redlepus TSK Vector Industrial", "Redlepus"}


@pytest.mark.parametrize("form", FORMS)
def test_finds_relations_products_places_money_and_quantities(
    form: str, forms: dict[str, tuple[Document, Analysis]]
) -> None:
    s = summary(forms[form][1])
    subsidiary = {(x, y) for rel, x, y in s["relations"] if rel == "subsidiary_of"}
    assert any(x in KUPOL and y in ALMAZ_ANTEY for x, y in subsidiary)
    intermediaries = {(x, y) for rel, x, y in s["relations"] if rel == "intermediary"}
    assert any(x in TSK_VEKTOR and y in KUPOL for x, y in intermediaries)
    assert ("invoiced", "ofac-46431", "a Russian company") in s["relations"]
    assert {"Garpiya-3", "Garpiya-A1", "REM 1"} <= s["products"]
    g3 = [f for f in forms[form][1].of_kind("product") if f.text == "G3"]
    assert g3 and all(f.value == "Garpiya-3" for f in g3)
    assert {"Izhevsk", "Kashgar", "Xinjiang", "Shenzhen"} <= s["places"]
    assert "CNY" in s["money"]
    assert {"2000 km", "50 kg", "7 military drones", "2 G3 units"} <= s["quantities"]
    assert {"Fabian Hinz", "Samuel Bendett", "David Albright"} <= s["persons"]


def test_pdf_and_scan_give_the_same_findings_as_the_text(
    forms: dict[str, tuple[Document, Analysis]],
) -> None:
    expected = summary(forms["text"][1])
    for form in ("pdf", "scan"):
        got = summary(forms[form][1])
        for key in ("linked", "relations", "products", "money"):
            assert got[key] == expected[key], f"{form}: {key} differs"
        for key in ("places", "quantities", "persons"):
            assert got[key] == expected[key], f"{form}: {key} differs"


@pytest.mark.parametrize("form", FORMS)
def test_every_finding_points_at_its_characters_and_page(
    form: str, forms: dict[str, tuple[Document, Analysis]]
) -> None:
    doc, analysis = forms[form]
    for f in analysis.findings:
        assert doc.text[f.start : f.end] == f.text
    page_counts = {"text": 1, "pdf": 3, "scan": 4}
    assert len(doc.pages) == page_counts[form]
    assert all(p.method == ("ocr" if form == "scan" else "text") for p in doc.pages)
    last = analysis.of_kind("place")[-1]
    assert doc.page_of(last.start) == len(doc.pages)
    assert doc.language == "eng"


def test_an_unlisted_parent_is_named_not_a_demonym(shared_data: Path, tmp_path: Path) -> None:
    """With Almaz-Antey absent from the index, Kupol's parent is still "Almaz-Antey".

    The index holds Kupol, TSK Vektor and five real OFAC entries whose names start with
    "Russian", so "Russian" is a list word; "the Russian state-owned defense firm
    Almaz-Antey" must still give the firm, found as an organisation by its business noun.
    """
    kept = {"46431", "46441", "17755", "18272", "18770", "18995", "24026"}
    with Store.open(tmp_path / "partial.duckdb") as store:
        for result in read_ofac_sdn(slice_ofac(shared_data, tmp_path / "ofac", kept.__contains__)):
            store.load(result.dataset, result.version, result.statements(), result.report)
        index = name_index_from_store(store)
    s = summary(analyse((shared_data / REUTERS).read_text("utf-8"), index))
    parents = {y for rel, x, y in s["relations"] if rel == "subsidiary_of" and x in KUPOL}
    assert parents == {"Almaz-Antey"}
