"""Numbers as documents write them: 2,000 / 1 500,5 / seven / семь / 七 / 150万.

Quantities and amounts in English, Russian and Chinese reports use digit groups,
number words and multipliers (million, млн, 万); this module turns each into a
float so claims compare numerically across languages.
"""

from __future__ import annotations

import re

EN_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a dozen": 12,
    "dozen": 12,
}
RU_WORDS = {
    "один": 1,
    "одна": 1,
    "одно": 1,
    "одного": 1,
    "два": 2,
    "две": 2,
    "двух": 2,
    "три": 3,
    "трёх": 3,
    "трех": 3,
    "четыре": 4,
    "четырёх": 4,
    "четырех": 4,
    "пять": 5,
    "пяти": 5,
    "шесть": 6,
    "шести": 6,
    "семь": 7,
    "семи": 7,
    "восемь": 8,
    "восьми": 8,
    "девять": 9,
    "девяти": 9,
    "десять": 10,
    "десяти": 10,
    "двадцать": 20,
    "тридцать": 30,
    "сорок": 40,
    "пятьдесят": 50,
    "сто": 100,
}
ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
MULTIPLIERS = {
    "thousand": 1e3,
    "million": 1e6,
    "mln": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "тыс": 1e3,
    "тысяч": 1e3,
    "тысячи": 1e3,
    "млн": 1e6,
    "миллион": 1e6,
    "миллиона": 1e6,
    "миллионов": 1e6,
    "млрд": 1e9,
    "миллиард": 1e9,
    "миллиардов": 1e9,
    "万": 1e4,
    "亿": 1e8,
    "千": 1e3,
}
WORD_NUMBER = "|".join(
    sorted((re.escape(w) for w in [*EN_WORDS, *RU_WORDS]), key=len, reverse=True)
)
DIGITS = r"\d{1,3}(?:[,\u00a0\u202f ]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
ZH_NUMBER = r"[零〇一二两三四五六七八九十百千]+"
NUMBER = rf"(?:{DIGITS}|\b(?:{WORD_NUMBER})\b|{ZH_NUMBER})"


def parse_number(text: str) -> float | None:
    """The value of a digit string, English/Russian number word or Chinese numeral."""
    t = text.strip().lower()
    if not t:
        return None
    if t in EN_WORDS:
        return float(EN_WORDS[t])
    if t in RU_WORDS:
        return float(RU_WORDS[t])
    if all(ch in ZH_DIGITS or ch in ZH_UNITS for ch in t):
        return _parse_zh(t)
    t = t.replace("\u00a0", " ").replace("\u202f", " ")
    if re.fullmatch(r"\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?", t):
        t = t.replace(",", "").replace(" ", "")
    elif re.fullmatch(r"\d{1,3}(?:[. ]\d{3})+(?:,\d+)?", t):
        t = t.replace(".", "").replace(" ", "").replace(",", ".")
    else:
        t = t.replace(" ", "").replace(",", ".")
    try:
        return float(t)
    except ValueError:
        return None


def _parse_zh(text: str) -> float:
    total = 0
    current = 0
    for ch in text:
        if ch in ZH_DIGITS:
            current = ZH_DIGITS[ch]
        else:
            total += (current or 1) * ZH_UNITS[ch]
            current = 0
    return float(total + current)


def multiplier(word: str | None) -> float:
    if not word:
        return 1.0
    return MULTIPLIERS.get(word.lower().rstrip("."), 1.0)


def tidy(value: float) -> str:
    """2000.0 -> '2000', 1.5 -> '1.5'."""
    return str(int(value)) if value == int(value) else f"{value:g}"
