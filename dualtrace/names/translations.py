"""Word translations learned from the lists' own alias groups.

Russian entities are listed under romanised and translated names side by side: OFAC
gives "AKTSIONERNOE OBSHCHESTVO ZAVOD ELEKON" and "AO ZAVOD ELEKON", the EU
"JSC Research and Production Enterprise Radar MMS" beside "научно-производственное
предприятие «Радар ММС»". Once the shared distinctive words (Elekon, Radar, MMS) are
aligned, the words left over on each side are translations of each other (zavod =
plant, nauchno proizvodstvennoe predpriiatie = research production enterprise).
Counting such leftovers over thousands of entities keeps the pairs many entities agree
on; a single coincidence is never kept. This is how "Научно-Производственное
Предприятие «Пульсар»" finds "Scientific and Production Enterprise Pulsar" without a
hand-written dictionary.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from dualtrace.names.normalize import NameForm

MIN_ENTITIES = 3
MAX_LEFTOVER = 3
# A pair must account for this share of the most frequent pairing of either word.
DOMINANCE = 0.3


def _leftovers(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[list[str], list[str]] | None:
    """Unshared words of two names of one entity, if they share an anchor word."""
    shared = set(a) & set(b)
    if not shared:
        return None
    left = [t for t in a if t not in shared]
    right = [t for t in b if t not in shared]
    if not left or len(left) != len(right) or len(left) > MAX_LEFTOVER:
        return None
    return left, right


@dataclass
class TranslationTable:
    """Symmetric word equivalences (comparison keys) learned from alias groups."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    equivalents: dict[str, frozenset[str]] = field(default_factory=dict)

    def learn(self, forms: Iterable[NameForm]) -> None:
        """Count leftover pairs between every two names of one entity (once each)."""
        keyed = {f.tokens for f in forms if f.tokens}
        pairs: set[tuple[str, str]] = set()
        names = sorted(keyed)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                found = _leftovers(a, b)
                if found is None:
                    continue
                for x, y in zip(*found, strict=True):
                    if x != y and not x.isdigit() and not y.isdigit():
                        pairs.add((x, y) if x < y else (y, x))
        self.counts.update(pairs)

    def freeze(self) -> None:
        """Keep pairs seen for enough entities and dominant for both of their words."""
        best: dict[str, int] = defaultdict(int)
        for (x, y), n in self.counts.items():
            best[x] = max(best[x], n)
            best[y] = max(best[y], n)
        eq: dict[str, set[str]] = defaultdict(set)
        for (x, y), n in self.counts.items():
            if n >= MIN_ENTITIES and n >= DOMINANCE * best[x] and n >= DOMINANCE * best[y]:
                eq[x].add(y)
                eq[y].add(x)
        self.equivalents = {k: frozenset(v) for k, v in eq.items()}
        self.counts = Counter()

    def __len__(self) -> int:
        return sum(len(v) for v in self.equivalents.values()) // 2
