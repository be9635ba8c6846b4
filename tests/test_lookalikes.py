"""Word-sense look-alikes raise no mention: the held-out file of issue 7/10.

``tests/data/lookalikes.jsonl`` (450 sentences) was written by a writer who saw neither the
lexicon nor ``data/samples/lookalikes/dev-*.jsonl`` (760 sentences by two other writers, on
which the look-alike lists were developed): equipment, trades, procedures, idioms,
abbreviations, slang, names, products and other senses of hazard words, in case-note voices.
It is read only to measure; never develop the lexicon on it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from casenotes import MentionFinder

HELD_OUT = Path(__file__).parent / "data" / "lookalikes.jsonl"
PATTERNS = {"equipment", "trade", "procedure", "idiom", "abbreviation", "slang", "name",
            "product", "other_sense"}


def _rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def test_the_held_out_file_has_400_or_more_sentences_of_every_pattern() -> None:
    rows = _rows(HELD_OUT)
    assert len(rows) >= 400
    assert {row["pattern"] for row in rows} == PATTERNS
    assert all(row["trap"] in row["text"] for row in rows)


#: Share of held-out sentences raising no mention: 402 of 450 at the first reading of the file;
#: 407 after the look-alikes developed on two more writers' files (dev-c, dev-d) and acronyms
#: spelled out in brackets ("DAMP (Debt Advice ...)"); 408 after the wider fault patterns and
#: look-alikes developed on the train split (session 5). Issue 7/10 asks for 0.99: open-ended
#: idioms, slang and names need a reader of word sense, not longer lists. This floor keeps the
#: lexicon from getting worse meanwhile.
MEASURED_CLEAN_SHARE = 0.906


def test_lookalike_sentences_raise_no_mention_at_the_measured_rate(
        finder: MentionFinder) -> None:
    rows = _rows(HELD_OUT)
    raised = [(row["id"], row["trap"], [m.term for m in found.mentions])
              for row, found in zip(rows, finder.analyse_many(
                  (row["id"], row["text"]) for row in rows), strict=True)
              if found.mentions]
    assert 1 - len(raised) / len(rows) >= MEASURED_CLEAN_SHARE, raised


@pytest.mark.parametrize("text", [
    "electrician booked for the extractor fan, gas engineer running late",
    "LGSR done, CP12 left with tenant. EICR due in March.",
    "radiator valve replaced in back bedroom, TRV sticking in lounge",
    "Her benefit claim fell through the cracks after the office move",
    "File passed to the CO for sign-off",
])
def test_equipment_trades_procedures_and_idioms_are_context(finder: MentionFinder,
                                                             text: str) -> None:
    found = finder.analyse(text)
    assert found.mentions == ()


def test_equipment_is_reported_as_context_with_its_kind(finder: MentionFinder) -> None:
    found = finder.analyse("electrician booked, LGSR done, boiler serviced")
    assert [(e.term, e.kind, e.category) for e in found.equipment] == [
        ("electrician", "trade", "electrical"), ("LGSR", "procedure", "gas"),
        ("boiler", "equipment", "cold")]


@pytest.mark.parametrize(("text", "term", "category"), [
    ("boiler broken down again", "boiler broken down", "cold"),
    ("socket sparking behind the fridge", "socket sparking", "electrical"),
    ("cooker leaking gas in the kitchen", "cooker leaking", "gas"),
    ("fire door propped open on the landing", "fire door propped", "fire"),
    ("tenant drilled artex in lounge, artex drilled and dusty", "artex drilled", "asbestos"),
])
def test_a_fault_phrase_makes_equipment_a_mention(finder: MentionFinder, text: str, term: str,
                                                  category: str) -> None:
    assert (term, category) in [(m.term, m.category) for m in finder.find(text)]


def test_the_later_development_files_raise_no_more_than_measured(
        finder: MentionFinder) -> None:
    """dev-c and dev-d (520 sentences by two more writers, idioms, slang, other senses, names
    and abbreviations only) were written to be hard; the look-alike lists took them from 0.785
    and 0.731 clean to 0.892 and 0.888. What is left is single slang words ("the trainers are
    fire", "that's cold") and names ("Ms Jo Flood")."""
    folder = Path(__file__).parents[1] / "data" / "samples" / "lookalikes"
    for name, floor in (("dev-c.jsonl", 0.89), ("dev-d.jsonl", 0.888)):
        rows = _rows(folder / name)
        assert len(rows) == 260 and all(row["trap"] in row["text"] for row in rows)
        raised = [row["id"] for row in rows if finder.find(row["text"])]
        assert 1 - len(raised) / len(rows) >= floor, (name, raised)


def test_an_acronym_spelled_out_in_brackets_is_not_a_hazard(finder: MentionFinder) -> None:
    assert not finder.find("Referred to DAMP (Debt Advice and Money Planning) at the hub.")
    assert not finder.find("Allocated CO (contact officer) is on the letter.")
    assert [m.term for m in finder.find("CO (carbon monoxide) alarm sounding")] == [
        "CO", "carbon monoxide"]
    assert [m.term for m in finder.find("DAMP in the bedroom (see photos)")] == ["DAMP"]


def test_the_development_files_cover_every_pattern_and_raise_almost_nothing(
        finder: MentionFinder) -> None:
    folder = Path(__file__).parents[1] / "data" / "samples" / "lookalikes"
    rows = [row for name in ("dev-a.jsonl", "dev-b.jsonl") for row in _rows(folder / name)]
    assert set(Counter(row["pattern"] for row in rows)) == PATTERNS
    raised = [row["id"] for row in rows if finder.find(row["text"])]
    assert len(raised) <= 0.02 * len(rows), raised
