"""Score notes: find mentions, compute features, and attach P(risk), a label and reasons.

Three readers share this one reading of a note: ``"fast"`` (the linear model on every
mention), ``"accurate"`` (the cascade: the fast model decides the mentions it is sure of and
the encoder reads the band in between) and ``"encoder"`` (the encoder on every mention).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy

from .events import EventReader, default_event_reader
from .features import note_features
from .lexicon import Lexicon
from .loading import READERS, Reader, load_models
from .model import RiskModel, calibrate_hazards, load_model
from .nlp.compiled import record_maker
from .nlp.finder import MentionFinder
from .triage.priority import (
    TIER_WEIGHT,
    Urgency,
    UrgencyTable,
    load_urgency,
    mention_tiers,
    rank_note,
)
from .types import (
    Category,
    HazardVerdict,
    Label,
    Mention,
    NoteFindings,
    Reason,
    ScoredMention,
    ScoredNote,
)

if TYPE_CHECKING:
    from .encoder import EncoderModel, ReaderSettings


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
        P(risk) at or above which a mention is labelled risk; the reader's own by default.
    n_reasons : int, default=3
    encoder : EncoderModel, optional
        The accurate tier's encoder; the bundled one when a reader needs it and none is given.
    reader : {"fast", "accurate", "encoder"}, optional
        ``"accurate"`` when an encoder is given, else ``"fast"``.
    events : EventReader or bool, default=False
        Who reads each note's events (booked, inspected, made safe...): the bundled rules and
        event model when True; none when False (they cost about a third of the scoring time
        on long notes, so batch scoring reads them only when asked).
    """

    def __init__(self, model: RiskModel | None = None, *, lexicon: Lexicon | None = None,
                 threshold: float | None = None, n_reasons: int = 3,
                 batch_size: int = 256, encoder: EncoderModel | None = None,
                 reader: Reader | None = None, events: EventReader | bool | None = False,
                 ) -> None:
        self.reader: Reader = reader or ("accurate" if encoder is not None else "fast")
        if self.reader not in READERS:
            raise ValueError(f"reader must be one of {', '.join(READERS)}, got {reader!r}")
        self.finder = MentionFinder(lexicon, batch_size=batch_size)
        self.events: EventReader | None = (
            default_event_reader() if events is True else events or None)
        self.model = model if model is not None else load_model(
            lexicon_sha256=self.finder.lexicon.hash)
        self.encoder = None
        if self.reader != "fast":
            from .encoder import load_encoder

            self.encoder = encoder if encoder is not None else load_encoder()
        #: The reader's mention threshold, hazard calibration and blend (card settings).
        self._settings = reader_settings(self.model, self.encoder, self.reader)
        self.threshold = self._settings.mention_threshold if threshold is None else threshold
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {self.threshold}")
        self.n_reasons = n_reasons

    @property
    def model_id(self) -> str:
        """The id of what decides: the fast model's, or the encoder's for the other readers."""
        return self.model.model_id if self.encoder is None else self.encoder.model_id

    def score_note(self, text: str, note_id: str | None = None) -> ScoredNote:
        """Score one note."""
        return next(self.score_notes([("" if note_id is None else note_id, text)]))

    def score_notes(self, notes: Iterable[tuple[str, str]], *,
                    prefilter: bool = False) -> Iterator[ScoredNote]:
        """Stream scored notes for ``(note_id, text)`` pairs, in input order.

        Notes are scored in batches (one model call per batch). With ``prefilter=True``, notes
        the raw-text prefilter rules out skip the reading, and notes the lexicon finds no
        hazard term in stop after matching: their mentions are the same (none), but their
        findings carry no vulnerability cues, cues, equipment or timeline.
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
        # A note the lexicon finds no hazard term in needs no more reading, as one the
        # prefilter rules out (the event reader, when on, reads every note's findings).
        analysed = iter(self.finder.analyse_many(
            ((note_id, text) for (note_id, text), keep in zip(batch, passing, strict=True)
             if keep), skip_hazard_free=prefilter and self.events is None))
        findings = [next(analysed) if keep else _findings_record(
                        "" if note_id is None else str(note_id), (), (), (), (), ())
                    for (note_id, _), keep in zip(batch, passing, strict=True)]
        rows = [note_features(text, found) if found.mentions else []
                for (_, text), found in zip(batch, findings, strict=True)]
        flat = [row for note_rows in rows for row in note_rows]
        probabilities, reasons = self.model.assess(flat, threshold=self.threshold,
                                                   top=self.n_reasons)
        read_by_encoder = self._read_with_encoder(batch, findings, probabilities)
        if read_by_encoder:  # the fast model's reasons for the label the encoder gave
            read = list(read_by_encoder)
            toward = ["risk" if read_by_encoder[i][0] >= self.threshold else "routine"
                      for i in read]
            for i, explained in zip(read, self.model.explain_many(
                    [flat[i] for i in read], top=self.n_reasons, toward=toward), strict=True):
                reasons[i] = explained
        return self._scored(batch, findings, probabilities, reasons, read_by_encoder)

    def _scored(self, batch: list[tuple[str, str]], findings: list[NoteFindings],
                probabilities: numpy.ndarray, reasons: list[list[tuple[str, float]]],
                read_by_encoder: dict[int, tuple[float, float]]) -> list[ScoredNote]:
        """The scored notes of a batch: each mention's P(risk), label, reasons and tier, each
        category's verdict (calibrated in one call for the batch) and the note's priority."""
        table = load_urgency()
        position = 0
        notes: list[tuple[NoteFindings, tuple[ScoredMention, ...], list[_Tier]]] = []
        for (_, text), found in zip(batch, findings, strict=True):
            tiers = _tiers(found, text, table)
            mentions = []
            for mention, (tier, _) in zip(found.mentions, tiers, strict=True):
                named: tuple[Reason, ...] = tuple(
                    _reason(name, weight) for name, weight in reasons[position])
                fast = float(probabilities[position])
                if position in read_by_encoder:
                    probability, encoder_alone = read_by_encoder[position]
                    named = (_encoder_reason(probability, encoder_alone, fast),
                             *named, *_cue_reasons(mention))
                    decided_by = self.model_id
                else:
                    probability, decided_by = fast, self.model.model_id
                label: Label = "risk" if probability >= self.threshold else "routine"
                mentions.append(_scored_mention(mention, probability, label, named,
                                                decided_by, tier if label == "risk" else ""))
                position += 1
            notes.append((found, tuple(mentions), tiers))
        grouped = [_strongest_first(kept) if kept else [] for _, kept, _ in notes]
        strongest = [group[0].risk_probability for groups in grouped for group in groups]
        calibrated = iter(calibrate_hazards(numpy.asarray(strongest, dtype=float),
                                            *self._settings.hazard_calibration)
                          if strongest else ())
        threshold = self._settings.hazard_threshold
        scored = []
        for (_, text), (found, kept, tiers), groups in zip(batch, notes, grouped, strict=True):
            if not kept and self.events is None:  # most notes: nothing found, nothing to rank
                scored.append(_scored_note(found.note_id, found, (), (), _UNRANKED.urgency,
                                           _UNRANKED.score, _UNRANKED.reason, ()))
                continue
            tier_of = {id(m): tier for m, (tier, _) in zip(kept, tiers, strict=True)}
            hazards = []
            for group in groups:
                probability = float(next(calibrated))
                urgency = "" if probability < threshold else max(
                    (tier_of[id(s)] for s in group), key=TIER_WEIGHT.__getitem__)
                hazards.append(_verdict(found.note_id, group, probability, threshold, urgency))
            ranked = rank_note(kept, tiers, found.vulnerability_groups)
            note = _scored_note(found.note_id, found, kept, tuple(hazards), ranked.urgency,
                                ranked.score, ranked.reason, ())
            if self.events is not None and isinstance(text, str):
                note = replace(note, events=self.events.read(text, note))
            scored.append(note)
        return scored

    def _read_with_encoder(self, batch: list[tuple[str, str]], findings: list[NoteFindings],
                           fast: numpy.ndarray) -> dict[int, tuple[float, float]]:
        """For the mentions the encoder reads (all of them, or the cascade's band): P(risk),
        the encoder's blended with the fast model's as the reader's settings say, and the
        encoder's own."""
        if self.encoder is None:
            return {}
        from .encoder import encoder_input

        low, high = self.encoder.card.band
        positions, inputs, position = [], [], 0
        for (_, text), found in zip(batch, findings, strict=True):
            for mention in found.mentions:
                if self.reader == "encoder" or low <= fast[position] <= high:
                    positions.append(position)
                    inputs.append(encoder_input(text, mention, found))
                position += 1
        if not inputs:
            return {}
        alone = self.encoder.predict_proba(inputs)
        blended = self._settings.blended(alone, fast[positions])
        return {position: (float(p), float(e))
                for position, p, e in zip(positions, blended, alone, strict=True)}


def verdicts_of(note_id: str, mentions: Sequence[ScoredMention], *,
                calibration: tuple[float, float], threshold: float,
                ) -> tuple[HazardVerdict, ...]:
    """One verdict per category among a note's scored mentions, in the order categories first
    appear: the strongest mention's P(risk) through the reader's hazard calibration."""
    groups = _strongest_first(mentions)
    if not groups:
        return ()
    calibrated = calibrate_hazards(
        numpy.asarray([group[0].risk_probability for group in groups]), *calibration)
    return tuple(_verdict(note_id, group, float(probability), threshold)
                 for group, probability in zip(groups, calibrated, strict=True))


#: The priority of a note without mentions, as ``rank_note`` ranks it.
_UNRANKED: Final = rank_note((), (), ())


def _strongest_first(mentions: Sequence[ScoredMention]) -> list[list[ScoredMention]]:
    """A note's scored mentions by category, in the order categories first appear, each
    category's strongest first."""
    by_category: dict[Category, list[ScoredMention]] = {}
    for scored in mentions:
        by_category.setdefault(scored.mention.category, []).append(scored)
    return [sorted(group, key=_weakness) for group in by_category.values()]


def _weakness(scored: ScoredMention) -> float:
    return -scored.risk_probability


def _verdict(note_id: str, group: list[ScoredMention], probability: float,
             threshold: float, urgency: str = "") -> HazardVerdict:
    """The verdict on one category from its mentions, strongest first, and its calibrated
    P(risk)."""
    strongest = group[0]
    made: HazardVerdict = _verdict_record(
        note_id, strongest.mention.category, strongest.mention.hhsrs_hazard,
        "risk" if probability >= threshold else "routine", probability, tuple(group),
        strongest.reasons, urgency)
    return made


#: A mention's tier were it a risk, and the urgency rule that set it (None: its term's own).
_Tier = tuple[Urgency, "str | None"]


def _tiers(found: NoteFindings, text: object, table: UrgencyTable) -> list[_Tier]:
    """The tier each mention of a note would take as a risk (the tier rules read the mention's
    sentence, the note's vulnerable groups and the ages it states)."""
    if not found.mentions:
        return []
    text = str(text)
    return mention_tiers(found.mentions, found.vulnerability_groups,
                         [text[m.sentence_start:m.sentence_end] for m in found.mentions],
                         table, text)


#: Per-note records, made once or more for every note scored.
_findings_record: Final = record_maker(NoteFindings)
_scored_note: Final = record_maker(ScoredNote)
_scored_mention: Final = record_maker(ScoredMention)
_verdict_record: Final = record_maker(HazardVerdict)


@lru_cache(maxsize=20_000)
def _reason(name: str, weight: float) -> Reason:
    """The model's reason (feature, weight): a run meets a few hundred distinct ones tens of
    thousands of times, and a reason is immutable, so one record serves them all."""
    return Reason(name, weight)


def _cue_reasons(mention: Mention) -> tuple[Reason, ...]:
    """The cue words near a mention, for an analyst reading an encoder decision."""
    return tuple(Reason(f"cue {cue.text!r} ({cue.kind}, {cue.position})")
                 for cue in mention.cues[:3])


def _encoder_reason(probability: float, encoder_alone: float, fast: float) -> Reason:
    """What an encoder decision rests on, in words."""
    if abs(probability - encoder_alone) < 5e-3:
        return Reason(f"encoder P(risk) {probability:.2f}, fast model {fast:.2f}")
    return Reason(f"encoder and fast model together P(risk) {probability:.2f} (encoder "
                  f"{encoder_alone:.2f}, fast model {fast:.2f})")


def reader_settings(model: RiskModel, encoder: EncoderModel | None, reader: Reader,
                    ) -> ReaderSettings:
    """A reader's mention threshold and hazard calibration: the fast model's card for
    ``"fast"``, the encoder's card for the cascade and the encoder alone."""
    from .encoder import ReaderSettings

    if reader == "fast" or encoder is None:
        return ReaderSettings(model.threshold, model.card.hazard_calibration,
                              model.hazard_threshold)
    return encoder.card.readers[reader]


def build_scorer(model: str | Path | None = None, *, threshold: float | None = None,
                 lexicon: Lexicon | None = None, threads: int | None = None,
                 events: bool = False) -> Scorer:
    """A scorer for ``model`` (see :func:`load_models`); ``threads`` caps the encoder's
    onnxruntime threads; ``events`` reads each note's events too."""
    fast, encoder, reader = load_models(
        model, lexicon_sha256=lexicon.hash if lexicon is not None else None, threads=threads)
    return Scorer(fast, lexicon=lexicon, threshold=threshold, encoder=encoder, reader=reader,
                  events=events)


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
