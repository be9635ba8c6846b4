"""Labelled case timelines and how well the clock reads them (``casenotes evaluate-cases``).

A timeline file is JSON Lines, one case per line: its dated notes with the gold events per
category, and per hazard the gold tier, deadline, clock state, the notes that stopped the
clock and closed the episode, and open/resolved, all judged at the case's ``as_of``
(``data/samples/timelines/``, written by the project; the format is in its README).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from ..errors import InputError
from ..types import CATEGORIES, EVENT_NAMES, NoteEvent, ScoredNote
from .cases import (
    CaseEvent,
    CaseHazard,
    CaseMention,
    CaseNote,
    Clock,
    events_from_mentions,
    roll_up,
    with_verdicts,
)
from .priority import URGENCIES

CLOCKS: Final = ("met", "late", "overdue", "due", "not applicable")


@dataclass(frozen=True, slots=True)
class GoldNote:
    note_id: str
    when: datetime
    text: str
    events: frozenset[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class GoldHazard:
    category: str
    tier: str
    deadline: datetime | None
    clock: Clock
    open: bool
    clock_from: str
    clock_stopped_by: str | None
    closed_by: str | None
    episodes: int


@dataclass(frozen=True, slots=True)
class Timeline:
    case: str
    writer: str
    as_of: datetime
    notes: tuple[GoldNote, ...]
    hazards: tuple[GoldHazard, ...]
    tags: tuple[str, ...] = ()


def load_timelines(path: str | Path) -> list[Timeline]:
    """Read a timelines file; a malformed line raises InputError naming it."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the timelines ({exc.strerror})") from None
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(_timeline(json.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path.name} line {number}: not a casenotes timeline ({exc!s}); "
                             "see data/samples/timelines/README.md for the format") from None
    return out


def _timeline(data: dict[str, Any]) -> Timeline:
    notes = tuple(GoldNote(str(n["note_id"]), datetime.fromisoformat(n["when"]), str(n["text"]),
                           frozenset((str(e["category"]), str(e["event"]))
                                     for e in n["events"]))
                  for n in data["notes"])
    for note in notes:
        for category, event in note.events:
            if category not in CATEGORIES or event not in EVENT_NAMES:
                raise ValueError(f"note {note.note_id}: unknown event {category}/{event}")
    hazards = tuple(GoldHazard(
        str(h["category"]), str(h["tier"]),
        datetime.fromisoformat(h["deadline"]) if h.get("deadline") else None,
        h["clock"], bool(h["open"]), str(h["clock_from"]), h.get("clock_stopped_by"),
        h.get("closed_by"), int(h.get("episodes", 1))) for h in data["hazards"])
    note_ids = {note.note_id for note in notes}
    for hazard in hazards:
        if hazard.category not in CATEGORIES:
            raise ValueError(f"unknown hazard category {hazard.category!r}")
        if hazard.clock not in CLOCKS:
            raise ValueError(f"hazard {hazard.category}: unknown clock {hazard.clock!r}")
        if hazard.tier not in URGENCIES:
            raise ValueError(f"hazard {hazard.category}: unknown tier {hazard.tier!r}")
        for named in (hazard.clock_from, hazard.clock_stopped_by, hazard.closed_by):
            if named is not None and named not in note_ids:
                raise ValueError(f"hazard {hazard.category} names note {named!r}, which is "
                                 "not in the timeline")
    return Timeline(str(data["case"]), str(data.get("writer", "")),
                    datetime.fromisoformat(data["as_of"]), notes, hazards,
                    tuple(data.get("tags", ())))


def case_notes_from(timeline: Timeline, scored: Sequence[ScoredNote], *,
                    with_events: bool = True) -> list[CaseNote]:
    """The timeline's notes as the roll-up reads them, from their scored notes (without
    events, the roll-up derives them from the mentions, as before events were read)."""
    out = []
    for gold, note in zip(timeline.notes, scored, strict=True):
        mentions = with_verdicts(
            [CaseMention(m.mention.category, m.label, m.mention.context, m.urgency,
                         m.mention.term_id) for m in note.mentions],
            {h.category: (h.verdict, h.urgency) for h in note.hazards})
        out.append(CaseNote(timeline.case, gold.when, gold.note_id, mentions, note.priority,
                            case_events(note.events) if with_events else None))
    return out


def case_events(events: Iterable[NoteEvent]) -> tuple[CaseEvent, ...]:
    return tuple(CaseEvent(e.category, e.event, e.tier, e.about, e.refs, e.basis) for e in events)


@dataclass
class CaseEvaluation:
    """Figures of the clock on labelled timelines, and the hazards it got wrong."""

    timelines: int = 0
    notes: int = 0
    hazards: int = 0
    clock_right: int = 0
    open_right: int = 0
    tier_right: int = 0
    deadline_right: int = 0
    stopped_by_right: int = 0
    closed_by_right: int = 0
    routine_only: int = 0
    routine_only_with_clock: int = 0
    extra_hazards: int = 0
    extra_clocks: int = 0
    event_counts: dict[str, Counter[str]] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)
    #: Per timeline: (gold hazards, clock state right, open/resolved right), for intervals.
    per_case: list[tuple[int, int, int]] = field(default_factory=list)

    def add(self, other: CaseEvaluation) -> None:
        """Pool another evaluation into this one (writers held out in turn): counts add up,
        lists join, event counts merge."""
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if isinstance(mine, int):
                setattr(self, item.name, mine + theirs)
            elif isinstance(mine, list):
                mine.extend(theirs)
            else:
                for event, counts in theirs.items():
                    mine.setdefault(event, Counter()).update(counts)

    def share(self, right: int) -> float:
        return right / self.hazards if self.hazards else 0.0

    def intervals(self, rounds: int = 2000, seed: int = 0,
                  ) -> dict[str, tuple[float, float]]:
        """95% percentile intervals of the clock-state and open/resolved shares, resampling
        whole timelines (hazards of one case are not independent)."""
        import numpy as np

        cases = np.array([c for c in self.per_case if c[0]], dtype=float).reshape(-1, 3)
        if not len(cases):
            return {}
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, len(cases), (rounds, len(cases)))
        totals = cases[picks].sum(axis=1)
        out = {}
        for name, column in (("clock_state_right", 1), ("open_resolved_right", 2)):
            shares = totals[:, column] / totals[:, 0]
            out[name] = (round(float(np.percentile(shares, 2.5)), 4),
                         round(float(np.percentile(shares, 97.5)), 4))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The figures as plain data (shares, counts, events per type, the wrong hazards)."""
        return {
            "timelines": self.timelines, "notes": self.notes, "hazards": self.hazards,
            "clock_state_right": round(self.share(self.clock_right), 4),
            "open_resolved_right": round(self.share(self.open_right), 4),
            "tier_right": round(self.share(self.tier_right), 4),
            "deadline_right": round(self.share(self.deadline_right), 4),
            "clock_stopped_by_right": round(self.share(self.stopped_by_right), 4),
            "closed_by_right": round(self.share(self.closed_by_right), 4),
            "routine_only": self.routine_only,
            "routine_only_with_clock": self.routine_only_with_clock,
            "extra_hazards": self.extra_hazards, "extra_clocks": self.extra_clocks,
            "events": {event: {"precision": round(p, 4), "recall": round(r, 4), "gold": n}
                       for event, (p, r, n) in self.event_figures().items()},
            "intervals_95": {k: list(v) for k, v in self.intervals().items()},
            "wrong": list(self.wrong),
        }

    def event_figures(self) -> dict[str, tuple[float, float, int]]:
        """Precision, recall and gold support per event type, and ``all`` pooled."""
        out: dict[str, tuple[float, float, int]] = {}
        pooled: Counter[str] = Counter()
        for event in EVENT_NAMES:
            c = self.event_counts.get(event, Counter())
            pooled.update(c)
            out[event] = _pr(c)
        out["all"] = _pr(pooled)
        return out


def _pr(c: Counter[str]) -> tuple[float, float, int]:
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0, tp + fn)


def system_events(hazards: Sequence[CaseHazard], notes: Sequence[CaseNote],
                  ) -> set[tuple[str, str, str]]:
    """(note id, category, event) as the roll-up read them: each episode's events, and the
    notes' own events outside any episode (an event of no category there takes the category
    its equipment points to: "LGSR booked" is a gas booking)."""
    found = {(e.note_id, h.category, e.event) for h in hazards for e in h.all_events}
    placed = {(note_id, event) for note_id, _, event in found}
    with_episode = {h.category for h in hazards}
    for note in notes:
        events = note.events if note.events is not None else events_from_mentions(
            note.mentions)
        for event in events:
            if event.category and event.category not in with_episode:
                found.add((note.note_id, event.category, event.event))
            elif not event.category and event.about and (note.note_id, event.event) not in placed:
                found.add((note.note_id, event.about, event.event))
    return found


def evaluate_timelines(timelines: Sequence[Timeline], scorer: Any) -> CaseEvaluation:
    """Score every note of every timeline, roll each case up at its ``as_of`` and compare."""
    result = _evaluation()
    for timeline, notes, hazards in _read_timelines(timelines, scorer):
        _compare(timeline, notes, hazards, result)
    return result


def evaluate_timelines_by_writer(timelines: Sequence[Timeline], scorer: Any,
                                 ) -> tuple[CaseEvaluation, dict[str, CaseEvaluation]]:
    """As :func:`evaluate_timelines`, and each writer's figures beside the pooled ones (writers
    in the order W1, W2, ..., W10); every note is scored once."""
    pooled, by_writer = _evaluation(), dict[str, CaseEvaluation]()
    for timeline, notes, hazards in _read_timelines(timelines, scorer):
        _compare(timeline, notes, hazards, pooled)
        _compare(timeline, notes, hazards,
                 by_writer.setdefault(timeline.writer, _evaluation()))
    return pooled, dict(sorted(by_writer.items(), key=lambda item: (len(item[0]), item[0])))


def _evaluation() -> CaseEvaluation:
    return CaseEvaluation(event_counts={e: Counter() for e in EVENT_NAMES})


def _read_timelines(timelines: Sequence[Timeline], scorer: Any,
                    ) -> Iterator[tuple[Timeline, list[CaseNote], list[CaseHazard]]]:
    """Each timeline with its notes as scored and its case rolled up at its ``as_of``."""
    for timeline in timelines:
        scored = list(scorer.score_notes((n.note_id, n.text) for n in timeline.notes))
        notes = case_notes_from(timeline, scored, with_events=scorer.events is not None)
        yield timeline, notes, roll_up(notes, as_of=timeline.as_of)


def _compare(timeline: Timeline, notes: Sequence[CaseNote], hazards: Sequence[CaseHazard],
             result: CaseEvaluation) -> None:
    result.timelines += 1
    result.notes += len(timeline.notes)
    gold_events = {(n.note_id, c, e) for n in timeline.notes for c, e in n.events}
    found = system_events(hazards, notes)
    for event in EVENT_NAMES:
        g = {x for x in gold_events if x[2] == event}
        s = {x for x in found if x[2] == event}
        result.event_counts[event].update(tp=len(g & s), fp=len(s - g), fn=len(g - s))
    by_category = {h.category: h for h in hazards}
    if not timeline.hazards:
        result.routine_only += 1
        if any(h.clock != "not applicable" for h in hazards):
            result.routine_only_with_clock += 1
            result.wrong.append(f"{timeline.case}: routine only, but the clock runs for "
                                + ", ".join(h.category for h in hazards))
    before = (result.hazards, result.clock_right, result.open_right)
    gold_categories = {h.category for h in timeline.hazards}
    extra = [h for h in hazards if h.category not in gold_categories]
    result.extra_hazards += len(extra)
    result.extra_clocks += sum(h.clock != "not applicable" for h in extra)
    for gold in timeline.hazards:
        result.hazards += 1
        mine = by_category.get(gold.category)
        clock = mine.clock if mine else "not applicable"
        is_open = mine.open if mine else False
        result.clock_right += clock == gold.clock
        result.open_right += is_open == gold.open
        result.tier_right += (mine.urgency if mine else "") == gold.tier
        result.deadline_right += (mine.deadline if mine else None) == gold.deadline
        result.stopped_by_right += ((mine.action_by or None) if mine else None) == (
            gold.clock_stopped_by if gold.deadline else None) or gold.deadline is None
        result.closed_by_right += ((mine.resolved_by or None) if mine else None) == gold.closed_by
        if clock != gold.clock or is_open != gold.open:
            result.wrong.append(
                f"{timeline.case} {gold.category}: clock {clock} (gold {gold.clock}), "
                f"{'open' if is_open else 'closed'} (gold {'open' if gold.open else 'closed'})"
                + (f"; read {', '.join(map(str, mine.events))}" if mine else "; no episode"))
    result.per_case.append((result.hazards - before[0], result.clock_right - before[1],
                            result.open_right - before[2]))


def format_evaluation(result: CaseEvaluation) -> str:
    """The figures as a short text report."""
    intervals = result.intervals()

    def interval(name: str) -> str:
        low, high = intervals.get(name, (0.0, 0.0))
        return f"  95% interval {low:.1%}-{high:.1%} over timelines" if name in intervals else ""

    lines = [
        f"{result.timelines} timelines, {result.notes} notes, {result.hazards} gold hazards, "
        f"{result.routine_only} routine-only cases",
        f"clock state right     {result.share(result.clock_right):6.1%}  "
        f"({result.clock_right}/{result.hazards}){interval('clock_state_right')}",
        f"open/resolved right   {result.share(result.open_right):6.1%}  "
        f"({result.open_right}/{result.hazards}){interval('open_resolved_right')}",
        f"tier right            {result.share(result.tier_right):6.1%}",
        f"deadline right        {result.share(result.deadline_right):6.1%}",
        f"clock stopped by      {result.share(result.stopped_by_right):6.1%}  (the right note)",
        f"closed by             {result.share(result.closed_by_right):6.1%}  (the right note)",
        f"routine-only cases with a clock: {result.routine_only_with_clock} of "
        f"{result.routine_only}; hazards with no gold episode: {result.extra_hazards} "
        f"({result.extra_clocks} with a clock)",
        "events (per note and category):   precision  recall  gold",
    ]
    for event, (p, r, n) in result.event_figures().items():
        lines.append(f"  {event:<12}{p:>22.2f}{r:>8.2f}{n:>6}")
    return "\n".join(lines)


__all__ = ["CaseEvaluation", "GoldHazard", "GoldNote", "Timeline", "case_notes_from",
           "evaluate_timelines", "format_evaluation", "load_timelines", "system_events"]
