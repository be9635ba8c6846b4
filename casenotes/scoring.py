"""Score notes: find mentions, compute features, and attach P(risk), a label and reasons."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy

from .features import note_features
from .lexicon import Lexicon
from .model import RiskModel, load_model
from .pipeline import MentionFinder
from .types import Category, Label, Mention, NoteFindings


@dataclass(frozen=True, slots=True)
class ScoredMention:
    """A mention with its calibrated risk probability, label and the reasons behind it.

    ``reasons`` name the features that pushed hardest towards the label, with their
    contribution to the log-odds of risk, e.g. ``"cue=negated:before:0-1 (-2.31)"``.
    """

    mention: Mention
    risk_probability: float
    label: Label
    reasons: tuple[str, ...]
    model_id: str


@dataclass(frozen=True, slots=True)
class HazardVerdict:
    """The verdict on one hazard category in one note: what an analyst acts on.

    ``risk_probability`` is calibrated on dev hazards from the note's strongest mention of the
    category; ``evidence`` holds the note's mentions of the category, strongest first, and
    ``reasons`` are those of the strongest.
    """

    note_id: str
    category: Category
    hhsrs_hazard: str
    verdict: Label
    risk_probability: float
    evidence: tuple[ScoredMention, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScoredNote:
    """One note's findings, scored mentions and hazard verdicts (one per category present);
    ``risk_score`` is the highest mention probability."""

    note_id: str
    findings: NoteFindings
    mentions: tuple[ScoredMention, ...]
    hazards: tuple[HazardVerdict, ...] = ()

    @property
    def risk_score(self) -> float:
        return max((m.risk_probability for m in self.mentions), default=0.0)

    @property
    def flagged(self) -> bool:
        return any(m.label == "risk" for m in self.mentions)


class Scorer:
    """Finds and scores hazard mentions with one pipeline and one model.

    Parameters
    ----------
    model : RiskModel, optional
        The bundled model when omitted.
    lexicon : Lexicon, optional
        The bundled lexicon when omitted; a different one warns if the model was trained
        with another.
    threshold : float, optional
        P(risk) at or above which a mention is labelled risk; the model's own by default.
    n_reasons : int, default=3
    """

    def __init__(self, model: RiskModel | None = None, *, lexicon: Lexicon | None = None,
                 threshold: float | None = None, n_reasons: int = 3,
                 batch_size: int = 256) -> None:
        self.finder = MentionFinder(lexicon, batch_size=batch_size)
        self.model = model if model is not None else load_model(
            lexicon_sha256=self.finder.lexicon.hash)
        self.threshold = self.model.threshold if threshold is None else threshold
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {self.threshold}")
        self.n_reasons = n_reasons

    def score_note(self, text: str, note_id: str | None = None) -> ScoredNote:
        """Score one note."""
        return next(self.score_notes([("" if note_id is None else note_id, text)]))

    def score_notes(self, notes: Iterable[tuple[str, str]], *,
                    prefilter: bool = False) -> Iterator[ScoredNote]:
        """Stream scored notes for ``(note_id, text)`` pairs, in input order.

        Notes are scored in batches (one model call per batch). With ``prefilter=True``, notes
        the raw-text prefilter rules out skip the spaCy pipeline: their mentions are the same
        (none), but their findings carry no vulnerability cues, cues or timeline.
        """
        batch: list[tuple[str, str]] = []
        for note in notes:
            batch.append(note)
            if len(batch) >= self.finder.batch_size:
                yield from self._score_batch(batch, prefilter)
                batch = []
        if batch:
            yield from self._score_batch(batch, prefilter)

    def _score_batch(self, batch: list[tuple[str, str]], prefilter: bool) -> list[ScoredNote]:
        if prefilter:
            could_match = self.finder.prefilter.could_match
            passing = [not isinstance(text, str) or could_match(text) for _, text in batch]
        else:
            passing = [True] * len(batch)
        analysed = iter(self.finder.analyse_many(
            (note_id, text) for (note_id, text), keep in zip(batch, passing, strict=True)
            if keep))
        findings = [next(analysed) if keep else NoteFindings("" if note_id is None
                                                              else str(note_id), (), (), (), ())
                    for (note_id, _), keep in zip(batch, passing, strict=True)]
        rows = [note_features(text, found) if found.mentions else []
                for (_, text), found in zip(batch, findings, strict=True)]
        flat = [row for note_rows in rows for row in note_rows]
        probabilities, reasons = self.model.assess(flat, threshold=self.threshold,
                                                   top=self.n_reasons)
        scored, position = [], 0
        for found in findings:
            mentions = []
            for mention in found.mentions:
                probability = float(probabilities[position])
                label: Label = "risk" if probability >= self.threshold else "routine"
                mentions.append(ScoredMention(
                    mention, probability, label,
                    tuple(f"{name} ({weight:+.2f})" for name, weight in reasons[position]),
                    self.model.model_id))
                position += 1
            scored.append(ScoredNote(found.note_id, found, tuple(mentions),
                                     self._hazards(found.note_id, mentions)))
        return scored

    def _hazards(self, note_id: str, mentions: list[ScoredMention]) -> tuple[HazardVerdict, ...]:
        """One verdict per category among the mentions, in the order categories first appear."""
        by_category: dict[Category, list[ScoredMention]] = {}
        for scored in mentions:
            by_category.setdefault(scored.mention.category, []).append(scored)
        if not by_category:
            return ()
        groups = [sorted(group, key=lambda s: -s.risk_probability)
                  for group in by_category.values()]
        calibrated = self.model.hazard_probability(
            numpy.asarray([group[0].risk_probability for group in groups]))
        threshold = self.model.hazard_threshold
        return tuple(
            HazardVerdict(note_id, group[0].mention.category, group[0].mention.hhsrs_hazard,
                          "risk" if probability >= threshold else "routine",
                          float(probability), tuple(group), group[0].reasons)
            for group, probability in zip(groups, calibrated, strict=True))


@lru_cache(maxsize=1)
def default_scorer() -> Scorer:
    """The per-process scorer over the bundled lexicon and model, built on first use."""
    return Scorer()


def score_text(text: str, note_id: str | None = None) -> list[ScoredMention]:
    """Find and score every hazard mention in one note with the bundled model.

    Examples
    --------
    >>> [(s.mention.term, s.label) for s in score_text("No ACMs found in the survey")]
    [('ACMs', 'routine')]
    """
    return list(default_scorer().score_note(text, note_id).mentions)


def score_hazards(text: str, note_id: str | None = None) -> list[HazardVerdict]:
    """The verdict on each hazard category of one note, with its evidence, by the bundled model.

    Examples
    --------
    >>> [(h.category, h.verdict) for h in score_hazards("No ACMs found in the survey")]
    [('asbestos', 'routine')]
    """
    return list(default_scorer().score_note(text, note_id).hazards)
