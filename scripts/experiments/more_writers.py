"""Exploratory: does the event model read a new voice better when it learns from more voices?

    python scripts/experiments/more_writers.py --extra W8,W9

Holds each original train/dev writer (W1, W2, W3, W5) out in turn, as ``train_events.py
--cross-writers`` does, and trains the event model twice: on the other three writers, and
on the other three plus the ``--extra`` writers (read from ``data/samples/timelines/
source/``). Both read the same held-out writer, so the pooled figures compare like with like.
The test writers are never read here.

Measured on 2026-12-04 with W8 (environmental health and private-sector housing) and W9
(temporary accommodation and homelessness), 12 timelines each, written blind to the system:
pooled over the four held-out writers, clock 86.5% -> 86.5%, open/resolved 97.8% -> 93.3%,
events 0.69 / 0.75 -> 0.71 / 0.74 (W1 90.5% -> 95.2%, W2 81.8% -> 77.3%, W3 and W5 unchanged
on the clock). Two more voices do not make the event model read a new one better, as the
learning curve over one to three writers had suggested (events_learning_curve.py). W8 and
W9 joined the test split instead, unread as evaluation data.

Measured on 2026-12-06 (session 26) with W26-W33, eight writers of 20 timelines each written
blind to the system (``--held`` the twenty train/dev writers, ``--extra
W26,W27,W28,W29,W30,W31,W32,W33``): pooled over the twenty, clock 92.8% -> 91.1%,
open/resolved 94.3% -> 94.3%, events 0.73 / 0.78 -> 0.72 / 0.78; at ``--c 0.5`` 92.6% ->
91.7%, 94.3% -> 95.0%, 0.72 / 0.78 -> 0.72 / 0.79; at ``--c 2`` 92.8% -> 91.1%, 94.1% ->
93.7%, 0.73 / 0.78 -> 0.73 / 0.77. Eight more voices do not help the event model read the
twenty; W26-W33 joined the test split.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import train_events  # noqa: E402
from build_timelines import SPLIT  # noqa: E402

from casenotes.events import (  # noqa: E402
    EventReader,
    load_event_rules,
)
from casenotes.scoring import Scorer  # noqa: E402
from casenotes.triage.timelines import (  # noqa: E402
    CaseEvaluation,
    evaluate_timelines,
    load_timelines,
)

TIMELINES = ROOT / "data" / "samples" / "timelines"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held", default="W1,W2,W3,W5",
                        help="the writers held out in turn (and trained on, bar the one held)")
    parser.add_argument("--extra", default="W8,W9", help="writers to add to training")
    parser.add_argument("--c", type=float, default=train_events.C, help="Inverse L2 strength.")
    args = parser.parse_args()
    held_writers, extra_writers = args.held.split(","), args.extra.split(",")
    # --extra may name test writers (the trials below that sent them to the test split): they
    # are only trained on, and no figure of theirs is printed. No test writer is held out.
    test = set(SPLIT["test"]) & set(held_writers)
    if test:
        parser.error(f"{', '.join(sorted(test))} are test writers; they are never held out here")

    def source(writers: list[str]) -> list:
        return [t for w in writers for t in load_timelines(TIMELINES / "source" / f"{w}.jsonl")]

    base, extra = source(held_writers), source(extra_writers)
    scored = train_events.scored_notes([*base, *extra])
    pooled = {"without": CaseEvaluation(), "with": CaseEvaluation()}
    for held in held_writers:
        rest = [t for t in base if t.writer != held]
        for name, training in (("without", rest), ("with", [*rest, *extra])):
            model = train_events.event_model(training, scored, c=args.c)
            result = evaluate_timelines([t for t in base if t.writer == held],
                                        Scorer(events=EventReader(load_event_rules(), model)))
            pooled[name].add(result)
            p, r, _ = result.event_figures()["all"]
            print(f"{held} held out, {name} {args.extra}: clock "
                  f"{result.share(result.clock_right):.1%} open "
                  f"{result.share(result.open_right):.1%} events {p:.2f}/{r:.2f}", flush=True)
    for name, total in pooled.items():
        p, r, _ = total.event_figures()["all"]
        print(f"pooled, {name} {args.extra}: clock {total.share(total.clock_right):.1%} "
              f"open/resolved {total.share(total.open_right):.1%} events P/R {p:.2f}/{r:.2f} "
              f"routine-only with a clock {total.routine_only_with_clock} of "
              f"{total.routine_only}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
