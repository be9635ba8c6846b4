"""Build hook: compiles casenotes' Cython core into the wheel.

The compiled matcher (``casenotes/nlp/_core.pyx``) is an accelerator, not a requirement:
where no C compiler is found, or ``CASENOTES_PURE_PYTHON=1`` is set, the wheel is pure Python
and casenotes reads notes with the same rules in Python (slower). An editable install builds
the module in place beside its source.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: Module name -> Cython source, relative to the project root.
EXTENSIONS = {"casenotes.nlp._core": "casenotes/nlp/_core.pyx"}


def compile_extensions(root: Path, into: Path | None) -> dict[str, str]:
    """Compile every extension; ``into`` None builds in place. Returns built file -> path
    inside the wheel."""
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension

    with tempfile.TemporaryDirectory(prefix="casenotes-build-") as scratch:
        modules = cythonize(
            [Extension(name, [str(root / source)], extra_compile_args=["-O2", "-g0"])
             for name, source in EXTENSIONS.items()],
            build_dir=scratch, quiet=True, compiler_directives={"language_level": "3"})
        distribution = Distribution({"ext_modules": modules, "script_name": "hatch_build.py"})
        command: Any = distribution.get_command_obj("build_ext")
        command.inplace = into is None
        command.build_lib = str(into or root)
        command.build_temp = scratch
        original = Path.cwd()
        os.chdir(root)
        try:
            command.ensure_finalized()
            command.run()
        finally:
            os.chdir(original)
        built = {}
        for name in EXTENSIONS:
            relative = Path(command.get_ext_filename(name))
            built[str((into or root) / relative)] = relative.as_posix()
        return built


class CompiledCoreHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the compiled matcher to a wheel, or leaves the wheel pure Python with a warning."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get("CASENOTES_PURE_PYTHON") == "1":
            return
        root = Path(self.root)
        into = None if version == "editable" else Path(self.directory) / "compiled"
        try:
            built = compile_extensions(root, into)
        except Exception as exc:  # no compiler, no headers: still installable
            self.app.display_warning(
                f"casenotes: the compiled matcher was not built ({type(exc).__name__}: {exc}); "
                "casenotes will read notes in pure Python, several times slower. Install a C "
                "compiler and the Python headers, then reinstall, for full speed.")
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if into is not None:
            build_data["force_include"].update(built)
