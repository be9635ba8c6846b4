"""ConText-style scope logic: which cues reach which mention, and clause boundaries.

Pure Python over token indices, so the algorithm can be tested without spaCy and reused for
any target span (the NegEx evaluation passes clinical conditions instead of hazards).
A cue reaches a target when both sit in the same clause, the cue's direction points at the
target, and no more than the rule's ``max_scope`` tokens lie between them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Final

from ..lexicon import CueRule, TokenPattern
from ..types import Position


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


def sentence_bounds(start: int, end: int, sentence_starts: Sequence[int],
                    n_tokens: int) -> tuple[int, int]:
    """The tokens ``[first, last)`` of the sentences holding tokens ``[start, end)``: a phrase
    with a full stop inside ("c.o. alarm") can straddle a sentence break."""
    first = sentence_starts[bisect_right(sentence_starts, start) - 1]
    after = bisect_right(sentence_starts, end - 1)
    return first, sentence_starts[after] if after < len(sentence_starts) else n_tokens


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


# ------------------------------------------------------------------- Doc serialisation

#: The msgpack map key that marks an encoded :class:`Reach`.
REACH_KEY: Final = "__casenotes_reach__"

Chain = Callable[[Any], Any] | None


def encode_reach(obj: Any, chain: Chain = None) -> Any:
    """msgpack encoder for a :class:`Reach`, whole (its rule included), so a Doc whose hazard
    spans carry ``span._.casenotes_cues`` survives ``Doc.to_bytes``, ``DocBin`` and spaCy's
    ``n_process``; :mod:`casenotes.nlp.pipeline` registers it with srsly (here it would
    cost scoring, which builds no Doc, srsly's import)."""
    if isinstance(obj, Reach):
        rule = obj.hit.rule
        return {REACH_KEY: [
            obj.hit.start, obj.hit.end, obj.position, obj.distance,
            rule.id, rule.kind, rule.direction, list(rule.phrases),
            [[p.pattern_json, list(p.keep) if p.keep else None, p.claim_kept]
             for p in rule.patterns],
            rule.max_scope,
        ]}
    return obj if chain is None else chain(obj)


def decode_reach(obj: Any, chain: Chain = None) -> Any:
    """msgpack decoder: the :class:`Reach` that :func:`encode_reach` wrote, equal to the one
    encoded."""
    if isinstance(obj, dict) and REACH_KEY in obj:
        (start, end, position, distance, rule_id, kind, direction, phrases, patterns,
         max_scope) = obj[REACH_KEY]
        rule = CueRule(rule_id, kind, direction, tuple(phrases),
                       tuple(TokenPattern(text, tuple(keep) if keep else None,
                                          bool(claim and claim[0]))
                             for text, keep, *claim in patterns), max_scope)
        return Reach(CueHit(start, end, rule), position, distance)
    return obj if chain is None else chain(obj)

