"""Comparable forms of party names and addresses, computed once per distinct string.

Linkage compares names as token sets and as compact keys, both built here, so the SQL
that runs on DuckDB or Spark only ever sees latin, lower-case, legal-form-free tokens
(``ООО "ТСК Вектор"`` and ``TSK Vector LLC`` both become ``tsk vektor``). Folding
evens out the usual romanisation differences (c/k, w/v, y/i, kh/h, doubled letters) so
the same Russian or Chinese name written by two brokers shares its tokens.

This is the trade side of name normalisation; it is deliberately small and fast
(millions of distinct party strings), and can be fed from ``dualtrace.names`` later.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rigour.names import remove_org_types
from rigour.text import ascii_text

# GOST-like romanisation of Russian Cyrillic (fast path; other scripts go through ICU).
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "і": "i", "ї": "i", "є": "e", "ґ": "g", "ў": "u",
}  # fmt: skip
_CYRILLIC_TABLE = str.maketrans(_CYRILLIC)
# Legal-form words and their romanisations, and words that carry no identity. They are
# compared after folding, so typed variants (ogranichennoy / ogranichennoi) are caught;
# left in, they would make every "LIMITED LIABILITY COMPANY X" look like every other.
_NOISE_WORDS = (
    "co company ltd limited liability llc inc corp corporation the and of joint stock "
    "public closed open ooo oao zao pao ao jsc ojsc cjsc pjsc obshchestvo s "
    "ogranichennoi otvetstvennostyu aktsionernoe aktsionernoye zakrytoe otkrytoe "
    "publichnoe publichnoye gmbh kg ag sa de cv srl bv plc fzco fze fzc lp llp ood eood "
    "dooel doo ad tov too sp zoo as ab oy spa sarl sas pte pvt bhd sdn kft nv"
)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_FOLDS = (
    ("shch", "sh"),
    ("sch", "sh"),
    ("ck", "k"),
    ("c", "k"),
    ("ph", "f"),
    ("kh", "h"),
    ("tc", "ts"),
    ("yu", "u"),
    ("iu", "u"),
    ("ya", "a"),
    ("ia", "a"),
    ("ye", "e"),
    ("w", "v"),
    ("y", "i"),
    ("j", "i"),
    ("q", "k"),
)
_DOUBLE = re.compile(r"(.)\1+")


def _latin(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(_CYRILLIC_TABLE)
    if text.isascii():
        return text
    return ascii_text(text).lower()


_RUSSIAN_ADJECTIVE = re.compile(
    r"(sk|ck|tsk)(ii|iy|iiy|yi|yy|ij|i|y|aya|aia|aja|oe|oye|ogo|ikh|ie|iye)$"
)


def fold_token(token: str) -> str:
    """One token with romanisation variants folded together (vector = vektor).

    Russian adjective endings are cut back to the stem (izhevskii = izhevsk), since
    the same place or activity appears as an adjective in Russian names.
    """
    if token.isdigit():
        return token
    if len(token) > 5:
        token = _RUSSIAN_ADJECTIVE.sub(r"\1", token)
    for a, b in _FOLDS:
        if a in token:
            token = token.replace(a, b)
    return _DOUBLE.sub(r"\1", token)


_NOISE_TOKENS = frozenset(fold_token(w) for w in _NOISE_WORDS.split())


@lru_cache(maxsize=200_000)
def name_tokens(name: str) -> tuple[str, ...]:
    """Folded identity tokens of a party name, in their written order, without repeats."""
    text = remove_org_types(unicodedata.normalize("NFKC", name).lower())
    out: list[str] = []
    for raw in _NON_ALNUM.split(_latin(text)):
        if not raw:
            continue
        token = fold_token(raw)
        if token and token not in _NOISE_TOKENS and token not in out:
            out.append(token)
    if not out:  # a name that is only a legal form: keep what there is
        out = [fold_token(t) for t in _NON_ALNUM.split(_latin(name)) if t][:3]
    return tuple(out)


@lru_cache(maxsize=200_000)
def address_tokens(address: str) -> tuple[str, ...]:
    """Folded tokens of an address (numbers kept: they tell one tower from the next)."""
    out: list[str] = []
    for raw in _NON_ALNUM.split(_latin(address)):
        if raw:
            token = fold_token(raw)
            if token not in out:
                out.append(token)
    return tuple(out)


def identifier_key(identifier: str | None) -> str | None:
    """Digits and letters of a registration number, upper-cased (INN 7701-234567 = 7701234567)."""
    if not identifier:
        return None
    key = re.sub(r"[^0-9A-Za-z]", "", identifier).upper()
    return key or None
