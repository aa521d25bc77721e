"""Uploaded files and user-supplied paths, checked before anything touches them.

An upload is judged by its bytes, not by the name or Content-Type the client chose: a
``.pdf`` that starts like a Windows executable, or a ``.docx`` that is not a zip, is
refused before a parser sees it. Names from clients never become paths as given: they
are reduced to a safe base name, and any path built from user input must resolve inside
its base folder (no ``..``, no absolute paths, no symlink escapes).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from dualtrace.errors import InputError

# Magic numbers of the formats dualtrace reads, and of things that must never be read.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"PAR1", "parquet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # legacy .doc/.xls
    (b"MZ", "executable"),
    (b"\x7fELF", "executable"),
    (b"\xcf\xfa\xed\xfe", "executable"),
    (b"#!", "script"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!", "rar"),
)
# Which sniffed kinds each accepted suffix may contain.
SUFFIX_KINDS: dict[str, frozenset[str]] = {
    ".pdf": frozenset({"pdf"}),
    ".docx": frozenset({"zip"}),
    ".xlsx": frozenset({"zip"}),
    ".xlsm": frozenset({"zip"}),
    ".parquet": frozenset({"parquet"}),
    ".csv": frozenset({"text"}),
    ".tsv": frozenset({"text"}),
    ".txt": frozenset({"text"}),
    ".md": frozenset({"text"}),
    ".json": frozenset({"text"}),
    ".jsonl": frozenset({"text"}),
    ".xml": frozenset({"text"}),
    ".html": frozenset({"text"}),
    ".htm": frozenset({"text"}),
    ".eml": frozenset({"text"}),
}
DOCUMENT_SUFFIXES = frozenset({".pdf", ".docx", ".html", ".htm", ".txt", ".md", ".eml", ".csv"})
TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet"})
_UNSAFE_NAME = re.compile(r"[^\w.\- ]+")


def sniff_kind(head: bytes) -> str:
    """What the first bytes say the file is: a known magic number, else 'text' when
    it decodes as text (UTF-8/UTF-16 with BOM, or no NUL bytes), else 'binary'."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return "text"
    if b"\x00" in head[:4096]:
        return "binary"
    return "text"


def safe_filename(name: str, default: str = "upload") -> str:
    """A base name safe to show and store: no folders, no control or shell characters,
    no leading dots, at most 120 characters, suffix kept."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C")
    base = _UNSAFE_NAME.sub("_", base).strip(" .")
    if not base:
        return default
    stem, dot, suffix = base.rpartition(".")
    if dot and stem and len(suffix) <= 10:
        return f"{stem[: 120 - len(suffix) - 1]}.{suffix}"
    return base[:120]


def check_upload(filename: str, head: bytes, allowed: frozenset[str] = DOCUMENT_SUFFIXES) -> str:
    """The safe name of an acceptable upload; InputError if its suffix is not allowed or
    its bytes are not what the suffix claims (``head``: at least the first 8 bytes)."""
    name = safe_filename(filename)
    suffix = Path(name).suffix.lower()
    if suffix not in allowed:
        choices = ", ".join(sorted(allowed))
        raise InputError(
            f"file type {suffix or '(none)'} not accepted; use one of {choices}", file=name
        )
    kind = sniff_kind(head)
    expected = SUFFIX_KINDS.get(suffix, frozenset({"text"}))
    if kind not in expected:
        raise InputError(
            f"content is {kind}, not the {suffix} file its name claims; refused", file=name
        )
    return name


def resolve_within(base: Path, user_path: str) -> Path:
    """``base / user_path`` only if it stays inside ``base`` once resolved (symlinks
    included); InputError naming the path otherwise."""
    if not user_path or "\x00" in user_path:
        raise InputError("empty or invalid path", file=repr(user_path))
    candidate = Path(user_path)
    if candidate.is_absolute():
        raise InputError("absolute paths are not allowed here", file=user_path)
    root = base.resolve()
    target = (root / candidate).resolve()
    if target != root and root not in target.parents:
        raise InputError("path leaves its folder (.. or a symlink); refused", file=user_path)
    return target
