"""Named features for each hazard mention: what the classifier sees and an analyst can read.

Pure Python over :class:`~casenotes.types.NoteFindings` and the note text. Every feature is a
name with the value 1.0 (or a small count), such as ``"cue=negated:before:0-1"`` or
``"L1=report"``, so ``explain`` can say why in words.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
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
    out = []
    for index, mention in enumerate(mentions):
        features = dict(shared)
        features.update(_mention_features(mention))
        features.update(_clause_features(text, mention))
        for vulnerable in findings.vulnerabilities:
            if mention.sentence_start <= vulnerable.start < mention.sentence_end:
                features[f"vuln_sentence={vulnerable.group}"] = 1.0
        for match in findings.cues:
            if (mention.sentence_start <= match.start < mention.sentence_end
                    and not mention.start <= match.start < mention.end):
                side = "before" if match.start < mention.start else "after"
                features[f"sentence_cue={match.kind}:{side}"] = 1.0
                features[f"sentence_cue_word={match.text.lower()}"] = 1.0
        if categories[mention.category] > 1:
            features["category_repeated_in_note"] = 1.0
        if index == 0:
            features["first_mention"] = 1.0
        if index == len(mentions) - 1:
            features["last_mention"] = 1.0
        for other in mentions:
            if other is not mention and other.sentence_start == mention.sentence_start:
                features[f"sentence_also={other.category}"] = 1.0
        if entries:
            features.update(_timeline_features(index, mentions, entry_of, len(entries)))
        out.append(features)
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


def _clause_features(text: str, mention: Mention) -> Features:
    clause = text[mention.clause_start:mention.clause_end]
    sentence = text[mention.sentence_start:mention.sentence_end]
    features: Features = {}
    words = [w.lower() for w in _WORD.findall(clause)]
    for word in words[:_CLAUSE_WORDS]:
        features[f"clause={word}"] = 1.0
    features[f"clause_words={_size_bucket(len(words), (3, 8, 15, 30))}"] = 1.0
    if mention.start == mention.clause_start:
        features["clause_starts_with_term"] = 1.0
    if "?" in sentence:
        features["sentence_question"] = 1.0
    if sentence.isupper():
        features["sentence_all_caps"] = 1.0
    return features


def _timeline_features(index: int, mentions: tuple[Mention, ...], entry_of: list[int],
                       n_entries: int) -> Features:
    mention = mentions[index]
    entry = entry_of[index]
    features: Features = {}
    if entry == n_entries - 1:
        features["timeline_last_entry"] = 1.0
    elif entry < 0:
        features["timeline_before_first_entry"] = 1.0
    else:
        features["timeline_earlier_entry"] = 1.0
    later = [m for m, e in zip(mentions, entry_of, strict=True)
             if e > entry and m.category == mention.category]
    if later:
        features["timeline_later_same_category"] = 1.0
        kinds = {cue.kind for m in later for cue in m.cues}
        for kind in ("historical", "negated", "concern", "inspection"):
            if kind in kinds:
                features[f"timeline_later_same_category_cue={kind}"] = 1.0
    else:
        features["timeline_no_later_same_category"] = 1.0
    return features
