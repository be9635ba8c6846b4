"""Named features for each hazard mention: what the classifier sees and an analyst can read.

Pure Python over :class:`~casenotes.types.NoteFindings` and the note text. Every feature is a
name built from closed vocabularies (lexicon ids, cue kinds and phrases, word classes from
``resources/wordclasses.json``, equipment kinds, size buckets) with the value 1.0, such as
``"after:fixed"`` (a word of the class *fixed* follows the term in its sentence) or
``"equipment_adjacent:equipment"``. No feature names a raw token, number or date, so a
reason reads as an explanation and the model does not learn one writer's words.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any, Final

import ahocorasick

from .nlp.compiled import core as _core
from .nlp.text import OffsetMap, fold
from .types import CONTEXT_RANK, CONTEXTS, CUE_KINDS, EQUIPMENT_KINDS, Mention, NoteFindings

Features = dict[str, float]

#: Feature-set version: bump when features change, so older models are refused.
FEATURES_VERSION: Final = 3
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
#: Characters between a word and the term for it to count as next to it.
NEAR_CHARS: Final = 24
#: Characters either side of an equipment word that count as its neighbourhood.
EQUIPMENT_REACH: Final = 60
#: Word classes whose presence later in the note, near the same category, tells the outcome.
OUTCOME_CLASSES: Final = ("fixed", "not_found", "made_safe", "pending", "report", "past",
                          "present", "severity", "symptom")
#: Word classes whose density describes the whole note (an advice page, a formal decision).
SHAPE_CLASSES: Final = ("second_person", "advice", "conditional", "formal", "quantity",
                        "first_person", "report")
#: Words that start a request or an instruction ("please keep the window open").
_IMPERATIVE_WORDS: Final = (
    "open", "keep", "wipe", "call", "contact", "report", "check", "make", "do", "don't", "dont",
    "never", "turn", "use", "dry", "leave", "ventilate", "ask", "tell", "try", "avoid", "put",
    "close", "switch", "get", "let", "remember", "ensure", "clean", "heat", "test", "fit")
_IMPERATIVE = re.compile(
    r"(?:^|[.!?:\n•*-]\s*)(?:please\s+)?(?:" + "|".join(_IMPERATIVE_WORDS) + r")\b",
    re.IGNORECASE,
)


#: Per shape class, its feature names for none, some and many words of the class.
_SHAPE_NAMES: Final = {
    name: {amount: f"note_{name}={amount}" for amount in ("none", "some", "many")}
    for name in SHAPE_CLASSES}
#: Per outcome class, the name of its feature "later in the note, near the same hazard".
_LATER_NAMES: Final = {name: f"later_same_category:{name}" for name in OUTCOME_CLASSES}
#: Per cue kind, its feature names for a cue before and after the mention in its sentence.
_SENTENCE_CUE_NAMES: Final[dict[str, tuple[str, str]]] = {
    kind: (f"sentence_cue={kind}:before", f"sentence_cue={kind}:after") for kind in CUE_KINDS}
#: The edges of the size buckets of a note's words, mentions and categories, and a clause's
#: words (a clause is counted no further than its last edge).
_NOTE_WORDS: Final = (20, 60, 150, 400)
_NOTE_MENTIONS: Final = (1, 2, 4, 8)
_NOTE_CATEGORIES: Final = (1, 2, 3)
_CLAUSE_WORDS: Final = (3, 8, 15, 30)
#: The imperatives feature's name for 0, 1, 2 and 3 or more imperatives.
_IMPERATIVE_NAMES: Final = tuple(f"note_imperatives={amount}"
                                 for amount in ("none", "few", "few", "many"))

#: The same imperatives after a mark only: where every match but one at the note's start
#: begins, so the regex engine skips to the next mark instead of trying every position.
_IMPERATIVE_AFTER_MARK = re.compile(_IMPERATIVE.pattern.replace("(?:^|[.!?:\\n•*-]\\s*)",
                                                                "[.!?:\\n•*-]\\s*", 1),
                                    re.IGNORECASE)
#: Runs of whitespace, which a phrase's single space stands for.
_SPACE_RUN = re.compile(r"\s{2,}|[^\S ]")
#: Whitespace other than the plain space: with a double space, what ``_SPACE_RUN`` finds.
_OTHER_SPACE = re.compile(r"[^\S ]")


def _count_imperatives(text: str) -> int:
    """``len(_IMPERATIVE.findall(text))``: a match at the note's start, then the matches that
    begin at a mark after it (a test checks the two agree); in the compiled core for a text of
    one-byte characters."""
    if _core is not None:
        count: int = _core.count_imperatives(text, _IMPERATIVE_WORDS)
        if count >= 0:
            return count
    found = _IMPERATIVE.match(text)
    count, resume = (1, found.end()) if found else (0, 1)
    return count + sum(1 for _ in _IMPERATIVE_AFTER_MARK.finditer(text, max(resume, 1)))


@dataclass(frozen=True)
class WordClasses:
    """The word classes of ``resources/wordclasses.json``, compiled once per process.

    :meth:`find` is one pass over the lower-cased note for all classes: the compiled core's
    trie (``trie``), else an Aho-Corasick pass over the note with its whitespace folded
    (``automaton``; each is built on first use); ``patterns`` are the same classes as regular
    expressions, the definition both passes must agree with (a test compares them on every
    sample note and under hypothesis) and the path for the rare text whose lower-casing
    changes its length.
    """

    names: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    source_json: str
    #: Each phrase, lower-cased with single spaces, and the indices of its classes.
    phrases: dict[str, tuple[int, ...]]

    @cached_property
    def trie(self) -> Any:
        """The compiled core's walk of the phrases (``_core.ClassTrie``)."""
        assert _core is not None
        return _core.ClassTrie(self.phrases, len(self.names))

    @cached_property
    def automaton(self) -> Any:
        """The phrases' Aho-Corasick automaton, for the Python pass: phrase -> (class
        indices, length)."""
        automaton = ahocorasick.Automaton()
        for key, indices in self.phrases.items():
            automaton.add_word(key, (indices, len(key)))
        automaton.make_automaton()
        return automaton

    def find(self, text: str) -> dict[str, list[int]]:
        """For each class, the sorted start offsets of its words in ``text``: whole words (no
        letter, digit or ``/&%-`` before, none of ``/&-`` after), leftmost-longest and
        non-overlapping, as ``re.finditer`` over the class's alternatives gives them."""
        lowered = text.lower()
        if len(lowered) != len(text):
            return self.find_by_regex(text)
        if _core is not None:
            return dict(zip(self.names, self.trie.starts(lowered), strict=True))
        folded, offsets = _fold_spaces(lowered)
        last = len(folded) - 1
        candidates: list[list[tuple[int, int]]] = [[] for _ in self.names]
        for end, (indices, length) in self.automaton.iter(folded):
            start = end - length + 1
            if start > 0 and _joins_before(folded[start - 1]):
                continue
            if end < last and _joins_after(folded[end + 1]):
                continue
            for index in indices:
                candidates[index].append((start, -length))
        found: dict[str, list[int]] = {}
        for name, hits in zip(self.names, candidates, strict=True):
            starts: list[int] = []
            reached = 0
            for start, negative_length in sorted(hits):
                if start >= reached:
                    starts.append(start if offsets is None else offsets.start(start))
                    reached = start - negative_length
            found[name] = starts
        return found

    @cached_property
    def feature_names(self) -> tuple[tuple[str, ...], ...]:
        """Per class, its five position features' names, in ``_class_features``' order."""
        return tuple((f"before_near:{name}", f"before:{name}", f"after_near:{name}",
                      f"after:{name}", f"clause:{name}") for name in self.names)

    def find_by_regex(self, text: str) -> dict[str, list[int]]:
        """:meth:`find` by the classes' regular expressions (slower; the reference)."""
        return {name: [m.start() for m in pattern.finditer(text)]
                for name, pattern in zip(self.names, self.patterns, strict=True)}


def _word_count(text: str, begin: int = 0, end: int | None = None, enough: int = -1) -> int:
    """How many words (``_WORD``) ``text[begin:end]`` holds, counting stopped past ``enough``
    (negative: never)."""
    end = len(text) if end is None else end
    if _core is not None:
        return int(_core.count_words(text, begin, end, enough))
    count = 0
    for _ in _WORD.finditer(text, begin, end):
        count += 1
        if 0 <= enough < count:
            break
    return count


def _joins_before(char: str) -> bool:
    return char.isalnum() or char in "_/&%-"


def _joins_after(char: str) -> bool:
    return char.isalnum() or char in "_/&-"


def _fold_spaces(text: str) -> tuple[str, OffsetMap | None]:
    """Every whitespace run as one space, with the map back (None when nothing changed)."""
    if "  " not in text and not _OTHER_SPACE.search(text):  # _SPACE_RUN.search, faster
        return text, None
    return fold(text, _SPACE_RUN, " ")


@lru_cache(maxsize=1)
def word_classes() -> WordClasses:
    """The bundled word classes."""
    raw = resources.files("casenotes.resources").joinpath("wordclasses.json").read_text(
        encoding="utf-8")
    classes: dict[str, list[str]] = json.loads(raw)["classes"]
    patterns = []
    classes_of: dict[str, list[int]] = {}
    for index, phrases in enumerate(classes.values()):
        alternatives = sorted((re.escape(p).replace(r"\ ", r"\s+") for p in phrases),
                              key=len, reverse=True)
        patterns.append(re.compile(r"(?<![\w/&%-])(?:" + "|".join(alternatives)
                                   + r")(?![\w/&-])", re.IGNORECASE))
        for phrase in phrases:
            classes_of.setdefault(" ".join(phrase.lower().split()), []).append(index)
    return WordClasses(tuple(classes), tuple(patterns), raw,
                       {key: tuple(sorted(set(indices))) for key, indices in classes_of.items()})


@lru_cache(maxsize=1)
def cue_phrases() -> frozenset[str]:
    """Lower-cased phrases of the bundled cue rules: the only words a feature may name."""
    from .lexicon import default_lexicon

    return frozenset(p.lower() for rule in default_lexicon().cues for p in rule.phrases)


def distance_bucket(distance: int) -> str:
    """Coarse distance in tokens: 0-1, 2-3, 4-6, 7+."""
    if distance <= 1:
        return "0-1"
    if distance <= 3:
        return "2-3"
    if distance <= 6:
        return "4-6"
    return "7+"


def _size_bucket(count: int, edges: tuple[int, ...]) -> str:
    for edge in edges:
        if count <= edge:
            return f"<={edge}"
    return f">{edges[-1]}"


def _density_bucket(count: int, words: int) -> str:
    """None, some or many words of a class per 100 words of the note."""
    if count == 0:
        return "none"
    return "many" if count * 100 >= 3 * max(words, 1) else "some"


def _in_range(starts: list[int], begin: int, end: int) -> bool:
    """Whether any offset in the sorted ``starts`` lies in ``[begin, end)``."""
    i = bisect_left(starts, begin)
    return i < len(starts) and starts[i] < end


def note_features(text: str, findings: NoteFindings) -> list[Features]:
    """Features for every mention of one note, in the order of ``findings.mentions``."""
    mentions = findings.mentions
    if not mentions:
        return []
    known = word_classes()
    classes = known.find(text)
    if _core is not None:
        made: list[Features] = _feature_maker().note(
            text, findings, [classes[name] for name in known.names], _word_count(text),
            _count_imperatives(text))
        return made
    note = _NoteFacts.of(text, findings, classes)
    class_index = None
    out = []
    for index, mention in enumerate(mentions):
        features = dict(note.shared)
        _add_mention_features(features, mention)
        _add_class_features(features, mention, classes, class_index)
        note.add_later_features(features, mention, classes)
        note.add_equipment_features(features, mention)
        note.add_sentence_features(features, mention, findings)
        _add_clause_features(features, text, mention, note.spans)
        if note.categories[mention.category] > 1:
            features["category_repeated_in_note"] = 1.0
        if index == 0:
            features["first_mention"] = 1.0
        if index == len(mentions) - 1:
            features["last_mention"] = 1.0
        for category, count in note.categories_at[mention.sentence_start].items():
            if count > (category == mention.category):
                features[f"sentence_also={category}"] = 1.0
        if note.entries:
            _add_timeline_features(features, mention, note.entry_of[index], len(note.entries),
                                   note.later)
        out.append(features)
    return out


@lru_cache(maxsize=1)
def _feature_maker() -> Any:
    """The compiled core's maker of the features below, with its tables of names."""
    assert _core is not None
    known = word_classes()
    position = {name: index for index, name in enumerate(known.names)}
    names: dict[str, Any] = {
        "classes": known.feature_names,
        "shapes": tuple((position[name], (amounts["none"], amounts["some"], amounts["many"]))
                        for name, amounts in _SHAPE_NAMES.items()),
        "later": tuple((position[name], feature) for name, feature in _LATER_NAMES.items()),
        "imperatives": _IMPERATIVE_NAMES,
        "note_words": _bucket_names("note_words", _NOTE_WORDS),
        "note_mentions": _bucket_names("note_mentions", _NOTE_MENTIONS),
        "note_categories": _bucket_names("note_categories", _NOTE_CATEGORIES),
        "clause_words": _bucket_names("clause_words", _CLAUSE_WORDS),
        "context_rank": dict(CONTEXT_RANK),
        "sentence_cue": _SENTENCE_CUE_NAMES,
        "cue_names": _cue_names,
        "equipment_names": _equipment_names,
        "later_by_category": _later_by_category,
        "timeline": _add_timeline_features,
        "near": NEAR_CHARS,
        "reach": EQUIPMENT_REACH,
        # Names made on first sight of their key: "term_id" -> {"asb-1": "term_id=asb-1"}.
        **{family: {} for family in (
            "vuln_note", "note_cue", "term_id", "category", "rule_context", "nearest_cue",
            "sentence_also", "vuln_sentence", "cue", "equipment")},
    }
    return _core.FeatureMaker(names, _cue_word_name)


def _bucket_names(prefix: str, edges: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The edges of a size feature and its name for each bucket, smallest first."""
    return edges, tuple(f"{prefix}={_size_bucket(count, edges)}"
                        for count in (*edges, edges[-1] + 1))


@dataclass
class _NoteFacts:
    """Facts of one note that its mentions share, gathered once: a note of 100,000 mentions
    in one sentence must not cost 100,000 x 100,000 comparisons."""

    shared: Features
    categories: dict[str, int]
    categories_at: dict[int, dict[str, int]]
    entries: list[int]
    entry_of: list[int]
    later: dict[str, tuple[list[int], list[frozenset[str]]]]
    regions: dict[str, list[tuple[int, int]]]
    equipment: list[tuple[int, int, str, str]]
    equipment_starts: list[int]
    cue_starts: list[int]
    vulnerable_starts: list[int]
    sentences: dict[tuple[int, int], _Sentence]
    spans: dict[tuple[str, int, int], Features]

    @classmethod
    def of(cls, text: str, findings: NoteFindings, classes: dict[str, list[int]]) -> _NoteFacts:
        mentions = findings.mentions
        categories: dict[str, int] = {}
        categories_at: dict[int, dict[str, int]] = {}
        regions: dict[str, list[tuple[int, int]]] = {}
        for mention in mentions:
            category = mention.category
            categories[category] = categories.get(category, 0) + 1
            here = categories_at.setdefault(mention.sentence_start, {})
            here[category] = here.get(category, 0) + 1
            regions.setdefault(category, []).append(
                (mention.sentence_start, mention.sentence_end))
        entries = list(findings.timeline)
        entry_of = [bisect_right(entries, m.start) - 1 for m in mentions]
        words = _word_count(text)
        shared: Features = {
            f"note_words={_size_bucket(words, _NOTE_WORDS)}": 1.0,
            f"note_mentions={_size_bucket(len(mentions), _NOTE_MENTIONS)}": 1.0,
            f"note_categories={_size_bucket(len(categories), _NOTE_CATEGORIES)}": 1.0,
        }
        for name, names in _SHAPE_NAMES.items():
            shared[names[_density_bucket(len(classes[name]), words)]] = 1.0
        imperatives = _count_imperatives(text)
        shared[_IMPERATIVE_NAMES[min(imperatives, 3)]] = 1.0
        if entries:
            shared["note_has_timeline"] = 1.0
        for group in findings.vulnerability_groups:
            shared[f"vuln_note={group}"] = 1.0
        cues = findings.cues
        for kind in dict.fromkeys([cue.kind for cue in cues]):
            shared[f"note_cue={kind}"] = 1.0
        equipment: list[tuple[int, int, str, str]] = []
        for found in findings.equipment:
            start, end, category = found.start, found.end, found.category
            equipment.append((start, end, found.kind, category))
            regions.setdefault(category, []).append(
                (start - EQUIPMENT_REACH if start > EQUIPMENT_REACH else 0,
                 end + EQUIPMENT_REACH))
        for spans in regions.values():
            spans.sort()
        later = _later_by_category(mentions, entry_of) if entries else {}
        return cls(shared, categories, categories_at, entries, entry_of, later, regions,
                   equipment, [e[0] for e in equipment], [c.start for c in cues],
                   [v.start for v in findings.vulnerabilities], {}, {})

    def add_later_features(self, features: Features, mention: Mention,
                           classes: dict[str, list[int]]) -> None:
        """Outcome words later in the note, near the same hazard (its mentions or equipment)."""
        end = mention.sentence_end
        later = [(a, b) for a, b in self.regions.get(mention.category, ()) if a >= end]
        if not later:
            features["later_same_category=none"] = 1.0
            return
        features["later_same_category=some"] = 1.0
        for name, feature in _LATER_NAMES.items():
            starts = classes[name]
            if starts and any(_in_range(starts, a, b) for a, b in later):
                features[feature] = 1.0

    def add_equipment_features(self, features: Features, mention: Mention) -> None:
        """Equipment, trades and procedures in the mention's sentence and next to it."""
        low = bisect_left(self.equipment_starts, mention.sentence_start)
        high = bisect_left(self.equipment_starts, mention.sentence_end)
        for start, end, kind, category in self.equipment[low:high]:
            if start < mention.end and mention.start < end:
                continue  # part of another mention that overlaps this one
            names = _equipment_names(kind)
            features[names[0]] = 1.0
            features[names[1] if category == mention.category else names[2]] = 1.0
            gap = mention.start - end if end <= mention.start else start - mention.end
            if 0 <= gap <= NEAR_CHARS:
                features[names[3]] = 1.0
                features[names[4] if end <= mention.start else names[5]] = 1.0

    def add_sentence_features(self, features: Features, mention: Mention,
                              findings: NoteFindings) -> None:
        """Vulnerability cues in the mention's sentence, and the kinds of cue before and after
        it there."""
        key = (mention.sentence_start, mention.sentence_end)
        sentence = self.sentences.get(key)
        if sentence is None:
            sentence = self.sentences[key] = _Sentence.of(key, findings, self.cue_starts,
                                                          self.vulnerable_starts)
        for nearby in sentence.vulnerability:
            features[f"vuln_sentence={nearby}"] = 1.0
        for kind, (first, last) in sentence.kinds.items():
            if first < mention.start:
                features[_SENTENCE_CUE_NAMES[kind][0]] = 1.0
            if last >= mention.end:
                features[_SENTENCE_CUE_NAMES[kind][1]] = 1.0


@dataclass(frozen=True)
class _Sentence:
    """The cues and vulnerability cues of one sentence span, as the features need them."""

    vulnerability: frozenset[str]
    kinds: dict[str, tuple[int, int]]  # kind -> (first start, last start)

    @classmethod
    def of(cls, key: tuple[int, int], findings: NoteFindings, cue_starts: list[int],
           vulnerable_starts: list[int]) -> _Sentence:
        start, end = key
        groups = frozenset(findings.vulnerabilities[i].group for i in range(
            bisect_left(vulnerable_starts, start), bisect_left(vulnerable_starts, end)))
        kinds: dict[str, tuple[int, int]] = {}
        for i in range(bisect_left(cue_starts, start), bisect_left(cue_starts, end)):
            cue = findings.cues[i]
            first, last = kinds.get(cue.kind, (cue.start, cue.start))
            kinds[cue.kind] = (min(first, cue.start), max(last, cue.start))
        return cls(groups, kinds)


def _add_class_features(features: Features, mention: Mention, classes: dict[str, list[int]],
                        index: Any = None) -> None:
    """Word classes before and after the term: next to it, in its clause, in its sentence.

    ``index`` is the note's classes in the compiled core (``_core.ClassIndex``), which adds
    the same names as the loop below."""
    if index is not None:
        index.add_mention_features(features, mention.start, mention.end,
                                   mention.sentence_start, mention.sentence_end,
                                   mention.clause_start, mention.clause_end, NEAR_CHARS)
    for name, starts in () if index is not None else classes.items():
        if not starts:
            continue
        if _in_range(starts, max(mention.start - NEAR_CHARS, mention.sentence_start),
                     mention.start):
            features[f"before_near:{name}"] = 1.0
        if _in_range(starts, mention.sentence_start, mention.start):
            features[f"before:{name}"] = 1.0
        if _in_range(starts, mention.end, min(mention.end + NEAR_CHARS, mention.sentence_end)):
            features[f"after_near:{name}"] = 1.0
        if _in_range(starts, mention.end, mention.sentence_end):
            features[f"after:{name}"] = 1.0
        if _in_range(starts, mention.clause_start, mention.clause_end):
            features[f"clause:{name}"] = 1.0
    past, present = "clause:past" in features, "clause:present" in features
    if past != present:
        features["clause_tense=past" if past else "clause_tense=present"] = 1.0


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


def _add_mention_features(features: Features, mention: Mention) -> None:
    """The term, its category and rule context, and the cues that reach it."""
    features["bias"] = 1.0
    features[f"term_id={mention.term_id}"] = 1.0
    features[f"category={mention.category}"] = 1.0
    features[f"rule_context={mention.context}"] = 1.0
    if mention.term.isupper() and len(mention.term) > 1:
        features["term_upper"] = 1.0
    nearest: dict[str, int] = {}
    for cue in mention.cues:
        kind = cue.kind
        for name in _cue_names(kind, cue.position, cue.distance):
            features[name] = 1.0
        word = _cue_word_name(cue.text)
        if word is not None:
            features[word] = 1.0
        nearest.setdefault(kind, cue.distance)
    if mention.cues:
        features[f"nearest_cue={mention.cues[0].kind}"] = 1.0
    else:
        features["no_cues"] = 1.0
    if "negated" in nearest and "concern" in nearest:
        first = "negated" if nearest["negated"] <= nearest["concern"] else "concern"
        features[f"negated_and_concern:nearer={first}"] = 1.0
    if not mention.before:
        features["L_edge"] = 1.0
    if not mention.after:
        features["R_edge"] = 1.0


@lru_cache(maxsize=4096)
def _cue_names(kind: str, position: str, distance: int) -> tuple[str, ...]:
    """The names of a cue's kind, side and distance features (a few hundred in all)."""
    return (f"cue={kind}", f"cue={kind}:{position}",
            f"cue={kind}:{position}:{distance_bucket(distance)}")


@lru_cache(maxsize=64)
def _equipment_names(kind: str) -> tuple[str, str, str, str, str, str]:
    """An equipment kind's feature names: in the mention's sentence (any, same category,
    other category) and next to the term (any, before it, after it)."""
    return (f"equipment_sentence:{kind}", f"equipment_sentence:{kind}:same_category",
            f"equipment_sentence:{kind}:other_category", f"equipment_adjacent:{kind}",
            f"equipment_adjacent:{kind}:before", f"equipment_adjacent:{kind}:after")


@lru_cache(maxsize=4096)
def _cue_word_name(text: str) -> str | None:
    """``cue_word=<phrase>`` for a cue written as one of the cue rules' phrases, else None."""
    word = " ".join(text.lower().split())
    return f"cue_word={word}" if word in cue_phrases() else None


def _add_clause_features(features: Features, text: str, mention: Mention,
                         cache: dict[tuple[str, int, int], Features]) -> None:
    """The size of the mention's clause and facts of its sentence, cached per span."""
    clause_key = ("clause", mention.clause_start, mention.clause_end)
    clause_part = cache.get(clause_key)
    if clause_part is None:
        # Counting stops past 30: enough to know the size bucket is ">30".
        count = _word_count(text, mention.clause_start, mention.clause_end, _CLAUSE_WORDS[-1])
        clause_part = {f"clause_words={_size_bucket(count, _CLAUSE_WORDS)}": 1.0}
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
    features.update(clause_part)
    features.update(sentence_part)
    if mention.start == mention.clause_start:
        features["clause_starts_with_term"] = 1.0


def _add_timeline_features(features: Features, mention: Mention, entry: int, n_entries: int,
                           later: dict[str, tuple[list[int], list[frozenset[str]]]]) -> None:
    """Where the mention's entry sits in the note's timeline, and what later entries say
    about the same category."""
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


#: What a feature name may be: a fixed name, or a template whose value comes from a closed
#: vocabulary (checked by ``is_readable_feature``; a test runs it over every training feature).
_FIXED: Final = frozenset({
    "bias", "term_upper", "no_cues", "L_edge", "R_edge", "category_repeated_in_note",
    "first_mention", "last_mention", "note_has_timeline", "sentence_question",
    "sentence_all_caps", "clause_starts_with_term", "timeline_last_entry",
    "timeline_before_first_entry", "timeline_earlier_entry", "timeline_later_same_category",
    "timeline_no_later_same_category", "later_same_category=none", "later_same_category=some",
    "clause_tense=past", "clause_tense=present",
})


def is_readable_feature(name: str, *, term_ids: frozenset[str], categories: frozenset[str],
                        groups: frozenset[str]) -> bool:
    """Whether a feature name is built only from closed vocabularies (no raw token, number or
    date): the contract of issue 7/10, checked over every feature the model was trained on."""
    if name in _FIXED:
        return True
    classes = frozenset(word_classes().names)
    kinds = frozenset(CUE_KINDS)
    sized = {"note_words", "note_mentions", "note_categories", "note_imperatives",
             "clause_words", *(f"note_{name}" for name in SHAPE_CLASSES)}
    buckets = frozenset({"<=1", "<=2", "<=3", "<=4", "<=8", "<=15", "<=20", "<=30", "<=60",
                         "<=150", "<=400", ">3", ">8", ">30", ">400", "<=0", ">2",
                         "none", "some", "few", "many"})
    key, sep, value = name.partition("=")
    if sep:
        allowed = {
            "term_id": term_ids, "category": categories, "rule_context": frozenset(CONTEXTS),
            "nearest_cue": kinds, "cue_word": cue_phrases(), "vuln_note": groups,
            "vuln_sentence": groups, "note_cue": kinds, "sentence_also": categories,
            "timeline_later_same_category_cue": kinds,
            "negated_and_concern:nearer": frozenset({"negated", "concern"}),
        }
        if key in allowed:
            return value in allowed[key]
        if key in sized:
            return value in buckets
        if key == "cue":
            parts = value.split(":")
            return (parts[0] in kinds and (len(parts) < 2 or parts[1] in ("before", "after"))
                    and (len(parts) < 3 or parts[2] in ("0-1", "2-3", "4-6", "7+"))
                    and len(parts) <= 3)
        if key == "sentence_cue":
            kind, _, side = value.partition(":")
            return kind in kinds and side in ("before", "after")
        return False
    head, _, rest = name.partition(":")
    if head in ("before_near", "before", "after_near", "after", "clause"):
        return rest in classes
    if head == "later_same_category":
        return rest in OUTCOME_CLASSES
    if head in ("equipment_sentence", "equipment_adjacent"):
        kind, _, tail = rest.partition(":")
        return kind in EQUIPMENT_KINDS and tail in (
            "", "same_category", "other_category", "before", "after")
    return False
