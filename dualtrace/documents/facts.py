"""Pattern extractors for the facts sanctions work turns on: ids, HS codes, money, sizes, dates.

Each extractor is a function ``(text) -> list[Finding]`` written for English,
Russian and Chinese report and invoice language. Identifiers are only claimed next
to the word that introduces them (ИНН, OGRN, 统一社会信用代码, IMO ...) and are
checked with python-stdnum; a number that fails its check digit is still reported,
with low confidence, because a bad INN on an invoice is itself a red flag.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from stdnum import imo, lei
from stdnum.cn import uscc
from stdnum.ru import inn, ogrn

from dualtrace.documents.findings import Finding
from dualtrace.documents.numbers import DIGITS, NUMBER, multiplier, parse_number, tidy

# --------------------------------------------------------------------- identifiers

_ID_SCHEMES: tuple[tuple[str, str, str, Any, str], ...] = (
    # (scheme, FtM property, keyword regex, stdnum module, value regex)
    (
        "ru_inn",
        "innCode",
        r"ИНН|INN|Tax\s+ID(?:\s+No\.?)?|taxpayer\s+(?:id|number)",
        inn,
        r"\d{10}|\d{12}",
    ),
    (
        "ru_ogrn",
        "ogrnCode",
        r"ОГРНИП|ОГРН|OGRN|(?:Business\s+)?Registration\s+Number",
        ogrn,
        r"\d{13}|\d{15}",
    ),
    (
        "cn_uscc",
        "uscCode",
        r"统一社会信用代码|信用代码|USCC|Unified\s+Social\s+Credit\s+Code",
        uscc,
        r"[0-9A-HJ-NPQRTUWXY]{18}",
    ),
    ("lei", "leiCode", r"LEI", lei, r"[0-9A-Z]{18}\d{2}"),
    ("imo", "imoNumber", r"IMO(?:\s+(?:No\.?|number))?|ИМО", imo, r"\d{7}"),
)
_ID_PATTERNS = [
    (
        scheme,
        prop,
        module,
        re.compile(
            rf"(?:{kw})\s*(?:№|No\.?|number|:|：|#)?\s*(?P<value>{value})(?![0-9A-Za-z])",
            re.IGNORECASE,
        ),
    )
    for scheme, prop, kw, module, value in _ID_SCHEMES
]


def find_identifiers(text: str) -> list[Finding]:
    """INN, OGRN, USCC, LEI and IMO numbers introduced by their keyword, check-digit tested."""
    out: list[Finding] = []
    for scheme, prop, module, pattern in _ID_PATTERNS:
        for m in pattern.finditer(text):
            value = m.group("value")
            valid = bool(module.is_valid(value))
            out.append(
                Finding(
                    "identifier",
                    m.start("value"),
                    m.end("value"),
                    value,
                    module.compact(value) if valid else value,
                    "pattern+stdnum",
                    0.95 if valid else 0.3,
                    {
                        "scheme": scheme,
                        "prop": prop,
                        "valid": valid,
                        "label": m.group(0)[: m.start("value") - m.start()].strip(),
                    },
                )
            )
    return out


# ------------------------------------------------------------------------ HS codes

_HS = re.compile(
    r"(?:\bHS(?:\s*code)?|\bHTS(?:US)?|\btariff\s+(?:code|heading|number)|ТН\s*ВЭД(?:\s*ЕАЭС)?|"
    r"код\s+ТН\s*ВЭД|HS编码|海关编码|商品编码|税则号列?)\s*(?:code|код|№|No\.?|:|：)?\s*"
    r"(?P<code>\d{4}(?:[.\s]?\d{2}){0,3})(?!\d)",
    re.IGNORECASE,
)


def find_hs_codes(text: str) -> list[Finding]:
    """HS / ТН ВЭД / 海关编码 codes after their keyword, tagged with CHPL tier if listed."""
    from dualtrace.trade.hs_classification import default_risk_list

    risk = default_risk_list()
    out: list[Finding] = []
    for m in _HS.finditer(text):
        raw = m.group("code").strip()
        digits = re.sub(r"\D", "", raw)
        chapter = int(digits[:2])
        if not 1 <= chapter <= 97 or chapter == 77:
            continue
        value = digits[:4] + ("." + digits[4:6] if len(digits) >= 6 else "")
        if len(digits) > 6:
            value += digits[6:]
        tags = risk.classify(digits)
        details: dict[str, Any] = {"digits": digits, "chapter": f"{chapter:02d}"}
        if tags.chpl_tier:
            details["chpl_tier"] = tags.chpl_tier
        if tags.military_heading:
            details["military_heading"] = tags.military_heading
        out.append(
            Finding("hs_code", m.start("code"), m.end("code"), raw, value, "pattern", 0.9, details)
        )
    return out


# --------------------------------------------------------------------------- money

CURRENCIES: dict[str, str] = {
    "yuan": "CNY",
    "renminbi": "CNY",
    "rmb": "CNY",
    "cny": "CNY",
    "¥": "CNY",
    "元": "CNY",
    "人民币": "CNY",
    "юань": "CNY",
    "юаней": "CNY",
    "юаня": "CNY",
    "юанях": "CNY",
    "юанями": "CNY",
    "юанях.": "CNY",
    "dollar": "USD",
    "dollars": "USD",
    "usd": "USD",
    "$": "USD",
    "us$": "USD",
    "美元": "USD",
    "долларов": "USD",
    "доллара": "USD",
    "доллар": "USD",
    "долл": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "eur": "EUR",
    "€": "EUR",
    "евро": "EUR",
    "欧元": "EUR",
    "rouble": "RUB",
    "roubles": "RUB",
    "ruble": "RUB",
    "rubles": "RUB",
    "rub": "RUB",
    "₽": "RUB",
    "рублей": "RUB",
    "рубля": "RUB",
    "рубль": "RUB",
    "руб": "RUB",
    "卢布": "RUB",
    "hkd": "HKD",
    "aed": "AED",
    "dirhams": "AED",
    "lira": "TRY",
    "try": "TRY",
}
_CUR_WORDS = "|".join(
    sorted(
        (re.escape(c) for c in CURRENCIES if c[0].isalpha() and c.isascii()), key=len, reverse=True
    )
)
_CUR_RU = "юаней|юаня|юанях|юанями|юань|рублей|рубля|рубль|руб\\.?|долларов|доллара|долл\\.?|евро"
_CUR_ZH = "人民币|美元|欧元|卢布|元"
_MULT = r"thousand|million|mln|billion|bn|тыс\.?|тысяч|млн\.?|миллионов|миллиона|млрд\.?|万|亿"
_CUR_AFTER = re.compile(
    rf"(?P<amount>{NUMBER})\s?(?P<mult>{_MULT})?\s?(?:(?:Chinese|US|U\.S\.)\s)?"
    rf"(?P<cur>(?<![A-Za-z])(?:{_CUR_WORDS})\b|{_CUR_RU}|{_CUR_ZH})",
    re.IGNORECASE,
)
_CUR_BEFORE = re.compile(
    rf"(?P<cur>US\$|[$€¥₽]|\b(?:USD|EUR|CNY|RMB|RUB|HKD|AED)\b|人民币)\s?"
    rf"(?P<amount>{DIGITS})\s?(?P<mult>{_MULT})?(?:\s?元)?",
    re.IGNORECASE,
)
# A payment currency named without an amount: "payment in Chinese yuan", "в юанях",
# "以人民币支付".
_CUR_ONLY = re.compile(
    r"(?:\b(?:in|into)\s+(?:Chinese\s+|US\s+|U\.S\.\s+)?(?P<en>yuan|renminbi|RMB|dollars|euros|"
    r"roubles|rubles|dirhams)\b|\bв\s+(?:китайских\s+)?(?P<ru>юанях|рублях|долларах|евро)\b|"
    r"(?P<zh>以人民币|用人民币|人民币结算|人民币支付))",
    re.IGNORECASE,
)


def _currency(word: str) -> str | None:
    w = word.lower().rstrip(".")
    if w in ("以人民币", "用人民币", "人民币结算", "人民币支付"):
        return "CNY"
    if w in ("рублях",):
        return "RUB"
    if w in ("долларах",):
        return "USD"
    return CURRENCIES.get(w)


def find_money(text: str) -> list[Finding]:
    """Amounts with currency (1.5 million yuan, 人民币150万元, 3 млн юаней, $2,000)."""
    out: list[Finding] = []
    for pattern in (_CUR_AFTER, _CUR_BEFORE):
        for m in pattern.finditer(text):
            amount = parse_number(m.group("amount"))
            currency = _currency(m.group("cur"))
            if amount is None or currency is None:
                continue
            amount *= multiplier(m.group("mult"))
            out.append(
                Finding.matched(
                    "money",
                    m,
                    f"{tidy(amount)} {currency}",
                    0.9,
                    {"amount": amount, "currency": currency},
                    end=m.start() + len(m.group(0).rstrip()),
                )
            )
    for m in _CUR_ONLY.finditer(text):
        word = m.group("en") or m.group("ru") or m.group("zh")
        currency = _currency(word)
        if currency is None:
            continue
        out.append(
            Finding.matched(
                "money",
                m,
                currency,
                0.8,
                {"amount": None, "currency": currency, "note": "payment currency without amount"},
            )
        )
    return out


# ---------------------------------------------------------------------- quantities

UNITS: dict[str, str] = {
    "km": "km",
    "kilometers": "km",
    "kilometres": "km",
    "kilometer": "km",
    "kilometre": "km",
    "км": "km",
    "километров": "km",
    "公里": "km",
    "千米": "km",
    "kg": "kg",
    "kilograms": "kg",
    "kilogrammes": "kg",
    "kilogram": "kg",
    "кг": "kg",
    "килограммов": "kg",
    "千克": "kg",
    "公斤": "kg",
    "t": "t",
    "tonnes": "t",
    "tons": "t",
    "тонн": "t",
    "тонны": "t",
    "吨": "t",
    "hectares": "ha",
    "ha": "ha",
    "гектаров": "ha",
    "га": "ha",
    "公顷": "ha",
    "km/h": "km/h",
    "км/ч": "km/h",
    "m": "m",
    "meters": "m",
    "metres": "m",
    "м": "m",
    "units": "units",
    "pcs": "units",
    "pieces": "units",
    "шт": "units",
    "штук": "units",
    "единиц": "units",
    "件": "units",
    "台": "units",
    "架": "units",
    "套": "units",
    "个": "units",
}
_UNIT_RE = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
_NUM_START = r"(?<![A-Za-zА-Яа-яЁё0-9.\-])"
_MEASURE = re.compile(
    rf"{_NUM_START}(?P<amount>{NUMBER})\s?(?P<mult>thousand|тыс\.?|万)?\s?(?P<unit>{_UNIT_RE})(?![A-Za-zА-Яа-я])",
    re.IGNORECASE,
)
# Countable goods: "seven military drones", "two G3 units", "семь беспилотников", "七架无人机".
ITEM_NOUNS = (
    r"drones?|UAVs?|unmanned\s+aerial\s+vehicles?|units?|engines?|missiles?|aircraft|"
    r"helicopters?|modules?|chips?|microchips?|bearings?|rifles?|rounds?|shells?|"
    r"vehicles?|boats?|vessels?|samples?|prototypes?|systems?|components?|pieces?"
)
ITEM_NOUNS_RU = (
    r"беспилотник(?:ов|а|и)?|БПЛА|дрон(?:ов|а|ы)?|двигател(?:ей|я|ь)|ракет(?:а|ы)?|"
    r"единиц(?:ы|а)?|штук(?:и|а)?|образц(?:ов|а)|комплект(?:ов|а)?"
)
ITEM_NOUNS_ZH = r"无人机|发动机|导弹|飞机|芯片|样机|套|台|件"
_COUNT = re.compile(
    rf"{_NUM_START}(?P<amount>{NUMBER})\s+(?P<words>(?:[A-Za-z][\w-]*\s+){{0,2}}?)(?P<noun>{ITEM_NOUNS})\b"
    rf"|{_NUM_START}(?P<amount_ru>{NUMBER})\s+(?P<words_ru>(?:[а-яё][\w-]*\s+){{0,2}}?)(?P<noun_ru>{ITEM_NOUNS_RU})"
    rf"|(?P<amount_zh>{NUMBER})\s?(?:架|台|件|个|套|枚)(?P<noun_zh>{ITEM_NOUNS_ZH})?",
    re.IGNORECASE,
)
_NOT_COUNT_WORDS = frozenset({"of", "the", "and", "or", "to", "in", "for", "from", "with", "than"})


def find_quantities(text: str) -> list[Finding]:
    """Measures with units (2,000 km, 50 kg, 400kg, 80 hectares) and counts of goods."""
    out: list[Finding] = []
    for m in _MEASURE.finditer(text):
        amount = parse_number(m.group("amount"))
        if amount is None:
            continue
        unit = UNITS.get(m.group("unit").lower(), UNITS.get(m.group("unit"), m.group("unit")))
        if unit in ("m", "t", "units") and not re.search(r"\d", m.group("amount")):
            continue  # "one m..." / "seven t..." are words, not measures
        amount *= multiplier(m.group("mult"))
        out.append(
            Finding.matched(
                "quantity", m, f"{tidy(amount)} {unit}", 0.9, {"amount": amount, "unit": unit}
            )
        )
    for m in _COUNT.finditer(text):
        amount_text = m.group("amount") or m.group("amount_ru") or m.group("amount_zh")
        amount = parse_number(amount_text)
        if amount is None:
            continue
        if re.search(r"(?<![\w-])[A-ZА-ЯЁ]{1,4}[- ]$", text[max(m.start() - 6, 0) : m.start()]):
            continue  # "REM 1 attack UAV": the number belongs to a designation
        words = (m.group("words") or m.group("words_ru") or "").split()
        if any(w.lower() in _NOT_COUNT_WORDS for w in words):
            continue
        noun = m.group("noun") or m.group("noun_ru") or m.group("noun_zh") or "units"
        item = " ".join([*words, noun])
        out.append(
            Finding.matched(
                "quantity",
                m,
                f"{tidy(amount)} {item}",
                0.85,
                {"amount": amount, "unit": "count", "item": item},
            )
        )
    return out


# --------------------------------------------------------------------------- dates

MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    "января": 1,
    "февраля": 2,
    "марта": 3,
    "апреля": 4,
    "мая": 5,
    "июня": 6,
    "июля": 7,
    "августа": 8,
    "сентября": 9,
    "октября": 10,
    "ноября": 11,
    "декабря": 12,
    "январь": 1,
    "февраль": 2,
    "март": 3,
    "апрель": 4,
    "май": 5,
    "июнь": 6,
    "июль": 7,
    "август": 8,
    "сентябрь": 9,
    "октябрь": 10,
    "ноябрь": 11,
    "декабрь": 12,
    "январе": 1,
    "феврале": 2,
    "марте": 3,
    "апреле": 4,
    "мае": 5,
    "июне": 6,
    "июле": 7,
    "августе": 8,
    "сентябре": 9,
    "октябре": 10,
    "ноябре": 11,
    "декабре": 12,
}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None], float], ...]


def _ymd(y: str, m: int | str | None, d: str | None = None) -> str | None:
    year = int(y)
    if not 1900 <= year <= 2100:
        return None
    if m is None:
        return f"{year:04d}"
    month = int(m)
    if not 1 <= month <= 12:
        return None
    if d is None:
        return f"{year:04d}-{month:02d}"
    day = int(d)
    if not 1 <= day <= 31:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


_DATE_PATTERNS = (
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), lambda m: _ymd(m[1], m[2], m[3]), 0.95),
    (re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b"), lambda m: _ymd(m[3], m[2], m[1]), 0.9),
    (
        re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_RE})\.?,?\s+(\d{{4}})", re.I),
        lambda m: _ymd(m[3], MONTHS[m[2].lower()], m[1]),
        0.95,
    ),
    (
        re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}}),\s+(\d{{4}})", re.I),
        lambda m: _ymd(m[3], MONTHS[m[1].lower()], m[2]),
        0.95,
    ),
    (
        re.compile(rf"\b({_MONTH_RE})\s+(?:of\s+)?(\d{{4}})\b", re.I),
        lambda m: _ymd(m[2], MONTHS[m[1].lower()]),
        0.85,
    ),
    (
        re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?"),
        lambda m: _ymd(m[1], m[2], m[3]),
        0.95,
    ),
    (
        re.compile(r"\b(?:in|since|by|until|of|в|с|до)\s+((?:19|20)\d{2})(?:\s*(?:году|г\.))?\b"),
        lambda m: _ymd(m[1], None),
        0.6,
    ),
)


def find_dates(text: str) -> list[Finding]:
    """Dates in ISO, day-month-year words (English/Russian), 年月日 and bare years after 'in'."""
    out: list[Finding] = []
    for pattern, build, confidence in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if not m[1] or (m.lastindex or 0) < 1:
                continue
            try:
                value = build(m)
            except (KeyError, ValueError):
                value = None
            if value is None:
                continue
            start, end = m.span()
            if confidence < 0.7:
                start, end = m.span(1)
            out.append(Finding("date", start, end, text[start:end], value, "pattern", confidence))
    return out


# ------------------------------------------------------------------------ products

_DESIGNATION = re.compile(
    r"(?<![\w-])(?P<d>[A-ZА-ЯЁ][a-zа-яё]{2,}-(?:[A-ZА-ЯЁ]{0,2}\d{1,4}[A-Za-z]?|[A-ZА-ЯЁ][lI1]))(?![\w-])"
    r"|(?<![\w-])(?P<c>[A-ZА-ЯЁ]{1,4}(?:-| )?\d{1,4}[A-Z]?)(?![\w-])"
)
_PRODUCT_CONTEXT = re.compile(
    r"\b(?:drones?|UAVs?|unmanned|engines?|missiles?|aircraft|model|version|variant|"
    r"munitions?|rockets?|radars?|helicopters?)\b|беспилотн|БПЛА|дрон|двигател|ракет|无人机",
    re.IGNORECASE,
)
_ALIAS_PAREN = re.compile(r"\s*\((?P<alias>[A-ZА-ЯЁ]{1,4}-?\d{1,4}[A-Z]?)\)")


def _canonical_designation(text: str) -> str:
    """OCR reads A1 as 'Al' or 'AI'; a designation suffix of letter+l/I is letter+1."""
    m = re.fullmatch(r"(.*-[A-ZА-ЯЁ])[lI]", text)
    return m.group(1) + "1" if m else text


def find_products(text: str, sentences: list[tuple[int, int]]) -> list[Finding]:
    """Model designations (Garpiya-3, G3, REM 1, Гарпия-А1) in sentences about hardware.

    A short code like "G3" is only a product where the sentence talks about drones,
    engines or the like, or where it is given as another designation's short name
    ("Garpiya-3 (G3)"); once known, every later use of the code is the same product.
    """
    out: list[Finding] = []
    aliases: dict[str, str] = {}
    known: set[str] = set()
    for s_start, s_end in sentences:
        sentence = text[s_start:s_end]
        about_hardware = bool(_PRODUCT_CONTEXT.search(sentence))
        for m in _DESIGNATION.finditer(sentence):
            long_form = m.group("d")
            code = m.group("c")
            if long_form:
                value = _canonical_designation(long_form)
                if not about_hardware and value not in known:
                    continue
                known.add(value)
                details: dict[str, Any] = {}
                alias = _ALIAS_PAREN.match(sentence, m.end())
                if alias:
                    aliases[alias.group("alias")] = value
                    details["alias"] = alias.group("alias")
                out.append(
                    Finding(
                        "product",
                        s_start + m.start(),
                        s_start + m.end(),
                        long_form,
                        value,
                        "pattern",
                        0.8,
                        details,
                    )
                )
            elif code:
                if re.fullmatch(r"(?:19|20)\d{2}", code) or code.isdigit():
                    continue
                if code not in aliases and code not in known and not about_hardware:
                    continue
                if code in ("U 1", "A 1"):
                    continue
                known.add(code)
                value = aliases.get(code, code)
                details = {"designation": code}
                if value != code:
                    details["short_for"] = value
                out.append(
                    Finding(
                        "product",
                        s_start + m.start(),
                        s_start + m.end(),
                        code,
                        value,
                        "pattern",
                        0.7,
                        details,
                    )
                )
    return out
