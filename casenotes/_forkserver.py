"""Preloaded by the scoring pool's fork server only: the server dies with the run that started
it (see :mod:`casenotes.lifetime`)."""

from .lifetime import die_with_parent

die_with_parent()
