"""The README's Python examples run, in order, and print what the README says they print."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def claimed_output(code: str) -> list[str]:
    """Lines the block says it prints: '# ...' lines, and '# ...' after a print(...) call."""
    claimed = [line.split("# ", 1)[1] for line in code.splitlines() if line.startswith("# ")]
    return claimed + re.findall(r"print\(.*\)[ \t]+# (.*)", code)


def test_readme_examples_run_in_order_and_print_what_they_claim(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(BLOCKS) >= 3
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_terms.json").write_text(json.dumps({"hazards": [
        {"id": "radon", "category": "structural", "hhsrs_hazard": "Radiation",
         "phrases": ["radon"]}]}), encoding="utf-8")
    namespace: dict[str, object] = {}
    exec("import casenotes", namespace)
    for number, code in enumerate(BLOCKS):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{README}:block{number}", "exec"), namespace)
        printed = [line for line in out.getvalue().splitlines() if line.strip()]
        assert printed == claimed_output(code), f"README python block {number}"
