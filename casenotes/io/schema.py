"""The scored tables' schemas and the input rows between a reader and an engine.

Column names and dtypes of the notes, mentions and hazards tables live here, with the column
names a reader looks for; every reader, writer and engine takes them from this one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from ..errors import InputSchemaError

#: The notes table: one row per input row. Kept columns follow ``note_id``.
NOTE_COLUMNS: Final[dict[str, str]] = {
    "note_id": "string",
    "n_mentions": "int64",
    "n_risk": "int64",
    "risk_score": "float64",
    "flagged": "bool",
    "urgency": "string",
    "priority": "float64",
    "priority_reason": "string",
    "categories": "string",
    "vulnerability": "string",
    "status": "string",
    "error": "string",
}
#: The mentions table: one row per hazard mention, in note order then text order.
MENTION_COLUMNS: Final[dict[str, str]] = {
    "note_id": "string",
    "start": "int64",
    "end": "int64",
    "term": "string",
    "term_id": "string",
    "category": "string",
    "hhsrs_hazard": "string",
    "context": "string",
    "label": "string",
    "risk_probability": "float64",
    "urgency": "string",
    "reasons": "string",
}
#: The hazards table: one row per note and hazard category present, the verdict an analyst
#: acts on. ``evidence`` lists the category's mentions ("start-end term"), strongest first.
HAZARD_COLUMNS: Final[dict[str, str]] = {
    "note_id": "string",
    "category": "string",
    "hhsrs_hazard": "string",
    "verdict": "string",
    "risk_probability": "float64",
    "urgency": "string",
    "evidence": "string",
    "reasons": "string",
}
#: The events table: one row per event a note records about a hazard category ("" when the
#: note names none), in note order. ``row`` is the note's position in the run (1 for the first
#: input row, as in the notes table), so events match their note even where ids repeat;
#: ``phrase`` is the evidence (``start``-``end`` in the note).
EVENT_COLUMNS: Final[dict[str, str]] = {
    "row": "int64",
    "note_id": "string",
    "category": "string",
    "event": "string",
    "probability": "float64",
    "basis": "string",
    "tier": "string",
    "start": "int64",
    "end": "int64",
    "phrase": "string",
    "about": "string",
    "refs": "string",
    "reasons": "string",
}
#: Column names tried, in order, when the text or id column is not given (case-insensitive).
TEXT_COLUMN_NAMES: Final = (
    "text", "note", "notes", "description", "body", "note_text", "notetext", "case_note",
    "casenote", "case_notes", "content", "comment", "comments", "details",
)
ID_COLUMN_NAMES: Final = (
    "note_id", "noteid", "id", "case_note_id", "casenote_id", "record_id", "uuid", "reference",
)
#: Separator inside the ``categories``, ``vulnerability``, ``evidence``, ``refs`` and
#: ``reasons`` cells.
LIST_SEPARATOR: Final = "; "


def join_list(items: Iterable[str]) -> str:
    """A list cell as the scored tables write it: ``"a; b"``, empty for no items."""
    return LIST_SEPARATOR.join(items)


def is_missing(cell: object) -> bool:
    """Whether a cell holds no value as read back from any table format: None, NaN, NaT or
    pandas' NA (checked without importing pandas)."""
    return cell is None or type(cell).__name__ == "NAType" or cell != cell


def split_list(cell: object) -> tuple[str, ...]:
    """The items of a list cell as :func:`join_list` wrote it; a missing cell
    (:func:`is_missing`) holds none."""
    if not isinstance(cell, str):
        if is_missing(cell):
            return ()
        cell = str(cell)  # a lone reference number read back as a number
    return tuple(item for item in cell.split(LIST_SEPARATOR) if item)


@dataclass(frozen=True)
class Chunk:
    """Raw cells of consecutive input rows; ``problems[i]`` is a reader's complaint, if any."""

    ids: list[object]
    texts: list[object]
    kept: dict[str, list[object]] = field(default_factory=dict)
    problems: list[str | None] | None = None
    first_row: int = 1



def pick_column(columns: Sequence[str], given: str | None, candidates: Sequence[str], *,
                what: str, option: str, required: bool = True) -> str | None:
    """The column to read ``what`` from: ``given`` if present, else the one obvious candidate.

    Raises :class:`InputSchemaError` listing the columns found when ``given`` is missing, when
    no candidate is present (if ``required``), or when several are.
    """
    listed = ", ".join(repr(c) for c in columns) or "none"
    if given is not None:
        if given in columns:
            return given
        folded = [c for c in columns if c.lower() == given.lower()]
        if len(folded) == 1:
            return folded[0]
        raise InputSchemaError(
            f"no column {given!r} for the {what}; the columns are {listed}; pass one of them "
            f"with {option}"
        )
    by_name = {c.lower().strip(): c for c in columns}
    found = [by_name[name] for name in candidates if name in by_name]
    found = list(dict.fromkeys(found))
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise InputSchemaError(
            f"several columns could hold the {what} ({', '.join(map(repr, found))}); choose "
            f"one with {option}"
        )
    if not required:
        return None
    raise InputSchemaError(
        f"no column looks like the {what}; the columns are {listed}; name it with {option}"
    )
