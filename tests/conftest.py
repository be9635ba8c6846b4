"""Shared fixtures: one pipeline per session, built on spacy.blank("en") (no model download)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

from casenotes import MentionFinder
from casenotes.lexicon import Lexicon, default_lexicon

# Short budget for every CI run; HYPOTHESIS_PROFILE=fuzz for long runs from scripts.
settings.register_profile("ci", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz", max_examples=5_000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    return default_lexicon()


@pytest.fixture(scope="session")
def finder(lexicon: Lexicon) -> MentionFinder:
    return MentionFinder(lexicon)


@pytest.fixture(scope="session")
def python_prints(tmp_path_factory: pytest.TempPathFactory,
                  ) -> Callable[..., str]:
    """What a fresh Python process running ``code`` prints (stdout, stripped; ``environment``
    replaces the process's own): for what a process imports or starts, which the test process
    itself has long done. It runs outside the source tree, which would shadow the installed
    package (and its compiled core)."""
    import subprocess
    import sys

    outside = tmp_path_factory.mktemp("outside")

    def run(code: str, environment: dict[str, str] | None = None) -> str:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, cwd=outside, env=environment, timeout=120)
        return done.stdout.strip()
    return run


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def clock_report(tmp_path: Path) -> Callable[[dict[str, list[str]]], str]:
    """Write an export (columns id, targetId, createdAt, description) and return the HTML of
    ``casenotes report`` with the clock on, as of 2025-11-12 noon."""
    from typer.testing import CliRunner

    from casenotes.cli import app

    def run(columns: dict[str, list[str]]) -> str:
        export, report = tmp_path / "export.csv", tmp_path / "report.html"
        pd.DataFrame(columns).to_csv(export, index=False)
        result = CliRunner().invoke(app, ["report", str(export), "-o", str(report), "-j", "1",
                                          "--case-column", "targetId", "--date-column",
                                          "createdAt", "--as-of", "2025-11-12T12:00"])
        assert result.exit_code == 0, result.output
        return report.read_text(encoding="utf-8")

    return run
