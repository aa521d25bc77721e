"""Registry identifiers that prove identity across lists, and the FtM property each belongs in.

Lists label the same number differently: OFAC writes "Tax ID No. 1831083343 (Russia)",
the EU "1831083343 (Tax ID/INN)", Japan's METI nothing at all. Cross-list merging
needs to know that these are one Russian INN. A number counts as a *strong* identifier
only when it passes its scheme's check-digit algorithm (python-stdnum), so a random
licence number cannot join two unrelated records by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from stdnum import imo, lei
from stdnum.cn import uscc
from stdnum.ru import inn, ogrn

_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


@dataclass(frozen=True, slots=True)
class Scheme:
    """A registry numbering scheme with a check-digit validator."""

    name: str  # short key used in merge evidence: inn, ogrn, uscc, lei, imo
    prop: str  # the FtM property that holds it
    validate: Callable[[str], bool]
    lengths: tuple[int, ...]
    countries: tuple[str, ...]  # issuing countries (empty: international)


def _valid(mod: object) -> Callable[[str], bool]:
    check = getattr(mod, "is_valid")  # noqa: B009 - stdnum modules are untyped

    def run(value: str) -> bool:
        return bool(check(value))

    return run


SCHEMES: tuple[Scheme, ...] = (
    Scheme("ogrn", "ogrnCode", _valid(ogrn), (13, 15), ("ru",)),
    Scheme("inn", "innCode", _valid(inn), (10, 12), ("ru",)),
    Scheme("uscc", "uscCode", _valid(uscc), (18,), ("cn",)),
    Scheme("lei", "leiCode", _valid(lei), (20,), ()),
    Scheme("imo", "imoNumber", _valid(imo), (7,), ()),
)
SCHEME_BY_PROP = {s.prop: s for s in SCHEMES}
# Generic properties whose values may be one of the schemes above (reader did not know).
GENERIC_ID_PROPS = ("taxNumber", "registrationNumber", "idNumber", "vatCode")
STRONG_ID_PROPS = tuple(s.prop for s in SCHEMES) + GENERIC_ID_PROPS


def compact(value: str) -> str:
    """Digits and letters only, upper case: ``IMO 9187629`` -> ``IMO9187629``."""
    return _NON_ALNUM.sub("", value).upper()


def strong_identifier(prop: str, value: str, country: str | None = None) -> tuple[str, str] | None:
    """``(scheme, number)`` when ``value`` is a check-digit-valid registry number.

    A value in a specific property (``innCode``) is only tested against that scheme; a
    value in a generic one (``taxNumber``) is tested against every scheme whose
    issuing country fits ``country`` (when the list states one).
    """
    number = compact(value)
    if number.startswith("IMO"):
        number = number[3:]
    if prop in SCHEME_BY_PROP:
        candidates: tuple[Scheme, ...] = (SCHEME_BY_PROP[prop],)
    elif prop in GENERIC_ID_PROPS:
        candidates = tuple(
            s
            for s in SCHEMES
            if s.name != "imo" and (country is None or not s.countries or country in s.countries)
        )
    else:
        return None
    for scheme in candidates:
        if len(number) in scheme.lengths and scheme.validate(number):
            return scheme.name, number
    return None


def specific_prop(generic: str, value: str, country: str | None) -> str:
    """The scheme property for a generically labelled number, else ``generic`` itself."""
    found = strong_identifier(generic, value, country)
    if found is None:
        return generic
    return next(s.prop for s in SCHEMES if s.name == found[0])
