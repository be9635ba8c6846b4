"""Exploratory: do the note-shape features carry the corpus's voices rather than the hazard?

    python scripts/experiments/note_shape_ablation.py [--variants base,mentions,shape]

The fast model reads, beside each mention's own context, a few facts of the whole note: how
many mentions it holds (``note_mentions=``), its length, its categories, and how dense its
word classes are (imperatives, second person, quantities...). In the bundled model
``note_mentions=>8`` weighs 1.36 towards routine, so a gas engineer's "Strong smell of gas ...
Tightness test FAIL ... capped" in a long visit note reads P 0.26 (timeline TL-W2-18). Long
notes in the written corpus are mostly inspections; that is a fact of the corpus, not of the
hazard. This trains the model as the bundled one is trained (train, threshold and hazard
calibration on dev, the bundled C) with families of note-shape features dropped, and prints
for each variant:

* dev hazard P/R/F1 and AUC (the model saw no dev note in fitting its weights);
* the mean over voice families held out in turn, reading their train and dev notes
  (``leave_one_voice_out.py --splits train,dev``; test is not read);
* the timelines' clock with each train/dev writer held out (``train_events.py
  --cross-writers``), the event model retrained on the variant's verdicts.

The test splits are not read.

Measured on 2026-12-04, with the converged solver and the clock's session-8 rules (base is
the bundled recipe retrained here):

========  =====================  ======================  =============================
variant   dev hazard F1 (AUC)    voices held out: mean   writers held out: clock, open
                                 hazard F1 (AUC)         /resolved, events P/R
========  =====================  ======================  =============================
base      0.774 (0.814)          0.726 (0.801)           86.5%, 97.8%, 0.69/0.75
mentions  0.770 (0.811)          0.709 (0.798)           85.4%, 96.6%, 0.69/0.75
size      0.769 (0.809)          0.717 (0.796)           85.4%, 96.6%, 0.69/0.76
shape     0.753 (0.798)          0.716 (0.789)           86.5%, 97.8%, 0.69/0.75
========  =====================  ======================  =============================

(Measured the same day before the converged solver and those rules: base 0.776 / 0.729 /
82.0%; without the features 0.755-0.767 / 0.709-0.718.)

Every variant reads worse on dev and on voices the model never saw: the note's shape says
something real about its voice's verdicts (a long note of many mentions is most often a
survey or a visit record), and the clock gains nothing. Not shipped; the gas
engineer's note of TL-W2-18 needs a reading of "FAIL ... capped" as a found hazard, not a
smaller note-size prior.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import train_events  # noqa: E402
from leave_one_voice_out import voices_held_out  # noqa: E402

import casenotes.scoring  # noqa: E402
import casenotes.training  # noqa: E402
from casenotes.evaluation import read_labelled, risk_figures  # noqa: E402
from casenotes.events import (  # noqa: E402
    EventReader,
    load_event_rules,
)
from casenotes.features import SHAPE_CLASSES, Features, note_features  # noqa: E402
from casenotes.model import RiskModel, load_model  # noqa: E402
from casenotes.nlp.pipeline import MentionFinder  # noqa: E402
from casenotes.scoring import Scorer  # noqa: E402
from casenotes.training import train_model  # noqa: E402
from casenotes.triage.timelines import (  # noqa: E402
    CaseEvaluation,
    evaluate_timelines,
    load_timelines,
)
from casenotes.types import NoteFindings  # noqa: E402

SAMPLES = ROOT / "data" / "samples"
#: Each variant: the feature-name prefixes it drops.
VARIANTS: dict[str, tuple[str, ...]] = {
    "base": (),
    "mentions": ("note_mentions=",),
    "size": ("note_mentions=", "note_words=", "note_categories="),
    "shape": ("note_mentions=", "note_words=", "note_categories=", "note_imperatives=",
              *(f"note_{name}=" for name in SHAPE_CLASSES)),
}


def without(prefixes: tuple[str, ...]) -> Callable[[str, NoteFindings], list[Features]]:
    """The standard features minus those whose names start with one of ``prefixes``."""
    def features(text: str, findings: NoteFindings) -> list[Features]:
        rows = note_features(text, findings)
        if prefixes:
            for row in rows:
                for name in [n for n in row if n.startswith(prefixes)]:
                    del row[name]
        return rows
    return features


def use_features(extract: Callable[[str, NoteFindings], list[Features]]) -> None:
    # The feature function is looked up in these modules at call time.
    casenotes.training.note_features = extract  # type: ignore[attr-defined]
    casenotes.scoring.note_features = extract  # type: ignore[attr-defined]


def dev_figures(model: RiskModel, finder: MentionFinder, dev: Sequence) -> str:
    scorer = Scorer(model)
    scorer.finder = finder
    f = risk_figures(dev, list(scorer.score_notes((n.note_id, n.text) for n in dev)))
    return (f"dev hazard P/R/F1 {f.hazard_precision:.3f}/{f.hazard_recall:.3f}/"
            f"{f.hazard_f1:.3f} AUC {f.hazard_auc:.3f}")


def clock(model: RiskModel) -> str:
    files = [SAMPLES / "timelines" / "train.jsonl", SAMPLES / "timelines" / "dev.jsonl"]
    timelines = [t for path in files for t in load_timelines(path)]
    scored = train_events.scored_notes(timelines, Scorer(model, events=False))
    pooled = CaseEvaluation()
    for held in sorted({t.writer for t in timelines}):
        events = train_events.event_model([t for t in timelines if t.writer != held], scored)
        pooled.add(evaluate_timelines([t for t in timelines if t.writer == held],
                                      Scorer(model, events=EventReader(load_event_rules(),
                                                                       events))))
    p, r, _ = pooled.event_figures()["all"]
    return (f"writers held out: clock {pooled.share(pooled.clock_right):.1%} open/resolved "
            f"{pooled.share(pooled.open_right):.1%} events P/R {p:.2f}/{r:.2f} "
            f"no-gold episodes {pooled.extra_hazards}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--no-voices", action="store_true", help="skip the voice hold-out")
    args = parser.parse_args()
    finder = MentionFinder()
    train = read_labelled(SAMPLES / "train.jsonl")
    dev = read_labelled(SAMPLES / "dev.jsonl")
    c = float(load_model().card.training["C"])
    for name in args.variants.split(","):
        use_features(without(VARIANTS[name]))
        model = train_model(train, dev_notes=dev, finder=finder, C=c, seed=0)
        print(f"{name:<9} {dev_figures(model, finder, dev)}", flush=True)
        print(f"{'':<9} {clock(model)}", flush=True)
        if not args.no_voices:
            mean = voices_held_out(c, ("train", "dev"))["mean"]
            print(f"{'':<9} voices held out: mean hazard F1 {mean['hazard_f1']:.3f} "
                  f"AUC {mean['hazard_auc']:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
