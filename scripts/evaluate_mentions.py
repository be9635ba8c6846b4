"""Mention-detection recall, precision and look-alike hits on a labelled split.

    python scripts/evaluate_mentions.py data/samples/dev.jsonl [--show-misses]

Recall is measured against the mentions the writers marked: mentions added later by
adjudication were picked from the lexicon's own hits, so they are left out of the gold here
(pass --with-adjudicated to include them). The lexicon was developed against the train and dev
splits; the test split was untouched by that work, so its figure is the honest one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from casenotes import MentionFinder
from casenotes.evaluation import (
    adjudicated_spans,
    evaluate_detection,
    read_labelled,
    writers_marks_only,
)

ADJUDICATION = Path(__file__).resolve().parents[1] / "data" / "samples" / "source" / "adjudication"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--show-misses", action="store_true",
                        help="print missed gold mentions and spurious ones (synthetic data only)")
    parser.add_argument("--with-adjudicated", action="store_true",
                        help="keep mentions added by adjudication in the gold")
    args = parser.parse_args(argv)
    finder = MentionFinder()
    notes = [note for path in args.files for note in read_labelled(path)]
    if not args.with_adjudicated:
        notes = writers_marks_only(notes, adjudicated_spans(ADJUDICATION))
    findings = finder.analyse_many((note.note_id, note.text) for note in notes)
    report = evaluate_detection(notes, (f.mentions for f in findings), finder.lexicon)
    print(f"files: {', '.join(args.files)}; gold: "
          f"{'writers and adjudication' if args.with_adjudicated else 'writers marks only'}")
    print(report.table())
    if args.show_misses:
        for note_id, gold in report.misses:
            print(f"MISS {note_id} {gold.category:16} {gold.term!r}")
        for note_id, mention in report.lookalike_hit_list:
            print(f"LOOKALIKE {note_id} {mention.term!r}")
        for note_id, mention in report.spurious:
            print(f"EXTRA {note_id} {mention.category:16} {mention.term!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
