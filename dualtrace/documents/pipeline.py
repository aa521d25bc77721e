"""One document in, every finding out: mentions, parties, places, facts and relations.

Extractors run independently over the whole text; this module then settles
overlaps between kinds (a place inside a person's name is not a place, a number in a
model designation is not a quantity), hands the parties to the relation patterns
and returns the findings in text order, each ready to become a claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dualtrace.documents.facts import (
    find_dates,
    find_hs_codes,
    find_identifiers,
    find_money,
    find_products,
    find_quantities,
)
from dualtrace.documents.findings import Finding, dedupe
from dualtrace.documents.linking import PairScorer
from dualtrace.documents.mentions import Mention, NameIndex
from dualtrace.documents.parties import find_organisations, find_persons
from dualtrace.documents.places import find_places
from dualtrace.documents.relations import Party, find_relations, sentences
from dualtrace.documents.russian import find_russian_entities

# Han text has no word boundaries: a two-character list-name part inside a longer
# word ("中国" in 中国供应商) is not a name on its own.
_HAN = re.compile(r"[\u4e00-\u9fff]")
# Kinds whose spans win over an overlapping finding of the listed kinds.
_SHADOWS: dict[str, tuple[str, ...]] = {
    "identifier": ("product", "quantity", "date", "money"),
    "hs_code": ("product", "quantity", "date", "money"),
    "money": ("quantity", "product"),
    "date": ("quantity", "product"),
    "quantity": ("product",),
}


@dataclass(slots=True)
class Analysis:
    """What was found in one text."""

    mentions: list[Mention] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def values(self, kind: str) -> set[str]:
        return {f.value for f in self.findings if f.kind == kind}


def mention_findings(mentions: list[Mention]) -> list[Finding]:
    """Linked mentions as findings whose value is the linked entity id."""
    out: list[Finding] = []
    for m in mentions:
        best = m.best
        if best is None:
            continue
        also = [c.to_dict() for c in m.candidates[1:] if c.score >= best.score - 0.05]
        out.append(
            Finding(
                "mention",
                m.start,
                m.end,
                m.text,
                best.entity_id,
                f"automaton:{best.match}",
                best.score,
                {
                    "entity_name": best.name,
                    "schema": best.schema,
                    "datasets": best.datasets,
                    "reasons": best.reasons,
                    "also": also,
                },
            )
        )
    return out


def analyse(
    text: str, index: NameIndex | None = None, scorer: PairScorer | None = None
) -> Analysis:
    """Find everything in ``text``; ``index`` links names to loaded list entities."""
    spans = sentences(text)
    mentions = index.find(text, scorer) if index is not None else []
    raw: list[Finding] = [
        *mention_findings(mentions),
        *find_organisations(text),
        *find_persons(text),
        *find_places(text),
        *find_russian_entities(text),
        *find_identifiers(text),
        *find_hs_codes(text),
        *find_money(text),
        *find_quantities(text),
        *find_dates(text),
        *find_products(text, spans),
    ]
    findings = _settle_overlaps(dedupe(raw))
    relations = find_relations(text, _parties(findings))
    # Names that match a list name but did not link can still be parties ("Redlepus
    # supplied Kupol ..."); they are tried only where no relation was found with the
    # sure parties, because a capitalised word such as "Chinese" that happens to be
    # part of a listed name would otherwise break phrases like "Chinese suppliers".
    unlinked = [
        Finding("name", m.start, m.end, m.text, "", "automaton:unlinked", 0.5)
        for m in mentions
        if m.best is None and m.candidates and len(m.text) >= 4 and not _HAN.search(m.text)
    ]
    if unlinked:
        for extra in find_relations(text, _parties(findings + unlinked)):
            if not any(r.start < extra.end and extra.start < r.end for r in relations):
                relations.append(extra)
    findings.extend(relations)
    findings.sort(key=lambda f: (f.start, f.kind))
    return Analysis(mentions=mentions, findings=findings)


_NAMED = ("mention", "organization", "person", "place")


def _settle_overlaps(findings: list[Finding]) -> list[Finding]:
    """Drop findings that another, better finding of a competing kind overlaps.

    Among names (mentions, organisations, persons, places) a linked mention that
    covers a span wins; otherwise the more confident (then longer) finding wins, so
    natasha's "Фанис" as an organisation loses to "Фанис Гатауллин" after a title.
    Numbers inside identifiers, HS codes, money or dates are not quantities.
    """
    out: list[Finding] = []
    for f in findings:
        shadowed = False
        for g in findings:
            if g is f or g.kind == f.kind or not (g.start < f.end and f.start < g.end):
                continue
            if f.kind in _NAMED and g.kind in _NAMED:
                if f.kind == "mention":
                    continue
                if g.kind == "mention":
                    if g.start <= f.start and f.end <= g.end:
                        shadowed = True
                        break
                    continue
                if g.kind == "place" and f.kind != "place":
                    continue
                if (g.confidence, g.end - g.start) > (f.confidence, f.end - f.start) or (
                    f.kind == "place"
                ):
                    shadowed = True
                    break
            elif f.kind in _SHADOWS.get(g.kind, ()):
                shadowed = True
                break
        if not shadowed:
            out.append(f)
    return out


def _parties(findings: list[Finding]) -> list[Party]:
    """Non-overlapping party spans, longest first; a span holding a mention takes its entity.

    Russian names often run past the mention ("АО «ИЭМЗ «Купол»" with its closing
    quote), so the organisation span is the party and the mention inside it says
    which list entity it is.
    """
    kinds = ("mention", "organization", "person", "name")
    named = [f for f in findings if f.kind in kinds]
    chosen: list[Party] = []
    for f in sorted(named, key=lambda f: (-(f.end - f.start), kinds.index(f.kind))):
        if any(p.start < f.end and f.start < p.end for p in chosen):
            continue
        entity = f.value if f.kind == "mention" else None
        if entity is None:
            inner = [
                m for m in named if m.kind == "mention" and f.start <= m.start and m.end <= f.end
            ]
            if inner:
                entity = max(inner, key=lambda m: m.end - m.start).value
        chosen.append(Party(f.start, f.end, f.text, f.kind, entity))
    return sorted(chosen, key=lambda p: p.start)
