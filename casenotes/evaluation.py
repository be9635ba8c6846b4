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
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InputSchemaError
from .lexicon import Lexicon
from .types import (
    CATEGORIES,
    CONTEXTS,
    LABELS,
    Category,
    Context,
    Label,
    Mention,
    Reason,
)


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
    voice_family: str = ""


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
                    voice_family=raw.get("voice_family", ""),
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


# ------------------------------------------------------------------------- risk evaluation

if TYPE_CHECKING:
    from .types import ScoredNote


@dataclass(frozen=True)
class RiskFigures:
    """Headline figures for one system on one labelled set."""

    detection_precision: float
    detection_recall: float
    matched_macro_f1: float
    risk_precision: float
    risk_recall: float
    risk_f1: float
    note_auc: float
    brier: float
    ece: float
    mentions: int
    notes: int
    hazard_precision: float = float("nan")
    hazard_recall: float = float("nan")
    hazard_f1: float = float("nan")
    hazard_auc: float = float("nan")
    hazards: int = 0
    hazard_free_flags: int = 0

    def to_dict(self) -> dict[str, float]:
        return {name: round(float(getattr(self, name)), 4) for name in self.__dataclass_fields__}


def _risk_counts(note: LabelledNote, predicted: Sequence[tuple[int, int, str]],
                 ) -> tuple[int, int, int, int]:
    """(risk predictions overlapping gold risk, risk predictions, gold risk found, gold risk)."""
    gold_risk = [g for g in note.mentions if g.label == "risk"]
    risky = [(s, e) for s, e, label in predicted if label == "risk"]
    hits = sum(any(overlaps(s, e, g.start, g.end) for g in gold_risk) for s, e in risky)
    found = sum(any(overlaps(s, e, g.start, g.end) for s, e in risky) for g in gold_risk)
    return hits, len(risky), found, len(gold_risk)


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def gold_label_of(start: int, end: int, note: LabelledNote) -> Label:
    """The label of the gold mention overlapping ``[start, end)`` most, else routine."""
    best: tuple[int, Label] | None = None
    for gold in note.mentions:
        if overlaps(gold.start, gold.end, start, end):
            shared = min(gold.end, end) - max(gold.start, start)
            if best is None or shared > best[0]:
                best = (shared, gold.label)
    return "routine" if best is None else best[1]


def risk_figures(notes: Sequence[LabelledNote], scored: Sequence[ScoredNote]) -> RiskFigures:
    """Mention detection, risk/routine and note-level figures for scored notes.

    * detection P/R: overlap-aligned, one to one (see :func:`align`);
    * matched macro-F1: risk/routine macro-F1 over the aligned pairs;
    * end-to-end risk P/R/F1: a predicted risk mention is correct when it overlaps a gold risk
      mention; a gold risk mention is found when a predicted risk mention overlaps it;
    * note AUC: a note's score is its highest P(risk), its truth whether any gold mention is
      risk;
    * Brier score and expected calibration error (10 bins) of P(risk) over every predicted
      mention, against the label of the gold mention it overlaps (routine if none).
    """
    from sklearn.metrics import f1_score, roc_auc_score

    detection = DetectionReport()
    gold_labels: list[str] = []
    predicted_labels: list[str] = []
    hits = risky = found = gold_risk = 0
    note_scores: list[float] = []
    note_truth: list[bool] = []
    probabilities: list[float] = []
    outcomes: list[float] = []
    for note, result in zip(notes, scored, strict=True):
        mentions = [s.mention for s in result.mentions]
        detection.gold += len(note.mentions)
        detection.predicted += len(mentions)
        pairs = align(note.mentions, mentions)
        detection.matched += len(pairs)
        for g, p in pairs:
            gold_labels.append(note.mentions[g].label)
            predicted_labels.append(result.mentions[p].label)
        counts = _risk_counts(note, [(s.mention.start, s.mention.end, s.label)
                                     for s in result.mentions])
        hits, risky = hits + counts[0], risky + counts[1]
        found, gold_risk = found + counts[2], gold_risk + counts[3]
        note_scores.append(result.risk_score)
        note_truth.append(any(g.label == "risk" for g in note.mentions))
        for s in result.mentions:
            probabilities.append(s.risk_probability)
            outcomes.append(float(gold_label_of(s.mention.start, s.mention.end, note) == "risk"))
    hazard = hazard_figures(notes, scored)
    precision = hits / risky if risky else 0.0
    recall = found / gold_risk if gold_risk else 0.0
    macro = (float(f1_score(gold_labels, predicted_labels, average="macro",
                            labels=["risk", "routine"], zero_division=0))
             if gold_labels else 0.0)
    auc = (float(roc_auc_score(note_truth, note_scores))
           if 0 < sum(note_truth) < len(note_truth) else float("nan"))
    predicted_p = np.asarray(probabilities)
    observed = np.asarray(outcomes)
    brier = float(np.mean((predicted_p - observed) ** 2)) if len(predicted_p) else float("nan")
    return RiskFigures(
        detection_precision=detection.precision, detection_recall=detection.recall,
        matched_macro_f1=macro, risk_precision=precision, risk_recall=recall,
        risk_f1=_f1(precision, recall), note_auc=auc, brier=brier,
        ece=expected_calibration_error(predicted_p, observed), mentions=len(probabilities),
        notes=len(notes), **hazard,
    )


def gold_hazards(note: LabelledNote) -> dict[str, bool]:
    """The gold verdict per category of one note: risk when any gold mention of it is."""
    gold: dict[str, bool] = {}
    for mention in note.mentions:
        gold[mention.category] = gold.get(mention.category, False) or mention.label == "risk"
    return gold


def hazard_verdicts(result: ScoredNote) -> dict[str, tuple[bool, float]]:
    """A system's verdict and probability per category of one note: its hazards table, or,
    without one (baselines), whether any mention of the category is risk and the highest
    mention probability (EVALUATION.md)."""
    if result.hazards:
        return {h.category: (h.verdict == "risk", h.risk_probability) for h in result.hazards}
    out: dict[str, tuple[bool, float]] = {}
    for s in result.mentions:
        risky, best = out.get(s.mention.category, (False, 0.0))
        out[s.mention.category] = (risky or s.label == "risk", max(best, s.risk_probability))
    return out


def hazard_figures(notes: Sequence[LabelledNote], scored: Sequence[ScoredNote],
                   ) -> dict[str, Any]:
    """Hazard-level precision, recall, F1 and AUC over every (note, category) pair that the
    gold or the system names, and risk verdicts on notes whose gold has no mention at all."""
    from sklearn.metrics import roc_auc_score

    tp = fp = fn = pairs = hazard_free_flags = 0
    truth: list[bool] = []
    scores: list[float] = []
    for note, result in zip(notes, scored, strict=True):
        gold = gold_hazards(note)
        system = hazard_verdicts(result)
        if not note.mentions:
            hazard_free_flags += sum(risky for risky, _ in system.values())
        for category in set(gold) | set(system):
            is_risk = gold.get(category, False)
            flagged, probability = system.get(category, (False, 0.0))
            tp += is_risk and flagged
            fp += flagged and not is_risk
            fn += is_risk and not flagged
            truth.append(is_risk)
            scores.append(probability)
            pairs += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    auc = (float(roc_auc_score(truth, scores)) if 0 < sum(truth) < len(truth)
           else float("nan"))
    return {"hazard_precision": precision, "hazard_recall": recall,
            "hazard_f1": _f1(precision, recall), "hazard_auc": auc, "hazards": pairs,
            "hazard_free_flags": hazard_free_flags}


def expected_calibration_error(probabilities: np.ndarray, outcomes: np.ndarray,
                               bins: int = 10) -> float:
    """Mean |observed rate - mean probability| over equal-width bins, weighted by size."""
    if not len(probabilities):
        return float("nan")
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(probabilities, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            total += members.sum() * abs(outcomes[members].mean() - probabilities[members].mean())
    return float(total / len(probabilities))


def bootstrap_intervals(notes: Sequence[LabelledNote], scored: Sequence[ScoredNote], *,
                        rounds: int = 1000, seed: int = 0,
                        ) -> dict[str, tuple[float, float]]:
    """95% percentile intervals for risk F1, matched macro-F1 and note AUC, resampling notes."""
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {"hazard_f1": [], "hazard_auc": [], "risk_f1": [],
                                       "matched_macro_f1": [], "note_auc": []}
    n = len(notes)
    for _ in range(rounds):
        picks = rng.integers(0, n, n)
        figures = risk_figures([notes[i] for i in picks], [scored[i] for i in picks])
        for name in samples:
            value = getattr(figures, name)
            if not np.isnan(value):
                samples[name].append(value)
    return {name: (round(float(np.percentile(values, 2.5)), 4),
                   round(float(np.percentile(values, 97.5)), 4))
            for name, values in samples.items() if values}


def per_category_risk_f1(notes: Sequence[LabelledNote], scored: Sequence[ScoredNote],
                         ) -> dict[str, dict[str, float]]:
    """End-to-end risk P/R/F1 per category (gold category for recall, predicted for precision)."""
    out: dict[str, dict[str, float]] = {}
    for category in CATEGORIES:
        hits = risky = found = gold_risk = 0
        for note, result in zip(notes, scored, strict=True):
            gold = LabelledNote(note.note_id, note.text,
                                tuple(g for g in note.mentions if g.category == category))
            all_gold_risk = [g for g in note.mentions if g.label == "risk"]
            predicted = [(s.mention.start, s.mention.end, s.label) for s in result.mentions
                         if s.mention.category == category]
            risky_spans = [(s, e) for s, e, label in predicted if label == "risk"]
            hits += sum(any(overlaps(s, e, g.start, g.end) for g in all_gold_risk)
                        for s, e in risky_spans)
            risky += len(risky_spans)
            counts = _risk_counts(gold, [(s.mention.start, s.mention.end, s.label)
                                         for s in result.mentions])
            found, gold_risk = found + counts[2], gold_risk + counts[3]
        precision = hits / risky if risky else 0.0
        recall = found / gold_risk if gold_risk else 0.0
        out[category] = {"gold_risk": gold_risk, "precision": round(precision, 4),
                         "recall": round(recall, 4), "f1": round(_f1(precision, recall), 4)}
    return out


SYSTEMS: tuple[str, ...] = ("keyword-only", "rules-only", "model")


def baseline(scored: Sequence[ScoredNote], system: str) -> list[ScoredNote]:
    """The same mentions labelled by a baseline.

    ``keyword-only`` calls every mention risk; ``rules-only`` calls a mention risk when its
    rule-based context is ``present`` (no negation, advice, history, inspection,
    administration or other household reaches it).
    """
    from dataclasses import replace as clone

    if system == "model":
        return list(scored)
    if system not in SYSTEMS:
        raise ValueError(f"unknown system {system!r}; choose from {', '.join(SYSTEMS)}")
    out = []
    for note in scored:
        relabelled = []
        for s in note.mentions:
            risky = system == "keyword-only" or s.mention.context == "present"
            relabelled.append(clone(s, risk_probability=1.0 if risky else 0.0,
                                    label="risk" if risky else "routine",
                                    reasons=(Reason(f"{system} baseline"),),
                                    model_id=system))
        out.append(clone(note, mentions=tuple(relabelled), hazards=()))
    return out


def format_table(figures: dict[str, RiskFigures]) -> str:
    """A plain-text comparison table, one column per system."""
    rows = [
        ("hazard precision", "hazard_precision"),
        ("hazard recall", "hazard_recall"),
        ("hazard F1", "hazard_f1"),
        ("hazard AUC", "hazard_auc"),
        ("mention detection precision", "detection_precision"),
        ("mention detection recall", "detection_recall"),
        ("risk/routine macro-F1 (matched)", "matched_macro_f1"),
        ("end-to-end risk precision", "risk_precision"),
        ("end-to-end risk recall", "risk_recall"),
        ("end-to-end risk F1", "risk_f1"),
        ("note-level AUC", "note_auc"),
        ("Brier score", "brier"),
        ("expected calibration error", "ece"),
    ]
    names = list(figures)
    lines = [f"{'':34}" + "".join(f"{name:>14}" for name in names)]
    for title, attribute in rows:
        lines.append(f"{title:34}" + "".join(f"{getattr(figures[n], attribute):>14.3f}"
                                             for n in names))
    lines.append(f"{'risk flags on hazard-free notes':34}" + "".join(
        f"{figures[n].hazard_free_flags:>14}" for n in names))
    first = figures[names[0]]
    lines.append(f"{'notes / predicted mentions':34}{first.notes:>14} {first.mentions:>13}")
    lines.append(f"{'hazards (note, category pairs)':34}{first.hazards:>14}")
    return "\n".join(lines)


def adjudicated_spans(folder: str | Path) -> set[tuple[str, int, int]]:
    """``(note_id, start, end)`` of every mention added by adjudication (not by the writers).

    Mention-detection recall is measured without them: they were chosen from the lexicon's own
    hits, so counting them would flatter recall.
    """
    spans: set[tuple[str, int, int]] = set()
    for path in sorted(Path(folder).glob("*.decisions.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("decision") == "mention" and "@" in str(row["cid"]):
                    note_id, span = str(row["cid"]).rsplit("@", 1)
                    start, end = (int(x) for x in span.split("-"))
                    spans.add((note_id, start, end))
    # Inventory v2 (scripts/relabel_v2.py): marks an adjudicator added where only equipment
    # had carried a hazard are not the writers' either.
    log = Path(folder).parent / "relabel_v2.log.jsonl"
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("change") == "add_v2_mention":
                    spans.add((str(row["note_id"]), int(row["start"]), int(row["end"])))
    return spans


def writers_marks_only(notes: Sequence[LabelledNote], adjudicated: set[tuple[str, int, int]],
                       ) -> list[LabelledNote]:
    """The notes with only the mentions their writers marked."""
    return [
        LabelledNote(n.note_id, n.text, tuple(
            m for m in n.mentions if (n.note_id, m.start, m.end) not in adjudicated), n.voice,
            n.voice_family)
        for n in notes
    ]
