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

from .estimator import make_model
from .evaluation import LabelledNote, gold_label_of, overlaps
from .features import Features, note_features
from .model import ModelCard, RiskModel, library_versions
from .pipeline import MentionFinder
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
        threshold = best_threshold(model.predict_proba(dev.features), dev.labels)
        model.card = replace(card, threshold=threshold,
                             training={**card.training, "threshold_chosen_on": "dev"})
    return model
