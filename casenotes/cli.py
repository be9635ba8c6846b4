"""The ``casenotes`` command line: the only module that prints.

Results go to files or stdout, diagnostics to stderr; a :class:`CasenotesError` becomes a
one-line message and exit code 1, a bad option or path exit code 2.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TextIO, cast

import typer
from typer.core import TyperGroup

from .__about__ import __version__
from .errors import CasenotesError, InputError, InputSchemaError, OutputError
from .lexicon import Lexicon, load_lexicon


class _CasenotesGroup(TyperGroup):
    """Turns casenotes errors into one line on stderr and an exit code, inside the app, so
    every way of running it (console, ``python -m``, Typer's ``CliRunner``) sees the same
    codes: input and output problems 2, other casenotes errors 1, an unexpected failure 1 with
    where it happened but never what it said."""

    def invoke(self, ctx: Any) -> Any:  # Typer vendors click: its Context is private
        try:
            return super().invoke(ctx)
        except (InputError, InputSchemaError, OutputError) as exc:
            typer.echo(f"casenotes: error: {exc}", err=True)
            raise typer.Exit(code=2) from None
        except CasenotesError as exc:
            typer.echo(f"casenotes: error: {exc}", err=True)
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            typer.echo("casenotes: interrupted; no output was written", err=True)
            raise typer.Exit(code=130) from None
        except BrokenPipeError:
            # Whoever read our output went away (``casenotes lexicon | head``): stop quietly,
            # as Unix tools do, with stdout pointed at devnull for the interpreter's last flush.
            _silence_stdout()
            raise typer.Exit(code=141) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # Typer's own exits and usage errors
        except Exception as exc:  # an unexpected failure: say where, never what it said
            typer.echo(internal_error(exc), err=True)
            raise typer.Exit(code=1) from None


app = typer.Typer(
    cls=_CasenotesGroup,
    name="casenotes",
    help="Find hazard mentions in housing case notes and tell genuine risks from routine ones.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

MENTION_FIELDS = (
    "note_id", "start", "end", "term", "term_id", "category", "hhsrs_hazard", "context", "cues",
    "risk_probability", "label", "reasons",
)


class OutputFormat(str, Enum):
    csv = "csv"
    jsonl = "jsonl"


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"casenotes: error: {message}", err=True)
    return typer.Exit(code=code)


def _moment(as_of: str | None) -> datetime | None:
    """``--as-of`` as a moment, or a usage error (exit 2) naming what was given."""
    if not as_of:
        return None
    import pandas as pd

    try:
        moment = pd.Timestamp(as_of)
    except (ValueError, TypeError):
        moment = pd.NaT
    if moment is pd.NaT:
        raise _fail(f"--as-of {as_of!r} is not a date; write it like 2026-12-03 or "
                    "'2026-12-03 14:30'", code=2)
    return cast(datetime, moment.to_pydatetime())


def hash_array(values: Sequence[str]) -> Any:
    """The 64-bit hashes of strings, as a numpy array: equal within a run for equal strings
    (Python's own hash, salted per process), all a count of repeated ids needs."""
    import numpy as np

    return np.fromiter(map(hash, values), dtype=np.int64, count=len(values))


def _lexicon(paths: list[Path] | None, replace: bool) -> Lexicon:
    return load_lexicon(*(paths or ()), replace=replace)


MODEL_HELP = ("fast (the default), accurate (the cascade of the fast model and the encoder; "
              "needs casenotes[accurate]), encoder (the encoder on every mention), or a model "
              "folder.")


def _scorer(model: str | None, *, threshold: float | None = None,
            lexicon: Lexicon | None = None) -> Any:
    """The scorer for a --model value (see MODEL_HELP)."""
    from .scoring import build_scorer

    return build_scorer(model, threshold=threshold, lexicon=lexicon)


def _note_rows(path: Path, text_column: str | None, id_column: str | None,
               ) -> Iterator[tuple[object, object, str | None]]:
    """(id cell, text cell, the reader's complaint) for every row of any export ``casenotes
    score`` reads, or every line of a plain text file (one note a line, numbered from 1)."""
    from .io.tables import TableReader

    if path.suffix.lower() == ".txt":
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                yield number, line.rstrip("\r\n"), None
        return
    for chunk in TableReader(path, text=text_column, id=id_column).chunks():
        yield from zip(chunk.ids, chunk.texts, chunk.problems or [None] * len(chunk.texts),
                       strict=True)


def _read_notes(path: Path, text_column: str | None, id_column: str | None,
                skipped: list[int]) -> Iterator[tuple[str, str]]:
    """Yield (note_id, text) for the rows of ``path`` that can be scored. The others
    (unreadable, empty, not text) are counted in ``skipped``: ``casenotes score`` lists them
    with their reasons."""
    from .engines.batch import note_id_text, text_status

    for note_id, text, problem in _note_rows(path, text_column, id_column):
        if problem is None and text_status(text)[0] == "ok":
            yield note_id_text(note_id), str(text)
        else:
            skipped[0] += 1


@app.command("mentions")
def mentions_command(
    input_path: Annotated[Path, typer.Argument(
        metavar="INPUT", exists=True, dir_okay=False, readable=True,
        help="Notes: any export `casenotes score` reads (.csv/.tsv, .parquet, .jsonl, .xlsx), "
        "or a .txt file with one note a line.")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", dir_okay=False, help="Write here instead of stdout.")] = None,
    output_format: Annotated[OutputFormat | None, typer.Option(
        "--format", help="csv or jsonl; default from the output file's extension, else csv.",
    )] = None,
    text_column: Annotated[str | None, typer.Option(help="Column holding the note text.")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column holding the note id.")] = None,
    lexicon: Annotated[list[Path] | None, typer.Option(
        exists=True, dir_okay=False, help="Extra lexicon file(s) extending the default.")] = None,
    replace_lexicon: Annotated[bool, typer.Option(
        help="Let the --lexicon files replace the default sections instead of extending.")] = False,
    model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
    threshold: Annotated[float | None, typer.Option(
        min=0.0, max=1.0, help="P(risk) cut; the model's own when omitted.")] = None,
) -> None:
    """List every hazard mention with its context, cues, P(risk), label and reasons."""

    fmt = output_format or (OutputFormat.jsonl if output and output.suffix.lower() in (
        ".jsonl", ".ndjson") else OutputFormat.csv)
    chosen = _lexicon(lexicon, replace_lexicon)
    scorer = _scorer(model, threshold=threshold, lexicon=chosen)
    skipped = [0]
    rows = _read_notes(input_path, text_column, id_column, skipped)
    first = next(rows, None)  # the input and its columns are checked before any output
    notes = rows if first is None else itertools.chain([first], rows)
    del rows
    from .io.tables import atomic_output

    if output is None:
        n_notes, n_mentions, n_risk = _write_mentions(sys.stdout, fmt, scorer, notes)
    else:  # written beside the target and renamed on success: a failed run leaves nothing
        with atomic_output(output) as partial, partial.open(
                "w", encoding="utf-8", newline="") as handle:
            n_notes, n_mentions, n_risk = _write_mentions(handle, fmt, scorer, notes)
    typer.echo(f"casenotes: {n_notes} notes, {n_mentions} mentions, {n_risk} labelled risk",
               err=True)
    if skipped[0]:
        count = "1 row was" if skipped[0] == 1 else f"{skipped[0]:,} rows were"
        typer.echo(f"casenotes: {count} empty or could not be read, so have no mentions; "
                   "`casenotes score --notes NOTES.csv` lists each with its reason", err=True)


def _write_mentions(handle: TextIO, fmt: OutputFormat, scorer: Any,
                    notes: Iterator[tuple[str, str]]) -> tuple[int, int, int]:
    """Write every scored mention as CSV or JSON Lines; the counts of notes, mentions and
    risk labels."""
    from .io.schema import join_list

    n_notes = n_mentions = n_risk = 0
    writer = csv.DictWriter(handle, MENTION_FIELDS) if fmt is OutputFormat.csv else None
    if writer:
        writer.writeheader()
    for scored in scorer.score_notes(notes):
        n_notes += 1
        for item in scored.mentions:
            mention = item.mention
            n_mentions += 1
            n_risk += item.label == "risk"
            row: dict[str, Any] = {
                "note_id": mention.note_id, "start": mention.start, "end": mention.end,
                "term": mention.term, "term_id": mention.term_id,
                "category": mention.category, "hhsrs_hazard": mention.hhsrs_hazard,
                "context": mention.context,
                "cues": join_list(f"{c.kind}:{c.text}" for c in mention.cues),
                "risk_probability": round(item.risk_probability, 4),
                "label": item.label, "reasons": join_list(map(str, item.reasons)),
            }
            if writer:
                writer.writerow(row)
            else:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return n_notes, n_mentions, n_risk


@app.command("score")
def score_command(
    input_path: Annotated[Path, typer.Argument(
        metavar="INPUT",
        help="A notes export: .csv/.tsv (optionally .gz), .parquet, .jsonl or .xlsx.")],
    text_column: Annotated[str | None, typer.Option(
        "--text-column", help="Column with the note text (default: the one obvious name).")
    ] = None,
    id_column: Annotated[str | None, typer.Option(
        "--id-column", help="Column with the note id (default: the one obvious name, else the "
        "row number).")] = None,
    mentions_out: Annotated[str | None, typer.Option(
        "--mentions", metavar="OUT", help="Write the mentions table here (.csv, .tsv, .parquet, "
        ".jsonl, .xlsx; - for CSV on stdout).")] = None,
    notes_out: Annotated[str | None, typer.Option(
        "--notes", metavar="OUT", help="Write the notes table here (same formats). Without "
        "--notes, --mentions or --hazards, the notes table goes to stdout as CSV.")] = None,
    hazards_out: Annotated[str | None, typer.Option(
        "--hazards", metavar="OUT", help="Write the hazards table here (same formats): one row "
        "per note and hazard category, with the verdict, probability, urgency and evidence.")
    ] = None,
    events_out: Annotated[str | None, typer.Option(
        "--events", metavar="OUT", help="Write the events table here (same formats): one row "
        "per event a note records about a hazard (reported, booked, no_access, refused, "
        "inspected, made_safe, works_done, resolved, chaser, recurrence), for `casenotes "
        "cases`.")] = None,
    keep: Annotated[str | None, typer.Option(
        "--keep", metavar="COL,...", help="Columns to carry into the notes table.")] = None,
    threshold: Annotated[float | None, typer.Option(
        "--threshold", min=0.0, max=1.0, help="P(risk) at which a mention is labelled risk "
        "(default: the model's).")] = None,
    model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
    lexicon: Annotated[list[Path] | None, typer.Option(
        "--lexicon", exists=True, dir_okay=False, help="Extra lexicon JSON (repeatable).")
    ] = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, help="Processes to score with (default: all cores).")] = None,
    chunk_size: Annotated[int, typer.Option(
        "--chunk-size", min=1, help="Rows read, scored and written at a time.")] = 2_000,
    encoding: Annotated[str, typer.Option(
        "--encoding", help="Text encoding of CSV/JSONL input: auto (UTF-8, UTF-8 with BOM or "
        "cp1252), utf-8, utf-8-sig, cp1252, latin-1, utf-16.")] = "auto",
    mask_pii: Annotated[bool, typer.Option(
        "--mask-pii", help="Mask personal data (names, phones, emails, postcodes, NI and NHS "
        "numbers, dates of birth, addresses) in kept columns and reasons.")] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No progress bar and no summary.")] = False,
) -> None:
    """Score a notes export: a notes table (every input row, in order), a mentions table, a
    hazards table (one verdict per note and hazard category) and an events table."""
    from .engines.batch import ScorerSpec, default_jobs
    from .errors import InputError
    from .io.tables import TableReader

    outputs = [mentions_out, notes_out, hazards_out, events_out]
    if outputs.count("-") > 1:
        raise _fail("only one table can go to stdout; give the others a file name", code=2)
    if outputs.count(None) == len(outputs):
        notes_out = "-"
    kept = [c.strip() for c in keep.split(",") if c.strip()] if keep else []
    try:
        reader = TableReader(input_path, text=text_column, id=id_column, keep=kept,
                             chunk_size=chunk_size, encoding=encoding)
    except (InputError, InputSchemaError) as exc:
        raise _fail(str(exc), code=2) from None
    spec = ScorerSpec(model=str(model) if model else None, threshold=threshold,
                      lexicon=tuple(str(p) for p in lexicon or ()),
                      events=events_out is not None)
    from .loading import check_model

    check_model(spec.model)  # before any output is opened or any worker starts
    writers = _open_writers(reader, notes_out, mentions_out, hazards_out, events_out)
    started = time.perf_counter()
    try:
        stats, duplicates = _score_into(reader, writers, spec, jobs or default_jobs(),
                                        mask_pii=mask_pii,
                                        progress=not quiet and sys.stderr.isatty())
    except KeyboardInterrupt:
        typer.echo("casenotes: interrupted; no output was written", err=True)
        raise typer.Exit(code=130) from None
    if not quiet:
        _summary(reader, stats, duplicates, time.perf_counter() - started, writers)


def _open_writers(reader: Any, notes_out: str | None, mentions_out: str | None,
                  hazards_out: str | None, events_out: str | None = None,
                  ) -> list[tuple[str, Any]]:
    """A writer per table asked for; a bad output path is a usage error and opens nothing."""
    from .io.tables import (
        TableWriter,
        events_dtypes,
        hazards_dtypes,
        mentions_dtypes,
        notes_dtypes,
    )

    writers: list[tuple[str, Any]] = []
    try:
        if notes_out is not None:
            writers.append(("notes", TableWriter(notes_out, notes_dtypes(reader.keep))))
        if mentions_out is not None:
            writers.append(("mentions", TableWriter(mentions_out, mentions_dtypes())))
        if hazards_out is not None:
            writers.append(("hazards", TableWriter(hazards_out, hazards_dtypes())))
        if events_out is not None:
            writers.append(("events", TableWriter(events_out, events_dtypes())))
    except OutputError as exc:
        for _, writer in writers:
            writer.abort()
        raise _fail(str(exc), code=2) from None
    return writers


def _score_into(reader: Any, writers: list[tuple[str, Any]], spec: Any, jobs: int, *,
                mask_pii: bool, progress: bool) -> tuple[Any, int]:
    """Score every chunk of ``reader`` into ``writers`` and commit them, or abort them all on
    any failure; returns the run's counts and the number of repeated note ids."""
    from .engines.batch import ChunkStats, score_chunks

    stats = ChunkStats()
    id_hashes: list[Any] = []
    try:
        with _progress(progress, reader) as advance, _interruptible() as check_interrupt:
            for scored in score_chunks(reader.chunks(), spec, jobs=jobs, mask_pii=mask_pii):
                check_interrupt()
                for name, writer in writers:
                    # Parquet, CSV and TSV take the tables as scored (Arrow): no pandas.
                    arrow = scored.arrow_of(name) if writer.takes_arrow else None
                    writer.write(getattr(scored, name) if arrow is None else arrow)
                stats.add(scored.stats)
                if reader.id_column is not None:
                    id_hashes.append(hash_array(
                        scored.arrow["notes"].column("note_id").to_pylist()))
                advance(scored.stats.notes)
        for _, writer in writers:
            writer.commit()
    except BaseException:
        for _, writer in writers:
            writer.abort()
        raise
    return stats, _count_duplicates(id_hashes)


@contextmanager
def _interruptible() -> Iterator[Callable[[], None]]:
    """Ctrl-C stops a run even where a library swallowed the KeyboardInterrupt it raised (seen
    in CI: a run that got SIGINT went on to the end and exit 0): the interrupt is remembered,
    and the check this yields raises it again at the next chunk. A SIGINT the shell told this
    process to ignore (a background job) stays ignored."""
    interrupted = False

    def on_interrupt(signum: int, frame: Any) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    def check() -> None:
        if interrupted:
            raise KeyboardInterrupt

    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield check
        return
    signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield check
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _count_duplicates(hashes: list[Any]) -> int:
    """Rows whose id hash equals an earlier row's (64-bit hashes: flat memory per row)."""
    if not hashes:
        return 0
    import numpy as np

    joined = np.concatenate(hashes)
    return int(len(joined) - len(np.unique(joined)))


@contextmanager
def _progress(show: bool, reader: Any, console: Any = None) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr with rows/s and ETA (bytes read when rows are unknown)."""
    if not show:
        yield lambda _: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    by_rows = reader.total_rows is not None
    total = reader.total_rows if by_rows else (reader.total_bytes or None)
    progress = Progress(
        TextColumn("scoring"), BarColumn(), TextColumn("{task.fields[rows]:,} rows"),
        TextColumn("{task.fields[rate]:,.0f} rows/s"), TimeElapsedColumn(),
        TextColumn("ETA"), TimeRemainingColumn(),
        console=console or Console(stderr=True), transient=True,
    )
    started = time.perf_counter()
    scored = 0
    with progress:
        task = progress.add_task("score", total=total, rows=0, rate=0.0)

        def advance(rows: int) -> None:
            nonlocal scored
            scored += rows
            elapsed = max(time.perf_counter() - started, 1e-9)
            # Rows are counted as scored; without a row count, bytes read drive the ETA.
            progress.update(task, completed=scored if by_rows else reader.bytes_read,
                            rows=scored, rate=scored / elapsed)
        yield advance


def _summary(reader: Any, stats: Any, duplicates: int, seconds: float, writers: list[Any],
             ) -> None:
    echo = partial(typer.echo, err=True)
    rate = stats.notes / seconds if seconds else 0.0
    echo(f"casenotes score: {reader.path.name}"
         + (f" ({reader.used_encoding})" if reader.used_encoding else ""))
    echo(f"  notes read     {stats.notes:>12,}   ({seconds:,.1f} s, {rate:,.0f} notes/s)")
    echo(f"  scored         {stats.scored:>12,}")
    echo(f"  empty          {stats.empty:>12,}")
    echo(f"  failed         {stats.failed:>12,}" + ("   (see the status and error columns)"
                                                   if stats.failed else ""))
    echo(f"  mentions       {stats.mentions:>12,}")
    echo(f"  flagged notes  {stats.flagged:>12,}")
    for category, count in sorted(stats.flagged_by_category.items(),
                                  key=lambda item: (-item[1], item[0])):
        echo(f"    {category:<18}{count:>10,}")
    if reader.id_column is None:
        echo("  note_id is the row number: no id column was found (use --id-column)")
    if duplicates:
        echo(f"  warning: {duplicates:,} notes share an id with an earlier note; all are kept "
             "(use --id-column to pick a unique column)")
    for name, writer in writers:
        where = "stdout" if writer.to_stdout else str(writer.target)
        echo(f"  {name} table -> {where} ({writer.rows:,} rows)")


@app.command("report")
def report_command(
    input_path: Annotated[Path, typer.Argument(
        metavar="INPUT", help="The notes export (.csv/.tsv, .parquet, .jsonl, .xlsx).")],
    output: Annotated[Path, typer.Option(
        "--output", "-o", dir_okay=False, help="Where to write the HTML report.")],
    notes_table: Annotated[Path | None, typer.Option(
        "--notes", help="A notes table casenotes score wrote for INPUT (with --mentions: "
        "no rescoring).")] = None,
    mentions_table: Annotated[Path | None, typer.Option(
        "--mentions", help="The mentions table of the same run.")] = None,
    hazards_table: Annotated[Path | None, typer.Option(
        "--hazards", help="The hazards table of the same run (with --notes and --mentions): "
        "each note's hazard verdicts; without it they are derived from the mentions.")] = None,
    events_table: Annotated[Path | None, typer.Option(
        "--events", help="The events table of the same run (with --notes and --mentions): "
        "what the clock reads; without it the events are derived from the mentions.")] = None,
    text_column: Annotated[str | None, typer.Option("--text-column")] = None,
    id_column: Annotated[str | None, typer.Option("--id-column")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", min=1, help="Most notes in the report (highest risk first).")] = 2_000,
    include_unflagged: Annotated[bool, typer.Option(
        "--include-unflagged", help="Also list notes whose mentions are all routine.")] = False,
    no_mask_pii: Annotated[bool, typer.Option(
        "--no-mask-pii", help="Show personal data (masked by default).")] = False,
    title: Annotated[str, typer.Option("--title")] = "casenotes report",
    threshold: Annotated[float | None, typer.Option("--threshold", min=0.0, max=1.0)] = None,
    model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1)] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1)] = 2_000,
    encoding: Annotated[str, typer.Option("--encoding")] = "auto",
    case_column: Annotated[str | None, typer.Option(
        "--case-column", help="With --date-column: add the Awaab's Law clock at the top.")
    ] = None,
    date_column: Annotated[str | None, typer.Option("--date-column")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Judge the clock at this moment (default: the latest note).")] = None,
) -> None:
    """Write a self-contained HTML report of the flagged notes, for analysts to review."""
    from .engines.batch import ScorerSpec, default_jobs
    from .io.tables import TableReader, write_text_atomically
    from .triage.cases import HOLIDAY_SOURCE, roll_up
    from .triage.report import clock_rows, render_report, report_notes

    given_moment = _moment(as_of)
    if (notes_table is None) != (mentions_table is None):
        raise _fail("give both --notes and --mentions (the tables of one casenotes score run), "
                    "or neither to score INPUT now", code=2)
    if output.suffix.lower() not in (".html", ".htm"):
        raise _fail(f"{output.name}: the report is HTML; name it report.html", code=2)
    if (case_column is None) != (date_column is None):
        raise _fail("the clock needs both --case-column and --date-column", code=2)
    clock_columns = [c for c in (case_column, date_column) if c is not None]
    clocked = len(clock_columns) == 2
    if not output.parent.is_dir():
        raise _fail(f"{output.parent}: no such folder for the report; create it first", code=2)
    if (hazards_table is not None or events_table is not None) and notes_table is None:
        raise _fail("--hazards and --events go with --notes and --mentions (the tables of one "
                    "casenotes score run)", code=2)
    try:
        reader = TableReader(input_path, text=text_column, id=id_column,
                             keep=clock_columns if notes_table is None else (),
                             chunk_size=chunk_size, encoding=encoding)
    except (InputError, InputSchemaError) as exc:
        raise _fail(str(exc), code=2) from None
    clock = _ClockNotes(case_column, date_column) if clocked else None
    if notes_table is not None and mentions_table is not None:
        stream = _notes_from_tables(reader, notes_table, mentions_table, hazards_table, clock,
                                    events_table)
    else:
        spec = ScorerSpec(model=str(model) if model else None, threshold=threshold,
                          events=clocked)
        stream = _notes_scored_now(reader, spec, jobs or default_jobs(), clock)
    data = report_notes(stream, limit=limit, mask_pii=not no_mask_pii,
                        include_unflagged=include_unflagged)
    rows: list[dict[str, Any]] = []
    clock_note = ""
    if clock is not None and clock.dated:
        moment = given_moment or max(note.when for note in clock.dated)
        rows = clock_rows(roll_up(clock.dated, as_of=moment))
        clock_note = f"Judged at {moment:%Y-%m-%d %H:%M}; working days: {HOLIDAY_SOURCE}."
    page = render_report(data, title=title, source=input_path.name, clock=rows,
                         clock_note=clock_note)
    write_text_atomically(output, page)
    typer.echo(f"casenotes report: {data.shown:,} of {data.flagged_notes:,} flagged notes "
               f"(of {data.total_notes:,}) -> {output}"
               + ("" if data.masked else "; personal data NOT masked"), err=True)


class _ClockNotes:
    """Collects the dated notes with mentions that the report's clock reads."""

    def __init__(self, case_column: str | None, date_column: str | None) -> None:
        self.case_column, self.date_column = str(case_column), str(date_column)
        self.dated: list[Any] = []

    def add(self, notes: Any, mentions: Any, hazards: Any = None, events: Any = None) -> None:
        from .triage.cases import case_notes

        found, _ = case_notes(notes, mentions, case_column=self.case_column,
                              date_column=self.date_column, hazards=hazards, events=events)
        self.dated.extend(note for note in found if note.mentions or note.events)


def _notes_from_tables(reader: Any, notes_table: Path, mentions_table: Path,
                       hazards_table: Path | None, clock: _ClockNotes | None,
                       events_table: Path | None = None) -> Iterator[Any]:
    """The report's notes from the tables of an earlier ``casenotes score`` run."""
    from .io.tables import read_table
    from .triage.report import notes_from_tables

    notes_frame, mentions_frame = read_table(notes_table), read_table(mentions_table)
    hazards_frame = read_table(hazards_table) if hazards_table is not None else None
    events_frame = read_table(events_table) if events_table is not None else None
    if clock is not None:
        try:
            clock.add(notes_frame, mentions_frame, hazards_frame, events_frame)
        except InputSchemaError as exc:
            raise _fail(str(exc), code=2) from None
    texts = (text for chunk in reader.chunks() for text in chunk.texts)
    return notes_from_tables(notes_frame, mentions_frame, texts, hazards_frame)


def _notes_scored_now(reader: Any, spec: Any, jobs: int,
                      clock: _ClockNotes | None) -> Iterator[Any]:
    """The report's notes, scoring the input as they are read."""
    from collections import deque

    from .engines.batch import score_chunks
    from .triage.report import notes_from_tables

    pending: deque[Any] = deque()

    def remembered() -> Iterator[Any]:
        for chunk in reader.chunks():
            pending.append(chunk)
            yield chunk

    for scored in score_chunks(remembered(), spec, jobs=jobs):
        chunk = pending.popleft()
        if clock is not None:
            clock.add(scored.notes, scored.mentions, scored.hazards, scored.events)
        yield from notes_from_tables(scored.notes, scored.mentions, chunk.texts, scored.hazards)


@app.command("cases")
def cases_command(
    notes_table: Annotated[Path, typer.Argument(
        metavar="NOTES", help="The notes table of casenotes score, with the case and date "
        "columns kept (--keep targetId,createdAt).")],
    mentions_table: Annotated[Path, typer.Option(
        "--mentions", help="The mentions table of the same run.")],
    hazards_in: Annotated[Path | None, typer.Option(
        "--hazards", help="The hazards table of the same run: each note's verdict per hazard "
        "decides whether it reports the hazard (default: its mentions' labels).")] = None,
    events_in: Annotated[Path | None, typer.Option(
        "--events", help="The events table of the same run: what each note records (booked, "
        "no access, inspected, made safe, works done...), which the clock reads. Without it "
        "the clock reads only the mentions' contexts, which is coarser.")] = None,
    case_column: Annotated[str, typer.Option(
        "--case-column", help="Column naming the tenancy or property.")] = "targetId",
    date_column: Annotated[str, typer.Option(
        "--date-column", help="Column with each note's date and time.")] = "createdAt",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", dir_okay=False, help="Write the roll-up (.csv or .parquet).")] = None,
    overdue_out: Annotated[Path | None, typer.Option(
        "--overdue", dir_okay=False, help="Write the overdue hazards (.csv or .parquet).")
    ] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Judge the clock at this date and time (default: the latest note).")
    ] = None,
) -> None:
    """Roll scored notes up by case and hazard, with the Awaab's Law clock and what is overdue."""

    from .io.tables import atomic_output, read_table
    from .triage.cases import HOLIDAY_SOURCE, case_notes, hazards_table, roll_up

    given_moment = _moment(as_of)
    notes, mentions = read_table(notes_table), read_table(mentions_table)
    verdicts = read_table(hazards_in) if hazards_in is not None else None
    recorded = read_table(events_in) if events_in is not None else None
    try:
        dated, skipped = case_notes(notes, mentions, case_column=case_column,
                                    date_column=date_column, hazards=verdicts,
                                    events=recorded)
    except InputSchemaError as exc:
        raise _fail(str(exc), code=2) from None
    if not dated:
        raise _fail(f"no note has both a {case_column} and a readable {date_column}", code=2)
    moment = given_moment or max(note.when for note in dated)
    hazards = roll_up(dated, as_of=moment)
    table = hazards_table(hazards)
    for path, rows in ((output, table), (overdue_out, table[table["clock"] == "overdue"])):
        if path is not None:
            with atomic_output(path) as pending:
                if path.suffix.lower() == ".parquet":
                    rows.to_parquet(pending, index=False)
                else:
                    rows.to_csv(pending, index=False)
    echo = partial(typer.echo, err=True)
    counts = table["clock"].value_counts().to_dict() if len(table) else {}
    cases = table["case"].nunique() if len(table) else 0
    still_open = int(table["open"].sum()) if len(table) else 0
    echo(f"casenotes cases: {len(dated):,} dated notes ({skipped:,} without a case or date), "
         f"{cases:,} cases, {len(table):,} hazards, {still_open:,} open; clock at "
         f"{moment:%Y-%m-%d %H:%M}")
    echo("  " + ", ".join(f"{state} {counts.get(state, 0):,}" for state in
                          ("overdue", "due", "late", "met", "not applicable")))
    overdue = [h for h in hazards if h.clock == "overdue"]
    if overdue:
        echo("overdue (Awaab's Law clock; a triage aid from case notes, not a legal "
             "determination):")
        for h in overdue[:20]:
            echo(f"  {h.case:<14} {h.category:<16} {h.urgency:<12} reported "
                 f"{h.clock_from:%Y-%m-%d %H:%M} (note {h.opened_by}), due "
                 f"{h.deadline:%Y-%m-%d %H:%M}, priority {h.priority:.0f}; since: "
                 + (", ".join(f"{e.note_id} {e.event}" for e in h.events[1:][-3:])
                    or "nothing recorded"))
        if len(overdue) > 20:
            echo(f"  ... and {len(overdue) - 20:,} more (--overdue FILE lists them all)")
    echo(f"  working days: {HOLIDAY_SOURCE}")
    if recorded is None:
        echo("  events: derived from the mentions (score with --events and pass it here for "
             "bookings, no-access visits, making safe and works done)")


@app.command("evaluate-cases")
def evaluate_cases_command(
    timelines: Annotated[Path, typer.Argument(
        metavar="TIMELINES.jsonl", exists=True, dir_okay=False,
        help="Labelled timelines (data/samples/timelines/*.jsonl).")],
    model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
    events_model: Annotated[str | None, typer.Option(
        "--events-model", help="An event model folder; 'rules' for the rules alone; "
        "'mentions' for the events the mentions' contexts suggest (the clock before events "
        "were read). Default: the bundled event model.")] = None,
    show_wrong: Annotated[bool, typer.Option(
        "--show-wrong", help="List every hazard whose clock or state is wrong.")] = False,
    json_out: Annotated[Path | None, typer.Option(
        "--json", dir_okay=False, help="Also write the figures here as JSON.")] = None,
    by_writer: Annotated[bool, typer.Option(
        "--by-writer", help="Also give each writer's figures (the timelines' 'writer'), after "
        "the pooled ones; with --json, under 'by_writer'.")] = False,
) -> None:
    """How well the clock reads labelled timelines: clock state, open/resolved, and events."""
    from .events import EventReader, default_event_reader, load_event_model, load_event_rules
    from .scoring import build_scorer
    from .triage.timelines import (
        evaluate_timelines,
        evaluate_timelines_by_writer,
        format_evaluation,
        load_timelines,
    )

    if json_out is not None and not json_out.parent.is_dir():
        raise _fail(f"{json_out.parent}: no such folder for --json; create it first", code=2)
    try:
        cases = load_timelines(timelines)
    except InputError as exc:
        raise _fail(str(exc), code=2) from None
    if events_model is None:
        reader: EventReader | None = default_event_reader()
    elif events_model == "rules":
        reader = EventReader(load_event_rules(), None)
    elif events_model == "mentions":
        reader = None
    else:
        reader = EventReader(load_event_rules(), load_event_model(events_model))
    scorer = build_scorer(model)
    scorer.events = reader
    if by_writer:
        result, writers = evaluate_timelines_by_writer(cases, scorer)
    else:
        result, writers = evaluate_timelines(cases, scorer), {}
    typer.echo(format_evaluation(result))
    figures = result.to_dict()
    for writer, own in writers.items():
        typer.echo(f"\n== {writer}\n{format_evaluation(own)}")
    if by_writer:
        figures["by_writer"] = {writer: own.to_dict() for writer, own in writers.items()}
    if json_out is not None:
        from .io.tables import write_text_atomically

        write_text_atomically(json_out, json.dumps(figures, indent=1) + "\n")
    if show_wrong and result.wrong:
        typer.echo("\nwrong:")
        for line in result.wrong:
            typer.echo(f"  {line}")


@app.command("train")
def train_command(
    data: Annotated[list[Path] | None, typer.Argument(
        metavar="[DATA.jsonl...]", exists=True, dir_okay=False,
        help="Labelled notes (JSON Lines as in data/samples).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", file_okay=False,
                                         help="Folder to write model.json and card.json to.")
                      ] = Path("models/local"),
    base: Annotated[list[Path] | None, typer.Option(
        "--base", exists=True, dir_okay=False,
        help="Labelled notes to start from (same as DATA; repeatable).")] = None,
    dev: Annotated[list[Path] | None, typer.Option(
        exists=True, dir_okay=False, help="Labelled notes to choose the threshold on.")] = None,
    labels: Annotated[list[Path] | None, typer.Option(
        exists=True, dir_okay=False,
        help="Analyst labels CSV (from the report or a filled-in review queue) to merge.")
    ] = None,
    texts: Annotated[Path | None, typer.Option(
        "--texts", exists=True, dir_okay=False,
        help="The export holding notes that are labelled but not in the base data.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the calibration folds.")] = 0,
    c: Annotated[float, typer.Option("--C", help="Inverse regularisation strength.")] = 0.3,
    model_id: Annotated[str, typer.Option(help="Name recorded on the card.")] = "hazard-risk-local",
) -> None:
    """Train a risk model on labelled notes and analyst labels (reproducible for a seed)."""
    from .evaluation import read_labelled
    from .model import save_model
    from .training import train_model
    from .triage.review import merge_labels, read_analyst_labels, read_texts

    sources = [*(data or ()), *(base or ())]
    if not sources and not labels:
        raise _fail("nothing to train on: give labelled notes (DATA or --base) and/or --labels",
                    code=2)
    train_notes = [note for path in sources for note in read_labelled(path)]
    dev_notes = [note for path in dev or () for note in read_labelled(path)]
    partial: set[str] = set()
    extra: dict[str, Any] = {}
    if labels:
        analyst = [label for path in labels for label in read_analyst_labels(path)]
        merged = merge_labels(train_notes, analyst, read_texts(texts) if texts else None)
        typer.echo(merged.summary(), err=True)
        dev_ids = {note.note_id for note in dev_notes}
        leaked = dev_ids & {label.note_id for label in analyst}
        if leaked:
            raise _fail(f"{len(leaked)} labelled notes are in the --dev data; labels for "
                        "held-out notes would leak into training", code=2)
        train_notes, partial = merged.notes, merged.partial
        extra = {"analyst_labels": len(analyst), "analyst_changed": merged.changed,
                 "analyst_added": merged.added, "analyst_unplaced": len(merged.unplaced)}
    risk_model = train_model(train_notes, dev_notes=dev_notes, C=c, seed=seed,
                             model_id=model_id, partial=partial, extra=extra)
    card = save_model(risk_model, output)
    typer.echo(f"casenotes: trained {card.model_id} on {len(train_notes)} notes "
               f"({card.training['train_mentions']} mentions); threshold {card.threshold:.2f} "
               f"({card.training['threshold_chosen_on']}); wrote {output}", err=True)


@app.command("review-queue")
def review_queue_command(
    scored: Annotated[Path, typer.Argument(
        metavar="MENTIONS", help="The mentions table casenotes score wrote.")],
    output: Annotated[Path, typer.Option("--output", "-o", dir_okay=False,
                                         help="Where to write the queue (CSV).")],
    size: Annotated[int, typer.Option("-n", min=1, help="Mentions in the queue.")] = 200,
    check_share: Annotated[float, typer.Option(
        "--check-share", min=0.0, max=0.9,
        help="Share of confident mentions added as a check.")] = 0.1,
    threshold: Annotated[float | None, typer.Option(
        "--threshold", min=0.0, max=1.0, help="Default: the model's threshold.")] = None,
    model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Pick the mentions most worth labelling: those the model is least sure of, plus checks."""
    from .io.tables import atomic_output, read_table
    from .triage.review import review_queue

    table = read_table(scored)
    if threshold is None:  # the reader's own cut, without building a pipeline
        from .loading import load_models
        from .scoring import reader_settings

        threshold = reader_settings(*load_models(model)).mention_threshold
    queue = review_queue(table, size, threshold=threshold, check_share=check_share, seed=seed)
    with atomic_output(output) as partial:
        queue.to_csv(partial, index=False)
    typer.echo(f"casenotes: {len(queue)} mentions to review "
               f"({int((queue['why'] == 'check').sum())} confident checks) -> {output}; fill "
               "the label column with risk or routine, then casenotes train --labels", err=True)


@app.command("evaluate")
def evaluate_command(
    data: Annotated[list[Path], typer.Argument(
        metavar="DATA.jsonl...", exists=True, dir_okay=False, help="Labelled notes.")],
    model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
    plots: Annotated[Path | None, typer.Option(
        file_okay=False, help="Write pr_curve.png and calibration.png here (needs matplotlib).",
    )] = None,
    json_output: Annotated[Path | None, typer.Option(
        "--json", dir_okay=False, help="Also write the figures as JSON.")] = None,
    compare: Annotated[str | None, typer.Option(
        "--compare", help="Another model to show beside this one on the same notes (a name or "
        "folder, as for --model): before / after.")] = None,
) -> None:
    """Compare the model with keyword-only and rules-only baselines on labelled notes."""
    from .evaluation import SYSTEMS, baseline, format_table, read_labelled, risk_figures

    notes = [note for path in data for note in read_labelled(path)]
    scorer = _scorer(model)
    scored = list(scorer.score_notes((n.note_id, n.text) for n in notes))
    figures = {system: risk_figures(notes, baseline(scored, system)) for system in SYSTEMS}
    if compare is not None:
        before = _scorer(compare)
        earlier = list(before.score_notes((n.note_id, n.text) for n in notes))
        after = figures.pop("model")
        figures = {**figures, "before": risk_figures(notes, earlier), "model": after}
    compared = (f", before {before.model_id} ({before.reader} reader, threshold "
                f"{before.threshold:.2f})" if compare is not None else "")
    typer.echo(f"model {scorer.model_id} ({scorer.reader} reader, threshold "
               f"{scorer.threshold:.2f}){compared}, data {', '.join(p.name for p in data)}")
    typer.echo(format_table(figures))
    by_voice = _hazard_f1_by_voice(notes, {"model": scored} | (
        {"before": earlier} if compare is not None else {}))
    if by_voice:
        typer.echo("\nhazard F1 by voice family (the notes' voice_family):")
        typer.echo(by_voice)
    if json_output:
        json_output.write_text(json.dumps({k: v.to_dict() for k, v in figures.items()},
                                          indent=1) + "\n", encoding="utf-8")
    if plots:
        from .plots import write_plots

        for written in write_plots(notes, scored, plots):
            typer.echo(f"wrote {written}")


def _hazard_f1_by_voice(notes: list[Any], systems: dict[str, list[Any]]) -> str:
    """A plain table of hazard F1 per voice family and system; empty when notes have none."""
    from .evaluation import risk_figures

    families = sorted({note.voice_family for note in notes if note.voice_family})
    if not families:
        return ""
    names = sorted(systems, key=lambda name: name != "before")
    lines = [f"{'':24}" + "".join(f"{name:>10}" for name in names)]
    for family in families:
        picks = [i for i, note in enumerate(notes) if note.voice_family == family]
        cells = [risk_figures([notes[i] for i in picks],
                              [systems[name][i] for i in picks]).hazard_f1 for name in names]
        lines.append(f"{family[:23]:24}" + "".join(f"{cell:>10.3f}" for cell in cells)
                     + f"  ({len(picks)} notes)")
    return "\n".join(lines)


@app.command("lexicon")
def lexicon_command(
    lexicon: Annotated[list[Path] | None, typer.Option(
        exists=True, dir_okay=False, help="Lexicon file(s) to validate and merge.")] = None,
    replace_lexicon: Annotated[bool, typer.Option(
        help="Let the files replace the default sections instead of extending.")] = False,
    export: Annotated[Path | None, typer.Option(
        dir_okay=False, help="Write the merged lexicon as one JSON file.")] = None,
) -> None:
    """Validate lexicon files and summarise the lexicon in use."""
    merged = _lexicon(lexicon, replace_lexicon)
    phrases = sum(len(t.phrases) + len(t.misspellings) + len(t.abbreviations) + len(t.patterns)
                  for t in merged.hazards)
    lookalikes = sum(len(t.lookalikes) + len(t.lookalikes_cased) for t in merged.hazards)
    typer.echo(
        f"hazard entries: {len(merged.hazards)} ({phrases} phrases, {lookalikes} look-alikes)"
    )
    kinds = Counter(item.kind for item in merged.equipment)
    typer.echo(f"equipment entries (context, not mentions): {len(merged.equipment)} "
               f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})")
    words = sum(len(sense.terms) for sense in merged.senses)
    typer.echo(f"senses (a category from context): {len(merged.senses)} ({words} words)")
    typer.echo(f"vulnerability entries: {len(merged.vulnerability)}")
    typer.echo(f"cue rules: {len(merged.cues)}")
    typer.echo(f"sources: {', '.join(merged.sources)}")
    typer.echo(f"sha256: {merged.hash}")
    if export:
        export.write_text(json.dumps(merged.to_dict(), indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")


@app.callback(invoke_without_command=True)
def main_options(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True,
                                         help="More log output (-v info, -vv debug).")] = 0,
) -> None:
    """casenotes command line."""
    if version:
        typer.echo(f"casenotes {__version__}")
        raise typer.Exit()
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="casenotes: %(levelname)s: %(message)s")


def main() -> None:
    """Console entry point: usage errors exit 2 (Typer), casenotes errors exit 1 in one line
    (see ``_CasenotesGroup``)."""
    app()


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file (a test runner's buffer): nothing will be flushed to a pipe


def internal_error(exc: BaseException) -> str:
    """Describe an unexpected exception by type and place only.

    A library's message can quote the text it choked on, and note text is personal data, so
    neither the message nor local variables are printed; the stack of file:line places is.
    """
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    places = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}"
                         for f in reversed(frames[-6:]))
    return (f"casenotes: internal error ({type(exc).__name__}) at {places or 'unknown'}; its "
            "message is not shown because it may quote note text. Please report it with this "
            "line and the casenotes version.")
