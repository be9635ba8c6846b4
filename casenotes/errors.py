"""The casenotes exception hierarchy and warning class.

Every message says what happened, what was expected and what to do. Messages name note ids
and offsets, never note text: case notes are personal data.
"""

from __future__ import annotations


class CasenotesError(Exception):
    """Catch this to handle any casenotes failure."""


class LexiconError(CasenotesError, ValueError):
    """A hazard, vulnerability or cue file that cannot be used; the message names entry and key."""


class NoteTypeError(CasenotesError, TypeError):
    """A note whose text is not a string."""


class InputError(CasenotesError, OSError):
    """An input that cannot be read: missing, a folder, unreadable, or not in its format."""


class InputSchemaError(CasenotesError, ValueError):
    """A table of notes with missing or mistyped columns."""


class OutputError(CasenotesError, OSError):
    """An output that cannot be written: a bad extension, a missing folder, too many rows."""


class ScoringError(CasenotesError, RuntimeError):
    """Batch scoring stopped: a worker process died or was interrupted."""


class NoteTooLongError(CasenotesError, ValueError):
    """A note longer than the pipeline's ``max_length``."""


class ModelError(CasenotesError):
    """A missing, incompatible or untrusted model."""


class CasenotesWarning(UserWarning):
    """Something the user should change: an empty lexicon, version drift, truncated input."""


def describe_value(value: object) -> str:
    """Describe a value by type only, so messages never echo note text."""
    return type(value).__name__
