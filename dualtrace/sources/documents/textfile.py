"""Plain-text documents: decoding bytes whose encoding nobody declared.

Reports and leaks arrive as UTF-8, UTF-16 with a byte-order mark, Windows-1251
(Russian) or GB18030 (Chinese). We accept a BOM or valid UTF-8 outright, then let
charset-normalizer guess among legacy encodings and record the guess as a warning;
bytes that no encoding explains coherently are refused rather than turned into noise.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from dualtrace.errors import InputError
from dualtrace.sources.documents.model import ExtractedText, PageText

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Share of characters that must be letters, digits, punctuation or white space for a
# guessed decoding to count as text; binary data decoded as cp1252 fails this.
MIN_PRINTABLE = 0.97


def decode_text(raw: bytes, name: str) -> tuple[str, list[str]]:
    """(text, warnings) for ``raw``; InputError when the encoding cannot be determined."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding), []
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"text starts with a {encoding} byte-order mark but is not valid "
                    f"{encoding} (byte {exc.start})",
                    file=name,
                ) from exc
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    if b"\x00" in raw[:8192]:
        raise InputError("binary data, not text (NUL bytes and no byte-order mark)", file=name)
    best = from_bytes(raw[:1_000_000]).best()
    if best is None or best.encoding is None:
        raise InputError("unknown text encoding: not UTF-8 and no legacy encoding fits", file=name)
    try:
        text = raw.decode(best.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(
            f"unknown text encoding (guessed {best.encoding}, failed)", file=name
        ) from exc
    if printable_share(text) < MIN_PRINTABLE:
        raise InputError(
            f"unknown text encoding: decoding as {best.encoding} gives unreadable text",
            file=name,
        )
    return text, [f"not UTF-8; decoded as {best.encoding} (detected)"]


def printable_share(text: str) -> float:
    """Share of characters that are printable or ordinary white space."""
    if not text:
        return 1.0
    sample = text[:200_000]
    good = sum(1 for ch in sample if ch.isprintable() or ch in "\n\r\t\f")
    return good / len(sample)


def read_plain_text(raw: bytes, name: str) -> ExtractedText:
    """A text file is one page; form feeds (``\\f``) split it into pages, as printers do."""
    text, warnings = decode_text(raw, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chunks = text.split("\f") if "\f" in text else [text]
    return ExtractedText(
        pages=[PageText(chunk) for chunk in chunks],
        media_type="text/plain",
        warnings=warnings,
    )
