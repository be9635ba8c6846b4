"""Exploratory: do a few more context features help the linear model? (dev split only)

    python scripts/experiments/extra_features.py

Trains on train with C=0.3 and the threshold chosen on dev, as the bundled model is, with the
standard features plus one extra family at a time:

* ``entry``: cue kinds earlier and later in the same timeline entry (or note), outside the
  mention's sentence: a hazard "found and fixed" across two sentences;
* ``conjunctions``: category x nearest cue kind and category x cue kind/position, so a
  negation can weigh differently for gas than for damp;
* ``vulnerable-category``: a vulnerability cue anywhere in the note, per hazard category.

Prints dev end-to-end risk F1, matched macro-F1 and note AUC. The test split is not read.
Measured on 2026-11-26: base 0.734 / 0.826 / 0.911; entry 0.733; conjunctions 0.731;
vulnerable-category 0.735; entry + conjunctions 0.733.
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Callable
from pathlib import Path

import casenotes.scoring
import casenotes.training
from casenotes.evaluation import read_labelled, risk_figures
from casenotes.features import Features, note_features
from casenotes.nlp.pipeline import MentionFinder
from casenotes.scoring import Scorer
from casenotes.training import train_model
from casenotes.types import NoteFindings

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def with_extras(families: set[str]) -> Callable[[str, NoteFindings], list[Features]]:
    def features(text: str, findings: NoteFindings) -> list[Features]:
        rows = note_features(text, findings)
        entries = list(findings.timeline)
        cue_starts = [cue.start for cue in findings.cues]
        for mention, row in zip(findings.mentions, rows, strict=True):
            if "entry" in families:
                entry = bisect.bisect_right(entries, mention.start) - 1
                low = entries[entry] if entry >= 0 else 0
                high = entries[entry + 1] if entry + 1 < len(entries) else len(text)
                for i in range(bisect.bisect_left(cue_starts, low),
                               bisect.bisect_left(cue_starts, high)):
                    cue = findings.cues[i]
                    if cue.start >= mention.sentence_end:
                        row[f"later_in_entry_cue={cue.kind}"] = 1.0
                    elif cue.start < mention.sentence_start:
                        row[f"earlier_in_entry_cue={cue.kind}"] = 1.0
            if "conjunctions" in families:
                nearest = mention.cues[0].kind if mention.cues else "none"
                row[f"{mention.category}&nearest={nearest}"] = 1.0
                for cue in mention.cues:
                    row[f"{mention.category}&cue={cue.kind}:{cue.position}"] = 1.0
            if "vulnerable-category" in families and findings.vulnerabilities:
                row[f"vuln_note&category={mention.category}"] = 1.0
        return rows
    return features


def main() -> int:
    finder = MentionFinder()
    train = read_labelled(SAMPLES / "train.jsonl")
    dev = read_labelled(SAMPLES / "dev.jsonl")
    variants = [set(), {"entry"}, {"conjunctions"}, {"vulnerable-category"},
                {"entry", "conjunctions"}]
    for families in variants:
        extract = with_extras(families)
        # The feature function is looked up in these modules at call time.
        casenotes.training.note_features = extract  # type: ignore[attr-defined]
        casenotes.scoring.note_features = extract  # type: ignore[attr-defined]
        model = train_model(train, dev_notes=dev, finder=finder, C=0.3)
        scorer = Scorer(model)
        scorer.finder = finder
        figures = risk_figures(dev, list(scorer.score_notes((n.note_id, n.text) for n in dev)))
        name = " + ".join(sorted(families)) or "base"
        print(f"{name:<28} risk F1 {figures.risk_f1:.3f}  macro-F1 "
              f"{figures.matched_macro_f1:.3f}  note AUC {figures.note_auc:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
