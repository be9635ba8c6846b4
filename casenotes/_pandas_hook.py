"""Run a callback right after pandas is imported, without importing it now.

``import casenotes`` registers the ``DataFrame.casenotes`` accessor; importing pandas for that
alone would cost half a second on every ``casenotes --version``. A finder on ``sys.meta_path``
waits for ``import pandas``, lets the normal loader run, then calls the callback once.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any


class _AfterPandas(importlib.abc.MetaPathFinder):
    def __init__(self, callback: Callable[[], object]) -> None:
        self.callback = callback

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "pandas":
            return None
        sys.meta_path.remove(self)  # find the real spec, once
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _ThenCall(spec.loader, self.callback)
        return spec


class _ThenCall(importlib.abc.Loader):
    def __init__(self, inner: Any, callback: Callable[[], object]) -> None:
        self.inner = inner
        self.callback = callback

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        self.inner.exec_module(module)
        self.callback()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def register_when_pandas_loads(callback: Callable[[], object]) -> None:
    """Call ``callback`` once, right after the first ``import pandas`` of this process."""
    if "pandas" in sys.modules:
        callback()
        return
    sys.meta_path.insert(0, _AfterPandas(callback))
