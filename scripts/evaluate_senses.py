"""What the lexicon's senses do to mention categories, against the gold of labelled notes.

    python scripts/evaluate_senses.py data/samples/train.jsonl [--show SENSE]

Reads each note with and without the ``senses`` section. Every mention whose category a sense
changes is counted, per change ("fire -> electrical"), as:
``to gold`` (the gold mention it overlaps has the new category), ``from gold`` (it had the old
one), ``neither`` (the gold says a third category) or ``no gold`` (no gold mention overlaps:
a found mention that the gold does not mark). The senses were chosen on the training split.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import replace

from casenotes.evaluation import read_labelled
from casenotes.lexicon import default_lexicon
from casenotes.nlp.reader import NoteReader

OUTCOMES = ("to gold", "from gold", "neither", "no gold")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="+", help="labelled notes (JSONL)")
    parser.add_argument("--show", metavar="CHANGE",
                        help="print the mentions of one change, e.g. 'fire -> electrical'")
    args = parser.parse_args()
    lexicon = default_lexicon()
    with_senses, without = NoteReader(lexicon), NoteReader(replace(lexicon, senses=()))
    tally: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for path in args.data:
        for note in read_labelled(path):
            read = with_senses.analyse(note.text, note.note_id).mentions
            plain = without.analyse(note.text, note.note_id).mentions
            for new, old in zip(read, plain, strict=True):
                if new.category == old.category:
                    continue
                gold = {m.category for m in note.mentions
                        if m.start < new.end and new.start < m.end}
                outcome = ("no gold" if not gold else "to gold" if new.category in gold
                           else "from gold" if old.category in gold else "neither")
                change = f"{old.category} -> {new.category}"
                tally[change][outcome] += 1
                if args.show == change:
                    left = note.text[max(0, new.start - 70):new.start].replace("\n", " ")
                    right = note.text[new.end:new.end + 40].replace("\n", " ")
                    print(f"{outcome:9} {note.note_id}: ...{left}[[{new.term}]]{right}...")
    print(f"{'change':28}" + "".join(f"{o:>11}" for o in OUTCOMES))
    for change, counts in sorted(tally.items()):
        print(f"{change:28}" + "".join(f"{counts[o]:>11}" for o in OUTCOMES))
    total = sum(tally.values(), Counter())
    print(f"{'all':28}" + "".join(f"{total[o]:>11}" for o in OUTCOMES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
