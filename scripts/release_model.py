"""Train, evaluate and write the bundled model and its card.

    python scripts/release_model.py [--rounds 1000]

1. Chooses C on the dev split (end-to-end risk F1 of a model trained on train).
2. Trains ``hazard-risk-v1`` on train with seed 0; its threshold is chosen on dev.
3. Evaluates the model and the keyword-only and rules-only baselines on dev and on the
   held-out test split (read here only), with 95% bootstrap intervals over notes, per-category
   figures and calibration.
4. Writes ``models/hazard-risk-v1/{model.json,card.json}`` and ``models/MODEL_CARD.md``.

Everything is deterministic: rerunning gives the same files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from casenotes.evaluation import (
    SYSTEMS,
    baseline,
    bootstrap_intervals,
    per_category_risk_f1,
    read_labelled,
    risk_figures,
)
from casenotes.model import BUNDLED_MODEL, RiskModel, save_model
from casenotes.pipeline import MentionFinder
from casenotes.scoring import Scorer
from casenotes.training import train_model

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
MODELS = ROOT / "models"
C_GRID = (0.1, 0.3, 1.0, 3.0)
SEED = 0


def evaluate(model: RiskModel, finder: MentionFinder, split: str, rounds: int) -> dict[str, object]:
    notes = read_labelled(SAMPLES / f"{split}.jsonl")
    scorer = Scorer(model)
    scorer.finder = finder
    scored = list(scorer.score_notes((n.note_id, n.text) for n in notes))
    return {
        "systems": {s: risk_figures(notes, baseline(scored, s)).to_dict() for s in SYSTEMS},
        "bootstrap_95": {s: bootstrap_intervals(notes, baseline(scored, s), rounds=rounds)
                         for s in SYSTEMS} if rounds else {},
        "per_category": per_category_risk_f1(notes, scored),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1000, help="bootstrap resamples")
    args = parser.parse_args()
    finder = MentionFinder()
    train = read_labelled(SAMPLES / "train.jsonl")
    dev = read_labelled(SAMPLES / "dev.jsonl")
    grid = {}
    for c in C_GRID:
        candidate = train_model(train, dev_notes=dev, finder=finder, C=c, seed=SEED)
        grid[c] = evaluate(candidate, finder, "dev", 0)["systems"]["model"]["risk_f1"]
        print(f"C={c}: dev end-to-end risk F1 {grid[c]:.3f}", file=sys.stderr)
    best_c = max(C_GRID, key=lambda c: (grid[c], -c))
    model = train_model(train, dev_notes=dev, finder=finder, C=best_c, seed=SEED,
                        model_id=BUNDLED_MODEL)
    metrics = {
        "C_grid_dev_risk_f1": {str(c): v for c, v in grid.items()},
        "dev": evaluate(model, finder, "dev", args.rounds),
        "test": evaluate(model, finder, "test", args.rounds),
        "how": "python scripts/release_model.py; test split read only here",
    }
    model.card = type(model.card)(**{**model.card.to_dict(), "metrics": metrics})
    card = save_model(model, MODELS / BUNDLED_MODEL)
    print(json.dumps(metrics["test"]["systems"], indent=1))
    print(f"wrote {MODELS / BUNDLED_MODEL} (sha256 {card.model_sha256[:12]})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
