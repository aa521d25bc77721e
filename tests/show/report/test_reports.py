"""Entity and case reports: HTML self-contained, PDF printed by WeasyPrint, every
statement citing its source; the ``dualtrace report`` command writes both."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

from dualtrace.show.report import render
from dualtrace.show.web import cases
from dualtrace.store import Store

KUPOL = "ofac-46431"


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_entity_report_html_cites_every_statement(kupol_store_path: Path) -> None:
    with Store.open(kupol_store_path) as st:
        rep = render.entity_report(st, KUPOL, as_of="2024-06-01")
        html = render.to_html(rep)
        n_statements = len(st.entity_statements(KUPOL, as_of="2024-06-01"))
    assert "<style>" in html and "<script" not in html  # self-contained file
    assert "List status as of <strong>2024-06-01</strong>" in html
    assert "<svg" in html and "TSK VEKTOR, OOO" in html
    evidence = html.split('class="evidence"', 1)[1].split("</table>", 1)[0]
    rows = evidence.count("<tr>") - 1  # minus the header row
    assert rows == n_statements
    assert evidence.count("(ofac_sdn version 2024-05-03)") == n_statements


def test_entity_report_pdf_has_pages_and_text(kupol_store_path: Path) -> None:
    with Store.open(kupol_store_path) as st:
        data = render.to_pdf(render.entity_report(st, KUPOL))
    assert data.startswith(b"%PDF")
    pages, text = _pdf_text(data)
    assert pages >= 2
    flat = " ".join(text.split())
    assert "IZHEVSK ELECTROMECHANICAL PLANT KUPOL" in flat
    assert "1831083343" in flat and "RUSSIA-EO14024" in flat
    assert "page 1 of" in flat


def test_case_report_covers_its_entities_and_decisions(kupol_store_path: Path) -> None:
    with Store.open(kupol_store_path) as st:
        case = cases.create_case(st, "Report test case")
        cases.add_item(st, case.case_id, "entity", KUPOL)
        cases.add_item(st, case.case_id, "entity", "ofac-46441")  # TSK Vektor
        cases.add_note(st, case.case_id, "Vektor invoiced the G3 samples", "decision", "ana")
        rep = render.case_report(st, case.case_id)
        pages, text = _pdf_text(render.to_pdf(rep))
    flat = " ".join(text.split())
    assert rep.kind == "case" and len(rep.dossiers) == 2
    assert "Vektor invoiced the G3 samples" in flat and "TSK VEKTOR" in flat
    assert pages >= 3  # summary + one section per entity


def test_report_command_writes_pdf_and_html(kupol_store_path: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "kupol.pdf"
    html = tmp_path / "kupol.html"
    for out in (pdf, html):
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "dualtrace.show.cli.app",
                "report",
                KUPOL,
                "-o",
                str(out),
                "--store",
                str(kupol_store_path),
                "--as-of",
                "2024-06-01",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
    assert _pdf_text(pdf.read_bytes())[0] >= 2
    assert "List status as of <strong>2024-06-01</strong>" in html.read_text("utf-8")
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "dualtrace.show.cli.app",
            "report",
            KUPOL,
            "-o",
            str(tmp_path / "x.docx"),
            "--store",
            str(kupol_store_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 1 and "must end in .pdf or .html" in bad.stderr
    assert "Traceback" not in bad.stderr
