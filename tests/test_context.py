"""Context cues: each kind, direction and scope, and the pure scope algorithm."""

from __future__ import annotations

import numpy
import pytest
import srsly
from hypothesis import given
from hypothesis import strategies as st
from spacy.tokens import Doc, DocBin

from casenotes import MentionFinder
from casenotes.lexicon import CueRule, TokenPattern
from casenotes.nlp.context import (
    CueHit,
    Reach,
    clause_bounds,
    clause_index,
    cues_reaching,
    decode_reach,
    encode_reach,
)
from casenotes.nlp.pipeline import CUES_EXTENSION, HAZARDS_KEY
from casenotes.types import CUE_KINDS, DIRECTIONS, Cue, context_from_cues


def context_of(finder: MentionFinder, text: str, term: str) -> str:
    (mention,) = [m for m in finder.find(text) if m.term == term]
    return mention.context


@pytest.mark.parametrize(("text", "term", "context"), [
    ("No ACMs found in survey", "ACMs", "negated"),
    ("nil mould", "mould", "negated"),
    ("tenant denies any smell of gas", "smell of gas", "negated"),
    ("damp not found on inspection", "damp", "negated"),
    ("mould none seen", "mould", "negated"),
    ("negative for asbestos", "asbestos", "negated"),
    ("asbestos ruled out by lab", "asbestos", "negated"),
    ("advised what to do if CO alarm sounds", "CO alarm", "hypothetical"),
    ("should you smell gas ring the emergency line", "smell gas", "hypothetical"),
    ("condensation leaflet left", "condensation", "hypothetical"),
    ("previously had mould in bathroom", "mould", "historical"),
    ("damp treated in 2019, no recurrence", "damp", "historical"),
    ("leak since repaired", "leak", "historical"),
    ("asbestos survey booked", "asbestos", "inspection"),
    ("smoke alarm tested OK", "smoke alarm", "inspection"),
    ("CO alarm fitted as standard", "CO alarm", "inspection"),
    ("asbestos register updated", "asbestos", "administrative"),
    ("neighbour has mice", "mice", "other_person"),
    ("leak in communal area", "leak", "other_person"),
    ("T/C reports smell of gas", "smell of gas", "present"),
    ("CO alarm sounding, headaches", "CO alarm", "present"),
    ("crumbling artex in hall", "crumbling artex", "present"),
])
def test_cue_kinds_set_the_context(finder: MentionFinder, text: str, term: str,
                                   context: str) -> None:
    assert context_of(finder, text, term) == context


def test_scope_stops_at_a_terminating_cue(finder: MentionFinder) -> None:
    text = "denies smell of gas but engineer found CO"
    assert context_of(finder, text, "smell of gas") == "negated"
    assert context_of(finder, text, "CO") == "present"


@pytest.mark.parametrize("joiner", ["; ", " - ", " however ", ". ", "\n"])
def test_scope_stops_at_clause_and_sentence_ends(finder: MentionFinder, joiner: str) -> None:
    text = f"no damp{joiner}mould in bedroom"
    assert context_of(finder, text, "damp") == "negated"
    assert context_of(finder, text, "mould") == "present"


def test_scope_stops_after_the_token_cap(finder: MentionFinder) -> None:
    near = "no sign of any real problems with the mould"
    far = "no sign of any real problems with the walls or floors or windows or the mould"
    assert context_of(finder, near, "mould") == "negated"
    assert context_of(finder, far, "mould") == "present"


def test_a_cue_inside_the_term_never_modifies_it(finder: MentionFinder) -> None:
    (mention,) = finder.find("no heating")
    assert mention.cues == ()
    assert mention.context == "present"


def test_pseudo_cues_block_shorter_negations(finder: MentionFinder) -> None:
    assert context_of(finder, "no access, smell of gas reported", "smell of gas") == "present"


def test_a_procedure_is_context_that_reaches_the_finding(finder: MentionFinder) -> None:
    (spillage,) = finder.find("LGSR: flue spillage found")
    assert spillage.term == "flue spillage"
    assert ("inspection", "LGSR") in [(c.kind, c.text) for c in spillage.cues]


def test_cues_record_direction_distance_and_offsets(finder: MentionFinder) -> None:
    text = "no visible mould"
    (mention,) = finder.find(text)
    (cue,) = [c for c in mention.cues if c.kind == "negated"]
    assert (cue.position, cue.distance, text[cue.start:cue.end]) == ("before", 0, "no visible")


RULE_F = CueRule(id="f", kind="negated", direction="forward", phrases=("no",), max_scope=2)
RULE_B = CueRule(id="b", kind="negated", direction="backward", phrases=("absent",), max_scope=2)
RULE_T = CueRule(id="t", kind="terminate", direction="none", phrases=("but",))


def test_clause_bounds_cut_at_sentences_and_terminators() -> None:
    assert clause_bounds(10, [0, 6], [CueHit(3, 4, RULE_T)]) == [(0, 3), (3, 6), (6, 10)]
    assert clause_index(4, [0, 3, 6]) == 1
    assert clause_index(0, [0, 3, 6]) == 0
    assert clause_index(9, [0, 3, 6]) == 2


def test_cues_reaching_honours_direction_and_scope() -> None:
    hits = [CueHit(0, 1, RULE_F), CueHit(8, 9, RULE_B)]
    assert [r.hit.rule.id for r in cues_reaching((2, 3), (0, 10), hits)] == ["f"]
    assert [r.hit.rule.id for r in cues_reaching((6, 7), (0, 10), hits)] == ["b"]
    assert cues_reaching((4, 5), (0, 10), hits) == []
    assert cues_reaching((2, 3), (1, 10), hits) == []


def cue(kind: str, distance: int) -> Cue:
    return Cue(kind=kind, cue_id=kind, text=kind, position="before",  # type: ignore[arg-type]
               distance=distance, start=0, end=1)


def test_context_from_cues_prefers_the_nearest_then_priority() -> None:
    assert context_from_cues(()) == "present"
    assert context_from_cues((cue("inspection", 3), cue("negated", 1))) == "negated"
    assert context_from_cues((cue("inspection", 1), cue("negated", 1))) == "negated"
    assert context_from_cues((cue("concern", 0), cue("negated", 2))) == "present"
    assert context_from_cues((cue("uncertain", 0),)) == "present"


# ------------------------------------------------------------------- Doc serialisation

SERIALISED_NOTES = [
    "No smell of gas found. Tenant reports mould in bedroom, but not damp.",
    "asbestos survey booked; previously had a leak",
    "CO alarm sounding, tenant unwell",
    "Rent paid, no repairs",
]


def cue_reaches(doc: Doc) -> list[tuple[str, tuple[Reach, ...]]]:
    return [(span.text, tuple(span._.get(CUES_EXTENSION) or ()))
            for span in doc.spans[HAZARDS_KEY]]


def test_a_doc_keeps_its_cue_reaches_through_to_bytes(finder: MentionFinder) -> None:
    for text in SERIALISED_NOTES:
        doc = finder.nlp(text)
        back = Doc(finder.nlp.vocab).from_bytes(doc.to_bytes())
        assert cue_reaches(back) == cue_reaches(doc)
    assert any(reaches for _, reaches in cue_reaches(finder.nlp(SERIALISED_NOTES[0])))


def test_a_docbin_keeps_cue_reaches(finder: MentionFinder) -> None:
    docs = list(finder.nlp.pipe(SERIALISED_NOTES))
    stored = DocBin(store_user_data=True, docs=docs).to_bytes()
    loaded = list(DocBin().from_bytes(stored).get_docs(finder.nlp.vocab))
    assert [cue_reaches(d) for d in loaded] == [cue_reaches(d) for d in docs]


def test_spacy_n_process_gives_the_findings_of_one_process(finder: MentionFinder) -> None:
    texts = SERIALISED_NOTES * 4
    one = [cue_reaches(d) for d in finder.nlp.pipe(texts)]
    many = [cue_reaches(d) for d in finder.nlp.pipe(texts, n_process=2, batch_size=4)]
    assert many == one


rules = st.builds(
    CueRule, id=st.text(min_size=1, max_size=10), kind=st.sampled_from(CUE_KINDS),
    direction=st.sampled_from(DIRECTIONS),
    phrases=st.lists(st.text(max_size=12), max_size=3).map(tuple),
    patterns=st.lists(st.builds(
        TokenPattern, pattern_json=st.just('[{"LOWER": "gas"}]'),
        keep=st.none() | st.tuples(st.integers(0, 3), st.integers(1, 4))),
        max_size=2).map(tuple),
    max_scope=st.integers(0, 50))
reaches = st.builds(Reach, hit=st.builds(CueHit, start=st.integers(0, 10**6),
                                         end=st.integers(0, 10**6), rule=rules),
                    position=st.sampled_from(["before", "after"]),
                    distance=st.integers(0, 10**6))


@given(reaches)
def test_a_reach_survives_msgpack_unchanged(reach: Reach) -> None:
    assert srsly.msgpack_loads(srsly.msgpack_dumps({"cues": [reach]})) == {"cues": [reach]}


def test_other_values_pass_through_the_reach_codec() -> None:
    data = {"plain": {"a": [1, 2]}, "array": numpy.arange(3)}
    back = srsly.msgpack_loads(srsly.msgpack_dumps(data))
    assert back["plain"] == {"a": [1, 2]}
    assert back["array"].tolist() == [0, 1, 2]
    assert encode_reach("text") == "text"
    assert decode_reach({"a": 1}) == {"a": 1}
