"""Japanese (kana and kanji) to Hepburn romaji as lists write it.

Japanese names reach lists in passport Hepburn without long-vowel marks ("Yamada
Taro", "Toshiba", not "Tarou", "Toushiba"). Kana are phonetic, but kanji need a
reading dictionary: 山田太郎 is "yamada taro", not its Chinese reading "shan tian tai
lang" that pinyin gives. pykakasi carries such a dictionary in pure Python and is
loaded on first use only (about three seconds), so lists and queries without Japanese
text never pay for it.

pykakasi is GPL-3.0-or-later, so it is an optional extra (``pip install
dualtrace[japanese]``): without it, kana and kanji fall back to rigour's generic
transliteration (kana are still read; kanji are read as Chinese).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
# Long vowels written out by Hepburn-with-u ("tarou", "juu") and dropped by passport
# Hepburn and most lists ("taro", "ju").
_LONG_VOWELS = ((re.compile(r"ou"), "o"), (re.compile(r"uu"), "u"), (re.compile(r"oo"), "o"))
# A Han-only name of exactly this many characters, written as one word, may be a
# Japanese personal name (山田太郎, 田中花子: two-character surname and given name);
# Chinese personal names are mostly two or three characters, and reading them in
# Japanese gave words ("晶" = "aki") that collided with list acronyms in the
# 50,000-negatives benchmark. Other Han names are read as Chinese only.
KANJI_NAME_LENGTH = 4


def has_kana(text: str) -> bool:
    return _KANA.search(text) is not None


@lru_cache(maxsize=1)
def _reader() -> Callable[[str], list[str]] | None:
    """pykakasi's converter as text -> words in passport Hepburn, or None if not installed."""
    try:
        import pykakasi
    except ImportError:
        return None
    kks = pykakasi.kakasi()  # type: ignore[no-untyped-call]

    def read(text: str) -> list[str]:
        return [str(item["passport"]) for item in kks.convert(text)]

    return read


def japanese_available() -> bool:
    """Whether kanji can be read in Japanese here (the optional pykakasi is installed)."""
    return _reader() is not None


def drop_long_vowels(word: str) -> str:
    """Passport-style romaji: "tarou" -> "taro", "juukougyou" -> "jukogyo"."""
    for pattern, short in _LONG_VOWELS:
        word = pattern.sub(short, word)
    return word


@lru_cache(maxsize=16384)
def romanize_japanese(text: str) -> str | None:
    """``text`` with kana and kanji read as Hepburn words, or None without a reader.

    Words follow the dictionary's segmentation (山田太郎 -> "yamada taro"); other
    characters are kept.
    """
    read = _reader()
    if read is None:
        return None
    words = [drop_long_vowels(w.lower()) for w in read(text)]
    return " ".join(w for w in words if w.strip())
