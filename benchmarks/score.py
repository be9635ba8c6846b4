"""End-to-end batch scoring benchmark: casenotes score vs a spaCy + negspacy reference vs the floor.

    python benchmarks/score.py                      # 200,000 notes, all cores
    python benchmarks/score.py --notes 20000        # a quick look
    python benchmarks/score.py --scale 2000000      # also peak RSS at 2M notes vs the first run

Generates N synthetic notes (``benchmarks/synthetic.py``: median ~60 words, long tail to
2,000, about 1 in 5 holding a hazard sentence) as a CSV export, then measures, on the same
file and cores:

* ``casenotes score`` end to end as a user runs it: CSV in, notes and mentions tables out
  (Parquet), ``--jobs`` = cores, in a subprocess;
* the reference: ``spacy.blank("en")`` + sentencizer + an entity ruler holding the same
  hazard phrases + negspacy's NegEx, over the same texts with ``nlp.pipe(n_process=cores)``
  (needs ``pip install negspacy``);
* the floor: reading the CSV and one lower-case + Aho-Corasick pass per note (casenotes'
  prefilter), over the same cores;

and prints notes/s, peak RSS (the process and its children, sampled from /proc) and the
ratios. ``--pure-python`` also times ``casenotes score`` with ``CASENOTES_PURE_PYTHON=1`` (the
reader without its compiled core). Needs Linux for the RSS sampling.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing import get_context
from pathlib import Path

import realistic
import synthetic

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------- measuring


def _tree_rss(pid: int) -> int:
    """Resident set size in bytes of a process and all its descendants (Linux /proc)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as kids:
                pending.extend(int(k) for k in kids.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


class PeakRSS:
    """Samples the RSS of a process tree every 20 ms in a thread; ``peak`` in bytes."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(self.pid))
            self._stop.wait(0.02)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def measure_command(command: list[str], environment: dict[str, str] | None = None,
                    ) -> tuple[float, int]:
    """Wall seconds and peak tree RSS of a subprocess (with ``environment`` added to this
    one's); fails loudly if it fails."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, **(environment or {})})
    with PeakRSS(process.pid) as rss:
        _, errors = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"command failed ({process.returncode}): {' '.join(command)}\n{errors}")
    return seconds, rss.peak


def measure_here(run: Callable[[], object]) -> tuple[float, int]:
    """Wall seconds and peak RSS of this process (and children it starts) while ``run`` runs."""
    started = time.perf_counter()
    with PeakRSS(os.getpid()) as rss:
        run()
    return time.perf_counter() - started, rss.peak


# --------------------------------------------------------------------------- the systems


def read_texts(path: Path, chunk: int = 10_000) -> Iterator[list[str]]:
    csv.field_size_limit(2**31 - 1)
    with path.open(encoding="utf-8", newline="") as handle:
        batch: list[str] = []
        for row in csv.DictReader(handle):
            batch.append(row["description"])
            if len(batch) >= chunk:
                yield batch
                batch = []
        if batch:
            yield batch


def _floor_count(texts: list[str]) -> int:
    from casenotes.nlp.pipeline import default_finder

    could_match = default_finder().prefilter.could_match
    return sum(could_match(text) for text in texts)


def floor(path: Path, jobs: int) -> int:
    """Read the CSV and run the prefilter over every note, across ``jobs`` processes."""
    with get_context("forkserver").Pool(jobs) as pool:
        return sum(pool.imap(_floor_count, read_texts(path)))


def reference(path: Path, jobs: int) -> int:
    """spaCy + entity ruler (the same hazard phrases) + negspacy NegEx over every note."""
    import spacy
    from negspacy.negation import Negex  # noqa: F401 - registers the "negex" factory
    from negspacy.termsets import termset

    from casenotes.lexicon import default_lexicon

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns([  # type: ignore[attr-defined]
        {"label": term.category.upper(), "pattern": phrase, "id": term.id}
        for term in default_lexicon().hazards
        for phrase in (*term.phrases, *term.misspellings, *term.abbreviations)
    ])
    labels = sorted({t.category.upper() for t in default_lexicon().hazards})
    nlp.add_pipe("negex", config={"ent_types": labels,
                                  "neg_termset": termset("en_clinical").get_patterns()})
    texts = (text for batch in read_texts(path) for text in batch)
    found = 0
    for doc in nlp.pipe(texts, n_process=jobs, batch_size=500):
        found += len(doc.ents)
    return found


def casenotes_score(path: Path, jobs: int, out: Path, model: str = "fast",
                    events: bool = False) -> list[str]:
    return [sys.executable, "-m", "casenotes", "score", str(path), "--notes",
            str(out / "notes.parquet"), "--mentions", str(out / "mentions.parquet"),
            "--jobs", str(jobs), "--quiet", "--model", model,
            *(["--events", str(out / "events.parquet")] if events else [])]


def holding_terms(out: Path) -> float:
    """Share of notes in which casenotes found at least one hazard mention."""
    import pandas as pd

    notes = pd.read_parquet(out / "notes.parquet", columns=["n_mentions"])
    return float((notes["n_mentions"] > 0).mean())


# ------------------------------------------------------------------------------- main


EXPORTS = {"realistic": realistic.write_csv, "synthetic": synthetic.write_csv}


def export(folder: Path, count: int, kind: str = "realistic") -> Path:
    path = folder / f"{kind}-{count}.csv"
    if not path.exists():
        print(f"writing {count:,} {kind} notes to {path} ...", file=sys.stderr, flush=True)
        EXPORTS[kind](path, count)
    return path


def measure_round(args: argparse.Namespace, source: Path,
                  runs: list[tuple[str, bool, bool]],
                  record: Callable[[str, float, int, int], None],
                  shares: dict[str, dict[str, float]]) -> None:
    """Time each system once on ``source``: the casenotes runs, the floor, the reference."""
    for model, events, pure in runs:
        name = ("casenotes score" + ("" if model == "fast" else f" --model {model}")
                + (" --events" if events else "") + (" (pure Python)" if pure else ""))
        with tempfile.TemporaryDirectory() as out:
            seconds, rss = measure_command(
                casenotes_score(source, args.jobs, Path(out), model, events),
                {"CASENOTES_PURE_PYTHON": "1"} if pure else None)
            record(name, seconds, rss, args.notes)
            share = holding_terms(Path(out))
        shares[name] = {"share_with_mentions": round(share, 3)}
        print(f"  {share:.0%} of notes hold a hazard mention", flush=True)
    passing = 0

    def run_floor() -> None:
        nonlocal passing
        passing = floor(source, args.jobs)
    seconds, rss = measure_here(run_floor)
    record("floor (read + prefilter)", seconds, rss, args.notes)
    print(f"  {passing / args.notes:.0%} of notes pass the prefilter", flush=True)
    shares["floor (read + prefilter)"] = {"share_passing_prefilter": round(
        passing / args.notes, 3)}
    if not args.skip_reference:
        seconds, rss = measure_here(lambda: reference(source, args.jobs))
        record("spaCy + negspacy reference", seconds, rss, args.notes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=200_000, help="notes to generate")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--scale", type=int, default=0,
                        help="also run casenotes score on this many notes and compare peak RSS")
    parser.add_argument("--skip-reference", action="store_true",
                        help="skip the spaCy + negspacy reference (slow)")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) /
                        "casenotes-bench", help="where the generated CSVs are kept")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--export", choices=sorted(EXPORTS), default="realistic",
                        help="realistic (trades, appliances, refs, templated duplicates) or "
                        "synthetic (the best case: everyday sentences free of lexicon terms)")
    parser.add_argument("--models", default="fast", help="comma-separated --model values to "
                        "time: fast, accurate (the cascade), encoder (needs casenotes[accurate])")
    parser.add_argument("--events", action="store_true", help="also time each model with "
                        "--events (each note's events for the clock)")
    parser.add_argument("--pure-python", action="store_true", help="also time the default "
                        "model with CASENOTES_PURE_PYTHON=1 (the reader without its compiled "
                        "core, as an install without a C compiler reads)")
    parser.add_argument("--rounds", type=int, default=1, help="measure every system this "
                        "many times, round after round, and report each one's fastest round "
                        "(and its highest peak RSS): a shared machine's speed drifts")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    source = export(args.data, args.notes, args.export)
    results: dict[str, dict[str, float]] = {}
    shares: dict[str, dict[str, float]] = {}

    def record(name: str, seconds: float, rss: int, count: int) -> None:
        best = results.get(name)
        if best is None or seconds < best["seconds"]:
            results[name] = {"seconds": round(seconds, 2), "notes_per_s": round(count / seconds),
                             "peak_rss_mb": round(rss / 2**20)}
        results[name]["peak_rss_mb"] = max(results[name]["peak_rss_mb"], round(rss / 2**20))
        print(f"{name:<28} {count / seconds:>10,.0f} notes/s {rss / 2**20:>8,.0f} MB  "
              f"({seconds:,.1f} s)", flush=True)

    print(f"{args.notes:,} {args.export} notes, {args.jobs} processes", flush=True)
    runs = [(model, events, False) for model in args.models.split(",")
            for events in ((False, True) if args.events else (False,))]
    runs += [("fast", False, True)] if args.pure_python else []
    for number in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"-- round {number} of {args.rounds}", flush=True)
        measure_round(args, source, runs, record, shares)
    if args.rounds > 1:
        print(f"-- fastest of {args.rounds} rounds each (peak RSS: the highest)", flush=True)
        for name, figures in results.items():
            print(f"{name:<28} {figures['notes_per_s']:>10,.0f} notes/s "
                  f"{figures['peak_rss_mb']:>8,.0f} MB  ({figures['seconds']:,.1f} s)")
    for name, extra in shares.items():
        results[name].update(extra)
    if "casenotes score" not in results:
        results["casenotes score"] = results[next(iter(results))]
    if not args.skip_reference:
        ratio = (results["casenotes score"]["notes_per_s"]
                 / results["spaCy + negspacy reference"]["notes_per_s"])
        print(f"casenotes / reference: {ratio:.1f}x", flush=True)
    print(f"casenotes / floor: {results['casenotes score']['notes_per_s'] / results['floor (read + prefilter)']['notes_per_s']:.2f}")  # noqa: E501
    if args.scale:
        large = export(args.data, args.scale)
        with tempfile.TemporaryDirectory() as out:
            seconds, rss = measure_command(casenotes_score(large, args.jobs, Path(out)))
            record(f"casenotes score {args.scale:,}", seconds, rss, args.scale)
        growth = rss / (results["casenotes score"]["peak_rss_mb"] * 2**20) - 1
        print(f"peak RSS at {args.scale:,} notes vs {args.notes:,}: {growth:+.1%}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
