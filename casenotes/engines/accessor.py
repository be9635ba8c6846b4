"""``df.casenotes``: score a DataFrame of notes in place of calling :func:`score_frame`.

pandas builds a new accessor object on every attribute access, so nothing is cached on it:
the scorer (and its model) is cached per process in :func:`casenotes.engines.batch.scorer_for`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


@pd.api.extensions.register_dataframe_accessor("casenotes")
class CasenotesAccessor:
    """``df.casenotes.score(...)`` gives the notes table, ``df.casenotes.mentions(...)`` the
    mentions table; both take the arguments of :func:`casenotes.engines.batch.score_frame`.

    Examples
    --------
    >>> import pandas as pd, casenotes
    >>> frame = pd.DataFrame({"text": ["CO alarm sounding, tenant has headaches"]})
    >>> frame.casenotes.mentions()[["term", "label"]].values.tolist()
    [['CO alarm', 'risk']]
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def score(self, text: str | None = None, id: str | None = None,
              **options: Any) -> pd.DataFrame:
        """The notes table: one row per row of the frame, in order."""
        return self._both(text, id, options)[0]

    def mentions(self, text: str | None = None, id: str | None = None,
                 **options: Any) -> pd.DataFrame:
        """The mentions table: one row per hazard mention."""
        return self._both(text, id, options)[1]

    def score_both(self, text: str | None = None, id: str | None = None,
                   **options: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(notes, mentions)`` from one pass."""
        return self._both(text, id, options)

    def _both(self, text: str | None, id: str | None,
              options: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
        from .batch import score_frame

        return score_frame(self._frame, text=text, id=id, **options)
