"""Exploratory (session 27, not shipped): decode each hazard's episode states over the case.

    python scripts/experiments/episode_decoder.py [--penalty 0 1 2 3 5] [--slack 0]
        [--one-category EVENT ...] [--route-by-equipment] [--cache FILE]

The event reader decides each note alone, at its thresholds; the roll-up then keeps every
close it is given. With the gold's closes, the clock would be right far more often (the
oracle of ``case_stacker.py``), and the annotation guide says what follows a close: a
confirmation ("no mould on revisit"), a recurrence, or nothing. In the twenty train/dev
writers' gold, after a hazard closes, one note of about 120 books it again and none chases
it. So this decodes, per case and hazard category, the state after each note (none, open,
closed) as a path: a close at a note earns the log-odds by which the reader's probability
of works done or resolved passes its threshold (so with no penalty it is the reader's
choice), and each later note that books, chases, finds no access to or is refused on the
hazard while the path says closed (with no new report between) costs ``--penalty``. The
best path's closes replace the reader's: a close the path rejects is dropped, one it takes
below threshold is added. The first stage is ``case_stacker.first_stage`` (each writer
read by the event model of the other nineteen); the test writers are never read.
``--cache`` keeps that stage in a pickle, as it takes minutes.

Two other placements of the same readings, for comparison: ``--one-category EVENT ...`` keeps
each named event of a note on its most probable category only (the gold puts one event of a
note on two categories 8% of the time for works done, 13% for resolved), and
``--route-by-equipment`` gives a note's uncategorised events, when the category its equipment
points to most has no open episode, to the open one its other equipment points to.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "experiments"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import case_stacker  # noqa: E402
import train_events  # noqa: E402
from case_stacker import AT  # noqa: E402

from casenotes.events import (  # noqa: E402
    _equipment_spans,
    _lower_same_length,
    equipment_automaton,
    load_event_rules,
)
from casenotes.model import logit  # noqa: E402
from casenotes.triage.cases import CLOSING_EVENTS  # noqa: E402
from casenotes.triage.timelines import format_evaluation, load_timelines  # noqa: E402
from casenotes.types import EVENT_NAMES, NoteEvent  # noqa: E402

#: The closing events in the reader's order (works done before resolved, for ties).
CLOSING = tuple(e for e in EVENT_NAMES if e in CLOSING_EVENTS)
OPENING = frozenset({"reported", "recurrence"})
STILL_ACTIVE = frozenset({"chaser", "booked", "no_access", "refused"})
#: The log-odds of each closing event's threshold, as train_events.py sets them.
THRESHOLD_LOGITS = {e: float(logit(train_events.EVENT_THRESHOLDS.get(e, train_events.THRESHOLD)))
                    for e in CLOSING}


def close_evidence(probabilities: list[float]) -> float:
    """How far the candidate's works done or resolved passes its threshold, in log-odds."""
    return max(float(logit(probabilities[AT[e]])) - THRESHOLD_LOGITS[e] for e in CLOSING)


def chain(row: dict, note: Any, category: str) -> tuple[float | None, bool, bool, bool]:
    """One note as the path sees it for ``category``: the close evidence (None: no candidate
    of the note is about it), whether it opens (a report), shows the hazard still active, and
    whether the close would come from the note's uncategorised candidate. The uncategorised
    candidate goes where the roll-up would give it (its equipment's hazard if open, else the
    most recently active), but without the roll-up's job-number clue."""
    mine = next((c for c in row["cands"] if c["category"] == category), None)
    loose = next((c for c in row["cands"] if not c["category"]), None)
    opened = [c for c, (is_open, _, _) in row["state"].items() if is_open]
    recent = max(opened, key=lambda c: row["state"][c][1]) if opened else None
    routed = loose is not None and (loose["about"] == category or (
        loose["about"] not in opened and recent == category))
    own = close_evidence(mine["p"]) if mine else None
    given = close_evidence(loose["p"]) if routed and loose else None
    names = {e.event for e in note.events
             if e.category == category or (not e.category and routed)}
    return (max((e for e in (own, given) if e is not None), default=None),
            bool(OPENING & names), bool(STILL_ACTIVE & names) and not OPENING & names,
            given is not None and (own is None or given > own))


def decode(steps: list[tuple[float | None, bool, bool, bool]], penalty: float,
           slack: float = 0.0) -> set[int]:
    """The notes at which the best path closes (states: 0 none, 1 open, 2 closed); ``slack``
    is added to every close's evidence (a close below threshold the later notes allow)."""
    best: dict[int, tuple[float, tuple[int, ...]]] = {0: (0.0, ())}
    for i, (evidence, opens, active, _) in enumerate(steps):
        paths: list[tuple[int, float, tuple[int, ...]]] = []
        for state, (score, closes) in best.items():
            now = 1 if opens or (state == 0 and active) else state
            cost = -penalty if now == 2 and active else 0.0
            if now == 1 and evidence is not None:
                paths.append((2, score + cost + evidence + slack, (*closes, i)))
            paths.append((now, score + cost, closes))
        best = {}
        for state, score, closes in paths:
            if state not in best or score > best[state][0]:
                best[state] = (score, closes)
    return set(max(best.values())[1])


def decoded(notes: list, rows: list[dict], penalty: float, slack: float = 0.0) -> list:
    """The case's notes with each category's closes as the best path puts them."""
    notes = list(notes)
    categories = sorted({c["category"] for r in rows for c in r["cands"] if c["category"]}
                        | {e.category for n in notes for e in n.events if e.category})
    for category in categories:
        steps = [chain(row, note, category) for row, note in zip(rows, notes, strict=True)]
        closes = decode(steps, penalty, slack)
        reader = decode(steps, 0.0)
        for i in closes ^ reader:
            note, loose = notes[i], steps[i][3]
            if i in reader:  # the path rejects the reader's close
                notes[i] = replace(note, events=tuple(
                    e for e in note.events if e.event not in CLOSING
                    or (e.category != category and (e.category or not loose))))
            else:  # the path takes a close the reader did not
                p = next(c["p"] for c in rows[i]["cands"]
                         if c["category"] == category or (loose and not c["category"]))
                event = max(CLOSING, key=lambda e: p[AT[e]])
                notes[i] = replace(note, events=(*note.events, NoteEvent(
                    note.note_id, category, event, round(p[AT[event]], 4), 0, 0)))  # type: ignore[arg-type]
    return notes


def one_category(notes: list, events: frozenset[str]) -> list:
    """Each of ``events`` of a note on its most probable category only."""
    out = []
    for note in notes:
        best = {e.event: max((x for x in note.events if x.event == e.event and x.category),
                             key=lambda x: x.probability)
                for e in note.events if e.event in events and e.category}
        out.append(replace(note, events=tuple(
            e for e in note.events
            if not (e.event in events and e.category) or best[e.event] is e)))
    return out


def routed_by_equipment(timeline: Any, notes: list, rows: list[dict], equipment: Any) -> list:
    """Uncategorised events whose equipment's category is not open go to the open category
    the note's other equipment points to most."""
    out = []
    for gold, note, row in zip(timeline.notes, notes, rows, strict=True):
        opened = {c for c, (is_open, _, _) in row["state"].items() if is_open}
        loose = [e for e in note.events if not e.category]
        if loose and opened and loose[0].about not in opened:
            counts = Counter(c for _, _, c in _equipment_spans(
                _lower_same_length(gold.text), equipment))
            ranked = [c for c, _ in counts.most_common() if c in opened]
            if ranked:
                note = replace(note, events=tuple(
                    e if e.category else replace(e, about=ranked[0]) for e in note.events))
        out.append(note)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--penalty", type=float, nargs="+", default=[0.0, 1.0, 2.0, 3.0, 5.0])
    parser.add_argument("--slack", type=float, nargs="+", default=[0.0])
    parser.add_argument("--one-category", nargs="+", choices=EVENT_NAMES, default=[])
    parser.add_argument("--route-by-equipment", action="store_true")
    parser.add_argument("--cache", type=Path, help="pickle of the first stage (made if absent)")
    args = parser.parse_args()
    timelines = [t for name in ("train.jsonl", "dev.jsonl")
                 for t in load_timelines(case_stacker.TIMELINES / name)]
    if args.cache is not None and args.cache.exists():
        read, raw = pickle.loads(args.cache.read_bytes())
    else:
        read, raw = case_stacker.first_stage(timelines, train_events.scored_notes(timelines))
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps((read, raw)))
    print("== the reader")
    print(format_evaluation(case_stacker._evaluate(timelines, lambda t: read[t.case])))
    if args.one_category:
        print(f"== one category per note for {', '.join(args.one_category)}")
        print(format_evaluation(case_stacker._evaluate(timelines, lambda t: one_category(
            read[t.case], frozenset(args.one_category)))))
    if args.route_by_equipment:
        equipment = equipment_automaton(None, load_event_rules())
        print("== uncategorised events routed by the note's other equipment")
        print(format_evaluation(case_stacker._evaluate(timelines, lambda t: routed_by_equipment(
            t, read[t.case], raw[t.case], equipment))))
    for penalty in args.penalty:
        for slack in args.slack:
            print(f"== decoded, penalty {penalty}, slack {slack}")
            print(format_evaluation(case_stacker._evaluate(
                timelines, lambda t, p=penalty, s=slack: decoded(read[t.case], raw[t.case],
                                                                 p, s))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
