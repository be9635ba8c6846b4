"""Train the event model on the labelled timelines and write models/hazard-events-v1.

    python scripts/train_events.py --cross-writers   # choose: each writer held out in turn
    python scripts/train_events.py --read-training   # the design's ceiling (not held out)
    python scripts/train_events.py                   # train on train + dev, write the model

The settings (event threshold, the hazard P(risk) at which a note that shows a hazard reports
it, C) are chosen by ``--cross-writers``: train on all train and dev writers but one, read
that one, pool the figures over every writer held out in turn; the defaults below are the
chosen ones. The model then learns from all of them. The test split (writers W4, W6-W9 and
W26-W33) is never read here: its figures come from ``casenotes evaluate-cases
data/samples/timelines/test.jsonl``. The fast risk reader scores every note first (the event
model reads its verdicts).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from casenotes.events import (  # noqa: E402
    EVENT_MODEL,
    VERDICT_REPORTS,
    EventModel,
    EventReader,
    event_examples,
    load_event_rules,
    save_event_model,
    train_event_model,
)
from casenotes.model import library_versions  # noqa: E402
from casenotes.scoring import Scorer  # noqa: E402
from casenotes.triage.timelines import (  # noqa: E402
    CaseEvaluation,
    Timeline,
    evaluate_timelines,
    format_evaluation,
    load_timelines,
)
from casenotes.types import EVENT_NAMES  # noqa: E402

#: Chosen with --cross-writers (see models/EVENTS_CARD.md): the best clock state and open/
#: resolved; at 0.6 a plain "strong smell of gas in the kitchen" (hazard P 0.70) opens the
#: clock, at the cost of one routine-only case (a trip hazard the risk model reads as live).
#: The event threshold moved from 0.3 to 0.25 in session 21, after the roll-up's one-source
#: closes: clock 85.4% -> 86.1%, open/resolved 92.8% -> 93.0%, events 0.72 / 0.75 -> 0.71 /
#: 0.76 (0.2: 85.9%, 92.4%, 0.70 / 0.77; 0.35: 84.8%, 92.6%).
THRESHOLD = 0.25
VERDICT_REPORTS_AT = 0.6
C = 1.0
#: Events with a threshold of their own (session 18, twenty writers held out in turn): works
#: done at 0.2 reads a closing note the model is unsure of ("mould treatment + regrout done")
#: as the close: clock 78.7% -> 79.6%, open/resolved 85.9% -> 87.0% (0.15 the same; made safe
#: at 0.4 or inspected at 0.4 beside it, no better).
EVENT_THRESHOLDS = {"works_done": 0.2}


def with_settings(model: EventModel, threshold: float, verdict_reports: float) -> EventModel:
    thresholds = {**dict.fromkeys(EVENT_NAMES, threshold), **EVENT_THRESHOLDS,
                  VERDICT_REPORTS: verdict_reports}
    return EventModel(model.weights, model.intercepts, thresholds, model.card)


def training_pairs(timelines: list[Timeline], scored: dict[str, list]) -> list:
    return [(gold.text, note, gold.events) for t in timelines
            for gold, note in zip(t.notes, scored[t.case], strict=True)]


def scored_notes(timelines: list[Timeline], scorer: Scorer | None = None) -> dict[str, list]:
    """Every timeline's notes read by the risk scorer (no events), by case."""
    scorer = scorer or Scorer(events=False)
    return {t.case: list(scorer.score_notes((n.note_id, n.text) for n in t.notes))
            for t in timelines}


def event_model(timelines: list[Timeline], scored: dict[str, list], *, c: float = C,
                threshold: float = THRESHOLD, verdict_reports: float = VERDICT_REPORTS_AT,
                ) -> EventModel:
    """The event model trained on these timelines, with the given settings."""
    return with_settings(train_event_model(*event_examples(training_pairs(timelines, scored)),
                                           c=c), threshold, verdict_reports)


def cross_writers(timelines: list[Timeline], scored: dict[str, list], threshold: float,
                  verdict_reports: float, c: float, only: list[str] | None = None) -> None:
    """Leave-one-writer-out: the figures a new writing voice would get (``only``: hold out only
    these writers, each trained on all the others)."""
    writers = sorted({t.writer for t in timelines}, key=lambda w: (len(w), w))
    unknown = sorted(set(only or ()) - set(writers))
    if unknown:
        raise SystemExit(f"--held names {', '.join(unknown)}, not train/dev writers "
                         f"({', '.join(writers)}); the test writers are never held out here")
    writers = [w for w in writers if not only or w in only]
    pooled = {"rules alone": CaseEvaluation(), "event model": CaseEvaluation()}
    for held in writers:
        rest = [t for t in timelines if t.writer != held]
        model = event_model(rest, scored, c=c, threshold=threshold,
                            verdict_reports=verdict_reports)
        out = [t for t in timelines if t.writer == held]
        for name, reader in (("rules alone", EventReader(load_event_rules(), None)),
                             ("event model", EventReader(load_event_rules(), model))):
            result = evaluate_timelines(out, Scorer(events=reader))
            print(f"{held} held out, {name}: clock {result.share(result.clock_right):.1%}, "
                  f"open {result.share(result.open_right):.1%}, events P/R "
                  "{:.2f}/{:.2f}".format(*result.event_figures()["all"][:2]))
            pooled[name].add(result)
    for name, total in pooled.items():
        print(f"\n== each writer held out in turn ({', '.join(writers)}), {name} "
              f"(threshold {threshold}, "
              + "".join(f"{e} {t}, " for e, t in EVENT_THRESHOLDS.items())
              + f"verdict reports at {verdict_reports}, C {c})")
        print(format_evaluation(total))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data/samples/timelines")
    parser.add_argument("--out", type=Path, default=ROOT / "models" / EVENT_MODEL)
    parser.add_argument("--c", type=float, default=C, help="Inverse L2 strength.")
    parser.add_argument("--threshold", type=float, default=THRESHOLD,
                        help="P(event) at which an event is recorded (those of "
                        "EVENT_THRESHOLDS keep their own).")
    parser.add_argument("--verdict-reports", type=float, default=VERDICT_REPORTS_AT,
                        help="Hazard P(risk) at which a note that shows a hazard reports it.")
    parser.add_argument("--cross-writers", action="store_true",
                        help="Hold each train/dev writer out in turn and print the pooled "
                        "figures of the rules alone and of the model; writes nothing.")
    parser.add_argument("--held", default="",
                        help="With --cross-writers: hold out only these writers "
                        "(comma-separated), each trained on all the others.")
    parser.add_argument("--read-training", action="store_true",
                        help="Train on every train/dev writer and read the same timelines: "
                        "the ceiling of the design, not an estimate of accuracy; writes "
                        "nothing.")
    args = parser.parse_args()
    files = [args.data / "train.jsonl", args.data / "dev.jsonl"]
    timelines = [t for path in files for t in load_timelines(path)]
    scorer = Scorer(events=False)
    scored = scored_notes(timelines, scorer)
    if args.cross_writers:
        cross_writers(timelines, scored, args.threshold, args.verdict_reports, args.c,
                      [w for w in args.held.split(",") if w] or None)
        return
    if args.read_training:
        model = event_model(timelines, scored, c=args.c, threshold=args.threshold,
                            verdict_reports=args.verdict_reports)
        print("== the training timelines read by a model trained on them (the design's "
              "ceiling, not held out)")
        print(format_evaluation(evaluate_timelines(
            timelines, Scorer(events=EventReader(load_event_rules(), model)))))
        return
    rules = load_event_rules()
    features, labels = event_examples(training_pairs(timelines, scored))
    card = {
        "name": EVENT_MODEL,
        "trained_on": [{"file": f"data/samples/timelines/{path.name}",
                        "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
                       for path in files],
        "writers": sorted({t.writer for t in timelines}), "candidates": len(features),
        "settings_chosen_by": "python scripts/train_events.py --cross-writers",
        "rules_sha256": rules.hash, "c": args.c, "risk_model": scorer.model_id,
        "versions": library_versions(),
    }
    model = with_settings(train_event_model(features, labels, c=args.c, card=card),
                          args.threshold, args.verdict_reports)
    written = save_event_model(model, args.out)
    print(f"{len(features)} training candidates from {len(timelines)} timelines; wrote "
          f"{args.out} (events {written['events_sha256'][:12]})")


if __name__ == "__main__":
    main()
