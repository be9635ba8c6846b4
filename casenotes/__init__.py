"""casenotes: find hazard mentions in housing case notes; tell genuine risks from routine ones."""

from .__about__ import __version__
from .errors import (
    CasenotesError,
    CasenotesWarning,
    InputSchemaError,
    LexiconError,
    ModelError,
    NoteTooLongError,
    NoteTypeError,
)
from .lexicon import CueRule, HazardTerm, Lexicon, VulnerabilityTerm, default_lexicon, load_lexicon
from .pipeline import MentionFinder, analyse_notes, build_nlp, find_mentions
from .types import Cue, Mention, NoteFindings, VulnerabilityCue

__all__ = [
    "CasenotesError", "CasenotesWarning", "Cue", "CueRule", "HazardTerm", "InputSchemaError",
    "Lexicon", "LexiconError", "Mention", "MentionFinder", "ModelError", "NoteFindings",
    "NoteTooLongError", "NoteTypeError", "VulnerabilityCue", "VulnerabilityTerm", "__version__",
    "analyse_notes", "build_nlp", "default_lexicon", "find_mentions", "load_lexicon",
]
