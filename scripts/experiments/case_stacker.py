"""Exploratory (session 23, not shipped): a case-level second stage for the clock's events.

    python scripts/experiments/case_stacker.py [--model lr|hgb] [--threshold 0.5]
                                               [--mode replace|union|oracle] [--drop-below 0]

The event reader reads one note at a time; the roll-up then places what it read. With the
stopping and closing events made perfect (the gold's inspected, made_safe, works_done and
resolved, everything else as read), the twenty train/dev writers held out in turn would read
93.9% of clock states and 99.1% of open/resolved right; this asks whether a model that sees
the case can get part of that. For each note and each hazard category of the case (open
before the note, or named by it), it reads the first stage's probabilities for that
category's candidate, the note's uncategorised candidate and the other categories'
candidates (each from the event model of the other writers), the equipment the note points
to, whether the hazard is open, the most recently active, an emergency, shares a job number
with the note, and its category; and predicts the gold's four stopping and closing events.
Second stage: held out by writer too (trained on the other nineteen writers' first-stage
readings, each itself held out). ``--mode replace`` puts its events in place of the reader's
four; ``union`` adds those at ``--threshold`` or more to the reader's, and drops the
reader's where the second stage is below ``--drop-below``; ``oracle`` fits no second stage
and puts the gold's four in place of the reader's (the headroom above). The test writers are
never read.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import train_events  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from casenotes.events import EventReader, candidates, load_event_rules  # noqa: E402
from casenotes.triage.cases import roll_up  # noqa: E402
from casenotes.triage.timelines import (  # noqa: E402
    CaseEvaluation,
    _compare,
    case_notes_from,
    format_evaluation,
    load_timelines,
)
from casenotes.types import CATEGORIES, EVENT_NAMES, NoteEvent  # noqa: E402

TIMELINES = ROOT / "data" / "samples" / "timelines"
STOPPING = ("inspected", "made_safe", "works_done", "resolved")
AT = {event: i for i, event in enumerate(EVENT_NAMES)}


def first_stage(timelines: list, scored: dict[str, list]) -> tuple[dict, dict]:
    """Each writer's notes read by the event model of the other writers: the events as read
    (by case) and, per note, every candidate's probabilities and the roll-up's state."""
    read: dict[str, list] = {}
    raw: dict[str, list] = {}
    rules = load_event_rules()
    for held in sorted({t.writer for t in timelines}):
        model = train_events.event_model([t for t in timelines if t.writer != held], scored)
        reader = EventReader(rules, model)
        for timeline in (t for t in timelines if t.writer == held):
            notes = [replace(s, events=reader.read(g.text, s))
                     for g, s in zip(timeline.notes, scored[timeline.case], strict=True)]
            read[timeline.case] = notes
            case_notes = case_notes_from(timeline, notes)
            rows = []
            for i, (gold, note) in enumerate(zip(timeline.notes, notes, strict=True)):
                found = candidates(gold.text, note, rules, reader.equipment)
                shared = model.shared_logits(found[0].words) if found else None
                cands = [dict(category=c.category, about=c.about, refs=set(c.refs),
                              by_equipment=c.by_equipment, certain=c.certain,
                              p=[model.probabilities(c.features, shared)[e] for e in EVENT_NAMES],
                              p_risk=c.features.get("p_risk", 0.0)) for c in found]
                before = roll_up(case_notes[:i], as_of=gold.when) if i else []
                state = {h.category: (h.open, max((e.when for e in h.all_events),
                                                  default=h.clock_from), h.urgency)
                         for h in before}
                rows.append(dict(note_id=gold.note_id, when=gold.when, cands=cands, state=state,
                                 gold=set(gold.events),
                                 named={m.mention.category for m in note.mentions}))
            raw[timeline.case] = rows
    return read, raw


def features(rows: list[dict]) -> list[tuple[str, str, list[float], list[float]]]:
    """One (note, category) row per hazard of the case open before the note or named by it."""
    out = []
    refs_of: dict[str, set] = defaultdict(set)
    for row in rows:
        by_category = {c["category"]: c for c in row["cands"] if c["category"]}
        loose = next((c for c in row["cands"] if not c["category"]), None)
        opened = [c for c, (is_open, _, _) in row["state"].items() if is_open]
        recent = max(opened, key=lambda c: row["state"][c][1]) if opened else None
        refs = set().union(*(c["refs"] for c in row["cands"]))
        for category in sorted(set(row["state"]) | set(by_category)):
            mine, state = by_category.get(category), row["state"].get(category)
            others = [c for k, c in by_category.items() if k != category]
            x = [*(mine["p"] if mine else [0.0] * len(EVENT_NAMES)), float(mine is not None),
                 float(bool(mine and mine["by_equipment"])), mine["p_risk"] if mine else 0.0,
                 *(loose["p"] if loose else [0.0] * len(EVENT_NAMES)), float(loose is not None),
                 float(bool(loose and loose["about"] == category)),
                 float(bool(loose and loose["about"] not in ("", category))),
                 *[max([o["p"][AT[e]] for o in others] or [0.0]) for e in STOPPING],
                 float(bool(state and state[0])), float(state is not None), float(len(opened)),
                 float(recent == category),
                 math.log1p((row["when"] - state[1]).total_seconds() / 86400) if state else -1.0,
                 float(bool(refs & refs_of[category])),
                 float(bool(state and state[2] == "emergency")),
                 *[float(category == k) for k in CATEGORIES],
                 *[float(bool(mine and e in mine["certain"])) for e in STOPPING],
                 *[float(bool(loose and e in loose["certain"])) for e in STOPPING],
                 float(category in row["named"])]
            y = [float((category, e) in row["gold"]) for e in STOPPING]
            out.append((row["note_id"], category, x, y))
        for category in {*by_category, *opened, *([loose["about"]] if loose else [])} - {""}:
            refs_of[category] |= refs
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=("lr", "hgb"), default="lr")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--mode", choices=("replace", "union", "oracle"), default="replace")
    parser.add_argument("--drop-below", type=float, default=0.0)
    args = parser.parse_args()
    timelines = [t for name in ("train.jsonl", "dev.jsonl")
                 for t in load_timelines(TIMELINES / name)]
    read, raw = first_stage(timelines, train_events.scored_notes(timelines))
    if args.mode == "oracle":
        print("== the reader with the gold's stopping and closing events")
        print(format_evaluation(_evaluate(timelines, lambda timeline: [
            replace(note, events=tuple(
                [e for e in note.events if e.event not in STOPPING]
                + [NoteEvent(note.note_id, category, event, 1.0, 0, 0)
                   for category, event in gold.events if event in STOPPING]))
            for gold, note in zip(timeline.notes, read[timeline.case], strict=True)])))
        return 0
    rows = {t.case: features(raw[t.case]) for t in timelines}
    predicted: dict[str, dict[str, Any]] = defaultdict(dict)  # note id -> category -> P
    for held in sorted({t.writer for t in timelines}):
        train = [r for t in timelines if t.writer != held for r in rows[t.case]]
        test = [r for t in timelines if t.writer == held for r in rows[t.case]]
        x, y = np.array([r[2] for r in train]), np.array([r[3] for r in train])
        probabilities = np.zeros((len(test), len(STOPPING)))
        for j in range(len(STOPPING)):
            model = (HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05,
                                                    max_leaf_nodes=15, l2_regularization=1.0,
                                                    random_state=0)
                     if args.model == "hgb" else LogisticRegression(C=1.0, max_iter=2000))
            model.fit(x, y[:, j])
            probabilities[:, j] = model.predict_proba(np.array([r[2] for r in test]))[:, 1]
        for r, p in zip(test, probabilities, strict=True):
            predicted[r[0]][r[1]] = p
    for name, second in (("the reader", False), ("with the second stage", True)):
        result = _evaluate(timelines, lambda timeline, second=second: [
            _second(note, predicted, args) if second else note
            for note in read[timeline.case]])
        print(f"== {name} ({args.model}, {args.mode}, threshold {args.threshold}, "
              f"drop below {args.drop_below})")
        print(format_evaluation(result))
    return 0


def _evaluate(timelines: list, notes_of: Any) -> CaseEvaluation:
    """The clock's figures on ``timelines``, each read as ``notes_of(timeline)`` gives it."""
    result = CaseEvaluation(event_counts={e: Counter() for e in EVENT_NAMES})
    for timeline in timelines:
        case_notes = case_notes_from(timeline, notes_of(timeline))
        _compare(timeline, case_notes, roll_up(case_notes, as_of=timeline.as_of), result)
    return result


def _second(note: Any, predicted: dict, args: argparse.Namespace) -> Any:
    mine = predicted.get(note.note_id, {})

    def kept(event: NoteEvent) -> bool:
        if event.event not in STOPPING:
            return True
        if args.mode == "replace":
            return False
        p = mine.get(event.category)
        return p is None or not event.category or p[STOPPING.index(event.event)] >= \
            args.drop_below
    added = [NoteEvent(note.note_id, category, event, float(p[j]), 0, 0)  # type: ignore[arg-type]
             for category, p in mine.items() for j, event in enumerate(STOPPING)
             if p[j] >= args.threshold]
    return replace(note, events=tuple([e for e in note.events if kept(e)] + added))


if __name__ == "__main__":
    sys.exit(main())
