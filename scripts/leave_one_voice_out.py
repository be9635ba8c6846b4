"""Hold each writing-voice family out in turn: how the model does on a way of writing it never saw.

    python scripts/leave_one_voice_out.py [--json OUT] [--splits train,dev,test]

For each voice family (``voice_family`` in the corpus, see scripts/voice_families.py): train
a model on the *train* notes of every other family (C as the bundled model's card says), choose
its thresholds and hazard calibration on their *dev* notes, and score every note of the
held-out family (all splits by default: the model saw none of them). Prints, per family and as
the mean over families, hazard-level P/R/F1/AUC (docs: ../shared/EVALUATION.md), mention-level
risk P/R, note AUC, and the keyword-only and rules-only baselines' hazard F1 on the same notes.

This reads the test split (the held-out family's test notes), so its figures are final
figures: run it for the model card, not while developing (``--splits train,dev`` does not
read test).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from casenotes.evaluation import baseline, read_labelled, risk_figures
from casenotes.model import load_model
from casenotes.nlp.pipeline import MentionFinder
from casenotes.scoring import Scorer
from casenotes.training import train_model

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
FIGURES = ("hazard_precision", "hazard_recall", "hazard_f1", "hazard_auc", "risk_precision",
           "risk_recall", "note_auc")


def voices_held_out(c_value: float, scored_splits: Sequence[str] = ("train", "dev", "test"),
                    ) -> dict[str, Any]:
    """Every voice family held out in turn: its figures, their mean, and what was scored."""
    splits = {name: read_labelled(SAMPLES / f"{name}.jsonl") for name in ("train", "dev", "test")}
    families = sorted({n.voice_family for notes in splits.values() for n in notes})
    if not families or families == [""]:
        raise SystemExit("the corpus has no voice_family; rebuild it with scripts/build_corpus.py")
    finder = MentionFinder()
    rows: dict[str, dict[str, float]] = {}
    for family in families:
        train = [n for n in splits["train"] if n.voice_family != family]
        dev = [n for n in splits["dev"] if n.voice_family != family]
        held_out = [n for name in scored_splits for n in splits[name] if n.voice_family == family]
        model = train_model(train, dev_notes=dev, finder=finder, C=c_value, seed=0)
        scorer = Scorer(model)
        scorer.finder = finder
        scored = list(scorer.score_notes((n.note_id, n.text) for n in held_out))
        figures = risk_figures(held_out, scored)
        row: dict[str, float] = {"notes": len(held_out), "hazards": figures.hazards}
        row.update({name: round(float(getattr(figures, name)), 3) for name in FIGURES})
        for system in ("keyword-only", "rules-only"):
            row[f"{system} hazard_f1"] = round(
                risk_figures(held_out, baseline(scored, system)).hazard_f1, 3)
        rows[family] = row
        print(f"{family:22} " + " ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    mean = {name: round(sum(r[name] for r in rows.values() if not math.isnan(r[name]))
                        / max(1, sum(not math.isnan(r[name]) for r in rows.values())), 3)
            for name in (*FIGURES, "keyword-only hazard_f1", "rules-only hazard_f1")}
    print(f"{'mean over families':22} " + " ".join(f"{k}={v}" for k, v in mean.items()))
    return {"splits": list(scored_splits), "C": c_value, "families": rows, "mean": mean}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--c", type=float, help="C (default: the bundled model's)")
    parser.add_argument("--splits", default="train,dev,test",
                        help="splits of the held-out family to score (default: all)")
    args = parser.parse_args()
    c_value = args.c if args.c is not None else float(load_model().card.training.get("C", 0.3))
    result = voices_held_out(c_value, [s.strip() for s in args.splits.split(",") if s.strip()])
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
