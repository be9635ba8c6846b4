"""Mention-detection recall, precision and look-alike hits on a labelled split.

    python scripts/evaluate_mentions.py data/samples/dev.jsonl [--show-misses]

Recall is measured against the mentions the writers marked: mentions added later by
adjudication were picked from the lexicon's own hits, so they are left out of the gold here
(pass --with-adjudicated to include them). The lexicon was developed against the train and dev
splits; the test split was untouched by that work, so its figure is the honest one. The last
line counts the gold risk hazards (note and category, the whole gold) for which no mention of
that category is found: no reader can flag them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from casenotes import MentionFinder
from casenotes.evaluation import (
    LabelledNote,
    adjudicated_spans,
    evaluate_detection,
    gold_hazards,
    read_labelled,
    writers_marks_only,
)
from casenotes.types import NoteFindings

ADJUDICATION = Path(__file__).resolve().parents[1] / "data" / "samples" / "source" / "adjudication"


def unfound_risk_hazards(notes: list[LabelledNote], findings: list[NoteFindings]
                         ) -> tuple[int, int]:
    """Gold risk hazards (note, category; the whole gold) for which the lexicon finds no
    mention of that category in the note: no reader can flag them."""
    unfound = total = 0
    for note, found in zip(notes, findings, strict=True):
        categories = {m.category for m in found.mentions}
        for category, is_risk in gold_hazards(note).items():
            total += is_risk
            unfound += is_risk and category not in categories
    return unfound, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--show-misses", action="store_true",
                        help="print missed gold mentions and spurious ones (synthetic data only)")
    parser.add_argument("--with-adjudicated", action="store_true",
                        help="keep mentions added by adjudication in the gold")
    args = parser.parse_args(argv)
    finder = MentionFinder()
    labelled = [note for path in args.files for note in read_labelled(path)]
    notes = (labelled if args.with_adjudicated
             else writers_marks_only(labelled, adjudicated_spans(ADJUDICATION)))
    findings = list(finder.analyse_many((note.note_id, note.text) for note in notes))
    report = evaluate_detection(notes, (f.mentions for f in findings), finder.lexicon)
    print(f"files: {', '.join(args.files)}; gold: "
          f"{'writers and adjudication' if args.with_adjudicated else 'writers marks only'}")
    print(report.table())
    unfound, risk_hazards = unfound_risk_hazards(labelled, findings)
    print(f"risk hazards with no mention of their category  {unfound} of {risk_hazards}")
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
