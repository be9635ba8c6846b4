"""Measure casenotes' context cues on the NegEx / ConText test set (Chapman et al.).

    python scripts/evaluate_negex.py [PATH]

PATH defaults to ``../shared/data/negex/rsAnnotations-1-120-random.txt`` beside the project
root; the data is not copied into this repository (see its README for the licence). Each
row gives a clinical condition, its sentence and reference values; the condition is found in
the sentence and passed to the same cue rules that casenotes applies to hazard mentions.
"negated" is predicted when any negation cue reaches the condition. The cue lists were
written for housing notes and were not tuned on this set.

Published reference (GenConText, negation): precision 0.984, recall 0.978, F 0.981.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

from casenotes import MentionFinder

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "negex" / (
    "rsAnnotations-1-120-random.txt"
)
#: casenotes cue kind -> (column, value meaning "yes") in the NegEx file
TARGETS = {
    "negated": ("negation_status (negated, affirmed, possible)", "Negated"),
    "historical": ("temporality (historical, recent, hypothetical)", "Historical"),
    "hypothetical": ("temporality (historical, recent, hypothetical)", "Not particular"),
    "other_person": ("experiencer (patient, other)", "!Patient"),
}


def find_condition(sentence: str, condition: str) -> tuple[int, int] | None:
    """Locate the condition in its sentence, whatever its case and inner spacing."""
    words = condition.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    found = re.search(pattern, sentence, re.IGNORECASE)
    return (found.start(), found.end()) if found else None


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--errors", type=int, default=0, help="print up to N negation errors")
    args = parser.parse_args(argv)
    if not args.path.is_file():
        print(f"error: {args.path} not found; pass the path to rsAnnotations-1-120-random.txt",
              file=sys.stderr)
        return 2
    with args.path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    finder = MentionFinder(lemmatize=False)
    counts = {kind: [0, 0, 0, 0] for kind in TARGETS}  # tp fp fn tn
    unfound = 0
    errors = []
    for row in rows:
        sentence, condition = row["sentence"], row["Condition"]
        span = find_condition(sentence, condition)
        if span is None:
            unfound += 1
            continue
        (cues,) = finder.cues_for(sentence, [span])
        kinds = {cue.kind for cue in cues}
        for kind, (column, value) in TARGETS.items():
            gold = row[column] != value[1:] if value.startswith("!") else row[column] == value
            predicted = kind in kinds
            cell = (0 if predicted else 2) if gold else (1 if predicted else 3)
            counts[kind][cell] += 1
            if kind == "negated" and predicted != gold and len(errors) < args.errors:
                errors.append(("FN" if gold else "FP", row["line number"], condition, sentence))
    print(f"NegEx test set: {len(rows)} rows, {unfound} conditions not located in their sentence")
    print(f"{'context':<14}{'gold':>6}{'TP':>6}{'FP':>6}{'FN':>6}{'precision':>11}{'recall':>8}{'F1':>7}")
    for kind, (tp, fp, fn, _tn) in counts.items():
        p, r, f = prf(tp, fp, fn)
        print(f"{kind:<14}{tp + fn:>6}{tp:>6}{fp:>6}{fn:>6}{p:>11.3f}{r:>8.3f}{f:>7.3f}")
    for kind_of_error, number, condition, sentence in errors:
        print(f"{kind_of_error} #{number} [{condition}] {sentence}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
