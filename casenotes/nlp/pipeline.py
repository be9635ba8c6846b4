"""The spaCy view of a note: a ``Doc`` with sentences, span groups and cue attributes, built
from the same reading as everything else.

:func:`build_nlp` assembles ``spacy.blank("en")`` with casenotes' tokenizer (it normalises the
note and keeps the offset map in ``doc.user_data``) and components registered with
``@Language.factory`` (``casenotes_segmenter``, ``casenotes_hazards``, ``casenotes_equipment``,
``casenotes_vulnerability``, ``casenotes_context``). Each component copies its part of the
:class:`~casenotes.nlp.reader.NoteReader` reading onto the ``Doc``, so every rule exists once
and ``build_nlp()(text)`` finds exactly what :func:`find_mentions` finds. Scoring never builds
a ``Doc``: :class:`MentionFinder` reads notes directly and builds the pipeline only on demand
(``finder.nlp``) for notebooks, displaCy and ``DocBin``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Final, cast

import numpy
import spacy
import srsly
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import registry

from ..errors import CasenotesWarning
from ..lexicon import Lexicon, default_lexicon
from .context import CueHit, decode_reach, encode_reach
from .english import note_tokenizer
from .finder import MentionFinder, analyse_notes, default_finder, find_mentions
from .matching import TermHit
from .reader import (
    CUES,
    EQUIPMENT,
    HAZARDS,
    VULNERABILITY,
    WINDOW,
    NoteReader,
    Reading,
    is_date,
    lemma_table,
    segment,
)
from .text import IDENTITY, MAX_NOTE_LENGTH, OffsetMap, check_text, normalise
from .tokens import NoteTokenizer, Tokens

__all__ = [
    "CLAUSE_EXTENSION", "CUES_EXTENSION", "CUES_KEY", "EQUIPMENT_KEY", "HAZARDS_KEY",
    "MAX_NOTE_LENGTH", "OFFSETS_KEY", "TIMELINE_KEY", "VULNERABILITY_KEY", "WINDOW",
    "MentionFinder", "NormalisingTokenizer", "analyse_notes", "build_nlp", "default_finder",
    "find_mentions", "is_date", "lemma_table", "normalise",
]

HAZARDS_KEY: Final = "casenotes_hazards"
EQUIPMENT_KEY: Final = "casenotes_equipment"
VULNERABILITY_KEY: Final = "casenotes_vulnerability"
CUES_KEY: Final = "casenotes_cues"
TIMELINE_KEY: Final = "casenotes_timeline"
CUES_EXTENSION: Final = "casenotes_cues"
CLAUSE_EXTENSION: Final = "casenotes_clause"
#: ``doc.user_data`` key of the map from the Doc's (normalised) text back to the note.
OFFSETS_KEY: Final = "casenotes_offsets"

# A Doc's cue attributes (``Reach`` records) survive Doc.to_bytes, DocBin and n_process.
srsly.msgpack_encoders.register("casenotes_reach", func=encode_reach)
srsly.msgpack_decoders.register("casenotes_reach", func=decode_reach)


# ------------------------------------------------------------------------------ tokenizer


class NormalisingTokenizer:
    """spaCy tokenizer that reads a note as casenotes does: normalised (double spaces, tabs,
    zero-width marks folded), then cut by :class:`~casenotes.nlp.tokens.NoteTokenizer`.

    The Doc's text is the normalised note; ``doc.user_data["casenotes_offsets"]`` maps its
    offsets back to the note as written (see :func:`doc_offsets`).
    """

    def __init__(self, vocab: Any, inner: NoteTokenizer | None = None) -> None:
        self.vocab = vocab
        self.inner = note_tokenizer() if inner is None else inner

    def __call__(self, text: str) -> Doc:
        check_text(text, "")
        normalised, offsets = normalise(text)
        tokens = self.inner(normalised)
        doc = Doc(self.vocab, words=tokens.texts, spaces=list(tokens.spaces))
        if offsets is not IDENTITY:
            doc.user_data[OFFSETS_KEY] = [list(offsets.positions), list(offsets.deltas)]
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    def to_disk(self, path: str | Path, **kwargs: Any) -> None:
        self.inner.to_disk(path, **kwargs)

    def from_disk(self, path: str | Path, **kwargs: Any) -> NormalisingTokenizer:
        self.inner.from_disk(path, **kwargs)
        return self

    def to_bytes(self, **kwargs: Any) -> bytes:
        return self.inner.to_bytes(**kwargs)

    def from_bytes(self, data: bytes, **kwargs: Any) -> NormalisingTokenizer:
        self.inner.from_bytes(data, **kwargs)
        return self


@registry.tokenizers("casenotes.normalising_tokenizer.v1")  # type: ignore[untyped-decorator]
def create_normalising_tokenizer() -> Callable[[Language], NormalisingTokenizer]:
    """Registered tokenizer: normalises the note, then cuts it as casenotes does."""

    def create(nlp: Language) -> NormalisingTokenizer:
        return NormalisingTokenizer(nlp.vocab)

    return create


def doc_offsets(doc: Doc) -> OffsetMap:
    """The map from a Doc's text back to the note it was made from."""
    stored = doc.user_data.get(OFFSETS_KEY)
    return IDENTITY if stored is None else OffsetMap(tuple(stored[0]), tuple(stored[1]))


# ----------------------------------------------------------------------------- components


class _ReadingComponent:
    """A component that copies part of the casenotes reading of ``doc.text`` onto the Doc."""

    lexicon: Lexicon
    _reader: NoteReader | None = None

    @property
    def reader(self) -> NoteReader:
        if self._reader is None:
            self._reader = NoteReader(self.lexicon, lemmatize=False)
        return self._reader

    def reading(self, doc: Doc) -> Reading:
        return self.reader.read_normalised(doc.text)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_reader"] = None  # rebuilt from the lexicon where it is unpickled
        return state


class Segmenter:
    """Sets sentence starts at punctuation, line breaks and dated timeline entries, and stores
    the entries as single-token spans in ``doc.spans["casenotes_timeline"]``."""

    def __init__(self, nlp: Language, name: str = "casenotes_segmenter", *,
                 timeline_key: str = TIMELINE_KEY) -> None:
        self.name = name
        self.timeline_key = timeline_key

    def __call__(self, doc: Doc) -> Doc:
        starts, entries = segment([token.lower_ for token in doc])
        if len(doc):
            values = numpy.full(len(doc), -1, dtype="int32")
            values[starts] = 1
            # One array write: setting token.is_sent_start one by one is quadratic in spaCy.
            doc.from_array([SENT_START], cast(Any, values.astype("uint64").reshape(-1, 1)))
        doc.spans[self.timeline_key] = [Span(doc, i, i + 1, label="ENTRY") for i in entries]
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Nothing to save: the segmenter is configured by its factory arguments."""

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> Segmenter:
        return self


class LexiconSpanFinder(_ReadingComponent):
    """Writes one lexicon section's hits to ``doc.spans[spans_key]`` (label, span id = entry id).

    Used three times: ``casenotes_hazards`` for hazard terms (label = category),
    ``casenotes_equipment`` for equipment, trades and procedures (label = kind) and
    ``casenotes_vulnerability`` for vulnerability cues (label = group).
    """

    def __init__(self, nlp: Language, name: str, *, spans_key: str, section: str) -> None:
        if section not in (HAZARDS, EQUIPMENT, VULNERABILITY):
            raise ValueError(
                f"section must be 'hazards', 'equipment' or 'vulnerability', not {section!r}")
        self.name = name
        self.spans_key = spans_key
        self.section = section
        self.lexicon = Lexicon()

    def add_lexicon(self, lexicon: Lexicon) -> None:
        """Use this lexicon's section; warns once if it is empty."""
        self.lexicon = lexicon
        self._reader = None
        entries = {HAZARDS: lexicon.hazards, EQUIPMENT: lexicon.equipment,
                   VULNERABILITY: lexicon.vulnerability}[self.section]
        if not entries:
            warnings.warn(
                f"{self.name}: the lexicon has no {self.section} entries, so nothing will be "
                "found; load a lexicon with entries in that section",
                CasenotesWarning, stacklevel=2,
            )

    def __call__(self, doc: Doc) -> Doc:
        reading = self.reading(doc)
        hits = reading.hits[self.section]
        # A hazard span's label is its category as read in context (the lexicon's senses).
        senses = (self.reader.senses_of(reading) if self.section == HAZARDS else ()) or (
            (None,) * len(hits))
        labels = [hit.label if sense is None else sense.category
                  for hit, sense in zip(hits, senses, strict=True)]
        doc.spans[self.spans_key] = [
            Span(doc, hit.start, hit.end, label=label, span_id=hit.entry_id)
            for hit, label in zip(hits, labels, strict=True)
        ]
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the lexicon section as ``lexicon.json`` in ``path``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        data = self.lexicon.to_dict()
        keep = {self.section: data[self.section]}
        if self.section == HAZARDS:
            keep[EQUIPMENT] = data[EQUIPMENT]  # equipment phrases block hazard hits
            if "senses" in data:
                keep["senses"] = data["senses"]
        (path / "lexicon.json").write_text(json.dumps(keep, indent=1), encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> LexiconSpanFinder:
        self.add_lexicon(Lexicon.from_file(Path(path) / "lexicon.json"))
        return self


class ContextAnnotator(_ReadingComponent):
    """Writes the context cues to ``doc.spans["casenotes_cues"]`` (label = kind) and gives every
    hazard span the cues that reach it (``span._.casenotes_cues``, a tuple of
    :class:`~casenotes.nlp.context.Reach`) and its clause (``span._.casenotes_clause``). Both
    survive ``Doc.to_bytes``, ``DocBin`` and ``nlp.pipe(n_process=...)`` once :mod:`casenotes`
    is imported.
    """

    def __init__(self, nlp: Language, name: str = "casenotes_context", *,
                 hazards_key: str = HAZARDS_KEY, cues_key: str = CUES_KEY) -> None:
        self.name = name
        self.hazards_key = hazards_key
        self.cues_key = cues_key
        self.lexicon = Lexicon()

    def add_lexicon(self, lexicon: Lexicon) -> None:
        """Use this lexicon's ``cues`` section."""
        self.lexicon = lexicon
        self._reader = None

    def hits(self, doc: Doc) -> list[CueHit]:
        """Every cue in the document, longest first where they overlap."""
        return list(self.reading(doc).cue_hits)

    def __call__(self, doc: Doc) -> Doc:
        reading = self.reading(doc)
        doc.spans[self.cues_key] = [
            Span(doc, h.start, h.end, label=h.rule.kind, span_id=h.rule.id)
            for h in reading.cue_hits
        ]
        hazard_spans = list(doc.spans.get(self.hazards_key, []))
        sentence_starts = [token.i for token in doc if token.is_sent_start]
        reached = self.reader.reach(reading.tokens, sentence_starts, reading.cue_hits,
                                    [(span.start, span.end) for span in hazard_spans])
        for span, (clause, reaches) in zip(hazard_spans, reached, strict=True):
            span._.set(CUES_EXTENSION, tuple(reaches))
            span._.set(CLAUSE_EXTENSION, clause)
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        data = {CUES: self.lexicon.to_dict()[CUES]}
        (path / "lexicon.json").write_text(json.dumps(data, indent=1), encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> ContextAnnotator:
        self.add_lexicon(Lexicon.from_file(Path(path) / "lexicon.json"))
        return self


# ------------------------------------------------------------------------------ factories


@Language.factory(
    "casenotes_segmenter", assigns=["token.is_sent_start", "doc.spans"],
    default_config={"timeline_key": TIMELINE_KEY},
)
def make_segmenter(nlp: Language, name: str, timeline_key: str) -> Segmenter:
    return Segmenter(nlp, name, timeline_key=timeline_key)


@Language.factory(
    "casenotes_hazards", assigns=["doc.spans"], default_config={"spans_key": HAZARDS_KEY},
)
def make_hazard_finder(nlp: Language, name: str, spans_key: str) -> LexiconSpanFinder:
    return LexiconSpanFinder(nlp, name, spans_key=spans_key, section=HAZARDS)


@Language.factory(
    "casenotes_equipment", assigns=["doc.spans"], default_config={"spans_key": EQUIPMENT_KEY},
)
def make_equipment_finder(nlp: Language, name: str, spans_key: str) -> LexiconSpanFinder:
    return LexiconSpanFinder(nlp, name, spans_key=spans_key, section=EQUIPMENT)


@Language.factory(
    "casenotes_vulnerability", assigns=["doc.spans"],
    default_config={"spans_key": VULNERABILITY_KEY},
)
def make_vulnerability_finder(nlp: Language, name: str, spans_key: str) -> LexiconSpanFinder:
    return LexiconSpanFinder(nlp, name, spans_key=spans_key, section=VULNERABILITY)


@Language.factory(
    "casenotes_context", assigns=["doc.spans", f"span._.{CUES_EXTENSION}"],
    default_config={"hazards_key": HAZARDS_KEY, "cues_key": CUES_KEY},
)
def make_context(nlp: Language, name: str, hazards_key: str, cues_key: str) -> ContextAnnotator:
    return ContextAnnotator(nlp, name, hazards_key=hazards_key, cues_key=cues_key)


for _extension in (CUES_EXTENSION, CLAUSE_EXTENSION):
    if not Span.has_extension(_extension):
        Span.set_extension(_extension, default=None)


def build_nlp(lexicon: Lexicon | None = None, *, lemmatize: bool = True) -> Language:
    """Build the casenotes pipeline on ``spacy.blank("en")``; no pretrained model is needed.

    Parameters
    ----------
    lexicon : Lexicon, optional
        Hazard, vulnerability and cue entries; the bundled lexicon when omitted.
    lemmatize : bool, default=True
        Add spaCy's lookup lemmatizer (tables from ``spacy-lookups-data``).
    """
    lexicon = default_lexicon() if lexicon is None else lexicon
    nlp = spacy.blank("en", config={
        "nlp": {"tokenizer": {"@tokenizers": "casenotes.normalising_tokenizer.v1"}}
    })
    nlp.max_length = MAX_NOTE_LENGTH
    nlp.add_pipe("casenotes_segmenter")
    if lemmatize:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    hazards = cast(LexiconSpanFinder, nlp.add_pipe("casenotes_hazards"))
    equipment = cast(LexiconSpanFinder, nlp.add_pipe("casenotes_equipment"))
    vulnerability = cast(LexiconSpanFinder, nlp.add_pipe("casenotes_vulnerability"))
    context = cast(ContextAnnotator, nlp.add_pipe("casenotes_context"))
    nlp.initialize()
    # One reader shared by the components: one reading of each Doc.
    reader = NoteReader(lexicon, lemmatize=False)
    for component in (hazards, equipment, vulnerability, context):
        if component is equipment and not lexicon.equipment:
            continue
        component.add_lexicon(lexicon)
        component._reader = reader
    return nlp


# ---------------------------------------------------------------------------- the finder


def reading_of_doc(doc: Doc, reader: NoteReader, text: str | None = None) -> Reading:
    """Rebuild the reading from a casenotes ``Doc``: its tokens, sentences and span groups."""
    offsets = doc_offsets(doc)
    if text is None:
        if offsets is not IDENTITY:
            raise ValueError("normalising changed this note: pass the note as written as text")
        text = doc.text
    tokens = Tokens(doc.text, tuple(t.idx for t in doc), tuple(t.idx + len(t.text) for t in doc),
                    tuple(t.lower_ for t in doc), tuple(bool(t.whitespace_) for t in doc))

    def hits(key: str) -> list[TermHit]:
        return [TermHit(s.start, s.end, s.label_, s.id_) for s in doc.spans.get(key, ())]

    hazard_spans = list(doc.spans.get(HAZARDS_KEY, ()))
    return Reading(
        original=text, offsets=offsets, tokens=tokens,
        sentence_starts=tuple(t.i for t in doc if t.is_sent_start),
        entries=tuple(span.start for span in doc.spans.get(TIMELINE_KEY, ())),
        hits={HAZARDS: hits(HAZARDS_KEY), EQUIPMENT: hits(EQUIPMENT_KEY),
              VULNERABILITY: hits(VULNERABILITY_KEY), CUES: hits(CUES_KEY)},
        cue_hits=tuple(CueHit(s.start, s.end, reader.rules[s.id_])
                       for s in doc.spans.get(CUES_KEY, ())),
        clauses=tuple(span._.get(CLAUSE_EXTENSION) for span in hazard_spans),
        reaches=tuple(tuple(span._.get(CUES_EXTENSION) or ()) for span in hazard_spans),
    )
