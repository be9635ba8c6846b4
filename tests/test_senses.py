"""Context senses: an ambiguous hazard word takes the category its nearest evidence speaks for."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casenotes import LexiconError, find_mentions, load_lexicon
from casenotes.lexicon import ContextSense, Lexicon, default_lexicon
from casenotes.nlp.pipeline import build_nlp
from casenotes.nlp.reader import NoteReader


def categories(text: str) -> list[tuple[str, str]]:
    return [(m.term.lower(), m.category) for m in find_mentions(text)]


@pytest.mark.parametrize(("text", "term", "category"), [
    ("Socket sparking behind the fridge, burning smell.", "burning smell", "electrical"),
    ("Scorch marks round the lounge double socket.", "scorch marks", "electrical"),
    ("Burning smell from the consumer unit, lights flickering.", "burning smell", "electrical"),
    ("Kitchen fire last night, burning smell through the flat.", "burning smell", "fire"),
    ("Smoke alarm sounding and a burning smell on the landing.", "burning smell", "fire"),
    ("Spillage test on the fire fails.", "fire", "gas"),
    ("LGSR today. The fire in the lounge is not to be used.", "fire", "gas"),
    ("Gas cooker and fire both capped by the engineer.", "fire", "gas"),
    ("Neighbour reports a fire in the bin store.", "fire", "fire"),
    ("Isolated at ECV. Leak found under kitchen floor.", "leak", "gas"),
    ("Smell of gas by the meter, leak on the cooker hose.", "leak", "gas"),
    ("Leak from the bath above coming through the ceiling.", "leak", "water"),
    ("AIB panel in the cupboard cracked during works.", "cracked", "asbestos"),
    ("Large crack in the gable wall, wider than last year.", "large crack", "structural"),
    ("Render cracked above the lintel.", "cracked", "structural"),
])
def test_an_ambiguous_word_takes_the_category_of_its_context(text: str, term: str,
                                                             category: str) -> None:
    assert (term, category) in categories(text)


def test_a_word_without_evidence_keeps_its_entry_s_category() -> None:
    assert categories("Burning smell in the hall.") == [("burning smell", "fire")]
    assert categories("Leak under the sink.") == [("leak", "water")]


def test_evidence_in_the_sentence_beats_evidence_before_it() -> None:
    # The socket of the first sentence is nearer, but the smoke alarm shares the sentence.
    text = "Socket replaced last week. Smoke alarm sounding and a burning smell now."
    assert ("burning smell", "fire") in categories(text)


def test_evidence_before_the_sentence_counts_only_within_its_reach() -> None:
    near = "Socket sparking. Burning smell."
    far = ("Socket sparking. " + "Tenant spoke about other matters at length. " * 3
           + "Burning smell.")
    assert ("burning smell", "electrical") in categories(near)
    assert ("burning smell", "fire") in categories(far)


def test_a_sense_changes_the_hhsrs_hazard_with_the_category() -> None:
    mention = next(m for m in find_mentions("Socket sparking, burning smell.")
                   if m.term == "burning smell")
    assert mention.hhsrs_hazard == "Electrical hazards"


def test_the_spacy_view_labels_spans_with_the_category_read_in_context() -> None:
    doc = build_nlp()("Socket sparking behind the fridge, burning smell.")
    labels = {span.text: span.label_ for span in doc.spans["casenotes_hazards"]}
    assert labels["burning smell"] == "electrical"


words = st.sampled_from([
    "socket", "burning", "smell", "fire", "gas", "leak", "ECV", "cracked", "AIB", "wall",
    "meter", "smoke", "alarm", "the", "and", "flue", "scorched", ".", ",", "kitchen", "bath",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(words, min_size=1, max_size=30))
def test_senses_change_only_categories_never_which_words_are_mentions(
        tokens: list[str]) -> None:
    text = " ".join(tokens)
    lexicon = default_lexicon()
    with_senses = NoteReader(lexicon).analyse(text).mentions
    without = NoteReader(replace(lexicon, senses=())).analyse(text).mentions
    assert [(m.start, m.end, m.term_id) for m in with_senses] == [
        (m.start, m.end, m.term_id) for m in without]
    for read, plain in zip(with_senses, without, strict=True):
        senses = [s for s in lexicon.senses if read.term.lower() in s.terms]
        assert read.category == plain.category or read.category in {
            s.category for s in senses}


def test_the_bundled_senses_are_valid_and_name_words_the_lexicon_finds(
        lexicon: Lexicon) -> None:
    assert {s.id for s in lexicon.senses} >= {
        "electrical_burning", "gas_appliance_fire", "gas_leak", "asbestos_damage"}
    phrases = {p.lower() for t in lexicon.hazards for p in t.phrases + t.misspellings}
    for sense in lexicon.senses:
        assert set(sense.terms) <= phrases, sense.id


def write(tmp_path: Path, senses: list[dict[str, object]]) -> Path:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"senses": senses}), encoding="utf-8")
    return path


GOOD = {"id": "rot_structural", "terms": ["rotten"], "category": "structural",
        "hhsrs_hazard": "Structural collapse and falling elements", "evidence": ["structural"]}


def test_a_user_file_adds_a_sense_and_changes_the_lexicon_hash(tmp_path: Path) -> None:
    merged = load_lexicon(write(tmp_path, [GOOD]))
    assert merged.senses[-1] == ContextSense(
        id="rot_structural", terms=("rotten",), category="structural",
        hhsrs_hazard="Structural collapse and falling elements", evidence=("structural",))
    assert merged.hash != default_lexicon().hash
    assert Lexicon.from_dict(merged.to_dict()).senses == merged.senses


def test_a_lexicon_without_senses_keeps_the_hash_it_had_before_senses_existed() -> None:
    plain = replace(default_lexicon(), senses=())
    assert "senses" not in plain.to_dict()


@pytest.mark.parametrize(("change", "message"), [
    ({"terms": ["Rotten"]}, "lower case, one space"),
    ({"terms": ["rotten  wood"]}, "lower case, one space"),
    ({"terms": []}, "lower case, one space"),
    ({"evidence": ["structure"]}, "evidence must list some of"),
    ({"evidence": []}, "evidence must list some of"),
    ({"evidence_kinds": ["gadget"]}, "evidence_kinds must list some of"),
    ({"reach": -1}, "'reach' must be a whole number"),
    ({"reach": True}, "'reach' must be a whole number"),
    ({"category": "rot"}, "category 'rot' is not one of"),
    ({"colour": "red"}, "unknown key 'colour'"),
])
def test_a_bad_sense_is_refused_with_a_message_naming_the_entry_and_key(
        tmp_path: Path, change: dict[str, object], message: str) -> None:
    with pytest.raises(LexiconError, match="rot_structural") as error:
        load_lexicon(write(tmp_path, [{**GOOD, **change}]))
    assert message in str(error.value)
