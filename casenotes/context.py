"""ConText-style scope logic: which cues reach which mention, and clause boundaries.

Pure Python over token indices, so the algorithm can be tested without spaCy and reused for
any target span (the NegEx evaluation passes clinical conditions instead of hazards).
A cue reaches a target when both sit in the same clause, the cue's direction points at the
target, and no more than the rule's ``max_scope`` tokens lie between them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from .lexicon import CueRule
from .types import Position


@dataclass(frozen=True, slots=True)
class CueHit:
    """A cue rule matched at tokens ``[start, end)`` of a document."""

    start: int
    end: int
    rule: CueRule


@dataclass(frozen=True, slots=True)
class Reach:
    """A cue hit that reaches one target, with where it sits and how far away."""

    hit: CueHit
    position: Position
    distance: int


def clause_bounds(n_tokens: int, sentence_starts: Sequence[int],
                  terminators: Sequence[CueHit]) -> list[tuple[int, int]]:
    """Split ``[0, n_tokens)`` into clauses at sentence starts and terminating cues.

    A terminator ("but", "however", ";", " - ") opens the clause that follows it, so the
    scope of a cue before it ends there: "denies smell of gas but engineer found CO".
    """
    cuts = {0, n_tokens}
    cuts.update(s for s in sentence_starts if 0 < s < n_tokens)
    cuts.update(hit.start for hit in terminators if 0 < hit.start < n_tokens)
    ordered = sorted(cuts)
    return [(a, b) for a, b in pairwise(ordered) if a < b]


def clause_index(token: int, clause_starts: Sequence[int]) -> int:
    """Index of the clause holding ``token``, given the sorted starts of contiguous clauses
    (as :func:`clause_bounds` returns them, which always begin at token 0)."""
    return bisect_right(clause_starts, token) - 1


def cues_reaching(target: tuple[int, int], clause: tuple[int, int],
                  hits: Sequence[CueHit]) -> list[Reach]:
    """The cue hits that reach ``target`` (token span) inside ``clause``, nearest first.

    A hit overlapping the target is part of the term itself ("no" in "no heating") and never
    modifies it; terminate and pseudo cues never reach anything.
    """
    t_start, t_end = target
    c_start, c_end = clause
    reaches: list[Reach] = []
    for hit in hits:
        rule = hit.rule
        if rule.direction == "none" or hit.start < c_start or hit.end > c_end:
            continue
        if hit.end <= t_start:
            distance = t_start - hit.end
            if rule.direction in ("forward", "both") and distance <= rule.max_scope:
                reaches.append(Reach(hit, "before", distance))
        elif hit.start >= t_end:
            distance = hit.start - t_end
            if rule.direction in ("backward", "both") and distance <= rule.max_scope:
                reaches.append(Reach(hit, "after", distance))
    reaches.sort(key=lambda r: (r.distance, r.hit.start))
    return reaches
