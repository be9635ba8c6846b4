"""Batch scoring from pandas: schemas, row accounting, bad cells, processes, the accessor."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import casenotes  # noqa: F401 - registers DataFrame.casenotes
from casenotes.engines.batch import (
    OBJECTS_BEFORE_COLLECTION,
    ScorerSpec,
    fewer_collections,
    score_frame,
    score_rows,
    scorer_for,
)
from casenotes.errors import CasenotesWarning, InputSchemaError
from casenotes.io.schema import (
    EVENT_COLUMNS,
    HAZARD_COLUMNS,
    MENTION_COLUMNS,
    NOTE_COLUMNS,
    Chunk,
)

NOTES = pd.DataFrame({
    "id": ["a1", "a2", "a3", "a4", "a5", "a6"],
    "description": [
        "T/C smell of gas in the kitchen, tenant 82 lives alone",
        "Rent account cleared, thanks",
        None,
        "   ",
        42,
        "Asbestos survey booked for next week. No ACMs found in loft.",
    ],
    "ward": ["N", "S", "E", "W", "N", "S"],
})


@pytest.fixture(scope="module")
def scored() -> tuple[pd.DataFrame, pd.DataFrame]:
    return score_frame(NOTES, keep=["ward"])


def test_every_input_row_has_one_notes_row_in_order(scored) -> None:  # type: ignore[no-untyped-def]
    notes, _ = scored
    assert notes["note_id"].tolist() == NOTES["id"].tolist()
    assert notes["ward"].tolist() == NOTES["ward"].tolist()


def test_the_tables_have_the_documented_columns_and_dtypes(scored) -> None:  # type: ignore[no-untyped-def]
    notes, mentions = scored
    assert list(notes.columns) == ["note_id", "ward", *list(NOTE_COLUMNS)[1:]]
    for name, dtype in NOTE_COLUMNS.items():
        assert str(notes[name].dtype) == dtype, name
    assert list(mentions.columns) == list(MENTION_COLUMNS)
    for name, dtype in MENTION_COLUMNS.items():
        assert str(mentions[name].dtype) == dtype, name


def test_missing_blank_and_non_string_text_keep_their_row_with_a_status(scored) -> None:  # type: ignore[no-untyped-def]
    notes, _ = scored
    status = dict(zip(notes["note_id"], notes["status"], strict=True))
    assert status == {"a1": "ok", "a2": "ok", "a3": "empty", "a4": "empty", "a5": "error",
                      "a6": "ok"}
    error = notes.set_index("note_id").loc["a5", "error"]
    assert "int" in error and "convert" in error
    assert notes.loc[notes["status"] != "ok", "n_mentions"].eq(0).all()
    assert notes.loc[notes["status"] != "ok", "risk_score"].isna().all()


def test_mentions_link_to_notes_and_slice_their_terms(scored) -> None:  # type: ignore[no-untyped-def]
    notes, mentions = scored
    texts = dict(zip(NOTES["id"], NOTES["description"], strict=True))
    for row in mentions.itertuples():
        assert texts[row.note_id][row.start:row.end] == row.term
    counts = mentions.groupby("note_id").size()
    for row in notes.itertuples():
        assert row.n_mentions == counts.get(row.note_id, 0)
        assert row.n_risk == int(((mentions["note_id"] == row.note_id)
                                  & (mentions["label"] == "risk")).sum())


def test_a_gas_smell_is_flagged_and_a_clear_survey_is_not(scored) -> None:  # type: ignore[no-untyped-def]
    notes, _ = scored
    flagged = dict(zip(notes["note_id"], notes["flagged"], strict=True))
    assert flagged["a1"] and not flagged["a6"] and not flagged["a2"]
    vulnerability = notes.set_index("note_id").loc["a1", "vulnerability"]
    assert "lives_alone" in vulnerability


def test_processes_give_the_same_tables_as_one(scored) -> None:  # type: ignore[no-untyped-def]
    notes, mentions = score_frame(NOTES, keep=["ward"], jobs=2, chunk_size=2)
    pd.testing.assert_frame_equal(notes, scored[0])
    pd.testing.assert_frame_equal(mentions, scored[1])


def test_the_accessor_matches_score_frame(scored) -> None:  # type: ignore[no-untyped-def]
    pd.testing.assert_frame_equal(NOTES.casenotes.score(keep=["ward"]), scored[0])
    pd.testing.assert_frame_equal(NOTES.casenotes.mentions(), scored[1])


def test_the_model_is_loaded_once_per_process() -> None:
    assert scorer_for(ScorerSpec()) is scorer_for(ScorerSpec())


def test_without_an_id_column_the_index_is_the_note_id() -> None:
    frame = pd.DataFrame({"text": ["black mould in bedroom", "rent"]}, index=[10, 11])
    notes, mentions = score_frame(frame)
    assert notes["note_id"].tolist() == ["10", "11"]
    assert mentions["note_id"].tolist() == ["10"]


def test_an_empty_frame_gives_empty_tables_with_the_schema() -> None:
    notes, mentions = score_frame(pd.DataFrame({"text": pd.Series([], dtype="object")}))
    assert len(notes) == 0 and len(mentions) == 0
    assert list(mentions.columns) == list(MENTION_COLUMNS)
    assert str(notes["flagged"].dtype) == "bool"


def test_duplicate_ids_are_kept_with_a_warning() -> None:
    frame = pd.DataFrame({"id": [1, 1], "text": ["damp", "damp"]})
    with pytest.warns(CasenotesWarning, match="share an id"):
        notes, _ = score_frame(frame)
    assert len(notes) == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"text": "body"}, "no column 'body'.*'id', 'description', 'ward'"),
    ({"keep": ["nope"]}, "no column 'nope'"),
])
def test_a_missing_column_is_named_with_the_columns_found(kwargs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputSchemaError, match=message):
        score_frame(NOTES, **kwargs)


def test_an_ambiguous_text_column_must_be_chosen() -> None:
    frame = pd.DataFrame({"text": ["a"], "description": ["b"]})
    with pytest.raises(InputSchemaError, match=r"several columns.*text="):
        score_frame(frame)


def test_a_non_frame_is_refused_with_what_to_do() -> None:
    with pytest.raises(InputSchemaError, match=r"pandas\.DataFrame"):
        score_frame(["smell of gas"])  # type: ignore[arg-type]


def test_error_messages_never_quote_note_text() -> None:
    secret = "Mrs Example at 1 Nowhere Road " * 1000
    frame = pd.DataFrame({"text": [secret.encode(), 3.5, secret]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        notes, _ = score_frame(frame)
    assert not notes["error"].str.contains("Nowhere").any()


texts = st.one_of(st.none(), st.text(max_size=200), st.integers(), st.floats(),
                  st.sampled_from(["smell of gas", "no ACMs found", "black mould, baby",
                                   "CO alarm going off", "rent paid"]))


@settings(max_examples=40)
@given(cells=st.lists(texts, max_size=12))
def test_scoring_never_crashes_and_accounts_for_every_row(cells: list[object]) -> None:
    scorer = scorer_for(ScorerSpec())
    result = score_rows(Chunk(ids=list(range(len(cells))), texts=cells), scorer)
    assert len(result.notes) == len(cells)
    assert set(result.notes["status"]) <= {"ok", "empty", "error"}
    assert result.stats.scored + result.stats.empty + result.stats.failed == len(cells)


@settings(max_examples=40)
@given(cells=st.lists(st.one_of(st.text(max_size=120), st.sampled_from(
    ["smell of gas", "no ACMs found", "Mrs A, 84, lives alone. Boiler broken, no heating",
     "ceiling has come  down", "could you call the council"])), min_size=1, max_size=10))
def test_the_prefilter_never_changes_the_tables(cells: list[str]) -> None:
    scorer = scorer_for(ScorerSpec())
    filtered = score_rows(Chunk(ids=list(range(len(cells))), texts=list(cells)), scorer)
    unfiltered = list(scorer.score_notes((str(i), t) for i, t in enumerate(cells)))
    assert filtered.notes["n_mentions"].tolist() == [len(n.mentions) for n in unfiltered]
    expected = [(str(i), m.mention.start, m.mention.end, m.label, m.risk_probability)
                for i, n in enumerate(unfiltered) for m in n.mentions]
    got = list(filtered.mentions[["note_id", "start", "end", "label", "risk_probability"]]
               .itertuples(index=False, name=None))
    assert got == expected
    vulnerable = ["; ".join(sorted(n.findings.vulnerability_groups)) if n.mentions else ""
                  for n in unfiltered]
    assert filtered.notes["vulnerability"].tolist() == vulnerable


def test_mask_pii_hides_personal_data_in_kept_columns_and_reasons() -> None:
    frame = pd.DataFrame({
        "id": [1], "text": ["Mrs Okafor reports black mould, call 07700 900123"],
        "contact": ["Mrs Okafor, 07700 900123, 12 Acacia Avenue"],
    })
    plain_notes, plain_mentions = score_frame(frame, keep=["contact"])
    notes, mentions = score_frame(frame, keep=["contact"], mask_pii=True)
    assert notes.loc[0, "contact"] == "Mrs [NAME], [PHONE], [ADDRESS]"
    assert mentions["risk_probability"].tolist() == plain_mentions["risk_probability"].tolist()
    assert plain_notes.loc[0, "contact"] == frame.loc[0, "contact"]


def test_a_reason_naming_personal_data_shows_its_placeholder() -> None:
    from casenotes import Reason
    from casenotes.engines.batch import _reasons_cell
    from casenotes.privacy import mask_reason

    hidden = {"okafor": "NAME"}
    assert mask_reason(Reason("L1=okafor", 0.31), hidden) == Reason("L1=[NAME]", 0.31)
    assert mask_reason(Reason("L_bag=mrs", 0.4), hidden) == Reason("L_bag=mrs", 0.4)
    assert mask_reason(Reason("note_cue=concern", 0.44), hidden) == Reason(
        "note_cue=concern", 0.44)
    assert _reasons_cell([Reason("L1=okafor", 0.31), Reason("cue 'no' (negated, before)")],
                         hidden) == "L1=[NAME] (+0.31); cue 'no' (negated, before)"


def test_the_collector_runs_less_often_while_scoring_and_as_before_afterwards() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with fewer_collections():
            assert gc.get_threshold() == (OBJECTS_BEFORE_COLLECTION, 10, 10)
        assert gc.get_threshold() == (700, 10, 10)
        with pytest.raises(RuntimeError), fewer_collections():
            raise RuntimeError("scoring failed")
        assert gc.get_threshold() == (700, 10, 10)
        gc.set_threshold(50_000, 10, 10)  # a user's own larger setting is kept
        with fewer_collections():
            assert gc.get_threshold() == (50_000, 10, 10)
    finally:
        gc.set_threshold(*before)


def _score_and_count_collections(chunk: Chunk) -> tuple[bool, int]:
    """In a scoring process: whether the automatic collector is on, and how many collections
    scoring one chunk made."""
    from casenotes.engines.batch import _score_in_worker

    before = sum(generation["collections"] for generation in gc.get_stats())
    _score_in_worker(chunk)
    after = sum(generation["collections"] for generation in gc.get_stats())
    return gc.isenabled(), after - before


def test_a_scoring_process_collects_once_after_each_chunk_and_never_inside_one() -> None:
    from concurrent.futures import ProcessPoolExecutor

    from casenotes.engines.batch import _start_worker
    from casenotes.lifetime import pool_context

    texts = [f"T/C smell of gas in flat {n}, mould in the bathroom, baby at home"
             for n in range(300)]
    chunk = Chunk(ids=list(range(300)), texts=texts, kept={})
    with ProcessPoolExecutor(1, mp_context=pool_context(), initializer=_start_worker,
                             initargs=(ScorerSpec(), False)) as pool:
        for _ in range(2):
            automatic, collections = pool.submit(_score_and_count_collections, chunk).result()
            assert not automatic
            assert collections == 1


_CELLS = {
    "string": st.text(max_size=12),  # the computed columns hold no missing text
    "int64": st.integers(min_value=-2**62, max_value=2**62),
    "float64": st.one_of(st.floats(allow_nan=True), st.just(float("nan"))),
    "bool": st.booleans(),
}


@given(data=st.data(), dtype=st.sampled_from(sorted(_CELLS)))
def test_a_column_made_through_arrow_is_what_pandas_makes_of_the_values(
        data: st.DataObject, dtype: str) -> None:
    """Scoring builds its tables in Arrow; as pandas they equal pandas' own of the values."""
    from casenotes.io.arrow import arrow_table, pandas_table

    values = data.draw(st.lists(_CELLS[dtype], max_size=20))
    made = pandas_table(arrow_table({"column": values}, {"column": dtype}))["column"]
    expected = pd.Series(values, dtype=dtype, name="column")
    assert made.dtype == expected.dtype
    pd.testing.assert_series_equal(made, expected)


def test_a_lone_surrogate_in_an_id_is_written_as_its_escape_and_the_run_goes_on() -> None:
    """Only a JSON escape makes one ("\\ud800"); Arrow and the writers take UTF-8 only."""
    chunk = score_rows(Chunk(ids=["n\ud800", "n2"], texts=["smell of gas \ud800 in flat", "Rent"]),
                       scorer_for(ScorerSpec()))
    chunk.arrow["notes"].validate(full=True)
    assert chunk.notes["note_id"].tolist() == ["n\\ud800", "n2"]
    assert chunk.mentions["note_id"].tolist() == ["n\\ud800"]


@pytest.mark.parametrize("dtypes", [NOTE_COLUMNS, MENTION_COLUMNS, HAZARD_COLUMNS, EVENT_COLUMNS])
def test_the_parquet_metadata_made_without_pandas_is_what_pyarrow_makes_from_pandas(
        dtypes: dict[str, str]) -> None:
    import json

    import pyarrow as pa

    from casenotes.io.arrow import arrow_table, pandas_metadata, pandas_table

    frame = pandas_table(arrow_table({name: [] for name in dtypes}, dtypes))
    made = pa.Table.from_pandas(frame, preserve_index=False).schema.metadata[b"pandas"]
    assert json.loads(pandas_metadata(dtypes)) == json.loads(made)


_CSV_CELLS = {
    "string": st.text(alphabet=st.sampled_from(list('ab ,;"\t\n\r\'é€中')), max_size=8),
    "int64": st.integers(min_value=-2**62, max_value=2**62),
    "float64": st.floats(allow_nan=True, allow_infinity=True),
    "bool": st.booleans(),
}


@given(data=st.data(), fmt=st.sampled_from(["csv", "tsv"]),
       dtypes=st.lists(st.sampled_from(sorted(_CSV_CELLS)), min_size=1, max_size=4))
def test_csv_written_from_arrow_is_byte_for_byte_what_pandas_writes(
        tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, fmt: str,
        dtypes: list[str]) -> None:
    from casenotes.io.arrow import arrow_table, pandas_table
    from casenotes.io.tables import TableWriter

    schema = {f"c{i}": dtype for i, dtype in enumerate(dtypes)}
    rows = data.draw(st.integers(0, 6))
    table = arrow_table({name: data.draw(st.lists(_CSV_CELLS[dtype], min_size=rows,
                                                  max_size=rows))
                         for name, dtype in schema.items()}, schema)
    folder = tmp_path_factory.mktemp("csv")
    written = {}
    for way, chunk in (("arrow", table), ("pandas", pandas_table(table))):
        writer = TableWriter(folder / f"{way}.{fmt}", schema)
        writer.write(chunk)
        writer.write(chunk)
        writer.commit()
        written[way] = (folder / f"{way}.{fmt}").read_bytes()
    assert written["arrow"] == written["pandas"]


def test_a_scoring_process_never_imports_pandas(python_prints: Callable[..., str]) -> None:
    """A pool's processes score and build their tables in Arrow: pandas (a sixth of a second
    a process) is left to the process that reads the tables."""
    assert python_prints(
        "import sys\n"
        "from casenotes.engines.batch import ScorerSpec, _score_in_worker, _start_worker\n"
        "from casenotes.io.schema import Chunk\n"
        "import casenotes.engines.batch as batch\n"
        "batch.die_with_parent = lambda: None\n"
        "_start_worker(ScorerSpec(), False)\n"
        "scored = _score_in_worker(Chunk(ids=[1, 2], texts=['T/C smell of gas, baby in the "
        "flat', None], kept={'ward': ['N', 'S']}))\n"
        "assert scored.stats.scored == 1 and scored.stats.empty == 1, scored.stats\n"
        "print('pandas' in sys.modules)\n") == "False"


def test_a_chunks_frames_are_its_arrow_tables_with_the_kept_columns_after_the_id() -> None:
    chunk = score_rows(Chunk(ids=["a", "b"], texts=["Smell of gas in hall", "Rent paid"],
                             kept={"ward": ["N", None], "floor": [1, 2]}), scorer_for(ScorerSpec()))
    assert list(chunk.notes.columns) == ["note_id", "ward", "floor", *list(NOTE_COLUMNS)[1:]]
    assert chunk.notes["ward"].iloc[0] == "N" and pd.isna(chunk.notes["ward"].iloc[1])
    assert chunk.notes["floor"].tolist() == [1, 2]
    assert chunk.notes["n_mentions"].tolist() == chunk.arrow["notes"].column(
        "n_mentions").to_pylist() == [1, 0]
    assert chunk.mentions["note_id"].tolist() == ["a"]
    assert chunk.mention_slices() == [slice(0, 1), slice(1, 1)]


def test_a_reasons_cell_reads_as_its_reasons_formatted() -> None:
    """Reasons are formatted once per distinct (what, weight) in a process, and read as
    ``str(Reason)`` each time."""
    from casenotes.engines.batch import _reasons_cell
    from casenotes.types import Reason

    reasons = (Reason("cue=negated:before:0-1", -2.31), Reason("encoder P(risk)=0.91"),
               Reason("term=gas", 0.5))
    for _ in range(2):
        assert _reasons_cell(reasons, {}) == ("cue=negated:before:0-1 (-2.31); "
                                              "encoder P(risk)=0.91; term=gas (+0.50)")
