"""Experiment (issue 7/10): does a hazard's probability gain from more than its strongest mention?

The bundled model gives a hazard the strongest mention's P(risk) through Platt scaling fitted on
dev hazards. Here the same logistic regression also sees the last mention's, the mean and the
first mention's log-odds and the log of the mention count (the outcome often comes later in
the note). Fitted on four fifths of the dev notes and applied to the fifth, in turn; the
test split is not read.

    python scripts/experiments/hazard_aggregation.py

Measured (with the models after the look-alikes of issue 7/10): hazard F1 0.765 (strongest
only), 0.768 (+ last), 0.765 (+ mean), 0.761 (+ count), 0.759 (all five); hazard AUC 0.799 to
0.804. Not worth a change.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from casenotes.evaluation import gold_hazards, read_labelled
from casenotes.model import logit
from casenotes.scoring import build_scorer

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ("strongest", "last", "mean", "log count", "first")


def main() -> int:
    dev = read_labelled(ROOT / "data" / "samples" / "dev.jsonl")
    scored = build_scorer().score_notes((n.note_id, n.text) for n in dev)
    rows, truth, note_of, named = [], [], [], []
    for index, (note, result) in enumerate(zip(dev, scored, strict=True)):
        gold = gold_hazards(note)
        by_category = defaultdict(list)
        for mention in result.mentions:
            by_category[mention.mention.category].append(mention)
        for category in sorted(set(gold) | set(by_category)):
            mentions = sorted(by_category.get(category, []), key=lambda m: m.mention.start)
            ps = [m.risk_probability for m in mentions]
            rows.append([*logit(np.array([max(ps), ps[-1], float(np.mean(ps))])),
                         float(np.log(len(ps))), float(logit(np.array(ps[0])))]
                        if ps else [0.0] * 5)
            named.append(bool(ps))
            truth.append(bool(gold.get(category)))
            note_of.append(index)
    x, y = np.asarray(rows), np.asarray(truth)
    found, folds = np.asarray(named), np.asarray(note_of) % 5
    for width in range(1, len(COLUMNS) + 1):
        p = np.zeros(len(y))
        for fold in range(5):
            fit, apply = (folds != fold) & found, (folds == fold) & found
            model = LogisticRegression(C=1e4, max_iter=1000).fit(x[fit, :width], y[fit])
            p[apply] = model.predict_proba(x[apply, :width])[:, 1]
        best = max(2 * tp / (2 * tp + fp + fn) for tp, fp, fn in (
            (int(((p >= t) & found & y).sum()), int(((p >= t) & found & ~y).sum()),
             int((~((p >= t) & found) & y).sum())) for t in np.arange(0.1, 0.9, 0.01)))
        print(f"{' + '.join(COLUMNS[:width]):40} hazard F1 {best:.4f}  "
              f"AUC {roc_auc_score(y, p):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
