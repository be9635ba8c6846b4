"""How well the classifier carries over to a writer it has never seen (train and dev only).

    python scripts/writer_holdout.py

The hidden evaluation uses notes written by other people. Each writing batch (one voice
group, one writer: see docs/labelling.md) is held out in turn: a model is trained on the train
and dev notes of every other batch (C and threshold as for the bundled model) and scored on the
train and dev notes of the held-out batch. The test split is not read. Prints end-to-end risk
F1 and note AUC per held-out batch, and their means.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from casenotes.evaluation import read_labelled, risk_figures
from casenotes.model import load_model
from casenotes.nlp.pipeline import MentionFinder
from casenotes.scoring import Scorer
from casenotes.training import train_model

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def main() -> int:
    bundled = load_model().card
    notes = read_labelled(SAMPLES / "train.jsonl") + read_labelled(SAMPLES / "dev.jsonl")
    batches = defaultdict(list)
    for note in notes:
        batches[note.note_id.split("-")[0]].append(note)
    finder = MentionFinder()
    rows = {}
    for batch, held_out in sorted(batches.items()):
        rest = [n for b, group in batches.items() if b != batch for n in group]
        model = train_model(rest, finder=finder, C=bundled.training["C"], seed=0)
        scorer = Scorer(model, threshold=bundled.threshold)
        scorer.finder = finder
        scored = list(scorer.score_notes((n.note_id, n.text) for n in held_out))
        figures = risk_figures(held_out, scored)
        rows[batch] = {"notes": len(held_out), "risk_f1": round(figures.risk_f1, 3),
                       "note_auc": round(figures.note_auc, 3)}
        print(f"{batch}: {rows[batch]}", flush=True)
    print(json.dumps({
        "mean_risk_f1": round(float(np.mean([r["risk_f1"] for r in rows.values()])), 3),
        "mean_note_auc": round(float(np.mean([r["note_auc"] for r in rows.values()])), 3),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
