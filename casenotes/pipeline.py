"""The spaCy stage: case-note tokenisation, sentences, hazard and vulnerability matching, cues.

The only module that imports spaCy. :func:`build_nlp` assembles ``spacy.blank("en")`` with
three casenotes components (``casenotes_segmenter``, ``casenotes_hazards`` /
``casenotes_vulnerability`` and ``casenotes_context``); :class:`MentionFinder` turns the
annotated ``Doc`` into plain :class:`~casenotes.types.NoteFindings`, so no spaCy object
escapes this module.
"""

from __future__ import annotations

import bisect
import json
import logging
import re
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, cast

import numpy
import spacy
from spacy.attrs import IDX, LENGTH, LOWER, ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.util import compile_infix_regex, registry

from .context import CueHit, Reach, clause_bounds, clause_index, cues_reaching
from .errors import CasenotesWarning, LexiconError
from .nlp.text import IDENTITY, MAX_NOTE_LENGTH, OffsetMap, check_text, normalise
from .lexicon import (
    CueRule,
    EquipmentTerm,
    HazardTerm,
    Lexicon,
    TokenPattern,
    VulnerabilityTerm,
    default_lexicon,
)
from .prefilter import Prefilter
from .types import (
    Cue,
    CueKind,
    CueMatch,
    EquipmentKind,
    EquipmentMatch,
    Mention,
    NoteFindings,
    VulnerabilityCue,
    VulnerabilityGroup,
)

logger = logging.getLogger(__name__)

HAZARDS_KEY: Final = "casenotes_hazards"
EQUIPMENT_KEY: Final = "casenotes_equipment"
VULNERABILITY_KEY: Final = "casenotes_vulnerability"
CUES_KEY: Final = "casenotes_cues"
TIMELINE_KEY: Final = "casenotes_timeline"
CUES_EXTENSION: Final = "casenotes_cues"
CLAUSE_EXTENSION: Final = "casenotes_clause"
#: Tokens kept either side of a mention in ``Mention.before`` / ``Mention.after``.
WINDOW: Final = 8

#: Housing shorthand the default English tokenizer would split ("T/C" -> "T", "/", "C").
SHORTHAND: Final = (
    "t/c", "w/c", "o/s", "c/o", "f/u", "n/a", "a/c", "w/e", "h/o", "s/w", "u/s", "d/s",
    "b/c", "r/h", "l/h", "i/d", "y/o", "p/w", "r&m", "r&d", "k&b", "a&e", "b&b",
)
SENTENCE_END: Final = frozenset({".", "!", "?", "...", "…", "!!", "??", "?!"})
_DATE = re.compile(
    r"^(\d{1,2}/\d{1,2}(/\d{2,4})?|\d{1,2}\.\d{1,2}\.\d{2,4}|\d{1,2}-\d{1,2}-\d{2,4}"
    r"|\d{4}-\d{2}-\d{2})$"
)
_MONTH: Final = frozenset(
    {
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
        "dec", "january", "february", "march", "april", "june", "july", "august", "september",
        "october", "november", "december"
    }
)
_WEEKDAY: Final = frozenset(
    {
        "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "monday",
        "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    }
)
#: Words that make a following date part of the sentence ("due 03/25"), not a new entry.
_DATE_GLUE: Final = frozenset(
    {
        "on", "since", "by", "from", "until", "till", "til", "to", "before", "after", "of",
        "at", "dated", "due", "w/c", "wc", "and", "or", "between", "than", "for", "in", "the",
        "a", "next", "last", "every", "each", "per"
    }
)
_URL = re.compile(
    r"^(?:(?:https?|ftp)://|www\.)\S+$|^[\w.-]+\.(?:com|org|net|uk|gov|io|info|eu)(?:/\S*)?$",
    re.IGNORECASE,
)


# ------------------------------------------------------------------------------ tokenizer


def customise_tokenizer(tokenizer: Tokenizer, defaults: Any) -> Tokenizer:
    """Teach spaCy's English tokenizer housing shorthand and a few splits notes need.

    "T/C", "w/c", "R&M" stay whole; "bowing;no" and "leak+mould" split; "asbestos.ceiling"
    (a missing space after a full stop) splits, and only real web addresses stay whole;
    "co." is no longer kept whole, so "tested for co." finds CO and the look-alike "& Co." is
    written in the same tokens as the text.
    """
    tokenizer.rules = {
        key: value for key, value in (tokenizer.rules or {}).items() if key.lower() != "co."
    }
    for short in SHORTHAND:
        tokenizer.add_special_case(short, [{"ORTH": short}])
    infixes = [
        *(defaults.infixes or ()),
        r"(?<=[\w)])[;+](?=[\w(])",
        r"(?<=[a-zA-Z])/(?=[a-zA-Z]{3,})",
        r"(?<=[^\W\d_]{2})\.(?=[^\W\d_]{2})",
    ]
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    # spaCy reads any "word.word" as a web address; in notes it is a missing space.
    tokenizer.url_match = _URL.match
    return tokenizer


class CaseFoldingTokenizer:
    """Tokenises the lower-cased text, so token boundaries never depend on case.

    spaCy's English rules split "can't" but not "CAN'T", and "wastE." differently from
    "waste."; case notes come in every casing. Tokens keep the original characters, so exact
    abbreviations ("CO" but not "Co") still match on ``ORTH``. A text whose lower-casing
    changes its length (a dotted capital I) is tokenised as written.
    """

    def __init__(self, inner: Tokenizer) -> None:
        self.inner = inner
        self.vocab = inner.vocab

    def __call__(self, text: str) -> Doc:
        folded = text.lower()
        if folded == text or len(folded) != len(text):
            return cast(Doc, self.inner(text))
        tokens = self.inner(folded)
        # Arrays, not Token objects: the same words, about three times faster.
        starts, lengths, spaces = tokens.to_array([IDX, LENGTH, SPACY]).T.tolist()
        words = [text[start:start + length] for start, length in zip(starts, lengths,
                                                                     strict=True)]
        return Doc(self.vocab, words=words, spaces=[bool(space) for space in spaces])

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    def to_disk(self, path: str | Path, **kwargs: Any) -> None:
        self.inner.to_disk(path, **kwargs)

    def from_disk(self, path: str | Path, **kwargs: Any) -> CaseFoldingTokenizer:
        self.inner.from_disk(path, **kwargs)
        return self

    def to_bytes(self, **kwargs: Any) -> bytes:
        return cast(bytes, self.inner.to_bytes(**kwargs))

    def from_bytes(self, data: bytes, **kwargs: Any) -> CaseFoldingTokenizer:
        self.inner.from_bytes(data, **kwargs)
        return self


@registry.tokenizers("casenotes.case_folding_tokenizer.v1")  # type: ignore[untyped-decorator]
def create_case_folding_tokenizer() -> Callable[[Language], CaseFoldingTokenizer]:
    """Registered tokenizer: spaCy's English tokenizer, customised and made case-blind."""

    def create(nlp: Language) -> CaseFoldingTokenizer:
        inner = registry.tokenizers.get("spacy.Tokenizer.v1")()(nlp)
        return CaseFoldingTokenizer(customise_tokenizer(inner, nlp.Defaults))

    return create


# ------------------------------------------------------------------------------ segmenter


def is_date(text: str) -> bool:
    """True for numeric dates as case notes write them: 02/12, 02/12/24, 2.12.2024, 2024-12-02."""
    return _DATE.match(text) is not None


# Bit flags of a token text, for the segmenter.
(_IS_SPACE, _IS_NEWLINE, _IS_SENTENCE_END, _IS_DATE, _IS_DAY_NUMBER, _IS_MONTH_NAME,
 _IS_WEEKDAY_NAME, _IS_GLUE) = (1 << n for n in range(8))


def _token_flags(text: str) -> int:
    """What the segmenter needs to know of one token text, as bit flags (cached per text)."""
    lower = text.lower()
    flags = 0
    if text.isspace():
        flags |= _IS_SPACE | (_IS_NEWLINE if "\n" in text else 0)
    if text in SENTENCE_END:
        flags |= _IS_SENTENCE_END
    if is_date(lower):
        flags |= _IS_DATE
    if lower.isdigit() and len(lower) <= 2:
        flags |= _IS_DAY_NUMBER
    if lower.rstrip(".") in _MONTH:
        flags |= _IS_MONTH_NAME
    if lower.rstrip(".,") in _WEEKDAY:
        flags |= _IS_WEEKDAY_NAME
    if lower in _DATE_GLUE:
        flags |= _IS_GLUE
    return flags


class Segmenter:
    """Sets sentence starts at punctuation, line breaks and dated timeline entries.

    Dated entries ("05/12 eng attended") start a sentence unless the date is glued to the
    words before it ("due 03/25", "on 02/12"). Their starts are stored as single-token spans
    in ``doc.spans["casenotes_timeline"]``.
    """

    def __init__(self, nlp: Language, name: str = "casenotes_segmenter", *,
                 timeline_key: str = TIMELINE_KEY) -> None:
        self.name = name
        self.timeline_key = timeline_key
        self._flags: dict[int, int] = {}

    def __call__(self, doc: Doc) -> Doc:
        count = len(doc)
        strings = doc.vocab.strings
        known = self._flags
        if len(known) > 1_000_000:
            known.clear()
        flags = []
        for orth in doc.to_array(ORTH).tolist():
            value = known.get(orth)
            if value is None:
                value = known[orth] = _token_flags(strings[orth])
            flags.append(value)
        starts = [False] * count
        entries: list[int] = []
        new_line = True
        previous = -1  # flags of the previous non-space token; -1 before the first
        for i, value in enumerate(flags):
            if value & _IS_SPACE:
                if value & _IS_NEWLINE:
                    new_line = True
                continue
            if new_line or previous < 0 or previous & _IS_SENTENCE_END:
                starts[i] = True
            if value & _IS_DATE:
                entry = previous < 0 or new_line or not previous & _IS_GLUE
            else:
                entry = bool(new_line and value & _IS_DAY_NUMBER and i + 1 < count
                             and flags[i + 1] & _IS_MONTH_NAME)
            if entry:
                first = i - 1 if i > 0 and flags[i - 1] & _IS_WEEKDAY_NAME else i
                starts[first] = True
                entries.append(first)
            new_line = False
            previous = value
        if count:
            starts[0] = True
            # One array write: setting token.is_sent_start one by one is quadratic in spaCy.
            values = numpy.where(numpy.array(starts, dtype=bool), 1, -1).astype("int32")
            doc.from_array([SENT_START], cast(Any, values.astype("uint64").reshape(-1, 1)))
        doc.spans[self.timeline_key] = [Span(doc, i, i + 1, label="ENTRY") for i in entries]
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Nothing to save: the segmenter is configured by its factory arguments."""

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> Segmenter:
        return self


# --------------------------------------------------------------------------- term matching


@dataclass(frozen=True, slots=True)
class _Entry:
    label: str
    entry_id: str
    blocker: bool
    keep: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class TermHit:
    """A lexicon entry matched at tokens ``[start, end)``."""

    start: int
    end: int
    label: str
    entry_id: str


@dataclass(frozen=True)
class _PatternGate:
    """Where a token pattern can match: next to a token whose lower-cased text is one of
    ``hashes`` (the literals of one required token) or whose text matches ``regex`` (a
    required token's ``TEXT`` regex); ``length`` is the pattern's longest match in tokens."""

    length: int
    hashes: frozenset[int] | None = None
    regex: re.Pattern[str] | None = None

    @classmethod
    def of(cls, pattern: TokenPattern, nlp: Language) -> _PatternGate | None:
        """The gate for a pattern, or None when it must run on the whole document.

        A literal token is preferred, unless all its literals are stop words ("in") and a
        token regex is there to gate on instead.
        """
        specs = pattern.tokens
        if any(spec.get("OP") in ("+", "*") for spec in specs):
            return None
        best: set[str] | None = None
        regex: re.Pattern[str] | None = None
        for spec in specs:
            if spec.get("OP") not in (None, "1", "{1}"):
                continue
            for attr in ("LOWER", "ORTH", "TEXT"):
                value = spec.get(attr)
                literals = ([value] if isinstance(value, str) else
                            value.get("IN") if isinstance(value, dict) else None)
                if isinstance(literals, list) and literals and all(
                        isinstance(x, str) for x in literals):
                    options = {x.lower() for x in literals}
                    if best is None or len(options) < len(best):
                        best = options
                elif (isinstance(value, dict) and attr == "TEXT" and regex is None
                      and isinstance(value.get("REGEX"), str)):
                    try:
                        regex = re.compile(value["REGEX"])
                    except re.error:
                        regex = None
        stop_words = nlp.Defaults.stop_words
        if best is not None and (regex is None or not best <= stop_words):
            return cls(len(specs), hashes=frozenset(nlp.vocab.strings.add(x) for x in best))
        if regex is not None:
            return cls(len(specs), regex=regex)
        return None


@dataclass(frozen=True)
class _GatedPattern:
    """A pattern's own ``Matcher`` and gate, with the token texts its regex was tried on."""

    matcher: Matcher
    gate: _PatternGate
    matched: set[int] = field(default_factory=set)
    unmatched: set[int] = field(default_factory=set)

    def matching(self, orths: set[int], strings: Any) -> set[int]:
        """The token texts (as hashes) among ``orths`` that the gate's regex matches."""
        assert self.gate.regex is not None
        for orth in orths - self.matched - self.unmatched:
            if len(self.unmatched) > 1_000_000:
                self.unmatched.clear()
            found = self.gate.regex.search(strings[orth]) is not None
            (self.matched if found else self.unmatched).add(orth)
        return orths & self.matched


class TermMatcher:
    """Phrase, exact and token-pattern matching with look-alike blocking and longest-first choice.

    Case-insensitive phrases use spaCy's ``PhraseMatcher`` on ``LOWER``, exact forms one on
    ``ORTH``, token patterns the ``Matcher``. A hit inside a look-alike is dropped; of
    overlapping hits the longest wins (then the earliest, then the first entry added).
    """

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.tokens = Matcher(nlp.vocab, validate=True)
        self.gated: list[_GatedPattern] = []
        self._anchor_hashes: set[int] = set()
        self.entries: dict[str, _Entry] = {}
        self.order: dict[str, int] = {}

    def __len__(self) -> int:
        return sum(not e.blocker for e in self.entries.values())

    def add(self, label: str, entry_id: str, *, phrases: Sequence[str] = (),
            exact: Sequence[str] = (), patterns: Sequence[TokenPattern] = (),
            blockers: Sequence[str] = (), exact_blockers: Sequence[str] = (),
            where: str = "") -> None:
        """Add one lexicon entry; ``where`` names it in error messages."""
        self._add_phrases(self.lower, f"{entry_id}", label, entry_id, phrases, blocker=False)
        self._add_phrases(self.exact, f"{entry_id}#exact", label, entry_id, exact, blocker=False)
        self._add_phrases(self.lower, f"{entry_id}#lookalike", label, entry_id, blockers,
                          blocker=True)
        self._add_phrases(self.exact, f"{entry_id}#lookalike_cased", label, entry_id,
                          exact_blockers, blocker=True)
        for number, pattern in enumerate(patterns):
            key = f"{entry_id}#pattern{number}"
            gate = _PatternGate.of(pattern, self.nlp)
            matcher = self.tokens if gate is None else Matcher(self.nlp.vocab, validate=True)
            try:
                matcher.add(key, [pattern.tokens])
            except (ValueError, KeyError, TypeError) as exc:
                raise LexiconError(
                    f"{where or entry_id}: pattern #{number + 1} is not a valid spaCy Matcher "
                    f"pattern ({str(exc).splitlines()[0][:200]})"
                ) from None
            if gate is not None:
                self.gated.append(_GatedPattern(matcher, gate))
                if gate.hashes is not None:
                    self._anchor_hashes.update(gate.hashes)
            self._register(key, _Entry(label, entry_id, False, pattern.keep))

    def _add_phrases(self, matcher: PhraseMatcher, key: str, label: str, entry_id: str,
                     phrases: Sequence[str], *, blocker: bool) -> None:
        if not phrases:
            return
        docs = [self.nlp.make_doc(phrase) for phrase in phrases]
        matcher.add(key, docs)
        self._register(key, _Entry(label, entry_id, blocker, None))

    def _register(self, key: str, entry: _Entry) -> None:
        self.entries[key] = entry
        self.order.setdefault(key, len(self.order))

    def _gated_matches(self, doc: Doc) -> list[tuple[int, int, int]]:
        """Token-pattern matches, each pattern run only on windows around its anchor tokens.

        spaCy's ``Matcher`` makes a Python object per token per pattern; most of a note is far
        from any "asb" or "aged", so windows give the same matches for a fraction of the work.
        """
        lowers = doc.to_array(LOWER).tolist()
        present = self._anchor_hashes.intersection(lowers)
        orths: list[int] | None = None
        unique_orths: set[int] = set()
        out: list[tuple[int, int, int]] = []
        for gated in self.gated:
            gate = gated.gate
            if gate.hashes is not None:
                hits = present.intersection(gate.hashes)
                if not hits:
                    continue
                positions = [i for i, h in enumerate(lowers) if h in hits]
            else:
                if orths is None:
                    orths = doc.to_array(ORTH).tolist()
                    unique_orths = set(orths)
                matching = gated.matching(unique_orths, self.nlp.vocab.strings)
                if not matching:
                    continue
                positions = [i for i, h in enumerate(orths) if h in matching]
            if not len(positions):
                continue
            reach = gate.length
            begin, end = -1, -1
            for position in positions:
                low, high = max(0, position - reach + 1), min(len(doc), position + reach)
                if low <= end:
                    end = max(end, high)
                    continue
                if end > begin:
                    out.extend((key, begin + a, begin + b) for key, a, b in
                               gated.matcher(doc[begin:end]))
                begin, end = low, high
            if end > begin:
                out.extend((key, begin + a, begin + b) for key, a, b in
                           gated.matcher(doc[begin:end]))
        return out

    def __call__(self, doc: Doc) -> list[TermHit]:
        strings = self.nlp.vocab.strings
        raw = [*self.lower(doc), *self.exact(doc)]
        if len(self.tokens):
            raw.extend(self.tokens(doc))
        if self.gated:
            raw.extend(self._gated_matches(doc))
        if not raw:
            return []
        blocks: list[tuple[int, int]] = []
        hits: list[tuple[int, int, str]] = []
        for match_id, start, end in raw:
            key = strings[match_id]
            if self.entries[key].blocker:
                blocks.append((start, end))
            else:
                hits.append((start, end, key))
        hits.sort(key=lambda h: (h[0] - h[1], h[0], self.order[h[2]]))
        taken = bytearray(len(doc))
        chosen: list[TermHit] = []
        for start, end, key in hits:
            entry = self.entries[key]
            kept = (start + entry.keep[0], start + entry.keep[1]) if entry.keep else (start, end)
            if any(b0 <= kept[0] and kept[1] <= b1 for b0, b1 in blocks):
                continue
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            chosen.append(TermHit(kept[0], kept[1], entry.label, entry.entry_id))
        chosen.sort(key=lambda h: h.start)
        return chosen


def _hazard_matcher(nlp: Language, terms: Sequence[HazardTerm],
                    equipment: Sequence[EquipmentTerm] = ()) -> TermMatcher:
    """Hazard terms; look-alikes and equipment phrases block the hits that lie inside them."""
    matcher = TermMatcher(nlp)
    for term in terms:
        matcher.add(term.category, term.id, phrases=term.phrases + term.misspellings,
                    exact=term.abbreviations, patterns=term.patterns,
                    blockers=term.lookalikes, exact_blockers=term.lookalikes_cased,
                    where=f"hazard entry {term.id!r}")
    for item in equipment:
        matcher.add(item.category, item.id, blockers=item.phrases,
                    exact_blockers=item.abbreviations, where=f"equipment entry {item.id!r}")
    return matcher


def _equipment_matcher(nlp: Language, terms: Sequence[EquipmentTerm]) -> TermMatcher:
    matcher = TermMatcher(nlp)
    for term in terms:
        matcher.add(term.kind, term.id, phrases=term.phrases, exact=term.abbreviations,
                    patterns=term.patterns, where=f"equipment entry {term.id!r}")
    return matcher


def _vulnerability_matcher(nlp: Language, terms: Sequence[VulnerabilityTerm]) -> TermMatcher:
    matcher = TermMatcher(nlp)
    for term in terms:
        matcher.add(term.group, term.id, phrases=term.phrases, exact=term.abbreviations,
                    patterns=term.patterns, blockers=term.lookalikes,
                    where=f"vulnerability entry {term.id!r}")
    return matcher


def _cue_matcher(nlp: Language, rules: Sequence[CueRule]) -> TermMatcher:
    matcher = TermMatcher(nlp)
    for rule in rules:
        matcher.add(rule.kind, rule.id, phrases=rule.phrases, patterns=rule.patterns,
                    where=f"cue rule {rule.id!r}")
    return matcher


class LexiconSpanFinder:
    """Writes one lexicon section's matches to ``doc.spans[spans_key]`` (label, span id = entry id).

    Used three times: ``casenotes_hazards`` for hazard terms (label = category),
    ``casenotes_equipment`` for equipment, trades and procedures (label = kind) and
    ``casenotes_vulnerability`` for vulnerability cues (label = group).
    """

    def __init__(self, nlp: Language, name: str, *, spans_key: str, section: str) -> None:
        if section not in ("hazards", "equipment", "vulnerability"):
            raise ValueError(
                f"section must be 'hazards', 'equipment' or 'vulnerability', not {section!r}")
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.section = section
        self.lexicon = Lexicon()
        self.matcher = TermMatcher(nlp)

    def add_lexicon(self, lexicon: Lexicon) -> None:
        """Replace the patterns with this lexicon's section; warns once if it is empty."""
        self.lexicon = lexicon
        if self.section == "hazards":
            self.matcher = _hazard_matcher(self.nlp, lexicon.hazards, lexicon.equipment)
        elif self.section == "equipment":
            self.matcher = _equipment_matcher(self.nlp, lexicon.equipment)
        else:
            self.matcher = _vulnerability_matcher(self.nlp, lexicon.vulnerability)
        if not len(self.matcher):
            warnings.warn(
                f"{self.name}: the lexicon has no {self.section} entries, so nothing will be "
                "found; load a lexicon with entries in that section",
                CasenotesWarning, stacklevel=2,
            )

    def __call__(self, doc: Doc) -> Doc:
        hits = self.matcher(doc)
        doc.spans[self.spans_key] = [
            Span(doc, hit.start, hit.end, label=hit.label, span_id=hit.entry_id) for hit in hits
        ]
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the lexicon section as ``lexicon.json`` in ``path``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        data = self.lexicon.to_dict()
        keep = {self.section: data[self.section]}
        if self.section == "hazards":
            keep["equipment"] = data["equipment"]  # equipment phrases block hazard hits
        (path / "lexicon.json").write_text(json.dumps(keep, indent=1), encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> LexiconSpanFinder:
        self.add_lexicon(Lexicon.from_file(Path(path) / "lexicon.json"))
        return self


class ContextAnnotator:
    """Matches context cues and records, for every hazard span, the cues that reach it.

    Cue spans go to ``doc.spans["casenotes_cues"]`` (label = kind). Each hazard span gets
    ``span._.casenotes_cues`` (a tuple of :class:`~casenotes.context.Reach`) and
    ``span._.casenotes_clause`` (its clause as a token range). Both survive ``Doc.to_bytes``,
    ``DocBin`` and ``nlp.pipe(n_process=...)`` (as lists) once :mod:`casenotes` is imported.
    """

    def __init__(self, nlp: Language, name: str = "casenotes_context", *,
                 hazards_key: str = HAZARDS_KEY, cues_key: str = CUES_KEY) -> None:
        self.nlp = nlp
        self.name = name
        self.hazards_key = hazards_key
        self.cues_key = cues_key
        self.lexicon = Lexicon()
        self.matcher = TermMatcher(nlp)
        self.rules: dict[str, CueRule] = {}

    def add_lexicon(self, lexicon: Lexicon) -> None:
        """Replace the cue rules with this lexicon's ``cues`` section."""
        self.lexicon = lexicon
        self.rules = {rule.id: rule for rule in lexicon.cues}
        self.matcher = _cue_matcher(self.nlp, lexicon.cues)

    def hits(self, doc: Doc) -> list[CueHit]:
        """Every cue in the document, longest first where they overlap."""
        return [CueHit(h.start, h.end, self.rules[h.entry_id]) for h in self.matcher(doc)]

    def __call__(self, doc: Doc) -> Doc:
        cue_hits = self.hits(doc)
        doc.spans[self.cues_key] = [
            Span(doc, h.start, h.end, label=h.rule.kind, span_id=h.rule.id) for h in cue_hits
        ]
        targets = [(span.start, span.end) for span in doc.spans.get(self.hazards_key, [])]
        reached = self.reach(doc, cue_hits, targets)
        for span, (clause, reaches) in zip(doc.spans.get(self.hazards_key, []), reached,
                                           strict=True):
            span._.set(CUES_EXTENSION, tuple(reaches))
            span._.set(CLAUSE_EXTENSION, clause)
        return doc

    def reach(self, doc: Doc, cue_hits: Sequence[CueHit], targets: Sequence[tuple[int, int]],
              ) -> list[tuple[tuple[int, int], list[Reach]]]:
        """For each target token span: its clause and the cues that reach it."""
        if not targets:
            return []
        sentence_starts = numpy.flatnonzero(doc.to_array(SENT_START) == 1).tolist()
        # A glued hyphen ("e-bike", "self-closer") is a word-internal mark, not a clause break.
        terminators = [
            h for h in cue_hits
            if h.rule.kind == "terminate" and not _glued_punctuation(doc, h.start, h.end)
        ]
        clauses = clause_bounds(len(doc), sentence_starts, terminators)
        clause_starts = [start for start, _ in clauses]
        # A cue strictly inside or straddling a target belongs to the term ("no" in
        # "no heating") and modifies nothing; a cue that *is* a term (LGSR) reaches others.
        covered = bytearray(len(doc))
        for start, end in targets:
            covered[start:end] = b"\x01" * (end - start)
        spans = set(targets)
        by_clause: dict[int, list[CueHit]] = {}
        for hit in cue_hits:
            if (hit.start, hit.end) in spans or not any(covered[hit.start:hit.end]):
                by_clause.setdefault(clause_index(hit.start, clause_starts), []).append(hit)
        out = []
        for start, end in targets:
            index = clause_index(start, clause_starts)
            clause = (clauses[index][0], max(clauses[index][1], end))
            reaches = [r for r in cues_reaching((start, end), clause, by_clause.get(index, []))
                       if (r.hit.start, r.hit.end) != (start, end)]
            out.append((clause, reaches))
        return out

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        data = {"cues": self.lexicon.to_dict()["cues"]}
        (path / "lexicon.json").write_text(json.dumps(data, indent=1), encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> ContextAnnotator:
        self.add_lexicon(Lexicon.from_file(Path(path) / "lexicon.json"))
        return self


# ------------------------------------------------------------------------------ factories


@Language.factory(
    "casenotes_segmenter", assigns=["token.is_sent_start", "doc.spans"],
    default_config={"timeline_key": TIMELINE_KEY},
)
def make_segmenter(nlp: Language, name: str, timeline_key: str) -> Segmenter:
    return Segmenter(nlp, name, timeline_key=timeline_key)


@Language.factory(
    "casenotes_hazards", assigns=["doc.spans"], default_config={"spans_key": HAZARDS_KEY},
)
def make_hazard_finder(nlp: Language, name: str, spans_key: str) -> LexiconSpanFinder:
    return LexiconSpanFinder(nlp, name, spans_key=spans_key, section="hazards")


@Language.factory(
    "casenotes_equipment", assigns=["doc.spans"], default_config={"spans_key": EQUIPMENT_KEY},
)
def make_equipment_finder(nlp: Language, name: str, spans_key: str) -> LexiconSpanFinder:
    return LexiconSpanFinder(nlp, name, spans_key=spans_key, section="equipment")


@Language.factory(
    "casenotes_vulnerability", assigns=["doc.spans"],
    default_config={"spans_key": VULNERABILITY_KEY},
)
def make_vulnerability_finder(nlp: Language, name: str, spans_key: str) -> LexiconSpanFinder:
    return LexiconSpanFinder(nlp, name, spans_key=spans_key, section="vulnerability")


@Language.factory(
    "casenotes_context", assigns=["doc.spans", f"span._.{CUES_EXTENSION}"],
    default_config={"hazards_key": HAZARDS_KEY, "cues_key": CUES_KEY},
)
def make_context(nlp: Language, name: str, hazards_key: str, cues_key: str) -> ContextAnnotator:
    return ContextAnnotator(nlp, name, hazards_key=hazards_key, cues_key=cues_key)


for _extension in (CUES_EXTENSION, CLAUSE_EXTENSION):
    if not Span.has_extension(_extension):
        Span.set_extension(_extension, default=None)


def build_nlp(lexicon: Lexicon | None = None, *, lemmatize: bool = True) -> Language:
    """Build the casenotes pipeline on ``spacy.blank("en")``; no pretrained model is needed.

    Parameters
    ----------
    lexicon : Lexicon, optional
        Hazard, vulnerability and cue entries; the bundled lexicon when omitted.
    lemmatize : bool, default=True
        Add spaCy's lookup lemmatizer (tables from ``spacy-lookups-data``) so mention windows
        carry lemmas.
    """
    lexicon = default_lexicon() if lexicon is None else lexicon
    nlp = spacy.blank("en", config={
        "nlp": {"tokenizer": {"@tokenizers": "casenotes.case_folding_tokenizer.v1"}}
    })
    nlp.max_length = MAX_NOTE_LENGTH
    nlp.add_pipe("casenotes_segmenter")
    if lemmatize:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    hazards = cast(LexiconSpanFinder, nlp.add_pipe("casenotes_hazards"))
    equipment = cast(LexiconSpanFinder, nlp.add_pipe("casenotes_equipment"))
    vulnerability = cast(LexiconSpanFinder, nlp.add_pipe("casenotes_vulnerability"))
    context = cast(ContextAnnotator, nlp.add_pipe("casenotes_context"))
    nlp.initialize()
    hazards.add_lexicon(lexicon)
    if lexicon.equipment:
        equipment.add_lexicon(lexicon)
    vulnerability.add_lexicon(lexicon)
    context.add_lexicon(lexicon)
    return nlp


# ---------------------------------------------------------------------------- the finder


class MentionFinder:
    """Finds hazard mentions, their cues and the vulnerability cues in case notes.

    Holds one spaCy pipeline: build it once and reuse it (``find_mentions`` keeps a default
    one per process).

    Examples
    --------
    >>> finder = MentionFinder()
    >>> [m.term for m in finder.find("T/C - smell of gas in kitchen")]
    ['smell of gas']
    """

    def __init__(self, lexicon: Lexicon | None = None, *, batch_size: int = 256,
                 lemmatize: bool = True) -> None:
        self.lexicon = default_lexicon() if lexicon is None else lexicon
        self.batch_size = batch_size
        # Lemmas are looked up for mention windows only, not lemmatised for every token.
        self.nlp = build_nlp(self.lexicon, lemmatize=False)
        self._lemmas = lemma_table() if lemmatize else None
        self._lemma_cache: dict[str, str] = {}
        self._terms = {term.id: term for term in self.lexicon.hazards}
        self._equipment = {item.id: item.category for item in self.lexicon.equipment}
        self._prefilter: Prefilter | None = None

    @property
    def prefilter(self) -> Prefilter:
        """The raw-text check that a note could hold one of this finder's hazard terms."""
        if self._prefilter is None:
            self._prefilter = Prefilter.from_lexicon(
                self.lexicon, lambda text: [t.text for t in self.nlp.make_doc(text)],
                split_pieces=letter_split_pieces(self.nlp),
            )
        return self._prefilter

    def find(self, text: str, note_id: str | None = None) -> list[Mention]:
        """The hazard mentions in one note, in text order."""
        return list(self.analyse(text, note_id).mentions)

    def analyse(self, text: str, note_id: str | None = None) -> NoteFindings:
        """Mentions, vulnerability cues and timeline entries of one note."""
        return next(self.analyse_many([("" if note_id is None else note_id, text)]))

    def analyse_many(self, notes: Iterable[tuple[str, str]]) -> Iterator[NoteFindings]:
        """Stream findings for ``(note_id, text)`` pairs in input order, batching spaCy work.

        Raises
        ------
        NoteTypeError
            If a text is not a ``str`` (the message names the note id, never its text).
        NoteTooLongError
            If a text is longer than ``MAX_NOTE_LENGTH`` characters.
        """
        pending: deque[tuple[str, str, OffsetMap]] = deque()

        def prepared() -> Iterator[str]:
            for note_id, text in notes:
                note_id = "" if note_id is None else str(note_id)
                check_text(text, note_id)
                normalised, offsets = normalise(text)
                pending.append((note_id, text, offsets))
                yield normalised

        for doc in self.nlp.pipe(prepared(), batch_size=self.batch_size):
            note_id, original, offsets = pending.popleft()
            yield self._findings(doc, note_id, original, offsets)

    def cues_for(self, text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[Cue, ...]]:
        """The cues reaching arbitrary character spans of ``text``, nearest first.

        Lets the context rules run on targets that are not hazard terms, e.g. the clinical
        conditions of the NegEx test set.
        """
        check_text(text, "")
        normalised, offsets = normalise(text)
        inverse = _inverse(offsets, len(text))
        doc = self.nlp(normalised)
        context = cast(ContextAnnotator, self.nlp.get_pipe("casenotes_context"))
        targets = []
        for start, end in spans:
            span = doc.char_span(inverse[start], inverse[end], alignment_mode="expand")
            if span is None or not len(span):
                raise ValueError(f"span {start}-{end} covers no token of the text")
            targets.append((span.start, span.end))
        results = []
        for _, reaches in context.reach(doc, context.hits(doc), targets):
            results.append(tuple(self._cue(doc, reach, text, offsets) for reach in reaches))
        return results

    def _lemma(self, token: Any) -> str:
        """The lookup lemma, as spaCy's lookup lemmatizer gives it, lower-cased."""
        if self._lemmas is None:
            return cast(str, token.lower_)
        text = token.text
        lemma = self._lemma_cache.get(text)
        if lemma is None:
            if len(self._lemma_cache) > 200_000:
                self._lemma_cache.clear()
            lemma = self._lemma_cache[text] = cast(
                str, self._lemmas.get(text, text) or token.lower_).lower()
        return lemma

    @staticmethod
    def _cue(doc: Doc, reach: Reach, original: str, offsets: OffsetMap) -> Cue:
        cue_span = doc[reach.hit.start:reach.hit.end]
        start, end = offsets.start(cue_span.start_char), offsets.end(cue_span.end_char)
        return Cue(kind=reach.hit.rule.kind, cue_id=reach.hit.rule.id, text=original[start:end],
                   position=reach.position, distance=reach.distance, start=start, end=end)

    def _findings(self, doc: Doc, note_id: str, original: str,
                  offsets: OffsetMap) -> NoteFindings:
        hazard_spans = doc.spans[HAZARDS_KEY]
        sentence_starts = (numpy.flatnonzero(doc.to_array(SENT_START) == 1).tolist()
                           if len(hazard_spans) else [])
        mentions = tuple(
            self._mention(span, note_id, original, offsets, sentence_starts)
            for span in hazard_spans
        )
        vulnerabilities = tuple(
            VulnerabilityCue(
                start=(start := offsets.start(span.start_char)),
                end=(end := offsets.end(span.end_char)),
                term=original[start:end], cue_id=span.id_,
                group=cast(VulnerabilityGroup, span.label_),
            )
            for span in doc.spans[VULNERABILITY_KEY]
        )
        timeline = tuple(offsets.start(span.start_char) for span in doc.spans[TIMELINE_KEY])
        cues = tuple(
            CueMatch(kind=cast(CueKind, span.label_), cue_id=span.id_,
                     text=original[start:end], start=start, end=end)
            for span in doc.spans[CUES_KEY]
            if span.label_ not in ("terminate", "pseudo")
            for start, end in [(offsets.start(span.start_char), offsets.end(span.end_char))]
        )
        # Equipment inside a mention ("boiler" in "boiler broken down", "gas" in "smell of
        # gas") is part of that mention, not context beside it.
        equipment_spans = doc.spans.get(EQUIPMENT_KEY, ())
        inside = bytearray(len(doc) if len(equipment_spans) else 0)
        for span in hazard_spans if inside else ():
            inside[span.start:span.end] = b"\x01" * len(span)
        equipment = tuple(
            EquipmentMatch(start=start, end=end, term=original[start:end], term_id=span.id_,
                           category=self._equipment[span.id_],
                           kind=cast(EquipmentKind, span.label_))
            for span in equipment_spans
            if not all(inside[span.start:span.end])
            for start, end in [(offsets.start(span.start_char), offsets.end(span.end_char))]
        )
        return NoteFindings(note_id, mentions, vulnerabilities, timeline, cues, equipment)

    def _mention(self, span: Span, note_id: str, original: str, offsets: OffsetMap,
                 sentence_starts: list[int]) -> Mention:
        doc = span.doc
        term = self._terms[span.id_]
        start, end = offsets.start(span.start_char), offsets.end(span.end_char)
        # A phrase with a full stop inside ("c.o. alarm") can straddle a sentence break.
        first = sentence_starts[bisect.bisect_right(sentence_starts, span.start) - 1]
        after_last = bisect.bisect_right(sentence_starts, span.end - 1)
        last = sentence_starts[after_last] if after_last < len(sentence_starts) else len(doc)
        sentence = doc[first:last]
        clause_start, clause_end = span._.get(CLAUSE_EXTENSION) or (sentence.start, sentence.end)
        before = _window(doc, span.start - 1, sentence.start - 1, -1)[::-1]
        after = _window(doc, span.end, sentence.end, 1)
        cues = [self._cue(doc, reach, original, offsets)
                for reach in span._.get(CUES_EXTENSION) or ()]
        return Mention(
            note_id=note_id, start=start, end=end, term=original[start:end], term_id=term.id,
            category=term.category, hhsrs_hazard=term.hhsrs_hazard,
            sentence_start=offsets.start(sentence.start_char),
            sentence_end=offsets.end(sentence.end_char),
            clause_start=offsets.start(doc[clause_start].idx),
            clause_end=offsets.end(_char_end(doc, clause_end)),
            cues=tuple(cues),
            before=tuple(t.lower_ for t in before), after=tuple(t.lower_ for t in after),
            before_lemmas=tuple(self._lemma(t) for t in before),
            after_lemmas=tuple(self._lemma(t) for t in after),
        )


def letter_split_pieces(nlp: Language) -> set[str]:
    """Lower-cased pieces the tokenizer's special cases cut from a word between two letters.

    "cannot" -> "can", "not" and "gonna" -> "gon", "na": such a piece can match a lexicon token
    with a letter right beside it, which the prefilter must allow for.
    """
    tokenizer = cast(Any, nlp.tokenizer)
    rules = getattr(getattr(tokenizer, "inner", tokenizer), "rules", None) or {}
    pieces: set[str] = set()
    for text, parts in rules.items():
        forms = [part.get("ORTH", part.get(ORTH)) for part in parts]
        if len(forms) < 2 or "".join(map(str, forms)) != text:
            continue
        position = 0
        for form in forms[:-1]:
            position += len(form)
            if text[position - 1].isalpha() and text[position].isalpha():
                pieces.update(str(f).lower() for f in forms)
                break
    return pieces


def _glued_punctuation(doc: Doc, start: int, end: int) -> bool:
    """True for a one-token punctuation mark with no space on either side ("e-bike")."""
    if end - start != 1 or not doc[start].is_punct or start == 0:
        return False
    return not doc[start - 1].whitespace_ and not doc[start].whitespace_


def _window(doc: Doc, begin: int, stop: int, step: int) -> list[Any]:
    """Up to ``WINDOW`` non-space tokens from ``begin`` towards ``stop`` (exclusive)."""
    out = []
    for i in range(begin, stop, step):
        token = doc[i]
        if not token.is_space:
            out.append(token)
            if len(out) == WINDOW:
                break
    return out


def _inverse(offsets: OffsetMap, length: int) -> list[int]:
    """Original offset -> normalised offset, for every position 0..length."""
    if offsets is IDENTITY:
        return list(range(length + 1))
    inverse = [0] * (length + 1)
    position = 0
    for normalised in range(length + 1):
        original = offsets.start(normalised)
        while position <= min(original, length):
            inverse[position] = normalised
            position += 1
        if position > length:
            break
    return inverse


def _char_end(doc: Doc, token_end: int) -> int:
    last = doc[token_end - 1]
    return last.idx + len(last.text)


@lru_cache(maxsize=1)
def lemma_table() -> Any:
    """spaCy's English lookup lemma table (from ``spacy-lookups-data``), loaded once."""
    from spacy.lookups import load_lookups

    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


@lru_cache(maxsize=1)
def default_finder() -> MentionFinder:
    """The per-process finder over the bundled lexicon, built on first use."""
    return MentionFinder()


def find_mentions(text: str, note_id: str | None = None, *,
                  lexicon: Lexicon | None = None) -> list[Mention]:
    """Find the hazard mentions in one case note.

    Parameters
    ----------
    text : str
        The note, as written.
    note_id : str, optional
        Copied into every mention; ``""`` when omitted.
    lexicon : Lexicon, optional
        A custom lexicon (see :func:`casenotes.load_lexicon`); builds a new pipeline, so for
        many notes create one :class:`MentionFinder` instead.

    Returns
    -------
    list of Mention
        In text order; ``text[m.start:m.end] == m.term`` for each.

    Examples
    --------
    >>> [(m.term, m.category, m.context) for m in find_mentions("No ACMs found in survey")]
    [('ACMs', 'asbestos', 'negated')]
    """
    finder = default_finder() if lexicon is None else MentionFinder(lexicon)
    return finder.find(text, note_id)


def analyse_notes(notes: Iterable[tuple[str, str]], *, lexicon: Lexicon | None = None,
                  batch_size: int = 256) -> Iterator[NoteFindings]:
    """Stream :class:`NoteFindings` for an iterable of ``(note_id, text)`` pairs, in order.

    The batch form of :func:`find_mentions`: notes are read lazily and processed in batches of
    ``batch_size``, so any number of notes fits in memory.
    """
    if lexicon is None and batch_size == default_finder().batch_size:
        finder = default_finder()
    else:
        finder = MentionFinder(lexicon, batch_size=batch_size)
    return finder.analyse_many(notes)
