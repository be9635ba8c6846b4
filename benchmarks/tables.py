"""The work around the reading: reading the export, the scored records and the tables.

    python benchmarks/tables.py [--notes 20000] [--repeat 3]

``stages.py`` times the reading of a note; ``score.py`` the whole run. This script times, in
one process on the realistic export of ``score.py``, what lies between them, each the best of
``--repeat`` passes:

* **reading the CSV**: ``TableReader`` cutting the export into chunks (the main process);
* **scored records**: ``Scorer._scored``, which turns a batch's findings and model output into
  scored mentions, verdicts and priorities (replayed on the batches of one scoring pass);
* **tables**: ``score_rows`` with the scoring already done (a scorer that hands back the notes
  it scored before), so only the notes, mentions, hazards and events tables are timed.

Each is printed in µs per note of the export. Runs with the collector settings of ``casenotes
score`` (``engines.batch.fewer_collections``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score import export

from casenotes.engines.batch import fewer_collections, score_rows
from casenotes.io.tables import TableReader
from casenotes.scoring import Scorer


def best_of(repeat: int, count: int, work: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs of ``work``, in µs per note of ``count``."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best / count * 1e6


class _Replay:
    """Hands back the scored notes of each chunk as a real scorer scored them the first time,
    so ``score_rows`` is timed without the scoring."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self.scored: dict[int, list[Any]] = {}

    def score_notes(self, notes: Iterable[tuple[str, str]], *,
                    prefilter: bool = False) -> Iterator[Any]:
        notes = list(notes)
        key = id(notes[0][1]) if notes else 0
        if key not in self.scored:
            self.scored[key] = list(self.scorer.score_notes(notes, prefilter=prefilter))
        return iter(self.scored[key])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) /
                        "casenotes-bench")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    path = export(args.data, args.notes)

    def read() -> list[Any]:
        return list(TableReader(path, text="description", id="id").chunks())

    chunks = read()
    count = sum(len(chunk.texts) for chunk in chunks)
    scorer = Scorer()
    batches: list[tuple[Any, ...]] = []
    scored = scorer._scored

    def keep(*batch: Any) -> Any:
        batches.append(batch)
        return scored(*batch)

    with fewer_collections():
        scorer._scored = keep  # type: ignore[method-assign,assignment]
        replay = _Replay(scorer)
        for chunk in chunks:
            score_rows(chunk, replay)
        scorer._scored = scored  # type: ignore[method-assign]
        figures = {
            "reading the CSV": best_of(args.repeat, count, read),
            "scored records (Scorer._scored)": best_of(
                args.repeat, count, lambda: [scored(*batch) for batch in batches]),
            "tables (score_rows, scoring replayed)": best_of(
                args.repeat, count, lambda: [score_rows(chunk, replay) for chunk in chunks]),
        }
    print(f"{count:,} notes of the realistic export, one process, µs per note (best of "
          f"{args.repeat})")
    for name, micros in figures.items():
        print(f"{name:<40} {micros:8.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
