"""Relabel the earlier marked-up batches to inventory v2 (docs/labelling.md), recording each change.

    python scripts/relabel_v2.py            # rewrite data/samples/source/*.marked.jsonl
    python scripts/relabel_v2.py --dry-run  # only print what would change

Two kinds of change, both logged to ``data/samples/source/relabel_v2.log.jsonl``:

1. **Equipment is context.** A marked span that the v2 lexicon finds as equipment, a trade or
   a procedure (boiler, electrician, LGSR) and finds no hazard mention overlapping is
   unmarked (``drop_equipment``). Where the v2 lexicon finds a fault phrase that contains the
   marked span ("boiler" inside "boiler broken down"), the mark grows to that phrase with its
   label kept (``extend_to_fault_phrase``).
   A marked span lying inside a v2 word-sense look-alike ("cold snap", "frost protection",
   "cold weather alert") is unmarked too (``drop_lookalike``): weather and idioms are not
   hazards under v2.
2. **The note's last word decides.** Adjudicated decisions on notes whose own later text says
   a hazard was fixed or not found
   (``adjudication/v2_outcome.decisions.jsonl``: ``resolved`` or ``live`` per note and
   category) turn every risk mark of a resolved hazard into routine (context historical,
   ``resolved_in_note``).
3. **Risk carried only by equipment.** Where step 1 unmarks every risk mark of a hazard
   ("«socket» hanging off the wall"), an adjudicator read the note
   (``adjudication/v2_lost.candidates.jsonl``) and either marked the words that name the
   hazard or its sign under v2 (``add_v2_mention``) or found no v2 hazard (nothing added):
   ``adjudication/v2_lost.decisions.jsonl``.

Only batches written before v2 are rewritten; the v2 batches (``v2_*.marked.jsonl``) were
written to the new rules. The script is idempotent: a second run changes nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_markup import unmark

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "samples" / "source"
LOG = SOURCE / "relabel_v2.log.jsonl"
DECISIONS = SOURCE / "adjudication" / "v2_outcome.decisions.jsonl"
LOST = SOURCE / "adjudication" / "v2_lost.decisions.jsonl"


def render(text: str, marks: list[dict[str, object]]) -> str:
    out, cursor = [], 0
    for m in sorted(marks, key=lambda m: int(m["start"])):  # type: ignore[arg-type]
        start, end = int(m["start"]), int(m["end"])  # type: ignore[arg-type]
        out.append(text[cursor:start])
        out.append(f"[[{text[start:end]}|{m['category']}|{m['label']}|{m['context']}]]")
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _lookalike_patterns(lexicon: Any) -> list[re.Pattern[str]]:
    """Whole-word patterns of every hazard look-alike (case-insensitive and cased)."""
    def whole(phrases: set[str], flags: int) -> re.Pattern[str]:
        body = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
        return re.compile(rf"(?<!\w)(?:{body})(?!\w)", flags)

    return [whole({p for t in lexicon.hazards for p in t.lookalikes}, re.IGNORECASE),
            whole({p for t in lexicon.hazards for p in t.lookalikes_cased}, 0)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    from casenotes.nlp.pipeline import MentionFinder

    finder = MentionFinder()
    lookalikes = _lookalike_patterns(finder.lexicon)
    resolved: set[tuple[str, str]] = set()
    if DECISIONS.exists():
        for line in DECISIONS.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row["decision"] == "resolved":
                    resolved.add((row["note_id"], row["category"]))
    additions: dict[str, list[dict[str, object]]] = {}
    if LOST.exists():
        for line in LOST.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row["decision"] == "mention":
                    note_id, category = str(row["cid"]).split("#")
                    for added in row["mentions"]:
                        additions.setdefault(note_id, []).append({**added, "category": category})
    log: list[dict[str, object]] = []
    for path in sorted(SOURCE.glob("*.marked.jsonl")):
        if path.name.startswith("v2_"):
            continue
        lines_out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            note = json.loads(line)
            record = unmark(note)
            text, marks = record["text"], record["mentions"]
            found = finder.analyse(text, note["note_id"])
            mentions = [(m.start, m.end, m.category) for m in found.mentions]
            equipment = [(e.start, e.end) for e in found.equipment]
            kept: list[dict[str, object]] = []
            adjudicated = {(str(a["phrase"]), str(a["category"]))
                           for a in additions.get(note["note_id"], [])}
            for mark in marks:
                span = (int(mark["start"]), int(mark["end"]))  # type: ignore[arg-type]
                if (str(mark["term"]), str(mark["category"])) in adjudicated:
                    kept.append(mark)  # an adjudicator's v2 mark (step 3) stays as decided
                    continue
                hits = [m for m in mentions if overlaps(span, m[:2])]
                is_equipment = any(e[0] <= span[0] and span[1] <= e[1] for e in equipment)
                change = {"note_id": note["note_id"], "file": path.name, "start": span[0],
                          "end": span[1], "term": mark["term"], "category": mark["category"],
                          "label": mark["label"]}
                if not hits and is_equipment:
                    log.append({**change, "change": "drop_equipment"})
                    continue
                if not hits and any(m.start() <= span[0] and span[1] <= m.end()
                                    for pattern in lookalikes for m in pattern.finditer(text)):
                    log.append({**change, "change": "drop_lookalike"})
                    continue
                grow = [m for m in hits if m[0] <= span[0] and span[1] <= m[1] and m[:2] != span]
                if grow and not any(
                        overlaps(grow[0][:2], (int(o["start"]), int(o["end"])))  # type: ignore[arg-type]
                        for o in marks if o is not mark):
                    mark = {**mark, "start": grow[0][0], "end": grow[0][1],
                            "term": text[grow[0][0]:grow[0][1]]}
                    log.append({**change, "change": "extend_to_fault_phrase",
                                "new_term": mark["term"]})
                if (note["note_id"], mark["category"]) in resolved and mark["label"] == "risk":
                    mark = {**mark, "label": "routine", "context": "historical"}
                    log.append({**change, "change": "resolved_in_note"})
                kept.append(mark)
            for added in additions.get(note["note_id"], []):
                start = -1
                for _ in range(int(added.get("occurrence", 1))):
                    start = text.find(str(added["phrase"]), start + 1)
                if start < 0:
                    raise SystemExit(f"{note['note_id']}: phrase {added['phrase']!r} not found")
                span = (start, start + len(str(added["phrase"])))
                if any(overlaps(span, (int(o["start"]), int(o["end"])))  # type: ignore[arg-type]
                       for o in kept):
                    continue
                kept.append({"start": span[0], "end": span[1], "term": added["phrase"],
                             "category": added["category"], "label": added["label"],
                             "context": added["context"]})
                log.append({"note_id": note["note_id"], "file": path.name, "start": span[0],
                            "end": span[1], "term": added["phrase"],
                            "category": added["category"], "label": added["label"],
                            "change": "add_v2_mention"})
            note["text"] = render(text, kept)
            lines_out.append(json.dumps(note, ensure_ascii=False))
        if not args.dry_run:
            path.write_text("\n".join(lines_out) + "\n", encoding="utf-8")
    by_change: dict[str, int] = {}
    for row in log:
        by_change[str(row["change"])] = by_change.get(str(row["change"]), 0) + 1
    print(json.dumps(by_change))
    if not args.dry_run and log:  # a rerun on relabelled sources changes and logs nothing
        with LOG.open("w", encoding="utf-8") as out:
            for row in log:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
