"""The category of an ambiguous hazard word, read from the words around it.

"burning smell" is a fire mention, but an electrical one beside "socket"; "fire" belongs to
the gas category in "spillage test on the fire failed"; "leak" is gas beside "ECV"; "cracked"
is asbestos beside "AIB". The lexicon's ``senses`` section lists such words, the category
each may take and which categories' hits count as evidence for it (docs/lexicon.md).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from ..lexicon import ContextSense, HazardTerm, Lexicon
from ..types import Category
from .context import sentence_bounds


class Evidence(NamedTuple):
    """A hit that speaks for a category: a hazard term or equipment, a trade, a procedure."""

    start: int
    end: int
    category: str
    kind: str  # "hazard" or an equipment kind


class Sense(NamedTuple):
    """The category (and HHSRS hazard) a mention is read as."""

    category: Category
    hhsrs_hazard: str


@dataclass(frozen=True, slots=True)
class _Choice:
    """For one ambiguous word: which candidate each (category, kind) of evidence points to."""

    points_to: Mapping[tuple[str, str], Sense | None]  # None: the word's own category
    reach: int


NO_SENSES: Final[tuple[Sense | None, ...]] = ()


class SenseReader:
    """Chooses, for each hazard hit whose words a sense lists, the category its nearest
    evidence speaks for; every other hit keeps its entry's category."""

    def __init__(self, lexicon: Lexicon) -> None:
        entries = {term.id: term for term in lexicon.hazards}
        self._senses: dict[str, list[ContextSense]] = {}
        for sense in lexicon.senses:
            for words in sense.terms:
                self._senses.setdefault(words, []).append(sense)
        self._entries: dict[str, HazardTerm] = entries
        self._choices: dict[tuple[str, str], _Choice] = {}

    def __bool__(self) -> bool:
        return bool(self._senses)

    def read(self, lowers: Sequence[str], sentence_starts: Sequence[int],
             hazards: Sequence[tuple[int, int, str]],
             evidence: Callable[[], Iterable[Evidence]]) -> tuple[Sense | None, ...]:
        """Per hazard hit ``(start, end, entry_id)``: the sense it takes, or None to keep its
        entry's category (an empty tuple when no hit is an ambiguous word). ``evidence()``
        gives the note's equipment hits, asked only when some hit is ambiguous; its
        unambiguous hazard hits are added here."""
        if not self._senses:
            return NO_SENSES
        words = [" ".join(lowers[start:end]) for start, end, _ in hazards]
        ambiguous = [w in self._senses for w in words]
        if not any(ambiguous):
            return NO_SENSES
        found = sorted([*evidence(), *(
            Evidence(start, end, self._entries[entry_id].category, "hazard")
            for (start, end, entry_id), unclear in zip(hazards, ambiguous, strict=True)
            if not unclear)])
        starts = [e.start for e in found]
        out: list[Sense | None] = []
        for (start, end, entry_id), text, unclear in zip(hazards, words, ambiguous,
                                                           strict=True):
            if not unclear:
                out.append(None)
                continue
            choice = self._choice(text, entry_id)
            first, last = sentence_bounds(start, end, sentence_starts, len(lowers))
            out.append(_nearest(found, starts, start, end, first, last, choice))
        return tuple(out)

    def _choice(self, words: str, entry_id: str) -> _Choice:
        key = (words, entry_id)
        known = self._choices.get(key)
        if known is not None:
            return known
        own = self._entries[entry_id].category
        points_to: dict[tuple[str, str], Sense | None] = {
            (own, kind): None for kind in ("hazard", "equipment", "trade", "procedure")}
        senses = self._senses[words]
        for sense in senses:
            target = Sense(sense.category, sense.hhsrs_hazard)
            for category in sense.evidence:
                for kind in sense.evidence_kinds:
                    points_to.setdefault((category, kind), target)
        choice = self._choices[key] = _Choice(points_to, max(s.reach for s in senses))
        return choice


def _nearest(found: Sequence[Evidence], starts: Sequence[int], start: int, end: int,
             first: int, last: int, choice: _Choice) -> Sense | None:
    """The sense of the nearest evidence in the sentence ``[first, last)``, else the nearest
    within ``choice.reach`` words before it; None (own category) when there is none."""
    best: tuple[int, Sense | None] | None = None
    low = bisect.bisect_left(starts, max(0, first - choice.reach))
    high = bisect.bisect_left(starts, last)
    earlier: tuple[int, Sense | None] | None = None
    for item in found[low:high]:
        key = (item.category, item.kind)
        if key not in choice.points_to or (item.start < end and start < item.end):
            continue
        distance = start - item.end if item.end <= start else item.start - end
        candidate = (distance, choice.points_to[key])
        if item.start >= first:
            if best is None or distance < best[0]:
                best = candidate
        elif earlier is None or distance < earlier[0]:
            earlier = candidate
    chosen = best if best is not None else earlier
    return None if chosen is None else chosen[1]
