"""Experiment (issues 7/10 and 8/10): would more labelled notes lift the readers?

Trains the fast model on a seeded random share of the train notes (a quarter, a half, three
quarters, all; three seeds below all), chooses its thresholds and hazard calibration on dev as
the release does, and prints dev hazard F1 and AUC per share. The encoder's point at half the
train notes comes from ``scripts/train_encoder.py --train-share 0.5`` (its log prints dev
figures per epoch). The test split is not read.

    python scripts/experiments/learning_curve.py [--c 3.0]

Measured (session 6, lexicon of commit 774764e): fast model dev hazard F1 0.747 (a quarter of
train, AUC 0.791), 0.759 (half, 0.802), 0.773 (three quarters, 0.813), 0.774 (all, 0.814). The
encoder alone (3 epochs each): half of train 0.816 (AUC 0.859), all of train 0.833 (AUC 0.880;
the encoder fine-tuned on this lexicon in session 5). Doubling the notes gave the encoder 1.7
points and the fast model 1.5; at that rate the 0.92 of issue 8/10 is far beyond any corpus the
project could write by hand.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from casenotes.evaluation import read_labelled, risk_figures
from casenotes.nlp.pipeline import MentionFinder
from casenotes.scoring import Scorer
from casenotes.training import train_model

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
SHARES = (0.25, 0.5, 0.75, 1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--c", type=float, default=3.0, help="the bundled model's C")
    args = parser.parse_args()
    train = read_labelled(SAMPLES / "train.jsonl")
    dev = read_labelled(SAMPLES / "dev.jsonl")
    finder = MentionFinder()
    for share in SHARES:
        f1s, aucs = [], []
        for seed in range(3 if share < 1.0 else 1):
            picks = np.random.RandomState(seed).permutation(len(train))
            chosen = [train[i] for i in sorted(picks[:round(share * len(train))])]
            model = train_model(chosen, dev_notes=dev, finder=finder, C=args.c, seed=0)
            scorer = Scorer(model)
            scorer.finder = finder
            figures = risk_figures(dev, list(scorer.score_notes(
                (n.note_id, n.text) for n in dev)))
            f1s.append(figures.hazard_f1)
            aucs.append(figures.hazard_auc)
        print(f"{share:4.0%} of train ({round(share * len(train)):,} notes): dev hazard F1 "
              f"{np.mean(f1s):.3f} (seeds {', '.join(f'{f:.3f}' for f in f1s)}), "
              f"AUC {np.mean(aucs):.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
