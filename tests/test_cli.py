"""The command line, through Typer's CliRunner and as a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casenotes.cli import app

runner = CliRunner()


def test_mentions_from_jsonl_to_csv(tmp_path: Path) -> None:
    notes = tmp_path / "notes.jsonl"
    notes.write_text("\n".join(json.dumps(r) for r in [
        {"note_id": "a", "text": "No ACMs found"}, {"note_id": "b", "text": "gas bill paid"},
        {"note_id": "c", "text": "T/C strong smell of gas in the kitchen, tenant has headaches"},
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "mentions.csv"
    result = runner.invoke(app, ["mentions", str(notes), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["note_id"], r["term"], r["context"]) for r in rows] == [
        ("a", "ACMs", "negated"), ("c", "strong smell of gas", "present")]
    assert [r["label"] for r in rows] == ["routine", "risk"]
    assert all(0 <= float(r["risk_probability"]) <= 1 and r["reasons"] for r in rows)
    assert "3 notes, 2 mentions, 1 labelled risk" in result.stderr


def test_mentions_from_csv_picks_the_obvious_text_column(tmp_path: Path) -> None:
    notes = tmp_path / "export.csv"
    notes.write_text("id,targetId,description\n1,T9,CO alarm sounding\n", encoding="utf-8")
    result = runner.invoke(app, ["mentions", str(notes), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in io.StringIO(result.stdout) if line.strip()]
    assert (row["note_id"], row["term"], row["category"]) == ("1", "CO alarm", "carbon_monoxide")


def test_ambiguous_or_missing_text_column_fails_listing_the_columns(tmp_path: Path) -> None:
    notes = tmp_path / "export.csv"
    notes.write_text("id,body,note\n1,a,b\n", encoding="utf-8")
    result = runner.invoke(app, ["mentions", str(notes)])
    assert result.exit_code == 2
    assert ("several columns could hold the note text ('note', 'body'); choose one with "
            "--text-column") in result.stderr
    assert result.stdout == ""  # no header before the input is checked
    result = runner.invoke(app, ["mentions", str(notes), "--text-column", "words"])
    assert result.exit_code == 2 and result.stdout == ""
    assert ("no column 'words' for the note text; the columns are 'id', 'body', 'note'"
            in result.stderr)


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["mentions", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "does not exist" in re.sub(r"[\s│╭╮╰╯─]+", " ", result.output)


def test_lexicon_command_validates_user_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lexicon"])
    assert result.exit_code == 0
    assert "hazard entries: 29" in result.stdout
    assert "equipment entries (context, not mentions): 34" in result.stdout
    assert "senses (a category from context): 6 (" in result.stdout
    bad = tmp_path / "mine.json"
    bad.write_text('{"hazards": [{"id": "x", "catgory": "gas"}]}', encoding="utf-8")
    result = runner.invoke(app, ["lexicon", "--lexicon", str(bad)])
    assert result.exit_code == 1
    assert "mine.json entry 'x': unknown key 'catgory'" in result.stderr


@pytest.mark.parametrize("args", [["--version"], ["lexicon"]])
def test_python_dash_m_runs(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "casenotes", *args], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_closed_pipe_stops_the_command_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # ``casenotes lexicon | head`` after head has gone
    try:
        result = subprocess.run([sys.executable, "-m", "casenotes", "lexicon"], stdout=write_end,
                                stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(write_end)
    assert result.returncode == 141
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_console_errors_are_one_line_with_exit_code_1(tmp_path: Path) -> None:
    bad = tmp_path / "mine.json"
    bad.write_text("{", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "casenotes", "lexicon", "--lexicon", str(bad)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "casenotes: error: mine.json: not valid JSON at line 1 column 2 (Expecting property "
        "name enclosed in double quotes); fix the file and try again"]


def test_evaluate_prints_the_comparison_and_writes_plots(samples: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(samples / "dev.jsonl"), "--plots",
                                 str(tmp_path / "plots"), "--json", str(tmp_path / "f.json")])
    assert result.exit_code == 0, result.output
    assert "keyword-only" in result.stdout and "rules-only" in result.stdout
    assert "end-to-end risk F1" in result.stdout
    assert (tmp_path / "plots" / "pr_curve.png").stat().st_size > 1000
    assert (tmp_path / "plots" / "calibration.png").stat().st_size > 1000
    figures = json.loads((tmp_path / "f.json").read_text())
    assert figures["model"]["risk_f1"] > figures["rules-only"]["risk_f1"]


def test_train_needs_something_to_train_on(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "-o", str(tmp_path / "m")])
    assert result.exit_code == 2 and "nothing to train on" in result.stderr


def test_train_names_a_labels_file_that_is_not_one(samples: Path, tmp_path: Path) -> None:

    result = runner.invoke(app, ["train", str(samples / "dev.jsonl"), "--labels",
                                 str(samples / "dev.jsonl"), "-o", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "a labels file needs note_id, start, end and label" in result.stderr


def test_mentions_counts_rows_it_could_not_score_and_reads_any_export(tmp_path: Path) -> None:
    notes = tmp_path / "notes.jsonl"
    notes.write_text('{"note_id": "a", "text": "damp"}\n{"note_id": "b", "text": null}\n'
                     '{"note_id": "c", "text": 42}\n', encoding="utf-8")
    result = runner.invoke(app, ["mentions", str(notes), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["note_id"] for line in result.stdout.splitlines()] == ["a"]
    assert "2 rows were empty or could not be read" in result.stderr
    cp1252 = tmp_path / "export.csv"
    cp1252.write_bytes("id,description\n7,\"T/C \u2013 smell of gas, tenant\u2019s kitchen\"\n"
                       .encode("cp1252"))
    result = runner.invoke(app, ["mentions", str(cp1252), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["term"] == "smell of gas"


def test_mentions_from_a_text_file_counts_blank_and_junk_lines_as_skipped(
        tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("smell of gas in kitchen\r\n\n   \nbroken\x00 mould\nrent paid\n",
                     encoding="utf-8", newline="")
    result = runner.invoke(app, ["mentions", str(notes), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["note_id"], r["term"]) for r in rows] == [("1", "smell of gas")]
    assert "2 notes, 1 mentions" in result.stderr
    assert "3 rows were empty or could not be read" in result.stderr


def test_a_failed_run_leaves_no_partial_output(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from casenotes.errors import ScoringError
    from casenotes.scoring import Scorer

    real = Scorer.score_notes

    def fails_after_one(self: Scorer, notes: object, **kwargs: object) -> object:
        for number, scored in enumerate(real(self, notes, **kwargs)):  # type: ignore[arg-type]
            if number == 1:
                raise ScoringError("forced failure")
            yield scored

    monkeypatch.setattr(Scorer, "score_notes", fails_after_one)
    notes = tmp_path / "notes.jsonl"
    notes.write_text('{"note_id": "a", "text": "damp"}\n{"note_id": "b", "text": "mould"}\n',
                     encoding="utf-8")
    out = tmp_path / "mentions.csv"
    result = runner.invoke(app, ["mentions", str(notes), "-o", str(out)])
    assert result.exit_code == 1
    assert "forced failure" in result.stderr
    assert list(tmp_path.iterdir()) == [notes]
