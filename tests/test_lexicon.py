"""The lexicon: bundled content, validation messages, merging and hashing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casenotes import LexiconError, MentionFinder, load_lexicon
from casenotes.lexicon import HHSRS_HAZARDS, HazardTerm, Lexicon, default_lexicon
from casenotes.types import CATEGORIES, CUE_KINDS, VULNERABILITY_GROUPS


def write(tmp_path: Path, data: object, name: str = "mine.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_bundled_lexicon_covers_every_category_with_hundreds_of_phrases(lexicon: Lexicon) -> None:
    assert {term.category for term in lexicon.hazards} == set(CATEGORIES)
    phrases = sum(len(t.phrases) + len(t.misspellings) + len(t.abbreviations)
                  for t in lexicon.hazards)
    assert phrases >= 400
    assert all(term.hhsrs_hazard in HHSRS_HAZARDS for term in lexicon.hazards)


def test_bundled_lexicon_has_the_named_abbreviations_and_lookalikes(lexicon: Lexicon) -> None:
    abbreviations = {a for t in lexicon.hazards for a in t.abbreviations}
    assert "CO" in abbreviations
    procedures = {a for t in lexicon.equipment if t.kind == "procedure" for a in t.abbreviations}
    assert {"LGSR", "CP12", "EICR", "FRA"} <= procedures
    assert not {"LGSR", "CP12", "EICR", "FRA"} & abbreviations
    lookalikes = {a for t in lexicon.hazards for a in t.lookalikes + t.lookalikes_cased}
    assert {"gas bill", "gas card", "c/o", "Co.", "& Co", "co-ordinator", "jelly mould",
            "damp squib", "fire door key", "electric meter top-up", "cold caller",
            "has a cold"} <= lookalikes


def test_bundled_cues_cover_every_kind_and_vulnerability_every_group(lexicon: Lexicon) -> None:
    assert {rule.kind for rule in lexicon.cues} == set(CUE_KINDS)
    assert {term.group for term in lexicon.vulnerability} == set(VULNERABILITY_GROUPS)


def test_round_trip_through_dict_keeps_the_hash(lexicon: Lexicon) -> None:
    again = Lexicon.from_dict(lexicon.to_dict())
    assert again == lexicon
    assert again.hash == lexicon.hash


def test_hash_changes_when_a_term_changes(lexicon: Lexicon) -> None:
    term = HazardTerm(id="x_extra", category="gas", hhsrs_hazard="Uncombusted fuel gas",
                      phrases=("whiff of propane",))
    assert lexicon.with_terms(term).hash != lexicon.hash


def test_user_file_extends_and_same_id_replaces(tmp_path: Path) -> None:
    path = write(tmp_path, {"hazards": [
        {"id": "gas_smell", "category": "gas", "hhsrs_hazard": "Uncombusted fuel gas",
         "phrases": ["pong of gas"]},
        {"id": "radon", "category": "structural", "hhsrs_hazard": "Radiation",
         "phrases": ["radon"]},
    ]})
    merged = load_lexicon(path)
    assert merged.term("gas_smell").phrases == ("pong of gas",)
    assert merged.term("radon").category == "structural"
    assert len(merged.hazards) == len(default_lexicon().hazards) + 1
    assert merged.cues == default_lexicon().cues


def test_replace_swaps_only_the_sections_the_file_provides(tmp_path: Path) -> None:
    path = write(tmp_path, {"hazards": [
        {"id": "radon", "category": "structural", "hhsrs_hazard": "Radiation",
         "phrases": ["radon"]},
    ]})
    replaced = load_lexicon(path, replace=True)
    assert [t.id for t in replaced.hazards] == ["radon"]
    assert replaced.vulnerability == default_lexicon().vulnerability


@pytest.mark.parametrize(("entry", "message"), [
    ({"id": "co_alarm", "catgory": "carbon_monoxide"},
     r"mine.json entry 'co_alarm': unknown key 'catgory'; allowed: id, category"),
    ({"id": "co_alarm", "hhsrs_hazard": "Fire", "phrases": ["x"]},
     r"entry 'co_alarm': missing required key 'category'"),
    ({"id": "x", "category": "gass", "hhsrs_hazard": "Fire", "phrases": ["x"]},
     r"entry 'x': category 'gass' is not one of: asbestos"),
    ({"id": "x", "category": "gas", "hhsrs_hazard": "Gas", "phrases": ["x"]},
     r"entry 'x': hhsrs_hazard 'Gas' is not one of"),
    ({"id": "x", "category": "gas", "hhsrs_hazard": "Fire", "phrases": "smell of gas"},
     r"entry 'x': key 'phrases' must be a list of non-empty strings"),
    ({"id": "x", "category": "gas", "hhsrs_hazard": "Fire", "phrases": [" gas "]},
     r"without leading or trailing spaces"),
    ({"id": "x", "category": "gas", "hhsrs_hazard": "Fire"},
     r"entry 'x': needs at least one of 'phrases'"),
    ({"id": "x", "category": "gas", "hhsrs_hazard": "Fire", "phrases": ["gas bill"],
      "lookalikes": ["Gas Bill"]},
     r"entry 'x': 'gas bill' is both a phrase and a look-alike"),
    ({"id": "x", "category": "gas", "hhsrs_hazard": "Fire",
      "patterns": [{"pattern": [{"LOWER": "asb"}], "keep": [0, 2]}]},
     r"entry 'x': patterns #1: 'keep' must be \[first, last\+1\]"),
    ({"id": "x", "category": "gas", "hhsrs_hazard": "Fire",
      "patterns": [{"pattern": [{"LOWER": "gas"}], "claim": "kept"}]},
     r"entry 'x': patterns #1: 'claim' must be \"match\" \(the default\) or \"kept\", and "
     r"\"kept\" needs a 'keep' slice"),
    ({"id": "x", "category": "gas", "hhsrs_hazard": "Fire",
      "patterns": [{"pattern": [{"LOWER": "gas"}, {"LOWER": "off"}], "keep": [0, 1],
                    "claim": "all"}]},
     r"entry 'x': patterns #1: 'claim' must be"),
    ({"category": "gas", "hhsrs_hazard": "Fire", "phrases": ["x"]},
     r"mine.json hazards entry #1: missing required key 'id'"),
])
def test_bad_hazard_entries_name_the_entry_and_key(tmp_path: Path, entry: dict[str, object],
                                                   message: str) -> None:
    with pytest.raises(LexiconError, match=message):
        load_lexicon(write(tmp_path, {"hazards": [entry]}))


def test_duplicate_ids_unknown_sections_and_bad_cues_are_refused(tmp_path: Path) -> None:
    twice = {"id": "x", "category": "gas", "hhsrs_hazard": "Fire", "phrases": ["x"]}
    with pytest.raises(LexiconError, match="id 'x' appears twice"):
        Lexicon.from_dict({"hazards": [twice, twice]})
    with pytest.raises(LexiconError, match="unknown section 'hazard'; allowed: hazards"):
        Lexicon.from_dict({"hazard": []})
    with pytest.raises(LexiconError, match="direction must be 'none' exactly for kinds"):
        Lexicon.from_dict({"cues": [{"id": "c", "kind": "terminate", "direction": "both",
                                     "phrases": ["but"]}]})
    with pytest.raises(LexiconError, match="'max_scope' must be a whole number"):
        Lexicon.from_dict({"cues": [{"id": "c", "kind": "negated", "direction": "forward",
                                     "phrases": ["no"], "max_scope": -1}]})
    with pytest.raises(LexiconError, match="group 'kids' is not one of"):
        Lexicon.from_dict({"vulnerability": [{"id": "v", "group": "kids", "phrases": ["x"]}]})


def test_unreadable_files_get_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="does not exist; check the path"):
        load_lexicon(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"hazards": [', encoding="utf-8")
    with pytest.raises(LexiconError, match=r"broken.json: not valid JSON at line 1"):
        load_lexicon(broken)
    with pytest.raises(LexiconError, match="top level must be a JSON object"):
        load_lexicon(write(tmp_path, [1, 2]))


@pytest.mark.parametrize(("claim", "expected"), [
    ("match", [("or hot water", "water")]),  # the longer match claims "no heating" too
    ("kept", [("no heating", "cold"), ("or hot water", "water")]),
])
def test_a_pattern_claiming_its_kept_words_leaves_its_context_to_other_entries(
        tmp_path: Path, claim: str, expected: list[tuple[str, str]]) -> None:
    hot_water = {"pattern": [{"LOWER": "no"}, {"LOWER": "heating"}, {"LOWER": "or"},
                             {"LOWER": "hot"}, {"LOWER": "water"}], "keep": [2, 5],
                 "claim": claim}
    lexicon = load_lexicon(write(tmp_path, {"hazards": [
        {"id": "heat", "category": "cold", "hhsrs_hazard": "Excess cold",
         "phrases": ["no heating"]},
        {"id": "hw", "category": "water", "hhsrs_hazard": "Water supply",
         "patterns": [hot_water]},
    ]}), replace=True)
    found = MentionFinder(lexicon).find("no heating or hot water since Monday")
    assert [(m.term, m.category) for m in found] == expected
