"""Read labelled notes and measure mention detection against them.

Gold and predicted mentions are aligned by character overlap: a gold mention is found when a
predicted mention overlaps it (span conventions differ at the edges: "flue spillage" versus
"spillage"); exact-span figures are reported beside the overlap ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputSchemaError
from .lexicon import Lexicon
from .types import CATEGORIES, CONTEXTS, LABELS, Category, Context, Label, Mention


@dataclass(frozen=True, slots=True)
class GoldMention:
    """A hand-labelled hazard mention."""

    start: int
    end: int
    term: str
    category: Category
    label: Label
    context: Context


@dataclass(frozen=True, slots=True)
class LabelledNote:
    """A note with its hand-labelled mentions."""

    note_id: str
    text: str
    mentions: tuple[GoldMention, ...]
    voice: str = ""


def read_labelled(path: str | Path) -> list[LabelledNote]:
    """Read a labelled JSONL file (``{"note_id", "text", "mentions": [...]}`` per line).

    Raises
    ------
    InputSchemaError
        If a line is not JSON, lacks a key, or a mention's offsets do not slice its term.
    """
    path = Path(path)
    notes = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path.name} line {number}"
            try:
                raw = json.loads(line)
                note = LabelledNote(
                    note_id=str(raw["note_id"]), text=raw["text"], voice=raw.get("voice", ""),
                    mentions=tuple(_gold(m) for m in raw["mentions"]),
                )
            except json.JSONDecodeError:
                raise InputSchemaError(f"{where}: not valid JSON") from None
            except (KeyError, TypeError, ValueError) as exc:
                raise InputSchemaError(
                    f"{where}: not a labelled note ({type(exc).__name__}: {exc}); each line "
                    "needs note_id, text and mentions with start, end, term, category, label, "
                    "context"
                ) from None
            for mention in note.mentions:
                if note.text[mention.start:mention.end] != mention.term:
                    raise InputSchemaError(
                        f"{where}: note {note.note_id!r} mention at {mention.start}-{mention.end} "
                        "does not slice its term; rebuild the file with scripts/build_corpus.py"
                    )
            notes.append(note)
    return notes


def _gold(raw: dict[str, object]) -> GoldMention:
    category, label, context = raw["category"], raw["label"], raw["context"]
    if category not in CATEGORIES or label not in LABELS or context not in CONTEXTS:
        raise ValueError(f"unknown category/label/context {category!r}/{label!r}/{context!r}")
    start, end = raw["start"], raw["end"]
    if not isinstance(start, int) or not isinstance(end, int):
        raise ValueError("start and end must be integers")
    return GoldMention(start, end, str(raw["term"]), category, label, context)


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """True when two half-open character ranges share at least one character."""
    return a_start < b_end and b_start < a_end


def align(gold: Sequence[GoldMention], predicted: Sequence[Mention],
          ) -> list[tuple[int, int]]:
    """Pair gold and predicted mentions one-to-one, greatest overlap first."""
    candidates = []
    for g, gm in enumerate(gold):
        for p, pm in enumerate(predicted):
            if overlaps(gm.start, gm.end, pm.start, pm.end):
                shared = min(gm.end, pm.end) - max(gm.start, pm.start)
                candidates.append((-shared, g, p))
    candidates.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for _, g, p in candidates:
        if g not in used_g and p not in used_p:
            used_g.add(g)
            used_p.add(p)
            pairs.append((g, p))
    return sorted(pairs)


@dataclass
class DetectionReport:
    """Mention-detection counts over a labelled set; figures are properties."""

    notes: int = 0
    gold: int = 0
    predicted: int = 0
    matched: int = 0
    exact: int = 0
    same_category: int = 0
    lookalike_occurrences: int = 0
    lookalike_hits: int = 0
    misses: list[tuple[str, GoldMention]] = field(default_factory=list)
    spurious: list[tuple[str, Mention]] = field(default_factory=list)
    lookalike_hit_list: list[tuple[str, Mention]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def exact_recall(self) -> float:
        return self.exact / self.gold if self.gold else 1.0

    @property
    def category_accuracy(self) -> float:
        return self.same_category / self.matched if self.matched else 1.0

    def table(self) -> str:
        """A plain-text summary table."""
        rows = [
            ("notes", f"{self.notes}"), ("gold mentions", f"{self.gold}"),
            ("predicted mentions", f"{self.predicted}"),
            ("recall (overlap)", f"{self.recall:.3f}"),
            ("precision (overlap)", f"{self.precision:.3f}"),
            ("F1 (overlap)", f"{self.f1:.3f}"), ("recall (exact span)", f"{self.exact_recall:.3f}"),
            ("category agreement on matches", f"{self.category_accuracy:.3f}"),
            ("look-alike occurrences in text", f"{self.lookalike_occurrences}"),
            ("look-alike hits", f"{self.lookalike_hits}"),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def lookalike_patterns(lexicon: Lexicon) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Regexes for the lexicon's look-alike phrases: any case, and exact case."""

    def whole_words(phrases: set[str], flags: int) -> re.Pattern[str]:
        parts = [re.escape(p) for p in sorted(phrases, key=len, reverse=True)] or ["(?!)"]
        return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", flags)

    return (
        whole_words({p for term in lexicon.hazards for p in term.lookalikes}, re.IGNORECASE),
        whole_words({p for term in lexicon.hazards for p in term.lookalikes_cased}, 0),
    )


def evaluate_detection(notes: Iterable[LabelledNote], predicted: Iterable[Sequence[Mention]],
                       lexicon: Lexicon) -> DetectionReport:
    """Compare predicted mentions (one sequence per note, same order) with the gold ones.

    A look-alike hit is a predicted mention lying inside a look-alike phrase of the lexicon
    ("gas bill", "has a cold"), or an "asb" mention where no gold mention is (anti-social
    behaviour).
    """
    report = DetectionReport()
    any_case, exact_case = lookalike_patterns(lexicon)
    for note, mentions in zip(notes, predicted, strict=True):
        report.notes += 1
        report.gold += len(note.mentions)
        report.predicted += len(mentions)
        pairs = align(note.mentions, mentions)
        report.matched += len(pairs)
        matched_g = {g for g, _ in pairs}
        matched_p = {p for _, p in pairs}
        for g, p in pairs:
            gm, pm = note.mentions[g], mentions[p]
            report.exact += (gm.start, gm.end) == (pm.start, pm.end)
            report.same_category += gm.category == pm.category
        report.misses += [(note.note_id, gm) for g, gm in enumerate(note.mentions)
                          if g not in matched_g]
        report.spurious += [(note.note_id, pm) for p, pm in enumerate(mentions)
                            if p not in matched_p]
        spans = [(m.start(), m.end()) for pattern in (any_case, exact_case)
                 for m in pattern.finditer(note.text)]
        report.lookalike_occurrences += len(spans)
        for p, pm in enumerate(mentions):
            inside = any(s <= pm.start and pm.end <= e for s, e in spans)
            stray_asb = pm.term.lower() == "asb" and p not in matched_p
            if inside or stray_asb:
                report.lookalike_hits += 1
                report.lookalike_hit_list.append((note.note_id, pm))
    return report
