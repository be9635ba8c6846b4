"""Where the time goes: each stage of scoring one note, per note that passes the prefilter.

    python benchmarks/stages.py [--notes 20000] [--repeat 3]

Generates (or reuses) the synthetic export of ``benchmarks/score.py``, keeps the notes the
prefilter passes, and times in one process, stage by stage: tokenising, each spaCy component,
building the findings, the features and the model. Prints microseconds per passing note and
each stage's share (best of ``--repeat`` runs), and the prefilter's cost per note of the whole
export. Use it to see what an optimisation changed; ``score.py`` gives the end-to-end figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score import export, read_texts

from casenotes.features import note_features
from casenotes.pipeline import normalise
from casenotes.scoring import Scorer


def stage_times(scorer: Scorer, passing: list[str]) -> dict[str, float]:
    """Seconds each stage takes over all ``passing`` notes, one stage at a time."""
    nlp = scorer.finder.nlp
    prepared = [normalise(text) for text in passing]
    times: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        times[name] = now - clock
        clock = now

    docs: list[Any] = [nlp.make_doc(text) for text, _ in prepared]
    lap("tokenise (make_doc)")
    for name, component in nlp.pipeline:
        docs = [component(doc) for doc in docs]
        lap(name)
    findings = [scorer.finder._findings(doc, str(i), text, offsets)
                for i, (doc, text, (_, offsets))
                in enumerate(zip(docs, passing, prepared, strict=True))]
    lap("findings")
    rows = [row for text, found in zip(passing, findings, strict=True)
            for row in note_features(text, found)]
    lap("features")
    scorer.model.assess(rows, threshold=scorer.threshold, top=scorer.n_reasons)
    lap("model (assess)")
    times["mentions"] = len(rows)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) /
                        "casenotes-bench")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    texts = [t for batch in read_texts(export(args.data, args.notes)) for t in batch]
    scorer = Scorer()
    could_match = scorer.finder.prefilter.could_match
    started = time.perf_counter()
    passing = [t for t in texts if could_match(t)]
    prefilter = time.perf_counter() - started
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        for name, seconds in stage_times(scorer, passing).items():
            best[name] = min(best.get(name, seconds), seconds)
    mentions = int(best.pop("mentions"))
    total = sum(best.values())
    count = len(passing)
    print(f"{len(texts):,} notes, {count:,} pass the prefilter ({count / len(texts):.0%}), "
          f"{mentions:,} mentions; prefilter {prefilter / len(texts) * 1e6:.1f} us a note")
    for name, seconds in best.items():
        print(f"{name:<28} {seconds / count * 1e6:8.1f} us  {seconds / total:6.1%}")
    print(f"{'total':<28} {total / count * 1e6:8.1f} us a passing note")
    return 0


if __name__ == "__main__":
    sys.exit(main())
