"""Name normalisation shared by all matching: one name in, comparable forms out.

A name becomes one or more :class:`NameForm` objects: the name's distinctive tokens
(legal forms and stop words removed) as comparison keys, in every romanisation its
script allows, plus the legal forms it carried. Screening (``dualtrace.resolve``) and
bulk trade linkage (``dualtrace.trade``) both compare these forms, so a name only has
to be understood once.

The comparison key folds what romanisation systems and spelling habits disagree on
("Izhevskiy"/"Izhevsky"/"Izhevskij", "Vektor"/"Vector", "Antey"/"Antei") while
keeping what distinguishes names ("Vektor" vs "Vektra"); rigour supplies tokenisation,
legal-form tables across languages and stop words, and we go beyond it for scripts
where it gives one spelling or none (Cyrillic systems, Han word segmentation).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rigour.names import extract_org_types, remove_org_types, tokenize_name
from rigour.text.stopwords import is_stopword
from rigour.text.translit import ascii_text

from dualtrace.names.romanize import (
    SYSTEMS,
    has_cyrillic,
    has_han,
    romanize_cyrillic,
    romanize_han,
)

# Ordered spelling folds applied to a lower-case ASCII token. Upper-case letters are
# placeholders so that a digraph, once folded, is not re-read by a later rule.
_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("shch", "S"),
    ("sch", "S"),
    ("tch", "C"),
    ("dzh", "Z"),
    ("sh", "S"),
    ("zh", "Z"),
    ("kh", "h"),
    ("ch", "C"),
    ("ts", "C"),
    ("tz", "C"),
    ("cz", "C"),
    ("ck", "k"),
    ("ph", "f"),
    ("th", "t"),
    ("gh", "g"),
    ("ou", "u"),
)
_SOFT_C = re.compile(r"c(?=[eiy])")
_DOUBLE = re.compile(r"(.)\1+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_SPLIT = re.compile(r"[^\w]+|_")
_SPACES = re.compile(r"\s+")
# Organisation words rigour's legal-form table leaves alone but which say nothing
# about which organisation is meant ("ACME CORP" vs "ACME").
_EXTRA_LEGAL: dict[str, str] = {
    "corp": "corp",
    "corporation": "corp",
    "company": "co",
    "co": "co",
    "incorporated": "llc",
    "limited": "llc",
}
# Scientific and GOST spellings use x for х and diacritics for hushing sounds; folding
# them to their BGN/PCGN digraphs before keying keeps one key per Russian word.
_PRE_KEY = str.maketrans({"č": "ch", "š": "sh", "ž": "zh", "è": "e", "ë": "e", "x": "kh"})


@lru_cache(maxsize=262144)
def token_key(token: str) -> str:
    """The comparison key of one token: ASCII, lower case, romanisation variants folded.

    Folds sh/sch/shch, zh/j, kh/h, ts/tz/cz/ch, c/k, w/v, y/j/i, ie/e, doubled
    letters. Two tokens with the same key are treated as the same word written in
    different romanisations.
    """
    text = token if token.isascii() else ascii_text(token)
    text = _NOT_ALNUM.sub("", text.lower())
    if not text or text.isdigit():
        return text
    for src, dst in _DIGRAPHS:
        if src in text:
            text = text.replace(src, dst)
    text = _SOFT_C.sub("s", text).replace("c", "k").replace("q", "k").replace("x", "ks")
    text = text.replace("w", "v").replace("y", "i").replace("j", "i")
    if "ie" in text[1:]:
        text = text[0] + text[1:].replace("ie", "e")
    text = text.replace("S", "s").replace("Z", "z").replace("C", "c")
    return _DOUBLE.sub(r"\1", text)


@dataclass(frozen=True, slots=True)
class NameForm:
    """One comparable rendering of a name.

    ``tokens`` are comparison keys of the distinctive words in name order;
    ``legal_forms`` are generic legal-form codes found in the name (``llc``, ``jsc``);
    ``system`` says how the form was produced (``latin``, ``bgn-pcgn``, ``pinyin``, ...)
    so an explanation can say which romanisation matched.
    """

    text: str
    tokens: tuple[str, ...]
    legal_forms: frozenset[str]
    system: str
    raw_tokens: tuple[str, ...] = ()


def clean_name(text: str) -> str:
    """NFKC-normalised, case-folded name with quotes, brackets and punctuation as spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(tokenize_name(text))


def split_legal_forms(text: str) -> tuple[str, frozenset[str]]:
    """(name without legal forms, generic legal-form codes found).

    Uses rigour's cross-language legal-form tables (ООО, OOO, LLC, "obshchestvo s
    ogranichennoi otvetstvennostyu", 有限公司, GmbH, ...). When the name is nothing but a
    legal form ("CORP"), it is returned unchanged with no distinctive part left, so the
    caller sees a name without information instead of an empty one.
    """
    found = {generic for _, generic in extract_org_types(text, generic=True)}
    stripped = text
    if found:
        stripped = remove_org_types(text, replacement=" ")
        if stripped.strip() == text.strip():
            stripped = ""
    kept: list[str] = []
    for tok in _SPACES.split(stripped.strip()):
        extra = _EXTRA_LEGAL.get(tok)
        if extra is not None:
            found.add(extra)
        elif tok:
            kept.append(tok)
    return " ".join(kept), frozenset(found)


def _tokens(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(keys, raw tokens) of the non-stop-word tokens of an already-romanised text."""
    keys: list[str] = []
    raw: list[str] = []
    for tok in _SPLIT.split(text):
        if not tok or is_stopword(tok):
            continue
        key = token_key(tok)
        if key:
            keys.append(key)
            raw.append(tok)
    return tuple(keys), tuple(raw)


@lru_cache(maxsize=131072)
def name_forms(text: str) -> tuple[NameForm, ...]:
    """Every comparable form of ``text``: one per romanisation that yields new keys.

    Latin-script names give one form. Cyrillic names give a form per system (GOST 7.79,
    BGN/PCGN, ICAO 9303, scientific) plus rigour's own spelling; most collapse to the
    same keys and are de-duplicated. Han names give a pinyin form segmented into words.
    Other scripts (Greek, Arabic, Hebrew, ...) go through rigour/normality's ASCII
    transliteration.
    """
    cleaned = clean_name(text)
    if not cleaned:
        return ()
    stripped, legal = split_legal_forms(cleaned)
    renderings: list[tuple[str, str]] = []
    if has_cyrillic(stripped):
        renderings.append(("rigour", ascii_text(stripped)))
        renderings.extend((system, romanize_cyrillic(stripped, system)) for system in SYSTEMS)
    elif has_han(stripped):
        renderings.append(("pinyin", romanize_han(stripped)))
    elif stripped.isascii():
        renderings.append(("latin", stripped))
    else:
        renderings.append(("translit", ascii_text(stripped)))
    forms: list[NameForm] = []
    seen: set[tuple[str, ...]] = set()
    for system, rendered in renderings:
        if system in ("gost-7.79-b", "scientific"):
            rendered = rendered.translate(_PRE_KEY)
        if not rendered.isascii():
            rendered = ascii_text(rendered)
        # Romanised legal forms ("obshchestvo s ogranichennoi ...") only show up now.
        rendered, more_legal = split_legal_forms(clean_name(rendered))
        keys, raw = _tokens(rendered)
        if keys in seen:
            continue
        seen.add(keys)
        forms.append(NameForm(text, keys, legal | more_legal, system, raw))
    return tuple(forms)


def legal_forms(text: str) -> frozenset[str]:
    """The generic legal-form codes in a name ("ООО «Вектор»" -> {"llc"})."""
    return split_legal_forms(clean_name(text))[1]


_PAREN = re.compile(r"\(([^()]*)\)")
_SEPARATORS = re.compile(r"\s+/\s+|;\s*")


def name_variants(text: str) -> list[str]:
    """``text`` plus the names packed inside it.

    Lists often write a long and a short name in one field: "Акционерное Общество
    «Швабе» (АО «Швабе»)", "RFNC-VNIITF / VNIITF". Comparing the whole string would
    count every word twice; each part is a name of its own.
    """
    out = [text]
    # a one-word aside is usually a place or a gloss ("(Shenzhen)"), not a name
    inner = [m.strip() for m in _PAREN.findall(text) if len(m.split()) >= 2]
    outer = _PAREN.sub(" ", text).strip()
    parts = [outer, *inner] if inner else []
    for part in list(parts) or [text]:
        pieces = [p.strip() for p in _SEPARATORS.split(part)]
        if len(pieces) > 1:
            parts.extend(pieces)
    for part in parts:
        if part and part not in out and any(ch.isalpha() for ch in part):
            out.append(part)
    return out
