"""spaCy's own ``n_process`` against casenotes' process pool, on the same notes and pipeline.

    python benchmarks/processes.py [--notes 10000] [--jobs 2]

Takes the first ``--notes`` notes of the synthetic export (``benchmarks/score.py``) that pass
the prefilter, the notes the spaCy pipeline actually sees in ``casenotes score``, and finds
their mentions three ways, timing each:

* one process: ``MentionFinder.analyse_many``;
* spaCy's ``nlp.pipe(n_process=jobs)``: workers run the pipeline and send every ``Doc`` (with
  its span attributes, see :func:`casenotes.nlp.context.encode_reach`) back to the main process,
  which builds the findings;
* casenotes' way: chunks of texts go to a pool of ``jobs`` processes, each runs
  ``analyse_many`` and sends back only each note's mention spans, as ``casenotes score`` sends
  back tables rather than objects.

All three must find the same mentions; the script checks that. Prints notes/s and the speed-up
over one process.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score import export, read_texts

from casenotes.nlp.pipeline import MentionFinder, default_finder
from casenotes.types import NoteFindings

CHUNK = 500


def passing_notes(path: Path, count: int) -> list[tuple[str, str]]:
    """The first ``count`` notes of the export that the prefilter passes, as (id, text)."""
    could_match = default_finder().prefilter.could_match
    texts: list[str] = []
    for batch in read_texts(path):
        texts.extend(t for t in batch if could_match(t))
        if len(texts) >= count:
            break
    return [(str(i), text) for i, text in enumerate(texts[:count])]


Spans = tuple[tuple[int, int, str], ...]


def mention_spans(findings: NoteFindings) -> Spans:
    """What the comparison checks: each mention's offsets and lexicon entry."""
    return tuple((m.start, m.end, m.term_id) for m in findings.mentions)


def _analyse_chunk(notes: list[tuple[str, str]]) -> list[Spans]:
    # Small records back, as ``casenotes score`` sends back tables rather than objects.
    return [mention_spans(found) for found in default_finder().analyse_many(notes)]


def _warm() -> None:
    default_finder()


def casenotes_pool(notes: list[tuple[str, str]], jobs: int) -> list[Spans]:
    """Chunks of texts to ``jobs`` processes; each note's mention spans come back."""
    chunks = [notes[i:i + CHUNK] for i in range(0, len(notes), CHUNK)]
    with get_context("forkserver").Pool(jobs, initializer=_warm) as pool:
        return [found for part in pool.imap(_analyse_chunk, chunks) for found in part]


def spacy_n_process(finder: MentionFinder, notes: list[tuple[str, str]],
                    jobs: int) -> list[Spans]:
    """spaCy's ``nlp.pipe(n_process=jobs)``: Docs come back to this process."""
    docs = finder.nlp.pipe((text for _, text in notes), n_process=jobs, batch_size=256)
    return [mention_spans(finder.findings_from_doc(doc, text, note_id))
            for doc, (note_id, text) in zip(docs, notes, strict=True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10_000,
                        help="notes that pass the prefilter to analyse")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) /
                        "casenotes-bench")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    notes = passing_notes(export(args.data, 200_000), args.notes)
    finder = default_finder()
    print(f"{len(notes):,} notes that pass the prefilter, {args.jobs} processes", flush=True)
    runs: dict[str, Callable[[], list[Spans]]] = {
        "one process": lambda: [mention_spans(f) for f in finder.analyse_many(notes)],
        f"spaCy nlp.pipe(n_process={args.jobs})": lambda: spacy_n_process(finder, notes,
                                                                           args.jobs),
        f"casenotes pool ({args.jobs} processes)": lambda: casenotes_pool(notes, args.jobs),
    }
    expected: list[Spans] | None = None
    single = 0.0
    for name, run in runs.items():
        started = time.perf_counter()
        try:
            found = run()
        except Exception as exc:  # report and go on: the point is to compare
            cause = str(exc).strip().splitlines()[-1][:300]
            print(f"{name:<32} failed: {type(exc).__name__}: {cause}", flush=True)
            continue
        seconds = time.perf_counter() - started
        if expected is None:
            expected, single = found, seconds
        elif found != expected:
            raise SystemExit(f"{name} found different mentions from one process")
        print(f"{name:<32} {len(notes) / seconds:>8,.0f} notes/s  {single / seconds:5.2f}x "
              f"one process ({seconds:,.1f} s, pool start-up included)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
