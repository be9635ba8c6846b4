"""``casenotes score``: every format, every bad input, no lost rows, no half-written output."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from casenotes.cli import app
from casenotes.io.schema import MENTION_COLUMNS, NOTE_COLUMNS
from casenotes.io.tables import read_table

runner = CliRunner()
ROWS = [
    {"id": "n1", "targetId": "P1", "createdAt": "2025-01-02", "description":
     "T/C strong smell of gas in kitchen, tenant has headaches", "categorisation": "Repairs"},
    {"id": "n2", "targetId": "P2", "createdAt": "2025-01-03", "description":
     "Rent account cleared", "categorisation": "Rent"},
    {"id": "n3", "targetId": "P3", "createdAt": "2025-01-04", "description": "",
     "categorisation": "Rent"},
    {"id": "n4", "targetId": "P4", "createdAt": "2025-01-05", "description":
     'Line one "quoted"\nline two: black mould in baby\'s room', "categorisation": "Repairs"},
]


def score(*args: str) -> object:
    return runner.invoke(app, ["score", *args, "--jobs", "1", "--quiet"])


def export(tmp_path: Path, name: str = "export.csv", rows: list[dict[str, str]] = ROWS,
           encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


def notes_table_of(source: Path) -> pd.DataFrame:
    """Score ``source`` (one process) and read back the notes table it wrote."""
    notes = source.with_name("n.csv")
    result = score(str(source), "--notes", str(notes))
    assert result.exit_code == 0, result.output
    return pd.read_csv(notes, keep_default_na=False)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name)


def test_a_csv_export_gives_both_tables_with_every_row_in_order(tmp_path: Path) -> None:
    notes, mentions = tmp_path / "notes.csv", tmp_path / "mentions.csv"
    result = score(str(export(tmp_path)), "--notes", str(notes), "--mentions", str(mentions),
                   "--keep", "targetId,categorisation")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(notes, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["note_id", "targetId", "categorisation",
                                   *list(NOTE_COLUMNS)[1:]]
    assert table["note_id"].tolist() == ["n1", "n2", "n3", "n4"]
    assert table["status"].tolist() == ["ok", "ok", "empty", "ok"]
    assert table["flagged"].tolist() == ["True", "False", "False", "True"]
    found = pd.read_csv(mentions)
    assert list(found.columns) == list(MENTION_COLUMNS)
    assert set(found["note_id"]) == {"n1", "n4"}


def test_without_outputs_the_notes_table_goes_to_stdout(tmp_path: Path) -> None:
    result = score(str(export(tmp_path)))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("note_id,n_mentions,n_risk,risk_score")
    assert len(pd.read_csv(__import__("io").StringIO(result.stdout))) == 4


@pytest.mark.parametrize("out_suffix", [".parquet", ".jsonl", ".tsv", ".xlsx"])
@pytest.mark.parametrize("in_suffix", [".parquet", ".jsonl", ".tsv", ".xlsx"])
def test_every_input_format_gives_the_same_tables(tmp_path: Path, in_suffix: str,
                                                  out_suffix: str) -> None:
    frame = pd.DataFrame(ROWS)
    source = tmp_path / f"export{in_suffix}"
    if in_suffix == ".parquet":
        frame.to_parquet(source)
    elif in_suffix == ".jsonl":
        frame.to_json(source, orient="records", lines=True)
    elif in_suffix == ".tsv":
        frame.to_csv(source, sep="\t", index=False)
    else:
        frame.to_excel(source, index=False)
    notes, mentions = tmp_path / f"notes{out_suffix}", tmp_path / f"mentions{out_suffix}"
    result = score(str(source), "--notes", str(notes), "--mentions", str(mentions))
    assert result.exit_code == 0, result.output
    read = {".parquet": pd.read_parquet, ".xlsx": pd.read_excel,
            ".jsonl": lambda p: pd.read_json(p, lines=True, dtype=False),
            ".tsv": lambda p: pd.read_csv(p, sep="\t")}[out_suffix]
    table = read(notes)
    assert [str(v) for v in table["note_id"]] == ["n1", "n2", "n3", "n4"]
    assert table["status"].tolist() == ["ok", "ok", "empty", "ok"]
    assert len(read(mentions)) >= 2


def test_parquet_output_keeps_the_documented_dtypes(tmp_path: Path) -> None:
    notes, mentions = tmp_path / "n.parquet", tmp_path / "m.parquet"
    assert score(str(export(tmp_path)), "--notes", str(notes), "--mentions",
                 str(mentions)).exit_code == 0
    table = pd.read_parquet(notes)
    assert str(table["n_mentions"].dtype) == "int64"
    assert str(table["flagged"].dtype) == "bool"
    assert str(table["risk_score"].dtype) == "float64"
    assert str(pd.read_parquet(mentions)["start"].dtype) == "int64"


@pytest.mark.parametrize("keep", [[], ["--keep", "targetId"]])
def test_parquet_written_from_arrow_reads_back_as_the_frames_scoring_gives(
        tmp_path: Path, keep: list[str]) -> None:
    """Without kept columns, each table goes to Parquet as scored, in Arrow, with the schema
    metadata pandas would write; with them, the notes table goes through pandas. Either way
    the files read back as the frames of ``score_frame``, dtypes and all."""
    from casenotes.engines.batch import score_frame

    tables = {name: tmp_path / f"{name}.parquet" for name in ("notes", "mentions", "hazards")}
    result = score(str(export(tmp_path)), *[f"--{name}={path}" for name, path in tables.items()],
                   *keep)
    assert result.exit_code == 0, result.output
    frame = pd.DataFrame(ROWS)
    expected = score_frame(frame, text="description", id="id", keep=keep[1:], hazards=True)
    for (name, path), table in zip(tables.items(), expected, strict=True):
        read = pd.read_parquet(path)
        if name == "notes":  # the file's ids are the export's text; the frame's as given
            table = table.astype({column: read[column].dtype for column in keep[1:]})
        pd.testing.assert_frame_equal(read, table, check_exact=True)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".tsv"])
def test_scoring_to_parquet_csv_or_tsv_never_imports_pandas(
        tmp_path: Path, suffix: str, python_prints: Callable[..., str]) -> None:
    source = export(tmp_path)
    notes, mentions = tmp_path / f"n{suffix}", tmp_path / f"m{suffix}"
    printed = python_prints(
        "import sys\n"
        "from casenotes.cli import main\n"
        f"sys.argv = ['casenotes', 'score', {str(source)!r}, '--notes', {str(notes)!r}, "
        f"'--mentions', {str(mentions)!r}, '--jobs', '1', '--quiet']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit\n"
        "print('pandas' in sys.modules)\n")
    assert printed.splitlines()[-1] == "False"
    assert len(read_table(notes)) == len(ROWS)


def test_a_cp1252_export_is_read_without_being_told(tmp_path: Path) -> None:
    rows = [dict(ROWS[0], description="Café owner paid £20; smell of gas – urgent")]
    source = export(tmp_path, rows=rows, encoding="cp1252")
    assert b"\xa3" in source.read_bytes()
    mentions = tmp_path / "m.csv"
    result = runner.invoke(app, ["score", str(source), "--mentions", str(mentions), "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "(cp1252)" in result.stderr
    assert pd.read_csv(mentions)["term"].tolist() == ["smell of gas"]


def test_a_utf8_bom_does_not_leak_into_the_first_column_name(tmp_path: Path) -> None:
    source = export(tmp_path, encoding="utf-8-sig")
    assert source.read_bytes().startswith(b"\xef\xbb\xbf")
    notes = tmp_path / "n.csv"
    assert score(str(source), "--notes", str(notes)).exit_code == 0
    assert pd.read_csv(notes)["note_id"].tolist() == ["n1", "n2", "n3", "n4"]


def test_quotes_newlines_and_a_megabyte_note_are_scored_and_nul_junk_is_marked(
        tmp_path: Path) -> None:
    big = ("Tenant called about the rent. " * 35_000) + "Black mould in the bedroom."
    rows = [dict(ROWS[0], id="nul", description="damp\x00 in hall"),
            dict(ROWS[0], id="big", description=big), *ROWS[3:]]
    notes, mentions = tmp_path / "n.csv", tmp_path / "m.csv"
    result = score(str(export(tmp_path, rows=rows)), "--notes", str(notes),
                   "--mentions", str(mentions))
    assert result.exit_code == 0, result.output
    assert len(big) > 1_000_000
    table = pd.read_csv(notes, keep_default_na=False)
    assert table["status"].tolist() == ["error", "ok", "ok"]
    assert "control characters (such as NUL)" in table["error"][0]
    terms = pd.read_csv(mentions).groupby("note_id")["term"].apply(list).to_dict()
    assert "Black mould" in terms["big"] and "black mould" in terms["n4"]


def test_rows_with_bytes_that_are_not_utf8_are_marked_and_the_rest_read_as_utf8(
        tmp_path: Path) -> None:
    source = tmp_path / "mixed.csv"
    source.write_bytes("id,text\n1,café smell of gas\n".encode()
                       + b"2,damp \xff\xfe junk\n3,caf\xe9 in cp1252\n"
                       + "4,black mould £5\n".encode())
    notes = tmp_path / "n.csv"
    result = runner.invoke(app, ["score", str(source), "--notes", str(notes), "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "(utf-8+junk)" in result.stderr
    table = pd.read_csv(notes, keep_default_na=False)
    assert table["status"].tolist() == ["ok", "error", "error", "ok"]
    assert "not UTF-8" in table["error"][1]


@pytest.mark.parametrize(("early", "late", "expected"), [
    ("£".encode(), b"", "utf-8"),
    (b"", b"caf\xe9", "cp1252"),
    ("£".encode(), b"caf\xe9", "utf-8+junk"),
    (b"", "caf\u00e9 \U0001f642".encode(), "utf-8"),
])
def test_the_encoding_is_told_from_bytes_anywhere_in_a_large_file(
        tmp_path: Path, early: bytes, late: bytes, expected: str) -> None:
    from casenotes.io.tables import detect_encoding

    filler = b"1,rent account cleared\n" * 200_000  # 4.6 MB: the scan reads it in blocks
    source = tmp_path / "big.csv"
    source.write_bytes(b"id,text\n0," + early + b"\n" + filler + b"2," + late + b"\n")
    assert detect_encoding(source) == expected
    # a multi-byte character split across the scan's 1 MiB blocks is still one character
    split = tmp_path / "split.csv"
    split.write_bytes(b"x" * ((1 << 20) - 1) + "£".encode() + b"\n")
    assert detect_encoding(split) == "utf-8"


def test_a_row_with_too_few_fields_is_kept_as_an_error(tmp_path: Path) -> None:
    source = tmp_path / "short.csv"
    source.write_text("id,text,ward\n1,smell of gas,N\n2,damp\n", encoding="utf-8")
    table = notes_table_of(source)
    assert table["status"].tolist() == ["ok", "error"]
    assert "2 fields but the header has 3" in table["error"][1]


def test_a_truncated_last_line_keeps_every_row(tmp_path: Path) -> None:
    source = tmp_path / "cut.csv"
    source.write_text('id,text\n1,smell of gas\n2,"damp in the hall and the ki',
                      encoding="utf-8")
    table = notes_table_of(source)
    assert table["note_id"].tolist() == [1, 2]
    assert table["status"].tolist() == ["ok", "error"]
    assert "quoting of this row is broken" in table["error"][1]


def test_a_stray_quote_fails_its_row_only_and_a_runaway_quote_swallows_no_rows(
        tmp_path: Path) -> None:
    source = tmp_path / "quotes.csv"
    source.write_text('id,text\n1,smell of gas\n2,"damp "here" now"\n3,black mould\n'
                      '4,"never closed\n5,CO alarm sounding\n6,rent paid\n', encoding="utf-8")
    table = notes_table_of(source)
    assert table["note_id"].tolist() == [1, 2, 3, 4, 5, 6]
    assert table["status"].tolist() == ["ok", "error", "ok", "error", "ok", "ok"]


def test_a_row_with_too_many_fields_is_kept_as_an_error(tmp_path: Path) -> None:
    source = tmp_path / "ragged.csv"
    source.write_text("id,text\n1,smell of gas\n2,damp,extra,fields\n3,\n", encoding="utf-8")
    table = notes_table_of(source)
    assert table["status"].tolist() == ["ok", "error", "empty"]
    assert "4 fields but the header has 2" in table["error"][1]


def test_bad_json_lines_are_kept_as_errors(tmp_path: Path) -> None:
    source = tmp_path / "notes.jsonl"
    source.write_text('{"id": 1, "text": "smell of gas"}\n{"id": 2, "text": "da\n'
                      '[1, 2]\n{"id": 4, "text": null}\n{"id": 5, "text": 7}\n',
                      encoding="utf-8")
    table = notes_table_of(source)
    assert table["status"].tolist() == ["ok", "error", "error", "empty", "error"]
    assert "not valid JSON" in table["error"][1]


def test_duplicate_ids_are_kept_and_reported(tmp_path: Path) -> None:
    rows = [ROWS[0], dict(ROWS[1], id="n1")]
    notes = tmp_path / "n.csv"
    result = runner.invoke(app, ["score", str(export(tmp_path, rows=rows)), "--notes",
                                 str(notes), "-j", "1"])
    assert result.exit_code == 0
    assert "1 notes share an id" in result.stderr
    assert len(pd.read_csv(notes)) == 2


def test_the_summary_counts_rows_mentions_and_flagged_categories(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", str(export(tmp_path)), "--notes",
                                 str(tmp_path / "n.csv"), "-j", "1"])
    assert result.exit_code == 0
    summary = result.stderr
    for line in ("notes read", "scored", "empty", "failed", "mentions", "flagged notes",
                 "gas", "damp_mould"):
        assert line in summary
    assert "notes table ->" in summary


@pytest.mark.parametrize(("args", "message"), [
    (["--text-column", "body"], "no column 'body'.*'description'"),
    (["--keep", "ward"], "no column 'ward'"),
    (["--id-column", "nope"], "no column 'nope'"),
])
def test_a_missing_column_exits_2_listing_the_columns(tmp_path: Path, args: list[str],
                                                      message: str) -> None:
    result = score(str(export(tmp_path)), *args)
    assert result.exit_code == 2
    assert pytest.importorskip("re").search(message, result.stderr)


def test_no_obvious_text_column_exits_2(tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("a,b\n1,2\n", encoding="utf-8")
    result = score(str(source))
    assert result.exit_code == 2 and "--text-column" in result.stderr


@pytest.mark.parametrize("make", ["missing", "folder", "empty", "extension", "not_parquet"])
def test_unreadable_inputs_exit_2_with_a_message(tmp_path: Path, make: str) -> None:
    path = {"missing": tmp_path / "nope.csv", "folder": tmp_path / "dir.csv",
            "empty": tmp_path / "empty.csv", "extension": tmp_path / "notes.docx",
            "not_parquet": tmp_path / "fake.parquet"}[make]
    if make == "folder":
        path.mkdir()
    elif make in ("empty", "extension"):
        path.write_text("", encoding="utf-8")
    elif make == "not_parquet":
        path.write_text("id,text\n", encoding="utf-8")
    result = score(str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith("casenotes: error: ")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("target", ["out.docx", "no/such/folder/out.csv"])
def test_bad_outputs_exit_2(tmp_path: Path, target: str) -> None:
    result = score(str(export(tmp_path)), "--notes", str(tmp_path / target))
    assert result.exit_code == 2 and "casenotes: error:" in result.stderr


def test_a_crash_midway_leaves_no_output_and_no_partial_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import casenotes.engines.batch as batch

    real = batch.score_rows
    calls = {"n": 0}

    def explode(chunk, scorer):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(chunk, scorer)

    monkeypatch.setattr(batch, "score_rows", explode)
    notes = tmp_path / "n.parquet"
    result = score(str(export(tmp_path)), "--notes", str(notes), "--chunk-size", "1")
    assert result.exit_code != 0
    assert not notes.exists()
    assert leftovers(tmp_path) == []


def test_a_real_run_scores_across_processes(tmp_path: Path) -> None:
    notes = tmp_path / "n.csv"
    process = subprocess.run(
        [sys.executable, "-m", "casenotes", "score", str(export(tmp_path)), "--notes",
         str(notes), "--jobs", "2", "--chunk-size", "1"],
        capture_output=True, text=True, timeout=300, check=False)
    assert process.returncode == 0, process.stderr
    assert pd.read_csv(notes)["note_id"].tolist() == ["n1", "n2", "n3", "n4"]


def test_a_real_run_with_a_missing_file_exits_2(tmp_path: Path) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "casenotes", "score", str(tmp_path / "gone.csv")],
        capture_output=True, text=True, timeout=120, check=False)
    assert process.returncode == 2
    assert process.stderr.strip() == f"casenotes: error: {tmp_path / 'gone.csv'}: no such file; " \
                                     "check the path"


def test_messages_never_quote_note_text(tmp_path: Path) -> None:
    rows = [dict(ROWS[0], description="Mrs Example of 1 Nowhere Road"),
            dict(ROWS[1], description=json.dumps({"x": 1}))]
    result = runner.invoke(app, ["score", str(export(tmp_path, rows=rows)), "--notes",
                                 str(tmp_path / "n.csv"), "-j", "1"])
    assert "Nowhere" not in result.output


def test_ctrl_c_leaves_no_output_and_no_partial_file(tmp_path: Path) -> None:
    import signal
    import time

    # Far more rows than are scored before the interrupt, so it cannot land while the run is
    # already finishing (once, in CI, an 80,000-row run ended with exit 0 and its summary).
    rows = [dict(ROWS[i % 4], id=f"r{i}") for i in range(240_000)]
    source = export(tmp_path, rows=rows)
    out = tmp_path / "out"
    out.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "casenotes", "score", str(source), "--notes",
         str(out / "notes.parquet"), "--mentions", str(out / "mentions.csv"), "--jobs", "2",
         "--chunk-size", "500"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        # A shell running this in the background ignores SIGINT; a terminal's Ctrl-C does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    partial = out / f".mentions.csv.partial-{process.pid}"
    while time.monotonic() < deadline and process.poll() is None and (
            not partial.exists() or partial.stat().st_size < 20_000):
        time.sleep(0.05)  # wait until mentions are being written
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 130, errors
    assert "interrupted; no output was written" in errors
    assert sorted(p.name for p in out.iterdir()) == []


def test_the_progress_bar_shows_rows_rate_and_eta() -> None:
    import io
    from types import SimpleNamespace

    from rich.console import Console

    from casenotes.cli import _progress

    screen = io.StringIO()
    reader = SimpleNamespace(total_rows=None, total_bytes=1000, bytes_read=0)
    with _progress(True, reader, Console(file=screen, force_terminal=True, width=120)) \
            as advance:
        for step in range(1, 5):
            reader.bytes_read = 250 * step
            advance(100)
    shown = screen.getvalue()
    assert "400 rows" in shown and "rows/s" in shown and "ETA" in shown


def test_no_progress_bar_when_not_asked(capsys: pytest.CaptureFixture[str]) -> None:
    from casenotes.cli import _progress

    with _progress(False, object()) as advance:
        advance(10)
    assert capsys.readouterr() == ("", "")


def test_mask_pii_masks_kept_columns_in_the_written_table(tmp_path: Path) -> None:
    rows = [dict(ROWS[0], targetId="Mr Kowalski, SW1A 1AA")]
    notes = tmp_path / "n.csv"
    assert score(str(export(tmp_path, rows=rows)), "--notes", str(notes), "--keep", "targetId",
                 "--mask-pii").exit_code == 0
    assert pd.read_csv(notes)["targetId"].tolist() == ["Mr [NAME], [POSTCODE]"]


def test_an_interrupt_a_library_swallowed_still_stops_the_run_at_the_next_chunk() -> None:
    import contextlib
    import signal

    from casenotes.cli import _interruptible

    # A terminal's Ctrl-C: Python's own handler is in place (whatever an earlier test left).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with _interruptible() as check_interrupt:
            check_interrupt()  # nothing yet
            assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
            # What a library that catches too much does (raise_signal runs the handler
            # before it returns).
            with contextlib.suppress(KeyboardInterrupt):
                signal.raise_signal(signal.SIGINT)
            with pytest.raises(KeyboardInterrupt):
                check_interrupt()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_an_ignored_interrupt_stays_ignored_while_scoring() -> None:
    import signal

    from casenotes.cli import _interruptible

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a shell's background job
    try:
        with _interruptible() as check_interrupt:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            check_interrupt()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
