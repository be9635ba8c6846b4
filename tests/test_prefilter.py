"""The prefilter never turns away a note the pipeline would find a hazard in."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casenotes import MentionFinder
from casenotes.evaluation import read_labelled
from casenotes.lexicon import Lexicon, TokenPattern, default_lexicon
from casenotes.nlp.prefilter import (
    Prefilter,
    UnanchoredPatternError,
    pattern_anchors,
    pattern_options,
    phrase_anchors,
)
from casenotes.nlp.text import normalise

LEXICON = default_lexicon()
TERMS = sorted({p for t in LEXICON.hazards
                for p in (*t.phrases, *t.misspellings, *t.abbreviations, *t.lookalikes)}
               | {p for item in LEXICON.equipment for p in item.phrases})
PATTERN_WORDS = sorted({
    word
    for t in LEXICON.hazards for p in t.patterns for spec in p.tokens for value in spec.values()
    for word in ([value] if isinstance(value, str) else
                 value.get("IN", []) if isinstance(value, dict) else [])
    if isinstance(word, str)
})
#: Tokenizer special cases that cut a word between letters, and ordinary words around anchors.
TRICKY = ["cannot", "dunno", "gonna", "e-bikes", "x-ray", "could", "council", "income",
          "pirates", "separate", "escort", "co-op", "Co.", "& Co", "c/o", "co2", "2co", "x",
          "s", "'s", "n't"]
GAPS = [" ", "  ", "\t", "\x00", "\u00a0", "\u200b", "", "-", ".", "/", "\n", ",", "(", ")",
        ";", "'", ":", "!", "?", ". ", ") ", '"']


def tokenize_with(finder: MentionFinder):  # type: ignore[no-untyped-def]
    return lambda text: [t.text for t in finder.nlp.make_doc(text)]


@st.composite
def risky_text(draw: st.DrawFn) -> str:
    """Lexicon terms and look-alikes, equipment phrases, pattern words and tricky words glued
    by every kind of gap, any case."""
    parts = draw(st.lists(st.one_of(st.sampled_from(TERMS), st.sampled_from(PATTERN_WORDS),
                                    st.sampled_from(TRICKY), st.text(max_size=6)),
                          min_size=1, max_size=8))
    text = ""
    for part in parts:
        text += draw(st.sampled_from(GAPS)) + part
    casing = draw(st.sampled_from([str, str.lower, str.upper, str.title]))
    return casing(text)


def test_pair_anchors_are_preferred_to_common_single_words(finder: MentionFinder) -> None:
    assert phrase_anchors("come down", tokenize_with(finder)) == {"comedown", "come down"}
    assert phrase_anchors("asbestos", tokenize_with(finder)) == {"asbestos"}


@pytest.mark.parametrize("everyday", ["water", "heating", "heater in", "heaters in", "boiler",
                                      "light", "unit", "now", "still", "again"])
def test_no_bundled_anchor_is_an_everyday_word_of_case_notes(everyday: str) -> None:
    """Every note holding an anchor pays for its entries' checks: session 22's pattern
    "water (is) once again coming ..." made "water" an anchor ("hot water" is in a third of
    realistic notes) and cost the fast tier 18% (benchmarks/versus.py 3909cdd 98e9e68)."""
    from casenotes.nlp.reader import NoteReader

    assert everyday not in NoteReader().prefilter.anchors


def test_a_pattern_without_a_literal_token_cannot_be_anchored(finder: MentionFinder) -> None:
    pattern = TokenPattern(json.dumps([{"TEXT": {"REGEX": "^x+$"}}]))
    with pytest.raises(UnanchoredPatternError, match="add such a token"):
        pattern_anchors(pattern, tokenize_with(finder))


def test_an_unanchored_pattern_lets_every_note_through(finder: MentionFinder) -> None:
    data = {"casenotes_lexicon": 1, "hazards": [{
        "id": "xs", "category": "fire", "hhsrs_hazard": "Fire",
        "patterns": [{"pattern": [{"TEXT": {"REGEX": "^x+$"}}]}],
    }]}
    prefilter = Prefilter.from_lexicon(Lexicon.from_dict(data), tokenize_with(finder))
    assert prefilter.always
    assert prefilter.could_match("nothing to see")


@pytest.mark.parametrize("text", [
    "T/C smell of gas in kitchen", "CO alarm sounding", "ceiling has come  down",
    "ceiling has come\tdown", "as\u200bbestos in loft", "BLACK MOULD", "no ch/hw since fri",
])
def test_notes_with_a_hazard_pass(finder: MentionFinder, text: str) -> None:
    assert finder.find(text)
    assert finder.prefilter.could_match(text)


def test_a_literal_the_tokenizer_cuts_in_two_is_no_token(finder: MentionFinder) -> None:
    """"isn't" is always read as "is" + "n't", so no token is "isn't": the pattern's token is
    known by its other literals, and a token known only by such literals matches nothing."""
    tokenize = tokenize_with(finder)
    cut = TokenPattern(json.dumps([{"LOWER": "boiler"}, {"LOWER": {"IN": ["isn't", "not"]}}]))
    assert pattern_options(cut, tokenize) == [["boiler"], ["not"]]
    never = TokenPattern(json.dumps([{"LOWER": "boiler"}, {"LOWER": "isn't"}]))
    assert pattern_options(never, tokenize) is None
    assert pattern_anchors(never, tokenize) == set()


@pytest.mark.parametrize(("text", "passes"), [
    ("heating not working since monday", True),
    ("Heating and hot water working, job closed", False),
    ("storage heater not working in the hall", True),
    ("Storage heater in the hall not charging, electrician booked", False),
    ("Boiler serviced. Heating working. Tenant not home for the follow-up", False),
])
def test_an_anchor_counts_only_with_the_rest_of_its_entry(finder: MentionFinder, text: str,
                                                          passes: bool) -> None:
    """An anchor from a phrase or pattern of several tokens lets a note through only when
    the note also holds the entry's other known tokens (adjacent ones side by side)."""
    assert bool(finder.find(text)) == passes
    assert finder.prefilter.could_match(text) == passes


@pytest.mark.parametrize(("text", "passes"), [
    ("Fire door closer on the communal landing adjusted", False),
    ("Pest control contract renewed for the estate bin store.", False),
    ("Fire door closer adjusted. Small fire in the bin store last night", True),
    ("the fire door)x", True),  # ")x" is not cut off: "door)x" is one token
    ("a bug going round \" fall into)cannot", True),
])
def test_a_one_word_term_inside_a_look_alike_does_not_count(finder: MentionFinder, text: str,
                                                             passes: bool) -> None:
    """The matcher drops a hit inside a look-alike or an equipment phrase ("fire" in "fire
    door"); the prefilter drops such an anchor too, where the look-alike is sure to be read
    as its own tokens."""
    assert bool(finder.find(text)) == passes
    assert finder.prefilter.could_match(text) == passes


@pytest.mark.parametrize("text", [
    "Could you call the council about the rent", "Rent account cleared, thanks",
    "Tenancy audit done, ID seen", "",
])
def test_everyday_notes_are_turned_away(finder: MentionFinder, text: str) -> None:
    assert not finder.find(text)
    assert not finder.prefilter.could_match(text)


def test_every_sample_note_with_a_mention_passes(finder: MentionFinder, samples: Path) -> None:
    notes = [n for split in ("train", "dev", "test") for n in read_labelled(samples /
                                                                           f"{split}.jsonl")]
    variants = [(n.note_id + suffix, change(n.text)) for n in notes
                for suffix, change in (("", str), (":lower", str.lower), (":upper", str.upper))]
    missed = [note_id for (note_id, text), found in zip(
        variants, finder.analyse_many(variants), strict=True)
        if found.mentions and not finder.prefilter.could_match(text)]
    assert missed == []


@given(text=risky_text())
def test_a_note_the_pipeline_finds_a_hazard_in_always_passes(finder: MentionFinder,
                                                              text: str) -> None:
    if finder.find(text):
        assert finder.prefilter.could_match(text)


@given(text=st.text(max_size=200))
def test_the_prefilter_reads_any_string_as_its_normalised_form(finder: MentionFinder,
                                                               text: str) -> None:
    answer = finder.prefilter.could_match(text)
    assert isinstance(answer, bool)
    assert answer == finder.prefilter.could_match(normalise(text)[0])


@given(text=st.one_of(risky_text(), st.text(max_size=200)))
def test_skipping_the_rewrites_for_a_note_that_needs_none_changes_no_answer(
        finder: MentionFinder, text: str) -> None:
    """The compiled core's scan lets a note without unusual spacing skip the rewrites; the
    answer is the one the rewrites would give."""
    from casenotes.nlp import prefilter

    answer = finder.prefilter.could_match(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(prefilter, "_needs_normalising", None)
        assert finder.prefilter.could_match(text) == answer


def test_the_stored_prefilter_is_what_building_gives() -> None:
    """``casenotes/nlp/prefilter.json`` is current (else: ``python
    scripts/stored_data.py``), and the bundled reader reads it rather than building."""
    from importlib import resources

    from casenotes.nlp.reader import PREFILTER_FILE, NoteReader, prefilter_key

    reader = NoteReader()
    key = prefilter_key(reader.lexicon, reader.tokenizer)
    stored = resources.files("casenotes.nlp").joinpath(PREFILTER_FILE).read_text("utf-8")
    assert reader.built_prefilter().to_json(key) == stored
    assert reader.prefilter.to_json(key) == stored


@functools.cache
def built_and_read_back() -> tuple[Prefilter, Prefilter | None]:
    from casenotes.nlp.reader import reader_for

    built = reader_for().built_prefilter()
    return built, Prefilter.from_json(built.to_json("key"), "key")


@given(text=st.one_of(risky_text(), st.text(max_size=200)))
def test_a_prefilter_read_back_from_its_data_answers_as_built(text: str) -> None:
    built, read = built_and_read_back()
    assert read is not None
    assert read.could_match(text) == built.could_match(text)


def test_a_reader_of_another_lexicon_builds_its_own_prefilter() -> None:
    """The stored data is the bundled lexicon's: a lexicon with one more term, or the same
    data under another key, is not served from it."""
    from casenotes.nlp.reader import NoteReader

    data = default_lexicon().to_dict()
    data["hazards"][0] = {**data["hazards"][0],
                          "phrases": [*data["hazards"][0]["phrases"], "kerfuffle"]}
    own = NoteReader(Lexicon.from_dict(data)).prefilter
    assert own.could_match("a kerfuffle in the hall")
    assert not NoteReader().prefilter.could_match("a kerfuffle in the hall")
    assert Prefilter.from_json(own.to_json("one"), "another") is None
