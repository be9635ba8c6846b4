"""Score a Spark DataFrame of notes (AWS Glue, Databricks, Microsoft Fabric): the spark extra.

One ``mapInPandas`` pass scores each partition with :func:`casenotes.engines.batch.score_rows` (the
function behind the CLI and :func:`casenotes.engines.batch.score_frame`) and returns the notes table
with each note's mentions nested in an array column; :func:`score` splits that into the two
tables, so both come from one pass when the result is persisted or written together. The model
loads once per Python worker process (Spark reuses them) through
:func:`casenotes.engines.batch.scorer_for`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputSchemaError, describe_value
from ..io.schema import MENTION_COLUMNS, NOTE_COLUMNS, Chunk
from .batch import (
    ScorerSpec,
    frame_columns,
    score_rows,
    scorer_for,
)

_SPARK_TYPES = {"string": "string", "int64": "bigint", "float64": "double", "bool": "boolean"}
MENTIONS_FIELD = "mentions"


def _spark() -> Any:
    try:
        from pyspark.sql import functions, types
    except ImportError:
        raise ImportError("casenotes.engines.spark needs PySpark: pip install 'casenotes[spark]' "
                          "(or use the cluster's own PySpark)") from None
    return functions, types


def mention_schema() -> Any:
    """The Spark schema of the mentions table."""
    _, types = _spark()
    return types.StructType([
        types.StructField(name, types._parse_datatype_string(_SPARK_TYPES[dtype]), True)
        for name, dtype in MENTION_COLUMNS.items()
    ])


def _output_schema(frame: Any, note_id: str, kept: Sequence[str]) -> Any:
    _, types = _spark()
    fields = [types.StructField(note_id, types.StringType(), True)]
    fields += [frame.schema[name] for name in kept]
    fields += [types.StructField(name, types._parse_datatype_string(_SPARK_TYPES[dtype]),
                                 dtype != "bool" and not dtype.startswith("int"))
               for name, dtype in NOTE_COLUMNS.items() if name != "note_id"]
    fields.append(types.StructField(MENTIONS_FIELD, types.ArrayType(mention_schema()), True))
    return types.StructType(fields)


def _score_partitions(spec: ScorerSpec, text: str, note_id: str, kept: Sequence[str],
                      ) -> Any:
    def run(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        scorer = scorer_for(spec)
        for frame in frames:
            chunk = Chunk(ids=frame[note_id].tolist(), texts=frame[text].tolist(),
                          kept={name: frame[name].tolist() for name in kept})
            scored = score_rows(chunk, scorer)
            records = scored.mentions.to_dict("records")
            notes = scored.notes.copy()
            notes[MENTIONS_FIELD] = [records[rows] for rows in scored.mention_slices()]
            yield notes
    return run


def score(frame: Any, *, text: str | None = None, id: str | None = None,
          keep: Sequence[str] | str = (), threshold: float | None = None,
          model: str | Path | None = None) -> tuple[Any, Any]:
    """Score a Spark DataFrame of notes: ``(notes, mentions)`` Spark DataFrames.

    The same columns and types as :func:`casenotes.engines.batch.score_frame` (strings, bigint,
    double, boolean). Without an id column, ``monotonically_increasing_id()`` numbers the
    notes (unique, not consecutive). Both tables come from one scoring pass: persist the
    notes (``notes.persist()``) or write both in one job if you use both; the model folder,
    if given, must be readable at the same path on every executor.
    """
    functions, _ = _spark()
    if not hasattr(frame, "mapInPandas"):
        raise InputSchemaError(
            f"casenotes.engines.spark.score needs a Spark DataFrame, got a "
            f"{describe_value(frame)}; for pandas use casenotes.score_frame")
    text_column, id_column, kept = frame_columns([str(c) for c in frame.columns], text, id,
                                                 keep)
    if id_column is None:
        frame = frame.withColumn("note_id", functions.monotonically_increasing_id()
                                 .cast("string"))
        id_column = "note_id"
    spec = ScorerSpec(model=str(model) if model is not None else None, threshold=threshold)
    needed = list(dict.fromkeys([text_column, id_column, *kept]))
    scored = frame.select(*needed).mapInPandas(
        _score_partitions(spec, text_column, id_column, kept),
        schema=_output_schema(frame, "note_id", kept))
    notes = scored.drop(MENTIONS_FIELD)
    mentions = scored.select(functions.explode(MENTIONS_FIELD).alias("m")).select("m.*")
    return notes, mentions
