"""Experiment (issue 10/10): would more labelled timelines lift the event model across writers?

Holds each train/dev writer out in turn, as ``scripts/train_events.py --cross-writers`` does,
and trains the event model on one, two or all three of the other writers (every combination),
pooling the held-out figures per training size. A curve still rising at three writers says
more writers are the lever; a flat one says the reading is. The test writer is not read.

    python scripts/experiments/events_learning_curve.py

Measured (session 6, the models of commit 774764e): trained on one writer, events P/R
0.663/0.713 (clock 80.9%, open/resolved 91.8%); two writers 0.682/0.727 (80.5%, 94.0%); three
0.681/0.737 (80.9%, 97.8%). Flat: writing more timelines of the same kind would not bring events
near 0.90. What costs most is the hazard an event is given to: the same held-out runs score
0.793/0.836 when the category is ignored (note and event only), and most wrong-category events
sit on a second hazard the risk reader found in the note ("no heating or hot water" read as a
water hazard, "render cracked" as structural) that opens an episode of its own. A feature
saying whether a candidate is the note's strongest hazard (and its gap to it) left the pooled
figures where they were (0.67/0.74); not kept.
"""

from __future__ import annotations

import sys
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from train_events import event_model, scored_notes  # noqa: E402

from casenotes.events import (  # noqa: E402
    EventReader,
    load_event_rules,
)
from casenotes.scoring import Scorer  # noqa: E402
from casenotes.triage.timelines import CaseEvaluation, evaluate_timelines, load_timelines  # noqa: E402


def main() -> int:
    data = ROOT / "data" / "samples" / "timelines"
    timelines = [t for name in ("train.jsonl", "dev.jsonl") for t in load_timelines(data / name)]
    scored = scored_notes(timelines)
    writers = sorted({t.writer for t in timelines})
    for size in range(1, len(writers)):
        pooled, runs = CaseEvaluation(), 0
        for held in writers:
            others = [w for w in writers if w != held]
            out = [t for t in timelines if t.writer == held]
            for chosen in combinations(others, size):
                rest = [t for t in timelines if t.writer in chosen]
                model = event_model(rest, scored)
                pooled.add(evaluate_timelines(out, Scorer(
                    events=EventReader(load_event_rules(), model))))
                runs += 1
        precision, recall, _ = pooled.event_figures()["all"]
        print(f"trained on {size} writer(s), {runs} runs pooled: events P/R "
              f"{precision:.3f}/{recall:.3f}, clock {pooled.share(pooled.clock_right):.1%}, "
              f"open/resolved {pooled.share(pooled.open_right):.1%}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
