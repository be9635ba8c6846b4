"""One reading of a note: every entry point (scoring, ``find_mentions``, ``build_nlp()``) reads
a note with :class:`NoteReader`, so they cannot disagree.

A reading is the normalised text and its offset map, the tokens, the sentence starts and
dated timeline entries, each lexicon section's hits and, for every hazard hit, its clause and
the cues that reach it. :meth:`NoteReader.findings` turns a reading into plain
:class:`~casenotes.types.NoteFindings` with offsets into the note as written; the spaCy
components of :mod:`casenotes.nlp.pipeline` turn the same reading into a ``Doc``'s span groups.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any, Final, cast

from ..lexicon import CueRule, Lexicon, default_lexicon
from ..types import (
    Cue,
    CueMatch,
    EquipmentKind,
    EquipmentMatch,
    Mention,
    NoteFindings,
    VulnerabilityCue,
    VulnerabilityGroup,
)
from .compiled import core, record_maker
from .context import (
    CueHit,
    Reach,
    clause_bounds,
    clause_index,
    cues_reaching,
    sentence_bounds,
)
from .english import letter_split_pieces, note_tokenizer
from .matching import JoinedTokens, LexiconMatcher, TermHit
from .prefilter import Prefilter
from .senses import Evidence, Sense, SenseReader
from .text import IDENTITY, OffsetMap, check_text, normalise
from .tokens import NoteTokenizer, Tokens

_segment_compiled: Any = None if core is None else core.segment
_context_records: Any = None if core is None else core.context_records
_mention_records: Any = None if core is None else core.mention_records
_cue_scopes: Any = None if core is None else core.cue_scopes

HAZARDS: Final = "hazards"
EQUIPMENT: Final = "equipment"
VULNERABILITY: Final = "vulnerability"
CUES: Final = "cues"
#: Tokens kept either side of a mention in ``Mention.before`` / ``Mention.after``.
WINDOW: Final = 8
SENTENCE_END: Final = frozenset({".", "!", "?", "...", "…", "!!", "??", "?!"})
_DATE = re.compile(
    r"^(\d{1,2}/\d{1,2}(/\d{2,4})?|\d{1,2}\.\d{1,2}\.\d{2,4}|\d{1,2}-\d{1,2}-\d{2,4}"
    r"|\d{4}-\d{2}-\d{2})$"
)
_MONTH: Final = frozenset({
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "january", "february", "march", "april", "june", "july", "august", "september",
    "october", "november", "december",
})
_WEEKDAY: Final = frozenset({
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
})
#: Words that make a following date part of the sentence ("due 03/25"), not a new entry.
_DATE_GLUE: Final = frozenset({
    "on", "since", "by", "from", "until", "till", "til", "to", "before", "after", "of",
    "at", "dated", "due", "w/c", "wc", "and", "or", "between", "than", "for", "in", "the",
    "a", "next", "last", "every", "each", "per",
})
#: Readings the spaCy components share while they annotate one batch of Docs.
READING_MEMORY: Final = 4096


def is_date(text: str) -> bool:
    """True for numeric dates as case notes write them: 02/12, 02/12/24, 2.12.2024, 2024-12-02."""
    return _DATE.match(text) is not None


# Bit flags of a token text, for the segmenter.
(_IS_SPACE, _IS_NEWLINE, _IS_SENTENCE_END, _IS_DATE, _IS_DAY_NUMBER, _IS_MONTH_NAME,
 _IS_WEEKDAY_NAME, _IS_GLUE) = (1 << n for n in range(8))


def token_flags(lower: str) -> int:
    """What the segmenter needs to know of one lower-cased token text, as bit flags."""
    flags = 0
    if lower.isspace():
        flags |= _IS_SPACE | (_IS_NEWLINE if "\n" in lower else 0)
    if lower in SENTENCE_END:
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


class _FlagTable(dict[str, int]):
    """Token text -> segmenter flags, computed on first sight (bounded)."""

    def __missing__(self, lower: str) -> int:
        if len(self) > FLAG_MEMORY:
            self.clear()
        value = self[lower] = token_flags(lower)
        return value


#: Token texts whose segmenter flags are remembered before the table starts again.
FLAG_MEMORY: Final = 50_000
_FLAGS: Final = _FlagTable()


def segment(lowers: Sequence[str], *, compiled: bool = True) -> tuple[list[int], list[int]]:
    """Sentence starts and dated timeline entries (token indices) of a token sequence.

    A sentence starts at the first token, after a sentence-final mark and on a new line.
    A dated entry ("05/12 eng attended", "Mon 05/12", "5 Dec") starts a sentence unless the
    date is glued to the words before it ("due 03/25", "on 02/12"). The compiled core runs
    the same rules when built (``compiled=False``: this Python, the reference).
    """
    if compiled and _segment_compiled is not None:
        found: tuple[list[int], list[int]] = _segment_compiled(tuple(lowers), _FLAGS)
        return found
    flags = list(map(_FLAGS.__getitem__, lowers))
    count = len(flags)
    starts: set[int] = {0} if count else set()
    entries: list[int] = []
    new_line = True
    previous = -1  # flags of the previous non-space token; -1 before the first
    for i, value in enumerate(flags):
        if value & _IS_SPACE:
            if value & _IS_NEWLINE:
                new_line = True
            continue
        if new_line or previous < 0 or previous & _IS_SENTENCE_END:
            starts.add(i)
        if value & _IS_DATE:
            entry = previous < 0 or new_line or not previous & _IS_GLUE
        else:
            entry = bool(new_line and value & _IS_DAY_NUMBER and i + 1 < count
                         and flags[i + 1] & _IS_MONTH_NAME)
        if entry:
            first = i - 1 if i > 0 and flags[i - 1] & _IS_WEEKDAY_NAME else i
            starts.add(first)
            entries.append(first)
        new_line = False
        previous = value
    return sorted(starts), entries


def is_punct(text: str) -> bool:
    """Every character is punctuation (spaCy's ``Token.is_punct``)."""
    return all(unicodedata.category(char).startswith("P") for char in text)


@dataclass(frozen=True, slots=True)
class Reading:
    """Everything read from one note, in token indices of its normalised text.

    ``clauses[i]`` and ``reaches[i]`` belong to ``hits["hazards"][i]``.
    """

    original: str
    offsets: OffsetMap
    tokens: Tokens
    sentence_starts: tuple[int, ...]
    entries: tuple[int, ...]
    hits: dict[str, list[TermHit]]
    cue_hits: tuple[CueHit, ...]
    clauses: tuple[tuple[int, int], ...]
    reaches: tuple[tuple[Reach, ...], ...]

    @property
    def text(self) -> str:
        """The normalised text the tokens index."""
        return self.tokens.text

    def char_span(self, start: int, end: int) -> tuple[int, int]:
        """Original-text offsets of the tokens ``[start, end)``."""
        if self.offsets is IDENTITY:
            return self.tokens.starts[start], self.tokens.ends[end - 1]
        return (self.offsets.start(self.tokens.starts[start]),
                self.offsets.end(self.tokens.ends[end - 1]))


class NoteReader:
    """Reads notes with one lexicon: tokens, sentences, lexicon hits, cue scopes, findings.

    Build one and reuse it (``default_reader()`` keeps one per process); it holds compiled
    automata and a tokenizer with spaCy's rules, consulted once per distinct word.
    """

    def __init__(self, lexicon: Lexicon | None = None, *, lemmatize: bool = True,
                 compiled: bool | None = None) -> None:
        self.lexicon = default_lexicon() if lexicon is None else lexicon
        self.tokenizer = note_tokenizer(compiled=compiled)
        self.matcher = LexiconMatcher(self.tokenizer.words, compiled=compiled)
        #: Read with the compiled core (when built) or in Python; both read the same.
        self.compiled = self.matcher.compiled
        _add_lexicon(self.matcher, self.lexicon)
        self.rules: dict[str, CueRule] = {rule.id: rule for rule in self.lexicon.cues}
        self._terms = {term.id: term for term in self.lexicon.hazards}
        self._equipment = {item.id: item.category for item in self.lexicon.equipment}
        self.senses = SenseReader(self.lexicon)
        self._lemmas = lemma_table() if lemmatize else None
        self._lemma_cache: dict[str, str] = {}
        self._memory: OrderedDict[str, Reading] = OrderedDict()

    @cached_property
    def prefilter(self) -> Prefilter:
        """The raw-text check that a note could hold one of this reader's hazard terms (made
        on first use, once per reader): the stored one where it was built from this reader's
        lexicon and tokenizer rules (the bundled ones, :data:`PREFILTER_FILE`), else built."""
        key = prefilter_key(self.lexicon, self.tokenizer)
        try:
            stored = resources.files(__package__).joinpath(PREFILTER_FILE).read_bytes()
        except OSError:
            stored = None
        found = None if stored is None else Prefilter.from_json(stored, key)
        return self.built_prefilter() if found is None else found

    def built_prefilter(self) -> Prefilter:
        """The prefilter built from this reader's lexicon and tokenizer (a tenth of a second
        for the bundled lexicon, four times as long as reading the stored one)."""
        return Prefilter.from_lexicon(self.lexicon, self.tokenizer.words,
                                      split_pieces=letter_split_pieces(self.tokenizer))

    # ------------------------------------------------------------------------ reading

    def read(self, text: str, note_id: str = "") -> Reading:
        """Read one note as written (checked, then normalised)."""
        return self._read_matched(text, *self._checked_match(text, note_id))

    def _checked_match(self, text: str, note_id: str,
                       ) -> tuple[OffsetMap, Tokens, dict[str, list[TermHit]]]:
        """A note as written checked and normalised: its offset map, tokens and hits."""
        check_text(text, note_id)
        normalised, offsets = normalise(text)
        return (offsets, *self._match(normalised))

    def read_normalised(self, text: str) -> Reading:
        """Read an already normalised text (a ``Doc``'s), remembering recent readings so the
        spaCy components of one batch share one reading per Doc."""
        found = self._memory.get(text)
        if found is None:
            found = self._memory[text] = self._read(text, text, IDENTITY)
            if len(self._memory) > READING_MEMORY:
                self._memory.popitem(last=False)
        return found

    def _read(self, original: str, normalised: str, offsets: OffsetMap) -> Reading:
        return self._read_matched(original, offsets, *self._match(normalised))

    def _match(self, normalised: str) -> tuple[Tokens, dict[str, list[TermHit]]]:
        """The tokens of a normalised text and the lexicon's hits in them."""
        tokens = self.tokenizer(normalised)
        hits = self.matcher(JoinedTokens.of(tokens))
        if hits[HAZARDS]:
            hits[HAZARDS] = [hit for hit in hits[HAZARDS]
                             if not _acronym_defined_here(tokens, hit, hits[HAZARDS])]
        return tokens, hits

    def _read_matched(self, original: str, offsets: OffsetMap, tokens: Tokens,
                      hits: dict[str, list[TermHit]]) -> Reading:
        sentence_starts, entries = segment(tokens.lowers, compiled=self.compiled)
        cue_hits, clauses, reaches = self.scopes(tokens, sentence_starts, hits)
        return Reading(original, offsets, tokens, tuple(sentence_starts), tuple(entries), hits,
                       cue_hits, clauses, reaches)

    def scopes(self, tokens: Tokens, sentence_starts: Sequence[int],
               hits: dict[str, list[TermHit]],
               ) -> tuple[tuple[CueHit, ...], tuple[tuple[int, int], ...],
                          tuple[tuple[Reach, ...], ...]]:
        """The note's cue hits and, per hazard hit, its clause and the cues that reach it."""
        targets = [(hit.start, hit.end) for hit in hits[HAZARDS]]
        if self.compiled and _cue_scopes is not None:
            return cast(tuple[tuple[CueHit, ...], tuple[tuple[int, int], ...],
                              tuple[tuple[Reach, ...], ...]],
                        _cue_scopes(tokens, sentence_starts, hits[CUES], self.rules, targets,
                                    *_SCOPE_MAKERS, is_punct))
        cue_hits = tuple(CueHit(h.start, h.end, self.rules[h.entry_id]) for h in hits[CUES])
        reached = self.reach(tokens, sentence_starts, cue_hits, targets)
        return (cue_hits, tuple(clause for clause, _ in reached),
                tuple(tuple(reaches) for _, reaches in reached))

    @staticmethod
    def reach(tokens: Tokens, sentence_starts: Sequence[int], cue_hits: Sequence[CueHit],
              targets: Sequence[tuple[int, int]],
              ) -> list[tuple[tuple[int, int], list[Reach]]]:
        """For each target token span: its clause and the cues that reach it."""
        if not targets:
            return []
        count = len(tokens)
        # A glued hyphen ("e-bike", "self-closer") is a word-internal mark, not a clause break.
        terminators = [h for h in cue_hits
                       if h.rule.kind == "terminate" and not _glued_punctuation(tokens, h)]
        clauses = clause_bounds(count, sentence_starts, terminators)
        clause_starts = [start for start, _ in clauses]
        # A cue strictly inside or straddling a target belongs to the term ("no" in
        # "no heating") and modifies nothing; a cue that *is* a term (LGSR) reaches others.
        covered = bytearray(count)
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

    # ----------------------------------------------------------------------- findings

    def analyse(self, text: str, note_id: str | None = None, *,
                skip_hazard_free: bool = False) -> NoteFindings:
        """Mentions, vulnerability cues, timeline entries, cues and equipment of one note.

        With ``skip_hazard_free``, a note in which the lexicon finds no hazard term stops
        there: its findings are empty (no mentions, as always, but no cues, equipment or
        timeline either), as for a note the prefilter rules out.
        """
        note_id = "" if note_id is None else str(note_id)
        offsets, tokens, hits = self._checked_match(text, note_id)
        if skip_hazard_free and not hits[HAZARDS]:
            made: NoteFindings = _findings_record(note_id, (), (), (), (), ())
            return made
        return self.findings(self._read_matched(text, offsets, tokens, hits), note_id)

    def analyse_many(self, notes: Iterable[tuple[str, str]], *,
                     skip_hazard_free: bool = False) -> Iterator[NoteFindings]:
        """Findings for ``(note_id, text)`` pairs, in input order (``skip_hazard_free``: see
        :meth:`analyse`)."""
        for note_id, text in notes:
            yield self.analyse(text, note_id, skip_hazard_free=skip_hazard_free)

    def findings(self, reading: Reading, note_id: str) -> NoteFindings:
        """The reading as plain records, offsets into the note as written."""
        original = reading.original
        hazard_hits = reading.hits[HAZARDS]
        senses = self.senses_of(reading) or (None,) * len(hazard_hits)
        if self.compiled and _mention_records is not None:
            mentions: tuple[Mention, ...] = _mention_records(
                reading, note_id, tuple(senses), self._terms,
                None if self._lemmas is None else self._lemma, self._lemma_cache,
                *_MENTION_MAKERS, WINDOW)
        else:
            mentions = tuple(
                self._mention(reading, hit, clause, reaches, note_id, sense)
                for hit, clause, reaches, sense in zip(hazard_hits, reading.clauses,
                                                       reading.reaches, senses, strict=True))
        if self.compiled and _context_records is not None:
            vulnerabilities, timeline, cues, equipment = _context_records(
                reading, original, *_RECORD_MAKERS, self._equipment)
        else:
            vulnerabilities, timeline, cues, equipment = self._context_records(reading)
        found: NoteFindings = _findings_record(note_id, mentions, vulnerabilities, timeline,
                                               cues, equipment)
        return found

    def _context_records(self, reading: Reading) -> tuple[
            tuple[VulnerabilityCue, ...], tuple[int, ...], tuple[CueMatch, ...],
            tuple[EquipmentMatch, ...]]:
        """Vulnerability cues, timeline, cues and equipment as records, in Python (the
        reference for the compiled ``context_records``)."""
        original = reading.original
        hazard_hits = reading.hits[HAZARDS]
        vulnerabilities = tuple(
            VulnerabilityCue(start=start, end=end, term=original[start:end], cue_id=hit.entry_id,
                             group=cast(VulnerabilityGroup, hit.label))
            for hit in reading.hits[VULNERABILITY]
            for start, end in [reading.char_span(hit.start, hit.end)])
        timeline = tuple(reading.offsets.start(reading.tokens.starts[i])
                         for i in reading.entries)
        cues = tuple(
            CueMatch(kind=hit.rule.kind, cue_id=hit.rule.id,
                     text=original[start:end], start=start, end=end)
            for hit in reading.cue_hits if hit.rule.kind not in ("terminate", "pseudo")
            for start, end in [reading.char_span(hit.start, hit.end)])
        # Equipment inside a mention ("boiler" in "boiler broken down", "gas" in "smell of
        # gas") is part of that mention, not context beside it.
        equipment_hits = reading.hits.get(EQUIPMENT, [])
        inside = bytearray(len(reading.tokens) if equipment_hits else 0)
        for hit in hazard_hits if inside else ():
            inside[hit.start:hit.end] = b"\x01" * (hit.end - hit.start)
        equipment = tuple(
            EquipmentMatch(start=start, end=end, term=original[start:end], term_id=hit.entry_id,
                           category=self._equipment[hit.entry_id],
                           kind=cast(EquipmentKind, hit.label))
            for hit in equipment_hits if not all(inside[hit.start:hit.end])
            for start, end in [reading.char_span(hit.start, hit.end)])
        return vulnerabilities, timeline, cues, equipment

    def senses_of(self, reading: Reading) -> tuple[Sense | None, ...]:
        """Per hazard hit, the category its context gives it (None: its entry's), or an
        empty tuple when no hit of the note is an ambiguous word."""
        hazard_hits = reading.hits[HAZARDS]
        if not self.senses or not hazard_hits:
            return ()
        equipment = self._equipment

        def evidence() -> list[Evidence]:
            return [Evidence(hit.start, hit.end, equipment[hit.entry_id], hit.label)
                    for hit in reading.hits.get(EQUIPMENT, ())]

        return self.senses.read(reading.tokens.lowers, reading.sentence_starts,
                                [(hit.start, hit.end, hit.entry_id) for hit in hazard_hits],
                                evidence)

    def cue(self, reading: Reading, reach: Reach) -> Cue:
        """A reaching cue as a record, offsets into the note as written."""
        start, end = reading.char_span(reach.hit.start, reach.hit.end)
        return Cue(kind=reach.hit.rule.kind, cue_id=reach.hit.rule.id,
                   text=reading.original[start:end], position=reach.position,
                   distance=reach.distance, start=start, end=end)

    def _mention(self, reading: Reading, hit: TermHit, clause: tuple[int, int],
                 reaches: Sequence[Reach], note_id: str, sense: Sense | None) -> Mention:
        tokens = reading.tokens
        term = self._terms[hit.entry_id]
        category, hhsrs_hazard = (term.category, term.hhsrs_hazard) if sense is None else sense
        start, end = reading.char_span(hit.start, hit.end)
        first, last = sentence_bounds(hit.start, hit.end, reading.sentence_starts, len(tokens))
        before = _window(tokens, hit.start - 1, first - 1, -1)[::-1]
        after = _window(tokens, hit.end, last, 1)
        sentence_start, sentence_end = reading.char_span(first, last)
        clause_start, clause_end = reading.char_span(*clause)
        texts = tokens.text
        return Mention(
            note_id=note_id, start=start, end=end, term=reading.original[start:end],
            term_id=term.id, category=category, hhsrs_hazard=hhsrs_hazard,
            sentence_start=sentence_start, sentence_end=sentence_end,
            clause_start=clause_start, clause_end=clause_end,
            cues=tuple(self.cue(reading, reach) for reach in reaches),
            before=tuple(tokens.lowers[i] for i in before),
            after=tuple(tokens.lowers[i] for i in after),
            before_lemmas=tuple(self._lemma(texts[tokens.starts[i]:tokens.ends[i]],
                                            tokens.lowers[i]) for i in before),
            after_lemmas=tuple(self._lemma(texts[tokens.starts[i]:tokens.ends[i]],
                                           tokens.lowers[i]) for i in after),
        )

    def _lemma(self, text: str, lower: str) -> str:
        """The lookup lemma, as spaCy's lookup lemmatizer gives it, lower-cased."""
        if self._lemmas is None:
            return lower
        lemma = self._lemma_cache.get(text)
        if lemma is None:
            if len(self._lemma_cache) > 200_000:
                self._lemma_cache.clear()
            lemma = self._lemma_cache[text] = (self._lemmas.get(text, text) or lower).lower()
        return lemma


def _acronym_defined_here(tokens: Tokens, hit: TermHit, hazards: Sequence[TermHit]) -> bool:
    """An acronym spelled out in brackets after it, without naming a hazard there, is
    something else: "DAMP (Debt Advice and Money Planning)", "CO (contact officer)", but not
    "CO (carbon monoxide)"."""
    if hit.end - hit.start != 1 or hit.end + 1 >= len(tokens):
        return False
    word = tokens.text[tokens.starts[hit.start]:tokens.ends[hit.start]]
    if len(word) < 2 or not word.isalpha() or not word.isupper():
        return False
    if tokens.lowers[hit.end] != "(" or not tokens.lowers[hit.end + 1].startswith(
            word[0].lower()):
        return False
    closing = next((i for i in range(hit.end + 1, min(hit.end + 12, len(tokens)))
                    if tokens.lowers[i] == ")"), hit.end + 12)
    return not any(hit.end < other.start < closing for other in hazards)


def _window(tokens: Tokens, begin: int, stop: int, step: int) -> list[int]:
    """Up to ``WINDOW`` non-space token indices from ``begin`` towards ``stop`` (exclusive)."""
    out = []
    lowers = tokens.lowers
    for i in range(begin, stop, step):
        if not lowers[i].isspace():
            out.append(i)
            if len(out) == WINDOW:
                break
    return out


def _glued_punctuation(tokens: Tokens, hit: CueHit) -> bool:
    """True for a one-token punctuation mark with no space on either side ("e-bike")."""
    start = hit.start
    if hit.end - start != 1 or start == 0 or not is_punct(tokens.lowers[start]):
        return False
    return not tokens.spaces[start - 1] and not tokens.spaces[start]


def _add_lexicon(matcher: LexiconMatcher, lexicon: Lexicon) -> None:
    """Every section of the lexicon, as the spans each produces."""
    for term in lexicon.hazards:
        matcher.add(HAZARDS, term.category, term.id,
                    phrases=term.phrases + term.misspellings, exact=term.abbreviations,
                    patterns=term.patterns, blockers=term.lookalikes,
                    exact_blockers=term.lookalikes_cased, where=f"hazard entry {term.id!r}")
    for item in lexicon.equipment:
        # Equipment phrases block hazard hits inside them ("gas" in "gas engineer").
        matcher.add(HAZARDS, item.category, item.id, blockers=item.phrases,
                    exact_blockers=item.abbreviations, where=f"equipment entry {item.id!r}")
        matcher.add(EQUIPMENT, item.kind, item.id, phrases=item.phrases,
                    exact=item.abbreviations, patterns=item.patterns,
                    where=f"equipment entry {item.id!r}")
    for cue in lexicon.vulnerability:
        matcher.add(VULNERABILITY, cue.group, cue.id, phrases=cue.phrases,
                    exact=cue.abbreviations, patterns=cue.patterns, blockers=cue.lookalikes,
                    where=f"vulnerability entry {cue.id!r}")
    for rule in lexicon.cues:
        matcher.add(CUES, rule.kind, rule.id, phrases=rule.phrases, patterns=rule.patterns,
                    where=f"cue rule {rule.id!r}")
    for section in (HAZARDS, EQUIPMENT, VULNERABILITY, CUES):
        matcher.section(section)


#: The records the compiled core makes, by the makers of ``compiled.record_maker`` (one per
#: kind per process): cue, equipment and vulnerability records; cue hits and reaches;
#: mentions and the cues reaching them; a note's findings, from all its fields in order.
_RECORD_MAKERS: Final = (record_maker(CueMatch), record_maker(EquipmentMatch),
                         record_maker(VulnerabilityCue))
_SCOPE_MAKERS: Final = (record_maker(CueHit), record_maker(Reach))
_MENTION_MAKERS: Final = (record_maker(Mention), record_maker(Cue))
_findings_record: Final[Any] = record_maker(NoteFindings)


@lru_cache(maxsize=1)
def lemma_table() -> Mapping[str, str]:
    """spaCy's English lookup lemma table (from ``spacy-lookups-data``), loaded once: read from
    the package's file as spaCy's ``load_lookups`` reads it, without importing spaCy."""
    import gzip
    import json
    from importlib import resources

    stored = resources.files("spacy_lookups_data").joinpath("data/en_lemma_lookup.json.gz")
    table: dict[str, str] = json.loads(gzip.decompress(stored.read_bytes()))
    return table


#: The bundled lexicon's prefilter, stored beside this module (``scripts/stored_data.py``
#: writes it; a test checks it is what building gives).
PREFILTER_FILE: Final = "prefilter.json"


def prefilter_key(lexicon: Lexicon, tokenizer: NoteTokenizer) -> str:
    """What a prefilter is built from, as a hash: the lexicon and the tokenizer's rules."""
    rules = hashlib.sha256(tokenizer.splitter.rules.to_json().encode("utf-8")).hexdigest()
    return hashlib.sha256(f"{lexicon.hash}:{rules}".encode()).hexdigest()


def reader_for(lexicon: Lexicon | None = None) -> NoteReader:
    """One reader per lexicon per process (the bundled one when None, or when equal to it)."""
    if lexicon is not None and lexicon == default_lexicon():
        lexicon = None
    return _reader_of(lexicon)


@lru_cache(maxsize=8)
def _reader_of(lexicon: Lexicon | None) -> NoteReader:
    # Keyed by the lexicon alone: an lru_cache keeps reader_for() and reader_for(None) apart.
    return NoteReader(lexicon)
