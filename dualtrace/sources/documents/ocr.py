"""Optical character recognition of scanned pages with Debian's tesseract.

Tesseract runs as a subprocess through pytesseract with the English, Russian and
Simplified Chinese language data (``scripts/setup-system-docs.sh`` installs them).
Nothing is downloaded at run time; a missing binary or language pack is reported as a
per-document error naming the package to install.
"""

from __future__ import annotations

import functools
import os

import pytesseract
from PIL import Image

from dualtrace.errors import InputError

DEFAULT_LANGS = "eng+rus+chi_sim"
ENV_OCR_LANGS = "DUALTRACE_OCR_LANGS"
# Tesseract's OpenMP threads fight over few shared cores and make OCR slower, not
# faster; one thread per process is tesseract's own advice for batch work.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
# Script probe: a quarter-page strip at this scale is enough to tell Latin from
# Cyrillic from Han, at a fraction of a full multi-language pass.
PROBE_SCALE = 0.5
# A page read with the narrowed languages below this mean confidence is read again
# with every configured language.
RETRY_CONFIDENCE = 70.0
_SCRIPT_LANGS = {"latin": "eng", "cyrillic": "rus", "han": "chi_sim"}


@functools.cache
def available_languages() -> frozenset[str]:
    """Language packs tesseract has; empty when tesseract is not installed."""
    try:
        return frozenset(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, OSError):
        return frozenset()


def ocr_languages(requested: str | None = None) -> str:
    """The ``+``-joined tesseract languages to use, limited to those installed."""
    wanted = (requested or os.environ.get(ENV_OCR_LANGS) or DEFAULT_LANGS).split("+")
    have = available_languages()
    if not have:
        raise InputError(
            "scanned page needs OCR but tesseract is not installed "
            "(run scripts/setup-system-docs.sh)"
        )
    usable = [lang for lang in wanted if lang in have]
    if not usable:
        raise InputError(
            f"none of the OCR languages {'+'.join(wanted)} is installed "
            "(run scripts/setup-system-docs.sh)"
        )
    return "+".join(usable)


def choose_languages(image: Image.Image, langs: str | None = None) -> str:
    """The configured languages narrowed to the scripts a quick low-resolution probe sees.

    Reading an English page with Chinese and Russian models loaded costs about three
    times as long as English alone; the probe costs a fraction of one pass.
    """
    from dualtrace.sources.documents.language import script_shares

    configured = ocr_languages(langs)
    width, height = image.size
    strip = image.crop((0, 0, width, max(height // 4, 1))).resize(
        (max(int(width * PROBE_SCALE), 1), max(int(height // 4 * PROBE_SCALE), 1))
    )
    probe = pytesseract.image_to_string(strip, lang=configured, config="--psm 3")
    shares = script_shares(probe)
    wanted = [lang for script, lang in _SCRIPT_LANGS.items() if shares.get(script, 0) >= 0.05]
    narrowed = [lang for lang in configured.split("+") if lang in wanted]
    if "eng" in configured.split("+") and "eng" not in narrowed:
        narrowed.append("eng")  # numbers, codes and Latin names occur in every script
    return "+".join(narrowed) if narrowed else configured


def ocr_page(image: Image.Image, langs: str | None = None) -> tuple[str, float | None, str]:
    """(text, confidence, languages used): narrowed languages first, all of them if unsure."""
    configured = ocr_languages(langs)
    chosen = choose_languages(image, configured)
    text, conf = ocr_image(image, chosen)
    if chosen != configured and (conf is None or conf < RETRY_CONFIDENCE):
        text2, conf2 = ocr_image(image, configured)
        if conf2 is not None and (conf is None or conf2 > conf):
            return text2, conf2, configured
    return text, conf, chosen


def ocr_image(image: Image.Image, langs: str | None = None) -> tuple[str, float | None]:
    """(text, mean word confidence 0-100) of one page image."""
    lang = ocr_languages(langs)
    data = pytesseract.image_to_data(
        image, lang=lang, config="--psm 3", output_type=pytesseract.Output.DICT
    )
    lines: dict[tuple[int, int, int], list[str]] = {}
    paragraphs: list[tuple[int, int]] = []
    confidences: list[float] = []
    for i, word in enumerate(data["text"]):
        if not word or not word.strip():
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        if key not in lines:
            lines[key] = []
            par = (key[0], key[1])
            if not paragraphs or paragraphs[-1] != par:
                paragraphs.append(par)
        lines[key].append(word)
        conf = float(data["conf"][i])
        if conf >= 0:
            confidences.append(conf)
    out: list[str] = []
    previous: tuple[int, int] | None = None
    for key, words in lines.items():
        par = (key[0], key[1])
        if previous is not None:
            out.append("\n\n" if par != previous else "\n")
        out.append(join_ocr_words(words, lang))
        previous = par
    mean = sum(confidences) / len(confidences) if confidences else None
    return "".join(out), mean


def join_ocr_words(words: list[str], lang: str) -> str:
    """Join recognised words; Han words are not space-separated in running text."""
    if "chi_sim" not in lang:
        return " ".join(words)
    out = words[0]
    for word in words[1:]:
        if _is_han(out[-1]) and _is_han(word[0]):
            out += word
        else:
            out += " " + word
    return out


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"
