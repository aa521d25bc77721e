"""Turning a file into a :class:`Document`, or into one clear error about that file.

Dispatch is by content first (PDF header, zip container, e-mail headers) and file
suffix second, so a misnamed file is still read correctly. The content hash (SHA-256
of the bytes) is the document id, which is what makes loading the same report twice
a no-op. Limits stop enormous files before they are read into memory.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dualtrace.errors import InputError
from dualtrace.sources.documents.emailfile import read_eml
from dualtrace.sources.documents.imagefile import is_image, read_image
from dualtrace.sources.documents.language import detect_language
from dualtrace.sources.documents.markup import read_html
from dualtrace.sources.documents.model import Document, ExtractedText, assemble_pages
from dualtrace.sources.documents.pdffile import read_pdf
from dualtrace.sources.documents.textfile import read_plain_text
from dualtrace.sources.documents.wordfile import MAX_UNCOMPRESSED, read_docx

SUPPORTED_SUFFIXES = (
    ".pdf",
    ".docx",
    ".html",
    ".htm",
    ".txt",
    ".text",
    ".md",
    ".eml",
    ".csv",
    ".png",
    ".jpg",
    ".jpeg",
    ".tif",
    ".tiff",
    ".gif",
    ".bmp",
    ".webp",
)
_EMAIL_HEADER = re.compile(
    rb"^(From|To|Subject|Date|Received|Message-ID|Return-Path):", re.I | re.M
)


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Resource limits per document; beyond them the document is refused, not truncated."""

    max_bytes: int = 200 * 1024 * 1024
    max_chars: int = 20_000_000
    max_uncompressed: int = MAX_UNCOMPRESSED
    ocr: bool = True
    ocr_langs: str | None = None


def discover(path: Path) -> list[Path]:
    """Files to ingest under ``path`` (itself if a file), recursively, in a stable order."""
    if not path.exists():
        raise InputError("no such file or folder", file=str(path))
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


def sniff(raw: bytes, suffix: str) -> str:
    """The format to read ``raw`` as: 'pdf', 'docx', 'image', 'html', 'eml' or 'text'."""
    head = raw[:2048].lstrip()
    if head.startswith(b"%PDF") or suffix == ".pdf":
        return "pdf"
    if is_image(raw):
        return "image"
    if raw.startswith(b"PK\x03\x04") or suffix == ".docx":
        return "docx"
    lowered = head[:512].lower()
    if suffix in (".html", ".htm") or lowered.startswith((b"<!doctype html", b"<html")):
        return "html"
    if suffix == ".eml" or (
        suffix not in (".txt", ".text", ".md", ".csv") and _EMAIL_HEADER.match(head)
    ):
        return "eml"
    return "text"


def ingest_file(
    path: Path,
    limits: IngestLimits | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> Document:
    """Read one file into a :class:`Document`; InputError (naming the file) on failure."""
    limits = limits or IngestLimits()
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=name) from exc
    if size > limits.max_bytes:
        raise InputError(f"refused: file is {size:,} bytes (limit {limits.max_bytes:,})", file=name)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=name) from exc
    return ingest_bytes(raw, name, limits, on_page)


def ingest_bytes(
    raw: bytes,
    name: str,
    limits: IngestLimits | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> Document:
    """Read document bytes (from a file, an upload or an e-mail attachment)."""
    limits = limits or IngestLimits()
    if not raw.strip():
        raise InputError("empty file", file=name)
    if len(raw) > limits.max_bytes:
        raise InputError(
            f"refused: file is {len(raw):,} bytes (limit {limits.max_bytes:,})", file=name
        )
    suffix = Path(name).suffix.lower()
    kind = sniff(raw, suffix)
    extracted: ExtractedText
    try:
        if kind == "pdf":
            extracted = read_pdf(raw, name, limits.ocr, limits.ocr_langs, on_page)
        elif kind == "image":
            if not limits.ocr:
                raise InputError("an image needs OCR, which is switched off", file=name)
            extracted = read_image(raw, name, limits.ocr_langs)
        elif kind == "docx":
            extracted = read_docx(raw, name, limits.max_uncompressed)
        elif kind == "html":
            extracted = read_html(raw, name)
        elif kind == "eml":
            extracted = read_eml(raw, name)
        else:
            extracted = read_plain_text(raw, name)
    except InputError:
        raise
    except MemoryError as exc:
        raise InputError("refused: document too large to read into memory", file=name) from exc
    except RecursionError as exc:
        raise InputError(f"corrupt {kind}: nesting too deep", file=name) from exc
    except Exception as exc:
        raise InputError(f"cannot read {kind}: {type(exc).__name__}: {exc}", file=name) from exc
    text, pages = assemble_pages(extracted.pages)
    if len(text) > limits.max_chars:
        raise InputError(
            f"refused: text is {len(text):,} characters (limit {limits.max_chars:,})", file=name
        )
    if not text.strip():
        raise InputError(
            "no text found (blank pages, or a scan that OCR could not read)", file=name
        )
    sha = hashlib.sha256(raw).hexdigest()
    return Document(
        doc_id=f"doc-{sha[:16]}",
        sha256=sha,
        path=name,
        filename=Path(name).name,
        media_type=extracted.media_type,
        size=len(raw),
        text=text,
        pages=pages,
        language=detect_language(text),
        title=extracted.title,
        metadata=extracted.metadata,
        warnings=extracted.warnings,
        attachments=extracted.attachments,
    )


def iter_ingest(
    paths: list[Path], limits: IngestLimits | None = None
) -> Iterator[tuple[Path, Document | InputError]]:
    """Each path with its document or its error: one bad file never stops the rest."""
    for path in paths:
        try:
            yield path, ingest_file(path, limits)
        except InputError as exc:
            yield path, exc
