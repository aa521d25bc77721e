"""PDF documents: the text layer where there is one, OCR where a page is a scan.

pypdf checks the file and tells us about encryption; pdfium (shipped with
pdfplumber) reads each page's text layer, with pypdf as the fallback, and renders a
page whose text layer is (nearly) empty for tesseract. Encrypted files that need a
password, truncated or corrupt files and files with no text at all each get one
clear error.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Callable

import pypdf
import pypdfium2
from pypdf.errors import FileNotDecryptedError, PdfReadError, PyPdfError

from dualtrace.errors import InputError
from dualtrace.sources.documents.model import ExtractedText, PageText
from dualtrace.sources.documents.ocr import ocr_page

# A page with fewer letters/digits than this in its text layer is treated as a scan.
MIN_TEXT_CHARS = 25
OCR_DPI = 200
MAX_PAGES = 5_000

logging.getLogger("pypdf").setLevel(logging.ERROR)


def _alnum(text: str) -> int:
    return sum(1 for ch in text if ch.isalnum())


def _page_text(
    reader: pypdf.PdfReader,
    rendered: pypdfium2.PdfDocument | None,
    index: int,
    problems: list[str],
) -> str:
    """A page's text layer: pdfium first (about 25x faster than pypdf), pypdf if it fails."""
    if rendered is not None:
        try:
            textpage = rendered[index].get_textpage()
            try:
                text = str(textpage.get_text_range())
            finally:
                textpage.close()
            return (
                text.replace("\r\n", "\n")
                .replace("\r", "\n")
                .replace("\ufffe", "")
                .replace("\x02", "")
            )
        except pypdfium2.PdfiumError as exc:
            problems.append(f"page {index + 1}: pdfium text failed ({exc}); used pypdf")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return reader.pages[index].extract_text() or ""
    except (
        FileNotDecryptedError,
        PdfReadError,
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
    ) as exc:
        problems.append(f"page {index + 1}: text layer unreadable ({exc})")
        return ""


def read_pdf(
    raw: bytes,
    name: str,
    ocr: bool = True,
    ocr_langs: str | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> ExtractedText:
    """Text of every page, OCR-ing scanned pages; ``on_page(done, total)`` reports progress."""
    if not raw.lstrip()[:5].startswith(b"%PDF"):
        raise InputError("corrupt PDF: no %PDF header", file=name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(io.BytesIO(raw), strict=False)
            if reader.is_encrypted:
                try:
                    ok = reader.decrypt("")
                except (NotImplementedError, PyPdfError) as exc:
                    raise InputError(
                        f"encrypted PDF that cannot be opened: {exc}", file=name
                    ) from exc
                if not ok:
                    raise InputError("encrypted PDF (password required)", file=name)
            total = len(reader.pages)
    except InputError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InputError(f"corrupt PDF: {exc}", file=name) from exc
    if total == 0:
        raise InputError("PDF has no pages", file=name)
    if total > MAX_PAGES:
        raise InputError(f"refused: PDF has {total:,} pages (limit {MAX_PAGES:,})", file=name)
    pages: list[PageText] = []
    problems: list[str] = []
    try:
        rendered: pypdfium2.PdfDocument | None = pypdfium2.PdfDocument(raw)
    except pypdfium2.PdfiumError as exc:
        problems.append(f"pdfium cannot open the file ({exc}); text via pypdf, no OCR")
        rendered = None
    try:
        for index in range(total):
            text = _page_text(reader, rendered, index, problems)
            if _alnum(text) >= MIN_TEXT_CHARS or not ocr or rendered is None:
                pages.append(PageText(text.strip("\n")))
            else:
                image = rendered[index].render(scale=OCR_DPI / 72).to_pil()
                try:
                    ocr_text, conf, used = ocr_page(image, ocr_langs)
                    ocr_langs = used  # later pages of the same scan use the same languages
                except InputError as exc:
                    raise InputError(f"page {index + 1}: {exc.message}", file=name) from exc
                pages.append(PageText(ocr_text, method="ocr", ocr_confidence=conf))
            if on_page is not None:
                on_page(index + 1, total)
    finally:
        if rendered is not None:
            rendered.close()
    meta: dict[str, str] = {}
    title = None
    try:
        info = reader.metadata
        if info is not None:
            title = str(info.title) if info.title else None
            if info.author:
                meta["author"] = str(info.author)
            if info.creation_date_raw:
                meta["created"] = str(info.creation_date_raw)
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError):
        pass
    return ExtractedText(
        pages=pages, media_type="application/pdf", title=title, metadata=meta, warnings=problems
    )
