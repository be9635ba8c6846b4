"""Two commits of casenotes, end to end, in turn: what a change did to ``casenotes score``.

    python benchmarks/versus.py OLD NEW [--notes 100000] [--runs 3] [--jobs 2] [--events]

Checks each commit out into a temporary worktree, compiles its reader core in place, and
runs ``casenotes score`` (CSV in, notes and mentions tables out as Parquet) with that commit's
code, OLD then NEW, ``--runs`` times over the realistic export of ``score.py``. Prints every
run's seconds and the medians, and checks that both commits wrote the same tables.
``--events`` also reads every note's events (``score --events``), for a change to the event
reader or its model; their tables are compared too, and differ when the model does.

This virtual machine's speed drifts by 10-30% within minutes, so two runs an hour apart
cannot tell a 10% change from the drift; runs in turn, on the same file, can. Needs git, a C
compiler and the bench extra (Cython: ``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from score import export

ROOT = Path(__file__).resolve().parent.parent


def worktree(commit: str, folder: Path) -> Path:
    """``commit`` checked out in ``folder``, its compiled core built in place."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(folder),
                    commit], check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-c", "from pathlib import Path; from hatch_build "
                           "import compile_extensions; compile_extensions(Path('.').resolve(), "
                           "None)"], cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"building {commit}'s reader core failed (exit {done.returncode}):\n"
                         f"{done.stderr[-2000:]}\ninstall the bench extra "
                         "(pip install -e '.[bench]') and a C compiler")
    return folder


def score_once(code: Path, source: Path, out: Path, jobs: int, events: bool = False) -> float:
    """Seconds ``casenotes score`` takes with the package in ``code``."""
    out.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "casenotes", "score", str(source), "--notes",
               str(out / "notes.parquet"), "--mentions", str(out / "mentions.parquet"),
               "--jobs", str(jobs), "--quiet"]
    if events:
        command += ["--events", str(out / "events.parquet")]
    started = time.perf_counter()
    subprocess.run(command, env=environment, check=True, cwd=out)
    return time.perf_counter() - started


def same_tables(first: Path, second: Path, names: tuple[str, ...] = ("notes.parquet",
                                                                     "mentions.parquet"),
                ) -> bool:
    import pandas as pd

    return all(pd.read_parquet(first / name).equals(pd.read_parquet(second / name))
               for name in names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", help="the commit before the change")
    parser.add_argument("new", help="the commit after it")
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--events", action="store_true",
                        help="also read every note's events (score --events)")
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir()) / "casenotes-bench"
    folder.mkdir(exist_ok=True)
    source = export(folder, args.notes)
    with tempfile.TemporaryDirectory(prefix="casenotes-versus-") as scratch:
        base = Path(scratch)
        trees = {}
        try:
            for name, commit in (("old", args.old), ("new", args.new)):
                trees[name] = worktree(commit, base / name)
            seconds: dict[str, list[float]] = {"old": [], "new": []}
            for run in range(1, args.runs + 1):
                for name in ("old", "new"):
                    taken = score_once(trees[name], source, base / f"out-{name}", args.jobs,
                                       args.events)
                    seconds[name].append(taken)
                    print(f"run {run}  {name} ({getattr(args, name)})  {taken:.1f} s",
                          flush=True)
            old, new = (statistics.median(seconds[name]) for name in ("old", "new"))
            print(f"medians: {old:.1f} s -> {new:.1f} s ({(new - old) / old:+.0%}); "
                  f"{args.notes / new:,.0f} notes/s at {args.new}")
            equal = same_tables(base / "out-old", base / "out-new")
            print("notes and mentions tables " + ("identical" if equal else "DIFFER"))
            if args.events:
                print("events tables " + ("identical" if same_tables(
                    base / "out-old", base / "out-new", ("events.parquet",)) else "differ"))
            return 0 if equal else 1
        finally:
            for tree in trees.values():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(tree)], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
