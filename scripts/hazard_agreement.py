"""How far a careful person gets at the hazard level, beside the bundled readers (dev split).

    python scripts/hazard_agreement.py [--models fast,accurate,encoder]

A second annotator read every dev note (665) with docs/labelling.md's rules and, for each
hazard category the gold names in the note, said whether the note leaves a live hazard of
that kind (risk) or not (routine); they could add a category the gold missed, as risk. They
saw the note's text and the list of gold categories, never the gold verdicts, the mentions or
any model output (``data/samples/source/adjudication/dev_second_annotator.hazards.jsonl``).

Three figures, each the hazard-level precision, recall and F1 of EVALUATION.md:

* **agreement**: the second annotator against the gold, over the categories either names. How
  consistent the labels are, so how high any reader can be expected to score on them.
* **a person on casenotes' mentions**: the second annotator's verdicts on the categories
  casenotes' mention finder finds in each note (a category it does not find is not flagged).
  The ceiling of a reader that decides like a person with the mentions casenotes finds today.
* **the readers**: the bundled models on the same notes, as ``casenotes evaluate`` scores them,
  and, beside each, the most that cleaning the gold could give it: its F1 if every pair where
  the second annotator disagrees with the gold and agrees with the reader were settled the
  reader's way.

Each with a 95% interval from a bootstrap over notes. The test split is not read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from casenotes.evaluation import (
    LabelledNote,
    gold_hazards,
    hazard_figures,
    hazard_verdicts,
    read_labelled,
)

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "data" / "samples" / "dev.jsonl"
LABELS = (ROOT / "data" / "samples" / "source" / "adjudication"
          / "dev_second_annotator.hazards.jsonl")

Verdicts = dict[str, bool]  # category -> risk, for one note


def second_annotator(path: Path = LABELS) -> dict[str, Verdicts]:
    """The second annotator's risk verdict per note and category (added categories are risk)."""
    out: dict[str, Verdicts] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        verdicts = {category: label == "risk" for category, label in row["verdicts"].items()}
        verdicts.update(dict.fromkeys(row["added"], True))
        out[row["note_id"]] = verdicts
    return out


def counts(gold: Sequence[Verdicts], system: Sequence[Verdicts]) -> np.ndarray:
    """Per note: (true positives, false positives, false negatives) over the pairs either
    names, as one row each, so a bootstrap can resample notes."""
    rows = []
    for truth, flagged in zip(gold, system, strict=True):
        tp = fp = fn = 0
        for category in set(truth) | set(flagged):
            is_risk, said = truth.get(category, False), flagged.get(category, False)
            tp += is_risk and said
            fp += said and not is_risk
            fn += is_risk and not said
        rows.append((tp, fp, fn))
    return np.array(rows, dtype=float)


def prf(totals: np.ndarray) -> tuple[float, float, float]:
    tp, fp, fn = totals
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall)
                               if precision + recall else 0.0)


def interval(per_note: np.ndarray, rounds: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of F1, resampling notes."""
    rng = np.random.default_rng(seed)
    draws = [prf(per_note[rng.integers(0, len(per_note), len(per_note))].sum(0))[2]
             for _ in range(rounds)]
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)


def line(name: str, per_note: np.ndarray) -> str:
    precision, recall, f1 = prf(per_note.sum(0))
    low, high = interval(per_note)
    return (f"{name:<44} {precision:9.3f} {recall:6.3f} {f1:6.3f}  ({low:.3f}-{high:.3f})")


def on_found_categories(notes: Sequence[LabelledNote], person: Mapping[str, Verdicts],
                        found: Callable[[Sequence[LabelledNote]], list[set[str]]],
                        ) -> list[Verdicts]:
    """The person's verdicts, limited to the categories the mention finder finds per note."""
    return [{category: person[note.note_id].get(category, False) for category in categories}
            for note, categories in zip(notes, found(notes), strict=True)]


def found_categories(notes: Sequence[LabelledNote]) -> list[set[str]]:
    from casenotes.nlp.pipeline import MentionFinder

    findings = MentionFinder().analyse_many((note.note_id, note.text) for note in notes)
    return [{m.category for m in found.mentions} for found in findings]


def reader_verdicts(notes: Sequence[LabelledNote], model: str) -> list[Verdicts]:
    from casenotes.scoring import build_scorer

    scored = list(build_scorer(model).score_notes((n.note_id, n.text) for n in notes))
    figures = hazard_figures(notes, scored)  # the same figures casenotes evaluate prints
    verdicts = [{c: risky for c, (risky, _) in hazard_verdicts(s).items()} for s in scored]
    check = prf(counts([gold_hazards(n) for n in notes], verdicts).sum(0))[2]
    assert abs(check - figures["hazard_f1"]) < 1e-9, "hazard F1 differs from evaluate's"
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="fast,accurate,encoder",
                        help="bundled readers to score beside the person (comma-separated)")
    args = parser.parse_args()
    notes = read_labelled(DEV)
    person = second_annotator()
    missing = [n.note_id for n in notes if n.note_id not in person]
    if missing or len(person) != len(notes):
        raise SystemExit(f"{LABELS.name} does not cover the dev notes one to one "
                         f"(missing {missing[:3]}); regenerate it from the annotation")
    gold = [gold_hazards(n) for n in notes]
    print(f"{len(notes)} dev notes, {sum(map(len, gold))} gold hazards "
          f"({sum(sum(g.values()) for g in gold)} risk)\n")
    print(f"{'hazard level, dev':<44} precision recall     F1  (95% interval)")
    agreement = counts(gold, [person[n.note_id] for n in notes])
    print(line("second annotator vs gold (agreement)", agreement))
    print(line("a person on casenotes' mentions (ceiling)", counts(
        gold, on_found_categories(notes, person, found_categories))))
    for model in filter(None, args.models.split(",")):
        try:
            verdicts = reader_verdicts(notes, model)
        except Exception as exc:  # the accurate tier needs its extra: report, go on
            print(f"{model:<44} not scored ({type(exc).__name__}: {exc})")
            continue
        print(line(f"casenotes --model {model}", counts(gold, verdicts)))
        settled = [{**truth, **{c: said for c, said in flagged.items()
                                if person[n.note_id].get(c, False) == said
                                and truth.get(c, False) != said}}
                   for n, truth, flagged in zip(notes, gold, verdicts, strict=True)]
        print(line("  ... with the gold settled its way at best", counts(settled, verdicts)))
    tp, fp, fn = agreement.sum(0)
    pairs = sum(len(set(g) | set(person[n.note_id])) for g, n in zip(gold, notes, strict=True))
    tn = pairs - tp - fp - fn
    observed = (tp + tn) / pairs
    chance = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / pairs ** 2
    print(f"\nagreement over {pairs} pairs: {observed:.3f} raw, Cohen's kappa "
          f"{(observed - chance) / (1 - chance):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
