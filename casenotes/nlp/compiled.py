"""The compiled reader core, when this install has it and it is wanted.

``pip install .`` compiles ``_core.pyx`` (Cython) with the machine's C compiler; without one
the package is pure Python. Every module that can use the core takes it from here, so one
setting decides: ``CASENOTES_PURE_PYTHON=1`` in the environment, at install time or when
casenotes is imported, reads notes with the Python code, the reference the core is tested
against (to compare the two, or to rule the core out when something looks wrong).
"""

from __future__ import annotations

import os
from functools import cache
from types import ModuleType
from typing import Any, Final

#: The environment variable that asks for the pure Python reader.
PURE_PYTHON: Final = "CASENOTES_PURE_PYTHON"


def load_core() -> ModuleType | None:
    """The compiled core module, or None where it was not built or is not wanted."""
    if os.environ.get(PURE_PYTHON) == "1":
        return None
    try:
        from . import _core
    except ImportError:  # built without a C compiler: the same rules, in Python
        return None
    return _core


#: The compiled core this process uses, or None.
core: Final = load_core()


@cache
def record_maker(kind: Any) -> Any:
    """Makes ``kind``'s records (a frozen dataclass with slots) from all their fields in order:
    the compiled core fills the slots directly, a fifth of the dataclass's ``__init__``; without
    the core, ``kind`` itself. One maker per kind per process."""
    return kind if core is None else core.Records(kind)
