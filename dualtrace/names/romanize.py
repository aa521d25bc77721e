"""Romanisation of Cyrillic (four official systems) and Han (pinyin with word segmentation).

Lists write the same Russian name in whichever romanisation their drafters used: OFAC
mostly BGN/PCGN ("Izhevskiy", "Kontsern"), EU and UK texts mix BGN/PCGN with ICAO
passport spellings ("Antei"), and Russian registries use GOST 7.79. A query can arrive
in any of them, or in Cyrillic. Rather than pick one, we produce every system's
spelling and let the comparison key (:func:`dualtrace.names.normalize.token_key`) fold
their remaining differences. rigour's ``maybe_ascii`` gives one spelling only, and
``normality`` none for Han with word boundaries, which is why these tables exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

# One table per system; letters absent from a table fall back to BGN/PCGN.
_BGN_PCGN: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "ë", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "w",
}  # fmt: skip
_GOST_779_B: dict[str, str] = {
    "ё": "yo", "й": "j", "х": "x", "ц": "cz", "щ": "shh", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye",
}  # fmt: skip
_ICAO_9303: dict[str, str] = {
    "ё": "e", "й": "i", "ъ": "ie", "ю": "iu", "я": "ia", "ь": "", "ы": "y", "є": "ie",
    "ї": "i",
}  # fmt: skip
_SCIENTIFIC: dict[str, str] = {
    "ё": "ë", "ж": "ž", "й": "j", "х": "x", "ц": "c", "ч": "č", "ш": "š", "щ": "šč",
    "ъ": "", "ь": "", "ы": "y", "э": "è", "ю": "ju", "я": "ja", "є": "je", "ї": "ji",
}  # fmt: skip

SYSTEMS: dict[str, dict[str, str]] = {
    "bgn-pcgn": _BGN_PCGN,
    "gost-7.79-b": {**_BGN_PCGN, **_GOST_779_B},
    "icao-9303": {**_BGN_PCGN, **_ICAO_9303},
    "scientific": {**_BGN_PCGN, **_SCIENTIFIC},
}
_VOWELS = set("аеёиоуыэюяіїє")


def romanize_cyrillic(text: str, system: str = "bgn-pcgn") -> str:
    """``text`` with its Cyrillic letters romanised in ``system`` (others kept).

    BGN/PCGN writes е as "ye" at the start of a word and after a vowel or soft/hard
    sign ("Yevgeniy"); the other systems do not, which is one of the differences
    screening has to absorb.
    """
    table = SYSTEMS[system]
    out: list[str] = []
    prev = " "
    for ch in text:
        low = ch.lower()
        rom = table.get(low)
        if rom is None:
            out.append(ch)
        else:
            if (
                system == "bgn-pcgn"
                and low == "е"
                and (not prev.isalpha() or prev in _VOWELS or prev in "ъь")
            ):
                rom = "ye"
            if ch.isupper() and rom:
                rom = rom[0].upper() + rom[1:]
            out.append(rom)
        prev = low
    return "".join(out)


def has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


@lru_cache(maxsize=1)
def _han_tools() -> tuple[Callable[[str], list[str]], Callable[[str], list[str]]]:
    """pypinyin's segmenter and converter, imported once (the phrase tables are large)."""
    from pypinyin import lazy_pinyin
    from pypinyin.seg.mmseg import seg

    def cut(text: str) -> list[str]:
        return list(seg.cut(text))

    def syllables(word: str) -> list[str]:
        return list(lazy_pinyin(word, errors="ignore"))

    return cut, syllables


@lru_cache(maxsize=65536)
def han_words(text: str) -> tuple[tuple[str, ...], ...]:
    """Han text as words, each word as its pinyin syllables.

    "深圳" -> (("shen", "zhen"),). pypinyin's dictionary segmentation joins known
    words ("航空" -> "hangkong"); where it falls back to single characters, the
    comparison step can still join neighbouring syllables into one Latin token
    ("shen"+"zhen" = "Shenzhen"), so segmentation errors cost little.
    """
    cut, syllables = _han_tools()
    words: list[tuple[str, ...]] = []
    for chunk in cut(text):
        if not has_han(chunk):
            continue
        syl = tuple(s for s in syllables(chunk) if s.isalpha())
        if syl:
            words.append(syl)
    return tuple(words)


def romanize_han(text: str) -> str:
    """Han runs replaced by pinyin words (syllables of one word joined), other text kept."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            out.append(" " + " ".join("".join(w) for w in han_words("".join(run))) + " ")
            run.clear()

    for ch in text:
        if has_han(ch):
            run.append(ch)
        else:
            flush()
            out.append(ch)
    flush()
    return "".join(out)
