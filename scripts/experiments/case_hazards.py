"""Exploratory (session 25, not shipped): which hazards is a case about?

    python scripts/experiments/case_hazards.py [--thresholds 0.1,0.2,0.3,0.5] [--model lr|hgb]

Half of the event reader's false events across the twenty train/dev writers held out in turn
(404 of 860) are on a category the gold gives no event in that case at all: a second hazard
the note names beside the case's own ("no heating or hot water" read as a water hazard too,
"cold bridge" in a damp survey, a CO alarm tested on a gas service). Keeping only the gold's
categories (``oracle`` below) would lift event precision from 0.72 to 0.84 with the clock
unchanged. This asks whether a model that sees the whole case can tell those categories:
per (case, category) with an event read, how many notes name it and how surely, how often
another category is read more surely beside it, whether it comes first, what events were read
for it and how, its tier and its category; logistic regression (or gradient boosting), held
out by writer on the first stage's held-out readings. Below each threshold a category's
events are dropped before the roll-up. The test writers are never read.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import train_events  # noqa: E402
from case_stacker import _evaluate, first_stage  # noqa: E402

from casenotes.triage.timelines import load_timelines  # noqa: E402
from casenotes.types import EVENT_NAMES  # noqa: E402

TIERS = {"emergency": 3.0, "significant": 2.0, "standard": 1.0}


def case_features(notes: list) -> dict[str, dict[str, float]]:
    """Per category the case's read events name: what the whole case says about it."""
    out = {}
    categories = {e.category for note in notes for e in note.events if e.category}
    for category in categories:
        f: dict[str, float] = defaultdict(float)
        first = None
        for i, note in enumerate(notes):
            mine = [m for m in note.mentions if m.mention.category == category]
            events = [e for e in note.events if e.category == category]
            if (mine or events) and first is None:
                first = i
            f["notes"] += bool(mine or events)
            if mine:
                p = max(m.risk_probability for m in mine)
                others = [h.risk_probability for h in note.hazards if h.category != category]
                f["naming"] += 1
                f["max_p"] = max(f["max_p"], p)
                f["sum_p"] += p
                f["beside_surer"] += bool(others and max(others) > p)
                f["alone"] += not others
                f["risk"] += any(m.label == "risk" for m in mine)
                f["mentions"] += len(mine)
            for event in events:
                f["n_" + event.event] += 1
                f["p_" + event.event] = max(f["p_" + event.event], event.probability)
                f["rule_" + event.event] += event.basis != "model"
                f["tier"] = max(f["tier"], TIERS.get(event.tier, 0.0))
        f["first_at"] = (first or 0) / max(len(notes) - 1, 1)
        f["first_note"] = float(first == 0)
        f["share"] = f["notes"] / len(notes)
        f["share_naming"] = f["naming"] / len(notes)
        f["share_beside_surer"] = f["beside_surer"] / max(f["naming"], 1)
        f["share_risk"] = f["risk"] / max(f["naming"], 1)
        f["categories"] = len(categories)
        f["case_notes"] = math.log1p(len(notes))
        for name in ("notes", "naming", "beside_surer", "alone", "risk", "mentions",
                     *(f"n_{e}" for e in EVENT_NAMES)):
            f[name] = math.log1p(f[name])
        f["is_" + category] = 1.0
        out[category] = dict(f)
    return out


def _classifier(kind: str) -> Any:
    if kind == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier
        return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_depth=3)
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--thresholds", default="0.05,0.1,0.2,0.3,0.5")
    parser.add_argument("--model", choices=("lr", "hgb"), default="lr")
    args = parser.parse_args()
    data = ROOT / "data/samples/timelines"
    timelines = [t for name in ("train.jsonl", "dev.jsonl") for t in load_timelines(data / name)]
    read, _ = first_stage(timelines, train_events.scored_notes(timelines))
    rows = [(t.writer, t.case, category, f, category in {h.category for h in t.hazards})
            for t in timelines for category, f in case_features(read[t.case]).items()]
    names = sorted({k for row in rows for k in row[3]})
    x = np.array([[row[3].get(k, 0.0) for k in names] for row in rows])
    y = np.array([row[4] for row in rows])
    writers = np.array([row[0] for row in rows])
    p = np.zeros(len(rows))
    for held in sorted(set(writers)):
        model = _classifier(args.model).fit(x[writers != held], y[writers != held])
        p[writers == held] = model.predict_proba(x[writers == held])[:, 1]
    from sklearn.metrics import roc_auc_score
    print(f"{len(rows)} (case, category) pairs with a read event, {y.mean():.1%} of them gold "
          f"hazards; held-out AUC {roc_auc_score(y, p):.3f}")
    sure = {(row[1], row[2]): float(q) for row, q in zip(rows, p, strict=True)}

    def report(label: str, keeps: Any) -> None:
        result = _evaluate(timelines, lambda t: [
            replace(n, events=tuple(e for e in n.events if not e.category
                                    or keeps(t, e.category))) for n in read[t.case]])
        ev = result.event_figures()["all"]
        print(f"{label}: clock {result.share(result.clock_right):.1%}, open/resolved "
              f"{result.share(result.open_right):.1%}, routine-only with a clock "
              f"{result.routine_only_with_clock} of {result.routine_only}, events "
              f"{ev[0]:.3f} / {ev[1]:.3f}")

    report("reader alone", lambda t, c: True)
    report("oracle (the gold's hazards kept)", lambda t, c: c in {h.category for h in t.hazards})
    for threshold in (float(v) for v in args.thresholds.split(",")):
        dropped = [row for row in rows if sure[(row[1], row[2])] < threshold]
        report(f"kept from P {threshold} ({len(dropped)} dropped, "
               f"{sum(row[4] for row in dropped)} of them gold hazards)",
               lambda t, c, at=threshold: sure.get((t.case, c), 1.0) >= at)
    return 0


if __name__ == "__main__":
    sys.exit(main())
