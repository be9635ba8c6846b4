"""Precision-recall and calibration plots for an evaluation (matplotlib, an optional extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import CasenotesError
from .evaluation import LabelledNote, gold_label_of

if TYPE_CHECKING:
    from .types import ScoredNote


def write_plots(notes: Sequence[LabelledNote], scored: Sequence[ScoredNote],
                folder: Path) -> list[Path]:
    """Write ``pr_curve.png`` and ``calibration.png`` for the predicted mentions."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CasenotesError(
            "plots need matplotlib: pip install 'casenotes[plots]'"
        ) from None
    from sklearn.metrics import precision_recall_curve

    probabilities, outcomes = [], []
    for note, result in zip(notes, scored, strict=True):
        for s in result.mentions:
            probabilities.append(s.risk_probability)
            outcomes.append(gold_label_of(s.mention.start, s.mention.end, note) == "risk")
    p, y = np.asarray(probabilities), np.asarray(outcomes)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    precision, recall, _ = precision_recall_curve(y, p)
    figure, axes = plt.subplots(figsize=(5, 4))
    axes.plot(recall, precision)
    axes.set(xlabel="recall (risk mentions)", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02),
             title="Precision-recall, found mentions")
    figure.tight_layout()
    figure.savefig(folder / "pr_curve.png", dpi=120)
    plt.close(figure)
    written.append(folder / "pr_curve.png")
    edges = np.linspace(0, 1, 11)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, 9)
    means = [(p[index == b].mean(), y[index == b].mean()) for b in range(10) if (index == b).any()]
    figure, axes = plt.subplots(figsize=(5, 4))
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey")
    axes.plot([m[0] for m in means], [m[1] for m in means], marker="o")
    axes.set(xlabel="predicted P(risk)", ylabel="observed share risk", xlim=(0, 1), ylim=(0, 1),
             title="Calibration (10 bins)")
    figure.tight_layout()
    figure.savefig(folder / "calibration.png", dpi=120)
    plt.close(figure)
    written.append(folder / "calibration.png")
    return written
