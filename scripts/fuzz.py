"""Fuzz casenotes' entry points with hypothesis and a large example budget.

    python scripts/fuzz.py                      # 100,000 inputs per target
    python scripts/fuzz.py --examples 2000      # a quick look

Targets: ``find_mentions``, ``score_text``, the personal-data masker, and the CSV and Parquet
readers behind ``casenotes score``. Inputs mix every Unicode category with adversarial pieces:
lexicon terms with zero-width joiners and right-to-left marks inside, homoglyphs, a term
repeated many times, deeply nested quotes, invalid UTF-8 bytes (for the readers), NULs. Each
target must never raise anything but a casenotes error, keep every offset slicing its term,
and finish every input within ``--slow`` seconds (catastrophic slowness fails the run). Prints
inputs tried, failures and the slowest input per target. Every text target also gets the
``EXTREMES``: a term repeated 100,000 times, a 1 MB note, zero-width and right-to-left marks
inside terms, 10,000 nested quotes.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from itertools import pairwise
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import casenotes
from casenotes.errors import CasenotesError
from casenotes.lexicon import default_lexicon
from casenotes.privacy import find_personal_data, mask_personal_data

TERMS = sorted({p for t in default_lexicon().hazards for p in (*t.phrases, *t.abbreviations)})
ODD = ["\u200b", "\u200d", "\u200e", "\u200f", "\u202e", "\u2066", "\ufeff", "\u00ad", "\x00",
       "\r\n", "\u2028", "\ud800", "а", "о", "ѕ", "ε", "\u0301", "🙂", '"', '""', "'", "\\",
       "\t", "  ", "\n\n", "=cmd|' /C calc'!A0", "<script>", "Mr ", "07700 900123", "SW1A 1AA"]


@st.composite
def adversarial_text(draw: st.DrawFn) -> str:
    """Lexicon terms broken by odd characters, homoglyphs, repeats and any Unicode."""
    pieces = draw(st.lists(st.one_of(
        st.sampled_from(TERMS),
        st.sampled_from(TERMS).map(lambda t: draw(st.sampled_from(ODD)).join(t)),
        st.sampled_from(ODD),
        st.text(max_size=30),
        st.tuples(st.sampled_from(TERMS), st.integers(1, 400)).map(lambda p: " ".join(
            [p[0]] * p[1])),
        st.integers(1, 50).map(lambda n: '"' * n + "quoted" + '"' * n),
    ), max_size=20))
    return "".join(pieces)


def target_find_mentions(text: str) -> None:
    try:
        for mention in casenotes.find_mentions(text):
            assert text[mention.start:mention.end] == mention.term
    except CasenotesError:
        pass


def target_score_text(text: str) -> None:
    try:
        for scored in casenotes.score_text(text):
            assert 0.0 <= scored.risk_probability <= 1.0
            assert text[scored.mention.start:scored.mention.end] == scored.mention.term
    except CasenotesError:
        pass


def target_masker(text: str) -> None:
    spans = find_personal_data(text)
    for before, after in pairwise(spans):
        assert before.end <= after.start
    mask_personal_data(text, spans)


def _read_all(path: Path) -> int:
    from casenotes.io.tables import TableReader

    try:
        reader = TableReader(path)
    except CasenotesError:
        return 0
    return sum(len(chunk.texts) for chunk in reader.chunks())


def target_csv(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_bytes(b"id,text\n" + data)
        with suppress(CasenotesError):
            _read_all(path)


def target_parquet(text: str) -> None:
    import pandas as pd

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.parquet"
        pd.DataFrame({"id": [1, 2], "text": [text, text[::-1]]}).to_parquet(path)
        assert _read_all(path) == 2


#: Inputs every text target also gets, whatever hypothesis draws.
EXTREMES = [
    "gas leak " * 100_000,                                             # a term 100,000 times
    ("Tenant called about the rent and the fence. " * 23_000)[:1_000_000] + " black mould",
    "as\u200bbestos " * 1_000 + "\u202e" + "mould " * 1_000,
    '"' * 10_000 + "smell of gas" + '"' * 10_000,
]


def run(name: str, target: Callable[..., None], strategy: st.SearchStrategy,  # type: ignore[type-arg]
        examples: int, slow: float, extremes: list[object]) -> tuple[int, float]:
    tried, slowest = 0, 0.0

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(value: object) -> None:
        nonlocal tried, slowest
        started = time.perf_counter()
        target(value)
        took = time.perf_counter() - started
        tried += 1
        slowest = max(slowest, took)
        assert took < slow, f"{name}: one input took {took:.1f} s"

    for extreme in extremes:
        check = example(extreme)(check)
    check()
    return tried, slowest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--slow", type=float, default=10.0,
                        help="seconds one input may take before it counts as a failure")
    parser.add_argument("--only", help="run one target")
    args = parser.parse_args()
    text = st.one_of(adversarial_text(), st.text(max_size=2000))
    raw = st.one_of(st.binary(max_size=2000), adversarial_text().map(
        lambda t: t.encode("utf-8", "surrogatepass")))
    targets = {
        "find_mentions": (target_find_mentions, text),
        "score_text": (target_score_text, text),
        "masker": (target_masker, text),
        "csv_reader": (target_csv, raw),
        "parquet_reader": (target_parquet, text.map(lambda t: t.encode(
            "utf-8", "replace").decode("utf-8"))),
    }
    failures = 0
    out = io.StringIO()
    for name, (target, strategy) in targets.items():
        if args.only and name != args.only:
            continue
        started = time.perf_counter()
        try:
            extremes: list[object] = (
                [] if name == "csv_reader" else list(EXTREMES))
            tried, slowest = run(name, target, strategy, args.examples, args.slow, extremes)
            line = (f"{name:<16} {tried:>9,} inputs, 0 failures, slowest {slowest:.3f} s, "
                    f"{time.perf_counter() - started:,.0f} s in all")
        except Exception as exc:  # a falsifying example: report and go on
            failures += 1
            line = f"{name:<16} FAILED: {type(exc).__name__}: {str(exc)[:300]}"
        print(line, flush=True)
        out.write(line + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
