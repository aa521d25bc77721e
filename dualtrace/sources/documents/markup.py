"""HTML pages: visible text only, in reading order.

Scripts, styles and hidden templates carry no evidence and would pollute mention
finding, so they are dropped before the text is taken. Block elements become line
breaks so sentences from different paragraphs are never glued together.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from dualtrace.sources.documents.model import ExtractedText, PageText
from dualtrace.sources.documents.textfile import decode_text

_INVISIBLE = ("script", "style", "noscript", "template", "head", "svg")
_BLANK_LINES = re.compile(r"\n\s*\n\s*(\n\s*)+")
_SPACES = re.compile(r"[ \t\u00a0]+")


def html_to_text(html: str) -> tuple[str, str | None]:
    """(visible text, title) of an HTML string."""
    soup = BeautifulSoup(html, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup(list(_INVISIBLE)):
        tag.decompose()
    body = soup.body or soup
    text = body.get_text("\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines)
    joined = _BLANK_LINES.sub("\n\n", joined).strip()
    return joined, title or None


def read_html(raw: bytes, name: str) -> ExtractedText:
    """An HTML page is one page of text; the declared charset is honoured via BOM/UTF-8."""
    html, warnings = decode_text(raw, name)
    text, title = html_to_text(html)
    return ExtractedText(
        pages=[PageText(text)], media_type="text/html", title=title, warnings=warnings
    )
