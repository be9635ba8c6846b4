"""Exploratory (session 26, issue 10/10): do boosted trees read held-out writers' events better?

    python scripts/experiments/events_boosted.py [--held W1,W2,...] [--extra W26,...]

The shipped event model is one logistic regression per event over the candidate's named
features and the note's words: it cannot weigh one feature by another ("a works-done phrase"
counts the same whether or not the note's hazard verdict is routine, the phrase negated or the
trade another's). This trains, beside it and on the same candidates, gradient-boosted trees
per event (scikit-learn's HistGradientBoostingClassifier over every feature seen in at least
three training candidates) and reads each train/dev writer held out in turn three ways: the
linear model (as shipped), the trees alone, and the mean of the two probabilities. The same
thresholds and case roll-up read all three. ``--extra`` writers join every training set and
are never held out. The test writers are never read.

Measured on 2026-12-06 (session 26; scikit-learn 1.9.1, about 3 minutes a writer on 2 cores,
an hour in all), the twenty train/dev writers each held out in turn, trained on the other
nineteen: linear 92.8% clock state, 94.3% open/resolved, events 0.73 / 0.78, 3 of 70
routine-only cases with a clock; trees 89.8%, 92.0%, 0.71 / 0.78, 4 of 70; the mean 92.2%,
93.9%, 0.72 / 0.79, 3 of 70. Interactions of the named features do not read a new voice
better: the trees fit the training writers' phrasing more closely, and the mean of the two
is no better than the linear model. Not shipped (models/EVENTS_CARD.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction import DictVectorizer
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import train_events  # noqa: E402
from build_timelines import SPLIT  # noqa: E402

from casenotes.events import EventModel, EventReader, event_examples, load_event_rules  # noqa: E402
from casenotes.scoring import Scorer  # noqa: E402
from casenotes.triage.timelines import CaseEvaluation, evaluate_timelines, load_timelines  # noqa: E402
from casenotes.types import EVENT_NAMES  # noqa: E402

TIMELINES = ROOT / "data" / "samples" / "timelines"
MIN_COUNT = 3


class BlendedModel:
    """The linear event model's interface (what :class:`EventReader` calls) over trees, alone
    (``weight`` 1) or averaged with the linear model's probabilities (``weight`` 0.5)."""

    def __init__(self, linear: EventModel, trees: dict[str, Any], vectorizer: DictVectorizer,
                 weight: float, cache: dict | None = None) -> None:
        self.linear, self.trees, self.vectorizer, self.weight = linear, trees, vectorizer, weight
        self.thresholds = linear.thresholds
        self.cache = {} if cache is None else cache  # the trees' reading, shared by blends

    def shared_logits(self, words: Any) -> Any:
        return tuple(words), self.linear.shared_logits(words)

    def probabilities(self, features: Any, shared: Any = None) -> dict[str, float]:
        words, linear_shared = shared if isinstance(shared, tuple) else ((), 0.0)
        linear = self.linear.probabilities(features, linear_shared)
        key = (tuple(sorted(features.items())), words)
        trees = self.cache.get(key)
        if trees is None:
            row = self.vectorizer.transform([{**features, **dict.fromkeys(words, 1.0)}]).toarray()
            trees = self.cache[key] = {event: float(tree.predict_proba(row)[0, 1])
                                       for event, tree in self.trees.items()}
        return {event: self.weight * trees.get(event, linear[event])
                + (1 - self.weight) * linear[event] for event in EVENT_NAMES}

    def reasons(self, event: str, features: Any, top: int = 3, words: Any = ()) -> Any:
        return self.linear.reasons(event, features, top, words)


def fit_trees(rows: list, labels: list) -> tuple[dict[str, Any], DictVectorizer]:
    """One boosted-tree classifier per event over features seen in >= MIN_COUNT candidates."""
    counts: dict[str, int] = {}
    for row in rows:
        for name in row:
            counts[name] = counts.get(name, 0) + 1
    kept = [{k: v for k, v in row.items() if counts[k] >= MIN_COUNT and k != "bias"}
            for row in rows]
    vectorizer = DictVectorizer(sparse=True).fit(kept)
    matrix = vectorizer.transform(kept).toarray().astype(np.float32)
    trees = {}
    for event in EVENT_NAMES:
        target = np.array([event in label for label in labels])
        if target.sum() < 5:
            continue
        trees[event] = HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=10,
            l2_regularization=1.0, early_stopping=False, random_state=0).fit(matrix, target)
    return trees, vectorizer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held", default=",".join((*SPLIT["train"], *SPLIT["dev"])))
    parser.add_argument("--extra", default="")
    args = parser.parse_args()
    held = [w for w in args.held.split(",") if w]
    extra = [w for w in args.extra.split(",") if w]
    if set(SPLIT["test"]) & {*held, *extra}:
        parser.error("test writers are never read here")
    source = [t for w in (*held, *extra)
              for t in load_timelines(TIMELINES / "source" / f"{w}.jsonl")]
    scored = train_events.scored_notes(source)
    pooled = {name: CaseEvaluation() for name in ("linear", "trees", "mean")}
    for writer in held:
        started = time.time()
        training = [t for t in source if t.writer != writer]
        linear = train_events.event_model(training, scored)
        trees, vectorizer = fit_trees(*event_examples(train_events.training_pairs(training,
                                                                                  scored)))
        out = [t for t in source if t.writer == writer]
        cache: dict = {}
        for name, model in (("linear", linear),
                            ("trees", BlendedModel(linear, trees, vectorizer, 1.0, cache)),
                            ("mean", BlendedModel(linear, trees, vectorizer, 0.5, cache))):
            with threadpool_limits(1):  # single-row predictions: threads only cost here
                result = evaluate_timelines(out, Scorer(events=EventReader(load_event_rules(),
                                                                           model)))  # type: ignore[arg-type]
            pooled[name].add(result)
            p, r, _ = result.event_figures()["all"]
            print(f"{writer} {name}: clock {result.share(result.clock_right):.1%} open "
                  f"{result.share(result.open_right):.1%} events {p:.2f}/{r:.2f}", flush=True)
        print(f"  ({time.time() - started:.0f} s)", flush=True)
    for name, total in pooled.items():
        figures = total.event_figures()
        p, r, _ = figures["all"]
        print(f"pooled {name}: clock {total.share(total.clock_right):.1%} open/resolved "
              f"{total.share(total.open_right):.1%} events P/R {p:.2f}/{r:.2f}, routine-only "
              f"with a clock {total.routine_only_with_clock} of {total.routine_only}")
        print("   " + ", ".join(f"{e} {figures[e][0]:.2f}/{figures[e][1]:.2f}"
                                for e in EVENT_NAMES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
