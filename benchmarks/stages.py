"""Where the time goes: each stage of scoring one note, per note that passes the prefilter.

    python benchmarks/stages.py [--notes 20000] [--repeat 3] [--passages]

Generates (or reuses) the realistic export of ``benchmarks/score.py``, keeps the notes the
prefilter passes, and times in one process, stage by stage: normalising, tokenising, lexicon
matching, sentences, cue scopes, findings, features and the model. As in scoring, a note in
which the lexicon finds no hazard term stops after matching. Prints microseconds per passing
note and each stage's share, and the prefilter's cost per note of the whole export.
Use it to see what an optimisation changed; ``score.py`` gives the end-to-end figures.

The cost per passing note depends on which notes pass: since the prefilter turns away notes
whose anchor stands in a look-alike or lacks the rest of its phrase (2026-12-05), nearly every
passing note names a hazard and goes through every stage, so that figure rose while scoring
got faster. The cost for **a note of the export** (prefilter plus the stages for the share
that passes) compares across such changes.

The passing notes are cut into ``--repeat + 1`` equal slices. The first warms the caches (the
tokenizer's runs, the matcher's token types), as the start of a long batch job would; each
other slice is then timed once, on notes the reader has not seen, and the best slice is
reported as **fresh notes**: real exports keep bringing new job refs, names and typos, so
this is the figure a batch job sees. The last slice is then timed again as **seen notes**, the
figure with every cache warm (a lower bound, which flatters: earlier versions of this script
reported only that one). Everything runs with the garbage collector's settings of ``casenotes
score`` (``engines.batch.fewer_collections``).

``--passages`` also times the same stages on only the sentences of each passing note that hold
a prefilter anchor (cut at line breaks and sentence ends, plus ``--neighbours`` sentences
either side, none by default): what passage windowing could save at best. casenotes does not
score that way (its note-level features read the whole note), so this bounds a redesign; it is
not a figure of the shipped scorer. For each variant it prints the scoring-only ceiling in
notes/s on ``--cores``: prefilter plus pipeline work, with no reading, writing or process
overhead.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score import export, read_texts

from casenotes.engines.batch import fewer_collections
from casenotes.features import note_features
from casenotes.nlp.matching import JoinedTokens
from casenotes.nlp.reader import segment
from casenotes.nlp.text import normalise
from casenotes.scoring import Scorer


def stage_times(scorer: Scorer, passing: list[str]) -> dict[str, float]:
    """Seconds each stage takes per note of ``passing``, one stage at a time over all of them;
    ``mentions`` counts the mentions found."""
    reader = scorer.finder.reader
    count = len(passing)
    times: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        times[name] = now - clock
        clock = now

    prepared = [normalise(text) for text in passing]
    lap("normalise")
    tokens = [reader.tokenizer(text) for text, _ in prepared]
    lap("tokenise")
    hits = [reader.matcher(JoinedTokens.of(t)) for t in tokens]
    lap("lexicon matching")
    # As the scorer does, a note in which the lexicon finds no hazard term stops here.
    named = [i for i, found in enumerate(hits) if found["hazards"]]
    tokens, hits, passing = ([tokens[i] for i in named], [hits[i] for i in named],
                             [passing[i] for i in named])
    clock = time.perf_counter()
    segments = [segment(t.lowers, compiled=reader.compiled) for t in tokens]
    lap("sentences and timeline")
    for t, (starts, _), found in zip(tokens, segments, hits, strict=True):
        reader.scopes(t, starts, found)
    lap("cue scopes")
    readings = [reader.read(text) for text in passing]
    times["(whole reading, again)"] = time.perf_counter() - clock
    clock = time.perf_counter()
    findings = [reader.findings(reading, str(i)) for i, reading in enumerate(readings)]
    lap("findings")
    rows = [row for text, found in zip(passing, findings, strict=True)
            for row in note_features(text, found)]
    lap("features")
    scorer.model.assess(rows, threshold=scorer.threshold, top=scorer.n_reasons)
    lap("model (assess)")
    per_note = {name: seconds / count for name, seconds in times.items()}
    per_note["mentions"] = len(rows)
    per_note["named"] = len(named)
    return per_note


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")


def passages(text: str, could_match: Callable[[str], bool], neighbours: int) -> str:
    """The sentences of ``text`` that hold a prefilter anchor, with ``neighbours`` either side,
    one per line."""
    pieces = _SENTENCE_BREAK.split(text)
    kept: set[int] = set()
    for i, piece in enumerate(pieces):
        if could_match(piece):
            kept.update(range(max(0, i - neighbours), min(len(pieces), i + neighbours + 1)))
    return "\n".join(pieces[i] for i in sorted(kept))


def best_of(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each stage's best time per note over ``runs``; mentions summed."""
    best = {name: min(run[name] for run in runs) for name in runs[0]}
    best["mentions"] = sum(run["mentions"] for run in runs)
    best["named"] = sum(run["named"] for run in runs)
    return best


def report(title: str, best: dict[str, float], count: int, prefilter_per_note: float,
           pass_rate: float, cores: int) -> None:
    """Print one variant's stages per passing note and its scoring-only ceiling."""
    best = dict(best)
    mentions = int(best.pop("mentions"))
    named = int(best.pop("named"))
    whole = best.pop("(whole reading, again)")
    total = sum(best.values())
    print(f"\n{title}: {count:,} notes, {mentions:,} mentions; {named / count:.0%} of them "
          "name a hazard term (the others stop after matching, as casenotes score does)")
    for name, seconds in best.items():
        print(f"{name:<28} {seconds * 1e6:8.1f} us  {seconds / total:6.1%}")
    print(f"{'total':<28} {total * 1e6:8.1f} us a passing note: finding + features + "
          "model (target <= 150)")
    print(f"{'(the reading in one call)':<28} {whole * 1e6:8.1f} us (notes naming a hazard; "
          "caches warm by then)")
    per_export_note = prefilter_per_note + pass_rate * total
    print(f"{'a note of the export':<28} {per_export_note * 1e6:8.1f} us (the prefilter for "
          f"every note, these stages for the {pass_rate:.0%} that pass)")
    print(f"scoring-only ceiling on {cores} cores: {cores / per_export_note:,.0f} notes/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) /
                        "casenotes-bench")
    parser.add_argument("--passages", action="store_true",
                        help="also time only the sentences holding a prefilter anchor")
    parser.add_argument("--neighbours", type=int, default=0,
                        help="sentences kept either side of one with an anchor (--passages)")
    parser.add_argument("--cores", type=int, default=2, help="cores for the ceiling")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    texts = [t for batch in read_texts(export(args.data, args.notes)) for t in batch]
    scorer = Scorer()
    could_match = scorer.finder.prefilter.could_match
    started = time.perf_counter()
    passing = [t for t in texts if could_match(t)]
    prefilter = time.perf_counter() - started
    pass_rate = len(passing) / len(texts)
    prefilter_per_note = prefilter / len(texts)
    print(f"{len(texts):,} notes, {len(passing):,} pass the prefilter ({pass_rate:.0%}); "
          f"prefilter {prefilter_per_note * 1e6:.1f} us a note")
    size = len(passing) // (args.repeat + 1)
    slices = [passing[i * size:(i + 1) * size] for i in range(args.repeat + 1)]
    variants = {"whole notes (as casenotes scores)": slices}
    if args.passages:
        cut = [[passages(t, could_match, args.neighbours) for t in part] for part in slices]
        share = sum(len(t) for part in cut for t in part) / sum(map(len, passing))
        variants[f"passages only (+-{args.neighbours} sentences, {share:.0%} of the "
                 "characters)"] = cut
    with fewer_collections():  # the collector's settings casenotes score runs with
        for title, (warm_up, *fresh) in variants.items():
            measure(title, warm_up, fresh, scorer, size, prefilter_per_note, pass_rate, args)
    return 0


def measure(title: str, warm_up: list[str], fresh: list[list[str]], scorer: Scorer, size: int,
            prefilter_per_note: float, pass_rate: float, args: argparse.Namespace) -> None:
    """Warm the caches on one slice, time the fresh slices once each, then the last again."""
    stage_times(scorer, warm_up)
    runs = [stage_times(scorer, part) for part in fresh]
    report(f"{title}, fresh notes", best_of(runs), size * len(fresh),
           prefilter_per_note, pass_rate, args.cores)
    again_runs = [stage_times(scorer, fresh[-1]) for _ in range(args.repeat)]
    again = {**best_of(again_runs), "mentions": again_runs[0]["mentions"],
             "named": again_runs[0]["named"]}
    report(f"{title}, seen notes (every cache warm)", again, size, prefilter_per_note,
           pass_rate, args.cores)

if __name__ == "__main__":
    sys.exit(main())
