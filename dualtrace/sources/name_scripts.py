"""The language a listed name is written in, judged from its script.

Lists print ``ИЖЕВСКИЙ ЭЛЕКТРОМЕХАНИЧЕСКИЙ ЗАВОД ‘КУПОЛ’`` or
``红兔矢量实业（深圳）有限公司`` beside the Latin name without saying which language
it is. The statement's ``lang`` tells the resolver which transliteration to apply, so
readers set it from the script: Han -> Chinese, Cyrillic -> Russian unless letters only
Ukrainian (і ї є ґ) or Belarusian (ў) use appear. Latin names get no language: the
script does not tell English from transliterated Russian.
"""

from __future__ import annotations

from rigour.text.scripts import text_scripts

_SCRIPT_LANG = {
    "Han": "zho",
    "Arabic": "ara",
    "Hangul": "kor",
    "Hiragana": "jpn",
    "Katakana": "jpn",
    "Greek": "ell",
    "Hebrew": "heb",
    "Georgian": "kat",
    "Armenian": "hye",
    "Thai": "tha",
}
_UKRAINIAN = set("іїєґІЇЄҐ")
_BELARUSIAN = set("ўЎ")


def name_lang(name: str, hint: str | None = None) -> str | None:
    """ISO 639-3 code for a non-Latin name, or ``hint`` (a code the source gave)."""
    scripts = text_scripts(name) - {"Latin", "Common", "Inherited"}
    if not scripts:
        return hint
    if "Hiragana" in scripts or "Katakana" in scripts:
        return "jpn"
    if "Cyrillic" in scripts:
        letters = set(name)
        if letters & _BELARUSIAN:
            return "bel"
        if letters & _UKRAINIAN:
            return "ukr"
        return hint or "rus"
    if "Arabic" in scripts and hint in ("fas", "urd", "pus"):
        return hint
    for script in sorted(scripts):
        if script in _SCRIPT_LANG:
            return _SCRIPT_LANG[script]
    return hint


def is_non_latin(name: str) -> bool:
    """True if the name contains letters of a script other than Latin."""
    return bool(text_scripts(name) - {"Latin", "Common", "Inherited"})
