"""Labelled data reading, gold/predicted alignment and the mention-detection quality gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casenotes import InputSchemaError, MentionFinder
from casenotes.evaluation import (
    GoldMention,
    adjudicated_spans,
    align,
    evaluate_detection,
    read_labelled,
    writers_marks_only,
)


def test_labelled_splits_are_well_formed(samples: Path) -> None:
    notes = {split: read_labelled(samples / f"{split}.jsonl") for split in ("train", "dev", "test")}
    ids = [n.note_id for split in notes.values() for n in split]
    assert len(ids) == len(set(ids)) >= 1500
    assert sum(len(n.mentions) for split in notes.values() for n in split) >= 2500


def test_hazard_second_annotation_covers_each_dev_hazard_once(samples: Path) -> None:
    """scripts/hazard_agreement.py's data: one row per dev note, a risk/routine verdict for
    exactly the gold's categories, and only valid categories added, as risk."""
    from casenotes.evaluation import gold_hazards
    from casenotes.types import CATEGORIES

    notes = read_labelled(samples / "dev.jsonl")
    path = samples / "source" / "adjudication" / "dev_second_annotator.hazards.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [row["note_id"] for row in rows] == [note.note_id for note in notes]
    for note, row in zip(notes, rows, strict=True):
        assert set(row["verdicts"]) == set(gold_hazards(note)), note.note_id
        assert set(row["verdicts"].values()) <= {"risk", "routine"}, note.note_id
        assert set(row["added"]) <= set(CATEGORIES) - set(row["verdicts"]), note.note_id
        assert set(row["added"].values()) <= {"risk"}, note.note_id


def test_dev_split_mention_recall_and_lookalikes(finder: MentionFinder, samples: Path) -> None:
    """Issue 1/6 gate: recall >= 0.97 on the lexicon dev set's writer marks, no look-alikes."""
    notes = writers_marks_only(read_labelled(samples / "lexicon-dev.jsonl"),
                               adjudicated_spans(samples / "source" / "adjudication"))
    findings = finder.analyse_many((n.note_id, n.text) for n in notes)
    report = evaluate_detection(notes, (f.mentions for f in findings), finder.lexicon)
    assert report.notes >= 150
    assert report.recall >= 0.97
    assert report.lookalike_hits == 0
    assert report.lookalike_occurrences > 20


def test_align_pairs_by_greatest_overlap(finder: MentionFinder) -> None:
    text = "flue spillage and smell of gas"
    gold = (GoldMention(0, 13, "flue spillage", "carbon_monoxide", "risk", "present"),
            GoldMention(18, 30, "smell of gas", "gas", "risk", "present"),
            GoldMention(5, 13, "spillage", "carbon_monoxide", "risk", "present"))
    predicted = finder.find(text)
    assert [m.term for m in predicted] == ["flue spillage", "smell of gas"]
    assert align(gold, predicted) == [(0, 0), (1, 1)]


def test_read_labelled_rejects_offsets_that_do_not_slice(tmp_path: Path) -> None:
    bad = {"note_id": "x", "text": "damp here", "mentions": [
        {"start": 0, "end": 3, "term": "damp", "category": "damp_mould", "label": "risk",
         "context": "present"}]}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(InputSchemaError, match=r"note 'x' mention at 0-3 does not slice its term"):
        read_labelled(path)
    path.write_text('{"note_id": "x"}\n', encoding="utf-8")
    with pytest.raises(InputSchemaError, match=r"bad.jsonl line 1: not a labelled note"):
        read_labelled(path)
