"""The ``casenotes`` command's entry point: before the command line loads, a run that will
score in several processes starts their fork server, whose loading (about a third of a
second: the scorer's imports, the reader) then overlaps the run's own start-up."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

#: Commands that score in a process pool (the report, unless given a run's tables), and how
#: their process count is given.
_POOL_COMMANDS = frozenset({"score", "report"})
_JOBS = ("--jobs", "-j")


def scores_in_processes(arguments: Sequence[str]) -> bool:
    """Whether a command line asks to score with more than one process: a pool command
    without ``--help`` and without ``--jobs 1``, on a machine with more than one core. A wrong
    guess costs only a fork server started for nothing (or not started early)."""
    if not arguments or arguments[0] not in _POOL_COMMANDS or "--help" in arguments:
        return False
    if arguments[0] == "report" and "--notes" in arguments:
        return False
    jobs = None
    for i, argument in enumerate(arguments):
        if argument in _JOBS and i + 1 < len(arguments):
            jobs = arguments[i + 1]
        elif argument.startswith("--jobs="):
            jobs = argument.removeprefix("--jobs=")
    if jobs is not None:
        return jobs.strip() != "1"
    return len(os.sched_getaffinity(0)) > 1 if hasattr(os, "sched_getaffinity") else (
        (os.cpu_count() or 1) > 1)


def main() -> None:
    """Run the command line, starting the scoring processes' fork server first if needed."""
    if sys.argv[1:2] and sys.argv[1] in _POOL_COMMANDS:
        # Scoring does no linear algebra: OpenBLAS's threads (started when numpy loads, in
        # every process) would only spin, 0.1-0.3 s of a core each run.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if scores_in_processes(sys.argv[1:]):
        from .lifetime import start_fork_server

        start_fork_server()
    from .cli import main as cli_main

    cli_main()
