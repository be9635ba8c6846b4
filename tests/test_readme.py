"""The README's Python examples run, and print what the README says they print."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("code", BLOCKS)
def test_readme_example_runs_and_prints_what_it_claims(code: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_terms.json").write_text(json.dumps({"hazards": [
        {"id": "radon", "category": "structural", "hhsrs_hazard": "Radiation",
         "phrases": ["radon"]}]}), encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile("import casenotes\n" + code, str(README), "exec"), {})
    claimed = [line.split("# ", 1)[1] for line in code.splitlines() if line.startswith("# ")]
    claimed += re.findall(r"print\(.*\)[ \t]+# (.*)", code)
    printed = [line for line in out.getvalue().splitlines() if line.strip()]
    assert printed == claimed
