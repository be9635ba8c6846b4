"""Convert hand-written marked-up notes into the labelled JSONL corpus, and check them.

Source files (``data/samples/source/*.marked.jsonl``) hold one note per line::

    {"note_id": "gas-0001", "voice": "gas_engineer",
     "text": "LGSR done. [[smell of gas|gas|risk|present]] reported"}

Each ``[[surface|category|label|context]]`` marks one hazard mention. Writers edit the
marked form; this script strips the markup and computes character offsets, so offsets can
never drift from the text.

Usage::

    python scripts/corpus_markup.py check FILE...      # validate, print counts
    python scripts/corpus_markup.py convert FILE... -o OUT.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

CATEGORIES = frozenset(
    {"asbestos", "carbon_monoxide", "gas", "damp_mould", "fire", "electrical",
     "structural", "water", "cold", "pests"}
)
LABELS = frozenset({"risk", "routine"})
CONTEXTS = frozenset(
    {"present", "negated", "hypothetical", "historical", "inspection",
     "administrative", "other_person"}
)
MARK = re.compile(r"\[\[([^\[\]|]+)\|([^\[\]|]+)\|([^\[\]|]+)\|([^\[\]|]+)\]\]")


class MarkupError(ValueError):
    """A marked-up note that cannot be converted."""


def unmark(note: dict[str, Any]) -> dict[str, Any]:
    """Return the labelled record for one marked-up note."""
    note_id = note.get("note_id")
    marked = note.get("text")
    if not isinstance(note_id, str) or not note_id:
        raise MarkupError(f"note without a string note_id: {sorted(note)}")
    if not isinstance(marked, str) or not marked.strip():
        raise MarkupError(f"{note_id}: 'text' must be a non-empty string")
    pieces: list[str] = []
    mentions: list[dict[str, Any]] = []
    cursor = 0
    length = 0
    for match in MARK.finditer(marked):
        plain = marked[cursor:match.start()]
        pieces.append(plain)
        length += len(plain)
        surface, category, label, context = (g.strip() for g in match.groups())
        if surface != match.group(1):
            raise MarkupError(f"{note_id}: surface {match.group(1)!r} has leading/trailing spaces")
        if category not in CATEGORIES:
            raise MarkupError(f"{note_id}: unknown category {category!r} in {match.group(0)!r}")
        if label not in LABELS:
            raise MarkupError(f"{note_id}: unknown label {label!r} in {match.group(0)!r}")
        if context not in CONTEXTS:
            raise MarkupError(f"{note_id}: unknown context {context!r} in {match.group(0)!r}")
        mentions.append({"start": length, "end": length + len(surface), "term": surface,
                         "category": category, "label": label, "context": context})
        pieces.append(surface)
        length += len(surface)
        cursor = match.end()
    pieces.append(marked[cursor:])
    text = "".join(pieces)
    if "[[" in text or "]]" in text:
        raise MarkupError(
            f"{note_id}: malformed markup left after conversion "
            "(need [[surface|category|label|context]])"
        )
    for m in mentions:
        assert text[m["start"]:m["end"]] == m["term"]
    record = {"note_id": note_id, "text": text, "mentions": mentions}
    if "voice" in note:
        record["voice"] = note["voice"]
    return record


def read_marked(path: Path) -> list[dict[str, Any]]:
    records = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            note = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MarkupError(f"{path}:{line_no}: not valid JSON ({exc})") from None
        try:
            records.append(unmark(note))
        except MarkupError as exc:
            raise MarkupError(f"{path}:{line_no}: {exc}") from None
    return records


def summarise(records: list[dict[str, Any]]) -> str:
    labels = Counter(m["label"] for r in records for m in r["mentions"])
    cats = Counter(m["category"] for r in records for m in r["mentions"])
    ctx = Counter(m["context"] for r in records for m in r["mentions"])
    n_m = sum(labels.values())
    share = labels["risk"] / n_m if n_m else 0.0
    return (f"notes={len(records)} mentions={n_m} risk_share={share:.2f} "
            f"no_mention_notes={sum(1 for r in records if not r['mentions'])}\n"
            f"  categories: {dict(cats.most_common())}\n  contexts: {dict(ctx.most_common())}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "convert"])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    try:
        for path in args.files:
            for record in read_marked(path):
                if record["note_id"] in seen:
                    raise MarkupError(f"{path}: duplicate note_id {record['note_id']!r}")
                seen.add(record["note_id"])
                records.append(record)
    except (MarkupError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summarise(records))
    if args.command == "convert":
        if args.output is None:
            print("error: convert needs -o OUT.jsonl", file=sys.stderr)
            return 2
        with args.output.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
