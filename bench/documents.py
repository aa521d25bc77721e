"""Document pipeline speed: text-PDF pages/s, OCR pages/s, mention finding vs regex.

Three measurements, each beside an anchor run in the same process on the same input:

* text PDFs: our ingestion (pypdf text layer, page map, hash, language) against
  pdfplumber's ``extract_text`` on the same rendered report (pages/s);
* OCR: our scanned-page path (script probe, narrowed languages, 200 dpi) against a
  plain pytesseract call with every configured language at 300 dpi (pages/s, and the
  words of the report each one gets right);
* mention finding: the Aho-Corasick :class:`NameIndex` over every name and alias of
  the OFAC SDN list, the EU Russia act, the UK list and 100,000 synthetic persons,
  against one case-insensitive regex alternation over the same names, on the same
  text (the Reuters report plus paragraphs naming list entities). Throughput is
  characters per second of text searched; recall is the share of planted entities
  found, with names planted verbatim, re-cased, and without their legal form.

    .venv/bin/python bench/documents.py            # full run (a few minutes)
    .venv/bin/python bench/documents.py --quick    # smaller name set and text
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

from dualtrace.documents.mentions import NameEntry, NameIndex  # noqa: E402
from dualtrace.documents.textnorm import strip_org_types  # noqa: E402
from dualtrace.sources.documents import ingest_file  # noqa: E402
from tests.documents.rendering import scanned_pdf, text_pdf  # noqa: E402

REUTERS = DATA / "documents" / "reuters-kupol-garpiya-china.txt"
ORG_FORMS = re.compile(
    r"\b(?:JOINT[ -]STOCK COMPANY|LIMITED LIABILITY COMPANY|OOO|LLC|JSC|OAO|ZAO|AO|"
    r"CO\.?,? LTD\.?|LTD\.?|LIMITED|INC\.?|CORP\.?|GMBH)\b[ ,.]*",
    re.IGNORECASE,
)


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def list_names(quick: bool) -> list[NameEntry]:
    """Every name-typed value of the real lists, plus synthetic persons."""
    from dualtrace.sources.eu import read_eu
    from dualtrace.sources.ofac_sdn import read_ofac_sdn
    from dualtrace.sources.uk import read_uk

    results = [*read_eu(DATA / "lists" / "eu-journal" / "consolidated" / "32014R0269.csv")]
    if not quick:
        results += read_ofac_sdn(DATA / "lists" / "ofac-sdn" / "sdn_2024-05-03.csv")
        results += read_uk(DATA / "lists" / "uk-transformed")
    out: list[NameEntry] = []
    for result in results:
        for entity in result.entities:
            for prop, values in entity.properties.items():
                if entity.schema.properties[prop].type.name != "name":
                    continue
                out.extend(
                    NameEntry(str(entity.id), entity.schema.name, v, result.dataset.name)
                    for v in values
                )
    bench = DATA / "matching" / "yente-screening-bench"
    files = ["negatives_global.csv"] if quick else ["negatives_global.csv", "negatives_us.csv"]
    for name in files:
        with (bench / name).open(encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                if row["full_name"]:
                    out.append(NameEntry(f"{name}-{i}", "Person", row["full_name"], "synthetic"))
    return out


def planted_text(names: list[NameEntry], pages: int, seed: int = 7) -> tuple[str, dict[str, str]]:
    """The report repeated ``pages`` times, each copy followed by a paragraph naming
    five list organisations: verbatim, title-cased, or without the legal form."""
    rng = random.Random(seed)
    report = REUTERS.read_text("utf-8")
    orgs = [
        n
        for n in names
        if n.schema != "Person"
        and n.dataset != "synthetic"
        and 2 <= len(n.name.split()) <= 8
        and n.name.isascii()
        and ORG_FORMS.search(n.name)
    ]
    planted: dict[str, str] = {}
    parts = []
    for page in range(pages):
        parts.append(report)
        chosen = rng.sample(orgs, 5)
        sentences = []
        for i, entry in enumerate(chosen):
            form = (page + i) % 3
            if form == 0:
                shown = entry.name
            elif form == 1:
                shown = entry.name.title()
            else:
                shown = ORG_FORMS.sub("", entry.name).strip(" ,.") or entry.name
                if not strip_org_types(shown):
                    shown = entry.name
            planted[shown] = entry.entity_id
            sentences.append(f"Payments were routed through {shown} last year.")
        parts.append(" ".join(sentences))
    return "\n\n".join(parts), planted


def regex_baseline(names: list[NameEntry]) -> tuple[re.Pattern[str], dict[str, set[str]]]:
    by_name: dict[str, set[str]] = {}
    for n in names:
        by_name.setdefault(n.name.lower(), set()).add(n.entity_id)
    alternation = "|".join(re.escape(k) for k in sorted(by_name, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE), by_name


def _surface_key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def recall(found: dict[str, set[str]], planted: dict[str, str]) -> float:
    """Share of planted names whose entity was found at that name (punctuation aside:
    a mention ends at the last word, so "(Kret)" is found as "(Kret")."""
    by_key: dict[str, set[str]] = {}
    for surface, entities in found.items():
        by_key.setdefault(_surface_key(surface), set()).update(entities)
    hits = sum(
        1 for shown, entity in planted.items() if entity in by_key.get(_surface_key(shown), set())
    )
    return hits / len(planted)


def bench_mentions(quick: bool) -> list[tuple[str, str, str, str]]:
    t_names, names = timed(lambda: list_names(quick))
    text, planted = planted_text(names, 3 if quick else 10)
    t_build, index = timed(lambda: NameIndex(names))
    t_regex_build, (pattern, by_name) = timed(lambda: regex_baseline(names))

    class NoScore:
        name = "none"

        def __call__(self, found: str, listed: str, schema: str) -> Any:
            from dualtrace.documents.linking import PairScore

            return PairScore(0.0)

    def ours() -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for m in index.find(text, NoScore()):
            out.setdefault(m.text, set()).update(c.entity_id for c in m.candidates)
        return out

    def ours_all_candidates() -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for m in index.find(text, NoScore()):
            out.setdefault(m.text, set()).update(c.entity_id for c in m.candidates)
        return out

    def baseline() -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for m in pattern.finditer(text):
            out.setdefault(m.group(), set()).update(by_name.get(m.group().lower(), set()))
        return out

    t_ours, found_ours = timed(ours, repeat=3)
    t_base, found_base = timed(baseline, repeat=1)
    del ours_all_candidates
    chars = len(text)
    rows = [
        ("names indexed", f"{len(names):,}", f"{len(names):,}", f"read in {t_names:.1f}s"),
        ("automaton keys / regex branches", f"{index.size:,}", f"{len(by_name):,}", ""),
        ("build (s)", f"{t_build:.1f}", f"{t_regex_build:.1f}", ""),
        ("text searched (chars)", f"{chars:,}", f"{chars:,}", f"{len(planted)} planted names"),
        (
            "mention finding (chars/s)",
            f"{chars / t_ours:,.0f}",
            f"{chars / t_base:,.0f}",
            f"{t_base / t_ours:.1f}x faster",
        ),
        (
            "recall of planted entities",
            f"{recall(found_ours, planted):.3f}",
            f"{recall(found_base, planted):.3f}",
            "",
        ),
    ]
    return rows


def bench_pdf(quick: bool) -> list[tuple[str, str, str, str]]:
    import pdfplumber

    text = REUTERS.read_text("utf-8")
    copies = 3 if quick else 10
    with tempfile.TemporaryDirectory() as tmp:
        pdf = text_pdf("\n\n".join([text] * copies), Path(tmp) / "report.pdf")
        cpu0 = time.process_time()
        t_ours, doc = timed(lambda: ingest_file(pdf), repeat=3)
        cpu_ours = (time.process_time() - cpu0) / 3

        def plumber() -> int:
            with pdfplumber.open(pdf) as p:
                return sum(len(page.extract_text() or "") for page in p.pages)

        cpu1 = time.process_time()
        t_anchor, _ = timed(plumber, repeat=1)
        cpu_anchor = time.process_time() - cpu1
        pages = len(doc.pages)
        scan = scanned_pdf(text, Path(tmp) / "scan.pdf")
        scan_pages = 1 if quick else 2
        c0 = _child_cpu()
        t_ocr, words_ocr = timed(lambda: _ocr_ours(scan, scan_pages))
        c1 = _child_cpu()
        t_ocr_anchor, words_anchor = timed(lambda: _ocr_anchor(scan, scan_pages))
        c2 = _child_cpu()
    truth = set(re.findall(r"\w+", text))
    return [
        ("text PDF pages", str(pages), str(pages), "same rendered report"),
        (
            "text PDF pages/s",
            f"{pages / t_ours:.1f}",
            f"{pages / t_anchor:.1f}",
            f"{t_anchor / t_ours:.1f}x (anchor: pdfplumber extract_text)",
        ),
        (
            "text PDF pages per CPU-second",
            f"{pages / cpu_ours:.1f}",
            f"{pages / cpu_anchor:.1f}",
            "independent of machine load",
        ),
        (
            "OCR pages/s",
            f"{scan_pages / t_ocr:.2f}",
            f"{scan_pages / t_ocr_anchor:.2f}",
            f"{t_ocr_anchor / t_ocr:.1f}x (anchor: eng+rus+chi_sim @300dpi)",
        ),
        (
            "OCR tesseract CPU s/page",
            f"{(c1 - c0) / scan_pages:.1f}",
            f"{(c2 - c1) / scan_pages:.1f}",
            "CPU time, independent of machine load",
        ),
        (
            "OCR words also in the source",
            f"{len(words_ocr & truth) / max(len(words_ocr), 1):.3f}",
            f"{len(words_anchor & truth) / max(len(words_anchor), 1):.3f}",
            "share of distinct OCR words",
        ),
    ]


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ocr_ours(pdf: Path, pages: int) -> set[str]:
    import pypdfium2

    from dualtrace.sources.documents.ocr import ocr_page
    from dualtrace.sources.documents.pdffile import OCR_DPI

    words: set[str] = set()
    doc = pypdfium2.PdfDocument(str(pdf))
    for i in range(pages):
        text, _, _ = ocr_page(doc[i].render(scale=OCR_DPI / 72).to_pil())
        words.update(re.findall(r"\w+", text))
    return words


def _ocr_anchor(pdf: Path, pages: int) -> set[str]:
    import pypdfium2
    import pytesseract

    words: set[str] = set()
    doc = pypdfium2.PdfDocument(str(pdf))
    for i in range(pages):
        image = doc[i].render(scale=300 / 72).to_pil()
        words.update(re.findall(r"\w+", pytesseract.image_to_string(image, lang="eng+rus+chi_sim")))
    return words


def print_table(title: str, rows: list[tuple[str, str, str, str]]) -> None:
    print(f"\n{title}")
    print(f"{'measure':34} {'dualtrace':>14} {'anchor':>14}  note")
    for measure, ours, anchor, note in rows:
        print(f"{measure:34} {ours:>14} {anchor:>14}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    parser.add_argument("--skip-ocr", action="store_true", help="no PDF/OCR measurements")
    args = parser.parse_args()
    print_table(
        "mention finding (anchor: one regex alternation over the same names)",
        bench_mentions(args.quick),
    )
    if not args.skip_ocr:
        print_table("PDF text and OCR", bench_pdf(args.quick))


if __name__ == "__main__":
    main()
