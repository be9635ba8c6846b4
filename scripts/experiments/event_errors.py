"""The event model's errors on the train and dev timelines, each writer held out in turn.

    python scripts/experiments/event_errors.py [KIND:EVENT ...]   # e.g. FP:booked FN:booked

Trains the event model without one writer, reads that writer's timelines, and lists what the
roll-up got wrong as (note, category, event) triples: false positives (FP) and misses (FN)
by event, and how many of them are the right event placed on the wrong category of the same
note. Never reads the test file. ``KIND:EVENT`` prints the notes behind those errors.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import train_events  # noqa: E402

from casenotes.events import EventReader, load_event_rules  # noqa: E402
from casenotes.scoring import Scorer  # noqa: E402
from casenotes.triage.cases import roll_up  # noqa: E402
from casenotes.triage.timelines import (  # noqa: E402
    case_notes_from,
    load_timelines,
    system_events,
)

Triple = tuple[str, str, str]


def held_out_errors() -> tuple[dict[tuple[str, str], list[Triple]], dict[str, str]]:
    """Errors by (FP or FN, event), and each note's text by id."""
    data = ROOT / "data/samples/timelines"
    timelines = [t for name in ("train.jsonl", "dev.jsonl") for t in load_timelines(data / name)]
    scored = train_events.scored_notes(timelines)
    errors: dict[tuple[str, str], list[Triple]] = defaultdict(list)
    texts = {n.note_id: n.text for t in timelines for n in t.notes}
    for held in sorted({t.writer for t in timelines}):
        model = train_events.event_model([t for t in timelines if t.writer != held], scored)
        scorer = Scorer(events=EventReader(load_event_rules(), model))
        for timeline in (t for t in timelines if t.writer == held):
            read = list(scorer.score_notes((n.note_id, n.text) for n in timeline.notes))
            notes = case_notes_from(timeline, read, with_events=True)
            found = system_events(roll_up(notes, as_of=timeline.as_of), notes)
            gold = {(n.note_id, c, e) for n in timeline.notes for c, e in n.events}
            for kind, triples in (("FP", found - gold), ("FN", gold - found)):
                for triple in triples:
                    errors[(kind, triple[2])].append(triple)
    return errors, texts


def main() -> None:
    errors, texts = held_out_errors()
    counts = Counter({key: len(triples) for key, triples in errors.items()})
    print("errors by kind and event (each train/dev writer held out in turn):")
    for (kind, event), count in counts.most_common():
        misplaced = {(note, e) for note, _, e in errors[("FN", event)]} if kind == "FP" else set()
        wrong_category = sum((note, e) in misplaced for note, _, e in errors[(kind, event)])
        extra = f" ({wrong_category} the right event on another category)" if kind == "FP" else ""
        print(f"  {kind} {event:<11} {count:4}{extra}")
    for wanted in sys.argv[1:]:
        kind, event = wanted.split(":")
        print(f"\n{kind} {event}:")
        for note, category, _ in sorted(errors[(kind, event)]):
            print(f"  {note} [{category}] {texts[note][:200]!r}")


if __name__ == "__main__":
    main()
