"""Faults: a scoring process that dies is retried once, then its rows are marked failed;
nothing hangs and no row is lost. Outputs do not depend on --jobs or --chunk-size."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from casenotes.cli import app
from casenotes.engines.batch import (
    WORKER_DIED,
    ScoredChunk,
    ScorerSpec,
    _score_in_worker,
    score_chunks,
)
from casenotes.errors import ScoringError
from casenotes.io.schema import Chunk


def dying_worker(chunk: Chunk) -> ScoredChunk:
    """Scores as usual, but dies like an out-of-memory kill on marked notes."""
    for text in chunk.texts:
        if text == "DIE ALWAYS":
            os._exit(137)
        if isinstance(text, str) and text.startswith("DIE ONCE:"):
            marker = Path(text.split(":", 1)[1])
            if not marker.exists():
                marker.touch()
                os._exit(137)
    return _score_in_worker(chunk)


def chunks_of(texts: list[str], size: int = 2) -> list[Chunk]:
    return [Chunk(ids=list(range(i, i + size)), texts=texts[i:i + size], first_row=i + 1)
            for i in range(0, len(texts), size)]


TEXTS = ["smell of gas", "rent paid", "black mould in bedroom", "no ACMs found",
         "CO alarm sounding", "tenant called"]


def statuses(results: list[ScoredChunk]) -> list[str]:
    return [s for r in results for s in r.notes["status"].tolist()]


def test_a_process_that_dies_once_is_retried_and_nothing_is_lost(tmp_path: Path) -> None:
    texts = [*TEXTS, f"DIE ONCE:{tmp_path / 'died'}", "damp in hall"]
    results = list(score_chunks(chunks_of(texts), ScorerSpec(), jobs=2, worker=dying_worker))
    assert (tmp_path / "died").exists()  # it did die
    assert statuses(results) == ["ok"] * len(texts)
    expected = list(score_chunks(chunks_of(TEXTS), ScorerSpec(), jobs=1))
    for got, want in zip(results, expected, strict=False):
        pd.testing.assert_frame_equal(got.mentions, want.mentions)


def test_a_chunk_that_always_kills_its_process_is_marked_failed_and_the_run_goes_on() -> None:
    texts = [*TEXTS[:2], "DIE ALWAYS", "black mould", *TEXTS[2:]]
    results = list(score_chunks(chunks_of(texts), ScorerSpec(), jobs=2, worker=dying_worker))
    notes = pd.concat([r.notes for r in results], ignore_index=True)
    assert len(notes) == len(texts)
    assert notes["status"].tolist() == ["ok", "ok", "error", "error", "ok", "ok", "ok", "ok"]
    assert (notes.loc[notes["status"] == "error", "error"] == WORKER_DIED).all()


def test_when_every_chunk_kills_its_process_the_run_stops_with_a_message() -> None:
    with pytest.raises(ScoringError, match="chunks in a row could not be scored"):
        list(score_chunks(chunks_of(["DIE ALWAYS"] * 8), ScorerSpec(), jobs=2,
                          worker=dying_worker))


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from casenotes.evaluation import read_labelled

    notes = read_labelled(Path(__file__).resolve().parents[1] / "data" / "samples" /
                          "dev.jsonl")[:120]
    path = tmp_path_factory.mktemp("det") / "export.csv"
    pd.DataFrame({"id": [n.note_id for n in notes], "text": [n.text for n in notes]}) \
        .to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("jobs", "chunk_size"), [("2", "7"), ("1", "1000"), ("2", "50")])
def test_outputs_are_byte_identical_whatever_the_jobs_and_chunk_size(
        export: Path, tmp_path: Path, jobs: str, chunk_size: str) -> None:
    runner = CliRunner()

    def run(folder: Path, *options: str) -> tuple[bytes, bytes]:
        folder.mkdir()
        notes, mentions = folder / "n.csv", folder / "m.csv"
        result = runner.invoke(app, ["score", str(export), "--notes", str(notes), "--mentions",
                                     str(mentions), "-q", *options])
        assert result.exit_code == 0, result.output
        return notes.read_bytes(), mentions.read_bytes()

    baseline = run(tmp_path / "base", "--jobs", "1", "--chunk-size", "2000")
    assert run(tmp_path / "other", "--jobs", jobs, "--chunk-size", chunk_size) == baseline


def test_reversing_the_input_reverses_the_rows_and_nothing_else(export: Path,
                                                                 tmp_path: Path) -> None:
    reversed_export = tmp_path / "reversed.csv"
    pd.read_csv(export, dtype=str).iloc[::-1].to_csv(reversed_export, index=False)
    runner = CliRunner()
    tables = []
    for source in (export, reversed_export):
        out = tmp_path / f"{source.stem}.csv"
        assert runner.invoke(app, ["score", str(source), "--notes", str(out), "-q", "-j",
                                   "1"]).exit_code == 0
        tables.append(pd.read_csv(out, dtype=str, keep_default_na=False))
    forward, backward = tables
    pd.testing.assert_frame_equal(forward, backward.iloc[::-1].reset_index(drop=True))
