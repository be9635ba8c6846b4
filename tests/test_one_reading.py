"""One reading of a note: the spaCy view and the direct reader agree on every sample note.

``build_nlp()`` copies the reading onto a ``Doc``; :meth:`MentionFinder.findings_from_doc`
reads the Doc back. Both ways must give the same mentions, cues, equipment, vulnerability
cues and timeline, hence the same features and the same scores.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casenotes import MentionFinder
from casenotes.features import note_features
from casenotes.nlp.pipeline import build_nlp
from casenotes.scoring import Scorer
from casenotes.types import NoteFindings

SPLITS = ("train.jsonl", "dev.jsonl", "test.jsonl")


@pytest.fixture(scope="module")
def notes(samples: Path) -> list[tuple[str, str]]:
    out = []
    for split in SPLITS:
        for line in (samples / split).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            out.append((str(record.get("note_id", record.get("id", len(out)))), record["text"]))
    return out


@pytest.fixture(scope="module")
def nlp(finder: MentionFinder):  # type: ignore[no-untyped-def]
    return finder.nlp


def test_every_sample_note_reads_the_same_through_a_doc(finder: MentionFinder, nlp,  # type: ignore[no-untyped-def]
                                                        notes: list[tuple[str, str]]) -> None:
    differing = []
    for note_id, text in notes:
        direct = finder.analyse(text, note_id)
        via_doc = finder.findings_from_doc(nlp(text), text, note_id)
        if direct != via_doc:
            differing.append(note_id)
    assert differing == []
    assert sum(len(finder.analyse(text).mentions) for _, text in notes) > 2_000


def test_features_and_scores_are_the_same_both_ways(finder: MentionFinder, nlp,  # type: ignore[no-untyped-def]
                                                    notes: list[tuple[str, str]]) -> None:
    scorer = Scorer()
    sample = notes[::7]
    direct = [finder.analyse(text, note_id) for note_id, text in sample]
    via_doc = [finder.findings_from_doc(nlp(text), text, note_id) for note_id, text in sample]
    rows_direct = [row for (_, text), found in zip(sample, direct, strict=True)
                   for row in note_features(text, found)]
    rows_doc = [row for (_, text), found in zip(sample, via_doc, strict=True)
                for row in note_features(text, found)]
    assert rows_direct == rows_doc and rows_direct
    p_direct, reasons_direct = scorer.model.assess(rows_direct, threshold=scorer.threshold, top=3)
    p_doc, reasons_doc = scorer.model.assess(rows_doc, threshold=scorer.threshold, top=3)
    assert p_direct.tolist() == p_doc.tolist()
    assert reasons_direct == reasons_doc


def test_the_pipeline_normalises_as_find_mentions_does(finder: MentionFinder) -> None:
    nlp = build_nlp()
    for text in ("T/C smell  of gas", "as\u200bbestos in loft", "damp\tand mould",
                 "no\u00a0heating"):
        doc = nlp(text)
        doc_terms = [span.text for span in doc.spans["casenotes_hazards"]]
        found = [m.term for m in finder.find(text)]
        assert len(doc_terms) == len(found) > 0


WORDS = ["smell", "of", "gas", "asbestos", "mould", "no", "heating", "CO", "alarm", "T/C",
         "leak", "damp", "boiler", "sparking", "socket", "not", "found", "02/12"]
GAPS = [" ", "  ", "\t", "\u00a0", "\u200b", " \n", "\n\n", ". ", "\u2009", "\r\n"]


@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(GAPS)), max_size=12),
       st.sampled_from(["as\u200bbestos", "mo\u00adul d", "smell  of gas", "CO\u200b alarm"]))
def test_spacing_and_zero_width_variants_read_the_same_both_ways(
        finder: MentionFinder, pieces: list[tuple[str, str]], tricky: str) -> None:
    text = "".join(word + gap for word, gap in pieces) + tricky
    assert finder.findings_from_doc(finder.nlp(text), text) == finder.analyse(text)


def test_a_note_without_a_hazard_term_can_stop_after_matching(finder: MentionFinder) -> None:
    text = ("Gas engineer running late, electrician booked for the extractor fan. Tenant has "
            "asthma.")
    read = finder.reader.analyse(text, "n1")
    stopped = finder.reader.analyse(text, "n1", skip_hazard_free=True)
    assert not read.mentions and read.equipment and read.vulnerabilities
    assert stopped == NoteFindings("n1", (), ())


def test_stopping_hazard_free_notes_changes_no_note_that_names_a_hazard(
        finder: MentionFinder, notes: list[tuple[str, str]]) -> None:
    both = list(zip(finder.analyse_many(notes),
                    finder.analyse_many(notes, skip_hazard_free=True), strict=True))
    assert sum(bool(read.mentions) for read, _ in both) > len(notes) // 2
    for read, stopped in both:
        assert stopped == (read if read.mentions else NoteFindings(read.note_id, (), ()))


def test_the_prefilter_changes_no_score(notes: list[tuple[str, str]]) -> None:
    """Scoring with the prefilter (as casenotes score does) and without it gives every note
    the same mentions, verdicts and priority."""
    scorer = Scorer()
    for full, filtered in zip(scorer.score_notes(notes), scorer.score_notes(notes, prefilter=True),
                              strict=True):
        assert (filtered.mentions, filtered.hazards, filtered.priority, filtered.urgency,
                filtered.priority_reason) == (full.mentions, full.hazards, full.priority,
                                              full.urgency, full.priority_reason)
