"""Batch scoring: notes in, two tables out, for any number of rows.

The stage after :mod:`casenotes.scoring`. :func:`score_rows` turns one chunk of raw cells
(ids, texts, kept columns) into a *notes* table (one row for every input row, in input order)
and a *mentions* table (one row per hazard mention), with the fixed schemas
:data:`NOTE_COLUMNS` and :data:`MENTION_COLUMNS`. Every front end uses it: :func:`score_frame`
for pandas, ``casenotes score`` (through :mod:`casenotes.io.tables`) for files,
:mod:`casenotes.engines.spark` and :mod:`casenotes.engines.dask` for clusters, so all give the
same columns and dtypes. A bad cell never stops a run: its row gets ``status="empty"`` or
``"error"`` and a message that names no note text.
"""

from __future__ import annotations

import gc
import math
import re
import sys
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, overload

import pyarrow as pa

from ..errors import (
    CasenotesError,
    CasenotesWarning,
    InputSchemaError,
    ScoringError,
    describe_value,
)
from ..io.arrow import arrow_table, pandas_table
from ..io.schema import (
    EVENT_COLUMNS,
    HAZARD_COLUMNS,
    ID_COLUMN_NAMES,
    MENTION_COLUMNS,
    NOTE_COLUMNS,
    TEXT_COLUMN_NAMES,
    Chunk,
    join_list,
    pick_column,
)
from ..lifetime import die_with_parent, pool_context
from ..nlp.compiled import core
from ..nlp.text import MAX_NOTE_LENGTH
from ..privacy import hashed_reference, mask_personal_data, mask_reason, personal_words
from ..types import Reason

if TYPE_CHECKING:  # pandas is imported where a frame is made: scoring processes never need it
    import pandas as pd

DEFAULT_CHUNK_SIZE: Final = 2_000
#: Control characters that do not occur in typed text (tab, line breaks excepted).
_CONTROL_JUNK: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
#: The compiled core's scan for them, a fifth of the regex's time on a long note.
_has_control_junk: Final[Callable[[str], object]] = (
    _CONTROL_JUNK.search if core is None else core.has_control_junk)


# ----------------------------------------------------------------------------- columns


def frame_columns(columns: Sequence[str], text: str | None, id: str | None,
                  keep: Sequence[str] | str) -> tuple[str, str | None, list[str]]:
    """The text, id and kept columns of a DataFrame (pandas, Spark or Dask), checked.

    Raises :class:`InputSchemaError` naming the columns found when one is missing or the
    text column is not obvious.
    """
    text_column = str(pick_column(columns, text, TEXT_COLUMN_NAMES, what="note text",
                                  option="text=..."))
    id_column = pick_column(columns, id, ID_COLUMN_NAMES, what="note id", option="id=...",
                            required=False)
    kept = [keep] if isinstance(keep, str) else list(keep)
    kept = [str(pick_column(columns, name, (), what="kept column", option="keep=[...]"))
            for name in kept]
    return text_column, id_column, kept


def empty_notes(kept: Sequence[str] = ()) -> pd.DataFrame:
    """A notes table with no rows and the documented dtypes."""
    import pandas as pd

    columns = {"note_id": pd.Series(dtype="string")}
    columns.update({name: pd.Series(dtype="object") for name in kept})
    columns.update({name: pd.Series(dtype=dtype) for name, dtype in NOTE_COLUMNS.items()
                    if name != "note_id"})
    frame: pd.DataFrame = pd.DataFrame(columns)
    return frame


def empty_hazards() -> pd.DataFrame:
    """A hazards table with no rows and the right dtypes."""
    return pandas_table(arrow_table({name: [] for name in HAZARD_COLUMNS}, HAZARD_COLUMNS))


def empty_events() -> pd.DataFrame:
    """An events table with no rows and the right dtypes."""
    return pandas_table(arrow_table({name: [] for name in EVENT_COLUMNS}, EVENT_COLUMNS))


def empty_mentions() -> pd.DataFrame:
    """A mentions table with no rows and the documented dtypes."""
    return pandas_table(arrow_table({name: [] for name in MENTION_COLUMNS}, MENTION_COLUMNS))


# ----------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class ScorerSpec:
    """How a process builds its scorer: picklable, so workers can build the same one."""

    model: str | None = None
    threshold: float | None = None
    lexicon: tuple[str, ...] = ()
    #: Threads for the encoder's onnxruntime session (its default, all cores, when None).
    threads: int | None = None
    #: Read each note's events (booked, inspected, made safe...) for the events table.
    events: bool = False


@lru_cache(maxsize=4)
def scorer_for(spec: ScorerSpec) -> Any:
    """The process's scorer for ``spec``, built once (the models load once per process)."""
    from ..lexicon import load_lexicon
    from ..scoring import build_scorer, default_scorer

    if spec == ScorerSpec():  # the one score_text uses too
        return default_scorer()
    lexicon = load_lexicon(*spec.lexicon) if spec.lexicon else None
    return build_scorer(spec.model, threshold=spec.threshold, lexicon=lexicon,
                        threads=spec.threads, events=spec.events)


@dataclass
class ChunkStats:
    """Counts for the end-of-run summary, added up over chunks."""

    notes: int = 0
    scored: int = 0
    empty: int = 0
    failed: int = 0
    mentions: int = 0
    flagged: int = 0
    flagged_by_category: Counter[str] = field(default_factory=Counter)

    def add(self, other: ChunkStats) -> None:
        self.notes += other.notes
        self.scored += other.scored
        self.empty += other.empty
        self.failed += other.failed
        self.mentions += other.mentions
        self.flagged += other.flagged
        self.flagged_by_category.update(other.flagged_by_category)


@dataclass(frozen=True)
class ScoredChunk:
    """One chunk's tables and counts.

    Scoring builds the tables in Arrow (``arrow``: "notes", note_id and the computed columns;
    "mentions"; "hazards"; "events"), so a scoring process never imports pandas and sends
    buffers back, not frames; ``kept`` holds the kept columns' values (masked if asked). The
    :attr:`notes`, :attr:`mentions`, :attr:`hazards` and :attr:`events` DataFrames are made
    from them on first use.
    """

    arrow: Mapping[str, pa.Table]
    stats: ChunkStats
    kept: Mapping[str, list[Any]] = field(default_factory=dict)

    @cached_property
    def notes(self) -> pd.DataFrame:
        """The notes table: ``note_id``, the kept columns, then the computed columns."""
        import pandas as pd

        computed = pandas_table(self.arrow["notes"])
        frame: pd.DataFrame = pd.DataFrame(
            {"note_id": computed["note_id"], **self.kept,
             **{name: computed[name] for name in NOTE_COLUMNS if name != "note_id"}},
            copy=False)
        return frame

    @cached_property
    def mentions(self) -> pd.DataFrame:
        return pandas_table(self.arrow["mentions"])

    @cached_property
    def hazards(self) -> pd.DataFrame:
        return pandas_table(self.arrow["hazards"])

    @cached_property
    def events(self) -> pd.DataFrame:
        return pandas_table(self.arrow["events"])

    def arrow_of(self, name: str) -> pa.Table | None:
        """Table ``name`` whole in Arrow, for a writer that takes Arrow; None for a notes table
        with kept columns, which only its DataFrame holds."""
        return None if name == "notes" and self.kept else self.arrow[name]

    def mention_slices(self) -> list[slice]:
        """For each notes row, the slice of the mentions table holding its mentions (the
        mentions follow the notes' order), so engines can nest mentions under their note."""
        slices, position = [], 0
        for count in self.arrow["notes"].column("n_mentions").to_pylist():
            slices.append(slice(position, position + count))
            position += count
        return slices


def _is_missing(value: object) -> bool:
    """None, NaN, or pandas' NA or NaT (which only a process that imported pandas can hold)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    pandas = sys.modules.get("pandas")
    return pandas is not None and (value is pandas.NA or value is pandas.NaT)


def note_id_text(value: object) -> str:
    """A note id cell as text: "" when missing, "1001" for an id read as the float 1001.0."""
    if _is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an Excel or pandas id read as 1001.0
    return str(value)


def text_status(text: object) -> tuple[str, str]:
    """(status, error) for a cell before scoring: ok, empty or error."""
    if _is_missing(text):
        return "empty", ""
    if not isinstance(text, str):
        return "error", (f"the text is of type {describe_value(text)}, not a string; convert the "
                         "text column to strings")
    if not text or text.isspace():  # (no copy, as strip() makes)
        return "empty", ""
    if _has_control_junk(text):
        return "error", ("the text holds control characters (such as NUL): binary junk from "
                         "a broken export; it was not scored: fix the row or re-export")
    if len(text) > MAX_NOTE_LENGTH:
        return "error", (f"the text has {len(text):,} characters, more than the "
                         f"{MAX_NOTE_LENGTH:,} casenotes accepts; split the note")
    return "ok", ""


def score_rows(chunk: Chunk, scorer: Any, *, mask_pii: bool = False) -> ScoredChunk:
    """Score one chunk of rows: the notes and mentions tables, in input order.

    With ``mask_pii``, personal data in kept text columns is masked ("[PHONE]") and reasons
    naming a word of personal data ("L1=okafor") show its placeholder instead.
    """
    count = len(chunk.texts)
    note_ids = [note_id_text(v) for v in chunk.ids]
    status, errors = _row_status(chunk)
    scored = _score_ok_rows(chunk, note_ids, scorer, status, errors)
    stats = ChunkStats(notes=count)
    columns = _NoteColumns.empty(count)
    mention_rows: dict[str, list[Any]] = {name: [] for name in MENTION_COLUMNS}
    hazard_rows: dict[str, list[Any]] = {name: [] for name in HAZARD_COLUMNS}
    event_rows: dict[str, list[Any]] = {name: [] for name in EVENT_COLUMNS}
    for i, note in sorted(scored.items()):
        text = str(chunk.texts[i])
        columns.fill(i, note)
        if columns.flagged[i]:
            stats.flagged += 1
            stats.flagged_by_category.update(
                {m.mention.category for m in note.mentions if m.label == "risk"})
        hidden = personal_words(text) if mask_pii and note.mentions else {}
        for m in note.mentions:
            _mention_row(mention_rows, note_ids[i], m, hidden)
        if note.hazards:
            _hazard_rows(hazard_rows, note_ids[i], note.hazards, hidden)
        if note.events:
            _event_rows(event_rows, chunk.first_row + i, note_ids[i], note.events, text,
                        mask_pii=mask_pii)
    stats.scored = status.count("ok")
    stats.empty = status.count("empty")
    stats.failed = status.count("error")
    stats.mentions = sum(columns.n_mentions)
    kept = {name: [mask_personal_data(v) if isinstance(v, str) else v for v in values]
            if mask_pii else values for name, values in chunk.kept.items()}
    return ScoredChunk({"notes": columns.table(note_ids, status, errors),
                        "mentions": arrow_table(mention_rows, MENTION_COLUMNS),
                        "hazards": arrow_table(hazard_rows, HAZARD_COLUMNS),
                        "events": arrow_table(event_rows, EVENT_COLUMNS)}, stats, kept)


def _row_status(chunk: Chunk) -> tuple[list[str], list[str]]:
    """Each row's status (ok, empty, error) and error message, before any scoring."""
    status, errors = ["ok"] * len(chunk.texts), [""] * len(chunk.texts)
    for i, text in enumerate(chunk.texts):
        if chunk.problems and chunk.problems[i]:
            status[i], errors[i] = "error", str(chunk.problems[i])
        else:
            status[i], errors[i] = text_status(text)
    return status, errors


def _score_ok_rows(chunk: Chunk, note_ids: list[str], scorer: Any, status: list[str],
                   errors: list[str]) -> dict[int, Any]:
    """Scored notes by row, for the rows whose status is ok. If the batch fails, each row is
    scored alone, so one bad note marks only its own row (status and errors are updated)."""
    to_score = [i for i, value in enumerate(status) if value == "ok"]
    scored: dict[int, Any] = {}
    try:
        for i, note in zip(to_score, scorer.score_notes(
                ((note_ids[i], chunk.texts[i]) for i in to_score), prefilter=True),
                strict=True):
            scored[i] = note
        return scored
    except Exception:
        scored = {}
    for i in to_score:
        try:
            scored[i] = scorer.score_note(chunk.texts[i], note_ids[i])
        except CasenotesError as exc:
            status[i], errors[i] = "error", str(exc)
        except Exception as exc:
            status[i], errors[i] = "error", (
                f"internal error ({type(exc).__name__}) while scoring this note; please "
                "report it with the note id")
    return scored


@dataclass
class _NoteColumns:
    """The notes table's computed columns for one chunk, filled row by row (as lists, which
    take an item faster than arrays; :meth:`table` types them)."""

    n_mentions: list[int]
    n_risk: list[int]
    risk_score: list[float]
    flagged: list[bool]
    priority: list[float]
    categories: list[str]
    vulnerability: list[str]
    urgency: list[str]
    priority_reason: list[str]

    @classmethod
    def empty(cls, count: int) -> _NoteColumns:
        return cls([0] * count, [0] * count, [math.nan] * count, [False] * count,
                   [math.nan] * count, [""] * count, [""] * count, [""] * count, [""] * count)

    def fill(self, i: int, note: Any) -> None:
        """Row ``i`` from a scored note (the scorer gave it its urgency and priority)."""
        mentions = note.mentions
        self.priority[i] = note.priority
        if not mentions:
            self.risk_score[i] = 0.0
            return
        n_risk = sum(m.label == "risk" for m in mentions)
        self.n_mentions[i] = len(mentions)
        self.n_risk[i] = n_risk
        self.risk_score[i] = max(m.risk_probability for m in mentions)
        self.flagged[i] = n_risk > 0
        self.categories[i] = join_list(sorted({m.mention.category for m in mentions}))
        self.vulnerability[i] = join_list(sorted(note.findings.vulnerability_groups))
        self.urgency[i], self.priority_reason[i] = note.urgency, note.priority_reason

    def table(self, note_ids: list[str], status: list[str], errors: list[str]) -> pa.Table:
        """The notes table's id and computed columns."""
        computed: dict[str, Sequence[Any]] = {
            "note_id": note_ids, "n_mentions": self.n_mentions, "n_risk": self.n_risk,
            "risk_score": self.risk_score, "flagged": self.flagged, "urgency": self.urgency,
            "priority": self.priority, "priority_reason": self.priority_reason,
            "categories": self.categories, "vulnerability": self.vulnerability,
            "status": status, "error": errors}
        return arrow_table(computed, NOTE_COLUMNS)


def _mention_row(rows: dict[str, list[Any]], note_id: str, scored: Any,
                 hidden: Mapping[str, str]) -> None:
    """Append one scored mention to the mentions table's columns."""
    mention = scored.mention
    rows["note_id"].append(note_id)
    rows["start"].append(mention.start)
    rows["end"].append(mention.end)
    rows["term"].append(mention.term)
    rows["term_id"].append(mention.term_id)
    rows["category"].append(mention.category)
    rows["hhsrs_hazard"].append(mention.hhsrs_hazard)
    rows["context"].append(mention.context)
    rows["label"].append(scored.label)
    rows["risk_probability"].append(scored.risk_probability)
    rows["urgency"].append(scored.urgency)
    rows["reasons"].append(_reasons_cell(scored.reasons, hidden))


def _hazard_rows(rows: dict[str, list[Any]], note_id: str, hazards: Sequence[Any],
                 hidden: Mapping[str, str]) -> None:
    """Append one row per hazard verdict (the scorer gave each its urgency)."""
    for hazard in hazards:
        rows["note_id"].append(note_id)
        rows["category"].append(hazard.category)
        rows["hhsrs_hazard"].append(hazard.hhsrs_hazard)
        rows["verdict"].append(hazard.verdict)
        rows["risk_probability"].append(hazard.risk_probability)
        rows["urgency"].append(hazard.urgency)
        rows["evidence"].append(join_list(
            f"{s.mention.start}-{s.mention.end} {s.mention.term}" for s in hazard.evidence))
        rows["reasons"].append(_reasons_cell(hazard.reasons, hidden))


def _event_rows(rows: dict[str, list[Any]], row: int, note_id: str, events: Sequence[Any],
                text: str, *, mask_pii: bool = False) -> None:
    """Append one row per event the note records. Its evidence phrase is lexicon wording or
    a hazard term, never personal data; a reference number could be (an account number), so
    with ``mask_pii`` each is replaced by a short hash, which still matches its job."""
    for event in events:
        rows["row"].append(row)
        rows["note_id"].append(note_id)
        rows["category"].append(event.category)
        rows["event"].append(event.event)
        rows["probability"].append(event.probability)
        rows["basis"].append(event.basis)
        rows["tier"].append(event.tier)
        rows["start"].append(event.start)
        rows["end"].append(event.end)
        rows["phrase"].append(text[event.start:event.end])
        rows["about"].append(event.about)
        rows["refs"].append(join_list(
            hashed_reference(ref) if mask_pii else ref for ref in event.refs))
        rows["reasons"].append(_reasons_cell(event.reasons, {}))


def _reasons_cell(reasons: Iterable[Reason], hidden: Mapping[str, str]) -> str:
    """A reasons cell: each reason formatted, personal data masked when ``hidden`` names it."""
    if hidden:
        return join_list(str(mask_reason(r, hidden)) for r in reasons)
    return join_list(_reason_text(r) for r in reasons)


def _reason_text(reason: Reason) -> str:
    return _formatted_reason(reason.what, reason.weight)


@lru_cache(maxsize=20_000)
def _formatted_reason(what: str, weight: float | None) -> str:
    """A reason as written, by (what, weight): a run meets a few hundred distinct reasons tens
    of thousands of times, and a lookup costs a fifth of formatting the weight again."""
    return str(Reason(what, weight))


# ------------------------------------------------------------------------- processes


def default_jobs() -> int:
    """The cores this process may use: joblib reads CPU affinity and a container's CPU quota
    (cgroups), which ``os.cpu_count()`` ignores."""
    import joblib  # here, not at the top: a scoring worker never asks, and it costs 0.2 s

    return max(1, int(joblib.cpu_count()))


#: New container objects allowed before Python's cyclic garbage collector runs, while scoring
#: (Python's default is 700). Scoring makes a great many short-lived records that reference
#: counting frees at once; at the default the collector ran about 1,500 times over 20,000
#: notes, its full passes over the loaded model took a tenth of the run, and raising this cut
#: the run by about a fifth (``benchmarks/README.md``, "Garbage collection").
OBJECTS_BEFORE_COLLECTION: Final = 10_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often inside the block, then as before."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], OBJECTS_BEFORE_COLLECTION), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


_WORKER_SETUP: tuple[ScorerSpec, bool] | None = None


def _start_worker(spec: ScorerSpec, mask_pii: bool) -> None:
    global _WORKER_SETUP
    die_with_parent()
    _WORKER_SETUP = (spec, mask_pii)
    scorer_for(spec)
    # The worker only scores: the loaded model and lexicon live as long as it does, so the
    # collector need never scan them again; and it collects between chunks, not inside them.
    gc.freeze()
    gc.disable()


#: A scoring process collects the young generations after every chunk and everything after
#: every so many chunks (its caches' old entries can form cycles too, rarely).
CHUNKS_BETWEEN_FULL_COLLECTIONS: Final = 16
_chunks_scored = 0


def _score_in_worker(chunk: Chunk) -> ScoredChunk:
    """Score one chunk in a pool's process, then collect its cyclic garbage.

    Scoring a chunk makes hundreds of thousands of short-lived records and almost no
    cycles (about a hundred objects a thousand notes), so the automatic collector, even
    at ``OBJECTS_BEFORE_COLLECTION``, ran some 90 times a chunk to find nearly nothing: 3% of
    a run's CPU. One collection after each chunk finds the same garbage for a few
    milliseconds, and memory stays as flat (``benchmarks/README.md``).
    """
    global _chunks_scored
    assert _WORKER_SETUP is not None
    spec, mask_pii = _WORKER_SETUP
    try:
        return score_rows(chunk, scorer_for(spec), mask_pii=mask_pii)
    finally:
        _chunks_scored += 1
        gc.collect(2 if _chunks_scored % CHUNKS_BETWEEN_FULL_COLLECTIONS == 0 else 1)


#: A chunk whose scoring process died is retried once; its rows are then marked failed.
CHUNK_ATTEMPTS: Final = 2
#: So many chunks failing in a row means the set-up is broken (a bad model, no memory): stop.
MAX_FAILED_IN_A_ROW: Final = 3
WORKER_DIED: Final = ("the scoring process died twice on this chunk (out of memory, or a "
                      "crash in a library); its rows were not scored: rerun them with "
                      "--jobs 1 or a smaller --chunk-size")


class _NoScorer:
    """Stands in for a scorer when every row of a chunk is already marked failed."""

    def score_notes(self, notes: Iterable[tuple[str, str]], *, prefilter: bool = False,
                    ) -> Iterator[Any]:
        return iter(())


def failed_chunk(chunk: Chunk, reason: str) -> ScoredChunk:
    """The tables for a chunk none of whose rows could be scored: every row status=error."""
    marked = Chunk(chunk.ids, chunk.texts, chunk.kept, [reason] * len(chunk.texts),
                   chunk.first_row)
    return score_rows(marked, _NoScorer())


def score_chunks(chunks: Iterable[Chunk], spec: ScorerSpec = ScorerSpec(), *,
                 jobs: int = 1, mask_pii: bool = False,
                 worker: Callable[[Chunk], ScoredChunk] | None = None,
                 ) -> Iterator[ScoredChunk]:
    """Score chunks in input order, over ``jobs`` processes.

    At most two chunks per process are in flight, so memory stays flat however many chunks
    the iterable yields. If a scoring process dies, every chunk in flight is scored again alone
    in a fresh process, each retried once; a chunk that still kills its process has its rows
    marked failed (status=error) and the run goes on. :class:`ScoringError` is raised only
    when ``MAX_FAILED_IN_A_ROW`` chunks fail in a row.
    ``worker`` replaces the function run in each process (for tests).
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if worker is None and jobs > 1:
        from ..loading import check_model

        check_model(spec.model)  # a bad model fails here, not in every worker
    if jobs == 1 and worker is None:
        scorer = scorer_for(spec)
        with fewer_collections():
            for chunk in chunks:
                yield score_rows(chunk, scorer, mask_pii=mask_pii)
        return
    task = worker or _score_in_worker
    context = pool_context()
    if spec.threads is None:  # the processes share the cores, not each take them all
        spec = replace(spec, threads=max(1, default_jobs() // jobs))

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                                   initargs=(spec, mask_pii))

    pool = new_pool()
    pending: deque[list[Any]] = deque()  # [chunk, future]
    failed_in_a_row = 0

    def isolated(chunk: Chunk) -> ScoredChunk:
        """Score one chunk alone in a fresh process, retrying once; else mark it failed."""
        nonlocal failed_in_a_row
        for _ in range(CHUNK_ATTEMPTS):
            alone = ProcessPoolExecutor(1, mp_context=context, initializer=_start_worker,
                                        initargs=(spec, mask_pii))
            try:
                result: ScoredChunk = alone.submit(task, chunk).result()
                failed_in_a_row = 0
                return result
            except BrokenProcessPool:
                continue
            finally:
                alone.shutdown(wait=True, cancel_futures=True)
        failed_in_a_row += 1
        if failed_in_a_row >= MAX_FAILED_IN_A_ROW:
            raise ScoringError(
                f"{failed_in_a_row} chunks in a row could not be scored because the scoring "
                "processes died (out of memory, or the model cannot load); rerun with "
                "--jobs 1 to see the error")
        return failed_chunk(chunk, WORKER_DIED)

    def resolve(entry: list[Any]) -> ScoredChunk:
        """The entry's result; if the pool broke, score every chunk it held one by one, so a
        chunk that kills its process cannot take its neighbours down with it."""
        nonlocal pool
        try:
            result: ScoredChunk = entry[1].result()
            return result
        except BrokenProcessPool:
            pool.shutdown(wait=False, cancel_futures=True)
            suspects = [entry, *pending]
            for suspect in suspects:
                done: Future[ScoredChunk] = Future()
                done.set_result(isolated(suspect[0]))
                suspect[1] = done
            pool = new_pool()
            result = entry[1].result()
            return result

    try:
        for chunk in chunks:
            pending.append([chunk, pool.submit(task, chunk)])
            while len(pending) >= 2 * jobs:
                yield resolve(pending.popleft())
        while pending:
            yield resolve(pending.popleft())
    finally:
        for entry in pending:
            entry[1].cancel()
        pool.shutdown(wait=True, cancel_futures=True)


# ----------------------------------------------------------------------------- pandas


def chunks_of_frame(frame: pd.DataFrame, *, text: str, id: str | None,
                    keep: Sequence[str], chunk_size: int) -> Iterator[Chunk]:
    """Cut a DataFrame into chunks of raw cells (the index stands in for a missing id)."""
    for begin in range(0, len(frame), chunk_size):
        part = frame.iloc[begin:begin + chunk_size]
        ids = part[id].tolist() if id is not None else [str(v) for v in part.index]
        yield Chunk(ids=ids, texts=part[text].tolist(),
                    kept={name: part[name].tolist() for name in keep}, first_row=begin + 1)


def combine(scored: Iterable[ScoredChunk], kept: Sequence[str] = (),
            on_chunk: Callable[[ScoredChunk], None] | None = None,
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Concatenate scored chunks into one notes and one mentions table."""
    notes, mentions, _, _ = combine_all(scored, kept, on_chunk)
    return notes, mentions


class Tables(NamedTuple):
    """The tables of a scoring run."""

    notes: pd.DataFrame
    mentions: pd.DataFrame
    hazards: pd.DataFrame
    events: pd.DataFrame


def combine_all(scored: Iterable[ScoredChunk], kept: Sequence[str] = (),
                on_chunk: Callable[[ScoredChunk], None] | None = None) -> Tables:
    """Concatenate scored chunks into the notes, mentions, hazards and events tables."""
    import pandas as pd

    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in Tables._fields}
    for chunk in scored:
        for name, frames in parts.items():
            frames.append(getattr(chunk, name))
        if on_chunk:
            on_chunk(chunk)
    empty = {"notes": lambda: empty_notes(kept), "mentions": empty_mentions,
             "hazards": empty_hazards, "events": empty_events}
    return Tables(**{name: pd.concat(frames, ignore_index=True) if frames else empty[name]()
                     for name, frames in parts.items()})


@overload
def score_frame(frame: pd.DataFrame, *, text: str | None = ..., id: str | None = ...,
                keep: Sequence[str] | str = ..., threshold: float | None = ...,
                model: str | Path | None = ..., jobs: int = ..., chunk_size: int = ...,
                mask_pii: bool = ..., hazards: Literal[False] = ...,
                events: Literal[False] = ...,
                ) -> tuple[pd.DataFrame, pd.DataFrame]: ...


@overload
def score_frame(frame: pd.DataFrame, *, text: str | None = ..., id: str | None = ...,
                keep: Sequence[str] | str = ..., threshold: float | None = ...,
                model: str | Path | None = ..., jobs: int = ..., chunk_size: int = ...,
                mask_pii: bool = ..., hazards: Literal[True], events: Literal[False] = ...,
                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]: ...


@overload
def score_frame(frame: pd.DataFrame, *, text: str | None = ..., id: str | None = ...,
                keep: Sequence[str] | str = ..., threshold: float | None = ...,
                model: str | Path | None = ..., jobs: int = ..., chunk_size: int = ...,
                mask_pii: bool = ..., hazards: Literal[False] = ..., events: Literal[True],
                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]: ...


@overload
def score_frame(frame: pd.DataFrame, *, text: str | None = ..., id: str | None = ...,
                keep: Sequence[str] | str = ..., threshold: float | None = ...,
                model: str | Path | None = ..., jobs: int = ..., chunk_size: int = ...,
                mask_pii: bool = ..., hazards: Literal[True], events: Literal[True],
                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]: ...


def score_frame(frame: pd.DataFrame, *, text: str | None = None, id: str | None = None,
                keep: Sequence[str] | str = (), threshold: float | None = None,
                model: str | Path | None = None, jobs: int = 1,
                chunk_size: int = DEFAULT_CHUNK_SIZE, mask_pii: bool = False,
                hazards: bool = False, events: bool = False,
                ) -> tuple[pd.DataFrame, ...]:
    """Score a DataFrame of notes: ``(notes, mentions)`` tables, then the hazards table with
    ``hazards=True`` and the events table with ``events=True``, in that order.

    Parameters
    ----------
    frame : DataFrame
        One note per row.
    text, id : str, optional
        The text and id columns; when omitted, the one obvious column by name ("text",
        "description", ... / "note_id", "id", ...). Without an id column the index is used.
    keep : list of str, optional
        Columns carried through to the notes table.
    threshold : float, optional
        P(risk) at which a mention is labelled risk; the model's own by default.
    model : path, optional
        A model folder (checked like the bundled one); the bundled model by default.
    jobs : int, default=1
        Processes to score with; the model loads once per process.
    mask_pii : bool, default=False
        Mask personal data in kept text columns and in reasons (see :mod:`casenotes.privacy`).
    hazards : bool, default=False
        Also return the hazards table.
    events : bool, default=False
        Also return the events table.

    Returns
    -------
    notes : DataFrame
        One row per input row, in order: ``note_id``, the kept columns, then
        :data:`NOTE_COLUMNS`.
    mentions : DataFrame
        One row per hazard mention, with :data:`MENTION_COLUMNS`.
    hazards : DataFrame, only with ``hazards=True``
        One row per note and hazard category present, with :data:`HAZARD_COLUMNS`: the
        verdict (risk or routine) an analyst acts on, its calibrated probability, urgency,
        evidence (the mentions behind it) and reasons.
    events : DataFrame, only with ``events=True``
        One row per event a note records about a hazard (reported, booked, no_access,
        refused, inspected, made_safe, works_done, resolved, chaser, recurrence), with
        :data:`EVENT_COLUMNS`; the case roll-up (:mod:`casenotes.triage.cases`) reads them.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"id": [1, 2], "text": ["Smell of gas in hall", "Rent paid"]})
    >>> notes, mentions = score_frame(frame)
    >>> notes[["note_id", "n_mentions", "flagged", "status"]].values.tolist()
    [['1', 1, True, 'ok'], ['2', 0, False, 'ok']]
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise InputSchemaError(
            f"score_frame needs a pandas DataFrame, got a {describe_value(frame)}; wrap your "
            "notes with pandas.DataFrame({'text': notes})")
    text_column, id_column, kept = frame_columns([str(c) for c in frame.columns], text, id,
                                                 keep)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    if id_column is not None:
        duplicated = int(frame[id_column].duplicated().sum())
        if duplicated:
            warnings.warn(
                f"{duplicated} notes share an id with an earlier note; all are kept, but "
                f"mentions cannot be told apart by note_id (choose a unique id column)",
                CasenotesWarning, stacklevel=2)
    spec = ScorerSpec(model=str(model) if model is not None else None, threshold=threshold,
                      events=events)
    chunks = chunks_of_frame(frame, text=text_column, id=id_column, keep=kept,
                             chunk_size=chunk_size)
    tables = combine_all(score_chunks(chunks, spec, jobs=jobs, mask_pii=mask_pii), kept)
    for name in kept:  # kept columns keep their dtype
        tables.notes[name] = tables.notes[name].astype(frame[name].dtype)
    return (tables.notes, tables.mentions, *([tables.hazards] if hazards else []),
            *([tables.events] if events else []))
