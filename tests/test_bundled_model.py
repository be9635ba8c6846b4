"""The bundled model: its card matches what is installed, and its figures can be reproduced."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from casenotes.cli import app
from casenotes.evaluation import SYSTEMS, baseline, read_labelled, risk_figures
from casenotes.lexicon import default_lexicon
from casenotes.model import load_model
from casenotes.scoring import Scorer, default_scorer


def test_card_matches_the_installed_lexicon_and_has_test_figures() -> None:
    model = load_model()
    assert model.card.lexicon_sha256 == default_lexicon().hash
    assert 0.0 < model.threshold < 1.0
    assert set(model.card.metrics["test"]["systems"]) == set(SYSTEMS)
    assert model.card.training["threshold_chosen_on"] == "dev"


def test_recorded_test_figures_equal_a_fresh_evaluation(samples: Path) -> None:
    scorer = default_scorer()
    notes = read_labelled(samples / "test.jsonl")
    scored = list(scorer.score_notes((n.note_id, n.text) for n in notes))
    recorded = scorer.model.card.metrics["test"]["systems"]
    for system in SYSTEMS:
        fresh = risk_figures(notes, baseline(scored, system)).to_dict()
        assert fresh == pytest.approx(recorded[system], abs=1e-4), system


def test_training_with_the_recorded_seed_reproduces_the_model(samples: Path,
                                                              tmp_path: Path) -> None:
    bundled = load_model()
    seed, c = bundled.card.training["seed"], bundled.card.training["C"]
    result = CliRunner().invoke(app, [
        "train", str(samples / "train.jsonl"), "--dev", str(samples / "dev.jsonl"),
        "--seed", str(seed), "--C", str(c), "-o", str(tmp_path / "again")])
    assert result.exit_code == 0, result.output
    again = load_model(tmp_path / "again")
    assert again.threshold == bundled.threshold
    notes = read_labelled(samples / "test.jsonl")
    scored = list(Scorer(again).score_notes((n.note_id, n.text) for n in notes))
    fresh = risk_figures(notes, scored).to_dict()
    assert fresh == pytest.approx(bundled.card.metrics["test"]["systems"]["model"], abs=1e-3)
