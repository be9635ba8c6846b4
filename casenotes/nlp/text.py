"""Text before tokens: checking a note, normalising it, and mapping offsets back to it.

Every entry point reads a note through :func:`normalise` (the tokenizer calls it), so a
double space, a tab or a zero-width mark inside a word never changes what is found, and
every offset reported to a user refers to the note as written.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from ..errors import NoteTooLongError, NoteTypeError, describe_value
from .compiled import core

_needs_normalising: Any = None if core is None else core.needs_normalising

#: Longest note casenotes accepts, in characters (about 20 MB of text).
MAX_NOTE_LENGTH: Final = 20_000_000
#: Marks with no width, dropped: "as\u200bbestos" reads as "asbestos".
ZERO_WIDTH: Final = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
#: Control characters (NUL and the like, not tab or line breaks) count as spaces.
CONTROL: Final = "\x00-\x08\x0e-\x1f\x7f"
#: Spaces other than the plain one: tab, no-break and the Unicode spaces.
UNICODE_SPACES: Final = "\t\u00a0\u2000-\u200a\u202f\u205f\u3000"
#: Longest run of one punctuation mark kept: spaCy strips leading and trailing marks one at a
#: time, so 20,000 "(" took 34 s to tokenise; a run this long carries no meaning.
PUNCTUATION_RUN: Final = 8
_NEEDS_NORMALISING = re.compile(
    rf"(?P<mark>[^\w\s{CONTROL}\x09-\x0d\u00ad\u200b-\u200d\u2060\ufeff\ud800-\udfff])"
    rf"(?P=mark){{{2 * PUNCTUATION_RUN - 1},}}"
    rf"|[ {CONTROL}{UNICODE_SPACES}]{{2,}}"
    rf"|[{CONTROL}{UNICODE_SPACES}]"
    rf"|[{ZERO_WIDTH}]|\r\n?|[\x0b\x0c\u2028\u2029\x85]|[\ud800-\udfff]"
)


@dataclass(frozen=True, slots=True)
class OffsetMap:
    """Maps offsets in a folded text back to the text it was folded from.

    ``positions[i]`` is the first folded offset from which ``deltas[i]`` is added.
    """

    positions: tuple[int, ...] = (0,)
    deltas: tuple[int, ...] = (0,)

    def start(self, offset: int) -> int:
        return offset + self.deltas[bisect.bisect_right(self.positions, offset) - 1]

    def end(self, offset: int) -> int:
        return self.start(offset - 1) + 1 if offset > 0 else 0


IDENTITY: Final = OffsetMap()


def fold(text: str, pattern: re.Pattern[str],
         replace: str | Callable[[re.Match[str]], str]) -> tuple[str, OffsetMap]:
    """Replace every match of ``pattern``, keeping a map from the result back to ``text``."""
    pieces: list[str] = []
    positions, deltas = [0], [0]
    cursor = folded_length = delta = 0
    for match in pattern.finditer(text):
        kept = text[cursor:match.start()]
        replacement = replace if isinstance(replace, str) else replace(match)
        pieces.append(kept)
        pieces.append(replacement)
        folded_length += len(kept) + len(replacement)
        delta += match.end() - match.start() - len(replacement)
        positions.append(folded_length)
        deltas.append(delta)
        cursor = match.end()
    if len(positions) == 1:
        return text, IDENTITY
    pieces.append(text[cursor:])
    return "".join(pieces), OffsetMap(tuple(positions), tuple(deltas))


def _normal_form(match: re.Match[str]) -> str:
    found = match.group()
    if match.group("mark"):
        return found[:PUNCTUATION_RUN]
    if found[0] in ZERO_WIDTH:
        return ""
    if 0xD800 <= ord(found[0]) <= 0xDFFF:
        return "\ufffd"  # a lone surrogate cannot be encoded; same length
    if found[0] in "\r\x0b\x0c\u2028\u2029\x85":
        return "\n"
    return " "


def normalise(text: str) -> tuple[str, OffsetMap]:
    """Fold whitespace runs (control characters count as spaces), drop zero-width characters
    and cut runs of one punctuation mark to ``PUNCTUATION_RUN``, keeping a map to the
    original.

    Double spaces, tabs, non-breaking spaces and "as\\u200bbestos" would otherwise split
    phrases, and a lone surrogate would crash the tokenizer; offsets reported to users always
    refer to the original text.
    """
    if _needs_normalising is not None:  # the same answer, without a search at every position
        if not _needs_normalising(text, 2 * PUNCTUATION_RUN):
            return text, IDENTITY
    elif not _NEEDS_NORMALISING.search(text):
        return text, IDENTITY
    return fold(text, _NEEDS_NORMALISING, _normal_form)


def check_text(text: object, note_id: str) -> None:
    """Raise a casenotes error for text casenotes cannot read, naming only the note id."""
    if not isinstance(text, str):
        raise NoteTypeError(
            f"note {note_id!r}: text must be a str, got {describe_value(text)}; "
            "convert the column to strings or drop missing values first"
        )
    if len(text) > MAX_NOTE_LENGTH:
        raise NoteTooLongError(
            f"note {note_id!r} has {len(text):,} characters, more than the "
            f"{MAX_NOTE_LENGTH:,} casenotes accepts; split it into parts first"
        )
