"""Build the labelled corpus splits from the hand-written marked-up sources.

    python scripts/build_corpus.py

Reads ``data/samples/source/*.marked.jsonl`` (see ``scripts/corpus_markup.py``) and writes
``data/samples/{train,dev,test}.jsonl``, and ``lexicon-dev.jsonl``: the dev notes of the
first writing pass, on which the lexicon was developed. The split is fixed by note: a note
goes to test when the first 8 hex digits of SHA-256(note_id) fall in the lowest 20% of the
range, to dev when they fall in the next 15%, else to train. Adding notes never moves an
existing note. Each record gains ``voice_family`` (scripts/voice_families.py), the group of
writing voices that scripts/leave_one_voice_out.py holds out in turn.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_markup import read_marked, summarise
from voice_families import voice_family

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "samples" / "source"
OUT = ROOT / "data" / "samples"
TEST_SHARE, DEV_SHARE = 0.20, 0.15
#: The first writing pass, on which the lexicon was developed (issue 1/6): its dev notes form
#: ``lexicon-dev.jsonl``. Later batches were written under a "mark every hazard word, however
#: elliptical" instruction, so they are reported separately.
FIRST_PASS = ("repairs", "gas", "asbestos", "damp", "tenancy", "welfare", "mixed")


def split_of(note_id: str) -> str:
    """The fixed split of a note, from a hash of its id."""
    bucket = int(hashlib.sha256(note_id.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    if bucket < TEST_SHARE:
        return "test"
    if bucket < TEST_SHARE + DEV_SHARE:
        return "dev"
    return "train"


def main() -> int:
    splits: dict[str, list[dict[str, object]]] = {"train": [], "dev": [], "test": []}
    lexicon_dev: list[dict[str, object]] = []
    seen: set[str] = set()
    for path in sorted(SOURCE.glob("*.marked.jsonl")):
        for record in read_marked(path):
            note_id = str(record["note_id"])
            if note_id in seen:
                raise SystemExit(f"duplicate note_id {note_id!r} in {path.name}")
            seen.add(note_id)
            record["voice_family"] = voice_family(str(record.get("voice", "")))
            splits[split_of(note_id)].append(record)
            if split_of(note_id) == "dev" and path.name.split(".")[0] in FIRST_PASS:
                lexicon_dev.append(record)
    for name, records in [*splits.items(), ("lexicon-dev", lexicon_dev)]:
        with (OUT / f"{name}.jsonl").open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        print(f"{name}: {summarise(records)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
