"""Which language a document is written in (ISO 639-3, as FtM stores languages).

Script counts decide the clear cases cheaply and deterministically (a text that is
mostly Han is Chinese, mostly Cyrillic is usually Russian); for the rest langdetect's
bundled profiles decide, seeded so the same text always gets the same answer.
"""

from __future__ import annotations

import functools

from langdetect import DetectorFactory, LangDetectException, detect_langs

SAMPLE_CHARS = 20_000
# langdetect's codes to the ISO 639-3 codes FtM uses.
ISO3 = {
    "en": "eng",
    "ru": "rus",
    "uk": "ukr",
    "be": "bel",
    "bg": "bul",
    "zh-cn": "zho",
    "zh-tw": "zho",
    "ko": "kor",
    "ja": "jpn",
    "de": "deu",
    "fr": "fra",
    "es": "spa",
    "it": "ita",
    "nl": "nld",
    "pl": "pol",
    "tr": "tur",
    "ar": "ara",
    "fa": "fas",
    "he": "heb",
    "pt": "por",
    "cs": "ces",
    "sv": "swe",
    "fi": "fin",
    "ro": "ron",
}


@functools.cache
def _seeded() -> None:
    DetectorFactory.seed = 0


def script_shares(text: str) -> dict[str, float]:
    """Share of letters that are Latin, Cyrillic, Han or other."""
    counts = {"latin": 0, "cyrillic": 0, "han": 0, "other": 0}
    letters = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        cp = ord(ch)
        if cp < 0x250:
            counts["latin"] += 1
        elif 0x400 <= cp < 0x530:
            counts["cyrillic"] += 1
        elif 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF:
            counts["han"] += 1
        else:
            counts["other"] += 1
    if not letters:
        return dict.fromkeys(counts, 0.0)
    return {k: v / letters for k, v in counts.items()}


def detect_language(text: str) -> str | None:
    """ISO 639-3 code of the document's main language, or None when there is no text."""
    sample = text[:SAMPLE_CHARS]
    shares = script_shares(sample)
    if not any(shares.values()):
        return None
    if shares["han"] >= 0.3:
        return "zho"
    _seeded()
    try:
        ranked = detect_langs(sample)
    except LangDetectException:
        return None
    if not ranked:
        return None
    code = str(ranked[0].lang)
    return ISO3.get(code, code)
