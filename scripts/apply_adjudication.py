"""Add adjudicated mentions to the marked-up sources.

    python scripts/apply_adjudication.py

After the first labelling pass, every hazard word the lexicon found that the writer had not
marked became a candidate (``*.candidates.jsonl``: the note with the candidate wrapped, with
no model output). A second annotator decided each one from the text alone: a hazard mention
(with category, label and context per docs/labelling.md) or not. This script writes the
"mention" decisions (``data/samples/source/adjudication/*.decisions.jsonl``) into the
``*.marked.jsonl`` sources as ordinary markup. It is idempotent: a candidate that overlaps an
existing mark is skipped. Rebuild the splits afterwards with scripts/build_corpus.py.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_markup import CATEGORIES, CONTEXTS, LABELS, MARK

SOURCE = Path(__file__).resolve().parents[1] / "data" / "samples" / "source"


def plain_to_marked(marked: str) -> tuple[str, list[int | None]]:
    """The plain text and, for each plain offset, its offset in the marked text.

    Offsets inside an existing mark map to None, so nothing is ever marked twice.
    """
    plain: list[str] = []
    where: list[int | None] = []
    cursor = 0
    for match in MARK.finditer(marked):
        for i in range(cursor, match.start()):
            plain.append(marked[i])
            where.append(i)
        surface = match.group(1)
        plain.append(surface)
        where.extend([None] * len(surface))
        cursor = match.end()
    for i in range(cursor, len(marked)):
        plain.append(marked[i])
        where.append(i)
    where.append(len(marked))
    return "".join(plain), where


def main() -> int:
    decisions: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    added = skipped = 0
    for path in sorted((SOURCE / "adjudication").glob("*.decisions.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if row["decision"] != "mention":
                continue
            if (row["category"] not in CATEGORIES or row["label"] not in LABELS
                    or row["context"] not in CONTEXTS):
                raise SystemExit(f"{path.name}: bad decision {row}")
            note_id, span = row["cid"].rsplit("@", 1)
            start, end = (int(x) for x in span.split("-"))
            mark = f"{row['category']}|{row['label']}|{row['context']}"
            decisions[note_id].append((start, end, mark))
    for path in sorted(SOURCE.glob("*.marked.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        changed = False
        for number, line in enumerate(lines):
            if not line.strip():
                continue
            note = json.loads(line)
            todo = decisions.get(note["note_id"])
            if not todo:
                continue
            text = note["text"]
            for start, end, mark in sorted(todo, reverse=True):
                plain, where = plain_to_marked(text)
                positions = where[start:end]
                surface = plain[start:end]
                if (None in positions or any(c in surface for c in "[]|")
                        or surface != surface.strip() or not surface):
                    skipped += 1
                    continue
                first, last = positions[0], positions[-1]
                assert first is not None and last is not None
                assert text[first:last + 1] == surface
                text = f"{text[:first]}[[{surface}|{mark}]]{text[last + 1:]}"
                added += 1
            note["text"] = text
            lines[number] = json.dumps(note, ensure_ascii=False)
            changed = True
        if changed:
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"added {added} adjudicated mentions, skipped {skipped} (already marked or unsafe)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
