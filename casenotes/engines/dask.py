"""Score a Dask DataFrame of notes, partition by partition: the dask extra.

``map_partitions`` runs :func:`casenotes.engines.batch.score_rows` (the function behind the CLI and
:func:`casenotes.engines.batch.score_frame`) on each partition with exact ``meta``; the notes and
mentions tables are derived from that one scored collection, so ``dask.compute(notes,
mentions)`` scores each partition once. The model loads once per worker process through
:func:`casenotes.engines.batch.scorer_for`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputSchemaError, describe_value
from ..io.schema import MENTION_COLUMNS, NOTE_COLUMNS, Chunk
from .batch import (
    ScorerSpec,
    empty_mentions,
    frame_columns,
    score_rows,
    scorer_for,
)

MENTIONS_FIELD = "mentions"


def _dask() -> Any:
    try:
        import dask.dataframe as dd
    except ImportError:
        raise ImportError(
            "casenotes.engines.dask needs Dask: pip install 'casenotes[dask]'") from None
    return dd


def _scored_partition(part: pd.DataFrame, spec: ScorerSpec, text: str, note_id: str | None,
                      kept: Sequence[str]) -> pd.DataFrame:
    ids = part[note_id].tolist() if note_id is not None else [str(i) for i in part.index]
    scored = score_rows(Chunk(ids=ids, texts=part[text].tolist(),
                              kept={name: part[name].tolist() for name in kept}),
                        scorer_for(spec))
    notes = scored.notes
    for name in kept:
        notes[name] = notes[name].astype(part[name].dtype)
    notes.index = part.index
    notes[MENTIONS_FIELD] = pd.Series([scored.mentions.iloc[rows]
                                       for rows in scored.mention_slices()],
                                      index=part.index, dtype=object)
    return notes


def _notes_only(part: pd.DataFrame) -> pd.DataFrame:
    notes: pd.DataFrame = part.drop(columns=[MENTIONS_FIELD]).reset_index(drop=True)
    return notes


def _mentions_only(part: pd.DataFrame) -> pd.DataFrame:
    tables = [t for t in part[MENTIONS_FIELD].tolist() if len(t)]
    if not tables:
        return empty_mentions()
    mentions: pd.DataFrame = pd.concat(tables, ignore_index=True)
    return mentions


def score(frame: Any, *, text: str | None = None, id: str | None = None,
          keep: Sequence[str] | str = (), threshold: float | None = None,
          model: str | Path | None = None) -> tuple[Any, Any]:
    """Score a Dask DataFrame of notes: lazy ``(notes, mentions)`` Dask DataFrames.

    The same columns and dtypes as :func:`casenotes.engines.batch.score_frame`; without an id column
    the index is the note id. Compute both with ``dask.compute(notes, mentions)`` to score
    each partition once.
    """
    dd = _dask()
    if not isinstance(frame, dd.DataFrame):
        raise InputSchemaError(
            f"casenotes.engines.dask.score needs a Dask DataFrame, got a "
            f"{describe_value(frame)}; for pandas use casenotes.score_frame")
    text_column, id_column, kept = frame_columns([str(c) for c in frame.columns], text, id,
                                                 keep)
    spec = ScorerSpec(model=str(model) if model is not None else None, threshold=threshold)
    meta = pd.DataFrame({"note_id": pd.Series(dtype="string")})
    for name in kept:
        meta[name] = frame._meta[name]
    for name, dtype in NOTE_COLUMNS.items():
        if name != "note_id":
            meta[name] = pd.Series(dtype=dtype)
    meta[MENTIONS_FIELD] = pd.Series(dtype=object)
    meta.index = frame._meta.index
    scored = frame.map_partitions(_scored_partition, spec, text_column, id_column, kept,
                                  meta=meta)
    notes = scored.map_partitions(_notes_only, meta=meta.drop(columns=[MENTIONS_FIELD])
                                  .reset_index(drop=True))
    mentions = scored.map_partitions(_mentions_only, meta=empty_mentions())
    return notes, mentions


__all__ = ["MENTION_COLUMNS", "NOTE_COLUMNS", "score"]
