"""Scanned images (PNG, JPEG, TIFF, ...): every frame OCR-ed as one page.

Invoices and letters often arrive as photographs or fax TIFFs rather than PDFs.
Pillow's decompression-bomb guard is kept on: an image that would expand to more
pixels than :data:`MAX_PIXELS` is refused before it is decoded.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageSequence, UnidentifiedImageError

from dualtrace.errors import InputError
from dualtrace.sources.documents.model import ExtractedText, PageText
from dualtrace.sources.documents.ocr import ocr_page

MAX_PIXELS = 60_000_000  # a 600 dpi A3 scan is about 35 million
MAX_FRAMES = 500
IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"II*\x00",
    b"MM\x00*",
    b"GIF87a",
    b"GIF89a",
    b"BM",
)


def is_image(raw: bytes) -> bool:
    return raw.startswith(IMAGE_MAGIC) or (raw[:4] == b"RIFF" and raw[8:12] == b"WEBP")


def read_image(raw: bytes, name: str, langs: str | None = None) -> ExtractedText:
    """OCR text of each frame (page) of an image file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InputError(
                    f"refused: image is {width}x{height} pixels (limit {MAX_PIXELS:,})",
                    file=name,
                )
            pages: list[PageText] = []
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                if number > MAX_FRAMES:
                    raise InputError(f"refused: more than {MAX_FRAMES} frames", file=name)
                text, conf, langs = ocr_page(frame.convert("L"), langs)
                pages.append(PageText(text, method="ocr", ocr_confidence=conf))
    except InputError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise InputError(f"refused: image decompression bomb ({exc})", file=name) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InputError(f"corrupt image: {exc}", file=name) from exc
    return ExtractedText(pages=pages, media_type=f"image/{(image.format or 'unknown').lower()}")
