"""No note text in logs, error messages or tracebacks, whatever the command and whatever fails.

Every note here holds a sentinel string; every command runs with DEBUG logging, on good and
bad rows, and with failures forced inside the pipeline. The sentinel may appear in outputs
that are meant to hold note text (the report's page), never on stderr or in a log record.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import casenotes
from casenotes.cli import internal_error
from casenotes.engines.batch import score_frame
from casenotes.errors import CasenotesError

SENTINEL = "Zebedee Quokkaworth 7731"
TEXTS = [
    f"Mrs {SENTINEL} reports a strong smell of gas in the kitchen",
    f"{SENTINEL}: black mould in the baby's room, getting worse",
    f"Rent paid by {SENTINEL}",
    f"No ACMs found at {SENTINEL}'s flat",
]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "casenotes", "-vv", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("leaks")
    rows = [{"id": str(i), "targetId": f"P{i % 2}", "createdAt": f"2025-11-{10 + i}T09:00",
             "description": text} for i, text in enumerate(TEXTS)]
    pd.DataFrame(rows).to_csv(where / "export.csv", index=False)
    with (where / "broken.jsonl").open("w", encoding="utf-8") as out:
        out.write(json.dumps({"id": "a", "text": TEXTS[0]}) + "\n")
        out.write('{"id": "b", "text": "' + SENTINEL + ' and a broken line\n')
        out.write(json.dumps({"id": "c", "text": 12}) + "\n")
    labelled = [{"note_id": str(i), "text": t, "mentions": []} for i, t in enumerate(TEXTS)]
    (where / "labelled.jsonl").write_text("".join(json.dumps(r) + "\n" for r in labelled),
                                          encoding="utf-8")
    (where / "labels.csv").write_text(f"note_id,start,end,label,term\n0,0,4,risk,{SENTINEL}\n"
                                      "0,1,2,maybe,x\n", encoding="utf-8")
    return where


COMMANDS = [
    ["score", "export.csv", "--notes", "n.csv", "--mentions", "m.csv", "--keep",
     "targetId,createdAt", "-j", "1"],
    ["score", "export.csv", "--notes", "n2.parquet", "-j", "2", "--mask-pii"],
    ["score", "broken.jsonl", "--notes", "b.csv", "-j", "1"],
    ["score", "export.csv", "--text-column", "nope"],
    ["mentions", "export.csv", "-o", "mentions.csv", "--text-column", "description"],
    ["report", "export.csv", "-o", "report.html", "-j", "1", "--case-column", "targetId",
     "--date-column", "createdAt"],
    ["cases", "n.csv", "--mentions", "m.csv", "--case-column", "targetId", "--date-column",
     "createdAt"],
    ["review-queue", "m.csv", "-o", "queue.csv", "-n", "3"],
    ["train", "labelled.jsonl", "--labels", "labels.csv", "-o", "model"],
    ["evaluate", "labelled.jsonl"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_no_command_prints_note_text_on_stderr(folder: Path, args: list[str]) -> None:
    result = run(*args, cwd=folder)
    assert SENTINEL not in result.stderr
    assert "Traceback" not in result.stderr
    if args[0] in ("score", "cases", "review-queue") and "-o" not in args and \
            "--notes" not in args:
        assert SENTINEL not in result.stdout


def test_a_crash_inside_the_pipeline_shows_where_but_not_what(folder: Path) -> None:
    program = (
        "import sys, casenotes.nlp.pipeline as p\n"
        "def explode(self, notes, **options):\n"
        "    for note_id, text in notes:\n"
        "        raise RuntimeError('cannot parse ' + text)\n"
        "    yield\n"
        "p.MentionFinder.analyse_many = explode\n"
        "from casenotes.cli import main\n"
        "sys.argv = ['casenotes', '-vv', 'mentions', 'export.csv', '-o', 'x.csv', "
        "'--text-column', 'description']\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", program], cwd=folder, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 1
    assert "internal error (RuntimeError)" in result.stderr
    assert SENTINEL not in result.stderr and "cannot parse" not in result.stderr


def test_internal_errors_name_the_place_not_the_message() -> None:
    try:
        raise ValueError(f"bad token in {SENTINEL}")
    except ValueError as exc:
        message = internal_error(exc)
    assert "ValueError" in message and "test_no_leaks.py" in message
    assert SENTINEL not in message


def test_api_errors_and_debug_logs_never_hold_note_text(caplog: pytest.LogCaptureFixture,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        ) -> None:
    caplog.set_level(logging.DEBUG)
    for text in TEXTS:
        casenotes.find_mentions(text)
        casenotes.score_text(text)
    long_note = SENTINEL * (casenotes.nlp.pipeline.MAX_NOTE_LENGTH // len(SENTINEL) + 1)
    with pytest.raises(CasenotesError) as raised:
        casenotes.find_mentions(long_note)
    assert SENTINEL not in str(raised.value)
    with pytest.raises(CasenotesError) as raised:
        casenotes.find_mentions(SENTINEL.encode())  # type: ignore[arg-type]
    assert SENTINEL not in str(raised.value)

    # A library failing with the note in its message: the row is kept, the message is not.
    import casenotes.scoring as scoring

    def fail(self, batch, prefilter):  # type: ignore[no-untyped-def]
        raise RuntimeError(f"tokenizer choked on {batch[0][1]}")

    monkeypatch.setattr(scoring.Scorer, "_score_batch", fail)
    notes, _ = score_frame(pd.DataFrame({"text": TEXTS}))
    assert notes["status"].eq("error").all()
    assert not notes["error"].str.contains(SENTINEL).any()
    assert all(SENTINEL not in record.getMessage() for record in caplog.records)
