"""Synthetic customs records with known truth, for benchmarks and tests only.

Real trade data with ground truth for party resolution does not exist in the open, so
the generator builds records from the real names, addresses and tax numbers of the
OFAC SDN list (public domain; ``lists/ofac-sdn`` in the shared data), and writes each
mention the way customs brokers type it: transliterated into Cyrillic, with the legal
form moved, abbreviated or translated, with typos, dropped words and missing fields.
The ``truth_*`` columns say which list entity each party really is and which planted
scheme a record belongs to:

* ``kupol_route``: Chinese drone engines and UAV parts (HS 8407, 8806, 8807.30) from
  Redlepus TSK Vector Industrial (Shenzhen) to TSK Vektor and on to IEMZ Kupol, paid
  in yuan (Reuters, 2024; ``documents/reuters-kupol-garpiya-china.txt``);
* ``hk_front``: Hong Kong companies sharing one real SDN address, buying CHPL Tier 1
  integrated circuits from many distributors and consigning them to Russian defence
  plants;
* ``split_order``: one buyer's order split into lines just under a 10,000 USD
  reporting threshold on consecutive days.

It never reads or writes the store; it writes one CSV or Parquet file.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rigour.names import remove_org_types

from dualtrace.errors import InputError
from dualtrace.trade.validation import clean_country

SDN_FILE = "lists/ofac-sdn/sdn_2024-05-03.csv"
ADD_FILE = "lists/ofac-sdn/add_2025-12-24.csv"
SPLIT_THRESHOLD = 10_000.0

OUTPUT_COLUMNS = (
    "record_id",
    "date",
    "exporter_name",
    "exporter_address",
    "exporter_country",
    "exporter_id",
    "importer_name",
    "importer_address",
    "importer_country",
    "importer_id",
    "notify_name",
    "origin_country",
    "dispatch_country",
    "destination_country",
    "hs_code",
    "goods_description",
    "brand",
    "quantity",
    "unit",
    "weight_kg",
    "value",
    "currency",
    "incoterms",
    "transport",
    "truth_exporter",
    "truth_importer",
    "truth_scheme",
)

_TAX_ID = re.compile(r"Tax ID No\. (\d{10,12})")
# Goods: (HS code, description, unit, unit value range USD); CHPL, military, and plain.
GOODS: tuple[tuple[str, str, str, float, float], ...] = (
    ("8542310000", "Microcontrollers", "PCS", 0.5, 40.0),
    ("8542320000", "DRAM memory chips", "PCS", 1.0, 30.0),
    ("8542390000", "FPGA integrated circuits", "PCS", 5.0, 900.0),
    ("8526910000", "GNSS receiver modules", "PCS", 10.0, 300.0),
    ("8517620000", "Radio transceiver modules", "PCS", 20.0, 800.0),
    ("8541290000", "Power transistors", "PCS", 0.2, 8.0),
    ("8482100000", "Ball bearings", "PCS", 1.0, 60.0),
    ("8807300000", "Parts of unmanned aircraft", "PCS", 50.0, 2000.0),
    ("8471500000", "Processing units", "PCS", 100.0, 2500.0),
    ("8457100000", "CNC machining centres", "PCS", 40000.0, 250000.0),
    ("8407101000", "Aircraft piston engines", "PCS", 2000.0, 15000.0),
    ("8806210000", "Unmanned aircraft, max take-off weight up to 250 g", "PCS", 100.0, 900.0),
    ("8411110000", "Turbojets, thrust up to 25 kN", "PCS", 20000.0, 90000.0),
    ("8409910000", "Parts of spark-ignition engines", "PCS", 10.0, 500.0),
    ("6109100000", "Cotton T-shirts", "PCS", 1.0, 6.0),
    ("8703231900", "Passenger cars", "PCS", 9000.0, 40000.0),
    ("3926909709", "Plastic articles", "KG", 1.0, 10.0),
    ("8708299000", "Car body parts", "PCS", 5.0, 300.0),
    ("9403200000", "Metal furniture", "PCS", 20.0, 400.0),
    ("0805102200", "Oranges", "KG", 0.5, 1.5),
    ("8418102001", "Refrigerators", "PCS", 150.0, 900.0),
    ("6403999600", "Footwear", "PCS", 5.0, 60.0),
)
CURRENCIES = ("USD", "USD", "USD", "EUR", "CNY", "CNY", "RUB", "AED", "HKD", "TRY")
INCOTERMS = ("EXW", "FCA", "FOB", "CIF", "CPT", "DAP", "DDP")
TRANSPORT = ("sea", "air", "road", "rail")

# Latin -> Cyrillic, longest first: how Russian names in the lists read back in Cyrillic.
_TO_CYRILLIC = (
    ("shch", "щ"), ("kh", "х"), ("zh", "ж"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"),
    ("yu", "ю"), ("ya", "я"), ("yo", "ё"), ("iy", "ий"), ("yy", "ый"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"),
    ("i", "и"), ("y", "ы"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"),
    ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("c", "к"),
    ("w", "в"), ("x", "кс"), ("q", "к"), ("h", "х"), ("j", "дж"),
)  # fmt: skip
_LEGAL_FORMS = {
    "OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU": ("OOO", "LLC", "ООО", "LIMITED LIABILITY COMPANY"),  # noqa: E501
    "LIMITED LIABILITY COMPANY": ("OOO", "LLC", "ООО", "L.L.C."),
    "JOINT STOCK COMPANY": ("JSC", "AO", "АО", "J.S.C."),
    "AKTSIONERNOE OBSHCHESTVO": ("AO", "JSC", "АО"),
    "OOO": ("LLC", "ООО", "O.O.O.", "LIMITED LIABILITY COMPANY"),
    "AO": ("JSC", "АО", "JOINT STOCK COMPANY"),
    "CO., LTD.": ("CO LTD", "COMPANY LIMITED", "CO. LIMITED", "LTD"),
    "LIMITED": ("LTD", "LTD.", "CO., LIMITED"),
    "LLC": ("L.L.C.", "OOO", "LIMITED LIABILITY COMPANY"),
}  # fmt: skip


@dataclass
class SynthParty:
    """A real list entity the generator writes records for."""

    key: str
    name: str
    country: str | None
    address: str | None
    identifier: str | None
    russian: bool


def _read_csv(path: Path) -> list[list[str]]:
    try:
        text = path.read_text("utf-8", errors="replace").rstrip("\x1a\r\n ")
    except OSError as exc:
        raise InputError(f"cannot read name source: {exc.strerror}", file=str(path)) from exc
    return list(csv.reader(text.splitlines()))


def _value(cell: str) -> str | None:
    cell = cell.strip()
    return None if cell in ("", "-0-") else cell


def list_parties(data_dir: Path) -> list[SynthParty]:
    """Entities (not persons, vessels, aircraft) of the OFAC SDN list with an address."""
    sdn = _read_csv(data_dir / SDN_FILE)
    adds = _read_csv(data_dir / ADD_FILE)
    address: dict[str, tuple[str | None, str | None]] = {}
    for row in adds:
        if len(row) < 5 or row[0] in address:
            continue
        parts = [p for p in (_value(row[2]), _value(row[3])) if p]
        country = _value(row[4])
        address[row[0]] = (", ".join(parts) or None, clean_country(country) if country else None)
    parties: list[SynthParty] = []
    for row in sdn:
        if len(row) < 12 or _value(row[2]) is not None:
            continue
        addr, country = address.get(row[0], (None, None))
        tax = _TAX_ID.search(row[11])
        parties.append(
            SynthParty(
                key=f"ofac-{row[0]}",
                name=row[1].strip(),
                country=country,
                address=addr,
                identifier=tax.group(1) if tax else None,
                russian=country == "RU",
            )
        )
    if len(parties) < 100:
        raise InputError("too few entities found for a realistic generator", file=SDN_FILE)
    return parties


# One alternation in the table's order: at each position the regex engine tries the
# alternatives in order, exactly as a prefix scan of the table would, but in C.
_TO_CYRILLIC_RE = re.compile("|".join(re.escape(latin) for latin, _ in _TO_CYRILLIC))
_TO_CYRILLIC_MAP = dict(_TO_CYRILLIC)


@lru_cache(maxsize=65_536)
def to_cyrillic(text: str) -> str:
    """Read a transliterated Russian name back into Cyrillic (as a Russian clerk types it).

    Memoised and done by one regex: it was 40% of generation time as a Python loop
    trying 37 prefixes at every letter, and popular names come back thousands of times.
    """
    return _TO_CYRILLIC_RE.sub(lambda m: _TO_CYRILLIC_MAP[m.group()], text.lower()).upper()


_RUSSIAN_FORMS = (
    ("OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU", "ООО"),
    ("LIMITED LIABILITY COMPANY", "ООО"),
    ("AKTSIONERNOE OBSHCHESTVO", "АО"),
    ("PUBLIC JOINT STOCK COMPANY", "ПАО"),
    ("JOINT STOCK COMPANY", "АО"),
    ("OOO", "ООО"),
    ("LLC", "ООО"),
    ("JSC", "АО"),
)


@lru_cache(maxsize=65_536)
def russian_legal_form(name: str) -> str:
    """English or romanised legal forms as a Russian clerk writes them (ООО, АО)."""
    upper = name.upper()
    for form, russian in _RUSSIAN_FORMS:
        if re.search(rf"\b{re.escape(form)}\b", upper):
            return re.sub(rf"\b{re.escape(form)}\b", russian, upper, count=1)
    return name


@lru_cache(maxsize=65_536)
def _letter_positions(name: str) -> list[int]:
    """Where a typo may fall (memoised: popular names are typed over and over)."""
    return [i for i, c in enumerate(name) if c.isalpha()]


@lru_cache(maxsize=65_536)
def _identity_words(name: str) -> int:
    """Words of a name left once legal forms are removed (memoised, as above)."""
    return len(remove_org_types(name.lower()).split())


class NameNoise:
    """The ways a party name gets written differently in customs data."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def typo(self, name: str) -> str:
        letters = _letter_positions(name)
        if len(letters) < 5:
            return name
        i = self.rng.choice(letters)
        op = self.rng.random()
        if op < 0.4:
            return name[:i] + name[i + 1 :]
        if op < 0.7 and i + 1 < len(name):
            return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        return name[:i] + self.rng.choice("AEIOURNST") + name[i + 1 :]

    def legal_form(self, name: str) -> str:
        upper = name.upper()
        for form, variants in _LEGAL_FORMS.items():
            if form in upper:
                return upper.replace(form, self.rng.choice(variants), 1)
        return f"{name} {self.rng.choice(('LLC', 'LTD', 'CO., LTD', 'JSC'))}"

    def move_form(self, name: str) -> str:
        """``TSK VEKTOR, OOO`` <-> ``OOO TSK VEKTOR``: list order vs invoice order."""
        if ", " in name:
            head, _, tail = name.rpartition(", ")
            if len(tail) <= 5:
                return f"{tail} {head}"
        return name

    def drop_word(self, name: str) -> str:
        """Drop one word, but never the only words that say who the company is."""
        words = name.split()
        if len(words) < 4 or _identity_words(name) < 3:
            return name
        del words[self.rng.randrange(1, len(words))]
        return " ".join(words)

    def quotes(self, name: str) -> str:
        words = name.split()
        if len(words) < 2:
            return name
        return f'{words[0]} "{" ".join(words[1:])}"'

    def variant(self, party: SynthParty) -> str:
        """One written form of ``party``'s name."""
        name = party.name
        r = self.rng.random()
        if r < 0.35:
            pass
        elif r < 0.5:
            name = self.legal_form(name)
        elif r < 0.62:
            name = self.typo(name)
        elif r < 0.7:
            name = self.move_form(name)
        elif r < 0.78:
            name = self.drop_word(name)
        elif r < 0.86:
            name = self.quotes(self.move_form(name))
        else:
            name = self.typo(self.legal_form(name))
        if party.russian and self.rng.random() < 0.3:
            name = to_cyrillic(russian_legal_form(self.move_form(name)))
        case = self.rng.random()
        if case < 0.3:
            name = name.title()
        elif case < 0.4:
            name = name.lower()
        return name


# Planted parties, with the names they are written under (real list forms first).
KUPOL = SynthParty(
    "ofac-46431",
    "JOINT STOCK COMPANY IZHEVSK ELECTROMECHANICAL PLANT KUPOL",
    "RU",
    "ul. Kirova 2, Izhevsk, Udmurtskaya Respublika",
    "1831083343",
    True,
)
KUPOL_NAMES = (
    "JOINT STOCK COMPANY IZHEVSK ELECTROMECHANICAL PLANT KUPOL",
    "АО «ИЭМЗ «Купол»",
    "IEMZ Kupol JSC",
    "Izhevsk Electromechanical Plant Kupol",
    "АО ИЖЕВСКИЙ ЭЛЕКТРОМЕХАНИЧЕСКИЙ ЗАВОД КУПОЛ",
)
VEKTOR = SynthParty("ofac-46441", "TSK VEKTOR, OOO", "RU", None, "3849055365", True)
VEKTOR_NAMES = ("TSK VEKTOR, OOO", 'ООО "ТСК Вектор"', "OOO TSK VEKTOR", "TSK Vector LLC")
REDLEPUS = SynthParty(
    "synth-redlepus",
    "REDLEPUS TSK VECTOR INDUSTRIAL CO., LIMITED",
    "CN",
    "Futian District, Shenzhen, Guangdong",
    None,
    False,
)
REDLEPUS_NAMES = (
    "Redlepus TSK Vector Industrial Co., Limited",
    "REDLEPUS TSK VECTOR INDUSTRIAL CO LTD",
    "Redlepus Vector Industrial",
)
HK_FRONT_TOKENS = ("Tianyu", "Jinhai", "Hengda Tech", "Sinoelec", "Grandview", "Everbright IC")


PLAIN_GOODS = GOODS[14:]
RISKY_GOODS = GOODS[:14]


def _goods(rng: random.Random, codes: tuple[str, ...] | None = None) -> tuple[str, str, str, float]:
    """Goods of a line: from ``codes`` if given, else mostly ordinary goods (80%)."""
    if codes is None:
        pool = PLAIN_GOODS if rng.random() < 0.8 else RISKY_GOODS
    else:
        pool = tuple(g for g in GOODS if g[0][:4] in codes or g[0][:6] in codes)
    code, desc, unit, lo, hi = rng.choice(pool)
    return code, desc, unit, rng.uniform(lo, hi)


class TradeGenerator:
    """Deterministic (per seed) stream of synthetic trade records as dicts."""

    def __init__(self, parties: list[SynthParty], seed: int) -> None:
        self.rng = random.Random(seed)
        self.noise = NameNoise(self.rng)
        self.parties = parties
        # Popularity: a few parties trade a lot (Zipf-like), most trade rarely.
        weights = [1.0 / (i + 1) ** 0.8 for i in range(len(parties))]
        self.cum_weights = list(itertools.accumulate(weights))
        self.rng.shuffle(self.parties)
        self.start = dt.date(2022, 3, 1)
        hk = [p for p in parties if p.country == "HK" and p.address]
        self.hk_address = hk[0].address if hk else "Room 3605 36/F Wu Chung House, Wan Chai"
        plants = [p for p in parties if p.russian and "PLANT" in p.name.upper()]
        self.ru_plants = plants[:8] or [KUPOL]
        self.hk_fronts = [
            SynthParty(f"synth-hk-{i}", f"{t} Electronics Trading Limited", "HK",
                       self.hk_address, None, False)
            for i, t in enumerate(HK_FRONT_TOKENS)
        ]  # fmt: skip
        self.counter = 0

    def _mention(self, party: SynthParty, names: tuple[str, ...] | None = None) -> dict[str, Any]:
        rng = self.rng
        name = rng.choice(names) if names else self.noise.variant(party)
        return {
            "name": name,
            "address": party.address if rng.random() < 0.8 else None,
            "country": party.country if rng.random() < 0.9 else None,
            "id": party.identifier if rng.random() < 0.5 else None,
            "truth": party.key,
        }

    def _record(
        self,
        exporter: dict[str, Any],
        importer: dict[str, Any],
        goods: tuple[str, str, str, float],
        scheme: str | None,
        day: dt.date | None = None,
        value: float | None = None,
        currency: str | None = None,
    ) -> dict[str, Any]:
        rng = self.rng
        self.counter += 1
        code, desc, unit, unit_value = goods
        qty = max(1, int(rng.lognormvariate(3, 1.2)))
        val = value if value is not None else round(qty * unit_value, 2)
        day = day or self.start + dt.timedelta(days=rng.randrange(0, 900))
        origin = exporter["country"] or "CN"
        return {
            "record_id": f"DT{self.counter:09d}",
            "date": day.isoformat(),
            "exporter_name": exporter["name"],
            "exporter_address": exporter["address"],
            "exporter_country": exporter["country"],
            "exporter_id": exporter["id"],
            "importer_name": importer["name"],
            "importer_address": importer["address"],
            "importer_country": importer["country"],
            "importer_id": importer["id"],
            "notify_name": None,
            "origin_country": origin,
            "dispatch_country": exporter["country"],
            "destination_country": importer["country"],
            "hs_code": code,
            "goods_description": desc,
            "brand": None,
            "quantity": str(qty),
            "unit": unit,
            "weight_kg": f"{qty * rng.uniform(0.01, 5):.2f}",
            "value": f"{val:.2f}",
            "currency": currency or rng.choice(CURRENCIES),
            "incoterms": rng.choice(INCOTERMS),
            "transport": rng.choice(TRANSPORT),
            "truth_exporter": exporter["truth"],
            "truth_importer": importer["truth"],
            "truth_scheme": scheme,
        }

    def _kupol_route(self) -> Iterator[dict[str, Any]]:
        goods = _goods(self.rng, ("8407", "8806", "880730", "8409"))
        yield self._record(
            self._mention(REDLEPUS, REDLEPUS_NAMES),
            self._mention(VEKTOR, VEKTOR_NAMES),
            goods,
            "kupol_route",
            currency="CNY",
        )
        rec = self._record(
            self._mention(REDLEPUS, REDLEPUS_NAMES),
            self._mention(KUPOL, KUPOL_NAMES),
            goods,
            "kupol_route",
            currency="CNY",
        )
        rec["notify_name"] = self.rng.choice(VEKTOR_NAMES)
        yield rec

    def _hk_front(self) -> dict[str, Any]:
        front = self.rng.choice(self.hk_fronts)
        if self.rng.random() < 0.5:
            distributor = self.rng.choices(self.parties, cum_weights=self.cum_weights)[0]
            return self._record(
                self._mention(distributor),
                self._mention(front),
                _goods(self.rng, ("8542",)),
                "hk_front",
            )
        return self._record(
            self._mention(front),
            self._mention(self.rng.choice(self.ru_plants)),
            _goods(self.rng, ("8542",)),
            "hk_front",
        )

    def _split_order(self) -> Iterator[dict[str, Any]]:
        seller, buyer = self.rng.choices(self.parties, cum_weights=self.cum_weights, k=2)
        goods = _goods(self.rng, ("8542", "8526", "8517"))
        day = self.start + dt.timedelta(days=self.rng.randrange(0, 880))
        for i in range(self.rng.randint(3, 6)):
            value = round(SPLIT_THRESHOLD * self.rng.uniform(0.9, 0.999), 2)
            yield self._record(
                self._mention(seller),
                self._mention(buyer),
                goods,
                "split_order",
                day=day + dt.timedelta(days=i),
                value=value,
                currency="USD",
            )

    def records(self, rows: int) -> Iterator[dict[str, Any]]:
        """Exactly ``rows`` records; about 2% belong to planted schemes."""
        made = 0
        while made < rows:
            r = self.rng.random()
            if r < 0.005:
                batch: list[dict[str, Any]] = list(self._kupol_route())
            elif r < 0.012:
                batch = [self._hk_front()]
            elif r < 0.02:
                batch = list(self._split_order())
            else:
                exporter, importer = self.rng.choices(
                    self.parties, cum_weights=self.cum_weights, k=2
                )
                batch = [
                    self._record(
                        self._mention(exporter), self._mention(importer), _goods(self.rng), None
                    )
                ]
            for rec in batch[: rows - made]:
                made += 1
                yield rec


def write_synthetic(out: Path, rows: int, seed: int, data_dir: Path, chunk: int = 200_000) -> int:
    """Write ``rows`` synthetic records to ``out`` (.csv or .parquet); returns the count."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InputError("output must end in .csv or .parquet", file=str(out))
    if rows < 1:
        raise InputError("--rows must be at least 1")
    gen = TradeGenerator(list_parties(data_dir), seed)
    schema = pa.schema([(c, pa.string()) for c in OUTPUT_COLUMNS])
    out.parent.mkdir(parents=True, exist_ok=True)
    pq_writer: pq.ParquetWriter | None = None
    csv_writer: pacsv.CSVWriter | None = None
    written = 0
    buf: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal pq_writer, csv_writer
        if not buf:
            return
        table = pa.Table.from_pylist(buf, schema=schema)
        if suffix == ".parquet":
            pq_writer = pq_writer or pq.ParquetWriter(out, schema)
            pq_writer.write_table(table)
        else:
            csv_writer = csv_writer or pacsv.CSVWriter(out, schema)
            csv_writer.write_table(table)
        buf.clear()

    for rec in gen.records(rows):
        buf.append(rec)
        written += 1
        if len(buf) >= chunk:
            flush()
    flush()
    if pq_writer is not None:
        pq_writer.close()
    if csv_writer is not None:
        csv_writer.close()
    return written
