"""Russian named entities with natasha (slovnet NER, navec embeddings, pymorphy lemmas).

natasha ships its models inside its wheel, so this runs offline; nothing is fetched
at run time. Lemmatising turns inflected mentions into dictionary forms
("в Ижевске" -> "Ижевск", "концерна" forms), which is what a claim should carry.
The models load once per process (about a second) and only for texts that contain
Cyrillic.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from dualtrace.documents.findings import Finding

_KIND = {"PER": "person", "ORG": "organization", "LOC": "place"}
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
MAX_CHARS = 2_000_000


@functools.cache
def _models() -> tuple[Any, Any, Any, Any, Any]:
    from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter

    embedding = NewsEmbedding()
    return (
        Segmenter(),
        NewsNERTagger(embedding),
        NewsMorphTagger(embedding),
        MorphVocab(),
        embedding,
    )


def has_russian(text: str, min_share: float = 0.05) -> bool:
    """Whether enough of the text is Cyrillic to be worth running the Russian models."""
    sample = text[:50_000]
    letters = sum(1 for ch in sample if ch.isalpha()) or 1
    return len(_CYRILLIC.findall(sample)) / letters >= min_share


def find_russian_entities(text: str) -> list[Finding]:
    """Persons, organisations and places natasha finds, with lemmatised values."""
    if not has_russian(text):
        return []
    from natasha import Doc

    segmenter, ner, morph, vocab, _ = _models()
    out: list[Finding] = []
    for offset in range(0, min(len(text), MAX_CHARS), 100_000):
        chunk = text[offset : offset + 100_000]
        doc = Doc(chunk)
        doc.segment(segmenter)
        doc.tag_ner(ner)
        doc.tag_morph(morph)
        for span in doc.spans:
            kind = _KIND.get(span.type)
            if kind is None:
                continue
            try:
                span.normalize(vocab)
                value = span.normal or span.text
            except (AttributeError, KeyError, ValueError):
                value = span.text
            if kind == "organization":
                value = span.text  # natasha's normal forms of org names drop their quotes
            out.append(
                Finding(
                    kind,
                    offset + span.start,
                    offset + span.stop,
                    span.text,
                    value,
                    "natasha-ner",
                    0.75,
                )
            )
    return out
