"""Exploratory: do other model families or more data close the linear model's accuracy gap?

Dev split only (the test split is not read). Trains on the train split and prints dev
end-to-end risk F1, matched macro-F1 and note AUC, the threshold chosen on dev each time:

* the bundled recipe (DictVectorizer + Platt-scaled logistic regression, C=0.3);
* the same on 25 / 50 / 75% of the training notes (the learning curve);
* a two-stage stack: the first stage's out-of-fold P(risk) of the other mentions in the same
  note, sentence and category added as features (collective labels: "electrician booked" is
  risk when the note is about a live hazard);
* gradient-boosted trees over the same named features (those seen in >= 8 training mentions).

Run ``python scripts/experiments/model_families.py`` (about 3 minutes on 2 cores). Measured on
2026-11-26: base 0.734 / 0.826 / 0.911; 25% 0.696, 50% 0.716, 75% 0.731; stack 0.736 / 0.827 /
0.910; boosted trees 0.741 / 0.825 / 0.914. Every family stops near 0.74: the named features,
not the learner, are the limit (see ``finetune_minilm.py`` for a pretrained encoder: 0.787).
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction import DictVectorizer
from sklearn.model_selection import GroupKFold

from casenotes.estimator import make_model
from casenotes.evaluation import read_labelled, risk_figures
from casenotes.features import Features
from casenotes.nlp.pipeline import MentionFinder
from casenotes.training import Examples, best_threshold, build_examples
from casenotes.types import ScoredMention, ScoredNote

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
C = 0.3


def fit_linear(features: Sequence[Features], labels: Sequence[str], groups: Sequence[str],
               ) -> object:
    model = make_model(C=C)
    model.fit(list(features), list(labels), classify__groups=list(groups))
    return model


def risk_column(model: object, features: Sequence[Features]) -> np.ndarray:
    classes = list(model.classes_)  # type: ignore[attr-defined]
    return model.predict_proba(list(features))[:, classes.index("risk")]  # type: ignore[attr-defined,no-any-return]


def with_neighbours(rows: Examples, probabilities: np.ndarray) -> list[Features]:
    """Each row's features plus the strongest P(risk) among its note / sentence / category."""
    by_note: dict[str, list[int]] = defaultdict(list)
    for index, group in enumerate(rows.groups):
        by_note[group].append(index)
    stacked = []
    for index, mention in enumerate(rows.mentions):
        features = dict(rows.features[index])
        others = [j for j in by_note[rows.groups[index]] if j != index]
        scopes = {
            "note": others,
            "sentence": [j for j in others
                         if rows.mentions[j].sentence_start == mention.sentence_start],
            "category": [j for j in others if rows.mentions[j].category == mention.category],
        }
        for scope, members in scopes.items():
            if members:
                strongest = max(float(probabilities[j]) for j in members)
                features[f"stack_{scope}_max={min(int(strongest * 5), 4)}"] = 1.0
                features[f"stack_{scope}_max"] = strongest
            else:
                features[f"stack_{scope}_none"] = 1.0
        features["stack_self"] = float(probabilities[index])
        stacked.append(features)
    return stacked


def main() -> int:
    finder = MentionFinder()
    train_notes = read_labelled(SAMPLES / "train.jsonl")
    dev_notes = read_labelled(SAMPLES / "dev.jsonl")
    train, dev = build_examples(train_notes, finder), build_examples(dev_notes, finder)
    dev_findings = list(finder.analyse_many((n.note_id, n.text) for n in dev_notes))

    def report(name: str, probabilities: np.ndarray) -> None:
        threshold = best_threshold(probabilities, dev.labels)
        values = iter(probabilities)
        scored = []
        for found in dev_findings:
            items = []
            for mention in found.mentions:
                p = float(next(values))
                items.append(ScoredMention(mention, p, "risk" if p >= threshold else "routine",
                                           (), name))
            scored.append(ScoredNote(found.note_id, found, tuple(items)))
        figures = risk_figures(dev_notes, scored)
        print(f"{name:<28} risk F1 {figures.risk_f1:.3f}  macro-F1 "
              f"{figures.matched_macro_f1:.3f}  note AUC {figures.note_auc:.3f}", flush=True)

    base = fit_linear(train.features, train.labels, train.groups)
    base_dev = risk_column(base, dev.features)
    report("linear (bundled recipe)", base_dev)

    note_ids = sorted(set(train.groups))
    for share in (0.25, 0.5, 0.75):
        kept = set(random.Random(0).sample(note_ids, int(len(note_ids) * share)))
        rows = [i for i, group in enumerate(train.groups) if group in kept]
        model = fit_linear([train.features[i] for i in rows], [train.labels[i] for i in rows],
                           [train.groups[i] for i in rows])
        report(f"linear, {share:.0%} of train", risk_column(model, dev.features))

    out_of_fold = np.zeros(len(train.labels))
    for fit_rows, held_rows in GroupKFold(5).split(train.features, train.labels, train.groups):
        model = fit_linear([train.features[i] for i in fit_rows],
                           [train.labels[i] for i in fit_rows],
                           [train.groups[i] for i in fit_rows])
        out_of_fold[held_rows] = risk_column(model, [train.features[i] for i in held_rows])
    stacked = fit_linear(with_neighbours(train, out_of_fold), train.labels, train.groups)
    report("two-stage stack", risk_column(stacked, with_neighbours(dev, base_dev)))

    vectorizer = DictVectorizer()
    x_train = vectorizer.fit_transform(train.features)
    common = np.asarray((x_train > 0).sum(axis=0)).ravel() >= 8
    trees = HistGradientBoostingClassifier(learning_rate=0.05, max_iter=600, max_leaf_nodes=15,
                                           l2_regularization=1.0, early_stopping=False,
                                           random_state=0)
    trees.fit(x_train[:, common].toarray(), np.asarray(train.labels) == "risk")
    x_dev = vectorizer.transform(dev.features)[:, common].toarray()
    report("gradient-boosted trees", trees.predict_proba(x_dev)[:, 1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
