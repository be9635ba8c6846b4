"""Spark (local[2]) and Dask (LocalCluster) give the same tables as score_frame."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from casenotes.engines.batch import score_frame
from casenotes.errors import InputSchemaError
from casenotes.io.schema import MENTION_COLUMNS, NOTE_COLUMNS

NOTES = pd.DataFrame({
    "id": [f"n{i}" for i in range(8)],
    "text": ["T/C smell of gas in kitchen, tenant 82 lives alone", "Rent paid", None, "",
             "No ACMs found in the loft", "black mould in baby's bedroom, getting worse",
             "CO alarm going off, tenant has headaches", "gas safety check booked"],
    "ward": list("NSEWNSEW"),
})


def same_values(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal cell by cell; string columns may differ only in pandas' string flavour."""
    assert list(got.columns) == list(expected.columns)
    got = got.reset_index(drop=True)
    for name in expected.columns:
        if str(expected[name].dtype) == "string" or expected[name].dtype == object:
            assert got[name].astype(object).tolist() == expected[name].astype(object).tolist()
        else:
            pd.testing.assert_series_equal(got[name], expected[name], check_names=False)


@pytest.fixture(scope="module")
def expected() -> tuple[pd.DataFrame, pd.DataFrame]:
    return score_frame(NOTES, keep=["ward"])


# ------------------------------------------------------------------------------ Spark


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java (17 or newer) on the PATH")
    from pyspark.sql import SparkSession

    # The Python workers must be this interpreter, where casenotes is installed.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (SparkSession.builder.master("local[2]").appName("casenotes-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    yield session
    session.stop()


def test_spark_gives_the_tables_of_score_frame(spark: Any, expected: Any) -> None:
    from casenotes.engines.spark import score

    frame = spark.createDataFrame(NOTES).repartition(2, "id").sortWithinPartitions("id")
    notes, mentions = score(frame, keep=["ward"])
    got_notes = notes.toPandas().sort_values("note_id", kind="stable")
    got_mentions = mentions.toPandas().sort_values(["note_id", "start"], kind="stable")
    want_notes = expected[0].sort_values("note_id", kind="stable").reset_index(drop=True)
    want_mentions = expected[1].sort_values(["note_id", "start"], kind="stable") \
        .reset_index(drop=True)
    same_values(got_notes, want_notes)
    same_values(got_mentions, want_mentions)


def test_spark_runs_the_accurate_tier_as_score_frame_does(spark: Any) -> None:
    pytest.importorskip("onnxruntime")
    from casenotes.engines.spark import score

    want_notes, want_mentions = score_frame(NOTES, keep=["ward"], model="accurate")
    notes, mentions = score(spark.createDataFrame(NOTES), keep=["ward"], model="accurate")
    same_values(notes.toPandas().sort_values("note_id", kind="stable"),
                want_notes.sort_values("note_id", kind="stable").reset_index(drop=True))
    same_values(mentions.toPandas().sort_values(["note_id", "start"], kind="stable"),
                want_mentions.sort_values(["note_id", "start"], kind="stable")
                .reset_index(drop=True))


def test_spark_schemas_are_explicit_and_typed(spark: Any) -> None:
    from casenotes.engines.spark import score

    notes, mentions = score(spark.createDataFrame(NOTES), keep=["ward"])
    spark_type = {"string": "string", "int64": "bigint", "float64": "double", "bool": "boolean"}
    note_types = dict(notes.dtypes)
    assert list(note_types) == ["note_id", "ward", *list(NOTE_COLUMNS)[1:]]
    for name, dtype in NOTE_COLUMNS.items():
        assert note_types[name] == spark_type[dtype], name
    assert dict(mentions.dtypes) == {name: spark_type[dtype]
                                     for name, dtype in MENTION_COLUMNS.items()}


def test_spark_without_an_id_column_numbers_the_notes(spark: Any) -> None:
    from casenotes.engines.spark import score

    notes, _ = score(spark.createDataFrame(NOTES[["text"]]))
    ids = [row.note_id for row in notes.collect()]
    assert len(ids) == len(NOTES) == len(set(ids))


def test_spark_refuses_a_pandas_frame_with_what_to_do() -> None:
    pytest.importorskip("pyspark")
    from casenotes.engines.spark import score

    with pytest.raises(InputSchemaError, match="score_frame"):
        score(NOTES)


# ------------------------------------------------------------------------------- Dask


def test_dask_on_a_local_cluster_gives_the_tables_of_score_frame(expected: Any) -> None:
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    from casenotes.engines.dask import score

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        notes, mentions = score(dd.from_pandas(NOTES, npartitions=3), keep=["ward"])
        got_notes, got_mentions = dask.compute(notes, mentions)
    # Dask reads pandas strings as Arrow strings, so only the kept column's dtype may differ.
    pd.testing.assert_frame_equal(got_notes.drop(columns="ward").reset_index(drop=True),
                                  expected[0].drop(columns="ward"))
    assert got_notes["ward"].tolist() == expected[0]["ward"].tolist()
    pd.testing.assert_frame_equal(got_mentions.reset_index(drop=True), expected[1])


def test_dask_runs_the_accurate_tier_as_score_frame_does() -> None:
    pytest.importorskip("onnxruntime")
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    from casenotes.engines.dask import score

    want_notes, want_mentions = score_frame(NOTES, keep=["ward"], model="accurate")
    notes, mentions = score(dd.from_pandas(NOTES, npartitions=2), keep=["ward"],
                            model="accurate")
    got_notes, got_mentions = dask.compute(notes, mentions, scheduler="synchronous")
    pd.testing.assert_frame_equal(got_notes.drop(columns="ward").reset_index(drop=True),
                                  want_notes.drop(columns="ward"))
    pd.testing.assert_frame_equal(got_mentions.reset_index(drop=True), want_mentions)


def test_dask_meta_matches_the_computed_tables() -> None:
    dd = pytest.importorskip("dask.dataframe")
    from casenotes.engines.dask import score

    notes, mentions = score(dd.from_pandas(NOTES, npartitions=2), keep=["ward"])
    computed = notes.compute(scheduler="sync")
    assert dict(notes.dtypes) == dict(computed.dtypes)
    assert dict(mentions.dtypes) == dict(mentions.compute(scheduler="sync").dtypes)


def test_dask_refuses_a_pandas_frame_with_what_to_do() -> None:
    pytest.importorskip("dask.dataframe")
    from casenotes.engines.dask import score

    with pytest.raises(InputSchemaError, match="score_frame"):
        score(NOTES)
