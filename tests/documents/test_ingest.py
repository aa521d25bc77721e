"""Ingestion: every supported format, and bad input as one clear error per document.

Encrypted, corrupt, empty and enormous files, unknown encodings and a zip-bomb
.docx each produce an InputError naming the file; loading a folder that holds them
still loads the good documents beside them.
"""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

import docx
import pypdf
import pytest
from PIL import Image

from dualtrace.documents.evidence import list_claims, list_documents
from dualtrace.documents.loading import load_documents
from dualtrace.documents.mentions import NameIndex
from dualtrace.errors import InputError
from dualtrace.sources.documents import IngestLimits, discover, ingest_bytes, ingest_file
from dualtrace.store import Store
from tests.documents.conftest import REUTERS
from tests.documents.rendering import scanned_png, text_pdf

PARAGRAPH = (
    "IEMZ Kupol, a subsidiary of Almaz-Antey, received seven drones at its facility in "
    "Izhevsk. The invoice requested payment in Chinese yuan."
)


def make_docx(path: Path, paragraphs: list[str], page_break_after: int | None = None) -> Path:
    document = docx.Document()
    for i, text in enumerate(paragraphs):
        p = document.add_paragraph(text)
        if page_break_after is not None and i == page_break_after:
            p.add_run().add_break(docx.enum.text.WD_BREAK.PAGE)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Supplier"
    table.rows[0].cells[1].text = "TSK Vektor"
    document.save(str(path))
    return path


def make_eml(path: Path) -> Path:
    msg = EmailMessage()
    msg["From"] = "logistics@tsk-vektor.example"
    msg["To"] = "supply@kupol.example"
    msg["Subject"] = "Invoice for samples"
    msg["Date"] = "Mon, 03 Jun 2024 10:00:00 +0300"
    msg.set_content(PARAGRAPH)
    msg.add_attachment(b"%PDF-1.4 stub", maintype="application", subtype="pdf", filename="inv.pdf")
    path.write_bytes(bytes(msg))
    return path


def test_formats_give_text_pages_and_metadata(tmp_path: Path) -> None:
    d = ingest_file(make_docx(tmp_path / "report.docx", [PARAGRAPH, "Second page."], 0))
    assert d.media_type.endswith("wordprocessingml.document")
    assert len(d.pages) == 2 and "Izhevsk" in d.text and "Supplier\tTSK Vektor" in d.text
    assert d.text[d.pages[1].start : d.pages[1].end].startswith("Second page.")
    html = "<html><head><title>Kupol</title><script>var x='Redlepus';</script></head>"
    html += f"<body><h1>Report</h1><p>{PARAGRAPH}</p></body></html>"
    (tmp_path / "page.html").write_text(html, "utf-8")
    h = ingest_file(tmp_path / "page.html")
    assert h.title == "Kupol" and "Redlepus" not in h.text and "Izhevsk" in h.text
    e = ingest_file(make_eml(tmp_path / "mail.eml"))
    assert e.metadata["from"] == "logistics@tsk-vektor.example"
    assert e.metadata["attachments"] == "inv.pdf" and e.title == "Invoice for samples"
    assert "Chinese yuan" in e.text
    u = ingest_bytes(PARAGRAPH.encode("utf-16"), "note.txt")
    assert u.text == PARAGRAPH and not u.warnings
    r = ingest_bytes("Поставка беспилотников в Ижевск. ".encode("cp1251") * 20, "ru.txt")
    assert r.text.startswith("Поставка") and r.language == "rus"
    assert r.warnings and "cp1251" in r.warnings[0].lower().replace("windows-1251", "cp1251")


def test_same_content_has_the_same_id(tmp_path: Path, shared_data: Path) -> None:
    a = ingest_file(shared_data / REUTERS)
    (tmp_path / "copy.txt").write_bytes((shared_data / REUTERS).read_bytes())
    b = ingest_file(tmp_path / "copy.txt")
    assert a.doc_id == b.doc_id and a.sha256 == b.sha256 and a.path != b.path


def write_bad_files(folder: Path) -> dict[str, str]:
    """Each bad file with the words its error must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt(user_password="secret", owner_password="owner")
    with (folder / "encrypted.pdf").open("wb") as fh:
        writer.write(fh)
    good_pdf = text_pdf(PARAGRAPH, folder / "good.pdf").read_bytes()
    (folder / "good.pdf").unlink()
    (folder / "truncated.pdf").write_bytes(good_pdf[: len(good_pdf) // 3])
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    with (folder / "huge.txt").open("wb") as fh:  # sparse: costs no disk
        fh.truncate(300 * 1024 * 1024)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (30 * 1024 * 1024))
    (folder / "bomb.docx").write_bytes(buf.getvalue())
    (folder / "notzip.docx").write_bytes(b"PK\x03\x04 this is not a zip archive")
    return {
        "encrypted.pdf": "encrypted PDF",
        "truncated.pdf": "PDF",
        "empty.txt": "empty file",
        "binary.txt": "not text",
        "huge.txt": "refused: file is",
        "bomb.docx": "zip bomb",
        "notzip.docx": "corrupt .docx",
    }


def test_bad_input_gives_one_clear_error_each(tmp_path: Path) -> None:
    expected = write_bad_files(tmp_path / "bad")
    for name, words in expected.items():
        with pytest.raises(InputError) as info:
            ingest_file(tmp_path / "bad" / name)
        message = str(info.value)
        assert name in message and words in message, message
        assert "\n" not in message


def test_unknown_encoding_is_refused() -> None:
    noise = bytes((i * 97 + 13) % 256 for i in range(5000))
    with pytest.raises(InputError, match=r"encoding|not text"):
        ingest_bytes(noise.replace(b"\0", b"\1"), "noise.txt")


def test_limits_are_configurable(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="limit 100"):
        ingest_bytes(PARAGRAPH.encode() * 3, "x.txt", IngestLimits(max_bytes=100))
    with pytest.raises(InputError, match="characters"):
        ingest_bytes(PARAGRAPH.encode() * 3, "x.txt", IngestLimits(max_chars=50))


def test_folder_load_keeps_going_past_bad_documents(
    tmp_path: Path, shared_data: Path, list_store: Store, name_index: NameIndex
) -> None:
    folder = tmp_path / "inbox"
    expected = write_bad_files(folder / "broken")
    (folder / "reuters.txt").write_bytes((shared_data / REUTERS).read_bytes())
    (folder / "sub").mkdir()
    make_docx(folder / "sub" / "report.docx", [PARAGRAPH])
    (folder / ".hidden.txt").write_text("ignored", "utf-8")
    assert len(discover(folder)) == len(expected) + 2
    report = load_documents(
        list_store, folder, source="Reuters", reliability="B", credibility=2, index=name_index
    )
    by_name = {Path(r.path).name: r for r in report.results}
    assert by_name["reuters.txt"].status == "loaded" and by_name["reuters.txt"].claims > 50
    assert by_name["report.docx"].status == "loaded"
    for name, words in expected.items():
        assert by_name[name].status == "error" and words in (by_name[name].error or "")
    errors = [i for i in report.report.issues if i.severity == "error"]
    assert len(errors) == len(expected)
    assert {d.filename for d in list_documents(list_store)} == {"reuters.txt", "report.docx"}
    again = load_documents(list_store, folder / "reuters.txt", index=name_index)
    assert again.results[0].status == "unchanged"


def test_email_attachments_load_as_their_own_documents(
    tmp_path: Path, list_store: Store, name_index: NameIndex
) -> None:
    msg = EmailMessage()
    msg["From"] = "logistics@tsk-vektor.example"
    msg["To"] = "supply@kupol.example"
    msg["Subject"] = "Invoices"
    msg.set_content("Both invoices attached.")
    pdf = text_pdf(PARAGRAPH, tmp_path / "invoice.pdf").read_bytes()
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="invoice.pdf")
    msg.add_attachment(pdf[:200], maintype="application", subtype="pdf", filename="broken.pdf")
    (tmp_path / "mail.eml").write_bytes(bytes(msg))
    report = load_documents(list_store, tmp_path / "mail.eml", index=name_index)
    statuses = {Path(r.path).name: r.status for r in report.results}
    assert statuses == {
        "mail.eml": "loaded",
        "mail.eml#invoice.pdf": "loaded",
        "mail.eml#broken.pdf": "error",
    }
    attached = next(r for r in report.results if r.path.endswith("#invoice.pdf"))
    claims = list_claims(list_store, doc_id=attached.doc_id)
    assert "CNY" in {c.value for c in claims if c.kind == "money"}
    meta = list_store.con.execute(
        "SELECT metadata->>'attached_to' FROM documents WHERE doc_id = ?", [attached.doc_id]
    ).fetchone()
    message = next(r for r in report.results if r.path.endswith("mail.eml"))
    assert meta == (message.doc_id,)


def test_scanned_images_are_ocred_and_image_bombs_refused(tmp_path: Path) -> None:
    doc = ingest_file(scanned_png(PARAGRAPH, tmp_path / "invoice.png"))
    assert doc.media_type == "image/png" and doc.pages[0].method == "ocr"
    assert "IEMZ Kupol, a subsidiary of Almaz-Antey" in " ".join(doc.text.split())
    assert (doc.pages[0].ocr_confidence or 0) > 80
    Image.new("1", (9000, 9000)).save(tmp_path / "bomb.png")
    with pytest.raises(InputError, match="refused"):
        ingest_file(tmp_path / "bomb.png")
    (tmp_path / "cut.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 64)
    with pytest.raises(InputError, match="corrupt image"):
        ingest_file(tmp_path / "cut.jpg")
