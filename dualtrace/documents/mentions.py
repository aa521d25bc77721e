"""Finding every known entity's names in a long text with one Aho-Corasick automaton.

All names and aliases of all loaded entities are normalised (:mod:`textnorm`) and
put into a single pyahocorasick automaton as token sequences, together with their
legal-form-free *core* ("IEMZ Kupol" for "AO IEMZ KUPOL") and, for organisations,
the prefixes and suffixes of the core that carry a rare token ("Kupol",
"Redlepus TSK Vector Industrial"). One pass over the normalised text finds every
occurrence of every key, however many hundreds of thousands of names there are;
the longest non-overlapping matches become mentions, and each mention's candidate
entities are scored (:mod:`linking`) with reasons.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import ahocorasick
from rigour.text import is_stopword

from dualtrace.documents.linking import LinkCandidate, PairScore, PairScorer, pair_scorer
from dualtrace.documents.textnorm import name_tokens, strip_org_types, tokenize

ORG_SCHEMATA = frozenset(
    {"Organization", "Company", "LegalEntity", "PublicBody", "Airplane", "Vessel", "Asset"}
)
PERSON_SCHEMATA = frozenset({"Person"})
# A token in the names of at most this many entities is distinctive enough that a
# name part containing it may stand for the whole name ("Kupol").
RARE_ENTITIES = 3
MIN_SHORT_TOKEN = 4
LINK_THRESHOLD = 0.7
# Score given to a word-for-word multi-word name match, to a mention that anchors
# short forms elsewhere in the document, and to such a short form.
MULTIWORD_EXACT = 0.9
# Below this screening score a word-for-word match is not boosted: screening vetoes it.
SCREENING_VETO = 0.3
ANCHOR_SCORE = 0.7
COREF_SCORE = 0.88
MAX_CANDIDATES = 5
FULL, CORE, PARTIAL = 0, 1, 2
MATCH_KINDS = ("full", "core", "partial")
_LATIN_LOWER = re.compile(r"^[a-z]")


@dataclass(frozen=True, slots=True)
class NameEntry:
    """One name of one list entity, as loaded from the store or given directly."""

    entity_id: str
    schema: str
    name: str
    dataset: str


@dataclass(slots=True)
class Mention:
    """A span of a document that names a known entity, with ranked candidates."""

    start: int
    end: int
    text: str
    candidates: list[LinkCandidate] = field(default_factory=list)

    @property
    def best(self) -> LinkCandidate | None:
        """The linked entity: the top candidate if it clears the link threshold."""
        if self.candidates and self.candidates[0].score >= LINK_THRESHOLD:
            return self.candidates[0]
        return None

    def to_dict(self) -> dict[str, Any]:
        best = self.best
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "entity_id": best.entity_id if best else None,
            "score": round(best.score, 3) if best else None,
            "candidates": [c.to_dict() for c in self.candidates],
        }


class NameIndex:
    """The automaton over all names, and what each key stands for."""

    def __init__(self, entries: Iterable[NameEntry]) -> None:
        self.entries: list[NameEntry] = []
        self.entity_datasets: dict[str, set[str]] = defaultdict(set)
        names: list[tuple[int, list[str], list[str]]] = []
        token_entities: dict[str, set[str]] = defaultdict(set)
        for entry in entries:
            full = name_tokens(entry.name)
            if not full:
                continue
            idx = len(self.entries)
            self.entries.append(entry)
            self.entity_datasets[entry.entity_id].add(entry.dataset)
            core = strip_org_types(entry.name) if entry.schema not in PERSON_SCHEMATA else full
            names.append((idx, full, core or full))
            for tok in set(core or full):
                token_entities[tok].add(entry.entity_id)
        self.rare = {t for t, ents in token_entities.items() if len(ents) <= RARE_ENTITIES}
        self.key_targets: list[list[tuple[int, int, int]]] = []
        self.key_lengths: list[int] = []
        keys: dict[str, int] = {}
        automaton = ahocorasick.Automaton()

        def add(tokens: list[str] | tuple[str, ...], idx: int, kind: int, covered: int) -> None:
            key = " " + " ".join(tokens) + " "
            slot = keys.get(key)
            if slot is None:
                slot = len(self.key_targets)
                keys[key] = slot
                self.key_targets.append([])
                self.key_lengths.append(len(key))
                automaton.add_word(key, slot)
            self.key_targets[slot].append((idx, kind, covered))

        for idx, full, core in names:
            schema = self.entries[idx].schema
            if len(full) == 1 and (len(full[0]) < 3 or is_stopword(full[0])):
                continue
            add(full, idx, FULL, len(full))
            if schema in PERSON_SCHEMATA:
                for variant in _person_orders(full):
                    add(variant, idx, CORE, len(variant))
                continue
            if core != full:
                add(core, idx, CORE, len(core))
            if schema in PERSON_SCHEMATA or len(core) < 2:
                continue
            for n in range(1, len(core)):
                for part in (core[:n], core[-n:]):
                    if not any(t in self.rare for t in part):
                        continue
                    if n == 1 and (len(part[0]) < MIN_SHORT_TOKEN or part[0].isdigit()):
                        continue
                    add(part, idx, PARTIAL, n)
        automaton.make_automaton()
        self.automaton = automaton
        self.core_len = {idx: len(core) for idx, _, core in names}
        self.size = len(keys)

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, text: str, scorer: PairScorer | None = None) -> list[Mention]:
        """Mentions of indexed entities in ``text``, longest match first, scored and linked."""
        tokens = tokenize(text)
        if not tokens:
            return []
        parts: list[str] = [" "]
        starts: list[int] = []
        pos = 1
        for tok in tokens:
            starts.append(pos)
            parts.append(tok.norm)
            parts.append(" ")
            pos += len(tok.norm) + 1
        haystack = "".join(parts)
        spans: dict[tuple[int, int], list[int]] = defaultdict(list)
        for end, slot in self.automaton.iter(haystack):
            first = bisect.bisect_left(starts, end - self.key_lengths[slot] + 2)
            last = bisect.bisect_right(starts, end) - 1
            spans[(first, last)].append(slot)
        chosen = _longest_non_overlapping(spans)
        scorer = scorer or pair_scorer()
        cache: dict[tuple[str, str, str], PairScore] = {}
        mentions: list[Mention] = []
        for first, last in chosen:
            start, stop = tokens[first].start, tokens[last].end
            surface = text[start:stop]
            slots = spans[(first, last)]
            if not _plausible_surface(text, start, stop, slots, self):
                continue
            candidates = self._candidates(surface, slots, scorer, cache)
            mentions.append(Mention(start, stop, surface, candidates))
        _apply_document_context(mentions)
        return [m for m in mentions if m.candidates]

    def _candidates(
        self,
        surface: str,
        slots: list[int],
        scorer: PairScorer,
        cache: dict[tuple[str, str, str], PairScore],
    ) -> list[LinkCandidate]:
        best: dict[str, LinkCandidate] = {}
        entities_for_span = {
            self.entries[idx].entity_id for slot in slots for idx, _, _ in self.key_targets[slot]
        }
        for slot in slots:
            for idx, kind, covered in self.key_targets[slot]:
                entry = self.entries[idx]
                key = (surface, entry.name, entry.schema)
                pair = cache.get(key)
                if pair is None:
                    pair = cache[key] = scorer(surface, entry.name, entry.schema)
                reasons = list(pair.reasons)
                score = pair.score
                core_len = self.core_len.get(idx, covered)
                if kind == FULL:
                    reasons.insert(0, f"exact listed name {entry.name!r}")
                elif kind == CORE:
                    reasons.insert(0, f"listed name {entry.name!r} without its legal form")
                else:
                    reasons.insert(
                        0, f"part of listed name {entry.name!r} ({covered} of {core_len} words)"
                    )
                if kind != PARTIAL and covered >= 2 and score >= SCREENING_VETO:
                    # A multi-word listed name found word for word is stronger evidence
                    # than a name-only screening score credits.
                    score = max(score, MULTIWORD_EXACT)
                if len(entities_for_span) > 1:
                    reasons.append(
                        f"{len(entities_for_span) - 1} other listed entities have this name"
                        + (" part" if kind == PARTIAL else "")
                    )
                current = best.get(entry.entity_id)
                if current is None or score > current.score:
                    best[entry.entity_id] = LinkCandidate(
                        entity_id=entry.entity_id,
                        schema=entry.schema,
                        name=entry.name,
                        datasets=sorted(self.entity_datasets[entry.entity_id]),
                        score=min(score, 1.0),
                        match=MATCH_KINDS[kind],
                        reasons=reasons,
                    )
        ranked = sorted(best.values(), key=lambda c: (-c.score, c.entity_id))
        return ranked[:MAX_CANDIDATES]


def _person_orders(tokens: list[str]) -> list[tuple[str, ...]]:
    """Word orders a person's name appears in: 'PUTIN, Vladimir V.' is 'Vladimir Putin'."""
    out: set[tuple[str, ...]] = set()
    if len(tokens) >= 2:
        out.add(tuple(reversed(tokens)))
    if len(tokens) >= 3:
        out.update({(tokens[1], tokens[0]), (tokens[0], tokens[-1]), (tokens[-1], tokens[0])})
    out.discard(tuple(tokens))
    return sorted(out)


def _longest_non_overlapping(spans: dict[tuple[int, int], list[int]]) -> list[tuple[int, int]]:
    """Greedy leftmost-longest selection of token spans."""
    taken: set[int] = set()
    chosen: list[tuple[int, int]] = []
    for first, last in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if any(i in taken for i in range(first, last + 1)):
            continue
        taken.update(range(first, last + 1))
        chosen.append((first, last))
    return sorted(chosen)


def _plausible_surface(
    text: str, start: int, stop: int, slots: list[int], index: NameIndex
) -> bool:
    """Whether a match can be a name at all, before any scoring.

    "report" or "vector" in running text are words, not the companies called REPORT
    or VECTOR (lower-case Latin words only count as a whole multi-word listed name);
    "A1" inside "Garpiya-A1" is part of a designation, not the company A1.
    """
    if start > 1 and text[start - 1] in "-/" and text[start - 2].isalnum():
        return False
    if stop + 1 < len(text) and text[stop] in "-/" and text[stop + 1].isalnum():
        return False
    surface = text[start:stop]
    if not _LATIN_LOWER.match(surface):
        return True
    return any(kind == FULL for slot in slots for _, kind, _ in index.key_targets[slot]) and (
        " " in surface.strip()
    )


def _apply_document_context(mentions: list[Mention]) -> None:
    """A short form of an entity named in full elsewhere in the same text is that entity.

    "Kupol" alone scores low against "JSC IEMZ KUPOL"; after "IEMZ Kupol" has been
    linked in the same document, a later "Kupol" whose words all occur in that
    anchor mention refers to the same company.
    """
    anchors: dict[str, Mention] = {}
    for m in mentions:
        for c in m.candidates:
            if c.score >= ANCHOR_SCORE and c.entity_id not in anchors:
                anchors[c.entity_id] = m
    for m in mentions:
        words = set(name_tokens(m.text))
        changed = False
        for c in m.candidates:
            anchor = anchors.get(c.entity_id)
            if anchor is None or anchor is m or c.match != "partial" or c.score >= COREF_SCORE:
                continue
            if not words or not words <= set(name_tokens(anchor.text)):
                continue
            c.score = COREF_SCORE
            c.reasons.append(
                f"short form of {anchor.text!r}, linked at chars {anchor.start}-{anchor.end} "
                "of the same document"
            )
            changed = True
        if changed:
            m.candidates.sort(key=lambda c: (-c.score, c.entity_id))
