"""Which source column feeds which trade field: auto-detected or from a mapping file.

Customs exports come with whatever headers the broker or data vendor chose, often in
Russian (EAEU declaration graph names). Common English and Russian headers are
recognised automatically; anything else is given in a small mapping file (JSON or
TOML) so a vendor's layout is written down once and reused, not guessed each time.

Mapping file (TOML or JSON with the same keys)::

    [columns]                      # source header = trade field
    "Shipper Name" = "exporter_name"
    "Cons. Country" = "importer_country"
    [options]
    date_formats = ["%d/%m/%Y"]    # tried before the built-in formats
    decimal_comma = true           # "1 234,50" style amounts
    sheet = "Data"                 # Excel sheet (default: the first)
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dualtrace.errors import InputError
from dualtrace.trade.model import SOURCE_FIELDS

# Aliases per field, written as they appear; compared after :func:`header_key`.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "record_id": (
        "record id",
        "id",
        "declaration number",
        "declaration no",
        "entry number",
        "bill of lading",
        "bill of lading number",
        "bol",
        "b/l number",
        "shipment id",
        "номер декларации",
        "номер дт",
        "номер гтд",
        "№ дт",
        "регистрационный номер дт",
        "номер записи",
    ),
    "date": (
        "date",
        "shipment date",
        "declaration date",
        "arrival date",
        "departure date",
        "дата",
        "дата декларации",
        "дата регистрации",
        "дата регистрации дт",
        "дата оформления",
        "дата выпуска",
    ),
    "exporter_name": (
        "exporter",
        "exporter name",
        "shipper",
        "shipper name",
        "sender",
        "seller",
        "supplier",
        "consignor",
        "отправитель",
        "наименование отправителя",
        "отправитель наименование",
        "экспортер",
        "продавец",
        "поставщик",
    ),
    "exporter_address": (
        "exporter address",
        "shipper address",
        "sender address",
        "consignor address",
        "адрес отправителя",
        "отправитель адрес",
        "адрес экспортера",
    ),
    "exporter_country": (
        "exporter country",
        "shipper country",
        "sender country",
        "consignor country",
        "страна отправителя",
        "страна экспортера",
    ),
    "exporter_id": (
        "exporter id",
        "exporter tax id",
        "shipper tax id",
        "инн отправителя",
        "отправитель инн",
        "инн экспортера",
    ),
    "importer_name": (
        "importer",
        "importer name",
        "consignee",
        "consignee name",
        "buyer",
        "recipient",
        "получатель",
        "наименование получателя",
        "получатель наименование",
        "импортер",
        "покупатель",
    ),
    "importer_address": (
        "importer address",
        "consignee address",
        "buyer address",
        "адрес получателя",
        "получатель адрес",
        "адрес импортера",
    ),
    "importer_country": (
        "importer country",
        "consignee country",
        "buyer country",
        "страна получателя",
        "страна импортера",
    ),
    "importer_id": (
        "importer id",
        "importer tax id",
        "consignee tax id",
        "consignee inn",
        "importer inn",
        "инн получателя",
        "получатель инн",
        "инн импортера",
    ),
    "notify_name": ("notify", "notify party", "notify party name", "уведомляемое лицо"),
    "notify_address": ("notify address", "notify party address"),
    "notify_country": ("notify country", "notify party country"),
    "notify_id": ("notify id", "notify party id"),
    "declarant_name": (
        "declarant",
        "declarant name",
        "customs broker",
        "broker",
        "декларант",
        "наименование декларанта",
    ),
    "declarant_address": ("declarant address", "адрес декларанта"),
    "declarant_country": ("declarant country", "страна декларанта"),
    "declarant_id": ("declarant id", "declarant tax id", "инн декларанта"),
    "origin_country": (
        "country of origin",
        "origin country",
        "origin",
        "made in",
        "страна происхождения",
        "код страны происхождения",
    ),
    "dispatch_country": (
        "country of dispatch",
        "dispatch country",
        "country of export",
        "export country",
        "страна отправления",
        "код страны отправления",
    ),
    "destination_country": (
        "country of destination",
        "destination country",
        "destination",
        "страна назначения",
        "код страны назначения",
    ),
    "trade_country": ("trading country", "trade country", "торгующая страна"),
    "hs_code": (
        "hs code",
        "hs",
        "hts code",
        "hts",
        "commodity code",
        "tariff code",
        "hs6",
        "код тн вэд",
        "тн вэд",
        "код товара",
        "код тнвэд",
    ),
    "goods_description": (
        "goods description",
        "description",
        "product description",
        "commodity",
        "goods",
        "описание товара",
        "наименование товара",
        "описание",
        "товар",
    ),
    "brand": (
        "brand",
        "manufacturer",
        "trademark",
        "товарный знак",
        "торговая марка",
        "производитель",
        "марка",
    ),
    "quantity": ("quantity", "qty", "количество", "кол во"),
    "unit": ("unit", "unit of measure", "uom", "единица измерения", "ед изм"),
    "weight_kg": (
        "net weight",
        "net weight kg",
        "weight",
        "weight kg",
        "вес нетто",
        "вес нетто кг",
        "нетто кг",
    ),
    "value": (
        "value",
        "invoice value",
        "total value",
        "customs value",
        "amount",
        "фактурная стоимость",
        "стоимость",
        "таможенная стоимость",
    ),
    "currency": ("currency", "invoice currency", "валюта", "валюта контракта", "код валюты"),
    "incoterms": ("incoterms", "delivery terms", "terms", "условия поставки"),
    "transport": (
        "transport",
        "transport mode",
        "mode of transport",
        "вид транспорта",
        "вид транспорта на границе",
    ),
}

_PUNCT = re.compile(r"[^\w№/]+", re.UNICODE)


def header_key(header: str) -> str:
    """Case, punctuation and ё/е insensitive form of a header, for alias matching."""
    text = header.strip().lower().replace("ё", "е").replace("_", " ")
    return " ".join(_PUNCT.sub(" ", text).split())


_ALIAS_INDEX: dict[str, str] = {}
for _field, _aliases in HEADER_ALIASES.items():
    for _alias in (*_aliases, _field):
        _ALIAS_INDEX[header_key(_alias)] = _field
for _field in SOURCE_FIELDS:
    _ALIAS_INDEX.setdefault(header_key(_field), _field)


@dataclass
class ColumnMapping:
    """Source header → trade field, plus parsing options for the file."""

    columns: dict[str, str]
    date_formats: tuple[str, ...] = ()
    decimal_comma: bool | None = None
    sheet: str | None = None
    unused: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(self.columns, ensure_ascii=False, sort_keys=True)


def read_mapping_file(path: Path) -> dict[str, Any]:
    """Parse a mapping file (``.toml`` or ``.json``) into its raw dictionary."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read mapping file: {exc.strerror}", file=str(path)) from exc
    try:
        data: Any = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"mapping file is not valid {path.suffix[1:]}: {exc}", file=str(path)
        ) from exc
    if not isinstance(data, dict):
        raise InputError("mapping file must hold an object/table", file=str(path))
    return data


def build_mapping(
    headers: Sequence[str], mapping_file: Path | None = None, file_name: str = ""
) -> ColumnMapping:
    """Map ``headers`` to fields: the mapping file first, then the built-in aliases.

    A header that maps to nothing is listed in ``unused`` (reported, never an error);
    two headers mapping to one field is an error because one would be silently lost.
    """
    explicit: dict[str, str] = {}
    options: dict[str, Any] = {}
    if mapping_file is not None:
        raw = read_mapping_file(mapping_file)
        cols = raw.get("columns", {k: v for k, v in raw.items() if k != "options"})
        options = raw.get("options", {})
        if not isinstance(cols, dict) or not isinstance(options, dict):
            raise InputError("'columns' and 'options' must be tables", file=str(mapping_file))
        for src, fld in cols.items():
            if fld not in SOURCE_FIELDS:
                raise InputError(
                    f"unknown trade field {fld!r} (known: {', '.join(SOURCE_FIELDS)})",
                    file=str(mapping_file),
                    field=str(src),
                )
            explicit[header_key(str(src))] = str(fld)
    columns: dict[str, str] = {}
    unused: list[str] = []
    taken: dict[str, str] = {}
    for header in headers:
        key = header_key(header)
        fld = explicit.get(key) or _ALIAS_INDEX.get(key)
        if fld is None:
            unused.append(header)
            continue
        if fld in taken:
            raise InputError(
                f"columns {taken[fld]!r} and {header!r} both map to {fld!r}; "
                "name one of them in a mapping file",
                file=file_name,
                field=header,
            )
        taken[fld] = header
        columns[header] = fld
    if not ({"exporter_name", "importer_name"} & set(columns.values())):
        raise InputError(
            "no exporter/shipper or importer/consignee column recognised "
            f"(headers: {', '.join(headers)}); give a --mapping file",
            file=file_name,
        )
    formats = options.get("date_formats", ())
    if isinstance(formats, str):
        formats = (formats,)
    decimal_comma = options.get("decimal_comma")
    sheet = options.get("sheet")
    return ColumnMapping(
        columns=columns,
        date_formats=tuple(str(f) for f in formats),
        decimal_comma=bool(decimal_comma) if decimal_comma is not None else None,
        sheet=str(sheet) if sheet is not None else None,
        unused=unused,
    )
