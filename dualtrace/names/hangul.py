"""Hangul romanisation from jamo decomposition: Revised, McCune-Reischauer and list spellings.

Lists write Korean names in whichever romanisation their source used: South Korean
documents use the Revised Romanization ("Gim Jeong-eun"), older and academic texts
McCune-Reischauer ("Kim Chŏng-ŭn", diacritics dropped in practice), North Korean
names on the UN and OFAC lists the DPRK's own style ("Kim Jong Un", "Ri Pyong Chol",
"Choe Ryong Hae"), and South Korean passports popular spellings ("Park Ji Sung",
"Lee Min Ho", "Ban Ki Moon"). rigour/normality give one spelling with no syllable
breaks ("gimjeongeun"), which matches none of these. Every precomposed Hangul
syllable decomposes arithmetically into initial, vowel and final jamo, so each system
is three small tables; surnames, whose spellings are conventional rather than
systematic (이 = Lee/Yi/Rhee/Ri, 박 = Park/Pak), come from a table of the common ones.

Syllables are romanised one by one without the sound-change rules across syllable
boundaries: lists write given-name syllables apart ("Jong Un") or hyphenated, and the
comparison step joins neighbouring tokens when the other side writes them as one word.
"""

from __future__ import annotations

from functools import lru_cache

_FIRST, _LAST = 0xAC00, 0xD7A3
_RR_INITIAL = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch",
               "k", "t", "p", "h")  # fmt: skip
# McCune-Reischauer without diacritics or aspiration apostrophes.
_MR_INITIAL = ("k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "ch", "tch", "ch",
               "k", "t", "p", "h")  # fmt: skip
# DPRK usage on the UN and OFAC lists: McCune-Reischauer consonants but j for ㅈ.
_DPRK_INITIAL = ("k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "j", "jj", "ch",
                 "k", "t", "p", "h")  # fmt: skip
# South Korean passports: Revised consonants but k for ㄱ (Kyung, Ki, Kwang).
_POP_INITIAL = ("k", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch",
                "k", "t", "p", "h")  # fmt: skip
_RR_VOWEL = ("a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u",
             "wo", "we", "wi", "yu", "eu", "ui", "i")  # fmt: skip
_MR_VOWEL = ("a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo", "u",
             "wo", "we", "wi", "yu", "u", "ui", "i")  # fmt: skip
# South Korean popular spellings: ㅓ as u before n/ng (Sung, Hyun), ㅜ as oo (Moon, Soo).
_POP_VOWEL = ("a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "oo",
              "wo", "we", "wi", "yu", "eu", "ui", "i")  # fmt: skip
_FINAL = ("", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p",
          "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t")  # fmt: skip
_EO, _YEO = 4, 6
_N_FINALS = frozenset({4, 21})  # ㄴ, ㅇ

# system -> (initials, vowels, popular ㅓ->u before n/ng)
SYSTEMS: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    "revised": (_RR_INITIAL, _RR_VOWEL, False),
    "mccune-reischauer": (_MR_INITIAL, _MR_VOWEL, False),
    "dprk": (_DPRK_INITIAL, _MR_VOWEL, False),
    "popular": (_POP_INITIAL, _POP_VOWEL, True),
}

# Conventional spellings of common surnames, most frequent in lists first.
_SURNAMES: dict[str, tuple[str, ...]] = {
    "김": ("kim", "gim"), "이": ("lee", "yi", "rhee"), "리": ("ri", "lee", "yi"),
    "박": ("park", "pak", "bak"), "최": ("choi", "choe"), "정": ("jung", "jeong", "chong"),
    "강": ("kang", "gang"), "조": ("cho", "jo"), "윤": ("yoon", "yun"), "장": ("jang", "chang"),
    "임": ("lim", "im"), "림": ("rim", "lim"), "한": ("han",), "오": ("oh", "o"),
    "서": ("seo", "suh", "so"), "신": ("shin", "sin"), "권": ("kwon", "gwon"),
    "황": ("hwang",), "안": ("ahn", "an"), "송": ("song",), "류": ("ryu", "yoo"),
    "유": ("yoo", "yu"), "홍": ("hong",), "전": ("jeon", "jon", "chon", "jun"), "고": ("ko", "go"),
    "문": ("moon", "mun"), "양": ("yang",), "손": ("son", "sohn"), "배": ("bae", "pae"),
    "백": ("baek", "paek", "paik"), "허": ("heo", "hur", "ho"), "노": ("noh", "roh", "no"),
    "로": ("ro", "roh"), "남": ("nam",), "심": ("shim", "sim"), "하": ("ha",),
    "곽": ("kwak", "gwak"), "성": ("sung", "seong", "song"), "차": ("cha",),
    "주": ("joo", "ju", "chu"), "우": ("woo", "u"), "구": ("koo", "ku", "gu"),
    "민": ("min",), "진": ("jin", "chin"), "나": ("na", "ra"), "라": ("ra", "na"),
    "지": ("ji", "chi"), "엄": ("eom", "um", "om"), "채": ("chae",), "원": ("won",),
    "천": ("cheon", "chun", "chon"), "방": ("bang", "pang"), "공": ("kong", "gong"),
    "현": ("hyun", "hyeon", "hyon"), "함": ("ham",), "변": ("byun", "byeon", "pyon"),
    "염": ("yeom", "yum"), "여": ("yeo", "yo"), "추": ("choo", "chu"), "도": ("do", "to"),
    "소": ("so",), "석": ("seok", "suk", "sok"), "선": ("sun", "seon", "son"),
    "설": ("seol", "sul", "sol"), "마": ("ma",), "길": ("gil", "kil"),
    "연": ("yeon", "yun", "yon"), "위": ("wi", "wee"), "표": ("pyo",),
    "명": ("myung", "myeong", "myong"), "기": ("ki", "gi"), "반": ("ban", "pan"),
    "왕": ("wang",), "금": ("keum", "geum", "kum"), "옥": ("ok",), "육": ("yook", "yuk"),
    "인": ("in",), "제": ("je", "che"), "모": ("mo",), "탁": ("tak",),
    "국": ("kook", "kuk", "guk"), "편": ("pyeon", "pyun", "pyon"), "용": ("yong",),
    "경": ("kyung", "gyeong", "kyong"), "봉": ("bong", "pong"), "계": ("kye", "gye"),
    "태": ("tae",), "동": ("dong", "tong"),
    "황보": ("hwangbo",), "남궁": ("namgung", "namkung"), "제갈": ("jegal", "chegal"),
    "선우": ("sunwoo", "seonu"), "독고": ("dokko", "dokgo"), "사공": ("sagong",),
}  # fmt: skip
# A name of at most this many syllables, written as one word or surname + given name,
# is read as a person's name (surname first).
PERSON_SYLLABLES = 4


def is_hangul(ch: str) -> bool:
    return _FIRST <= ord(ch) <= _LAST


def has_hangul(text: str) -> bool:
    return any(_FIRST <= ord(ch) <= _LAST for ch in text)


def syllable(ch: str, system: str = "revised") -> str:
    """One precomposed syllable romanised in ``system`` ("정" -> "jeong" / "chong" / "jong")."""
    code = ord(ch) - _FIRST
    if not 0 <= code <= _LAST - _FIRST:
        return ch
    initials, vowels, popular = SYSTEMS[system]
    lead, vowel, final = code // 588, (code % 588) // 28, code % 28
    v = vowels[vowel]
    if popular and final in _N_FINALS and vowel in (_EO, _YEO):
        v = "u" if vowel == _EO else "yu"
    return initials[lead] + v + _FINAL[final]


def romanize_hangul(text: str, system: str = "revised", split: bool = False) -> str:
    """Hangul runs of ``text`` romanised in ``system`` (other characters kept).

    With ``split`` every syllable becomes its own word ("정은" -> "jeong eun"), the way
    lists write Korean given names; otherwise a run stays one word ("jeongeun").
    """
    out: list[str] = []
    prev_hangul = False
    for ch in text:
        if is_hangul(ch):
            if split and prev_hangul:
                out.append(" ")
            out.append(syllable(ch, system))
            prev_hangul = True
        else:
            out.append(ch)
            prev_hangul = False
    return "".join(out)


def _person_parts(text: str) -> tuple[str, str] | None:
    """(surname, given name) when ``text`` looks like a Korean personal name."""
    words = text.split()
    joined = "".join(words)
    if not (2 <= len(joined) <= PERSON_SYLLABLES) or not all(is_hangul(c) for c in joined):
        return None
    if len(words) == 2:
        first, last = words
        # "영철 주": given name first, one-syllable surname last (Western order)
        if len(last) == 1 and len(first) > 1 and first not in _SURNAMES:
            return last, first
        return first, last
    if len(words) != 1:
        return None
    if len(joined) >= 3 and joined[:2] in _SURNAMES:
        return joined[:2], joined[2:]
    return joined[0], joined[1:]


# Lists mix systems within one name ("CHON Chi Bu": McCune-Reischauer ch, Revised b),
# so given names are also rendered with every syllable's spellings combined, up to:
MAX_MIXED = 24


def _syllable_spellings(ch: str) -> tuple[str, ...]:
    """A syllable's distinct spellings across the systems, most standard first."""
    return tuple(dict.fromkeys(syllable(ch, system) for system in SYSTEMS))


@lru_cache(maxsize=16384)
def hangul_renderings(text: str) -> tuple[tuple[str, str], ...]:
    """(system, romanised text) for every spelling a list might use for ``text``.

    A personal name (two to four syllables) is read surname first: the surname in its
    conventional and systematic spellings, given-name syllables as separate words in
    each system ("김정은" -> "kim jeong eun", "kim chong un", "kim jong un", ...) and in
    mixtures of systems. Longer names (organisations, places) give each word as one
    token per system, and once more with syllables apart.
    """
    parts = _person_parts(text.strip())
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(system: str, rendered: str) -> None:
        if rendered not in seen:
            seen.add(rendered)
            out.append((system, rendered))

    if parts is None:
        for system in SYSTEMS:
            add(system, romanize_hangul(text, system))
        add("revised", romanize_hangul(text, "revised", split=True))
        add("mccune-reischauer", romanize_hangul(text, "mccune-reischauer", split=True))
        return tuple(out)
    surname, given = parts
    systematic = tuple(romanize_hangul(surname, s) for s in SYSTEMS)
    variants = tuple(dict.fromkeys(_SURNAMES.get(surname, ()) + systematic))
    for system in SYSTEMS:
        add(system, f"{variants[0]} {romanize_hangul(given, system, split=True)}")
    for alt in variants[1:]:
        for system in ("dprk", "popular", "revised"):
            add(system, f"{alt} {romanize_hangul(given, system, split=True)}")
    mixed = [""]
    for ch in given:
        if not is_hangul(ch):
            continue
        mixed = [f"{m} {sp}".strip() for m in mixed for sp in _syllable_spellings(ch)]
        if len(mixed) > MAX_MIXED:
            break
    if len(mixed) <= MAX_MIXED:
        for alt in variants[:2]:
            for m in mixed:
                add("mixed", f"{alt} {m}")
    return tuple(out)
