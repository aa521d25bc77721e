"""Organisations and persons a text names, found by their legal forms and by context.

Organisations are recognised by what only organisations carry: a legal form in
Latin, Cyrillic or Han script (JSC ..., ... Co., Ltd, ООО «...», АО «ИЭМЗ «Купол»»,
...有限公司), an institutional head noun (Institute, Centre, Ministry, Bureau), an
introduction ("a company named ...") or a business noun right before the name ("the
state-owned defense firm Almaz-Antey"). English persons are recognised by the way
reports introduce them (a title before, or an apposition such as ", a research
fellow" after); Russian persons and organisations also come from natasha's NER
(:mod:`russian`), which runs offline with the models in its package.
"""

from __future__ import annotations

import re

from dualtrace.documents.findings import Finding

_CAP = r"(?:[A-Z][\w'&.-]*|[A-Z]{2,}|\d+[\w-]*)"
_CAP_SEQ = rf"{_CAP}(?:\s+(?:{_CAP}|of|for|and|the|de|a|&))*"
LEGAL_PREFIX = r"JSC|OJSC|PJSC|CJSC|OAO|ZAO|PAO|AO|OOO|LLC|FGUP|NPO|NPP"
LEGAL_SUFFIX = (
    r"Co\.,?\s*Ltd\.?|Company\s+Limited|Co\.\s*Limited|Ltd\.?|LLC|L\.L\.C\.|Inc\.?|Corp\.?|"
    r"Corporation|GmbH|AG|S\.A\.|B\.V\.|LLP|PLC|JSC|Limited|OOO|FZE|FZCO|DMCC"
)
_ORG_PREFIX = re.compile(rf"\b(?P<form>{LEGAL_PREFIX})\s+(?P<name>{_CAP}(?:\s+{_CAP}){{0,4}})")
_ORG_SUFFIX = re.compile(
    rf"(?P<name>{_CAP}(?:\s+(?:{_CAP}|\(\s*{_CAP}\s*\))){{0,6}}),?\s+(?P<form>{LEGAL_SUFFIX})(?!\w)"
)
HEAD_NOUNS = (
    r"Institute|Centre|Center|Ministry|Department|Agency|Bureau|Corporation|Company|Plant|"
    r"Factory|Concern|Holding|Group|University|Academy|Council|Committee|Directorate|"
    r"Service|Administration|Authority|Association|Enterprise|Works|Laboratory|Bank"
)
_ORG_HEAD = re.compile(
    rf"(?P<name>(?:(?:the\s+)?(?:[A-Z][\w.'-]*\s+)+(?:of|for|and)\s+(?:a\s+|the\s+)?)?"
    rf"(?:[A-Z][\w.'-]*\s+){{0,5}}(?:{HEAD_NOUNS})"
    rf"(?:\s+(?:of|for|on)\s+(?:a\s+|the\s+)?(?:[A-Z][\w'-]*)(?:\s+(?:and\s+)?[A-Z][\w'-]*){{0,4}})?)"
)
_ORG_NAMED = re.compile(
    rf"\b(?:company|firm|supplier|manufacturer|entity|subsidiary|intermediary|enterprise)\s+"
    rf"(?:named|called|known\s+as)\s+(?P<name>{_CAP}(?:\s+{_CAP}){{0,6}})"
)
# A common noun for a business directly before a capitalised name, inside a noun phrase:
# "the Russian state-owned defense firm Almaz-Antey", "a Chinese company Redlepus". Case
# matters: the noun is lower case and the name capitalised, so "the firm said" is no name.
_ORG_APPOSED = re.compile(
    r"\b(?:the|a|an|its|another)\s+(?:[\w-]+\s+){0,4}?"
    r"(?:firm|company|manufacturer|maker|supplier|contractor|producer|conglomerate|concern|"
    r"holding|enterprise|intermediary|distributor|trader|exporter|importer|developer|"
    rf"subsidiary|affiliate)\s+(?P<name>{_CAP}(?:\s+{_CAP}){{0,4}})"
)
# Russian legal forms, short and spelled out, before a quoted or capitalised name.
RU_FORMS = (
    r"ООО|АО|ОАО|ЗАО|ПАО|НАО|НПО|НПП|ФГУП|ФГБУ|ГУП|МУП|АНО|ТОО|ИП|"
    r"Общество с ограниченной ответственностью|Акционерное общество|"
    r"Публичное акционерное общество|Закрытое акционерное общество|"
    r"Открытое акционерное общество|Концерн|Корпорация"
)
_RU_ORG = re.compile(rf"(?<![А-Яа-яЁё])(?P<form>{RU_FORMS})\s*(?=[«\"„“A-ZА-ЯЁ])")
_RU_CAP_WORDS = re.compile(r"(?:[А-ЯЁA-Z][\wА-Яа-яЁё-]*)(?:\s+[А-ЯЁA-Z][\wА-Яа-яЁё-]*){0,3}")
# Chinese company names end in a legal form; what precedes it back to a function
# word or punctuation is the name (深圳市红兔科技有限公司).
ZH_FORMS = r"股份有限公司|有限责任公司|有限公司|集团公司|集团|研究所|研究院|公司|厂"
_ZH_ORG = re.compile(rf"(?P<name>[\u4e00-\u9fff（）()]{{2,30}}?(?:{ZH_FORMS}))")
_ZH_STOP = set("向与和及由从的是在将对给为被把经同跟了于以并或其该此请即已")
# Words that start a sentence or a name-like phrase but are not part of a name.
_LEADING_NOISE = re.compile(r"^(?:The|A|An|This|That|These|Both|Neither|Nor|Since|When|While)\s+")

PERSON_TITLES = (
    r"President|Prime\s+Minister|Minister|Director|General\s+Director|Chairman|CEO|Mr\.?|"
    r"Mrs\.?|Ms\.?|Dr\.?|Professor|Prof\.?|Colonel|General|Senator|Deputy|Ambassador"
)
_GIVEN_FAMILY = (
    r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?:\s+[A-Z]\.)?\s+(?:[A-Z][a-z]+(?:-[A-Z][a-z]+)?|[A-Z]{2,})"
)
_PERSON_TITLE = re.compile(rf"\b(?:{PERSON_TITLES})\s+(?P<name>{_GIVEN_FAMILY})\b")
_PERSON_APPOS = re.compile(
    rf"(?<![\w.])(?P<name>{_GIVEN_FAMILY}),\s+(?:an?|the)\s+(?:[\w.-]+\s+){{0,4}}?"
    r"(?:fellow|researcher|analyst|director|inspector|head|expert|official|spokesman|"
    r"spokeswoman|spokesperson|professor|engineer|chief|founder|owner|manager|minister|"
    r"president|chairman|executive|lawyer|journalist|scientist|specialist|adviser|advisor)\b"
)
_PERSON_SAID = re.compile(
    rf"(?<![\w.])(?P<name>{_GIVEN_FAMILY})\s+(?:said|says|told|stated|remarked|added|wrote|noted)\b"
)
_HAN_CHAR = re.compile(r"[\u4e00-\u9fff]")
_RU_PERSON = re.compile(
    r"(?:[Гг]енеральн\w+\s+директор\w*|[Дд]иректор\w*|[Пп]редседател\w+|[Мм]инистр\w*|"
    r"[Пп]резидент\w*|[Гг]лав\w+|[Вв]ладел\w+|[Уу]чредител\w+)\s+"
    r"(?P<name>[А-ЯЁ][а-яё]+(?:\s+[А-ЯЁ][а-яё]+){1,2})"
)
_ZH_PERSON = re.compile(
    r"(?:法定代表人|总经理|董事长|负责人|联系人)\s*[:：]?\s*(?P<name>[\u4e00-\u9fff]{2,4})"
)


def _finding(
    kind: str, text: str, start: int, end: int, method: str, conf: float, **details: str
) -> Finding | None:
    surface = text[start:end]
    lead = _LEADING_NOISE.match(surface)
    if lead:
        start += lead.end()
        surface = text[start:end]
    stripped = surface.rstrip(" ,.;:")
    end = start + len(stripped)
    if len(stripped) < (2 if _HAN_CHAR.match(stripped) else 3):
        return None
    return Finding(
        kind, start, end, stripped, " ".join(stripped.split()), method, conf, dict(details)
    )


def find_organisations(text: str) -> list[Finding]:
    """Organisation names with legal forms (Latin, Cyrillic, Han) or institutional heads.

    Patterns run sentence by sentence: a name never spans a full stop that ends a
    sentence ("... TSK Vektor. Shenzhen Juhang ... Co. Ltd" is two names).
    """
    from dualtrace.documents.relations import sentences

    out: list[Finding] = []
    for start, end in sentences(text):
        for f in _organisations_in(text[start:end]):
            f.start += start
            f.end += start
            out.append(f)
    return out


def _organisations_in(text: str) -> list[Finding]:
    out: list[Finding] = []
    for m in _ORG_PREFIX.finditer(text):
        f = _finding(
            "organization", text, m.start(), m.end(), "legal-form", 0.85, legal_form=m.group("form")
        )
        if f:
            out.append(f)
    for m in _ORG_SUFFIX.finditer(text):
        f = _finding(
            "organization", text, m.start(), m.end(), "legal-form", 0.85, legal_form=m.group("form")
        )
        if f:
            out.append(f)
    for m in _ORG_HEAD.finditer(text):
        name = m.group("name")
        if len(name.split()) < 2:
            continue
        f = _finding("organization", text, m.start("name"), m.end("name"), "head-noun", 0.7)
        if f:
            out.append(f)
    for m in _ORG_NAMED.finditer(text):
        f = _finding("organization", text, m.start("name"), m.end("name"), "introduced", 0.75)
        if f:
            out.append(f)
    for m in _ORG_APPOSED.finditer(text):
        f = _finding("organization", text, m.start("name"), m.end("name"), "apposed", 0.65)
        if f:
            out.append(f)
    for m in _RU_ORG.finditer(text):
        end = _ru_name_end(text, m.end())
        if end is None:
            continue
        f = _finding(
            "organization", text, m.start(), end, "legal-form", 0.85, legal_form=m.group("form")
        )
        if f:
            out.append(f)
    for m in _ZH_ORG.finditer(text):
        start, end = m.span("name")
        while start < end and text[start] in _ZH_STOP:
            start += 1
        for stop_char in _ZH_STOP:
            cut = text.rfind(stop_char, start, end - 2)
            if cut >= 0:
                start = max(start, cut + 1)
        if end - start < 4:
            continue
        out.append(
            Finding(
                "organization",
                start,
                end,
                text[start:end],
                text[start:end],
                "legal-form",
                0.8,
                {"legal_form": _zh_form(text[start:end])},
            )
        )
    return out


def _zh_form(name: str) -> str:
    m = re.search(rf"(?:{ZH_FORMS})$", name)
    return m.group(0) if m else ""


def _ru_name_end(text: str, pos: int) -> int | None:
    """End of a Russian org name after its legal form: a (nested) quoted name or capitals.

    Russian typography nests quotes and often merges the closing ones
    (АО «ИЭМЗ «Купол»), so quotes are balanced by counting, ending at the last
    closing quote before the sentence goes on.
    """
    if pos >= len(text):
        return None
    if text[pos] in '«"„“':
        depth = 0
        last_close = None
        limit = min(len(text), pos + 200)
        i = pos
        while i < limit:
            ch = text[i]
            if ch in "«„":
                depth += 1
            elif ch in "»“”" or (ch == '"' and depth > 0):
                depth -= 1
                last_close = i + 1
                nxt = text[i + 1] if i + 1 < len(text) else ""
                if depth <= 0 or not (nxt in '»“”"' or nxt.isalnum()):
                    return i + 1
            elif ch == '"':
                depth += 1
            elif ch in "\n.;" and last_close is not None:
                return last_close
            i += 1
        return last_close
    m = _RU_CAP_WORDS.match(text, pos)
    return m.end() if m else None


def find_persons(text: str) -> list[Finding]:
    """English persons introduced by title, apposition or a reporting verb; Chinese by role."""
    out: list[Finding] = []
    for pattern, method, conf in (
        (_PERSON_TITLE, "title", 0.85),
        (_PERSON_APPOS, "apposition", 0.8),
        (_PERSON_SAID, "reporting-verb", 0.7),
        (_ZH_PERSON, "role", 0.75),
        (_RU_PERSON, "title", 0.85),
    ):
        for m in pattern.finditer(text):
            name = m.group("name")
            if re.search(rf"\b(?:{HEAD_NOUNS}|State|Department|Reuters)\b", name):
                continue
            f = _finding("person", text, m.start("name"), m.end("name"), method, conf)
            if f:
                out.append(f)
    return out
