"""Exploratory: why the clock is wrong, hazard by hazard, with each train/dev writer held out.

    python scripts/experiments/clock_errors.py [--list]

Trains the event model on all train/dev writers but one, reads that one (as
``train_events.py --cross-writers`` does) and sorts every gold hazard whose clock state or
open/resolved is wrong by its first cause: no episode, a wrong tier, an episode opened at
another note, the clock stopped early, late or not at all, a close missed (and what the gold
closing note was read as) or a close too many; ``--list`` prints each wrong hazard too. The
test writers are never read here.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import train_events  # noqa: E402

from casenotes.events import EventReader, load_event_rules  # noqa: E402
from casenotes.scoring import Scorer  # noqa: E402
from casenotes.triage.cases import CLOSING_EVENTS, CaseHazard, roll_up  # noqa: E402
from casenotes.triage.timelines import (  # noqa: E402
    GoldHazard,
    Timeline,
    case_notes_from,
    load_timelines,
)
from casenotes.types import ScoredNote  # noqa: E402

TIMELINES = ROOT / "data" / "samples" / "timelines"


def clock_cause(gold: GoldHazard, mine: CaseHazard, timeline: Timeline) -> str:
    """The first reason the clock state is wrong."""
    if mine.urgency != gold.tier:
        return f"tier {mine.urgency or '-'} (gold {gold.tier})"
    if mine.opened_by != gold.clock_from:
        return "opened at another note"
    if not mine.action_by:
        return "clock not stopped"
    if gold.clock_stopped_by is None:
        return "clock stopped, gold not"
    when = {n.note_id: n.when for n in timeline.notes}
    return "clock stopped early" if when[mine.action_by] < when[gold.clock_stopped_by] \
        else "clock stopped late"


def close_cause(gold: GoldHazard, mine: CaseHazard, timeline: Timeline,
                scored: list[ScoredNote]) -> str:
    """Why the episode is open where the gold closed it (or closed where it is open)."""
    if gold.open:
        return "closed, gold open"
    if mine.episodes > gold.episodes:
        return "close missed: a later note reopened it"
    index = next(i for i, n in enumerate(timeline.notes) if n.note_id == gold.closed_by)
    read = scored[index].events
    here = {e.event for e in read if e.category == gold.category}
    if here & CLOSING_EVENTS:
        return "close missed: the closing note's close read here, not kept by the roll-up"
    if any(e.event in CLOSING_EVENTS and not e.category for e in read):
        return "close missed: the closing note names no hazard, its close went elsewhere"
    if any(e.event in CLOSING_EVENTS for e in read):
        return "close missed: the closing note's close read for another hazard"
    if here:
        return "close missed: the closing note read as " + "+".join(sorted(here))
    return "close missed: nothing read for this hazard in the closing note"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--list", action="store_true", help="print each wrong hazard")
    listing = parser.parse_args().list
    timelines = [t for name in ("train.jsonl", "dev.jsonl")
                 for t in load_timelines(TIMELINES / name)]
    scored_by_case = train_events.scored_notes(timelines)
    causes: Counter[str] = Counter()
    hazards = 0
    for held in sorted({t.writer for t in timelines}, key=lambda w: (len(w), w)):
        model = train_events.event_model([t for t in timelines if t.writer != held],
                                         scored_by_case)
        scorer = Scorer(events=EventReader(load_event_rules(), model))
        for timeline in (t for t in timelines if t.writer == held):
            scored = list(scorer.score_notes((n.note_id, n.text) for n in timeline.notes))
            mine = {h.category: h for h in roll_up(case_notes_from(timeline, scored),
                                                    as_of=timeline.as_of)}
            for gold in timeline.hazards:
                hazards += 1
                found = mine.get(gold.category)
                wrong = []
                if found is None:
                    if gold.clock != "not applicable" or gold.open:
                        wrong.append("no episode")
                else:
                    if found.clock != gold.clock:
                        wrong.append("clock: " + clock_cause(gold, found, timeline))
                    if found.open != gold.open:
                        wrong.append("open/resolved: "
                                     + close_cause(gold, found, timeline, scored))
                causes.update(wrong)
                for cause in wrong if listing else ():
                    print(f"{timeline.case}\t{gold.category}\t{cause}")
    print(f"{hazards} gold hazards, each train/dev writer held out in turn; "
          "wrong clock states and open/resolved by first cause:")
    for cause, count in causes.most_common():
        if count:
            print(f"{count:5d}  {cause}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
