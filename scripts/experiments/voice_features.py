"""Exploratory (session 27, not shipped): features that carry from one writing voice to another.

    python scripts/experiments/voice_features.py [--pieces none|prefix|trigrams|both]
                                                 [--min-writers 1] [--balance-writers]
                                                 [--c 1.0]

The event model's word features are whole words ("attd" is read as "attended" only where
``events.json`` lists it as the same), so a writer's own shorthand, spelling or inflection
("insp", "inspctd", "completion", "remade") is a word no other writer used. This adds, beside
each word of the note, its first four letters (``prefix``: "insp", "comp", "rema"), its
letter trigrams (``trigrams``) or both; beside each word of the windows either side of an
event phrase, its first four letters (with ``prefix`` and ``both`` only). It holds each of
the twenty train/dev writers out in turn as ``train_events.py --cross-writers`` does
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
from collections import defaultdict
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


def with_training(least: int, balance: bool = False) -> None:
    """Patch ``train_events.event_model`` to drop features fewer than ``least`` of its
    training writers' candidates have and, with ``balance``, to weigh writers equally."""
    def event_model(timelines: list[Any], scored: dict[str, list[Any]], *, c: float = 1.0,
                    threshold: float = train_events.THRESHOLD,
                    verdict_reports: float = train_events.VERDICT_REPORTS_AT) -> Any:
        by_writer = {writer: events.event_examples(train_events.training_pairs(
            [t for t in timelines if t.writer == writer], scored))
            for writer in sorted({t.writer for t in timelines})}
        writers_of: dict[str, set[str]] = defaultdict(set)
        for writer, (features, _) in by_writer.items():
            for row in features:
                for name in row:
                    writers_of[name].add(writer)
        kept = {name for name, writers in writers_of.items() if len(writers) >= least}
        rows = [{k: v for k, v in row.items() if k in kept}
                for features, _ in by_writer.values() for row in features]
        labels = [label for _, found in by_writer.values() for label in found]
        weight = [len(rows) / (len(by_writer) * len(features))
                  for features, _ in by_writer.values() for _ in features] if balance else None
        return train_events.with_settings(
            events.train_event_model(rows, labels, c=c, sample_weight=weight),
            threshold, verdict_reports)

    train_events.event_model = event_model  # type: ignore[assignment]


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
        with_training(args.min_writers, args.balance_writers)
    timelines = [t for name in ("train.jsonl", "dev.jsonl")
                 for t in load_timelines(ROOT / "data" / "samples" / "timelines" / name)]
    print(f"== word pieces: {args.pieces}, features of {args.min_writers}+ writers, "
          f"writers balanced: {args.balance_writers}, C {args.c}")
    train_events.cross_writers(timelines, train_events.scored_notes(timelines),
                               train_events.THRESHOLD, train_events.VERDICT_REPORTS_AT, args.c)
    return 0


if __name__ == "__main__":
    sys.exit(main())
