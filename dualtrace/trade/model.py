"""The trade record: one customs declaration line or bill-of-lading line.

FtM's only customs schema (``EconomicActivity``) has no quantity, unit or line items,
so trade lines are stored columnar in their own table (``trade_records``) and exported
to FtM only for interchange. Every record keeps the file and row it was read from so
an analyst can always go back to the declaration as written.

:data:`TRADE_FIELDS` is the single definition of the record's columns: the migration,
the Arrow schema of a load batch, the readers' header mapping and ``docs/trade.md`` all
follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class TradeField:
    """One column of a trade record: SQL type, and what it holds (for docs and help)."""

    name: str
    sql_type: str
    description: str
    # Fields a source file can supply (the rest are derived during the load).
    from_source: bool = True


PARTY_ROLES: tuple[str, ...] = ("exporter", "importer", "notify", "declarant")

_PARTY_FIELDS: list[TradeField] = []
for _role, _what in (
    ("exporter", "exporter / shipper / sender"),
    ("importer", "importer / consignee / recipient"),
    ("notify", "notify party"),
    ("declarant", "customs declarant or broker"),
):
    _PARTY_FIELDS += [
        TradeField(f"{_role}_name", "VARCHAR", f"Name of the {_what}, exactly as written."),
        TradeField(f"{_role}_address", "VARCHAR", f"Address of the {_what}, as written."),
        TradeField(f"{_role}_country", "VARCHAR", f"ISO 3166-1 alpha-2 country of the {_what}."),
        TradeField(
            f"{_role}_id",
            "VARCHAR",
            f"Registration or tax number of the {_what} (INN, USCC, ...), as written.",
        ),
    ]

TRADE_FIELDS: tuple[TradeField, ...] = (
    TradeField("record_key", "VARCHAR NOT NULL", "Unique key: dataset:file:row.", False),
    TradeField("record_id", "VARCHAR NOT NULL", "Record id as in the source (else file:row)."),
    TradeField("dataset", "VARCHAR NOT NULL", "Trade dataset name given at load.", False),
    TradeField("batch_id", "VARCHAR NOT NULL", "Load batch that wrote the record.", False),
    TradeField("source_file", "VARCHAR NOT NULL", "File name the record was read from.", False),
    TradeField("source_row", "BIGINT NOT NULL", "Row (line or sheet row) in that file.", False),
    TradeField("date", "DATE", "Declaration or shipment date."),
    *_PARTY_FIELDS,
    TradeField("origin_country", "VARCHAR", "ISO2 country of origin of the goods."),
    TradeField("dispatch_country", "VARCHAR", "ISO2 country of dispatch (shipped from)."),
    TradeField("destination_country", "VARCHAR", "ISO2 country of destination."),
    TradeField("trade_country", "VARCHAR", "ISO2 trading (counterparty) country."),
    TradeField("hs_code", "VARCHAR", "HS / EAEU TN VED code, digits only, 6 to 10 digits."),
    TradeField("hs6", "VARCHAR", "First six digits of hs_code (international HS level).", False),
    TradeField("goods_description", "VARCHAR", "Goods description as written."),
    TradeField("brand", "VARCHAR", "Brand or manufacturer as written."),
    TradeField("quantity", "DOUBLE", "Quantity in `unit`."),
    TradeField("unit", "VARCHAR", "Unit of quantity (as written, upper-cased)."),
    TradeField("weight_kg", "DOUBLE", "Net weight in kilograms."),
    TradeField("value", "DOUBLE", "Invoice (customs) value in `currency`."),
    TradeField("currency", "VARCHAR", "ISO 4217 currency code of `value`."),
    TradeField("incoterms", "VARCHAR", "Incoterms code (EXW, FOB, CIF, DAP, ...)."),
    TradeField("transport", "VARCHAR", "Mode of transport as written (air, road, sea, ...)."),
    TradeField(
        "chpl_tier",
        "VARCHAR",
        "Common High Priority List tier of hs6 (TIER_1 .. TIER_4_B), else NULL.",
        False,
    ),
    TradeField(
        "military_heading",
        "VARCHAR",
        "Military-relevant heading outside the CHPL (e.g. 8806 UAV), else NULL.",
        False,
    ),
    TradeField(
        "hs_list_version",
        "VARCHAR",
        "Version of the HS risk list used to classify the line (for re-classification).",
        False,
    ),
    # Ground truth columns of the synthetic generator, kept when present so benchmarks
    # can score linkage; NULL for real data.
    TradeField("truth_exporter", "VARCHAR", "Generator truth: exporter entity (synthetic only)."),
    TradeField("truth_importer", "VARCHAR", "Generator truth: importer entity (synthetic only)."),
    TradeField("truth_scheme", "VARCHAR", "Generator truth: planted scheme (synthetic only)."),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in TRADE_FIELDS)
SOURCE_FIELDS: tuple[str, ...] = tuple(f.name for f in TRADE_FIELDS if f.from_source)
FIELD_TYPES: dict[str, str] = {f.name: f.sql_type.split()[0] for f in TRADE_FIELDS}

_ARROW = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
}
TRADE_ARROW_SCHEMA = pa.schema([(f.name, _ARROW[FIELD_TYPES[f.name]]) for f in TRADE_FIELDS])


def trade_records_ddl() -> str:
    """``CREATE TABLE trade_records`` from :data:`TRADE_FIELDS` (used by migration 3)."""
    cols = ",\n  ".join(f"{f.name} {f.sql_type}" for f in TRADE_FIELDS)
    return f"CREATE TABLE trade_records (\n  {cols}\n);"
