"""Agreement between the gold labels and a second, independent annotator on the dev split.

    python scripts/annotator_agreement.py

The second annotator saw each dev note written before the hard-case batches (292 notes) with
its gold mention spans wrapped (no labels, no model output) and labelled every mention risk or
routine
(``data/samples/source/adjudication/dev_second_annotator.labels.jsonl``). The figures are a
ceiling for what a classifier can be expected to reach on these labels.

It also puts the second annotator in the model's place, end to end: on the same notes, every
mention casenotes finds takes the second annotator's label of the gold mention it overlaps
most (routine when it overlaps none, as if a person dismissed every spurious find), and the
end-to-end risk F1 is computed exactly as ``casenotes evaluate`` computes it. That is the
figure a careful person would reach with casenotes' mention finding, beside the bundled
model's on the same notes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score

from casenotes.evaluation import LabelledNote, overlaps, read_labelled, risk_figures

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "data" / "samples" / "source" / "adjudication" / "dev_second_annotator.labels.jsonl"
#: The gold of those notes as it was when the second annotator labelled them (inventory v1):
#: relabelling to v2 changed spans, so agreement is measured against the gold they saw.
V1_GOLD = LABELS.with_name("dev_second_annotator.v1_gold.jsonl")


def agreement() -> dict[str, float]:
    notes = {n.note_id: n for n in read_labelled(V1_GOLD)}
    gold: list[str] = []
    second: list[str] = []
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        note = notes[row["note_id"]]
        if len(row["labels"]) != len(note.mentions):
            raise SystemExit(f"{row['note_id']}: label count differs from the gold mentions")
        gold += [m.label for m in note.mentions]
        second += row["labels"]
    return {
        "mentions": len(gold),
        "accuracy": round(float(accuracy_score(gold, second)), 4),
        "cohen_kappa": round(float(cohen_kappa_score(gold, second)), 4),
        "risk_f1": round(float(f1_score(gold, second, pos_label="risk")), 4),
        "macro_f1": round(float(f1_score(gold, second, average="macro")), 4),
    }


def second_labels() -> dict[str, list[str]]:
    return {row["note_id"]: row["labels"] for row in map(
        json.loads, LABELS.read_text(encoding="utf-8").splitlines())}


def person_in_the_loop() -> dict[str, float]:
    """End-to-end risk F1 with the second annotator as the classifier, and the model's."""
    from dataclasses import replace

    from casenotes.scoring import Scorer

    labels = second_labels()
    notes = [n for n in read_labelled(V1_GOLD) if n.note_id in labels]
    scored = list(Scorer().score_notes((n.note_id, n.text) for n in notes))

    def person(note: LabelledNote, mention_start: int, mention_end: int) -> str:
        best, label = 0, "routine"
        for gold, second in zip(note.mentions, labels[note.note_id], strict=True):
            if overlaps(gold.start, gold.end, mention_start, mention_end):
                shared = min(gold.end, mention_end) - max(gold.start, mention_start)
                if shared > best:
                    best, label = shared, second
        return label

    by_person = [replace(result, mentions=tuple(
        replace(m, label=(label := person(note, m.mention.start, m.mention.end)),
                risk_probability=1.0 if label == "risk" else 0.0)
        for m in result.mentions)) for note, result in zip(notes, scored, strict=True)]
    model, human = risk_figures(notes, scored), risk_figures(notes, by_person)
    return {"notes": len(notes), "model_risk_f1": round(model.risk_f1, 4),
            "person_risk_f1": round(human.risk_f1, 4),
            "person_risk_precision": round(human.risk_precision, 4),
            "person_risk_recall": round(human.risk_recall, 4)}


if __name__ == "__main__":
    print(json.dumps({**agreement(), "end_to_end_with_casenotes_mentions": person_in_the_loop()},
                     indent=1))
    sys.exit(0)
