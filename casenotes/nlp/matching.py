"""Lexicon matching over a note's tokens with compiled automata, no per-token Python.

Every phrase of every lexicon section (hazards, equipment, vulnerability, cues) is cut into
tokens by the note tokenizer and joined with ``\\x00``; a note's tokens are joined the same
way, so one Aho-Corasick pass finds every phrase on whole-token boundaries (case-blind on the
lower-cased tokens, and a second pass for exact forms such as "CO"). Token patterns (the
``Matcher`` dialect of the lexicon, in the subset :func:`compile_pattern` accepts) run only
around the tokens that anchor them. Of overlapping hits the longest wins, and a hit inside a
look-alike is dropped.

The per-note work runs in a compiled core (``_core``, Cython) when the package was built
with it, and in Python otherwise; both give the same hits (``tests/test_compiled_matching.py``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, Final, NamedTuple, cast

import ahocorasick

from ..errors import LexiconError
from ..lexicon import TokenPattern
from .compiled import core
from .tokens import Tokens

#: The compiled matcher, or None (then the same rules run in Python).
MatcherCore: Any = None if core is None else core.MatcherCore

SEPARATOR: Final = "\x00"
#: Token attributes a lexicon pattern may test, and what each reads.
PATTERN_ATTRIBUTES: Final = ("LOWER", "ORTH", "TEXT", "IS_ALPHA", "IS_DIGIT", "LENGTH")
PATTERN_OPERATORS: Final = (None, "1", "{1}", "?", "+", "*")

Words = Callable[[str], list[str]]


class TermHit(NamedTuple):
    """A lexicon entry matched at tokens ``[start, end)``."""

    start: int
    end: int
    label: str
    entry_id: str


@dataclass(frozen=True, slots=True)
class _Entry:
    label: str
    entry_id: str
    blocker: bool
    keep: tuple[int, int] | None
    order: int
    claim_kept: bool = False


TokenTest = Callable[[str, str], bool]  # (lower, text) -> matches


def _value_test(attribute: str, value: Any, where: str) -> TokenTest:
    """One attribute's test on a token, from its pattern value."""
    read: Callable[[str, str], Any] = {
        "LOWER": lambda lower, text: lower,
        "ORTH": lambda lower, text: text,
        "TEXT": lambda lower, text: text,
        "IS_ALPHA": lambda lower, text: text.isalpha(),
        "IS_DIGIT": lambda lower, text: text.isdigit(),
        "LENGTH": lambda lower, text: len(text),
    }[attribute]
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in ("IN", "NOT_IN", "REGEX"):
            raise LexiconError(f"{where}: {attribute} takes a value, or one of IN, NOT_IN or "
                               f"REGEX, not {sorted(value)}")
        (operator, operand), = value.items()
        if operator == "REGEX":
            if not isinstance(operand, str):
                raise LexiconError(f"{where}: REGEX must be a string")
            try:
                compiled = re.compile(operand)
            except re.error as exc:
                raise LexiconError(f"{where}: REGEX {operand!r} is not valid ({exc})") from None
            return lambda lower, text: compiled.search(str(read(lower, text))) is not None
        if not isinstance(operand, list):
            raise LexiconError(f"{where}: {operator} must be a list")
        options = frozenset(operand)
        if operator == "IN":
            return lambda lower, text: read(lower, text) in options
        return lambda lower, text: read(lower, text) not in options
    if isinstance(value, (str, bool, int)):
        return lambda lower, text: bool(read(lower, text) == value)
    raise LexiconError(f"{where}: {attribute} value {value!r} is not a string, number or "
                       "true/false")


@dataclass(frozen=True)
class CompiledPattern:
    """A lexicon token pattern as a list of token tests with repeat operators.

    ``anchors`` are the lower-cased literals of one required token (every match holds one),
    ``anchor_regex`` a required token's ``TEXT``/``ORTH`` regex; with neither the pattern is
    tried at every token.
    """

    key: str
    tests: tuple[TokenTest, ...]
    operators: tuple[str | None, ...]
    anchors: frozenset[str] | None
    anchor_regex: re.Pattern[str] | None
    longest: int | None  # most tokens a match can span (None: unbounded)
    anchor_offset: int | None  # tokens from a match's start to its anchor, when fixed
    #: For each required token matched by literals, those literals lower-cased: a note
    #: without one of each cannot match.
    required: tuple[frozenset[str], ...] = ()
    _regex_answers: dict[str, bool] = field(default_factory=dict, compare=False)

    def texts_matching(self, texts: frozenset[str]) -> set[str]:
        """The token texts among ``texts`` that the anchor regex matches (remembered)."""
        assert self.anchor_regex is not None
        known = self._regex_answers
        if len(known) > 200_000:
            known.clear()
        search = self.anchor_regex.search
        out = set()
        for text in texts:
            answer = known.get(text)
            if answer is None:
                answer = known[text] = search(text) is not None
            if answer:
                out.add(text)
        return out

    def matches_from(self, start: int, lowers: Sequence[str],
                     texts: Sequence[str]) -> set[int]:
        """Every end of a match starting at token ``start``."""
        ends: set[int] = set()
        count = len(lowers)
        tests, operators = self.tests, self.operators
        stack = [(0, start)]
        seen: set[tuple[int, int]] = set()
        while stack:
            state = stack.pop()
            if state in seen:
                continue
            seen.add(state)
            index, position = state
            if index == len(tests):
                if position > start:
                    ends.add(position)
                continue
            operator = operators[index]
            if operator in ("?", "*"):
                stack.append((index + 1, position))
            if position < count and tests[index](lowers[position], texts[position]):
                if operator in ("+", "*"):
                    stack.append((index, position + 1))
                stack.append((index + 1, position + 1))
        return ends


def _all_of(checks: tuple[TokenTest, ...]) -> TokenTest:
    return lambda lower, text: all(check(lower, text) for check in checks)


def compile_pattern(pattern: TokenPattern, key: str, where: str) -> CompiledPattern:
    """A lexicon pattern as token tests; raises :class:`LexiconError` naming what to fix."""
    tests: list[TokenTest] = []
    operators: list[str | None] = []
    anchors: frozenset[str] | None = None
    anchor_regex: re.Pattern[str] | None = None
    anchor_index = regex_index = 0
    required_literals: list[frozenset[str]] = []
    for number, spec in enumerate(pattern.tokens, 1):
        at = f"{where}: token #{number}"
        operator = spec.get("OP")
        if operator not in PATTERN_OPERATORS:
            raise LexiconError(f"{at}: OP {operator!r} is not supported; use ?, + or *")
        unknown = sorted(set(spec) - {"OP", *PATTERN_ATTRIBUTES})
        if unknown:
            raise LexiconError(f"{at}: unknown key {unknown[0]!r}; a token may test "
                               f"{', '.join(PATTERN_ATTRIBUTES)} (with OP)")
        checks = [_value_test(attribute, value, at) for attribute, value in spec.items()
                  if attribute != "OP"]
        tests.append(checks[0] if len(checks) == 1 else _all_of(tuple(checks)))
        required = operator in (None, "1", "{1}", "+")
        operators.append(None if operator in ("1", "{1}") else operator)
        if not required:
            continue
        for attribute in ("LOWER", "ORTH", "TEXT"):
            value = spec.get(attribute)
            literals = ([value] if isinstance(value, str) else
                        value.get("IN") if isinstance(value, dict) else None)
            if isinstance(literals, list) and literals and all(
                    isinstance(x, str) for x in literals):
                options = frozenset(x.lower() for x in literals)
                required_literals.append(options)
                if anchors is None or len(options) < len(anchors):
                    anchors, anchor_index = options, number - 1
            elif (isinstance(value, dict) and attribute != "LOWER" and anchor_regex is None
                  and isinstance(value.get("REGEX"), str)):
                anchor_regex, regex_index = re.compile(value["REGEX"]), number - 1
    if anchors is None:
        anchor_index = regex_index
    else:
        anchor_regex = None
    longest = None if any(op in ("+", "*") for op in operators) else len(tests)
    # With only single tokens before the anchor, a match starts exactly that far before it.
    offset = anchor_index if all(op is None for op in operators[:anchor_index]) else None
    return CompiledPattern(key, tuple(tests), tuple(operators), anchors, anchor_regex, longest,
                           offset, tuple(required_literals))


@dataclass
class JoinedTokens:
    """A note's tokens as the automata read them: joined with ``\\x00``, lower-cased and as
    written, with the offset of each token's separator."""

    tokens: Tokens
    _lower: str | None = None
    _separators: list[int] | None = None
    _texts: list[str] | None = None
    _text_set: frozenset[str] | None = None
    _lower_set: frozenset[str] | None = None

    @classmethod
    def of(cls, tokens: Tokens) -> JoinedTokens:
        return cls(tokens)

    @property
    def lower(self) -> str:
        """The lower-cased tokens joined with ``\\x00``, one before the first and after the last
        (the compiled core walks the tokens themselves: only the Python path asks)."""
        if self._lower is None:
            self._lower = SEPARATOR + SEPARATOR.join(self.tokens.lowers) + SEPARATOR
        return self._lower

    @property
    def separators(self) -> list[int]:
        """The offset in ``lower`` of the separator before each token, and after the last (the
        compiled core counts its own: only the Python path asks)."""
        if self._separators is None:
            self._separators = [0, *accumulate(len(token) + 1 for token in self.tokens.lowers)]
        return self._separators

    @property
    def texts(self) -> list[str]:
        if self._texts is None:
            self._texts = self.tokens.texts
        return self._texts

    def written(self, start: int, end: int) -> tuple[str, ...]:
        """The tokens ``[start, end)`` as written."""
        text, starts, ends = self.tokens.text, self.tokens.starts, self.tokens.ends
        return tuple(text[starts[i]:ends[i]] for i in range(start, end))

    @property
    def lower_set(self) -> frozenset[str]:
        if self._lower_set is None:
            self._lower_set = frozenset(self.tokens.lowers)
        return self._lower_set

    @property
    def text_set(self) -> frozenset[str]:
        if self._text_set is None:
            self._text_set = frozenset(self.texts)
        return self._text_set

    def positions(self, lowers: Iterable[str]) -> list[int]:
        """Indices of the tokens whose lower-cased text is one of ``lowers``, in order."""
        joined, found = self.lower, []
        for lower in lowers:
            key = SEPARATOR + lower + SEPARATOR
            at = joined.find(key)
            while at >= 0:
                found.append(bisect_left(self.separators, at))
                at = joined.find(key, at + 1)
        found.sort()
        return found

    def token_at(self, separator: int) -> int:
        """The index of the token that follows the separator at this offset."""
        return bisect_left(self.separators, separator)


@dataclass
class _Section:
    entries: dict[str, _Entry] = field(default_factory=dict)
    patterns: list[CompiledPattern] = field(default_factory=list)


class LexiconMatcher:
    """All sections' phrases, exact forms, look-alikes and patterns, compiled together.

    Add entries with :meth:`add` (``section`` names the span group they go to), then call the
    matcher on a note's :class:`~casenotes.nlp.tokens.Tokens` for each section's hits.
    ``words`` cuts a phrase into tokens exactly as notes are cut.
    """

    def __init__(self, words: Words, *, compiled: bool | None = None) -> None:
        if compiled and MatcherCore is None:
            raise LexiconError("casenotes was installed without its compiled matcher; "
                               "reinstall it where a C compiler is available, or pass "
                               "compiled=None")
        self.words = words
        self.compiled = MatcherCore is not None if compiled is None else compiled
        self.sections: dict[str, _Section] = {}
        # Joined lower-cased phrase -> (section, key, exact words or None) for each entry.
        self._phrases: dict[str, list[tuple[str, str, tuple[str, ...] | None]]] = {}
        self._automaton: Any = None
        self._anchored: _AnchorTable | None = None
        self._core: Any = None

    def section(self, name: str) -> _Section:
        return self.sections.setdefault(name, _Section())

    def add(self, section: str, label: str, entry_id: str, *, phrases: Sequence[str] = (),
            exact: Sequence[str] = (), patterns: Sequence[TokenPattern] = (),
            blockers: Sequence[str] = (), exact_blockers: Sequence[str] = (),
            where: str = "") -> None:
        """Add one lexicon entry to ``section``; ``where`` names it in error messages."""
        part = self.section(section)
        self._automaton = self._anchored = self._core = None
        for suffix, texts, cased, blocker in (
                ("", phrases, False, False), ("#exact", exact, True, False),
                ("#lookalike", blockers, False, True),
                ("#lookalike_cased", exact_blockers, True, True)):
            if not texts:
                continue
            key = f"{entry_id}{suffix}"
            self._register(part, key, _Entry(label, entry_id, blocker, None, len(part.entries)))
            for text in texts:
                words = self.words(text)
                if not words:
                    continue
                # Exact forms are found case-blind and then checked as written.
                lowered = SEPARATOR + SEPARATOR.join(w.lower() for w in words) + SEPARATOR
                if len(lowered) != sum(map(len, words)) + len(words) + 1:
                    raise LexiconError(f"{where or entry_id}: {text!r} changes length when "
                                       "lower-cased; write it in lower case")
                target = (section, key, tuple(words) if cased else None)
                targets = self._phrases.setdefault(lowered, [])
                if target not in targets:
                    targets.append(target)
        for number, pattern in enumerate(patterns):
            key = f"{entry_id}#pattern{number}"
            part.patterns.append(compile_pattern(
                pattern, key, f"{where or entry_id}: pattern #{number + 1}"))
            self._register(part, key, _Entry(label, entry_id, False, pattern.keep,
                                             len(part.entries), pattern.claim_kept))

    @staticmethod
    def _register(part: _Section, key: str, entry: _Entry) -> None:
        if key not in part.entries:
            part.entries[key] = entry

    def _compiled(self) -> Any:
        """Build what matching needs once: the compiled core, or for the Python path the
        phrases' Aho-Corasick automaton (returned; None without phrases)."""
        if self._anchored is None:
            self._anchored = _anchor_table(self.sections)
            if self.compiled and MatcherCore is not None:
                self._core = MatcherCore(self.sections, self._phrases, self._anchored, TermHit)
            elif self._phrases:
                automaton = ahocorasick.Automaton()
                for key, targets in self._phrases.items():
                    automaton.add_word(key, (len(key), tuple(targets)))
                automaton.make_automaton()
                self._automaton = automaton
        return self._automaton

    def __call__(self, tokens: Tokens | JoinedTokens) -> dict[str, list[TermHit]]:
        """Each section's hits, in token order."""
        joined = tokens if isinstance(tokens, JoinedTokens) else JoinedTokens.of(tokens)
        automaton = self._compiled()
        if self._core is not None:
            return cast(dict[str, list[TermHit]], self._core.match(joined))
        raw: dict[str, list[tuple[str, int, int]]] = {name: [] for name in self.sections}
        if automaton is not None:
            token_at = joined.token_at
            for end, (length, targets) in automaton.iter(joined.lower):
                first = token_at(end - length + 1)
                last = token_at(end)
                for section, key, exact in targets:
                    if exact is None or joined.written(first, last) == exact:
                        raw[section].append((key, first, last))
        for section, key, start, end in self._pattern_matches(joined):
            raw[section].append((key, start, end))
        return {name: _choose(part, raw[name], len(joined.tokens))
                for name, part in self.sections.items()}

    def _pattern_matches(self, joined: JoinedTokens) -> Iterator[tuple[str, str, int, int]]:
        """Token-pattern matches as (section, key, start, end), each pattern tried only where
        one of its anchor tokens is."""
        table = self._anchored
        assert table is not None
        lowers = joined.tokens.lowers
        count = len(lowers)
        starts: dict[int, tuple[str, CompiledPattern, set[int]]] = {}

        def candidates(section: str, pattern: CompiledPattern) -> set[int]:
            return starts.setdefault(id(pattern), (section, pattern, set()))[2]

        present = joined.lower_set
        possible: dict[int, bool] = {}
        for literal in table.literals & present:
            positions: list[int] | None = None
            for section, pattern in table.by_literal[literal]:
                allowed = possible.get(id(pattern))
                if allowed is None:
                    allowed = possible[id(pattern)] = all(
                        not options.isdisjoint(present) for options in pattern.required)
                if not allowed:
                    continue
                if positions is None:
                    positions = joined.positions((literal,))
                _candidate_starts(candidates(section, pattern), pattern, positions, count)
        for section, pattern in table.by_regex:
            hits = pattern.texts_matching(joined.text_set)
            if hits:
                positions = [i for i, text in enumerate(joined.texts) if text in hits]
                _candidate_starts(candidates(section, pattern), pattern, positions, count)
        for section, pattern in table.everywhere:
            candidates(section, pattern).update(range(count))
        if not starts:
            return
        texts = joined.texts
        for section, pattern, found in starts.values():
            for start in sorted(found):
                for end in pattern.matches_from(start, lowers, texts):
                    yield section, pattern.key, start, end


@dataclass(frozen=True)
class _AnchorTable:
    """Patterns by the anchor literal that places them, by regex, or tried everywhere."""

    literals: frozenset[str]
    by_literal: dict[str, list[tuple[str, CompiledPattern]]]
    by_regex: list[tuple[str, CompiledPattern]]
    everywhere: list[tuple[str, CompiledPattern]]


def _anchor_table(sections: dict[str, _Section]) -> _AnchorTable:
    by_literal: dict[str, list[tuple[str, CompiledPattern]]] = {}
    by_regex: list[tuple[str, CompiledPattern]] = []
    everywhere: list[tuple[str, CompiledPattern]] = []
    for name, part in sections.items():
        for pattern in part.patterns:
            if pattern.anchors is not None:
                for literal in pattern.anchors:
                    by_literal.setdefault(literal, []).append((name, pattern))
            elif pattern.anchor_regex is not None:
                by_regex.append((name, pattern))
            else:
                everywhere.append((name, pattern))
    return _AnchorTable(frozenset(by_literal), by_literal, by_regex, everywhere)


def _candidate_starts(into: set[int], pattern: CompiledPattern, positions: Sequence[int],
                      count: int) -> None:
    """The tokens a match of ``pattern`` could start at, given its anchors' positions."""
    if pattern.anchor_offset is not None:
        offset = pattern.anchor_offset
        into.update(p - offset for p in positions if p >= offset)
        return
    reach = pattern.longest or count
    for position in positions:
        into.update(range(max(0, position - reach + 1), position + 1))


def _choose(part: _Section, raw: list[tuple[str, int, int]], count: int) -> list[TermHit]:
    """Longest first (then earliest, then first added); hits inside a look-alike dropped."""
    if not raw:
        return []
    entries = part.entries
    blocks: list[tuple[int, int]] = []
    hits: list[tuple[int, int, int, int, _Entry]] = []
    for key, start, end in raw:
        entry = entries[key]
        if entry.blocker:
            blocks.append((start, end))
        else:
            hits.append((start - end, start, entry.order, end, entry))
    if not hits:
        return []
    hits.sort(key=_rank)
    # A look-alike [b0, b1) blocks a hit [k0, k1) with b0 <= k0 and k1 <= b1: keep, for the
    # blocks in start order, the furthest end reached so far.
    blocks.sort()
    block_starts = [b0 for b0, _ in blocks]
    furthest = list(accumulate((b1 for _, b1 in blocks), max))
    taken = bytearray(count)
    chosen: list[TermHit] = []
    for _, start, _, end, entry in hits:
        keep = entry.keep
        kept_start, kept_end = (start + keep[0], start + keep[1]) if keep else (start, end)
        if blocks:
            index = bisect_right(block_starts, kept_start) - 1
            if index >= 0 and furthest[index] >= kept_end:
                continue
        claim_start, claim_end = (kept_start, kept_end) if entry.claim_kept else (start, end)
        if taken.find(1, claim_start, claim_end) >= 0:
            continue
        taken[claim_start:claim_end] = b"\x01" * (claim_end - claim_start)
        chosen.append(TermHit(kept_start, kept_end, entry.label, entry.entry_id))
    chosen.sort(key=_start)
    return chosen


def _rank(hit: tuple[int, int, int, int, _Entry]) -> tuple[int, int, int]:
    return hit[0], hit[1], hit[2]


def _start(hit: TermHit) -> int:
    return hit.start
