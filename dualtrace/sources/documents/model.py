"""What ingestion produces: a document's full text, the page each character is on, and metadata.

Later stages only ever see :class:`Document`; every claim they make points into
``Document.text`` by character offsets, and :meth:`Document.page_of` turns an offset
into the page an analyst can open.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

PAGE_SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class PageText:
    """The text of one page as a format reader found it, and how it was obtained."""

    text: str
    method: str = "text"  # 'text' (text layer / markup), 'ocr'
    ocr_confidence: float | None = None


@dataclass(slots=True)
class ExtractedText:
    """A format reader's output before hashing, language detection and page offsets."""

    pages: list[PageText]
    media_type: str
    title: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Files carried inside this one (e-mail attachments): (file name, bytes).
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its number (1-based) and where its text sits in the document text."""

    number: int
    start: int
    end: int
    method: str
    ocr_confidence: float | None = None


@dataclass(slots=True)
class Document:
    """An ingested document: stored once per content hash, cited by page and span."""

    doc_id: str
    sha256: str
    path: str
    filename: str
    media_type: str
    size: int
    text: str
    pages: list[Page]
    language: str | None
    title: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    attachments: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def ocr_pages(self) -> int:
        return sum(1 for p in self.pages if p.method == "ocr")

    def page_of(self, offset: int) -> int:
        """The 1-based page that holds character ``offset`` (the last page if beyond)."""
        starts = [p.start for p in self.pages]
        idx = bisect.bisect_right(starts, offset) - 1
        return self.pages[max(idx, 0)].number if self.pages else 1


def assemble_pages(pages: list[PageText]) -> tuple[str, list[Page]]:
    """Join page texts with a blank line and record each page's character range."""
    parts: list[str] = []
    out: list[Page] = []
    pos = 0
    for number, page in enumerate(pages, start=1):
        if number > 1:
            parts.append(PAGE_SEPARATOR)
            pos += len(PAGE_SEPARATOR)
        parts.append(page.text)
        out.append(Page(number, pos, pos + len(page.text), page.method, page.ocr_confidence))
        pos += len(page.text)
    return "".join(parts), out
