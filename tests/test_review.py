"""The review loop: a queue of the mentions worth labelling, labels merged, a model retrained."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from casenotes.cli import app
from casenotes.errors import InputSchemaError
from casenotes.evaluation import GoldMention, LabelledNote, read_labelled
from casenotes.triage.review import AnalystLabel, merge_labels, read_analyst_labels, review_queue

runner = CliRunner()


def scored_mentions(probabilities: list[float]) -> pd.DataFrame:
    count = len(probabilities)
    return pd.DataFrame({
        "note_id": [f"n{i}" for i in range(count)], "start": [0] * count, "end": [4] * count,
        "term": ["damp"] * count, "category": ["damp_mould"] * count,
        "context": ["present"] * count,
        "label": ["risk" if p >= 0.5 else "routine" for p in probabilities],
        "risk_probability": probabilities,
    })


def test_the_queue_puts_the_least_certain_mentions_first_and_adds_checks() -> None:
    probabilities = [0.01, 0.02, 0.98, 0.99, 0.49, 0.52, 0.45, 0.6, 0.3, 0.7, 0.95, 0.05]
    queue = review_queue(scored_mentions(probabilities), 6, threshold=0.5, check_share=0.34)
    uncertain = queue[queue["why"] == "uncertain"]
    assert uncertain["model_probability"].tolist() == [0.49, 0.52, 0.45, 0.6]
    checks = queue[queue["why"] == "check"]["model_probability"].tolist()
    assert len(checks) == 2 and min(checks) < 0.1 and max(checks) > 0.9
    assert queue["label"].eq("").all()
    assert list(queue.columns) == ["note_id", "start", "end", "term", "category", "context",
                                   "model_label", "model_probability", "why", "label"]


def test_the_queue_is_reproducible_for_a_seed() -> None:
    table = scored_mentions([i / 100 for i in range(100)])
    first = review_queue(table, 20, threshold=0.4, seed=3)
    assert first.equals(review_queue(table, 20, threshold=0.4, seed=3))


def test_a_table_without_scores_is_refused() -> None:
    with pytest.raises(InputSchemaError, match="risk_probability"):
        review_queue(pd.DataFrame({"note_id": ["a"]}), 5, threshold=0.5)


NOTE = LabelledNote("a1", "No ACMs found. Black mould in bedroom.", (
    GoldMention(3, 7, "ACMs", "asbestos", "routine", "negated"),
    GoldMention(15, 26, "Black mould", "damp_mould", "risk", "present"),
))


def test_labels_change_add_agree_and_report_conflicts() -> None:
    labels = [
        AnalystLabel("a1", 3, 7, "risk", "ACMs"),              # conflict: gold says routine
        AnalystLabel("a1", 15, 26, "risk", "Black mould"),     # agrees
        AnalystLabel("a1", 30, 37, "routine", "bedroom", "damp_mould"),  # a new mention
        AnalystLabel("zz", 0, 4, "risk", "damp"),              # unknown note
        AnalystLabel("a1", 0, 2, "risk", "XX"),                # wrong term: a changed note?
    ]
    merged = merge_labels([NOTE], labels)
    assert (merged.changed, merged.agreed, merged.added, len(merged.unplaced)) == (1, 1, 1, 2)
    note = merged.notes[0]
    assert [(g.term, g.label) for g in note.mentions] == [
        ("ACMs", "risk"), ("Black mould", "risk"), ("bedroom", "routine")]
    assert NOTE.mentions[0].label == "routine"  # the base corpus is not changed
    assert "conflict: note 'a1' 3-7: gold routine, analyst risk" in merged.summary()


def test_labels_for_new_notes_use_their_texts_and_train_only_on_labelled_mentions() -> None:
    labels = [AnalystLabel("x9", 0, 12, "risk", "smell of gas", "gas")]
    merged = merge_labels([NOTE], labels, {"x9": "smell of gas, and the boiler is old"})
    assert [n.note_id for n in merged.notes] == ["a1", "x9"]
    assert merged.partial == {"x9"}


def test_a_labels_file_with_a_bad_label_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("note_id,start,end,label\na1,3,7,risk\na1,15,26,maybe\n", encoding="utf-8")
    with pytest.raises(InputSchemaError, match="row 3: label must be risk or routine"):
        read_analyst_labels(path)


def test_a_labels_file_without_the_key_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("id,label\n1,risk\n", encoding="utf-8")
    with pytest.raises(InputSchemaError, match="no column note_id, start, end"):
        read_analyst_labels(path)


def test_review_to_retrain_from_the_command_line(samples: Path, tmp_path: Path) -> None:
    """Score notes, queue the uncertain mentions, label them, retrain, evaluate before/after."""
    dev = read_labelled(samples / "dev.jsonl")
    base, reviewed = dev[:300], dev[300:]
    base_path, reviewed_path = tmp_path / "base.jsonl", tmp_path / "reviewed.jsonl"
    for path, notes in ((base_path, base), (reviewed_path, reviewed)):
        path.write_text("".join(json.dumps({
            "note_id": n.note_id, "text": n.text,
            "mentions": [{"start": g.start, "end": g.end, "term": g.term,
                          "category": g.category, "label": g.label, "context": g.context}
                         for g in n.mentions]}) + "\n" for n in notes), encoding="utf-8")
    mentions = tmp_path / "mentions.csv"
    assert runner.invoke(app, ["score", str(reviewed_path), "--mentions", str(mentions),
                               "-j", "1", "-q"]).exit_code == 0
    queue = tmp_path / "queue.csv"
    result = runner.invoke(app, ["review-queue", str(mentions), "-n", "60", "-o", str(queue)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(queue, keep_default_na=False)
    assert len(table) == 60
    # The analyst: the gold label of each queued mention (simulated).
    gold = {(n.note_id, g.start, g.end): g.label for n in reviewed for g in n.mentions}
    table["label"] = [gold.get((str(r.note_id), r.start, r.end), "routine")
                      for r in table.itertuples()]
    labels = tmp_path / "labels.csv"
    table.to_csv(labels, index=False)
    model = tmp_path / "local"
    result = runner.invoke(app, ["train", "--base", str(base_path), "--labels", str(labels),
                                 "--texts", str(reviewed_path), "-o", str(model)])
    assert result.exit_code == 0, result.output
    assert "analyst labels:" in result.stderr
    card = json.loads((model / "card.json").read_text(encoding="utf-8"))
    assert card["training"]["analyst_labels"] == 60
    result = runner.invoke(app, ["evaluate", str(samples / "test.jsonl"), "--model",
                                 str(model), "--compare", str(model)])
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[1]
    assert header.split() == ["keyword-only", "rules-only", "before", "model"]
    f1 = next(line for line in result.stdout.splitlines()
              if line.startswith("end-to-end risk F1")).split()
    assert f1[-1] == f1[-2]  # the same model before and after gives the same figures


def test_labels_on_held_out_notes_are_refused(samples: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    first = read_labelled(samples / "dev.jsonl")[0]
    g = first.mentions[0]
    labels.write_text(f"note_id,start,end,label\n{first.note_id},{g.start},{g.end},risk\n",
                      encoding="utf-8")
    result = runner.invoke(app, ["train", "--base", str(samples / "dev.jsonl"), "--dev",
                                 str(samples / "dev.jsonl"), "--labels", str(labels), "-o",
                                 str(tmp_path / "m")])
    assert result.exit_code == 2 and "would leak" in result.stderr
