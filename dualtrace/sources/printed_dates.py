"""Dates as sanctions lists print them, turned into ISO prefixes.

Lists print dates for people, not parsers: ``30.7.2014``, ``26 Feb. 2011``,
``Approximately 1952``, ``00/04/1984`` (HMT: day unknown), ``1955 or 1956``. FtM's
date type only accepts ISO prefixes, so a value like ``30.7.2014`` would be dropped
without a trace. These functions find every date written in a cell and keep only the
precision the source gives (a year stays a year), so nothing is invented.
"""

from __future__ import annotations

import datetime as dt
import re

MONTHS: dict[str, int] = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}

_DATE = re.compile(
    r"(?P<iso>\b(?P<iy>\d{4})-(?P<im>\d{1,2})(?:-(?P<id>\d{1,2}))?\b)"
    r"|(?P<dmy>\b(?P<dd>\d{1,2})\s?[./]\s?(?P<dm>\d{1,2})\s?[./]\s?(?P<dy>\d{4})\b)"
    r"|(?P<worded>\b(?:(?P<wd>\d{1,2})(?:st|nd|rd|th)?\s+)?(?P<wm>[A-Za-z]{3,9})\.?,?\s+(?P<wy>\d{4})\b)"
    r"|(?P<year>\b(?P<yy>1[89]\d{2}|20\d{2})\b)"
)


def _prefix(year: int, month: int | None, day: int | None) -> str | None:
    """ISO prefix with only the parts given; None if the calendar says no."""
    if not 1800 <= year <= 2100:
        return None
    if month is None or month == 0:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None or day == 0:
        return f"{year:04d}-{month:02d}"
    try:
        dt.date(year, month, day)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_printed_dates(text: str | None) -> list[str]:
    """Every date written in ``text`` as an ISO prefix, in order, without repeats.

    ``00`` for a day or month (HMT's "unknown") lowers the precision instead of being
    read as a date. Words that look like months but are not (``Joint 2014``) are
    ignored, and the bare year after them is still found.
    """
    if not text:
        return []
    found: list[str] = []
    pos = 0
    while True:
        m = _DATE.search(text, pos)
        if m is None:
            break
        value: str | None = None
        if m.group("iso"):
            day = m.group("id")
            value = _prefix(int(m.group("iy")), int(m.group("im")), int(day) if day else None)
        elif m.group("dmy"):
            value = _prefix(int(m.group("dy")), int(m.group("dm")), int(m.group("dd")))
        elif m.group("worded"):
            month = MONTHS.get(m.group("wm").lower())
            if month is None:
                # Not a month name: retry just after the word so the year is kept.
                pos = m.start("wy")
                continue
            wd = m.group("wd")
            value = _prefix(int(m.group("wy")), month, int(wd) if wd else None)
        else:
            value = _prefix(int(m.group("yy")), None, None)
        if value is not None and value not in found:
            found.append(value)
        pos = m.end()
    return found


def parse_printed_date(text: str | None) -> str | None:
    """The one date in a cell that should hold exactly one (e.g. a listing date)."""
    dates = parse_printed_dates(text)
    return dates[0] if len(dates) == 1 else None
