"""Agreement between the gold labels and a second, independent annotator on the dev split.

    python scripts/annotator_agreement.py

The second annotator saw each dev note written before the hard-case batches (292 notes) with
its gold mention spans wrapped (no labels, no model output) and labelled every mention risk or
routine
(``data/samples/source/adjudication/dev_second_annotator.labels.jsonl``). The figures are a
ceiling for what a classifier can be expected to reach on these labels.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score

from casenotes.evaluation import read_labelled

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "data" / "samples" / "source" / "adjudication" / "dev_second_annotator.labels.jsonl"


def agreement() -> dict[str, float]:
    notes = {n.note_id: n for n in read_labelled(ROOT / "data" / "samples" / "dev.jsonl")}
    gold: list[str] = []
    second: list[str] = []
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        note = notes[row["note_id"]]
        if len(row["labels"]) != len(note.mentions):
            raise SystemExit(f"{row['note_id']}: label count differs from the gold mentions")
        gold += [m.label for m in note.mentions]
        second += row["labels"]
    return {
        "mentions": len(gold),
        "accuracy": round(float(accuracy_score(gold, second)), 4),
        "cohen_kappa": round(float(cohen_kappa_score(gold, second)), 4),
        "risk_f1": round(float(f1_score(gold, second, pos_label="risk")), 4),
        "macro_f1": round(float(f1_score(gold, second, average="macro")), 4),
    }


if __name__ == "__main__":
    print(json.dumps(agreement(), indent=1))
    sys.exit(0)
