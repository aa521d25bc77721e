"""Word (.docx) documents, opened only after their zip container is checked.

A .docx is a zip archive; a crafted one (a "zip bomb") expands a few kilobytes into
gigabytes when a parser inflates it. We read the archive's directory first and refuse
archives whose declared uncompressed size or compression ratio is implausible for a
document, before python-docx touches any member.
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.opc.exceptions import PackageNotFoundError

from dualtrace.errors import InputError
from dualtrace.sources.documents.model import ExtractedText, PageText

MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200.0
MAX_MEMBERS = 10_000


def check_zip(raw: bytes, name: str, max_uncompressed: int = MAX_UNCOMPRESSED) -> None:
    """Refuse archives that are corrupt, encrypted or would inflate implausibly."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise InputError(f"corrupt .docx (not a valid zip archive: {exc})", file=name) from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise InputError(f"refused: archive holds {len(infos)} members", file=name)
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if any(i.flag_bits & 0x1 for i in infos):
            raise InputError("encrypted .docx (password required)", file=name)
        if total > max_uncompressed:
            raise InputError(
                f"refused: zip bomb suspected (expands to {total:,} bytes, "
                f"limit {max_uncompressed:,})",
                file=name,
            )
        if total > 10 * 1024 * 1024 and total / packed > MAX_RATIO:
            raise InputError(
                f"refused: zip bomb suspected (compression ratio {total / packed:,.0f}:1)",
                file=name,
            )


def read_docx(raw: bytes, name: str, max_uncompressed: int = MAX_UNCOMPRESSED) -> ExtractedText:
    """Paragraphs and table cells in document order; explicit page breaks split pages."""
    check_zip(raw, name, max_uncompressed)
    try:
        document = docx.Document(io.BytesIO(raw))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"corrupt .docx: {exc}", file=name) from exc
    pages: list[list[str]] = [[]]
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            texts: list[str] = []
            for node in child.iter():
                local = node.tag.rsplit("}", 1)[-1]
                if local == "t" and node.text:
                    texts.append(node.text)
                elif local == "tab":
                    texts.append("\t")
                elif (
                    local == "br"
                    and node.get(
                        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}type"
                    )
                    == "page"
                ):
                    pages[-1].append("".join(texts))
                    texts = []
                    pages.append([])
            pages[-1].append("".join(texts))
        elif tag == "tbl":
            for row in child.iter(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tr"
            ):
                cells = []
                for cell in row.iter(
                    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tc"
                ):
                    cell_text = "".join(
                        t.text or ""
                        for t in cell.iter(
                            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
                        )
                    )
                    cells.append(cell_text)
                pages[-1].append("\t".join(cells))
    core = document.core_properties
    meta = {
        k: str(v)
        for k, v in (("author", core.author), ("created", core.created), ("subject", core.subject))
        if v
    }
    return ExtractedText(
        pages=[PageText("\n".join(p).strip("\n")) for p in pages],
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        title=core.title or None,
        metadata=meta,
    )
