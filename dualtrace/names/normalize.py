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
from typing import Any

from rigour.names import extract_org_types, remove_org_types, tokenize_name
from rigour.text.stopwords import is_stopword
from rigour.text.translit import ascii_text

from dualtrace.names.hangul import SYSTEMS as HANGUL_ROMANISATIONS
from dualtrace.names.hangul import hangul_renderings, has_hangul
from dualtrace.names.japanese import KANJI_NAME_LENGTH, has_kana, romanize_japanese
from dualtrace.names.romanize import (
    SYSTEMS,
    has_cyrillic,
    has_han,
    romanize_cyrillic,
    romanize_han,
)
from dualtrace.native import reduce_fields

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
    # Japanese legal forms as pykakasi reads them (株式会社, 有限会社, 合同会社)
    "kabushikigaisha": "jsc",
    "kabushikikaisha": "jsc",
    "yugengaisha": "llc",
    "godogaisha": "llc",
}
# Chinese legal forms written on to the name without a space ("…科贸有限公司"), which
# rigour's word-based tables cannot see; longest first.
_HAN_LEGAL = re.compile("(股份有限公司)|(?:有限责任公司|有限公司|有限責任公司)|(?:集团公司|公司)$")
# Japanese legal forms mark a Han-only name as Japanese (株式会社東芝 = Toshiba Corp).
_JAPANESE_LEGAL = re.compile("(株式会社)|(?:有限会社|合同会社)")
# Scientific and GOST spellings use x for х and diacritics for hushing sounds; folding
# them to their BGN/PCGN digraphs before keying keeps one key per Russian word.
# The systems hangul_renderings names its renderings by (and "mixed" for mixtures).
HANGUL_SYSTEMS = frozenset({*HANGUL_ROMANISATIONS, "mixed"})
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

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return reduce_fields(self)


# Latin letters that look like Cyrillic ones, and back. Typists and OCR mix them:
# EU texts have "Акционерноe Обществo" (Latin e, o), "Аrmored" (Cyrillic А), and
# "Акционерное Общество ACT" for АСТ; each reads as a different word unless repaired.
_LAT_CYR = dict(zip("aceopxykmthbACEOPXYKMTHB", "асеорхукмтнвАСЕОРХУКМТНВ", strict=True))
_CYR_LAT = {c: lat for lat, c in _LAT_CYR.items() if lat.islower() or lat.upper() == lat}
_CYR_LAT.update({"і": "i", "І": "I", "ј": "j", "Ј": "J"})
_WORD = re.compile(r"\w+")


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def fix_homoglyphs(text: str) -> str:
    """Letters of the wrong script inside a word replaced by their look-alikes.

    A word mixing Cyrillic and Latin letters is rewritten in its majority script when
    every minority letter has a look-alike. A word made only of Latin look-alikes
    ("ACT", "TECT") in an otherwise Cyrillic name is read as Cyrillic, unless the name
    also has a Latin word that cannot be Cyrillic ("PMC Redoubt (ЧВК Редут)").
    """
    if not has_cyrillic(text) or not any("a" <= ch.lower() <= "z" for ch in text):
        return text
    words = _WORD.findall(text)
    latin_only = [w for w in words if w.isascii() and w.isalpha()]
    cyrillic_words = sum(1 for w in words if all(_is_cyrillic(ch) for ch in w if ch.isalpha()))
    foreign_latin = any(any(ch not in _LAT_CYR for ch in w) for w in latin_only)

    def repair(m: re.Match[str]) -> str:
        word = m.group(0)
        cyr = sum(1 for ch in word if _is_cyrillic(ch))
        lat = sum(1 for ch in word if "a" <= ch.lower() <= "z")
        if cyr and lat:
            if cyr >= lat and all(ch in _LAT_CYR for ch in word if ch.isascii() and ch.isalpha()):
                return "".join(_LAT_CYR.get(ch, ch) for ch in word)
            if lat > cyr and all(ch in _CYR_LAT for ch in word if _is_cyrillic(ch)):
                return "".join(_CYR_LAT.get(ch, ch) for ch in word)
        elif (
            lat
            and cyrillic_words
            and not foreign_latin
            and len(word) > 1
            and all(ch in _LAT_CYR for ch in word)
        ):
            return "".join(_LAT_CYR[ch] for ch in word)
        return word

    return _WORD.sub(repair, text)


def clean_name(text: str) -> str:
    """NFKC-normalised, case-folded name with quotes, brackets and punctuation as spaces."""
    text = fix_homoglyphs(unicodedata.normalize("NFKC", text)).casefold()
    return " ".join(tokenize_name(text))


def split_legal_forms(text: str) -> tuple[str, frozenset[str]]:
    """(name without legal forms, generic legal-form codes found).

    Uses rigour's cross-language legal-form tables (ООО, OOO, LLC, "obshchestvo s
    ogranichennoi otvetstvennostyu", 有限公司, GmbH, ...). When the name is nothing but a
    legal form ("CORP"), it is returned unchanged with no distinctive part left, so the
    caller sees a name without information instead of an empty one.
    """
    matches = extract_org_types(text, generic=True)
    found = {generic for _, generic in matches}
    stripped = text
    if found:
        stripped = remove_org_types(text, replacement=" ")
        # rigour leaves a name alone rather than empty it ("LLC"), and leaves some
        # types in place ("PMC Redoubt (ЧВК Редут)"): only the former is no name
        if stripped.strip() == text.strip():
            words = {w for form, _ in matches for w in form.split()}
            stripped = "" if set(text.split()) <= words else text
    kept: list[str] = []
    for tok in _SPACES.split(stripped.strip()):
        extra = _EXTRA_LEGAL.get(tok)
        if extra is not None:
            found.add(extra)
        elif tok:
            kept.append(tok)
    return " ".join(kept), frozenset(found)


# Short names keep their two-letter stop words: in "Kim Jong Un", "YU Jin" (key
# "in"), "AN Se-Ho" they are name syllables, not the French, English or pinyin
# function words rigour's list holds them for; longer names drop them ("Bank of ...").
SHORT_NAME_TOKENS = 3


def _tokens(text: str, stopwords: bool = True) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(keys, raw tokens) of the non-stop-word tokens of an already-romanised text.

    ``stopwords=False`` keeps every token: romanised Hangul syllables are never
    function words, though many spell one in some language ("do", "un", "in", "an").
    """
    keys: list[str] = []
    raw: list[str] = []
    toks = [t for t in _SPLIT.split(text) if t]
    short = len(toks) <= SHORT_NAME_TOKENS
    for tok in toks:
        if stopwords and is_stopword(tok) and not (short and len(tok) <= 2):
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
    Hangul gives Revised, McCune-Reischauer, DPRK and popular spellings (surnames in
    their conventional forms); kana, and four-kanji names, a
    Hepburn reading when the optional Japanese reader is installed. Other scripts
    (Greek, Arabic, Hebrew, ...) go through rigour/normality's ASCII transliteration.
    """
    cleaned = clean_name(text)
    if not cleaned:
        return ()
    stripped, legal = split_legal_forms(cleaned)
    renderings: list[tuple[str, str]] = []
    if has_cyrillic(stripped):
        renderings.append(("rigour", ascii_text(stripped)))
        renderings.extend((system, romanize_cyrillic(stripped, system)) for system in SYSTEMS)
    elif has_hangul(stripped):
        renderings.extend(hangul_renderings(stripped))
    elif has_kana(stripped) or _JAPANESE_LEGAL.search(stripped):
        for m in _JAPANESE_LEGAL.finditer(stripped):
            legal = legal | {"jsc" if m.group(1) else "llc"}
        stripped = _JAPANESE_LEGAL.sub(" ", stripped)
        japanese = romanize_japanese(stripped)
        renderings.append(("hepburn", japanese) if japanese else ("translit", ascii_text(stripped)))
    elif has_han(stripped):
        for m in _HAN_LEGAL.finditer(stripped):
            legal = legal | {"jsc" if m.group(1) else ("llc" if "限" in m.group(0) else "co")}
        stripped = _HAN_LEGAL.sub(" ", stripped).strip() or stripped
        renderings.append(("pinyin", romanize_han(stripped)))
        # four-kanji names may be Japanese (山田太郎 = Yamada Taro, not Shan Tian Tai Lang)
        if len(stripped) == KANJI_NAME_LENGTH and all(has_han(ch) for ch in stripped):
            japanese = romanize_japanese(stripped)
            if japanese:
                renderings.append(("hepburn", japanese))
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
        if system in HANGUL_SYSTEMS:
            # legal forms were taken from the Hangul text; romanised syllables are
            # neither legal forms nor stop words ("구" = Ku, a legal form to rigour;
            # "도" = Do, "은" = Un: stop words), and dropping one lost a surname or a
            # given-name syllable, leaving a shorter name that matched other people
            more_legal: frozenset[str] = frozenset()
            keys, raw = _tokens(clean_name(rendered), stopwords=False)
        else:
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
_EAST_ASIAN = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# runs of East Asian script, and runs of Latin-script words
_SCRIPT_RUN = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3][\u3040-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7a3\\s]*|[A-Za-z][A-Za-z\\s.'-]*[A-Za-z]"
)
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
    # "PAK Kwang Hun 박광훈": a Latin name beside its Hangul/Han/kana original
    for part in list(parts) or [text]:
        if _EAST_ASIAN.search(part) and _LATIN_WORD.search(part):
            parts.extend(m.group(0).strip() for m in _SCRIPT_RUN.finditer(part))
    for part in parts:
        if part and part not in out and any(ch.isalpha() for ch in part):
            out.append(part)
    return out
