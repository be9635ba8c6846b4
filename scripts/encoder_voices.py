"""The accurate tier with each writing-voice family held out: encoder, cascade and fast model.

    # one fold per family (about 8 minutes each on 2 cores; reads the family's test notes):
    for family in advice_information asbestos ...; do
        python scripts/train_encoder.py --epochs 1 --hold-out-voice $family \\
            --out build/voices/$family
    done
    python scripts/encoder_voices.py --folds build/voices [--json OUT]

For each family with a fold: the fast model is trained without the family exactly as
``scripts/leave_one_voice_out.py`` does; the fold's encoder (fine-tuned without the family,
its epoch chosen on the other families' dev notes) gives P(risk) for every mention of the
family's notes (all splits: neither model saw any of them). Each reader's thresholds and
hazard calibration are fitted on the other families' dev notes; the cascade reads the band of
the bundled encoder's card. Prints hazard-level F1 per family and the mean over families.
One epoch per fold (the shipped encoder kept the best of three), so the encoder's figures
here are if anything low.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from casenotes.encoder import load_encoder
from casenotes.evaluation import read_labelled
from casenotes.model import load_model
from casenotes.nlp.pipeline import MentionFinder
from casenotes.scoring import Scorer
from casenotes.training import build_examples, train_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from release_encoder import figures_of, fit_reader, scored_notes

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def fold(family: str, folder: Path, splits: dict[str, list[Any]], finder: MentionFinder,
         c_value: float, band: tuple[float, float]) -> dict[str, Any]:
    train = [n for n in splits["train"] if n.voice_family != family]
    dev = [n for n in splits["dev"] if n.voice_family != family]
    held = json.loads((folder / "heldout_probabilities.json").read_text())
    by_id = {n.note_id: n for name in ("train", "dev", "test") for n in splits[name]}
    held_out = [by_id[i] for i in held["note_ids"]]
    fast_model = train_model(train, dev_notes=dev, finder=finder, C=c_value, seed=0)
    scorer = Scorer(fast_model)
    scorer.finder = finder
    row: dict[str, Any] = {"notes": len(held_out)}
    fast_dev = list(scorer.score_notes((n.note_id, n.text) for n in dev))
    fast_held = list(scorer.score_notes((n.note_id, n.text) for n in held_out))
    row["fast"] = figures_of(held_out, fast_held)["hazard_f1"]
    dev_examples = build_examples(dev, finder)
    enc_dev = np.asarray(json.loads((folder / "dev_probabilities.json").read_text())
                         ["probabilities"])
    enc_held = np.asarray(held["probabilities"])
    fast_dev_p = np.array([m.risk_probability for note in fast_dev for m in note.mentions])
    fast_held_p = np.array([m.risk_probability for note in fast_held for m in note.mentions])
    if len(enc_dev) != len(fast_dev_p) or len(enc_held) != len(fast_held_p):
        raise SystemExit(f"{family}: the fold's probabilities do not line up with the mentions "
                         "found today; rerun its train_encoder.py")
    low, high = band
    for name, dev_p, held_p in (
            ("encoder", enc_dev, enc_held),
            ("accurate", np.where((fast_dev_p >= low) & (fast_dev_p <= high), enc_dev,
                                  fast_dev_p),
             np.where((fast_held_p >= low) & (fast_held_p <= high), enc_held, fast_held_p))):
        reader = fit_reader(dev, dev_examples, dev_p, dev_examples.labels)
        row[name] = figures_of(held_out, scored_notes(fast_held, held_p, reader))["hazard_f1"]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=Path, default=Path("build/voices"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    splits = {name: read_labelled(SAMPLES / f"{name}.jsonl") for name in ("train", "dev", "test")}
    finder = MentionFinder()
    c_value = float(load_model().card.training.get("C", 0.3))
    band = load_encoder().card.band
    rows = {}
    for folder in sorted(p for p in args.folds.iterdir()
                         if (p / "heldout_probabilities.json").is_file()):
        rows[folder.name] = fold(folder.name, folder, splits, finder, c_value, band)
        print(f"{folder.name:22} {rows[folder.name]}", flush=True)
    if not rows:
        raise SystemExit(f"no folds in {args.folds}: run scripts/train_encoder.py "
                         "--hold-out-voice FAMILY first")
    mean = {name: round(float(np.mean([r[name] for r in rows.values()])), 4)
            for name in ("fast", "accurate", "encoder")}
    print(f"{'mean over families':22} {mean} ({len(rows)} families)")
    if args.json:
        args.json.write_text(json.dumps({"families": rows, "mean": mean}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
