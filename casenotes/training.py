"""Turn labelled notes into training examples and train a calibrated risk model.

Each mention the pipeline finds takes the label of the gold mention it overlaps most; a found
mention that overlaps no gold mention (a hazard word the writer left unmarked, such as
"electrician") is labelled routine, because that is what scoring must say about it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .estimator import converged_logistic, make_model
from .evaluation import LabelledNote, gold_hazards, gold_label_of, overlaps
from .features import Features, note_features
from .model import ModelCard, RiskModel, calibrate_hazards, library_versions, logit
from .nlp.finder import MentionFinder
from .types import Label, Mention


@dataclass(frozen=True)
class Examples:
    """Aligned training rows: features, labels and the note each row came from."""

    features: list[Features]
    labels: list[Label]
    groups: list[str]
    mentions: list[Mention]


def build_examples(notes: Sequence[LabelledNote], finder: MentionFinder, *,
                   partial: Collection[str] = ()) -> Examples:
    """Find mentions in labelled notes and pair their features with gold labels.

    In the notes named in ``partial`` only some mentions were labelled (analyst labels on
    notes outside the corpus): only found mentions overlapping a gold one become examples.
    """
    examples = Examples([], [], [], [])
    findings = finder.analyse_many((note.note_id, note.text) for note in notes)
    for note, found in zip(notes, findings, strict=True):
        for mention, features in zip(found.mentions, note_features(note.text, found),
                                     strict=True):
            if note.note_id in partial and not any(
                    overlaps(g.start, g.end, mention.start, mention.end) for g in note.mentions):
                continue
            examples.features.append(features)
            examples.labels.append(gold_label_of(mention.start, mention.end, note))
            examples.groups.append(note.note_id)
            examples.mentions.append(mention)
    return examples


def best_threshold(probabilities: Sequence[float] | np.ndarray, labels: Sequence[Label]) -> float:
    """The P(risk) cut that maximises risk F1 on these rows (ties: the lower cut)."""
    scores = np.asarray(probabilities, dtype=float)
    truth = np.asarray([label == "risk" for label in labels])
    best_f1, best_cut = -1.0, 0.5
    for cut in np.round(np.arange(0.05, 0.96, 0.01), 2):
        predicted = scores >= cut
        tp = float(np.sum(predicted & truth))
        fp = float(np.sum(predicted & ~truth))
        fn = float(np.sum(~predicted & truth))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best_f1 + 1e-12:
            best_f1, best_cut = f1, float(cut)
    return best_cut


def data_fingerprint(notes: Sequence[LabelledNote]) -> str:
    """SHA-256 over note ids, texts and labels: which data a model was trained on."""
    digest = hashlib.sha256()
    for note in notes:
        digest.update(json.dumps([note.note_id, note.text,
                                  [(m.start, m.end, m.label) for m in note.mentions]]).encode())
    return digest.hexdigest()


def train_model(train_notes: Sequence[LabelledNote], *,
                dev_notes: Sequence[LabelledNote] = (), finder: MentionFinder | None = None,
                C: float = 0.3, seed: int = 0, model_id: str = "hazard-risk-local",
                partial: Collection[str] = (), extra: Mapping[str, Any] | None = None,
                ) -> RiskModel:
    """Train a risk model; pick its threshold on ``dev_notes`` (0.5 when none are given).

    Deterministic for the same notes, ``C`` and ``seed``.
    """
    finder = finder or MentionFinder()
    train = build_examples(train_notes, finder, partial=partial)
    if len(set(train.labels)) < 2:
        raise ValueError("training data needs both risk and routine mentions")
    pipeline = make_model(C=C, random_state=seed)
    pipeline.fit(train.features, train.labels, classify__groups=train.groups)
    card = ModelCard(
        model_id=model_id, threshold=0.5, lexicon_sha256=finder.lexicon.hash,
        versions=library_versions(),
        training={
            "seed": seed, "C": C, "train_notes": len(train_notes),
            "train_mentions": len(train.labels),
            "train_risk_share": round(train.labels.count("risk") / len(train.labels), 4),
            "train_sha256": data_fingerprint(train_notes),
            "dev_notes": len(dev_notes), "dev_sha256": data_fingerprint(dev_notes),
            "threshold_chosen_on": "default 0.5 (no dev notes given)",
            **(extra or {}),
        },
    )
    model = RiskModel(pipeline, card)
    if dev_notes:
        dev = build_examples(dev_notes, finder)
        dev_probabilities = model.predict_proba(dev.features)
        threshold = best_threshold(dev_probabilities, dev.labels)
        slope, offset, hazard_cut = fit_hazard_calibration(dev_notes, dev, dev_probabilities)
        model.card = replace(card, threshold=threshold, hazard_calibration=(slope, offset),
                             hazard_threshold=hazard_cut,
                             training={**card.training, "threshold_chosen_on": "dev",
                                       "hazard_calibration_fitted_on": "dev"})
    return model


def hazard_pairs(notes: Sequence[LabelledNote], examples: Examples,
                 probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(risk) of each hazard's strongest found mention (0 when none is found) and its gold
    verdict, over every (note, category) pair that the gold or the finder names."""
    strongest: dict[tuple[str, str], float] = {}
    for mention, probability in zip(examples.mentions, probabilities, strict=True):
        key = (mention.note_id, mention.category)
        strongest[key] = max(strongest.get(key, 0.0), float(probability))
    gold = {(note.note_id, category): risky for note in notes
            for category, risky in gold_hazards(note).items()}
    keys = sorted(set(strongest) | set(gold))
    return (np.asarray([strongest.get(k, 0.0) for k in keys]),
            np.asarray([gold.get(k, False) for k in keys]))


def fit_hazard_calibration(notes: Sequence[LabelledNote], examples: Examples,
                           probabilities: np.ndarray) -> tuple[float, float, float]:
    """Platt scaling from a hazard's strongest mention to P(hazard risk), and the verdict
    threshold that maximises hazard F1, both on these (dev) notes."""
    strongest, truth = hazard_pairs(notes, examples, probabilities)
    found = strongest > 0
    if len(set(truth[found].tolist())) < 2:
        return 1.0, 0.0, 0.5
    platt = converged_logistic(1e4).fit(logit(strongest[found]).reshape(-1, 1), truth[found])
    slope, offset = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    calibrated = np.where(found, calibrate_hazards(strongest, slope, offset), 0.0)
    labels: list[Label] = ["risk" if t else "routine" for t in truth]
    return slope, offset, best_threshold(calibrated, labels)
