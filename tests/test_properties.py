"""Properties that hold for any input (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from casenotes import MentionFinder
from casenotes.lexicon import default_lexicon

LEXICON = default_lexicon()
PHRASES = sorted({p for t in LEXICON.hazards for p in t.phrases + t.misspellings})
ABBREVIATIONS = sorted({a for t in LEXICON.hazards for a in t.abbreviations})
LOOKALIKES = sorted({p for t in LEXICON.hazards for p in t.lookalikes})
CASED_LOOKALIKES = sorted({p for t in LEXICON.hazards for p in t.lookalikes_cased})
#: Words that belong to no phrase, look-alike or cue, so they cannot join with an inserted term.
FILLER = ["quokka", "zephyr", "lantern", "violin", "meadow", "pencil", "orbit", "teacup",
          "saffron", "walnut", "harbour", "ribbon"]


def test_filler_words_belong_to_no_lexicon_entry() -> None:
    tokens = {w.lower() for text in PHRASES + LOOKALIKES + CASED_LOOKALIKES + ABBREVIATIONS
              for w in text.split()}
    tokens |= {w.lower() for rule in LEXICON.cues for p in rule.phrases for w in p.split()}
    assert not tokens & set(FILLER)


filler_text = st.lists(st.sampled_from(FILLER), max_size=6).map(" ".join)
any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=400)
noteish_text = st.lists(
    st.one_of(st.sampled_from(PHRASES), st.sampled_from(LOOKALIKES), st.sampled_from(FILLER),
              st.sampled_from([".", ",", ";", " - ", "\n", "no", "not found", "but", "02/12/24"]),
              any_text.map(lambda s: s[:12])),
    max_size=25,
).map(" ".join)


def random_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if flip else c.lower() for c, flip in zip(text, flips, strict=True))


@given(text=st.one_of(any_text, noteish_text))
def test_offsets_always_slice_the_term(finder: MentionFinder, text: str) -> None:
    findings = finder.analyse(text)
    for mention in findings.mentions:
        assert text[mention.start:mention.end] == mention.term
        assert mention.sentence_start <= mention.start < mention.end <= mention.sentence_end
        for cue in mention.cues:
            assert text[cue.start:cue.end] == cue.text
    for cue in findings.vulnerabilities:
        assert text[cue.start:cue.end] == cue.term


@given(text=st.text(max_size=300))
def test_never_raises_on_any_unicode_string(finder: MentionFinder, text: str) -> None:
    finder.analyse(text)


@pytest.mark.parametrize("text", [
    "", " ", "\n\n\n", "\x00\x01\x02 smell of gas \x7f", "🔥🔥 fire 🔥 CO alarm 💨",
    "\u202eسقف مبلل\u202c mould \u05e2\u05d1\u05e8\u05d9\u05ea", "\ud800 lone surrogate damp",
    "as\u200bbestos in the loft", "a" * 10 + "\u0301" * 50,
])
def test_never_raises_on_awkward_strings(finder: MentionFinder, text: str) -> None:
    for mention in finder.find(text):
        assert text[mention.start:mention.end] == mention.term


def test_a_one_megabyte_note_is_scored(finder: MentionFinder) -> None:
    text = ("tenant reports black mould in bedroom, no gas smell. " * 20_000)[:1_048_576]
    mentions = finder.find(text)
    assert len(mentions) > 30_000
    assert all(text[m.start:m.end] == m.term for m in mentions[:100])


@given(texts=st.lists(st.one_of(noteish_text, any_text), max_size=12),
       batch_size=st.integers(min_value=1, max_value=5))
def test_batch_equals_one_by_one(finder: MentionFinder, texts: list[str],
                                 batch_size: int) -> None:
    notes = [(str(i), t) for i, t in enumerate(texts)]
    original = finder.batch_size
    finder.batch_size = batch_size
    try:
        batch = list(finder.analyse_many(notes))
    finally:
        finder.batch_size = original
    assert batch == [finder.analyse(text, note_id) for note_id, text in notes]


@st.composite
def inserted_phrase(draw: st.DrawFn) -> tuple[str, int, int]:
    if draw(st.booleans()):
        phrase = random_case(draw, draw(st.sampled_from(PHRASES)))
    else:
        phrase = draw(st.sampled_from(ABBREVIATIONS))
    left, right = draw(filler_text), draw(filler_text)
    separator_left = draw(st.sampled_from([" ", "\n", ", ", ". "])) if left else ""
    separator_right = draw(st.sampled_from([" ", "\n", ", ", ". "])) if right else ""
    text = f"{left}{separator_left}{phrase}{separator_right}{right}"
    start = len(left) + len(separator_left)
    return text, start, start + len(phrase)


@given(case=inserted_phrase())
def test_a_lexicon_phrase_is_found_in_any_casing(finder: MentionFinder,
                                                 case: tuple[str, int, int]) -> None:
    text, start, end = case
    assume(text[start:end].strip(".,") == text[start:end])
    mentions = finder.find(text)
    assert any(m.start < end and start < m.end for m in mentions), text[start:end]


@st.composite
def lookalike_alone(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return random_case(draw, draw(st.sampled_from(LOOKALIKES)))
    return draw(st.sampled_from(CASED_LOOKALIKES))


@given(text=lookalike_alone())
def test_a_lookalike_alone_is_never_found(finder: MentionFinder, text: str) -> None:
    assert finder.find(text) == []


@pytest.mark.parametrize("text", LOOKALIKES + CASED_LOOKALIKES)
def test_every_lookalike_alone_is_never_found(finder: MentionFinder, text: str) -> None:
    assert finder.find(text) == []


_CELL_ITEMS = st.lists(st.text(min_size=1).filter(lambda t: "; " not in t), max_size=6)


@given(_CELL_ITEMS)
def test_a_list_cell_reads_back_the_items_written(items: list[str]) -> None:
    """Every list cell of the scored tables (reasons, evidence, refs...) is written by one
    function and read by one, so the CLI, report and cases agree on it."""
    from casenotes.io.schema import join_list, split_list

    assert split_list(join_list(items)) == tuple(items)


@pytest.mark.parametrize("missing", [None, float("nan"), "", "pandas-na"])
def test_a_missing_list_cell_holds_no_items(missing: object) -> None:
    import pandas as pd

    from casenotes.io.schema import split_list

    assert split_list(pd.NA if missing == "pandas-na" else missing) == ()
