"""One normal form for names in lists and in running text, so they can meet in an automaton.

Both sides go through the same steps: split into word tokens (each Han character is
its own token, as Chinese has no spaces), transliterate to ASCII with rigour
(Купол -> kupol, 深圳 -> shen zhen), lower-case, then reduce to a spelling
*skeleton* that folds common transliteration variants of Russian names
(Vektor/Vector, Antey/Antei, Izhevskiy/Izhevski). Each text token keeps its
character span so a match in normalised text maps back to exact characters.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rigour.names.org_types import remove_org_types
from rigour.text import ascii_text

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN_SPLIT = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
)
_C_HARD = re.compile(r"c(?=[aoukrlt]|$)")
_DOUBLE = re.compile(r"([a-z])\1+")

# Organisation-type words rigour's table leaves in (they describe, not name, an org)
# and Han company suffixes after transliteration.
GENERIC_ORG_WORDS: tuple[tuple[str, ...], ...] = (
    ("kontsern",),
    ("concern",),
    ("koncern",),
    ("gu", "fen", "you", "xian", "gong", "si"),
    ("you", "xian", "gong", "si"),
    ("you", "xian", "ze", "ren", "gong", "si"),
    ("ji", "tuan"),
    ("gong", "si"),
)


@dataclass(frozen=True, slots=True)
class Token:
    """A word of the original text: its span there and its normal form."""

    start: int
    end: int
    norm: str


@functools.lru_cache(maxsize=500_000)
def skeleton(word: str) -> str:
    """Lower-case ASCII skeleton of one word that folds transliteration variants."""
    w = ascii_lower(word)
    if not w.isascii():
        return w
    w = w.replace("ph", "f").replace("ck", "k").replace("w", "v").replace("x", "ks")
    w = _C_HARD.sub("k", w)
    w = w.replace("y", "i").replace("j", "i")
    w = _DOUBLE.sub(r"\1", w)
    return re.sub(r"[^a-z0-9 ]", "", w).strip()


@functools.lru_cache(maxsize=500_000)
def ascii_lower(word: str) -> str:
    return ascii_text(word).lower()


def tokenize(text: str) -> list[Token]:
    """Word tokens of ``text`` with spans; Han runs are split into single characters."""
    if not _HAN.search(text):
        return [
            Token(m.start(), m.end(), norm)
            for m in _WORD.finditer(text)
            if (norm := skeleton(m.group()))
        ]
    out: list[Token] = []
    for m in _WORD.finditer(text):
        word = m.group()
        if _HAN.search(word):
            for piece in _HAN_SPLIT.finditer(word):
                norm = skeleton(piece.group())
                if norm:
                    s = m.start() + piece.start()
                    out.append(Token(s, s + len(piece.group()), norm))
            continue
        norm = skeleton(word)
        if norm:
            out.append(Token(m.start(), m.end(), norm))
    return out


def name_tokens(name: str) -> list[str]:
    """Normalised tokens of a name (a multi-syllable transliteration stays one token)."""
    if not _HAN.search(name):
        return [norm for w in _WORD.findall(name) if (norm := skeleton(w))]
    return [t.norm for t in tokenize(name)]


def strip_org_types(name: str) -> list[str]:
    """Tokens of ``name`` without its legal form (ООО, JSC, Co., Ltd, 有限公司, concern)."""
    ascii_name = " ".join(ascii_lower(w) for w in _WORD.findall(name))
    if _HAN.search(name):
        ascii_name = " ".join(t.norm for t in tokenize(name))
    stripped = remove_org_types(ascii_name, replacement=" ")
    tokens = [skeleton(t) for t in stripped.split()]
    tokens = [t for t in tokens if t]
    return _drop_generic(tokens)


@functools.cache
def _generic_skeletons() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(skeleton(w) for w in g) for g in GENERIC_ORG_WORDS)


def _drop_generic(tokens: list[str]) -> list[str]:
    changed = True
    while changed and tokens:
        changed = False
        for generic in _generic_skeletons():
            n = len(generic)
            for i in range(len(tokens) - n + 1):
                if tuple(tokens[i : i + n]) == generic and len(tokens) > n:
                    tokens = tokens[:i] + tokens[i + n :]
                    changed = True
                    break
            if changed:
                break
    return tokens
