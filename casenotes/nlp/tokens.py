"""Tokens of a note without a spaCy ``Doc``: spaCy's rules, applied once per distinct word.

spaCy's tokenizer reads a text as runs of whitespace and non-whitespace and tokenises each
non-whitespace run on its own; one space after a token is that token's trailing space, any
other whitespace is a token. :class:`NoteTokenizer` does the same walk and asks its splitter
(spaCy's algorithm over casenotes' English rules, see :mod:`casenotes.nlp.affixes`) only about
runs it has not seen before, so a note costs a dictionary lookup per word, and the tokens are
exactly the ones spaCy's tokenizer gives (a test checks it on every sample note).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .affixes import AffixSplitter, TokenizerRules
from .compiled import core
from .text import normalise

_split_compiled: Any = None if core is None else core.split_tokens

_GAP_AND_RUN: Final = re.compile(r"(\s*)(\S+)")
#: Runs spaCy's English rules never split (no special case naming them): ASCII letters only,
#: or letters and digits ending in a digit ("wo620842": no prefix, suffix or infix rule
#: matches; "12km" ends in a unit, which is split off).
_ONE_WORD: Final = re.compile(r"(?:[a-z]+|[a-z0-9]*[0-9])\Z")
#: Such a run with one full stop, comma, colon, semicolon, exclamation or question mark
#: after it, which spaCy splits off as a suffix.
_WORD_AND_MARK: Final = re.compile(r"(?:[a-z]+|[a-z0-9]*[0-9])[.,:;!?]\Z")
#: A sum in pounds ("£450", "£450,"): spaCy splits the sign off as a prefix and the mark as
#: a suffix, and never cuts the digits.
_POUNDS: Final = re.compile(r"£[0-9]+[.,:;!?]?\Z")
#: Distinct runs remembered before the cache starts again (a bound on memory), reached
#: within the first 100,000 notes of a realistic export so a long run's memory stays flat.
CACHE_SIZE: Final = 50_000

Pieces = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Tokens:
    """A normalised note cut into tokens: character offsets, lower-cased texts, trailing
    spaces. ``texts`` are the tokens as written (``text[start:end]``)."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    lowers: tuple[str, ...]
    spaces: tuple[bool, ...]

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def texts(self) -> list[str]:
        return [self.text[a:b] for a, b in zip(self.starts, self.ends, strict=True)]


def _gap_token(gap: str, position: int, starts: list[int], ends: list[int], spaces: list[bool],
               lowers: list[str]) -> None:
    """A whitespace run: its first plain space belongs to the token before; the rest is a token."""
    if gap[0] == " " and starts:
        spaces[-1] = True
        gap = gap[1:]
        position += 1
    if gap:
        starts.append(position)
        ends.append(position + len(gap))
        spaces.append(False)
        lowers.append(gap)


class NoteTokenizer:
    """Cuts normalised text into the tokens spaCy's tokenizer would give, case-blind.

    ``splitter`` cuts a run as spaCy's tokenizer with casenotes' English rules would; it is
    asked once per distinct lower-cased run of non-space characters, except runs of letters
    only or digits only that no special case names, which spaCy never splits. Memory stays
    flat however many notes pass: the answers kept are bounded (``CACHE_SIZE``).
    """

    def __init__(self, splitter: AffixSplitter, *, compiled: bool | None = None) -> None:
        self.splitter = splitter
        #: Walk the text in the compiled core (when built) or in Python; both cut the same.
        self.compiled = _split_compiled is not None if compiled is None else compiled
        self._pieces: dict[str, tuple[Pieces, tuple[str, ...]]] = {}
        #: The compiled walk's memory of the same cuts, found by a run's characters.
        self._runs: Any = (core.RunCache(CACHE_SIZE) if self.compiled and core is not None
                           else None)

    def _forget(self) -> None:
        """Drop every remembered cut (the rules changed, or the memory is full)."""
        self._pieces.clear()
        if self._runs is not None:
            self._runs.clear()

    def pieces(self, run: str) -> tuple[Pieces, tuple[str, ...]]:
        """Token ``(start, end)`` offsets inside one run of non-space characters, and the
        token texts."""
        found = self._pieces.get(run)
        if found is None:
            if len(self._pieces) >= CACHE_SIZE:
                self._forget()
            special = self.splitter.special_cases
            if _ONE_WORD.match(run) and run not in special:
                offsets: Pieces = ((0, len(run)),)
            elif (_WORD_AND_MARK.match(run) and run not in special
                  and run[:-1] not in special):
                offsets = ((0, len(run) - 1), (len(run) - 1, len(run)))
            elif _POUNDS.match(run) and run not in special:
                end = len(run)
                offsets = (((0, 1), (1, end)) if run[-1].isdigit()
                           else ((0, 1), (1, end - 1), (end - 1, end)))
            else:
                offsets = _offsets(self.splitter(run))
            found = self._pieces[run] = (offsets, tuple(run[a:b] for a, b in offsets))
        return found

    def __call__(self, text: str) -> Tokens:
        """The tokens of an already normalised text (see :meth:`words` for a raw note)."""
        folded = text.lower()
        if len(folded) != len(text):
            folded = text  # a dotted capital I: tokenise as written, as spaCy would
        if self.compiled and _split_compiled is not None:
            starts, ends, spaces, lowers = _split_compiled(folded, self._pieces, self.pieces,
                                                           self._runs)
        else:
            starts, ends, spaces, lowers = self._split(folded)
        if folded is text:
            lowers = [token.lower() for token in lowers]
        return Tokens(text, tuple(starts), tuple(ends), tuple(lowers), tuple(spaces))

    def _split(self, folded: str) -> tuple[list[int], list[int], list[bool], list[str]]:
        """The walk in Python: the reference for the compiled ``split_tokens``."""
        starts: list[int] = []
        ends: list[int] = []
        spaces: list[bool] = []
        lowers: list[str] = []
        known = self._pieces
        position = 0
        for gap, run in _GAP_AND_RUN.findall(folded):
            if gap:
                if gap == " " and starts:
                    spaces[-1] = True
                    position += 1
                else:
                    _gap_token(gap, position, starts, ends, spaces, lowers)
                    position += len(gap)
            found = known.get(run) or self.pieces(run)
            offsets, texts = found
            if len(texts) == 1:
                starts.append(position)
                position += len(run)
                ends.append(position)
                spaces.append(False)
                lowers.append(run)
                continue
            for a, b in offsets:
                starts.append(position + a)
                ends.append(position + b)
                spaces.append(False)
            lowers.extend(texts)
            position += len(run)
        if position < len(folded):
            _gap_token(folded[position:], position, starts, ends, spaces, lowers)
        return starts, ends, spaces, lowers

    def words(self, text: str) -> list[str]:
        """Token texts of a raw text, as the lexicon's phrases are cut (normalised first)."""
        return self(normalise(text)[0]).texts

    # spaCy serialisation: the splitter's rules, as JSON.
    def to_disk(self, path: str | Path, **kwargs: Any) -> None:
        Path(path).write_bytes(self.to_bytes())

    def from_disk(self, path: str | Path, **kwargs: Any) -> NoteTokenizer:
        return self.from_bytes(Path(path).read_bytes())

    def to_bytes(self, **kwargs: Any) -> bytes:
        return self.splitter.rules.to_json().encode("utf-8")

    def from_bytes(self, data: bytes, **kwargs: Any) -> NoteTokenizer:
        self.splitter = AffixSplitter(TokenizerRules.from_json(data))
        self._forget()
        return self


def _offsets(texts: tuple[str, ...]) -> Pieces:
    """The ``(start, end)`` offsets of consecutive token texts inside the run they join to."""
    offsets = []
    position = 0
    for text in texts:
        offsets.append((position, position + len(text)))
        position += len(text)
    return tuple(offsets)
