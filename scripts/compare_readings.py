"""Check that this checkout reads notes exactly as an earlier commit did.

    python scripts/compare_readings.py [--against 26404cd] [--realistic 5000]

Extracts the package of ``--against`` with ``git archive`` into a temporary folder, has it
analyse every sample note (and ``--realistic`` notes of the benchmark export) in a
subprocess, and compares its findings (mentions with their cues and windows, vulnerability
cues, timeline, cue matches, equipment) with this checkout's, note by note. Prints the count
of notes that differ (and the first few) and exits 1 if any do. Issue 9/10 rewrote the reading
(no spaCy ``Doc`` on the hot path); this is the check that it changed nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPLITS = ("train.jsonl", "dev.jsonl", "test.jsonl")

DUMP = """
import dataclasses, importlib.metadata as metadata, json, sys

# spaCy loads entry points of installed packages: hide this checkout's (they name its modules).
_all = metadata.entry_points


def _others(points):
    return metadata.EntryPoints(ep for ep in points if not ep.value.startswith("casenotes."))


def entry_points(**params):
    found = _all(**params)
    if isinstance(found, dict):  # all groups (Python < 3.12)
        return type(found)({group: _others(points) for group, points in found.items()})
    return _others(found)


metadata.entry_points = entry_points
from casenotes.pipeline import MentionFinder
finder = MentionFinder()
for line in sys.stdin:
    note_id, text = json.loads(line)
    found = finder.analyse(text, note_id)
    print(json.dumps(dataclasses.asdict(found)))
"""


def notes(realistic: int) -> list[tuple[str, str]]:
    out = [(str(record["note_id"]), record["text"]) for split in SPLITS
           for line in (ROOT / "data" / "samples" / split).read_text(encoding="utf-8").splitlines()
           for record in [json.loads(line)]]
    if realistic:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from score import export, read_texts

        path = export(Path(tempfile.gettempdir()) / "casenotes-bench", realistic)
        texts = [text for batch in read_texts(path) for text in batch]
        out.extend((f"realistic-{i}", text) for i, text in enumerate(texts))
    return out


def earlier_findings(commit: str, pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Findings of ``commit``'s package, run alone in a subprocess."""
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "old.tar"
        subprocess.run(["git", "archive", "--format=tar", "-o", str(archive), commit,
                        "casenotes"], cwd=ROOT, check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
        env = {**os.environ, "PYTHONPATH": folder}
        given = "".join(json.dumps(pair) + "\n" for pair in pairs)
        result = subprocess.run([sys.executable, "-c", DUMP], input=given, text=True,
                                capture_output=True, env=env, cwd=folder, check=False)
        if result.returncode:
            raise SystemExit(f"the earlier package failed:\n{result.stderr[-2000:]}")
        return [json.loads(line) for line in result.stdout.splitlines()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="26404cd", help="the commit to compare with")
    parser.add_argument("--realistic", type=int, default=5000,
                        help="also this many notes of the realistic benchmark export")
    args = parser.parse_args()
    from casenotes.nlp.pipeline import MentionFinder

    pairs = notes(args.realistic)
    before = earlier_findings(args.against, pairs)
    finder = MentionFinder()
    differing = []
    for (note_id, text), old in zip(pairs, before, strict=True):
        now = dataclasses.asdict(finder.analyse(text, note_id))
        if json.loads(json.dumps(now)) != old:
            differing.append(note_id)
    print(f"{len(pairs):,} notes; {len(differing):,} read differently from {args.against}")
    for note_id in differing[:10]:
        print(f"  {note_id}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
