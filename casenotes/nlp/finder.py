"""Finding hazard mentions in notes: the entry point every caller shares, without spaCy.

:class:`MentionFinder` reads notes with one :class:`~casenotes.nlp.reader.NoteReader` per
lexicon per process; :func:`find_mentions` and :func:`analyse_notes` use a default one.
Scoring imports only this, so a scoring process never loads spaCy; ``finder.nlp``, the spaCy
view of the same reading (:mod:`casenotes.nlp.pipeline`), is built on first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from ..lexicon import Lexicon, default_lexicon
from ..types import Cue, Mention, NoteFindings
from .prefilter import Prefilter
from .reader import NoteReader, reader_for
from .text import IDENTITY, OffsetMap

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


class MentionFinder:
    """Finds hazard mentions, their cues and the vulnerability cues in case notes.

    Holds one :class:`~casenotes.nlp.reader.NoteReader`: build it once and reuse it
    (``find_mentions`` keeps a default one per process). ``finder.nlp`` is the spaCy view of
    the same reading, built on first use.

    Examples
    --------
    >>> finder = MentionFinder()
    >>> [m.term for m in finder.find("T/C - smell of gas in kitchen")]
    ['smell of gas']
    """

    def __init__(self, lexicon: Lexicon | None = None, *, batch_size: int = 256,
                 lemmatize: bool = True) -> None:
        self.lexicon = default_lexicon() if lexicon is None else lexicon
        self.batch_size = batch_size
        # One reader per lexicon per process, whichever entry point asks for it.
        self.reader = (reader_for(self.lexicon) if lemmatize
                       else NoteReader(self.lexicon, lemmatize=False))
        self._nlp: Language | None = None

    @property
    def nlp(self) -> Language:
        """The spaCy pipeline over the same lexicon (for notebooks, displaCy, DocBin)."""
        if self._nlp is None:
            from .pipeline import build_nlp

            self._nlp = build_nlp(self.lexicon, lemmatize=False)
        return self._nlp

    @property
    def prefilter(self) -> Prefilter:
        """The raw-text check that a note could hold one of this finder's hazard terms (its
        reader's, so built once per lexicon per process)."""
        return self.reader.prefilter

    def find(self, text: str, note_id: str | None = None) -> list[Mention]:
        """The hazard mentions in one note, in text order."""
        return list(self.analyse(text, note_id).mentions)

    def analyse(self, text: str, note_id: str | None = None) -> NoteFindings:
        """Mentions, vulnerability cues, timeline entries, cues and equipment of one note."""
        return self.reader.analyse(text, note_id)

    def analyse_many(self, notes: Iterable[tuple[str, str]], *,
                     skip_hazard_free: bool = False) -> Iterator[NoteFindings]:
        """Stream findings for ``(note_id, text)`` pairs in input order; with
        ``skip_hazard_free``, a note without a hazard term gets empty findings (see
        :meth:`NoteReader.analyse`).

        Raises
        ------
        NoteTypeError
            If a text is not a ``str`` (the message names the note id, never its text).
        NoteTooLongError
            If a text is longer than ``MAX_NOTE_LENGTH`` characters.
        """
        yield from self.reader.analyse_many(notes, skip_hazard_free=skip_hazard_free)

    def findings_from_doc(self, doc: Doc, text: str | None = None,
                          note_id: str = "") -> NoteFindings:
        """The findings a ``Doc`` of :attr:`nlp` carries, as :meth:`analyse` gives them.

        ``text`` is the note as written (the Doc holds its normalised text); it may be left
        out when normalising changed nothing.
        """
        from .pipeline import reading_of_doc

        return self.reader.findings(reading_of_doc(doc, self.reader, text), note_id)

    def cues_for(self, text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[Cue, ...]]:
        """The cues reaching arbitrary character spans of ``text``, nearest first.

        Lets the context rules run on targets that are not hazard terms, e.g. the clinical
        conditions of the NegEx test set.
        """
        reading = self.reader.read(text)
        inverse = _inverse(reading.offsets, len(text))
        tokens = reading.tokens
        targets = []
        for start, end in spans:
            low, high = inverse[start], inverse[end]
            covered = [i for i in range(len(tokens))
                       if tokens.starts[i] < high and tokens.ends[i] > low]
            if not covered or low >= high:
                raise ValueError(f"span {start}-{end} covers no token of the text")
            targets.append((covered[0], covered[-1] + 1))
        reached = self.reader.reach(tokens, reading.sentence_starts, reading.cue_hits, targets)
        return [tuple(self.reader.cue(reading, reach) for reach in reaches)
                for _, reaches in reached]


def _inverse(offsets: OffsetMap, length: int) -> list[int]:
    """Original offset -> normalised offset, for every position 0..length."""
    if offsets is IDENTITY:
        return list(range(length + 1))
    inverse = [0] * (length + 1)
    position = 0
    for normalised in range(length + 1):
        original = offsets.start(normalised)
        while position <= min(original, length):
            inverse[position] = normalised
            position += 1
        if position > length:
            break
    return inverse


@lru_cache(maxsize=1)
def default_finder() -> MentionFinder:
    """The per-process finder over the bundled lexicon, built on first use."""
    return MentionFinder()


def find_mentions(text: str, note_id: str | None = None, *,
                  lexicon: Lexicon | None = None) -> list[Mention]:
    """Find the hazard mentions in one case note.

    Parameters
    ----------
    text : str
        The note, as written.
    note_id : str, optional
        Copied into every mention; ``""`` when omitted.
    lexicon : Lexicon, optional
        A custom lexicon (see :func:`casenotes.load_lexicon`); builds a new reader, so for
        many notes create one :class:`MentionFinder` instead.

    Returns
    -------
    list of Mention
        In text order; ``text[m.start:m.end] == m.term`` for each.

    Examples
    --------
    >>> [(m.term, m.category, m.context) for m in find_mentions("No ACMs found in survey")]
    [('ACMs', 'asbestos', 'negated')]
    """
    finder = default_finder() if lexicon is None else MentionFinder(lexicon)
    return finder.find(text, note_id)


def analyse_notes(notes: Iterable[tuple[str, str]], *, lexicon: Lexicon | None = None,
                  batch_size: int = 256) -> Iterator[NoteFindings]:
    """Stream :class:`NoteFindings` for an iterable of ``(note_id, text)`` pairs, in order.

    The batch form of :func:`find_mentions`: notes are read lazily, so any number of notes
    fits in memory.
    """
    finder = default_finder() if lexicon is None else MentionFinder(lexicon,
                                                                      batch_size=batch_size)
    return finder.analyse_many(notes)
