"""casenotes: find hazard mentions in housing case notes; tell genuine risks from routine ones."""

from __future__ import annotations

import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from .engines.batch import score_frame
    from .lexicon import (
        CueRule,
        EquipmentTerm,
        HazardTerm,
        Lexicon,
        VulnerabilityTerm,
        default_lexicon,
        load_lexicon,
    )
    from .model import RiskModel, load_model
    from .nlp.finder import MentionFinder, analyse_notes, find_mentions
    from .nlp.pipeline import build_nlp
    from .scoring import Scorer, score_hazards, score_text
    from .training import train_model
    from .types import (
        Cue,
        CueMatch,
        EquipmentMatch,
        HazardVerdict,
        Mention,
        NoteFindings,
        Reason,
        ScoredMention,
        ScoredNote,
        VulnerabilityCue,
    )

#: Names served lazily, so ``import casenotes`` imports neither spaCy, pandas nor scikit-learn
#: (``casenotes --version`` answers at once), nor the lexicon and record types, which the
#: command's entry point need not wait for before it starts the scoring processes' fork server.
_LAZY = {
    **dict.fromkeys(("CueRule", "EquipmentTerm", "HazardTerm", "Lexicon", "VulnerabilityTerm",
                     "default_lexicon", "load_lexicon"), "lexicon"),
    **dict.fromkeys(("Cue", "CueMatch", "EquipmentMatch", "HazardVerdict", "Mention",
                     "NoteFindings", "Reason", "ScoredMention", "ScoredNote",
                     "VulnerabilityCue"), "types"),
    "MentionFinder": "nlp.finder", "analyse_notes": "nlp.finder",
    "build_nlp": "nlp.pipeline", "find_mentions": "nlp.finder",
    "RiskModel": "model", "load_model": "model",
    "Scorer": "scoring", "score_text": "scoring", "score_hazards": "scoring",
    "train_model": "training", "score_frame": "engines.batch",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'casenotes' has no attribute {name!r}")


def _register_accessor() -> None:
    """``DataFrame.casenotes`` exists after ``import casenotes`` whatever the import order:
    registered now if pandas is loaded, else as soon as pandas is imported."""
    if "pandas" in sys.modules:
        import_module(".engines.accessor", __name__)
        return
    from ._pandas_hook import register_when_pandas_loads

    register_when_pandas_loads(lambda: import_module(".engines.accessor", __name__))


_register_accessor()

__all__ = [
    "CasenotesError", "CasenotesWarning", "Cue", "CueMatch", "CueRule", "EquipmentMatch",
    "EquipmentTerm", "HazardTerm", "HazardVerdict",
    "InputSchemaError", "Lexicon", "LexiconError", "Mention", "MentionFinder", "ModelError",
    "NoteFindings", "NoteTooLongError", "NoteTypeError", "Reason", "RiskModel", "ScoredMention",
    "ScoredNote", "Scorer", "VulnerabilityCue", "VulnerabilityTerm", "__version__",
    "analyse_notes", "build_nlp", "default_lexicon", "find_mentions", "load_lexicon",
    "load_model", "score_frame", "score_hazards", "score_text", "train_model",
]
