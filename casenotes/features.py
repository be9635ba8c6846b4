"""Named features for each hazard mention: what the classifier sees and an analyst can read.

Pure Python over :class:`~casenotes.types.NoteFindings` and the note text. Every feature is a
name with the value 1.0 (or a small count), such as ``"cue=negated:before:0-1"`` or
``"L1=report"``, so ``explain`` can say why in words.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from typing import Final

from .types import Mention, NoteFindings

Features = dict[str, float]

#: Feature-set version: bump when features change, so older models are refused.
FEATURES_VERSION: Final = 2
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_CLAUSE_WORDS: Final = 30


def distance_bucket(distance: int) -> str:
    """Coarse distance in tokens: 0-1, 2-3, 4-6, 7+."""
    if distance <= 1:
        return "0-1"
    if distance <= 3:
        return "2-3"
    if distance <= 6:
        return "4-6"
    return "7+"


def _position_bucket(index: int) -> str:
    """Window position (1 = adjacent): 1, 2, 3-4, 5-8."""
    if index <= 2:
        return str(index)
    return "3-4" if index <= 4 else "5-8"


def _size_bucket(count: int, edges: tuple[int, ...]) -> str:
    for edge in edges:
        if count <= edge:
            return f"<={edge}"
    return f">{edges[-1]}"


def note_features(text: str, findings: NoteFindings) -> list[Features]:
    """Features for every mention of one note, in the order of ``findings.mentions``."""
    mentions = findings.mentions
    categories = Counter(m.category for m in mentions)
    entries = list(findings.timeline)
    entry_of = [bisect_right(entries, m.start) - 1 for m in mentions]
    note_words = len(_WORD.findall(text))
    shared: Features = {
        f"note_words={_size_bucket(note_words, (20, 60, 150, 400))}": 1.0,
        f"note_mentions={_size_bucket(len(mentions), (1, 2, 4, 8))}": 1.0,
        f"note_categories={_size_bucket(len(categories), (1, 2, 3))}": 1.0,
    }
    if entries:
        shared["note_has_timeline"] = 1.0
    for group in findings.vulnerability_groups:
        shared[f"vuln_note={group}"] = 1.0
    for cue in findings.cues:
        shared[f"note_cue={cue.kind}"] = 1.0
        if cue.kind in ("concern", "uncertain"):
            shared[f"note_cue_word={cue.text.lower()}"] = 1.0
    # Facts per sentence and per category, gathered once: a note of 100,000 mentions in one
    # sentence must not cost 100,000 x 100,000 comparisons.
    cue_starts = [cue.start for cue in findings.cues]
    vulnerable_starts = [v.start for v in findings.vulnerabilities]
    sentences: dict[tuple[int, int], _Sentence] = {}
    categories_at: dict[int, Counter[str]] = {}
    for mention in mentions:
        categories_at.setdefault(mention.sentence_start, Counter())[mention.category] += 1
    later = _later_by_category(mentions, entry_of) if entries else {}
    spans: dict[tuple[str, int, int], Features] = {}
    out = []
    for index, mention in enumerate(mentions):
        features = dict(shared)
        features.update(_mention_features(mention))
        features.update(_clause_features(text, mention, spans))
        key = (mention.sentence_start, mention.sentence_end)
        sentence = sentences.get(key)
        if sentence is None:
            sentence = sentences[key] = _Sentence.of(key, findings, cue_starts,
                                                     vulnerable_starts)
        for nearby in sentence.vulnerability:
            features[f"vuln_sentence={nearby}"] = 1.0
        for kind, (first, last) in sentence.kinds.items():
            if first < mention.start:
                features[f"sentence_cue={kind}:before"] = 1.0
            if last >= mention.end:
                features[f"sentence_cue={kind}:after"] = 1.0
        inside = Counter(findings.cues[i].text.lower() for i in range(
            bisect_left(cue_starts, mention.start), bisect_left(cue_starts, mention.end)))
        for word, count in sentence.words.items():
            if count > inside.get(word, 0):
                features[f"sentence_cue_word={word}"] = 1.0
        if categories[mention.category] > 1:
            features["category_repeated_in_note"] = 1.0
        if index == 0:
            features["first_mention"] = 1.0
        if index == len(mentions) - 1:
            features["last_mention"] = 1.0
        for category, count in categories_at[mention.sentence_start].items():
            if count > (category == mention.category):
                features[f"sentence_also={category}"] = 1.0
        if entries:
            features.update(_timeline_features(mention, entry_of[index], len(entries), later))
        out.append(features)
    return out


@dataclass(frozen=True)
class _Sentence:
    """The cues and vulnerability cues of one sentence span, as the features need them."""

    vulnerability: frozenset[str]
    kinds: dict[str, tuple[int, int]]  # kind -> (first start, last start)
    words: Counter[str]

    @classmethod
    def of(cls, key: tuple[int, int], findings: NoteFindings, cue_starts: list[int],
           vulnerable_starts: list[int]) -> _Sentence:
        start, end = key
        groups = frozenset(findings.vulnerabilities[i].group for i in range(
            bisect_left(vulnerable_starts, start), bisect_left(vulnerable_starts, end)))
        kinds: dict[str, tuple[int, int]] = {}
        words: Counter[str] = Counter()
        for i in range(bisect_left(cue_starts, start), bisect_left(cue_starts, end)):
            cue = findings.cues[i]
            first, last = kinds.get(cue.kind, (cue.start, cue.start))
            kinds[cue.kind] = (min(first, cue.start), max(last, cue.start))
            words[cue.text.lower()] += 1
        return cls(groups, kinds, words)


def _later_by_category(mentions: tuple[Mention, ...], entry_of: list[int],
                       ) -> dict[str, tuple[list[int], list[frozenset[str]]]]:
    """Per category: its entries in order, and for each, the cue kinds of the category's
    mentions in that entry or any later one."""
    by_category: dict[str, dict[int, set[str]]] = {}
    for mention, entry in zip(mentions, entry_of, strict=True):
        kinds = by_category.setdefault(mention.category, {}).setdefault(entry, set())
        kinds.update(cue.kind for cue in mention.cues)
    out = {}
    for category, per_entry in by_category.items():
        ordered = sorted(per_entry)
        suffix: list[frozenset[str]] = []
        running: set[str] = set()
        for entry in reversed(ordered):
            running |= per_entry[entry]
            suffix.append(frozenset(running))
        out[category] = (ordered, suffix[::-1])
    return out


def _mention_features(mention: Mention) -> Features:
    term = mention.term.lower()
    features: Features = {
        "bias": 1.0,
        f"term_id={mention.term_id}": 1.0,
        f"category={mention.category}": 1.0,
        f"term={term}": 1.0,
        f"rule_context={mention.context}": 1.0,
    }
    if mention.term.isupper() and len(mention.term) > 1:
        features["term_upper"] = 1.0
    nearest: dict[str, int] = {}
    for cue in mention.cues:
        kind = cue.kind
        features[f"cue={kind}"] = 1.0
        features[f"cue={kind}:{cue.position}"] = 1.0
        features[f"cue={kind}:{cue.position}:{distance_bucket(cue.distance)}"] = 1.0
        features[f"cue_word={cue.text.lower()}"] = 1.0
        nearest.setdefault(kind, cue.distance)
    if mention.cues:
        features[f"nearest_cue={mention.cues[0].kind}"] = 1.0
    else:
        features["no_cues"] = 1.0
    if {"negated", "concern"} <= nearest.keys():
        first = "negated" if nearest["negated"] <= nearest["concern"] else "concern"
        features[f"negated_and_concern:nearer={first}"] = 1.0
    for side, words, lemmas in (("L", mention.before[::-1], mention.before_lemmas[::-1]),
                                ("R", mention.after, mention.after_lemmas)):
        # Punctuation is left out of the windows: it reads badly as a reason.
        kept = [(w, lemma) for w, lemma in zip(words, lemmas, strict=True) if _WORD.search(w)]
        words = tuple(w for w, _ in kept)
        for position, (word, lemma) in enumerate(kept, 1):
            features[f"{side}{_position_bucket(position)}={lemma}"] = 1.0
            features[f"{side}_bag={word}"] = 1.0
        if not words:
            features[f"{side}_edge"] = 1.0
    return features


def _clause_features(text: str, mention: Mention,
                     cache: dict[tuple[str, int, int], Features] | None = None) -> Features:
    """Words of the mention's clause (the first 30) and facts of its sentence.

    Clause and sentence facts are cached per span: mentions share them, and a note of one
    enormous sentence must not be rescanned for every mention in it.
    """
    cache = {} if cache is None else cache
    clause_key = ("clause", mention.clause_start, mention.clause_end)
    clause_part = cache.get(clause_key)
    if clause_part is None:
        clause_part = {}
        words = []
        for found in _WORD.finditer(text, mention.clause_start, mention.clause_end):
            words.append(found.group().lower())
            if len(words) > _CLAUSE_WORDS:
                break  # enough to know the size bucket is ">30"
        for word in words[:_CLAUSE_WORDS]:
            clause_part[f"clause={word}"] = 1.0
        clause_part[f"clause_words={_size_bucket(len(words), (3, 8, 15, 30))}"] = 1.0
        cache[clause_key] = clause_part
    sentence_key = ("sentence", mention.sentence_start, mention.sentence_end)
    sentence_part = cache.get(sentence_key)
    if sentence_part is None:
        sentence = text[mention.sentence_start:mention.sentence_end]
        sentence_part = {}
        if "?" in sentence:
            sentence_part["sentence_question"] = 1.0
        if sentence.isupper():
            sentence_part["sentence_all_caps"] = 1.0
        cache[sentence_key] = sentence_part
    features: Features = {**clause_part, **sentence_part}
    if mention.start == mention.clause_start:
        features["clause_starts_with_term"] = 1.0
    return features


def _timeline_features(mention: Mention, entry: int, n_entries: int,
                       later: dict[str, tuple[list[int], list[frozenset[str]]]]) -> Features:
    features: Features = {}
    if entry == n_entries - 1:
        features["timeline_last_entry"] = 1.0
    elif entry < 0:
        features["timeline_before_first_entry"] = 1.0
    else:
        features["timeline_earlier_entry"] = 1.0
    ordered, suffix = later[mention.category]
    after = bisect_right(ordered, entry)
    if after < len(ordered):
        features["timeline_later_same_category"] = 1.0
        for kind in ("historical", "negated", "concern", "inspection"):
            if kind in suffix[after]:
                features[f"timeline_later_same_category_cue={kind}"] = 1.0
    else:
        features["timeline_no_later_same_category"] = 1.0
    return features
