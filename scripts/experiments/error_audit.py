"""Are the event reader's held-out errors its own, or the gold's? (session 25)

    python scripts/experiments/error_audit.py [AUDIT.jsonl]

(default: ``data/samples/timelines/audit/held_out_errors_s25.jsonl``)

At 36c7d3c, the twenty train/dev writers held out in turn, the roll-up's events differed from
the gold in 860 false events (FP) and 643 misses (FN), beside 2,223 right (TP). A sample of
them (100 FP, 100 FN and 40 TP, seed 2025, shuffled, the kind hidden) was put to a second
annotator, blind, as yes/no questions ("does note N record event E for hazard C?") with the
whole timeline and the labelling guide's event section; the file holds each question and its
answer. The annotator was a language model, so this bounds how often the gold and a careful
reading of the guide part ways, not how often people do. The test writers are not in it.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from casenotes.triage.timelines import load_timelines  # noqa: E402

#: The held-out comparison the sample was drawn from (36c7d3c, session 24's HEAD).
COUNTS = {"TP": 2223, "FP": 860, "FN": 643}


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else \
        ROOT / "data/samples/timelines/audit/held_out_errors_s25.jsonl"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    data = ROOT / "data/samples/timelines"
    gold = {(n.note_id, c, e) for name in ("train.jsonl", "dev.jsonl")
            for t in load_timelines(data / name) for n in t.notes for c, e in n.events}
    for item in items:  # the sample's kind must still hold against the gold
        in_gold = (item["note_id"], item["category"], item["event"]) in gold
        if in_gold != (item["sample"] in ("TP", "FN")):
            raise SystemExit(f"{item['qid']}: the gold changed since the sample was drawn")
    agree: Counter[str] = Counter()
    total: Counter[str] = Counter()
    by_event: Counter[tuple[str, str, bool]] = Counter()
    for item in items:
        says_gold = (item["answer"] == "yes") == (item["sample"] in ("TP", "FN"))
        total[item["sample"]] += 1
        agree[item["sample"]] += says_gold
        by_event[(item["sample"], item["event"], says_gold)] += 1
    print("the second annotator sides with the gold on:")
    for kind, meaning in (("TP", "events both read"), ("FP", "the reader's false events"),
                          ("FN", "the reader's misses")):
        print(f"  {kind} ({meaning}): {agree[kind]} of {total[kind]} "
              f"({agree[kind] / total[kind]:.0%})")
    fp_real = COUNTS["FP"] * agree["FP"] / total["FP"]
    fn_real = COUNTS["FN"] * agree["FN"] / total["FN"]
    tp = COUNTS["TP"] + (COUNTS["FP"] - fp_real)
    precision = COUNTS["TP"] / (COUNTS["TP"] + COUNTS["FP"])
    recall = COUNTS["TP"] / (COUNTS["TP"] + COUNTS["FN"])
    print(f"held-out events at 36c7d3c: precision {precision:.3f}, recall {recall:.3f}; "
          f"with the gold "
          f"corrected where the annotator disagrees (scaled from the sample): precision "
          f"{tp / (tp + fp_real):.3f}, recall {tp / (tp + fn_real):.3f}")
    print("\nby event (sample: sides with the gold / not):")
    for event in sorted({e for _, e, _ in by_event}):
        cells = [f"{k} {by_event[(k, event, True)]}/{by_event[(k, event, False)]}"
                 for k in ("FP", "FN", "TP") if by_event[(k, event, True)]
                 + by_event[(k, event, False)]]
        print(f"  {event:<11} " + ", ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
