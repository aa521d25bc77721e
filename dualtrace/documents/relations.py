"""Relations stated in a sentence, by pattern, in English, Russian and Chinese.

Reports state relations in a few set phrasings: "X, a subsidiary of Y", "X served as
the intermediary between Y and Z", "invoices sent to X by Y", "X supplied Y with
...", and their Russian and Chinese equivalents. Parties already found in the text
(linked mentions, organisations, persons) are replaced by placeholders, so each
pattern is a readable regex over "⟨P⟩, a subsidiary of ⟨P⟩" rather than over names;
slots that name no known party ("Chinese suppliers", "a Russian company") are kept
as phrases, because an unnamed intermediary is evidence too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dualtrace.documents.findings import Finding

_OPEN, _CLOSE = "\ue000", "\ue001"
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:U\.S|U\.N|U\.K|St|Co|Ltd|Inc|Corp|Mr|Mrs|Ms|Dr|No|Jr|Sr|vs|etc|e\.g|i\.e|"
    r"г|гг|ул|им|т\.е|т\.д)|\b[A-ZА-Я])\.$"
)
_SENTENCE_END = re.compile(r"[.!?。！？]+[\"”»’)]*(?=\s|$)|\n\s*\n|[。！？]")


@dataclass(frozen=True, slots=True)
class Party:
    """A span that names a party: its text, kind and linked entity if any."""

    start: int
    end: int
    text: str
    kind: str
    entity_id: str | None = None


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; abbreviations like U.S. and Co. do not end one."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        if m.group().startswith(".") and _ABBREVIATIONS.search(
            text[max(start, end - 8) : m.start() + 1]
        ):
            continue
        if text[start:end].strip():
            out.append((start, end))
        start = end
    if text[start:].strip():
        out.append((start, len(text)))
    return out


# A party placeholder; closing quotes Russian typography leaves after a name are part of it.
_P = _OPEN + r"(?P<{0}>\d+)" + _CLOSE + r"[»\"”’]*\.?"
_PHRASE = r"(?P<{0}_phrase>(?:an?\s+|the\s+)?[\w][\w\s-]{{1,60}}?)"


def _slot(name: str) -> str:
    return f"(?:{_P.format(name)}|{_PHRASE.format(name)})"


PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (rel, lang, re.compile(rx, re.IGNORECASE))
    for rel, lang, rx in (
        (
            "subsidiary_of",
            "en",
            _P.format("x")
            + r"(?:\s*\([^)]*\))?,\s+(?:an?|the)\s+(?:[\w-]+\s+){0,3}?subsidiary\s+of\s+"
            r"(?:the\s+)?(?:[\w-]+\s+){0,6}?" + _P.format("y"),
        ),
        (
            "subsidiary_of",
            "en",
            _P.format("x") + r"\s+(?:is|was|became|remains)\s+(?:an?|the)\s+(?:[\w-]+\s+){0,3}?"
            r"subsidiary\s+of\s+(?:the\s+)?(?:[\w-]+\s+){0,6}?" + _P.format("y"),
        ),
        (
            "subsidiary_of",
            "ru",
            _P.format("x") + r",?\s+(?:—\s+|является\s+)?дочерн(?:ее|яя|ей|им|ая)\s+"
            r"(?:предприяти[ея]м?|компани(?:я|ей)|обществ(?:о|ом)|структур(?:а|ой))\s+"
            r"(?:[\w-]+\s+){0,3}?" + _P.format("y"),
        ),
        (
            "subsidiary_of",
            "zh",
            _P.format("x") + r"(?:是|为|系)" + _P.format("y") + r"(?:的)?(?:全资)?(?:控股)?子公司",
        ),
        (
            "intermediary",
            "en",
            _P.format("x") + r"(?:,[^,]{0,80},)?\s+(?:has\s+|had\s+|was\s+)?(?:served|serves|acted|"
            r"acts|acting|worked|works)\s+as\s+(?:an?|the)\s+intermediary\s+between\s+"
            + _slot("y")
            + r"\s+and\s+"
            + _slot("z")
            + r"(?=[,.;]|\s+(?:for|in|on|to)\b|$)",
        ),
        (
            "intermediary",
            "ru",
            _P.format("x") + r"(?:,[^,]{0,80},)?\s+выступ\w+\s+(?:в\s+качестве\s+)?посредник\w*\s+"
            r"между\s+" + _slot("y") + r"\s+и\s+" + _slot("z") + r"(?=[,.;]|\s+(?:в|для|по)\b|$)",
        ),
        (
            "intermediary",
            "zh",
            _P.format("x")
            + r"(?:作为|充当|担任)"
            + _slot("y")
            + r"(?:和|与|同)"
            + _slot("z")
            + r"之间的(?:中间商|中介|中间人)",
        ),
        (
            "invoiced",
            "en",
            r"invoices?\s+(?:were\s+|was\s+)?(?:sent|issued|addressed)\s+to\s+"
            + _P.format("x")
            + r"\s+(?:[\w,]+\s+){0,6}?by\s+"
            + _slot("y")
            + r"(?=[,.;]|\s+(?:identified|that|which|"
            r"acting|for|in)\b|$)",
        ),
        (
            "invoiced",
            "ru",
            r"сч[её]т\w*\s+(?:[\w,]+\s+){0,6}?(?:был[аио]?\s+)?(?:выставлен\w*|направлен\w*)\s+"
            + _P.format("x")
            + r"\s+(?:[\w,]+\s+){0,4}?(?:компанией\s+|фирмой\s+)?"
            + _P.format("y"),
        ),
        (
            "invoiced",
            "ru",
            _P.format("y")
            + r"\s+выставил\w*\s+(?:[\w]+\s+){0,2}?сч[её]т\w*\s+(?:на\s+оплату\s+)?"
            + _P.format("x"),
        ),
        (
            "supplied",
            "en",
            _P.format("x") + r"\s+(?:has\s+|had\s+)?(?:supplied|delivered|shipped|sold|provided)\s+"
            r"(?:to\s+)?" + _P.format("y") + r"(?:\s+with)?\s+(?P<goods>[^.;]{1,80})",
        ),
        (
            "supplied",
            "en",
            _P.format("y") + r"\s+(?:has\s+|had\s+)?(?:received|bought|purchased|acquired)\s+"
            r"(?P<goods>[^.;]{1,80}?)\s+from\s+" + _P.format("x"),
        ),
        (
            "supplied",
            "ru",
            _P.format("x")
            + r"\s+(?:поставил\w*|поставля\w+|отгрузил\w*|продал\w*)\s+"
            + _P.format("y")
            + r"\s+(?P<goods>[^.;]{1,80})",
        ),
        (
            "supplied",
            "ru",
            _P.format("y")
            + r"\s+(?:получил\w*|закупил\w*|приобр[её]л\w*)\s+от\s+"
            + _P.format("x")
            + r"\s+(?P<goods>[^.;]{1,80})",
        ),
        (
            "supplied",
            "zh",
            _P.format("x") + r"向" + _P.format("y") + r"(?:供应|提供|出售|交付|出口)(?:了)?"
            r"(?P<goods>[^。；，]{1,40})",
        ),
    )
)
# Relation -> (FtM schema, subject property, object property) for an accepted claim.
RELATION_SCHEMA = {
    "subsidiary_of": ("Ownership", "asset", "owner"),
    "intermediary": ("Representation", "agent", "client"),
    "invoiced": ("Payment", "beneficiary", "payer"),
    "supplied": ("UnknownLink", "subject", "object"),
}


def find_relations(text: str, parties: list[Party]) -> list[Finding]:
    """Relations between parties in each sentence of ``text``."""
    out: list[Finding] = []
    ordered = sorted(parties, key=lambda p: p.start)
    for s_start, s_end in sentences(text):
        inside = [p for p in ordered if p.start >= s_start and p.end <= s_end]
        if not inside:
            continue
        sub, positions = _substitute(text, s_start, s_end, inside)
        for relation, lang, pattern in PATTERNS:
            for m in pattern.finditer(sub):
                roles: dict[str, dict[str, Any]] = {}
                for role in ("x", "y", "z"):
                    found = _role(m, role, inside)
                    if found is not None:
                        roles[role] = found
                if "x" not in roles or "y" not in roles:
                    continue
                start = positions[m.start()]
                end = positions[m.end() - 1] + 1
                while end > start and text[end - 1] in ".,;:":
                    end -= 1
                goods = m.groupdict().get("goods")
                details: dict[str, Any] = {"relation": relation, "lang": lang, **roles}
                if goods:
                    details["goods"] = goods.strip()
                x, y = roles["x"]["text"], roles["y"]["text"]
                value = f"{relation}: {x} -> {y}"
                if "z" in roles:
                    value += f" / {roles['z']['text']}"
                linked = sum(1 for r in roles.values() if r.get("entity_id"))
                out.append(
                    Finding(
                        "relation",
                        start,
                        end,
                        text[start:end],
                        value,
                        f"pattern:{relation}:{lang}",
                        0.6 + 0.1 * min(linked, 3),
                        details,
                    )
                )
    return out


def _substitute(text: str, s_start: int, s_end: int, parties: list[Party]) -> tuple[str, list[int]]:
    """The sentence with parties replaced by placeholders, and each char's original offset."""
    parts: list[str] = []
    positions: list[int] = []
    pos = s_start
    for i, party in enumerate(parties):
        if party.start < pos:
            continue
        parts.append(text[pos : party.start])
        positions.extend(range(pos, party.start))
        token = f"{_OPEN}{i}{_CLOSE}"
        parts.append(token)
        positions.extend([party.start] * (len(token) - 1) + [party.end - 1])
        pos = party.end
    parts.append(text[pos:s_end])
    positions.extend(range(pos, s_end))
    return "".join(parts), positions


def _role(m: re.Match[str], role: str, parties: list[Party]) -> dict[str, Any] | None:
    idx = m.groupdict().get(role)
    if idx is not None:
        party = parties[int(idx)]
        return {
            "text": party.text,
            "kind": party.kind,
            "entity_id": party.entity_id,
            "start": party.start,
            "end": party.end,
        }
    phrase = m.groupdict().get(f"{role}_phrase")
    if phrase:
        return {"text": phrase.strip(), "kind": "phrase", "entity_id": None}
    return None
