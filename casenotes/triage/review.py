"""The review loop: pick what analysts should label, and merge their labels into training data.

:func:`review_queue` ranks scored mentions by how unsure the model is (probability nearest the
threshold) and adds a few confident ones as a check. :func:`read_analyst_labels` reads the CSV
the report downloads (or a filled-in queue); :func:`merge_labels` folds those labels into a
labelled corpus, keyed by ``note_id`` + ``start`` + ``end``, reporting every conflict with the
existing gold label (the analyst's label wins) and every label it could not place.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final, cast

import pandas as pd

from ..errors import InputSchemaError
from ..evaluation import GoldMention, LabelledNote, overlaps
from ..types import CATEGORIES, Label

LABEL_COLUMNS: Final = ("note_id", "start", "end", "label")
QUEUE_COLUMNS: Final = ("note_id", "start", "end", "term", "category", "context", "model_label",
                        "model_probability", "why", "label")


# ------------------------------------------------------------------------------ the queue


def review_queue(mentions: pd.DataFrame, size: int, *, threshold: float,
                 check_share: float = 0.1, seed: int = 0) -> pd.DataFrame:
    """The ``size`` mentions most worth an analyst's time.

    Most are those whose P(risk) is nearest ``threshold`` (why = "uncertain"); a share of
    ``check_share`` are confident ones, half each side, drawn at random with ``seed`` (why =
    "check"), so a model that is confidently wrong shows up too. The ``label`` column is left
    empty for the analyst.
    """
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    if not 0.0 <= check_share < 1.0:
        raise ValueError(f"check_share must be in [0, 1), got {check_share}")
    missing = [c for c in ("note_id", "start", "end", "term", "category", "label",
                           "risk_probability") if c not in mentions.columns]
    if missing:
        raise InputSchemaError(
            f"the mentions table lacks {', '.join(missing)}; give the mentions table that "
            "casenotes score wrote")
    table = mentions.reset_index(drop=True)
    distance = (table["risk_probability"].astype(float) - threshold).abs()
    checks = min(len(table), round(size * check_share))
    ranked = list(distance.sort_values(kind="stable").index)
    chosen = ranked[:max(0, size - checks)]
    taken = set(chosen)
    rest = [i for i in reversed(ranked) if i not in taken]  # most confident first
    # Checks are drawn from the most confident quarter of each side.
    risk_side = [i for i in rest if table.at[i, "risk_probability"] >= threshold]
    routine_side = [i for i in rest if table.at[i, "risk_probability"] < threshold]
    confident_risk = risk_side[:max(checks, len(risk_side) // 4)]
    confident_routine = routine_side[:max(checks, len(routine_side) // 4)]
    rng = random.Random(seed)
    picks = (rng.sample(confident_risk, min(len(confident_risk), checks // 2 + checks % 2))
             + rng.sample(confident_routine, min(len(confident_routine), checks // 2)))
    rows = [(i, "uncertain") for i in chosen] + [(i, "check") for i in picks]
    queue: pd.DataFrame = pd.DataFrame({
        "note_id": [str(table.at[i, "note_id"]) for i, _ in rows],
        "start": [int(table.at[i, "start"]) for i, _ in rows],
        "end": [int(table.at[i, "end"]) for i, _ in rows],
        "term": [str(table.at[i, "term"]) for i, _ in rows],
        "category": [str(table.at[i, "category"]) for i, _ in rows],
        "context": [str(table.at[i, "context"]) if "context" in table else "" for i, _ in rows],
        "model_label": [str(table.at[i, "label"]) for i, _ in rows],
        "model_probability": [round(float(table.at[i, "risk_probability"]), 4)
                              for i, _ in rows],
        "why": [why for _, why in rows],
        "label": [""] * len(rows),
    })
    return queue


# ------------------------------------------------------------------------------ labels


@dataclass(frozen=True, slots=True)
class AnalystLabel:
    """An analyst's label for the mention at ``[start, end)`` of a note."""

    note_id: str
    start: int
    end: int
    label: Label
    term: str = ""
    category: str = ""


def read_analyst_labels(path: str | Path) -> list[AnalystLabel]:
    """Read a labels CSV (``note_id, start, end, label`` at least; rows with no label skipped).

    Raises :class:`InputSchemaError` naming the row for a missing column, a bad offset or a
    label other than risk or routine.
    """
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InputSchemaError(f"{path}: no such labels file") from None
    with handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in LABEL_COLUMNS if c not in columns]
        if missing:
            raise InputSchemaError(
                f"{path.name}: no column {', '.join(missing)} (found: {', '.join(columns)}); a "
                "labels file needs note_id, start, end and label")
        out = []
        for number, row in enumerate(reader, 2):
            label = (row.get("label") or "").strip().lower()
            if not label:
                continue
            if label not in ("risk", "routine"):
                raise InputSchemaError(f"{path.name} row {number}: label must be risk or "
                                       "routine")
            try:
                start, end = int(row["start"]), int(row["end"])
            except (TypeError, ValueError):
                raise InputSchemaError(f"{path.name} row {number}: start and end must be whole "
                                       "numbers") from None
            if not 0 <= start < end:
                raise InputSchemaError(f"{path.name} row {number}: start must be below end")
            out.append(AnalystLabel(str(row["note_id"]).strip(), start, end,
                                    cast(Label, label), (row.get("term") or ""),
                                    (row.get("category") or "").strip()))
    return out


@dataclass
class MergeReport:
    """What merging analyst labels did."""

    notes: list[LabelledNote]
    #: note ids whose only trustworthy mentions are the labelled ones (notes from outside the
    #: base corpus): train on those mentions alone.
    partial: set[str] = field(default_factory=set)
    changed: int = 0
    added: int = 0
    agreed: int = 0
    conflicts: list[tuple[AnalystLabel, str]] = field(default_factory=list)
    unplaced: list[tuple[AnalystLabel, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"analyst labels: {self.agreed} agree with the gold label, {self.changed} "
                 f"change it, {self.added} add a mention, {len(self.unplaced)} could not be "
                 "placed"]
        for label, gold in self.conflicts[:10]:
            lines.append(f"  conflict: note {label.note_id!r} {label.start}-{label.end}: gold "
                         f"{gold}, analyst {label.label} (analyst kept)")
        if len(self.conflicts) > 10:
            lines.append(f"  ... and {len(self.conflicts) - 10} more conflicts")
        for label, why in self.unplaced[:10]:
            lines.append(f"  not used: note {label.note_id!r} {label.start}-{label.end}: {why}")
        return "\n".join(lines)


def merge_labels(base: Sequence[LabelledNote], labels: Iterable[AnalystLabel],
                 texts: Mapping[str, str] | None = None) -> MergeReport:
    """Fold analyst labels into ``base`` (a new list; ``base`` is not changed).

    A label on a gold mention's exact span replaces its label (a conflict when they differ);
    a label on a new span adds a mention if the span lies inside the note. Labels for notes
    outside ``base`` use ``texts`` (note id -> text) and make partially labelled notes.
    """
    by_id = {note.note_id: note for note in base}
    order = [note.note_id for note in base]
    report = MergeReport(notes=[])
    texts = texts or {}
    latest: dict[tuple[str, int, int], AnalystLabel] = {}
    for label in labels:
        latest[(label.note_id, label.start, label.end)] = label  # the last one given wins
    for label in latest.values():
        note = by_id.get(label.note_id)
        if note is None:
            text = texts.get(label.note_id)
            if text is None:
                report.unplaced.append((label, "note not in the base corpus or the texts"))
                continue
            note = LabelledNote(label.note_id, text, (), voice="analyst")
            report.partial.add(label.note_id)
            order.append(label.note_id)
        if label.end > len(note.text):
            report.unplaced.append((label, "span is beyond the end of the note"))
            continue
        surface = note.text[label.start:label.end]
        if label.term and label.term != surface:
            report.unplaced.append((label, "span does not hold the labelled term; is this the "
                                           "same version of the note?"))
            continue
        mentions = list(note.mentions)
        exact = [i for i, g in enumerate(mentions) if (g.start, g.end) == (label.start,
                                                                            label.end)]
        if exact:
            gold = mentions[exact[0]]
            if gold.label == label.label:
                report.agreed += 1
            else:
                report.changed += 1
                report.conflicts.append((label, gold.label))
                mentions[exact[0]] = replace(gold, label=label.label)
        elif any(overlaps(g.start, g.end, label.start, label.end) for g in mentions):
            report.unplaced.append((label, "span overlaps a gold mention with other bounds"))
            continue
        else:
            category = label.category if label.category in CATEGORIES else ""
            if not category:
                report.unplaced.append((label, "a new mention needs its category"))
                continue
            mentions.append(GoldMention(label.start, label.end, surface,
                                        category, label.label, "present"))
            mentions.sort(key=lambda g: (g.start, g.end))
            report.added += 1
        by_id[label.note_id] = replace(note, mentions=tuple(mentions))
    report.notes = [by_id[note_id] for note_id in order]
    return report


def read_texts(path: str | Path, *, text: str | None = None, id: str | None = None,
               ) -> dict[str, str]:
    """Note id -> text from an export (any format ``casenotes score`` reads)."""
    from ..io.tables import TableReader

    reader = TableReader(Path(path), text=text, id=id)
    out: dict[str, str] = {}
    for chunk in reader.chunks():
        for note_id, value in zip(chunk.ids, chunk.texts, strict=True):
            if isinstance(value, str):
                out[str(note_id)] = value
    return out
