"""Corrupt an export, score it, and check that no row is lost and every bad row is marked.

    python scripts/fault_injection.py                    # 1,000,000 rows, 1% corrupted
    python scripts/fault_injection.py --rows 50000       # a quick look

Writes a synthetic export (``benchmarks/synthetic.py``) and corrupts a share of its rows, in
turn: broken quoting, wrong column counts, binary junk, a row in another encoding (cp1252),
NUL bytes. Then:

1. ``casenotes score`` it and check rows in == rows in the notes table, every corrupted row
   has status=error and a reason, and no clean row does;
2. start the same run again and SIGKILL it midway: no output file may exist that could be
   taken for a complete one (only a hidden ``.partial`` file);
3. rerun it and check the notes and mentions tables are byte-identical to the first run's.

Prints the figures ``docs/reliability.md`` quotes; ``--json FILE`` keeps them.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synthetic

KINDS = ("broken quoting", "wrong column count", "binary junk", "wrong encoding", "NUL bytes")


def line_of(row: dict[str, str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row.values())
    return buffer.getvalue().encode("utf-8")


def corrupt(row: dict[str, str], kind: str) -> bytes:
    """One export row, damaged the way broken exports damage them."""
    values = list(row.values())
    if kind == "broken quoting":
        values[3] = '"' + row["description"].replace('"', "") + '" and then some'
        return ",".join(v if i == 3 else f'"{v}"' for i, v in enumerate(values)).encode() + b"\n"
    if kind == "wrong column count":
        return line_of(row).rstrip(b"\n") + b",extra,fields\n"
    if kind == "binary junk":
        clean = line_of(row)
        cut = clean.index(b",", clean.index(b",", clean.index(b",") + 1) + 1) + 1
        return clean[:cut] + b"\xff\xfe\x9c\x01\x80" + clean[cut:]
    if kind == "wrong encoding":
        damaged = dict(row, description="Caf\u00e9 owner \u00a320 \u2013 " + row["description"])
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(damaged.values())
        return buffer.getvalue().encode("cp1252", errors="replace")
    return line_of(dict(row, description=row["description"][:20] + "\x00" +
                        row["description"][20:]))


def write_export(path: Path, rows: int, share: float, seed: int) -> dict[str, str]:
    """The export, and the id -> kind of every corrupted row."""
    rng = random.Random(seed)
    damaged: dict[str, str] = {}
    with path.open("wb") as out:
        out.write(b"id,targetId,createdAt,description,categorisation\n")
        for number, row in enumerate(synthetic.notes(rows, seed=seed)):
            if rng.random() < share:
                kind = KINDS[len(damaged) % len(KINDS)]
                damaged[row["id"]] = kind
                out.write(corrupt(row, kind))
            else:
                out.write(line_of(row))
            if number and number % 200_000 == 0:
                print(f"  written {number:,} rows", file=sys.stderr, flush=True)
    return damaged


def score(source: Path, folder: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "casenotes", "score", str(source), "--notes",
            str(folder / "notes.csv"), "--mentions", str(folder / "mentions.csv"), "--jobs",
            str(jobs), "--quiet"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures: dict[str, object] = {"rows": args.rows, "share": args.share}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "export.csv"
        print(f"writing {args.rows:,} rows, {args.share:.0%} corrupted ...", flush=True)
        damaged = write_export(source, args.rows, args.share, args.seed)
        figures["corrupted"] = len(damaged)
        figures["corrupted_by_kind"] = {k: sum(v == k for v in damaged.values()) for k in KINDS}

        first = work / "first"
        first.mkdir()
        started = time.perf_counter()
        subprocess.run(score(source, first, args.jobs), check=True)
        figures["seconds"] = round(time.perf_counter() - started, 1)
        notes = pd.read_csv(first / "notes.csv", dtype=str, keep_default_na=False)
        figures["rows_out"] = len(notes)
        errors = notes[notes["status"] == "error"]
        marked = set(errors["note_id"])
        figures["corrupted_marked_error"] = sum(1 for i in damaged if i in marked)
        figures["corrupted_with_reason"] = int((errors["error"] != "").sum())
        figures["clean_rows_marked_error"] = int(sum(1 for i in marked if i not in damaged))
        print(json.dumps(figures, indent=1), flush=True)

        killed = work / "killed"
        killed.mkdir()
        process = subprocess.Popen(score(source, killed, args.jobs))
        time.sleep(max(3.0, figures["seconds"] * 0.4))  # type: ignore[operator]
        process.send_signal(signal.SIGKILL)
        process.wait()
        left = sorted(p.name for p in killed.iterdir())
        figures["after_sigkill"] = left
        figures["sigkill_left_complete_looking_file"] = any(not n.startswith(".") for n in left)

        again = work / "again"
        again.mkdir()
        subprocess.run(score(source, again, args.jobs), check=True)
        figures["rerun_identical"] = all(
            (first / name).read_bytes() == (again / name).read_bytes()
            for name in ("notes.csv", "mentions.csv"))
    ok = (figures["rows_out"] == args.rows
          and figures["corrupted_marked_error"] == figures["corrupted"]
          and figures["clean_rows_marked_error"] == 0
          and not figures["sigkill_left_complete_looking_file"]
          and figures["rerun_identical"])
    figures["passed"] = ok
    print(json.dumps(figures, indent=1), flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
