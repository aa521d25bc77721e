"""Makes test PDFs from a text: one with a text layer, one that is only scanned images.

The scanned variant draws the text onto page-sized bitmaps with a TrueType font and
saves them as an image-only PDF, which is what a photocopied report looks like to a
PDF reader: no text layer, so the pipeline must OCR it.
"""

from __future__ import annotations

import html
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def text_pdf(text: str, out: Path) -> Path:
    """A normal PDF with a text layer, laid out by weasyprint from simple HTML."""
    from weasyprint import HTML

    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n") if p.strip())
    doc = (
        "<html><head><style>@page { size: A4; margin: 2cm } "
        "body { font-family: 'DejaVu Sans'; font-size: 11pt }</style></head>"
        f"<body>{paragraphs}</body></html>"
    )
    HTML(string=doc).write_pdf(str(out))
    return out


def scanned_pdf(text: str, out: Path, dpi: int = 200, font_pt: int = 11) -> Path:
    """An image-only PDF: the text drawn on A4 bitmaps, no text layer at all."""
    pages = page_images(text, dpi, font_pt)
    pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return out


def page_images(text: str, dpi: int = 200, font_pt: int = 11) -> list[Image.Image]:
    """The text drawn on A4 page bitmaps, as a scanner would see the printed pages."""
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    margin = int(0.8 * dpi)
    font = ImageFont.truetype(str(FONT), int(font_pt * dpi / 72))
    line_h = int(font_pt * dpi / 72 * 1.5)
    chars_per_line = 85
    lines: list[str] = []
    for paragraph in text.split("\n\n"):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        lines.extend(textwrap.wrap(paragraph, chars_per_line))
        lines.append("")
    per_page = (height - 2 * margin) // line_h
    pages: list[Image.Image] = []
    for start in range(0, len(lines), per_page):
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        y = margin
        for line in lines[start : start + per_page]:
            draw.text((margin, y), line, font=font, fill=0)
            y += line_h
        pages.append(image)
    return pages


def scanned_png(text: str, out: Path, dpi: int = 200, font_pt: int = 11) -> Path:
    """The first page of :func:`scanned_pdf` as a PNG photo of a page."""
    page_images(text, dpi, font_pt)[0].save(out, "PNG", dpi=(dpi, dpi))
    return out
