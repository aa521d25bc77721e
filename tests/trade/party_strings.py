"""Party strings of a generated trade file, as the linkage tests feed them.

One distinct (name, address, country, identifier) per exporter or importer mention,
with a stable id, so the clustering, slicing, parallel-normalisation and golden tests
all link exactly the same input.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dualtrace.trade.linkage.party_resolution import PartyString

_STRINGS_SQL = """
SELECT 'p' || substr(md5(concat_ws('|', name, coalesce(country, ''), coalesce(ident, ''),
         coalesce(address, ''))), 1, 16) AS pid, name, address, country, ident
FROM (
  SELECT exporter_name AS name, exporter_country AS country, exporter_id AS ident,
         exporter_address AS address FROM read_parquet(?)
  UNION ALL
  SELECT importer_name, importer_country, importer_id, importer_address FROM read_parquet(?)
) AS m WHERE name IS NOT NULL
GROUP BY ALL ORDER BY pid
"""


def party_strings(parquet: Path) -> list[PartyString]:
    """The distinct party strings of a generated trade Parquet file, ordered by id."""
    rows = duckdb.execute(_STRINGS_SQL, [str(parquet), str(parquet)]).fetchall()
    return [PartyString(r[0], "trade", None, r[1], r[2], r[3], r[4], 1) for r in rows]
