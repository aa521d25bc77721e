"""Regenerate dualtrace/model/data/territory_names.json.gz from the installed rigour.

Run after upgrading rigour (tests/model/test_territories.py says when): the table is
rigour's own name -> territory mapping, grouped by FtM country code, stamped with the
rigour version it came from. See dualtrace/model/territories.py for why it exists.

Run: .venv/bin/python scripts/build_territory_table.py
"""

from __future__ import annotations

import gzip
import json
from importlib.metadata import version

from rigour.territories import lookup as rigour_lookup

from dualtrace.model.territories import TABLE_PATH


def live_table() -> dict[str, list[str]]:
    """rigour's current normalised names, per FtM country code, sorted for stable diffs."""
    by_code: dict[str, list[str]] = {}
    for name, territory in rigour_lookup._get_territory_names().items():
        code = territory.ftm_country
        if code is not None:
            by_code.setdefault(code, []).append(name)
    return {code: sorted(names) for code, names in sorted(by_code.items())}


def main() -> None:
    countries = live_table()
    data = {"rigour": version("rigour"), "countries": countries}
    TABLE_PATH.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same rigour gives a byte-identical file
    with open(TABLE_PATH, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    names = sum(len(v) for v in countries.values())
    print(f"{TABLE_PATH}: rigour {data['rigour']}, {names} names")


if __name__ == "__main__":
    main()
