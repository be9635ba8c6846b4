"""Would compiling the reading with mypyc reach the 150 µs aim? Stages, plain and compiled.

    python benchmarks/compiled.py [--notes 10000] [--repeat 2]

casenotes is mypy --strict clean, so mypyc can compile the modules the hot path runs through
(tokens, text, matching, context, reader, features) into C extensions without a code change.
This copies the package to a temporary folder, compiles those modules there with mypyc (needs
the dev extra, ``pip install -e ".[dev]"``, and a C compiler), and runs ``stages.py`` on the
plain package and on the compiled copy, one after the other on the same export. casenotes does
not ship compiled modules; the figure says whether it should.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The modules of one reading of a note, in the order they run.
HOT_MODULES = ("casenotes/nlp/tokens.py", "casenotes/nlp/text.py", "casenotes/nlp/matching.py",
               "casenotes/nlp/context.py", "casenotes/nlp/reader.py", "casenotes/features.py")


def compiled_copy(folder: Path) -> Path:
    """The package copied into ``folder`` with the hot modules compiled in place."""
    shutil.copytree(ROOT / "casenotes", folder / "casenotes",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    # mypyc runs setuptools, which must not read the project's own pyproject.toml.
    (folder / "mypy.ini").write_text("[mypy]\nignore_missing_imports = True\n")
    mypyc = shutil.which("mypyc") or str(Path(sys.executable).with_name("mypyc"))
    done = subprocess.run([mypyc, *HOT_MODULES], cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"mypyc failed (exit {done.returncode}):\n{done.stdout[-2000:]}"
                         f"{done.stderr[-2000:]}\ninstall the dev extra and a C compiler")
    built = sorted(p.name for p in (folder / "casenotes").rglob("*.so"))
    print(f"compiled {len(built)} extension modules in {folder}", flush=True)
    return folder


def stages(package_parent: Path | None, args: argparse.Namespace) -> None:
    env = dict(os.environ)
    if package_parent is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_parent),
                                                          env.get("PYTHONPATH", "")]))
    check = subprocess.run(
        [sys.executable, "-c", "import casenotes.nlp.matching as m; print(m.__file__)"],
        env=env, capture_output=True, text=True, check=True, cwd=tempfile.gettempdir())
    print(f"\n== casenotes.nlp.matching from {check.stdout.strip()}", flush=True)
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "stages.py"), "--notes",
                    str(args.notes), "--repeat", str(args.repeat)], env=env, check=True,
                   cwd=tempfile.gettempdir())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="casenotes-mypyc-") as tmp:
        compiled = compiled_copy(Path(tmp))
        stages(None, args)
        stages(compiled, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
