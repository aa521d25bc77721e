"""Word translations learned from the lists' own multi-script alias groups.

Lists give one entity names in several scripts and languages, and many of those names
are translations, not transliterations: the EU lists "Нижегородский авиастроительный
завод «Сокол»" beside "Nizhny Novgorod Sokol Aircraft Plant", "Российский квантовый
центр" beside "Russian Quantum Center"; Chinese companies appear as "…实业（深圳）有限公司"
and "… Industry (Shenzhen) Co Ltd". Across thousands of entities the same word pairs
recur (завод = plant, квантовый = quantum, 实业 = industry, технологии = technologies),
so they can be learned the way statistical machine translation learns a lexicon:

1. For every two names of one entity, one written in a non-Latin script (or its
   romanisation) and one in Latin script, drop the words they share (same comparison
   key or same stem: the anchors, e.g. "Sokol") and keep the left-over words of each
   side as a sentence pair.
2. Run IBM Model 1 (expectation-maximisation over word alignment probabilities) in
   both directions on all sentence pairs, over *stems* so that Russian inflections
   ("квантовый", "квантового") and English plurals pool their evidence.
3. Keep a pair only when at least ``MIN_ENTITIES`` entities show it and each word is
   among the other's most probable translations in both directions; a single
   coincidence is never kept and descriptors that always travel together do not
   swallow each other's translations.

No hand-written dictionary is involved; what the table knows is what the loaded lists
say, so it grows with them. The result serves two uses: symmetric equivalences for the
scorer's token alignment (``equivalents``), and a directed source-word -> English-word
map (``translate``) from which :class:`~dualtrace.names.acronyms.AcronymTable` builds a
translated variant of a name so that retrieval finds candidates named only in
translation.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from dualtrace.names.normalize import NameForm

MIN_ENTITIES = 3
# Names with more left-over words than this are paraphrases, not word-for-word
# translations; they would only add noise.
MAX_LEFTOVER = 6
EM_ITERATIONS = 6
# Minimum translation probability in each direction for a pair to be kept.
MIN_PROBABILITY = 0.2
# A kept pair must be within this share of the best translation of one of its words.
NEAR_BEST = 0.8
# Words this short carry too little to translate safely ("i", "po", "na").
MIN_LETTERS = 3
_ENDINGS = re.compile(r"(?:ogo|ego|omu|emu|ami|iami|ih|im|om|em|am|ah|ai|ii|s|[aeiou])+$")
NULL = ""
# The learned sentence pairs of the last freeze -> its (equivalents, translate). The
# index learns the same alias groups twice; the estimate is a pure function of the
# sentences (order-independent, see ``_estimate``), so reusing it, even for another
# index with the very same sentences, cannot change a result.
_LAST_FREEZE: dict[
    tuple[frozenset[object], frozenset[object]],
    tuple[dict[str, frozenset[str]], dict[str, str]],
] = {}


@lru_cache(maxsize=262144)
def stem(key: str) -> str:
    """A comparison key without its inflectional ending ("kvantovii", "kvantovogo" -> "kvantov").

    Strips the Russian case/number endings and English plural -s as they look after
    key folding; keeps at least four letters so short words are left whole.
    """
    if len(key) <= 4 or key.isdigit():
        return key
    stripped = _ENDINGS.sub("", key)
    if len(stripped) < 4:
        return key[:4]
    return stripped


def _anchored(left: tuple[str, ...], right: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Words of each side not shared with the other (same key or same stem)."""
    lstems = {stem(t) for t in left}
    rstems = {stem(t) for t in right}
    shared = lstems & rstems
    return (
        [t for t in left if stem(t) not in shared],
        [t for t in right if stem(t) not in shared],
    )


def _most_common(words: Counter[str]) -> str:
    """The most frequent word; the alphabetically first among equally frequent ones."""
    return min(words.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _usable(token: str) -> bool:
    return len(token) >= MIN_LETTERS and not any(ch.isdigit() for ch in token)


@dataclass
class TranslationTable:
    """Word equivalences (comparison keys) learned from alias groups; see the module doc."""

    # learning state (cleared by ``freeze``)
    sentences: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=Counter)
    # Latin-script pairs (a romanised Russian name beside its English one), oriented
    # at ``freeze`` by which side looks like the non-Latin names' words
    unoriented: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=Counter)
    surface: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # results
    equivalents: dict[str, frozenset[str]] = field(default_factory=dict)
    translate: dict[str, str] = field(default_factory=dict)

    def learn(self, forms: Iterable[NameForm]) -> None:
        """Collect left-over word pairs between one entity's non-Latin and Latin names."""
        first: dict[str, NameForm] = {}
        for f in forms:
            if f.tokens and f.text not in first:
                first[f.text] = f
        # in text order, not the order the store returned the names in: which of two
        # Latin names is written first decides how their pair is oriented
        ordered = [first[text] for text in sorted(first)]
        sources = [f for f in ordered if f.system != "latin"]
        targets = [f for f in ordered if f.system == "latin"]
        pairs: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
        latin: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
        candidates = [(s, t, False) for s in sources for t in targets]
        candidates += [(a, b, True) for i, a in enumerate(targets) for b in targets[i + 1 :]]
        for src, tgt, both_latin in candidates:
            left, right = _anchored(src.tokens, tgt.tokens)
            if both_latin and len(left) == len(src.tokens):
                continue  # two Latin names need a shared anchor word to be comparable
            left = [t for t in left if _usable(t)]
            right = [t for t in right if _usable(t)]
            if not left or not right or max(len(left), len(right)) > MAX_LEFTOVER:
                continue
            for side, words in (("s:", left), ("t:", right)):
                for t in words:
                    self.surface[("l:" if both_latin else side) + stem(t)][t] += 1
            pair = (tuple(stem(t) for t in left), tuple(stem(t) for t in right))
            (latin if both_latin else pairs).add(pair)
        # once per entity: a list repeating one pair of names is one piece of evidence
        self.sentences.update(pairs)
        self.unoriented.update(latin)

    def _orient(self) -> None:
        """Add the Latin-script pairs, the side more often seen as a source word first."""
        source_words: Counter[str] = Counter()
        for src, _ in self.sentences:
            source_words.update(src)
        for (a, b), n in sorted(self.unoriented.items()):
            a_score = sum(source_words[w] for w in a)
            b_score = sum(source_words[w] for w in b)
            src, tgt = (b, a) if b_score > a_score else (a, b)
            self.sentences[src, tgt] += n
            for w in src:
                self.surface["s:" + w].update(self.surface.get("l:" + w, Counter({w: 1})))
            for w in tgt:
                self.surface["t:" + w].update(self.surface.get("l:" + w, Counter({w: 1})))
        self.unoriented = Counter()

    @staticmethod
    def _model1(
        pairs: list[tuple[tuple[str, ...], tuple[str, ...], int]],
    ) -> dict[tuple[str, str], float]:
        """IBM Model 1: p(target word | source word) by EM, with a NULL source word."""
        prob: dict[tuple[str, str], float] = {}
        for src, tgt, _ in pairs:
            for s in (*src, NULL):
                for t in tgt:
                    prob[s, t] = 1.0
        for _ in range(EM_ITERATIONS):
            counts: dict[tuple[str, str], float] = defaultdict(float)
            totals: dict[str, float] = defaultdict(float)
            for src, tgt, weight in pairs:
                srcs = (*src, NULL)
                for t in tgt:
                    norm = sum(prob[s, t] for s in srcs)
                    for s in srcs:
                        c = weight * prob[s, t] / norm
                        counts[s, t] += c
                        totals[s] += c
            prob = {k: v / totals[k[0]] for k, v in counts.items()}
        return prob

    def freeze(self) -> None:
        """Estimate translation probabilities and keep the well-supported word pairs.

        The screening index learns the same alias groups twice (for the scorer's
        equivalences and for the acronym table's translated variants); the estimate
        is a pure function of what was learned, so the second freeze reuses the first.
        """
        key = (frozenset(self.sentences.items()), frozenset(self.unoriented.items()))
        cached = _LAST_FREEZE.get(key)
        if cached is not None:
            self.equivalents, self.translate = cached
        else:
            self._estimate()
            _LAST_FREEZE.clear()
            _LAST_FREEZE[key] = (self.equivalents, self.translate)
        self.sentences = Counter()
        self.unoriented = Counter()
        self.surface = defaultdict(Counter)

    def _estimate(self) -> None:
        self._orient()
        # sorted: floating-point sums and ties must not depend on hash or load order
        data = sorted((s, t, n) for (s, t), n in self.sentences.items())
        forward = self._model1(data)  # p(english stem | source stem)
        backward = self._model1([(t, s, n) for s, t, n in data])  # p(source | english)
        support: Counter[tuple[str, str]] = Counter()
        for (src, tgt), n in self.sentences.items():
            for pair in {(s, t) for s in src for t in tgt}:
                support[pair] += n
        best_fwd: dict[str, float] = defaultdict(float)
        best_bwd: dict[str, float] = defaultdict(float)
        for (s, _t), p in forward.items():
            best_fwd[s] = max(best_fwd[s], p)
        for (t, _s), p in backward.items():
            best_bwd[t] = max(best_bwd[t], p)
        kept: list[tuple[str, str, float]] = []
        for (s, t), n in sorted(support.items()):
            if n < MIN_ENTITIES or s == t:
                continue
            pf = forward.get((s, t), 0.0)
            pb = backward.get((t, s), 0.0)
            if pf < MIN_PROBABILITY or pb < MIN_PROBABILITY:
                continue
            if pf < NEAR_BEST * best_fwd[s] and pb < NEAR_BEST * best_bwd[t]:
                continue
            kept.append((s, t, pf * pb))
        eq: dict[str, set[str]] = defaultdict(set)
        best_target: dict[str, tuple[float, str]] = {}
        for s, t, p in kept:
            s_words = self.surface.get("s:" + s, Counter({s: 1}))
            t_words = self.surface.get("t:" + t, Counter({t: 1}))
            for x in s_words:
                eq[x].update(t_words)
            for y in t_words:
                eq[y].update(s_words)
            if p > best_target.get(s, (0.0, ""))[0]:
                best_target[s] = (p, _most_common(t_words))
        self.equivalents = {k: frozenset(v) for k, v in eq.items()}
        self.translate = {s: t for s, (_, t) in best_target.items()}

    def translated(self, tokens: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]] | None:
        """``tokens`` with every learned source word replaced by its English word.

        Returns the new tokens and the "source = target" substitutions made, or None
        when no word has a learned translation. (Requiring half of the words to be
        translated lost more held-out recall than it saved false positives.)
        """
        if not self.translate:
            return None
        out: list[str] = []
        done: list[str] = []
        for tok in tokens:
            target = self.translate.get(stem(tok))
            if target is None or target == tok:
                out.append(tok)
            else:
                out.append(target)
                done.append(f"{tok} = {target}")
        if not done:
            return None
        return tuple(out), done

    def __len__(self) -> int:
        return sum(len(v) for v in self.equivalents.values()) // 2
