"""The raw-text prefilter: one Aho-Corasick pass that tells which notes could hold a hazard term.

Most case notes mention no hazard. Before any spaCy work, each note is lower-cased and scanned
once for *anchors*: for every hazard phrase, misspelling, abbreviation and token pattern of the
lexicon, its most selective token or pair of adjacent tokens ("come down" rather than
"come"). A note without an
anchor cannot produce a mention, so the batch scorer skips the pipeline for it; the result is
the same as running the pipeline (``tests/test_prefilter.py`` checks this as a property).

An anchor is not always enough: "heating" anchors "heating not working", and most notes that
say "heating" say it works. So an anchor found counts only if the note also holds the rest of
one of the entries it stands for: each run of the entry's adjacent known tokens, glued or one
space apart, on the same word edges as anchors (one regular expression per run, tried only
when the anchor is found). A token pattern's literal that the tokenizer always cuts in two
("isn't") is no token's text, so it is left out of both.

And an anchor standing only for one-token terms does not count inside a look-alike or an
equipment phrase ("fire" in "fire door", "gas" in "gas engineer"), which the matcher drops
such a hit in, where the look-alike is sure to be read as its own tokens: after a space or the
start, and before a space, the end, or a closing mark the tokenizer cuts off.

An anchor is a whole token, so it counts only when no letter touches it ("co" in "could" does
not), except on a side where the tokenizer can cut a word between two letters ("cannot" ->
"can", "not"); such pieces are passed in as ``split_pieces``. The text is
first folded as :func:`casenotes.nlp.text.normalise` folds it (space runs, zero-width marks),
so a phrase split by a double space or a tab is still seen.
"""

from __future__ import annotations

import json
import re
import sys
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate, pairwise
from typing import Any, Final, cast

import ahocorasick_rs

from ..lexicon import Lexicon, TokenPattern
from .compiled import core
from .text import CONTROL, UNICODE_SPACES, ZERO_WIDTH

_RUN = re.compile(r"[^\W_]+")
# Folded as casenotes.nlp.text.normalise folds them: zero-width marks dropped, runs of spaces,
# tabs, control characters and Unicode spaces -> " ".
_ZERO_WIDTH_TABLE: Final = dict.fromkeys(map(ord, ZERO_WIDTH))
_UNICODE_SPACE = re.compile(f"[{UNICODE_SPACES}]")
_UNUSUAL = re.compile(f"[{ZERO_WIDTH}{UNICODE_SPACES}]")
_CONTROL = re.compile(f"[{CONTROL}]")
_SPACE_RUN = re.compile(f"[ {CONTROL}{UNICODE_SPACES}]{{2,}}|[{CONTROL}{UNICODE_SPACES}]")
#: The compiled core's scan for anything normalising changes (a control character, a space
#: other than the plain one, a double space, a zero-width mark): a note without any of them
#: needs none of the rewrites below. Asked with no limit on repeated marks, which are kept.
_needs_normalising: Any = None if core is None else core.needs_normalising
_NO_RUN_LIMIT: Final = 2**62

Tokenize = Callable[[str], Sequence[str]]
#: A run of an entry's adjacent known tokens, each as the strings it may be, and, when it holds
#: the anchor, how many characters of it may come before and after the anchor.
Run = tuple[tuple[tuple[str, ...], ...], tuple[int, int] | None]
#: What an entry needs besides its anchor: its runs.
Needs = tuple[Run, ...]


class UnanchoredPatternError(ValueError):
    """A token pattern has no literal token to anchor the prefilter on."""


def _quality(anchors: set[str]) -> tuple[int, int]:
    """Longer shortest anchor first, then fewer anchors: a rough stand-in for rarity."""
    return min(map(len, anchors)), -len(anchors)


def _joined(left: Iterable[str], right: Iterable[str]) -> set[str]:
    """Two adjacent tokens as the normalised text can hold them: glued or one space apart."""
    return {f"{a}{gap}{b}" for a in left for b in right for gap in ("", " ")}


def best_anchors(options: Sequence[Sequence[str] | None]) -> set[str] | None:
    """The most selective anchor set for a token sequence.

    ``options[i]`` lists the lower-cased strings token ``i`` may be (None: unknown or
    optional). Candidates are each known token and each pair of adjacent known tokens (written
    glued and one space apart); the candidate with the longest shortest string wins.
    """
    best = _best_candidate(options)
    return None if best is None else best[0]


def _best_candidate(options: Sequence[Sequence[str] | None],
                    ) -> tuple[set[str], tuple[int, ...]] | None:
    """:func:`best_anchors` and the token positions the chosen anchors stand for."""
    candidates: list[tuple[set[str], tuple[int, ...]]] = [
        (set(o), (i,)) for i, o in enumerate(options) if o and all(_RUN.search(x) for x in o)]
    for i, (left, right) in enumerate(pairwise(options)):
        if left and right:
            candidates.append((_joined(left, right), (i, i + 1)))
    return max(candidates, key=lambda c: _quality(c[0])) if candidates else None


def _needs(options: Sequence[Sequence[str] | None], used: tuple[int, ...]) -> Needs:
    """The runs of adjacent known tokens of an entry, each token as the strings it may be; a
    run standing only for the chosen anchor is left out (the anchor itself was found). A run
    holding the anchor also says how many characters of it may come before and after the
    anchor, so it is looked for there only."""
    runs: list[Run] = []
    run: list[int] = []
    for i, option in enumerate((*options, None)):
        if option:
            run.append(i)
            continue
        if run and not set(run) <= set(used):
            strings = {j: tuple(sorted(set(cast(Sequence[str], options[j])))) for j in run}
            around = None
            if set(run) & set(used):
                around = (sum(max(map(len, strings[j])) + 1 for j in run if j < min(used)),
                          sum(max(map(len, strings[j])) + 1 for j in run if j > max(used)))
            runs.append((tuple(strings[j] for j in run), around))
        run = []
    # The runs around the anchor first: they are quick to look for, and the likeliest to fail.
    return tuple(sorted(runs, key=lambda r: r[1] is None))


def entry_anchors(options: Sequence[Sequence[str] | None]) -> tuple[set[str], Needs] | None:
    """An entry's anchors and the runs of its other known tokens a note must also hold (see
    :class:`Prefilter`), or None when no token is known."""
    best = _best_candidate(options)
    return None if best is None else (best[0], _needs(options, best[1]))


def phrase_anchors(phrase: str, tokenize: Tokenize) -> set[str] | None:
    """Anchors for a phrase: every text matching it holds one of them, lower-cased."""
    return best_anchors(phrase_options(phrase, tokenize))


def phrase_options(phrase: str, tokenize: Tokenize) -> list[list[str] | None]:
    """A phrase's tokens, lower-cased, as :func:`best_anchors` takes them."""
    return [[token.lower()] for token in tokenize(phrase) if token.strip()]


def pattern_anchors(pattern: TokenPattern, tokenize: Tokenize) -> set[str]:
    """Anchors for a token pattern, from its required tokens matched by literal strings.

    A token with no ``OP`` (or ``OP: "+"``) matched on ``LOWER``/``ORTH``/``TEXT``/``NORM`` by a
    string or an ``IN`` list is known; others are not. Raises :class:`UnanchoredPatternError`
    if no token is known. A pattern no text can match has no anchors.
    """
    options = pattern_options(pattern, tokenize)
    if options is None:
        return set()
    anchors = best_anchors(options)
    if anchors is None:
        raise UnanchoredPatternError(
            f"token pattern {pattern.pattern_json} has no required token matched by a literal "
            "string (LOWER, ORTH or TEXT), so the prefilter cannot find it; add such a token"
        )
    return anchors


def pattern_options(pattern: TokenPattern, tokenize: Tokenize) -> list[list[str] | None] | None:
    """A token pattern's tokens as :func:`best_anchors` takes them; None if no text can match
    it (a required token whose every literal the tokenizer cuts in two, such as "isn't")."""
    options: list[list[str] | None] = []
    for spec in pattern.tokens:
        literals: list[str] | None = None
        if spec.get("OP") in (None, "+", "1", "{1}"):
            for attr in ("LOWER", "ORTH", "TEXT", "NORM"):
                value: Any = spec.get(attr)
                if isinstance(value, str):
                    literals = [value]
                elif isinstance(value, dict) and isinstance(value.get("IN"), list):
                    literals = [str(v) for v in value["IN"]]
                if literals:
                    break
        if literals is not None:
            words = [[t.lower() for t in tokenize(x) if t.strip()] for x in literals]
            if any(not w for w in words):  # a blank literal: leave the token unknown
                literals = None
            else:
                # A literal the tokenizer cuts into several tokens is never one token's text.
                literals = [w[0] for w in words if len(w) == 1]
                if not literals:
                    return None
        if spec.get("OP") == "+":
            # "+" repeats the token: only the token itself is sure to appear next to others.
            options.extend([literals, None])
        else:
            options.append(literals)
    return options


def _single_spaced(text: str) -> str:
    """``text`` without zero-width marks, with every run of spaces, tabs, control characters
    and Unicode spaces as one plain space, as the tokenizer's normalising leaves it."""
    if not text.isascii() and _UNUSUAL.search(text):
        text = _UNICODE_SPACE.sub(" ", text.translate(_ZERO_WIDTH_TABLE))
    if "  " in text or "\t" in text or _CONTROL.search(text):
        text = _SPACE_RUN.sub(" ", text)
    return text


class _LazyRegex:
    """A regular expression compiled when first used: a lexicon yields hundreds of them, and
    a run of notes asks for a few (compiling them all took a third of a second). Once
    compiled, ``search`` and ``match`` are the compiled pattern's own methods."""

    __slots__ = ("match", "search", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.search: Callable[..., re.Match[str] | None] = self._first_search
        self.match: Callable[..., re.Match[str] | None] = self._first_match

    def _compile(self) -> None:
        compiled = re.compile(self.source)
        self.search, self.match = compiled.search, compiled.match

    def _first_search(self, text: str, start: int = 0, end: int = sys.maxsize,
                      ) -> re.Match[str] | None:
        self._compile()
        return self.search(text, start, end)

    def _first_match(self, text: str, start: int = 0) -> re.Match[str] | None:
        self._compile()
        return self.match(text, start)


#: The runs one of an anchor's entries needs besides it, each with where it is looked for
#: (None: anywhere in the note), one alternative per entry; None when an entry needs nothing.
Confirm = tuple[tuple[tuple[_LazyRegex, tuple[int, int] | None], ...], ...] | None
#: (offset, regex) of the look-alikes holding an anchor, or None.
Blockers = tuple[tuple[int, _LazyRegex], ...] | None
#: What an anchor found in a note must pass: whether its left and right edges must not touch
#: a letter, its runs (:data:`Confirm`), whether they are all looked for anywhere in the note
#: (made by :func:`_anchor_check`), and its look-alikes.
AnchorCheck = tuple[bool, bool, Confirm, bool, Blockers]


def _anchor_check(check_left: bool, check_right: bool, confirm: Confirm,
                  blockers: Blockers) -> AnchorCheck:
    # Runs looked for anywhere in the note give the same answer at every place of the anchor.
    anywhere = confirm is not None and all(
        around is None for runs in confirm for _, around in runs)
    return check_left, check_right, confirm, anywhere, blockers


def _inside_lookalike(lowered: str, start: int,
                      blockers: tuple[tuple[int, _LazyRegex], ...]) -> bool:
    """Whether the anchor at ``start`` lies inside one of its look-alikes there."""
    for offset, lookalike in blockers:
        if start >= offset and lookalike.match(lowered, start - offset) is not None:
            return True
    return False


@dataclass(frozen=True)
class _Lookalikes:
    """Look-alike phrases, and whether the tokenizer cuts closing marks from each one's last
    word, kept in one string too (a phrase a line) to find an anchor in all at once."""

    phrases: tuple[str, ...]
    marks_cut: tuple[bool, ...]
    joined: str
    starts: tuple[int, ...]

    @classmethod
    def of(cls, marks_cut: Mapping[str, bool]) -> _Lookalikes:
        phrases = tuple(marks_cut)
        starts = tuple(accumulate((len(p) + 1 for p in phrases[:-1]), initial=0))
        return cls(phrases, tuple(marks_cut.values()), "\n".join(phrases), starts)

    def holding(self, anchor: str) -> Iterator[tuple[str, bool, int]]:
        """Each look-alike holding ``anchor``, whether marks are cut from it, and where."""
        at = self.joined.find(anchor)
        while at >= 0:
            index = bisect_right(self.starts, at) - 1
            yield self.phrases[index], self.marks_cut[index], at - self.starts[index]
            at = self.joined.find(anchor, at + 1)


def _lookalikes_holding(anchor: str, lookalikes: _Lookalikes) -> Blockers:
    """For each place ``anchor`` takes in some look-alikes, a regex matching those look-alikes
    from their start where they are sure to be read as their own tokens: after a space (or the
    start), and before a space or the end, or a closing mark there when ``lookalikes`` says the
    tokenizer cuts it off (see :func:`_cut_from_marks`)."""
    by_offset: dict[int, tuple[list[str], list[str]]] = {}
    for lookalike, marks_cut, offset in lookalikes.holding(anchor):
        # Where a letter touches it, the anchor is not the term's whole token.
        end = offset + len(anchor)
        if not (offset > 0 and lookalike[offset - 1].isalpha()) and not (
                end < len(lookalike) and lookalike[end].isalpha()):
            by_offset.setdefault(offset, ([], []))[marks_cut].append(re.escape(lookalike))
    if not by_offset:
        return None
    found = []
    for offset, (plain, marked) in sorted(by_offset.items()):
        choices = [f"(?:{'|'.join(marked)})(?=[{re.escape(_CLOSING)}]?(?:\\s|$))"] if marked else []
        if plain:
            choices.append(f"(?:{'|'.join(plain)})(?=\\s|$)")
        found.append((offset, _LazyRegex(f"(?<!\\S)(?:{'|'.join(choices)})")))
    return tuple(found)


def _cut_from_marks(word: str, tokenize: Tokenize) -> bool:
    """Whether the tokenizer cuts each closing mark from ``word`` (it does not where the two
    make a special case, as "no." may), asked in one call."""
    tokens = [t for t in tokenize(" ".join(f"{word}{mark}" for mark in _CLOSING)) if t.strip()]
    return tokens == [piece for mark in _CLOSING for piece in (word, mark)]


#: Marks that may end a sentence or clause right after a word.
_CLOSING: Final = ",;:!?)."


def _run_pattern(run: tuple[tuple[str, ...], ...], free: tuple[str, ...]) -> _LazyRegex:
    """A run of adjacent tokens as the folded, lower-cased text holds it: one of each token's
    strings, glued to the next or one space apart, on a word token's edges as anchors are."""
    tokens = []
    for position, strings in enumerate(run):
        alternatives = []
        for word in strings:
            left = position == 0 and word[0].isalnum() and not word.startswith(free)
            right = position == len(run) - 1 and word[-1].isalnum() and not word.endswith(free)
            # The left edge is checked after the first character, so the regex engine can
            # still skip ahead to the characters a run may start with.
            alternatives.append(f"{re.escape(word[0])}{_NO_LETTER_BEFORE_FIRST if left else ''}"
                                f"{re.escape(word[1:])}{_NO_LETTER_AFTER if right else ''}")
        tokens.append(f"(?:{'|'.join(alternatives)})")
    return _LazyRegex(" ?".join(tokens))


#: The version of :meth:`Prefilter.to_json`'s data.
STORED_FORMAT: Final = 1

_NO_LETTER_BEFORE_FIRST: Final = r"(?<![^\W\d_].)"
_NO_LETTER_AFTER: Final = r"(?![^\W\d_])"


@dataclass(frozen=True)
class Prefilter:
    """Says whether a note could hold a hazard term, from one pass over its lower-cased text.

    Build it with :meth:`from_lexicon`; call :meth:`could_match` per note or :meth:`mask` per
    batch. ``always`` is set when some lexicon entry yields no anchor: then every note passes.
    ``anchors`` are in order; ``checks`` gives for each which of its edges must not touch a
    letter, the runs the rest of its entries need (None when some entry needs nothing more),
    whether those are looked for anywhere, and the look-alikes that block it.

    The scan is ahocorasick-rs's automaton (Rust): on a realistic export it finds every anchor
    of a note in half the time pyahocorasick's iteration takes, and it runs on every note.
    """

    anchors: tuple[str, ...]
    checks: tuple[AnchorCheck, ...]
    always: bool = False

    @cached_property
    def _automaton(self) -> Any:
        return ahocorasick_rs.AhoCorasick(self.anchors, matchkind=ahocorasick_rs.MatchKind.Standard)

    @classmethod
    def from_lexicon(cls, lexicon: Lexicon, tokenize: Tokenize,
                     split_pieces: Iterable[str] = ()) -> Prefilter:
        """Anchors for every hazard phrase, misspelling, abbreviation and token pattern.

        ``tokenize`` must split text exactly as the pipeline's tokenizer does; ``split_pieces``
        are the lower-cased pieces the tokenizer may cut from inside a word.
        """
        needs: dict[str, set[Needs]] = {}
        always = False
        entries: list[list[list[str] | None] | None] = []
        for term in lexicon.hazards:
            entries.extend(phrase_options(phrase, tokenize)
                           for phrase in (*term.phrases, *term.misspellings, *term.abbreviations))
            entries.extend(pattern_options(pattern, tokenize) for pattern in term.patterns)
        # The anchors standing only for one-token phrases: such a hit inside a look-alike is
        # dropped by the matcher, so the anchor there can be too.
        longer: set[str] = set()
        for options in entries:
            if options is None:  # a pattern no text can match
                continue
            found = entry_anchors(options)
            if found is None:
                always = True
                continue
            for anchor in found[0]:
                needs.setdefault(anchor, set()).add(found[1])
                if len(options) > 1:
                    longer.add(anchor)
        # Look-alikes and equipment phrases block hazard hits inside them, as in
        # ``reader._add_lexicon`` (the cased ones are left out: the text here is lower-cased).
        phrases = sorted({phrase.lower() for phrase in (
            *(p for term in lexicon.hazards for p in term.lookalikes),
            *(p for item in lexicon.equipment for p in item.phrases))
            if phrase[:1].isalnum() and phrase[-1:].isalnum()})
        last_words = {phrase: tokenize(phrase)[-1] for phrase in phrases}
        marks_cut = {word: _cut_from_marks(word, tokenize) for word in set(last_words.values())}
        lookalikes = _Lookalikes.of({phrase: marks_cut[last_words[phrase]] for phrase in phrases})
        # The pieces as a tuple, which str.startswith and str.endswith take in one call.
        free = tuple(sorted({piece.lower() for piece in split_pieces}))
        patterns: dict[tuple[tuple[str, ...], ...], _LazyRegex] = {}
        checks: list[AnchorCheck] = []
        for anchor, alternatives in sorted(needs.items()):
            # A letter may touch punctuation ("e-bikes"), but not a word token's edge.
            check_left = anchor[0].isalnum() and not anchor.startswith(free)
            check_right = anchor[-1].isalnum() and not anchor.endswith(free)
            # An anchor some entry needs nothing more for passes on its own.
            for runs in alternatives:
                for tokens, _ in runs:
                    if tokens not in patterns:
                        patterns[tokens] = _run_pattern(tokens, free)
            confirm = None if () in alternatives else tuple(
                tuple((patterns[tokens], around) for tokens, around in runs)
                # (sorted so the build is the same every time; most anchors have one)
                for runs in (alternatives if len(alternatives) == 1
                             else sorted(alternatives, key=repr)))
            blockers = None if anchor in longer else _lookalikes_holding(anchor, lookalikes)
            checks.append(_anchor_check(check_left, check_right, confirm, blockers))
        return cls(tuple(sorted(needs)), tuple(checks), always or not needs)

    def to_json(self, key: str) -> str:
        """The prefilter as data: each anchor's edges, runs and look-alikes, with the regular
        expressions as their sources. ``key`` names what it was built from
        (:func:`prefilter_key`); :meth:`from_json` takes it back only for the same key."""
        regexes: dict[str, int] = {}

        def regex(pattern: _LazyRegex) -> int:
            return regexes.setdefault(pattern.source, len(regexes))

        anchors = {}
        for anchor, (check_left, check_right, confirm, _, blockers) in zip(
                self.anchors, self.checks, strict=True):
            anchors[anchor] = [
                check_left, check_right,
                None if confirm is None else [[[regex(run), around] for run, around in runs]
                                              for runs in confirm],
                None if blockers is None else [[offset, regex(lookalike)]
                                               for offset, lookalike in blockers]]
        return json.dumps({"format": STORED_FORMAT, "key": key, "always": self.always,
                           "regexes": list(regexes), "anchors": anchors},
                          ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes, key: str) -> Prefilter | None:
        """The prefilter :meth:`to_json` wrote, or None if it was built from something other
        than ``key`` names (or in another format)."""
        data = json.loads(text)
        if data.get("format") != STORED_FORMAT or data.get("key") != key:
            return None
        regexes = [_LazyRegex(source) for source in data["regexes"]]
        checks: list[AnchorCheck] = []
        for check_left, check_right, confirm, blockers in data["anchors"].values():
            checks.append(_anchor_check(
                check_left, check_right,
                None if confirm is None else tuple(
                    tuple((regexes[run], None if around is None else (around[0], around[1]))
                          for run, around in alternative) for alternative in confirm),
                None if blockers is None else tuple((offset, regexes[lookalike])
                                                    for offset, lookalike in blockers)))
        return cls(tuple(data["anchors"]), tuple(checks), data["always"])

    def could_match(self, text: str) -> bool:
        """False only when ``text`` cannot hold a hazard term."""
        if self.always:
            return True
        if _needs_normalising is None or _needs_normalising(text, _NO_RUN_LIMIT):
            text = _single_spaced(text)
        lowered = text.lower()
        size = len(lowered)
        tried: set[int] = set()
        checks = self.checks
        # (Loops, not generators: this runs for every anchor of every note.)
        for index, start, after in self._automaton.find_matches_as_indexes(lowered,
                                                                           overlapping=True):
            check_left, check_right, confirm, anywhere, blockers = checks[index]
            if check_left and start > 0 and lowered[start - 1].isalpha():
                continue
            if check_right and after < size and lowered[after].isalpha():
                continue
            if blockers is not None and _inside_lookalike(lowered, start, blockers):
                continue  # a one-token term inside a look-alike ("fire" in "fire door")
            if confirm is None:
                return True
            if anywhere:
                if id(confirm) in tried:  # the same entries, anchored again further on
                    continue
                tried.add(id(confirm))
            # Each run is looked for in the note, or around the anchor when it holds it (one
            # character more on the right, for the regex to see what follows).
            for runs in confirm:
                for run, around in runs:
                    if around is None:
                        if run.search(lowered) is None:
                            break
                    elif run.search(lowered, max(0, start - around[0]),
                                    after + 1 + around[1]) is None:
                        break
                else:
                    return True
        return False

    def mask(self, texts: Iterable[object]) -> list[bool]:
        """``could_match`` for each text; anything that is not a ``str`` passes (to be reported)."""
        return [self.could_match(t) if isinstance(t, str) else True for t in texts]
