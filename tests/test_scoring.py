"""Scoring notes with the bundled model: labels, reasons, batch equals single."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from casenotes import score_text
from casenotes.scoring import Scorer, default_scorer, verdicts_of
from casenotes.triage.priority import note_priority


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return default_scorer()


@pytest.mark.parametrize(("text", "term", "label"), [
    ("T/C from Mrs K, strong smell of gas in the kitchen, baby in the flat", "strong smell of gas",
     "risk"),
    ("Annual gas safety check completed, all appliances pass, CO alarm tested OK", "CO alarm",
     "routine"),
    ("T/C gas smell by the meter. Engineer attended within the hour, tightness test passed, "
     "no escape found", "gas smell", "routine"),
    ("No ACMs found in the asbestos survey", "ACMs", "routine"),
    ("CO alarm sounding and tenant has headaches", "CO alarm", "risk"),
    ("Black mould in the baby's bedroom, spreading", "Black mould", "risk"),
])
def test_clear_cases_get_the_expected_label(scorer: Scorer, text: str, term: str,
                                            label: str) -> None:
    (scored,) = [s for s in scorer.score_note(text).mentions if s.mention.term == term]
    assert scored.label == label
    assert 0.0 <= scored.risk_probability <= 1.0
    # the fast model's reasons: named features, each with its weight towards the label
    assert scored.reasons and all(reason.weight is not None for reason in scored.reasons)
    sign = 1 if label == "risk" else -1
    assert all(sign * reason.weight > 0 for reason in scored.reasons if reason.weight)


def test_score_text_uses_the_bundled_model() -> None:
    scored = score_text("no mould seen")
    assert [(s.mention.term, s.model_id) for s in scored] == [("mould", "hazard-risk-v2")]


def test_batch_equals_one_by_one(scorer: Scorer) -> None:
    notes = [("a", "smell of gas"), ("b", ""), ("c", "LGSR done, CO alarm tested")]
    batch = list(scorer.score_notes(notes))
    assert [n.note_id for n in batch] == ["a", "b", "c"]
    assert batch == [scorer.score_note(text, note_id) for note_id, text in notes]
    assert batch[1].risk_score == 0.0 and not batch[1].flagged


def test_threshold_must_be_a_probability() -> None:
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        Scorer(default_scorer().model, threshold=1.5)


def test_reasons_stay_records_until_a_table_writes_them(scorer: Scorer) -> None:
    """A reason is a (feature, weight) record through scoring; a table cell formats it."""
    import pandas as pd

    from casenotes import Reason, score_frame

    note = "CO alarm sounding and tenant has headaches"
    (scored,) = [s for s in scorer.score_note(note).mentions if s.mention.term == "CO alarm"]
    assert all(isinstance(reason, Reason) for reason in scored.reasons)
    _, mentions = score_frame(pd.DataFrame({"note_id": ["n1"], "text": [note]}),
                              text="text", id="note_id", jobs=1)
    cell = mentions.loc[mentions.term == "CO alarm", "reasons"].iloc[0]
    assert cell == "; ".join(f"{r.what} ({r.weight:+.2f})" for r in scored.reasons)


def test_a_batch_s_verdicts_and_priorities_are_each_note_s_own(samples: Path) -> None:
    """Scoring calibrates a whole batch's hazards in one call and tiers each mention once;
    every sample note gets the verdicts ``verdicts_of`` gives it alone (with each risk
    verdict's urgency the highest tier of its evidence) and the priority ``note_priority``
    gives it."""
    scorer = default_scorer()
    notes = [(str(record["note_id"]), record["text"])
             for record in map(json.loads, (samples / "dev.jsonl").read_text(
                 encoding="utf-8").splitlines())]
    checked = 0
    for (_, text), note in zip(notes, scorer.score_notes(notes), strict=True):
        alone = verdicts_of(note.note_id, note.mentions,
                            calibration=scorer._settings.hazard_calibration,
                            threshold=scorer._settings.hazard_threshold)
        assert [replace(h, urgency="", evidence=()) for h in note.hazards] == [
            replace(h, evidence=()) for h in alone]
        for hazard in note.hazards:
            assert [s.mention for s in hazard.evidence] == [
                s.mention for s in alone[note.hazards.index(hazard)].evidence]
            assert bool(hazard.urgency) == (hazard.verdict == "risk")
        if note.mentions:
            ranked, tiers = note_priority(
                note.mentions, note.findings.vulnerability_groups,
                [text[m.mention.sentence_start:m.mention.sentence_end] for m in note.mentions],
                note=text)
            assert (ranked.score, ranked.urgency, ranked.reason) == (
                note.priority, note.urgency, note.priority_reason)
            assert tiers == [m.urgency for m in note.mentions]
            checked += 1
    assert checked > 100
