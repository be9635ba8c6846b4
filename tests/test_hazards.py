"""A verdict per note and hazard: the unit an analyst acts on (issue 7/10)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import casenotes
from casenotes.cli import app
from casenotes.evaluation import GoldMention, LabelledNote, hazard_figures, risk_figures
from casenotes.features import is_readable_feature
from casenotes.io.schema import HAZARD_COLUMNS
from casenotes.lexicon import default_lexicon
from casenotes.model import load_model
from casenotes.scoring import default_scorer
from casenotes.triage.cases import case_notes
from casenotes.triage.report import ReportMention, ReportNote, hazard_groups
from casenotes.types import CATEGORIES, VULNERABILITY_GROUPS

runner = CliRunner()
NOTE = ("T/C Mrs K: black mould in the baby's room, damp on the bedroom wall. "
        "Asbestos survey booked for the kitchen. No ACMs found in 2019.")


def test_a_note_gets_one_verdict_per_category_with_its_evidence() -> None:
    scored = default_scorer().score_note(NOTE, "n1")
    assert [h.category for h in scored.hazards] == ["damp_mould", "asbestos"]
    for hazard in scored.hazards:
        assert {s.mention.category for s in hazard.evidence} == {hazard.category}
        probabilities = [s.risk_probability for s in hazard.evidence]
        assert probabilities == sorted(probabilities, reverse=True)
        assert hazard.reasons == hazard.evidence[0].reasons
        threshold = default_scorer().model.hazard_threshold
        assert hazard.verdict == ("risk" if hazard.risk_probability >= threshold else "routine")
    damp, asbestos = scored.hazards
    assert (damp.verdict, asbestos.verdict) == ("risk", "routine")
    assert sum(len(h.evidence) for h in scored.hazards) == len(scored.mentions)


def test_a_note_without_mentions_has_no_hazards() -> None:
    assert default_scorer().score_note("Rent account cleared, thanks", "n2").hazards == ()


@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=20))
def test_hazard_probability_rises_with_its_strongest_mention(strongest: list[float]) -> None:
    ordered = np.sort(np.asarray(strongest))
    calibrated = load_model().hazard_probability(ordered)
    assert np.all(np.diff(calibrated) >= -1e-12)
    assert np.all((calibrated >= 0) & (calibrated <= 1))


def test_score_frame_returns_the_hazards_table_on_request() -> None:
    frame = pd.DataFrame({"id": [1, 2, 3], "text": [NOTE, "Rent paid", None]})
    notes, mentions, hazards = casenotes.score_frame(frame, hazards=True)
    assert list(hazards.columns) == list(HAZARD_COLUMNS)
    assert {c: str(t) for c, t in hazards.dtypes.items()} == HAZARD_COLUMNS
    assert hazards[["note_id", "category"]].values.tolist() == [
        ["1", "damp_mould"], ["1", "asbestos"]]
    assert len(notes) == 3
    risk = hazards[hazards["verdict"] == "risk"]
    assert (risk["urgency"] != "").all()
    assert (hazards.loc[hazards["verdict"] == "routine", "urgency"] == "").all()
    first = mentions[mentions["category"] == "damp_mould"]
    for start, end, term in first[["start", "end", "term"]].values.tolist():
        assert f"{start}-{end} {term}" in hazards.iloc[0]["evidence"]
    two = casenotes.score_frame(frame)
    assert len(two) == 2


def test_score_writes_the_hazards_table(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    pd.DataFrame({"note_id": ["a", "b"], "text": [NOTE, "gas bill paid"]}).to_csv(source,
                                                                                index=False)
    out = tmp_path / "hazards.csv"
    result = runner.invoke(app, ["score", str(source), "--hazards", str(out), "--jobs", "1",
                                 "--quiet"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns) == list(HAZARD_COLUMNS)
    assert table["note_id"].tolist() == ["a", "a"]
    assert set(table["verdict"]) <= {"risk", "routine"}


def test_only_one_table_may_go_to_stdout(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    pd.DataFrame({"text": [NOTE]}).to_csv(source, index=False)
    result = runner.invoke(app, ["score", str(source), "--hazards", "-", "--notes", "-"])
    assert result.exit_code == 2
    assert "only one table can go to stdout" in result.output


def _note(note_id: str, *gold: tuple[str, str]) -> LabelledNote:
    return LabelledNote(note_id, "x" * 40, tuple(
        GoldMention(i, i + 1, "x", category, label, "present")  # type: ignore[arg-type]
        for i, (category, label) in enumerate(gold)))


def test_hazard_figures_count_pairs_named_by_gold_or_system() -> None:
    scorer = default_scorer()
    texts = ["black mould in the baby's room", "asbestos survey booked",
             "gas bill paid, rent cleared"]
    scored = [scorer.score_note(text, str(i)) for i, text in enumerate(texts)]
    notes = [_note("0", ("damp_mould", "risk")), _note("1", ("asbestos", "routine")),
             _note("2")]
    figures = hazard_figures(notes, scored)
    assert figures["hazards"] == 2
    assert (figures["hazard_precision"], figures["hazard_recall"]) == (1.0, 1.0)
    assert figures["hazard_auc"] == 1.0
    assert figures["hazard_free_flags"] == 0
    missed = [_note("0", ("damp_mould", "risk"), ("water", "risk")), notes[1], notes[2]]
    assert hazard_figures(missed, scored)["hazard_recall"] == 0.5
    assert risk_figures(missed, scored).hazard_recall == 0.5


def test_no_model_feature_names_a_raw_token_number_or_date() -> None:
    model = load_model()
    lexicon = default_lexicon()
    names = [str(name) for name in model.to_dict()["features"]]
    unreadable = [name for name in names if not is_readable_feature(
        name, term_ids=frozenset(t.id for t in lexicon.hazards),
        categories=frozenset(CATEGORIES), groups=frozenset(VULNERABILITY_GROUPS))]
    assert unreadable == []
    assert len(names) > 200


def test_the_feature_contract_rejects_raw_words_numbers_and_dates() -> None:
    vocab = {"term_ids": frozenset({"mould"}), "categories": frozenset(CATEGORIES),
             "groups": frozenset(VULNERABILITY_GROUPS)}
    for bad in ("L1=02/10/23", "clause=8", "R_bag=8", "L_bag=an", "term=mould", "clause=okafor",
                "cue_word=okafor", "after:okafor"):
        assert not is_readable_feature(bad, **vocab), bad
    for good in ("term_id=mould", "after:fixed", "later_same_category:made_safe",
                 "equipment_adjacent:equipment:before", "cue=negated:before:0-1",
                 "note_second_person=many", "cue_word=no"):
        assert is_readable_feature(good, **vocab), good


def test_reasons_read_as_explanations() -> None:
    for scored in casenotes.score_text(NOTE):
        for reason in scored.reasons:
            name = reason.what
            assert not any(ch.isdigit() for ch in name.replace("0-1", "").replace("2-3", "")
                           .replace("4-6", "").replace("7+", "").replace("<=", "")
                           .replace(">", "")), reason


def test_the_report_groups_a_notes_mentions_under_their_hazard() -> None:
    mentions = (ReportMention(0, 4, "damp", "damp_mould", "present", "risk", 0.9, ()),
                ReportMention(10, 18, "asbestos", "asbestos", "inspection", "routine", 0.1, ()),
                ReportMention(20, 25, "mould", "damp_mould", "present", "risk", 0.8, ()))
    note = ReportNote("n", "x" * 30, mentions, 0.9, True)
    assert hazard_groups(note) == [
        {"category": "damp_mould", "verdict": "risk", "p": 0.9, "mentions": [0, 2]},
        {"category": "asbestos", "verdict": "routine", "p": 0.1, "mentions": [1]}]
    given_verdicts = ReportNote("n", "x" * 30, mentions, 0.9, True,
                                hazards=(("damp_mould", "routine", 0.3),
                                         ("asbestos", "risk", 0.6)))
    assert [(g["verdict"], g["p"]) for g in hazard_groups(given_verdicts)] == [
        ("routine", 0.3), ("risk", 0.6)]


def test_cases_take_the_hazard_verdict_when_given() -> None:
    notes = pd.DataFrame({"note_id": ["a"], "targetId": ["T1"], "createdAt": ["2025-11-03"],
                          "n_mentions": [2], "priority": [10.0]})
    mentions = pd.DataFrame({"category": ["damp_mould", "damp_mould"],
                             "label": ["routine", "routine"], "context": ["present"] * 2,
                             "urgency": ["", ""]})
    hazards = pd.DataFrame({"category": ["damp_mould"], "verdict": ["risk"],
                            "urgency": ["significant"]})
    (by_mentions,), _ = case_notes(notes, mentions, case_column="targetId",
                                   date_column="createdAt")
    (by_hazards,), _ = case_notes(notes, mentions, case_column="targetId",
                                  date_column="createdAt", hazards=hazards)
    assert {m.label for m in by_mentions.mentions} == {"routine"}
    assert [(m.label, m.urgency) for m in by_hazards.mentions] == [("risk", "significant")] * 2


def test_cases_reads_the_hazards_table_of_a_run(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    pd.DataFrame({
        "note_id": ["a", "b"], "targetId": ["T1", "T1"],
        "createdAt": ["2025-11-03 09:00", "2025-11-20 10:00"],
        "text": ["Black mould in the baby's bedroom, spreading", "Rent paid"],
    }).to_csv(source, index=False)
    notes, mentions, hazards = (tmp_path / f"{n}.csv" for n in ("n", "m", "h"))
    assert runner.invoke(app, ["score", str(source), "--keep", "targetId,createdAt", "--notes",
                               str(notes), "--mentions", str(mentions), "--hazards",
                               str(hazards), "-j", "1", "-q"]).exit_code == 0
    out = tmp_path / "cases.csv"
    result = runner.invoke(app, ["cases", str(notes), "--mentions", str(mentions),
                                 "--hazards", str(hazards), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rolled = pd.read_csv(out)
    assert rolled[["case", "category", "reports"]].values.tolist() == [["T1", "damp_mould", 1]]
