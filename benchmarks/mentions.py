"""Throughput of mention finding on the labelled sample notes (one process).

    python benchmarks/mentions.py [--repeat 5]

Prints notes/s and characters/s for ``MentionFinder.analyse_many`` over every sample note,
and the time to build the pipeline. Numbers depend on the machine; the README records the
figures measured on the project's 2-core reference machine.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from casenotes import MentionFinder
from casenotes.evaluation import read_labelled

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    finder = MentionFinder()
    built = time.perf_counter() - started
    notes = [(n.note_id, n.text) for split in ("train", "dev", "test")
             for n in read_labelled(SAMPLES / f"{split}.jsonl")]
    characters = sum(len(text) for _, text in notes)
    best = float("inf")
    mentions = 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        mentions = sum(len(f.mentions) for f in finder.analyse_many(notes))
        best = min(best, time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pipeline build        {built:8.2f} s")
    print(f"notes                 {len(notes):8d}  "
          f"({characters:,} characters, {mentions} mentions)")
    print(f"best of {args.repeat} runs        {best:8.2f} s")
    print(f"notes/s               {len(notes) / best:8.0f}")
    print(f"characters/s          {characters / best:8.0f}")
    print(f"peak RSS              {peak_mb:8.0f} MB")


if __name__ == "__main__":
    main()
