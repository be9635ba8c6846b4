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
from typing import Any

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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from annotator_agreement import agreement

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
    parser.add_argument("--card-only", action="store_true",
                        help="only rewrite models/MODEL_CARD.md from the existing card.json")
    args = parser.parse_args()
    card_path = MODELS / BUNDLED_MODEL / "card.json"
    if args.card_only:
        (MODELS / "MODEL_CARD.md").write_text(render_card(json.loads(card_path.read_text())),
                                              encoding="utf-8")
        return 0
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
        "second_annotator_dev": agreement(),
    }
    model.card = type(model.card)(**{**model.card.to_dict(), "metrics": metrics})
    card = save_model(model, MODELS / BUNDLED_MODEL)
    (MODELS / "MODEL_CARD.md").write_text(render_card(card.to_dict()), encoding="utf-8")
    print(json.dumps(metrics["test"]["systems"], indent=1))
    print(f"wrote {MODELS / BUNDLED_MODEL} (sha256 {card.model_sha256[:12]})", file=sys.stderr)
    return 0


ROWS = (
    ("end-to-end risk F1", "risk_f1"), ("end-to-end risk precision", "risk_precision"),
    ("end-to-end risk recall", "risk_recall"),
    ("risk/routine macro-F1 (matched)", "matched_macro_f1"),
    ("note-level AUC", "note_auc"), ("mention detection precision", "detection_precision"),
    ("mention detection recall", "detection_recall"), ("Brier score", "brier"),
    ("expected calibration error", "ece"),
)


def _table(split: dict[str, Any]) -> str:
    systems = split["systems"]
    intervals = split.get("bootstrap_95", {})
    lines = ["| | keyword-only | rules-only | **model** |", "|---|---|---|---|"]
    for title, key in ROWS:
        cells = []
        for system in SYSTEMS:
            value = f"{systems[system][key]:.3f}"
            low_high = intervals.get(system, {}).get(key)
            if low_high:
                value += f" ({low_high[0]:.3f}–{low_high[1]:.3f})"
            cells.append(f"**{value}**" if system == "model" else value)
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    first = systems["model"]
    counts = f"{int(first['notes'])} / {int(first['mentions'])}"
    lines.append(f"| notes / found mentions | {counts} | | |")
    return "\n".join(lines)


def render_card(card: dict[str, Any]) -> str:
    """The human-readable model card, generated from card.json so the two always agree."""
    metrics = card["metrics"]
    test, dev = metrics["test"], metrics["dev"]
    training = card["training"]
    human = metrics.get("second_annotator_dev", {})
    per_category = "\n".join(
        f"| {name} | {row['gold_risk']} | {row['precision']:.3f} | {row['recall']:.3f} | "
        f"{row['f1']:.3f} |" for name, row in test["per_category"].items())
    versions = ", ".join(f"{k} {v}" for k, v in sorted(card["versions"].items()))
    grid = ", ".join(f"C={c}: {v:.3f}" for c, v in metrics["C_grid_dev_risk_f1"].items())
    return f"""# Model card: {card['model_id']}

Generated by `python scripts/release_model.py` from `models/{card['model_id']}/card.json`;
do not edit by hand. Every figure below is reproduced by `casenotes evaluate
data/samples/test.jsonl` (and `tests/test_bundled_model.py` checks that it is).

## What it does

For each hazard mention that casenotes' lexicon finds in a housing case note, it estimates the
probability that the mention is a **genuine, current or plausibly current risk** to someone's
health or safety (label `risk`) rather than a **routine** mention (inspection, servicing, an
alarm fitted, a negated finding, advice, resolved history, administration, another household).
Mentions at or above the threshold **{card['threshold']:.2f}** are labelled risk; the notes table
ranks notes by their highest probability.

## Intended use, and misuse

* **Use:** triage. It ranks case notes so that a person reads the ones most likely to describe
  a live hazard first, with the reasons (named features) shown beside each mention.
* **Human review is required.** It is not a safeguarding decision, not a legal determination
  under the HHSRS or Awaab's Law, and not evidence that a hazard exists or does not. A note it
  scores low may still describe a danger: it misses about one risk mention in four (recall
  below).
* **Do not** use it to close cases, to decide that no visit is needed, to score people, or on
  text other than housing case notes without measuring it there first.

## Training data

Synthetic case notes written for the project (no real people or addresses), in
`data/samples/`: {training['train_notes']} training notes ({training['train_mentions']}
found mentions, {training['train_risk_share']:.0%} risk). How they were written, labelled and
adjudicated is in `docs/labelling.md`. Splits are fixed by a hash of the note id; C was chosen
on dev ({grid}), the threshold was chosen on dev to maximise risk F1, and the test split was
read only to produce the figures below. No augmentation was used.

## How well it works

End-to-end figures count every mention the lexicon finds: a predicted risk mention is correct
when it overlaps a gold risk mention; a gold risk mention is found when a predicted risk mention
overlaps it. 95% intervals come from {1000} bootstrap resamples of notes.

### Test split (held out)

{_table(test)}

### Dev split (used to choose C and the threshold)

{_table(dev)}

### Per category (test, end-to-end risk)

| category | gold risk mentions | precision | recall | F1 |
|---|---|---|---|---|
{per_category}

### Calibration

Probabilities are Platt-scaled on out-of-fold scores. On test the Brier score is
{test['systems']['model']['brier']:.3f} and the expected calibration error (10 bins)
{test['systems']['model']['ece']:.3f}; `casenotes evaluate --plots DIR` draws the reliability
curve and the precision-recall curve.

### How far from a person

A second annotator labelled the mentions of the first 292 dev notes (all dev notes written before
the hard-case batches) independently, spans shown and labels hidden:
agreement with the gold labels is accuracy {human.get('accuracy', float('nan')):.3f}, Cohen's
kappa {human.get('cohen_kappa', float('nan')):.3f}, risk F1 {human.get('risk_f1', float('nan')):.3f}
({human.get('mentions', 0)} mentions; `python scripts/annotator_agreement.py`). The model's
risk/routine macro-F1 on the same kind of matched mentions is
{dev['systems']['model']['matched_macro_f1']:.3f} against the annotator's
{human.get('macro_f1', float('nan')):.3f}: **the model is well short of a careful reader.** The
project's targets (end-to-end risk F1 >= 0.90, note AUC >= 0.95) are **not met** by this model.

## Known failure modes

* A hazard found and fixed in the same visit ("yellow flames... cleaned, now burning blue")
  often stays risk: the resolution sits in a later sentence.
* Urgent action words around an administrative phrase ("need asbestos contractor to make safe,
  urgent") are read as administration.
* Hazards described inside complaint letters and Ombudsman summaries are often read as history
  even when the text says they continue.
* A required alarm recorded as missing ("no CO alarm") is read as a negation.
* Short notes are under-confident: "smell of gas reported" on its own scores about 0.5, just
  over the threshold, where a person would be sure; most gas mentions in training are routine
  (servicing, advice).
* Long web-page or policy text mentions many hazards in the second person; most are routine,
  but a few are scored risk.

## Algorithmic Transparency Recording Standard (fields that apply)

* **Name and description:** casenotes hazard-risk model; ranks housing case notes by the
  likelihood that they describe a current hazard to a resident.
* **Purpose:** help analysts find case notes needing attention among many routine ones.
* **How the tool works:** rules find hazard terms and context cues; a logistic-regression
  model over named features estimates P(risk); a person reviews the ranked list.
* **Decision-making process:** advisory only; every action is taken by a person.
* **Human oversight:** analysts review flagged notes and can correct labels (`casenotes train`
  retrains with their labels from issue 4/6 on).
* **Data:** synthetic notes written for the project; at use, the organisation's own case
  notes, processed locally; nothing is sent elsewhere.
* **Risks and mitigations:** missed hazards (low recall on some categories, see above):
  never used to close cases; personal data: no note text is logged.
* **Technical specification:** model format {card['model_format']},
  features v{card['features_version']}, threshold {card['threshold']:.2f},
  lexicon SHA-256 `{card['lexicon_sha256']}`,
  model.json SHA-256 `{card['model_sha256']}`, seed {training['seed']}, C {training['C']};
  trained with {versions}.
"""


if __name__ == "__main__":
    sys.exit(main())
