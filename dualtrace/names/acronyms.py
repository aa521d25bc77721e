"""Acronyms learned from the lists' own alias groups.

Lists give one entity several names, and the short and long forms of the same name
often sit side by side: "Акционерное Общество «Ижевский Электромеханический Завод
«Купол» (АО «ИЭМЗ «Купол»)". Each such pair teaches us an expansion (ИЭМЗ = Ижевский
электромеханический завод) that then also bridges names of *other* entities and
queries. A hand-written list would go stale and miss the Russian defence sector's
thousands of plant abbreviations; the lists keep them current.

Detection works on romanised raw tokens (before comparison-key folding, which merges
doubled letters): an acronym token's letters must be the initial letters of a run of
at least two consecutive tokens of another name of the same entity, where a long token
may also supply later letters in order (Э-М from "Электромеханический").

The same alias groups also teach word translations (завод = plant); the table learns
them alongside (:class:`~dualtrace.names.translations.TranslationTable`) so that a name
also gets a variant with its words translated into the lists' English ("Российский
квантовый центр" -> "russian quantum center"). Such variants are what lets retrieval
find an entity that a list names only in translation; like expanded acronyms they are
marked with a note, discounted in scoring and explained.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from dualtrace.names.normalize import NameForm
from dualtrace.names.translations import TranslationTable

MIN_ACRONYM = 3
MAX_ACRONYM = 7
# A token may supply more than its initial only when long enough to be a compound
# ("elektromekhanicheskiy"), which keeps ordinary words from absorbing letters.
COMPOUND_MIN = 9
MAX_EXPANSIONS = 4


def _consume(acr: str, pos: int, token: str) -> list[int]:
    """Acronym positions reachable after ``token`` supplies letters from ``pos``."""
    if not token or token[0] != acr[pos]:
        return []
    ends = [pos + 1]
    if len(token) >= COMPOUND_MIN:
        p, i = pos + 1, 1
        while p < len(acr):
            found = token.find(acr[p], i + 2)
            if found < 0:
                break
            p, i = p + 1, found
            ends.append(p)
    return ends


def _could_expand(acr: str, tokens: tuple[str, ...]) -> bool:
    """Cheap necessary condition: the acronym's first two letters start a run."""
    for i, tok in enumerate(tokens):
        if not tok or tok[0] != acr[0]:
            continue
        if i + 1 < len(tokens) and tokens[i + 1][:1] == acr[1]:
            return True
        if len(tok) >= COMPOUND_MIN and acr[1] in tok[2:]:
            return True
    return False


def find_expansion(acr: str, tokens: tuple[str, ...]) -> tuple[int, int] | None:
    """(start, end) of a run of ``tokens`` whose initials spell ``acr``, if any."""
    n = len(tokens)
    if n < 2 or not _could_expand(acr, tokens):
        return None
    for start in range(n):
        if tokens[start][:1] != acr[0]:
            continue
        # breadth-first over (token index, acronym position)
        frontier = {(start, 0)}
        while frontier:
            nxt: set[tuple[int, int]] = set()
            for idx, pos in frontier:
                if idx >= n:
                    continue
                for end_pos in _consume(acr, pos, tokens[idx]):
                    if end_pos == len(acr):
                        if idx + 1 - start >= 2:
                            return start, idx + 1
                    else:
                        nxt.add((idx + 1, end_pos))
            frontier = nxt
    return None


@dataclass
class AcronymTable:
    """Acronym key -> expansions (tuples of keys), each with the entity it came from."""

    expansions: dict[str, dict[tuple[str, ...], str]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    translations: TranslationTable = field(default_factory=TranslationTable)

    def learn(self, entity_id: str, forms: Iterable[NameForm]) -> int:
        """Learn expansions from one entity's names; returns how many were new."""
        # One form per name is enough: other romanisations give the same initials.
        firsts: dict[str, NameForm] = {}
        for f in forms:
            if f.raw_tokens and f.text not in firsts:
                firsts[f.text] = f
        # in text order: at most MAX_EXPANSIONS are kept per acronym, first come first
        # kept, and the store's order of one entity's names is not fixed
        forms = [firsts[text] for text in sorted(firsts)]
        self.translations.learn(forms)
        lowered = [tuple(t.lower() for t in f.raw_tokens) for f in forms]
        learned = 0
        for form in forms:
            for k, raw in enumerate(form.raw_tokens):
                acr = raw.lower()
                if not (MIN_ACRONYM <= len(acr) <= MAX_ACRONYM) or not acr.isalpha():
                    continue
                # an acronym whose comparison key lost letters to folding ("RQC" and
                # "RRK" both key to "rk") would expand other entities' acronyms
                if len(form.tokens[k]) != len(acr):
                    continue
                for other, raws in zip(forms, lowered, strict=True):
                    span = find_expansion(acr, raws)
                    if span is None:
                        continue
                    start, end = span
                    if other is form and start <= k < end:
                        continue
                    exp = other.tokens[start:end]
                    known = self.expansions[form.tokens[k]]
                    if exp not in known and len(known) < MAX_EXPANSIONS:
                        known[exp] = entity_id
                        learned += 1
        return learned

    def __len__(self) -> int:
        return sum(len(v) for v in self.expansions.values())

    def variants(self, tokens: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
        """Token sequences with acronyms expanded or expansions contracted.

        Each comes with a description for explanations ("ИЭМЗ = izevski
        elektromehaniceski zavod, learned from <entity>").
        """
        out: list[tuple[tuple[str, ...], str]] = []
        for i, tok in enumerate(tokens):
            for exp, source in self.expansions.get(tok, {}).items():
                out.append(
                    (
                        tokens[:i] + exp + tokens[i + 1 :],
                        f"{tok} = {' '.join(exp)} (learned from names of {source})",
                    )
                )
        if self._reverse:
            for i, tok in enumerate(tokens):
                for exp, acr in self._reverse.get(tok, ()):
                    if tokens[i : i + len(exp)] == exp:
                        out.append(
                            (
                                (*tokens[:i], acr, *tokens[i + len(exp) :]),
                                f"{' '.join(exp)} = {acr} (learned acronym)",
                            )
                        )
        if self.translations.translate:
            for seq, how in [(tokens, ""), *out[:MAX_EXPANSIONS]]:
                found = self.translations.translated(seq)
                if found is not None:
                    words = ", ".join(found[1])
                    prefix = f"{how}; " if how else ""
                    out.append((found[0], f"{prefix}translated {words} (learned from the lists)"))
        return out

    def freeze(self) -> None:
        """Build the reverse lookup (first expansion token -> expansions) after learning."""
        rev: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        for acr, exps in self.expansions.items():
            for exp in exps:
                rev[exp[0]].append((exp, acr))
        self._reverse = dict(rev)
        self.translations.freeze()

    _reverse: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
