"""Exploratory (session 27, not shipped): features that carry from one writing voice to another.

    python scripts/experiments/voice_features.py [--pieces none|prefix|trigrams|both]
                                                 [--min-writers 1] [--balance-writers]
                                                 [--c 1.0]

The event model's word features are whole words ("attd" is read as "attended" only where
``events.json`` lists it as the same), so a writer's own shorthand, spelling or inflection
("insp", "inspctd", "completion", "remade") is a word no other writer used. This adds, beside
each word of the note and of the windows either side of an event phrase, its first four
letters (``prefix``: "insp", "comp", "rema") or its letter trigrams (``trigrams``), and holds
each of the twenty train/dev writers out in turn as ``train_events.py --cross-writers`` does
(its figures, from the same code, are the baseline). ``--min-writers K`` instead (or as well)
trains only on features that K or more of the training writers' notes have: a template's
words ("Job Status: COMPLETE") weigh heavily for the one writer who uses them and say
nothing of the next. ``--balance-writers`` weighs each training writer's candidates to the
same total, so a writer of long, many-hazard notes does not set the weights for the rest.
The test writers are never read.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import train_events  # noqa: E402

import casenotes.events as events  # noqa: E402
from casenotes.triage.timelines import load_timelines  # noqa: E402


def pieces_of(word: str, kind: str) -> list[str]:
    """The pieces of one plain word (none for numbers and words of four letters or fewer)."""
    if word == "0" or len(word) <= 4:
        return []
    out = []
    if kind in ("prefix", "both"):
        out.append(f"pre={word[:4]}")
    if kind in ("trigrams", "both"):
        padded = f"<{word}>"
        out.extend(f"tri={padded[i:i + 3]}" for i in range(len(padded) - 2))
    return out


def with_pieces(kind: str) -> None:
    """Patch the reader's word features to carry the pieces too (training and reading alike)."""
    plain_words: Callable[..., tuple[str, ...]] = events.note_words
    plain_window: Callable[..., tuple[str, ...]] = events._window

    def note_words(lower: str, same_as: Mapping[str, str] | None = None) -> tuple[str, ...]:
        words = plain_words(lower, same_as)
        return tuple(dict.fromkeys([*words, *(p for w in words
                                              for p in pieces_of(w.split("=", 1)[1], kind))]))

    def window(lower: str, hit: Any, same_as: Mapping[str, str] | None = None,
               ) -> tuple[str, ...]:
        names = plain_window(lower, hit, same_as)
        extra = []
        for name in names:
            side, word = name.split(":", 1)
            extra.extend(f"{side}:{p}" for p in pieces_of(word, kind) if p.startswith("pre="))
        return (*names, *extra)

    events.note_words = note_words  # type: ignore[assignment]
    events._window = window  # type: ignore[assignment]


def with_min_writers(least: int, balance: bool = False) -> None:
    """Patch ``train_events.event_model`` to drop features fewer than ``least`` of its
    training writers' candidates have (and, with ``balance``, to weigh writers equally)."""
    def event_model(timelines: list[Any], scored: dict[str, list[Any]], *, c: float = 1.0,
                    threshold: float = train_events.THRESHOLD,
                    verdict_reports: float = train_events.VERDICT_REPORTS_AT) -> Any:
        rules = events.load_event_rules()
        equipment = events.equipment_automaton(rules=rules)
        rows: list[tuple[str, dict[str, float], frozenset[str]]] = []
        for timeline in timelines:
            for gold, note in zip(timeline.notes, scored[timeline.case], strict=True):
                for candidate in events.candidates(gold.text, note, rules, equipment):
                    rows.append((timeline.writer, dict(candidate.all_features), frozenset(
                        e for c_, e in gold.events
                        if not candidate.category or c_ == candidate.category)))
        writers_of: dict[str, set[str]] = defaultdict(set)
        for writer, features, _ in rows:
            for name in features:
                writers_of[name].add(writer)
        kept = {name for name, writers in writers_of.items() if len(writers) >= least}
        kept_rows = [{k: v for k, v in features.items() if k in kept} for _, features, _ in rows]
        labels = [labels for _, _, labels in rows]
        if not balance:
            return train_events.with_settings(events.train_event_model(kept_rows, labels, c=c),
                                              threshold, verdict_reports)
        per_writer = Counter(writer for writer, _, _ in rows)
        weight = [len(rows) / (len(per_writer) * per_writer[writer]) for writer, _, _ in rows]
        return train_events.with_settings(_balanced_model(kept_rows, labels, weight, c),
                                          threshold, verdict_reports)

    train_events.event_model = event_model  # type: ignore[assignment]


def _balanced_model(rows: list[dict[str, float]], labels: list[frozenset[str]],
                    weight: list[float], c: float) -> Any:
    """``events.train_event_model`` with a weight per training row."""
    from sklearn.feature_extraction import DictVectorizer

    from casenotes.estimator import converged_logistic
    from casenotes.types import EVENT_NAMES

    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform(rows)
    names = vectorizer.get_feature_names_out()
    weights: dict[str, dict[str, float]] = {}
    intercepts: dict[str, float] = {}
    for event in EVENT_NAMES:
        target = [event in label for label in labels]
        if not any(target) or all(target):
            weights[event], intercepts[event] = {}, 10.0 if all(target) else -10.0
            continue
        fitted = converged_logistic(c).fit(matrix, target, sample_weight=weight)
        weights[event] = {str(n): round(float(w), 5)
                          for n, w in zip(names, fitted.coef_[0], strict=True) if abs(w) > 1e-4}
        intercepts[event] = round(float(fitted.intercept_[0]), 5)
    return events.EventModel(weights, intercepts, dict.fromkeys(EVENT_NAMES, 0.5), {})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pieces", choices=("none", "prefix", "trigrams", "both"),
                        default="prefix")
    parser.add_argument("--min-writers", type=int, default=1)
    parser.add_argument("--balance-writers", action="store_true")
    parser.add_argument("--c", type=float, default=train_events.C)
    args = parser.parse_args()
    if args.pieces != "none":
        with_pieces(args.pieces)
    if args.min_writers > 1 or args.balance_writers:
        with_min_writers(args.min_writers, args.balance_writers)
    timelines = [t for name in ("train.jsonl", "dev.jsonl")
                 for t in load_timelines(ROOT / "data" / "samples" / "timelines" / name)]
    print(f"== word pieces: {args.pieces}, features of {args.min_writers}+ writers, "
          f"writers balanced: {args.balance_writers}, C {args.c}")
    train_events.cross_writers(timelines, train_events.scored_notes(timelines),
                               train_events.THRESHOLD, train_events.VERDICT_REPORTS_AT, args.c)
    return 0


if __name__ == "__main__":
    sys.exit(main())
