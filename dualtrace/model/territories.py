"""Country codes from the names and codes lists print, without rigour's one-off table build.

FtM's country cleaning (``registry.country.clean``) asks rigour, which on first use
normalises all ~25,000 territory names it knows, one ICU transliteration each: about
two seconds, paid by every process that reads a list, serves screening or validates
trade rows. This module ships that very table, generated from the installed rigour by
``scripts/build_territory_table.py`` and stamped with rigour's version, so a lookup
costs one normalisation of the input and one dict probe.

The answers are rigour's own: the table is used only while the installed rigour is the
version it was built from (otherwise every lookup goes to rigour, as before), and a
test compares it with rigour's live table.
"""

from __future__ import annotations

import gzip
import json
from functools import cache, lru_cache
from importlib.metadata import version
from pathlib import Path

from followthemoney import registry
from followthemoney.util import sanitize_text
from rigour.territories import lookup_by_identifier
from rigour.territories.util import normalize_territory_name

TABLE_PATH = Path(__file__).with_name("data") / "territory_names.json.gz"


@cache
def shipped_table() -> dict[str, str] | None:
    """Normalised territory name -> FtM country code, or None if it does not fit.

    None when the file is missing or was built from another rigour version: rigour's
    names change between releases, and a stale table would answer differently.
    """
    try:
        with gzip.open(TABLE_PATH, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    if data.get("rigour") != version("rigour"):
        return None
    return {name: code for code, names in data["countries"].items() for name in names}


@lru_cache(maxsize=65_536)
def country_code(raw: str | None) -> str | None:
    """FtM's country value for a printed country name or code (``Russia``, ``Burma``, ``RU``).

    Same answer as ``registry.country.clean(raw)``: identifiers first, then the exact
    normalised name, no fuzzy guessing.
    """
    text = sanitize_text(raw)
    if text is None:
        return None
    table = shipped_table()
    if table is None:
        return registry.country.clean_text(text)
    territory = lookup_by_identifier(text)
    if territory is not None:
        return territory.ftm_country
    return table.get(normalize_territory_name(text))
