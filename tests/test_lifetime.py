"""A run fails fast on a bad model, leaves no process behind when killed, and the next run
clears what a killed run left on disk. Through the real command line, default ``--jobs``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
FAST_MODEL = ROOT / "models" / "hazard-risk-v2"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "casenotes", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def _notes(path: Path, count: int) -> Path:
    sentences = ["T/C smell of gas by the meter, engineer booked.",
                 "Mould on the bedroom wall behind the wardrobe, baby in the room.",
                 "Electrician booked for the extractor fan, ref JOB-448213.",
                 "Rent paid in full, no repairs reported."]
    pd.DataFrame({"id": [f"n{i}" for i in range(count)],
                  "text": [" ".join(sentences[(i + k) % 4] for k in range(1 + i % 5))
                           for i in range(count)]}).to_csv(path, index=False)
    return path


def _bad_models(tmp_path: Path) -> dict[str, Path]:
    junk = tmp_path / "junk"
    shutil.copytree(FAST_MODEL, junk)
    (junk / "model.json").write_text("{not json", encoding="utf-8")
    tampered = tmp_path / "tampered"
    shutil.copytree(FAST_MODEL, tampered)
    weights = json.loads((tampered / "model.json").read_text(encoding="utf-8"))
    weights["calibration"][0] += 0.5
    (tampered / "model.json").write_text(json.dumps(weights), encoding="utf-8")
    not_a_model = tmp_path / "holiday-photos"
    not_a_model.mkdir()
    (not_a_model / "beach.txt").write_text("sand", encoding="utf-8")
    return {"missing": tmp_path / "nowhere", "not a model folder": not_a_model,
            "junk": junk, "tampered": tampered}


@pytest.mark.parametrize("case", ["missing", "not a model folder", "junk", "tampered"])
def test_a_bad_model_exits_1_in_one_line_before_anything_is_written(tmp_path: Path,
                                                                    case: str) -> None:
    source = _notes(tmp_path / "notes.csv", 50)
    out = tmp_path / "out"
    out.mkdir()
    result = _cli("score", str(source), "--notes", str(out / "notes.csv"), "--mentions",
                  str(out / "mentions.parquet"), "--model", str(_bad_models(tmp_path)[case]))
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr and "died" not in result.stderr
    assert list(out.iterdir()) == []


def _descendants(pid: int) -> set[int]:
    found, pending = set(), [pid]
    while pending:
        current = pending.pop()
        try:
            kids = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for kid in map(int, kids):
            found.add(kid)
            pending.append(kid)
    return found


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "zombie" not in state and "(dead)" not in state


@linux_only
def test_killing_a_run_leaves_no_casenotes_process_within_5_seconds(tmp_path: Path) -> None:
    source = _notes(tmp_path / "notes.csv", 40_000)
    run = subprocess.Popen(
        [sys.executable, "-m", "casenotes", "score", str(source), "--notes",
         str(tmp_path / "notes.parquet"), "--quiet"], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        helpers: set[int] = set()
        while time.monotonic() < deadline and len(helpers) < 3 and run.poll() is None:
            helpers |= _descendants(run.pid)  # fork server, workers, resource tracker
            time.sleep(0.2)
        assert run.poll() is None and len(helpers) >= 3, "the run ended before it was killed"
        time.sleep(1.0)
        helpers |= _descendants(run.pid)
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(map(_running, helpers)):
            time.sleep(0.1)
        assert [pid for pid in helpers if _running(pid)] == []
    finally:
        if run.poll() is None:
            run.kill()


@linux_only
def test_the_next_run_clears_the_partial_file_a_killed_run_left(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = tmp_path / f".notes.csv.partial-{dead.pid}"
    left.write_text("half a table", encoding="utf-8")
    mine = tmp_path / f".notes.csv.partial-{os.getpid()}"  # a live run's file is kept
    mine.write_text("in progress", encoding="utf-8")
    source = _notes(tmp_path / "in.csv", 5)
    result = _cli("score", str(source), "--notes", str(tmp_path / "notes.csv"), "-j", "1",
                  "--quiet")
    assert result.returncode == 0, result.stderr
    assert not left.exists() and mine.exists()
    assert len(pd.read_csv(tmp_path / "notes.csv")) == 5


def test_the_fork_server_builds_the_bundled_reader_once_for_every_scoring_process(
        python_prints: Callable[..., str]) -> None:
    """What the pool's fork server preloads: the scoring modules (not spaCy, which scoring
    does not use) and the bundled reader with its prefilter, the collector told to leave them
    be, so each scoring process forks with them built."""
    probe = ("import gc, sys; import casenotes._forkserver; "
             "preloaded = ('casenotes.engines.batch' in sys.modules and 'spacy' not in "
             "sys.modules), gc.get_freeze_count() > 0; "
             "from casenotes.nlp.reader import reader_for; reader = reader_for(); "
             "built = 'prefilter' in vars(reader); "
             "from casenotes.engines.batch import ScorerSpec, scorer_for; "
             "print(*preloaded, built, scorer_for(ScorerSpec()).finder.reader is reader)")
    assert python_prints(probe).split() == ["True", "True", "True", "True"]


@pytest.mark.parametrize(("arguments", "pool"), [
    (["score", "notes.csv", "--jobs", "2"], True),
    (["score", "notes.csv", "-j", "4", "--notes", "out.csv"], True),
    (["score", "notes.csv", "--jobs=3"], True),
    (["score", "notes.csv", "--jobs", "1"], False),
    (["score", "notes.csv", "-j", "1"], False),
    (["score", "--help"], False),
    (["report", "notes.csv", "-o", "r.html", "--jobs", "2"], True),
    (["report", "notes.csv", "-o", "r.html", "--notes", "n.csv", "--mentions", "m.csv"], False),
    (["mentions", "notes.csv", "-o", "m.csv"], False),
    (["--version"], False),
    ([], False),
])
def test_the_entry_point_starts_the_fork_server_only_for_runs_that_score_in_processes(
        arguments: list[str], pool: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """``casenotes`` starts the scoring processes' fork server before the command line loads,
    so its loading overlaps the run's start-up, when the command will score in processes."""
    from casenotes._entry import scores_in_processes

    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    assert scores_in_processes(arguments) is pool


def test_without_jobs_the_entry_point_counts_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    from casenotes._entry import scores_in_processes

    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0}, raising=False)
    assert not scores_in_processes(["score", "notes.csv"])
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    assert scores_in_processes(["score", "notes.csv"])


@linux_only
def test_a_scoring_run_has_its_fork_server_before_the_command_line_has_loaded(
        python_prints: Callable[..., str]) -> None:
    """The fork server is a child of the run before the command's code runs: started by the
    entry point, not when the first chunk is handed out."""
    probe = ("import os, sys, casenotes.cli as cli\n"
             "def report(*args, **kwargs):\n"
             "    kids = open(f'/proc/{os.getpid()}/task/{os.getpid()}/children').read().split()\n"
             "    print(len(kids))\n"
             "cli.main = report\n"
             "sys.argv = ['casenotes', 'score', 'notes.csv', '--jobs', '2']\n"
             "from casenotes._entry import main\n"
             "main()\n")
    # casenotes.cli is imported first here only to replace main; the entry point still starts
    # the server before it calls the command line.
    assert int(python_prints(probe).split()[-1]) >= 1


@pytest.mark.parametrize(("own", "expected"), [(None, "1"), ("4", "4")])
def test_a_scoring_command_keeps_openblas_to_one_thread_unless_told(
        own: str | None, expected: str, python_prints: Callable[..., str]) -> None:
    """Scoring does no linear algebra, and OpenBLAS's idle threads spun for 0.1-0.3 s of a core
    in every process; a user's own setting is kept."""
    code = ("import os, sys\n"
            "sys.argv = ['casenotes', 'score', '--help']\n"
            "from casenotes._entry import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(os.environ.get('OPENBLAS_NUM_THREADS'))\n")
    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if own is not None:
        environment["OPENBLAS_NUM_THREADS"] = own
    assert python_prints(code, environment).splitlines()[-1] == expected
