"""Context cues: each kind, direction and scope, and the pure scope algorithm."""

from __future__ import annotations

import pytest

from casenotes import MentionFinder
from casenotes.context import CueHit, clause_bounds, clause_index, cues_reaching
from casenotes.lexicon import CueRule
from casenotes.types import Cue, context_from_cues


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
    ("crumbling artex in hall", "artex", "present"),
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


def test_a_term_that_is_an_inspection_reaches_its_neighbours(finder: MentionFinder) -> None:
    (lgsr, spillage) = finder.find("LGSR: flue spillage found")
    assert ("inspection", "LGSR") in [(c.kind, c.text) for c in spillage.cues]
    assert all(c.text != "LGSR" for c in lgsr.cues)


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
