"""Events a note records about its hazards: rules as data, the event model, the tables."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import casenotes
from casenotes.cli import app
from casenotes.errors import InputError, LexiconError, ModelError
from casenotes.events import (
    EventModel,
    EventReader,
    EventRules,
    candidates,
    default_event_reader,
    equipment_automaton,
    load_event_model,
    load_event_rules,
    save_event_model,
    train_event_model,
)
from casenotes.scoring import Scorer, default_scorer
from casenotes.types import EVENT_NAMES, OPENING_EVENTS

ROOT = Path(__file__).resolve().parents[1]
TIMELINES = ROOT / "data" / "samples" / "timelines"


def events_of(text: str, reader: EventReader | None = None) -> set[tuple[str, str]]:
    note = default_scorer().score_note(text, "n")
    assert note.events == ()                     # the default scorer reads no events
    found = (reader or default_event_reader()).read(text, note)
    return {(e.category, e.event) for e in found}


# ----------------------------------------------------------------------------- rules


def test_the_bundled_rules_cover_every_event() -> None:
    rules = load_event_rules()
    assert {rule.event for rule in rules.rules} == set(EVENT_NAMES)
    assert rules.certain  # some phrases are certain whatever the model says


def test_of_overlapping_phrases_the_longest_wins() -> None:
    hits = load_event_rules().hits("Revisit: no recurrence, tenant happy.")
    phrases = [h.phrase for h in hits]
    assert "no recurrence" in phrases and "recurrence" not in phrases


def test_phrases_match_whole_words_only() -> None:
    assert not [h for h in load_event_rules().hits("The unbooked slot") if h.phrase == "booked"]


@pytest.mark.parametrize(("data", "message"), [
    ({}, "'rules' list"),
    ({"rules": [{"id": "x", "event": "teleported", "phrases": ["beamed"]}]}, "'event'"),
    ({"rules": [{"id": "x", "event": "booked", "phrases": []}]}, "'phrases'"),
    ({"rules": [{"id": "x", "event": "booked", "phrases": ["a"], "certain": "yes"}]},
     "'certain'"),
    ({"rules": [{"id": "x", "event": "booked", "phrases": ["a"]},
                {"id": "x", "event": "booked", "phrases": ["b"]}]}, "'id'"),
    ({"rules": [{"id": "x", "event": "booked", "phrases": ["booked"]}],
      "same_as": {"bkd": "bookd"}}, "'bookd' is not a phrase of any rule"),
    ({"rules": [{"id": "x", "event": "booked", "phrases": ["booked"]},
                {"id": "y", "event": "made_safe", "phrases": ["capped"]}],
      "same_as": {"capped": "booked"}}, "no event in common"),
    ({"rules": [{"id": "x", "event": "booked", "phrases": ["booked"]}],
      "same_as": ["booked"]}, "'same_as' must map"),
])
def test_a_bad_rules_file_names_the_entry_and_key(data: object, message: str) -> None:
    with pytest.raises(LexiconError, match=message):
        EventRules.from_dict(data)


@pytest.mark.parametrize(("short", "full"), [
    ("re attd 14:10. cppd at ecv, no gas cook or heat.",
     "re attd 14:10. capped at ecv, no gas cook or heat."),
    ("gas eng attd, meter capped. appt booked 12/3 for new cooker hose.",
     "gas eng attended, meter capped. appointment booked 12/3 for new cooker hose."),
])
def test_shorthand_reads_as_the_phrase_and_words_it_stands_for(short: str, full: str) -> None:
    """A voice that writes "cppd" or "attd" shares what the model learned of "capped" and
    "attended" from writers who spell them out."""
    rules = load_event_rules()

    def features(text: str) -> set[str]:
        note = default_scorer().score_note(text, "n")
        found = candidates(text, note, rules, equipment_automaton())
        return {name for c in found for name in (*c.features, *c.words)
                if name.startswith(("phrase=", "word="))}
    assert features(short) == features(full)


def test_shorthand_fires_the_rules_of_its_full_form_certain_ones_too() -> None:
    rules = load_event_rules()
    [short] = [h for h in rules.hits("boiler cppd at ecv") if h.phrase == "cppd"]
    [full] = [h for h in rules.hits("boiler capped at ecv") if h.phrase == "capped"]
    assert short.rules == full.rules and short.names == full.names
    assert "made_safe.certain" in short.rules


def test_every_shorthand_of_the_bundled_rules_names_a_phrase_of_the_same_event() -> None:
    rules = load_event_rules()
    events = {phrase: {r.event for r in rules.rules if phrase in r.phrases}
              for r in rules.rules for phrase in r.phrases}
    assert rules.same_as
    for short, full in rules.same_as.items():
        assert events[full] and events.get(short, events[full]) & events[full], (short, full)
    assert rules.word_same_as["attd"] == "attended"
    assert "lk stopped" not in rules.word_same_as            # two words: a phrase only


# ----------------------------------------------------------------------------- reading


@pytest.mark.parametrize(("text", "expected"), [
    ("Attended 10:15, no answer, card left.", ("", "no_access")),
    ("OOH engineer attended, smell of gas at cooker, supply capped at the ECV and made safe.",
     ("gas", "made_safe")),
    ("Mould wash and treatment completed in bedroom 2. Works complete.",
     ("damp_mould", "works_done")),
    ("Job 552233 status changed from Issued to Completed", ("", "works_done")),
    ("Tenant refused access for the damp inspection today.", ("damp_mould", "refused")),
])
def test_the_bundled_reader_finds_plain_events(text: str, expected: tuple[str, str]) -> None:
    assert expected in events_of(text)


def test_a_plan_is_not_an_event() -> None:
    found = events_of("Damp and mould inspection to be booked once heating restored.")
    assert ("damp_mould", "inspected") not in found


@pytest.mark.parametrize(("text", "planned"), [
    ("Mould wash + treat bed 1 booked 07/01 (contractor closed over xmas).", True),
    ("Capped at the ECV and booked in for a new cooker", True),
    ("Mould wash completed, re-inspection booked for 3 weeks.", False),  # the clause ended
    ("Mould wash and treatment completed in bedroom 2.", False),
])
def test_what_is_booked_in_the_same_clause_is_a_plan(text: str, planned: bool) -> None:
    """A booking after the phrase in its clause makes the phrase what was booked, not done:
    the model weighs the flag, and a certain rule records nothing for certain."""
    note = default_scorer().score_note(text, "n")
    read = candidates(text, note, load_event_rules(), equipment_automaton())
    flags = {name for c in read for name, value in c.features.items()
             if name.startswith("planned=") and name != "planned=booked" and value}
    assert bool(flags) is planned
    if planned:
        assert all(not c.certain - {"booked"} for c in read)
        assert ("damp_mould", "works_done") not in events_of(text)


@pytest.mark.parametrize("history", [
    "Lounge gas fire was condemned 2023 and removed, cap at fire point checked.",
    "History: boiler previously capped (flue fault), since replaced.",
    "Old gas fire in lounge condemned last year, cap checked.",
    "Gas fire condemned in the historical works, cap checked.",
])
def test_a_certain_phrase_dated_in_the_past_records_nothing_for_certain(history: str) -> None:
    note = default_scorer().score_note(history, "n")
    read = candidates(history, note, load_event_rules(), equipment_automaton())
    assert read and all("made_safe" not in c.certain for c in read)
    assert any(c.features.get("historical=made_safe") for c in read)  # the model weighs it
    assert ("gas", "made_safe") not in events_of(history, EventReader(load_event_rules()))


@pytest.mark.parametrize("today", [
    "Gas fire condemned and capped today, warning notice issued 14/03/2026.",
    "Boiler condemned 2 hrs ago, capped at the ECV.",   # "ago" dates nothing without years
])
def test_a_certain_phrase_of_this_visit_still_records_its_event(today: str) -> None:
    note = default_scorer().score_note(today, "n")
    read = candidates(today, note, load_event_rules(), equipment_automaton())
    assert any("made_safe" in c.certain for c in read)
    assert not any(c.features.get("historical=made_safe") for c in read)


def test_a_note_that_names_no_hazard_carries_its_equipment_and_job_numbers() -> None:
    text = "Storage heater element replaced, job 299031 complete."
    note = default_scorer().score_note(text, "n")
    found = default_event_reader().read(text, note)
    assert found and all(e.category == "" for e in found)
    assert {e.about for e in found} == {"cold"}
    assert {e.refs for e in found} == {("299031",)}


@pytest.mark.parametrize(("text", "about"), [
    ("floor up, supply rerun in MDPE to new stopcock position, floor back down. complete",
     "water"),
    ("Circuit isolated and locked off at CU, spur removed, cable terminated in JB.",
     "electrical"),
    ("WO 4540120 | Job completed: kitchen DG unit replaced, restrictor refitted.",
     "structural"),
])
def test_a_trade_s_words_tell_what_a_note_that_names_no_hazard_acts_on(text: str,
                                                                       about: str) -> None:
    note = default_scorer().score_note(text, "n")
    assert not note.mentions
    assert {e.about for e in default_event_reader().read(text, note)} == {about}


def test_the_event_rules_trade_words_are_checked_when_loaded() -> None:
    rule = {"id": "x", "event": "booked", "phrases": ["booked"]}
    with pytest.raises(LexiconError, match="trades category 'plumbing'"):
        EventRules.from_dict({"rules": [rule], "trades": {"plumbing": ["stopcock"]}})
    with pytest.raises(LexiconError, match="list of non-empty strings"):
        EventRules.from_dict({"rules": [rule], "trades": {"water": "stopcock"}})
    assert EventRules.from_dict({"rules": [rule], "trades": {"water": ["Stop  Cock"]}}
                                ).trades == {"water": ("stop cock",)}


def test_a_hazard_named_only_by_its_equipment_gets_the_events_of_its_clause() -> None:
    text = "LGSR completed. Boiler and gas hob passed, CO alarm tested ok. CP12 issued."
    note = default_scorer().score_note(text, "n")
    read = candidates(text, note, load_event_rules(), equipment_automaton())
    by_equipment = {c.category for c in read if c.by_equipment}
    assert "gas" in by_equipment
    assert not by_equipment & {m.mention.category for m in note.mentions}


def test_a_hazard_named_only_by_its_equipment_never_opens_an_episode() -> None:
    text = "tnt rang again chasing, still no lights in kitchen, circuit been off 2 wks."
    note = default_scorer().score_note(text, "n")
    reader = default_event_reader()
    for candidate in candidates(text, note, reader.rules, reader.equipment):
        if candidate.by_equipment:
            assert not {e.event for e in reader._decide("n", candidate)} & OPENING_EVENTS


@pytest.mark.parametrize(("text", "part", "carrier"), [
    ("OOH: no heating or hot water since last night, boiler showing F28. Heating engineer "
     "booked P1.", "water", "cold"),
    ("T/C no heating and no hw, house freezing, 2 kids. Passed to gas contractor P1.",
     "water", "cold"),
])
def test_a_hazard_named_only_as_part_of_another_s_breakdown_has_no_events_of_its_own(
        text: str, part: str, carrier: str) -> None:
    note = default_scorer().score_note(text, "n")
    named = {m.mention.category for m in note.mentions}
    assert {part, carrier} <= named                 # the hazards table still lists both
    read = candidates(text, note, load_event_rules(), equipment_automaton())
    assert carrier in {c.category for c in read}
    assert part not in {c.category for c in read}
    assert part not in {category for category, _ in events_of(text)}


@pytest.mark.parametrize(("text", "own"), [
    ("Leak under the bath and no heating since Sunday. Plumber booked.", "water"),
    ("No hot water since the weekend, boiler showing F28. Heating engineer booked.", "water"),
])
def test_a_hazard_named_in_its_own_right_beside_another_keeps_its_events(text: str,
                                                                        own: str) -> None:
    note = default_scorer().score_note(text, "n")
    read = candidates(text, note, load_event_rules(), equipment_automaton())
    assert own in {c.category for c in read}


def test_a_phrase_outside_the_hazards_sentences_goes_to_the_one_read_as_a_risk() -> None:
    text = ("on site. damp readings 28-34% ext wall. no leaks found. black mould behind "
            "wardrobe approx 1.5m2")
    note = default_scorer().score_note(text, "n")
    assert {m.mention.category for m in note.mentions if m.label == "risk"} == {"damp_mould"}
    given_to = {c.category: [h.phrase for h in c.hits]
                for c in candidates(text, note, load_event_rules())}
    assert "on site" in given_to["damp_mould"]
    assert "on site" not in given_to.get("water", [])


def test_the_words_beside_a_phrase_and_the_trade_in_its_clause_are_features() -> None:
    text = ("Leak from ceiling onto the bed and mould on the wall: electrician booked for "
            "12/03 to check the light fitting.")
    note = default_scorer().score_note(text, "n")
    read = {c.category: c for c in candidates(text, note, load_event_rules(),
                                              equipment_automaton())}
    assert read["water"].features.get("after=booked:0") == 1.0    # numbers read as one word
    assert read["water"].features.get("trade_other=booked") == 1.0
    assert read["electrical"].by_equipment          # the electrician's booking is electrical
    assert read["electrical"].features.get("trade_here=booked") == 1.0


def test_every_candidate_reads_the_words_of_its_note() -> None:
    text = "Attended 14:05. FGA within limits, readings 40%+ on the mould wall by the boiler."
    note = default_scorer().score_note(text, "n")
    found = candidates(text, note, load_event_rules(), equipment_automaton())
    assert len(found) >= 2                        # mould, and the boiler's heating
    for candidate in found:
        assert candidate.words is found[0].words  # one tuple, weighed once per note
        assert {"word=fga", "word=within", "word=limits", "word=readings"} <= set(
            candidate.all_features)
        assert candidate.words.count("word=0") == 1  # every number is one word, once


def test_a_note_s_words_weigh_the_same_summed_once_or_with_each_candidate() -> None:
    text = "Attended 14:05. FGA within limits, readings 40%+ on the mould wall by the boiler."
    note = default_scorer().score_note(text, "n")
    model = load_event_model()
    for candidate in candidates(text, note, load_event_rules(), equipment_automaton()):
        once = model.probabilities(candidate.features, model.shared_logits(candidate.words))
        each = model.probabilities(candidate.all_features)
        assert once == pytest.approx(each, abs=1e-12)


def test_a_candidate_weighed_twice_trains_as_if_it_were_there_twice() -> None:
    features = [{"rule=booked": 1.0}, {"rule=booked": 1.0, "word=attd": 1.0},
                {"word=attd": 1.0}, {"word=card": 1.0}]
    labels = [frozenset({"booked"}), frozenset({"booked", "inspected"}), frozenset({"inspected"}),
              frozenset()]
    weighed = train_event_model(features, labels, sample_weight=[2.0, 1.0, 1.0, 1.0])
    repeated = train_event_model([features[0], *features], [labels[0], *labels])
    for event in ("booked", "inspected"):
        assert weighed.weights[event] == pytest.approx(repeated.weights[event], abs=1e-3)
        assert weighed.intercepts[event] == pytest.approx(repeated.intercepts[event], abs=1e-3)
    assert weighed.weights["booked"] != train_event_model(features, labels).weights["booked"]


@pytest.mark.parametrize(("feature", "words"), [
    ("phrase=no_access:card left", "phrase 'card left'"),
    ("rule=made_safe", "a made safe phrase here"),
    ("negated=inspected", "a negated inspected phrase"),
    ("historical=made_safe", "a made safe phrase dated in the past"),
    ("about=cold", "equipment of cold"),
    ("after=booked:for", "'for' after a booked phrase"),
    ("word=fga", "the word 'fga' in the note"),
    ("before=works_done:from", "'from' before a works done phrase"),
    ("category_rule=water:booked", "a booked phrase for water"),
    ("trade_here=booked", "a booked phrase beside this hazard's equipment or trade"),
    ("by_equipment", "the note names the hazard only by its equipment"),
    ("p_risk", "hazard P(risk)"),
    ("something_new", "something_new"),
])
def test_event_reasons_read_as_words(feature: str, words: str) -> None:
    from casenotes.events import describe_feature

    assert describe_feature(feature) == words


def test_every_event_names_its_evidence_and_reasons() -> None:
    text = "T/C from tnt reporting black mould in the baby's bedroom. P2 job raised."
    note = default_scorer().score_note(text, "n")
    for event in default_event_reader().read(text, note):
        assert 0 <= event.start < event.end <= len(text)
        assert event.reasons and 0.0 <= event.probability <= 1.0


def test_every_event_says_what_it_rests_on() -> None:
    """A report the model does not read, on a note that shows the hazard as a risk, rests on
    the verdict; the roll-up reads that basis (a retelling letter reopens no emergency)."""
    text = "Smell of gas in hall, P1 job raised. Attended, no answer, card left."
    note = default_scorer().score_note(text, "n")
    read = default_event_reader().read(text, note)
    assert {e.basis for e in read} <= {"model", "rule", "verdict"}
    for event in read:
        assert (event.basis == "verdict") == str(event.reasons[0]).startswith("hazard verdict")
        assert event.basis != "verdict" or event.event == "reported"
    alone = EventReader(load_event_rules(), None).read(text, note)
    assert alone and {e.basis for e in alone} == {"rule"}


def test_a_certain_phrase_about_another_hazard_s_equipment_is_not_certain_for_this_one(
        ) -> None:
    """ "bathroom fitting full of water, lighting circuit isolated at consumer unit": the
    isolation makes the electrics safe for certain, not the leak still dripping."""
    text = ("Electrician report: bathroom fitting full of water, lighting circuit isolated at "
            "consumer unit and labelled. Water still dripping.")
    note = default_scorer().score_note(text, "n")
    read = {c.category: c for c in candidates(text, note, load_event_rules(),
                                              equipment_automaton())}
    assert "made_safe" in read["electrical"].certain
    assert "water" in read and "made_safe" not in read["water"].certain


def test_a_chaser_records_works_done_only_when_the_model_is_sure_of_them() -> None:
    """ "mr C asking when clg done": a resident chasing the works says they are not done, so
    works done the model reads at its usual low threshold are dropped beside a chaser."""
    text = "mr C asking when clg done, props in way of cooker"
    note = default_scorer().score_note(text, "n")

    def reader(works_done: float, chaser: float) -> EventReader:
        logit: dict[str, float] = dict.fromkeys(EVENT_NAMES, -10.0)
        logit["works_done"] = math.log(works_done / (1 - works_done))
        logit["chaser"] = math.log(chaser / (1 - chaser))
        model = EventModel({e: {} for e in EVENT_NAMES}, logit,
                           {**dict.fromkeys(EVENT_NAMES, 0.25), "works_done": 0.2})
        return EventReader(load_event_rules(), model)
    assert {e.event for e in reader(0.3, 0.9).read(text, note)} == {"chaser"}
    assert {e.event for e in reader(0.6, 0.9).read(text, note)} == {"chaser", "works_done"}
    assert {e.event for e in reader(0.3, 0.1).read(text, note)} == {"works_done"}


def test_rules_alone_read_events_without_a_model() -> None:
    found = events_of("Attended, no access, card left.", EventReader(load_event_rules(), None))
    assert ("", "no_access") in found


def test_a_scorer_reads_events_when_asked() -> None:
    text = "Attended, no answer, card left."
    assert Scorer(events=False).score_note(text, "n").events == ()
    assert {e.event for e in Scorer(events=True).score_note(text, "n").events} >= {
        "no_access"}


@given(st.text(alphabet=st.sampled_from(list("abc no access card left,.\n0123456789")),
               max_size=200))
def test_reading_any_text_gives_events_inside_the_note(text: str) -> None:
    note = Scorer(events=False).score_note(text, "n") if text.strip() else None
    if note is None:
        return
    for event in default_event_reader().read(text, note):
        assert 0 <= event.start <= event.end <= len(text)
        assert event.event in EVENT_NAMES


# ----------------------------------------------------------------------------- the model


def test_the_bundled_event_model_loads_with_its_hash_checked(tmp_path: Path) -> None:
    model = load_event_model()
    assert set(model.thresholds) >= set(EVENT_NAMES)
    save_event_model(model, tmp_path)
    assert load_event_model(tmp_path).weights == model.weights
    weights = tmp_path / "events.json"
    weights.write_text(weights.read_text().replace("0", "1", 1))
    with pytest.raises(ModelError, match="does not match its card"):
        load_event_model(tmp_path)
    with pytest.raises(ModelError, match="no readable"):
        load_event_model(tmp_path / "missing")


# ----------------------------------------------------------------------------- tables


def test_score_frame_gives_the_events_table_with_each_note_s_row() -> None:
    frame = pd.DataFrame({"id": ["1", "2", "2", "3"],
                          "text": ["Smell of gas in hall, P1 job raised",
                                   "Attended, no answer, card left.",
                                   "Job 552233 status changed from Issued to Completed",
                                   "Rent paid"]})
    notes, _, events = casenotes.score_frame(frame, id="id", events=True, chunk_size=2)
    assert list(events.columns) == list(casenotes.io.schema.EVENT_COLUMNS)
    assert set(events["basis"]) <= {"model", "rule", "verdict"}
    by_row = events.groupby("row")["event"].apply(set).to_dict()
    assert "booked" in by_row[1] and "no_access" in by_row[2] and "works_done" in by_row[3]
    assert 4 not in by_row                       # repeated ids are told apart by row
    assert (notes["note_id"].iloc[events["row"] - 1].to_numpy()
            == events["note_id"].to_numpy()).all()
    _, _, none_asked = casenotes.score_frame(frame, id="id", hazards=True)
    assert len(none_asked)                       # hazards table: events are only read when asked
    notes, _, hazards, events = casenotes.score_frame(frame, id="id", hazards=True,
                                                      events=True)
    assert len(hazards) and len(events)


def test_masking_personal_data_hashes_reference_numbers_but_keeps_them_matching() -> None:
    frame = pd.DataFrame({"text": ["Mould in bedroom, job 552233 raised P2.",
                                   "Job 552233 status changed from Issued to Completed"]})
    _, _, plain = casenotes.score_frame(frame, events=True)
    _, _, masked = casenotes.score_frame(frame, events=True, mask_pii=True)
    assert "552233" in set(plain["refs"])
    hashed = set(masked["refs"]) - {""}
    assert len(hashed) == 1 and "552233" not in next(iter(hashed))


def test_the_cli_writes_events_and_the_clock_reads_them(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    pd.DataFrame({
        "id": ["1", "2", "3", "4"],
        "targetId": ["P1", "P1", "P2", "P2"],
        "createdAt": ["10/11/2025 18:00", "10/11/2025 23:00", "10/11/2025 08:00",
                      "10/11/2025 11:00"],
        "description": ["Tenant reports a strong smell of gas in the kitchen, OOH P1 raised",
                        "Attended 22:50, no answer, card left.",
                        "Tenant reports smell of gas in hall",
                        "Engineer attended, gas escape at meter found, supply capped, "
                        "made safe."],
    }).to_csv(export, index=False)
    tables = {name: tmp_path / f"{name}.csv" for name in ("notes", "mentions", "events")}
    runner = CliRunner()
    result = runner.invoke(app, ["score", str(export), "--keep", "targetId,createdAt",
                                 *[a for name, path in tables.items()
                                   for a in (f"--{name}", str(path))], "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "cases.csv"
    result = runner.invoke(app, ["cases", str(tables["notes"]), "--mentions",
                                 str(tables["mentions"]), "--events", str(tables["events"]),
                                 "-o", str(out), "--as-of", "2025-11-12"])
    assert result.exit_code == 0, result.output
    cases = pd.read_csv(out, dtype=str).set_index("case")
    assert cases.loc["P1", "clock"] == "overdue"      # no access does not stop the clock
    assert cases.loc["P2", "clock"] == "met" and cases.loc["P2", "action_by"] == "4"
    assert "no_access" in cases.loc["P1", "events"]


@pytest.mark.parametrize(("events", "message"), [
    (pd.DataFrame({"note_id": ["1"], "category": ["gas"], "event": ["booked"]}), "'row'"),
    (pd.DataFrame({"row": [5], "note_id": ["1"], "category": ["gas"], "event": ["booked"],
                   "tier": [""]}), "names row 5"),
    (pd.DataFrame({"row": [1], "note_id": ["7"], "category": ["gas"], "event": ["booked"],
                   "tier": [""]}), "(note '7')"),
])
def test_cases_refuses_an_events_table_of_another_run(tmp_path: Path, events: pd.DataFrame,
                                                      message: str) -> None:
    notes = tmp_path / "notes.csv"
    pd.DataFrame({"note_id": ["1"], "targetId": ["P1"], "createdAt": ["2025-11-10"],
                  "n_mentions": [0]}).to_csv(notes, index=False)
    mentions = tmp_path / "mentions.csv"
    pd.DataFrame(columns=list(casenotes.io.schema.MENTION_COLUMNS)).to_csv(mentions,
                                                                          index=False)
    path = tmp_path / "events.csv"
    events.to_csv(path, index=False)
    result = CliRunner().invoke(app, ["cases", str(notes), "--mentions", str(mentions),
                                      "--events", str(path)])
    assert result.exit_code == 2
    assert message in result.stderr and "internal error" not in result.stderr


# ----------------------------------------------------------------------------- timelines


def test_the_labelled_timelines_are_whole_writers_per_split() -> None:
    from casenotes.triage.timelines import load_timelines

    writers = {split: {t.writer for t in load_timelines(TIMELINES / f"{split}.jsonl")}
               for split in ("train", "dev", "test")}
    assert writers == {"train": {"W1", "W3", "W5", *(f"W{n}" for n in range(10, 26))},
                       "dev": {"W2"},
                       "test": {"W4", "W6", "W7", "W8", "W9", *(f"W{n}" for n in range(26, 34))}}
    assert not set.intersection(*writers.values())          # no writer in two splits
    total = [t for split in writers for t in load_timelines(TIMELINES / f"{split}.jsonl")]
    assert len(total) >= 80 and sum(len(t.notes) for t in total) >= 300
    assert sum(not t.hazards for t in total) >= 10          # routine-only cases
    assert {h.clock for t in total for h in t.hazards} == {
        "met", "late", "overdue", "due", "not applicable"}


@pytest.fixture(scope="module")
def timeline_checker() -> Any:
    """scripts/check_timelines.py as a module (it is a script, not part of the package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_timelines",
                                                  ROOT / "scripts" / "check_timelines.py")
    assert spec is not None and spec.loader is not None
    checker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checker)
    return checker


@pytest.mark.parametrize("source", sorted((TIMELINES / "source").glob("W*.jsonl")),
                         ids=lambda path: path.stem)
def test_every_writers_hazard_rows_follow_from_their_gold_events(
        source: Path, timeline_checker: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """scripts/check_timelines.py re-derives each hazard row from the gold events by the
    guide's rules, independently of casenotes: every writer's file agrees with it."""
    assert timeline_checker.main(str(source)) == 0, capsys.readouterr().out
    assert capsys.readouterr().out.rstrip().endswith(" 0 problems")


GOOD_TIMELINE = {
    "case": "TL-X-01", "writer": "X", "as_of": "2026-01-20T09:00", "tags": [],
    "notes": [{"note_id": "X-1", "when": "2026-01-09T18:42", "text": "Mould in bedroom.",
               "events": [{"category": "damp_mould", "event": "reported"}]}],
    "hazards": [{"category": "damp_mould", "tier": "significant", "clock_from": "X-1",
                 "deadline": "2026-01-23T23:59:59", "clock": "due",
                 "clock_stopped_by": None, "open": True, "closed_by": None, "episodes": 1}],
}


@pytest.mark.parametrize(("change", "message"), [
    ({"notes": None}, "line 2"),
    ({"hazards": [{**GOOD_TIMELINE["hazards"][0], "clock": "ticking"}]}, "unknown clock"),
    ({"hazards": [{**GOOD_TIMELINE["hazards"][0], "tier": "urgent"}]}, "unknown tier"),
    ({"hazards": [{**GOOD_TIMELINE["hazards"][0], "category": "mould"}]}, "category"),
    ({"hazards": [{**GOOD_TIMELINE["hazards"][0], "closed_by": "X-9"}]}, "'X-9'"),
    ({"notes": [{**GOOD_TIMELINE["notes"][0],
                 "events": [{"category": "gas", "event": "teleported"}]}]}, "unknown event"),
])
def test_a_malformed_timeline_names_its_line_and_fault(tmp_path: Path, change: dict[str, Any],
                                                       message: str) -> None:
    from casenotes.triage.timelines import load_timelines

    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(GOOD_TIMELINE) + "\n" + json.dumps({**GOOD_TIMELINE, **change})
                    + "\n")
    with pytest.raises(InputError, match="line 2") as raised:
        load_timelines(path)
    assert message in str(raised.value)
    path.write_text(json.dumps(GOOD_TIMELINE) + "\n")
    assert load_timelines(path)[0].hazards[0].clock == "due"


def test_evaluate_cases_prints_the_clock_figures_on_timelines(tmp_path: Path) -> None:
    sample = ROOT / "data" / "samples" / "timelines" / "dev.jsonl"
    figures = tmp_path / "figures.json"
    result = CliRunner().invoke(app, ["evaluate-cases", str(sample), "--show-wrong",
                                      "--json", str(figures)])
    assert result.exit_code == 0, result.output
    assert "clock state right" in result.stdout and "open/resolved right" in result.stdout
    assert "routine-only cases with a clock: 0" in result.stdout
    data = json.loads(figures.read_text())
    nowhere = CliRunner().invoke(app, ["evaluate-cases", str(sample), "--json",
                                       str(tmp_path / "missing" / "figures.json")])
    assert nowhere.exit_code == 2 and "no such folder" in nowhere.stderr
    assert data["timelines"] == 20 and data["hazards"] == 22
    assert 0.5 < data["clock_state_right"] <= 1.0
    low, high = data["intervals_95"]["clock_state_right"]
    assert low <= data["clock_state_right"] <= high     # resampling whole timelines
    assert set(data["events"]) == {*EVENT_NAMES, "all"}
    assert len(data["wrong"]) == sum(line.startswith("  TL-") for line in
                                     result.stdout.splitlines())


def test_evaluate_cases_by_writer_gives_each_writers_figures_after_the_pooled_ones(
        tmp_path: Path) -> None:
    lines = (ROOT / "data" / "samples" / "timelines" / "train.jsonl").read_text().splitlines()
    chosen = [line for line in lines if json.loads(line)["writer"] == "W1"][:3] \
        + [line for line in lines if json.loads(line)["writer"] == "W10"][:2]
    sample, figures = tmp_path / "two-writers.jsonl", tmp_path / "figures.json"
    sample.write_text("\n".join(chosen) + "\n")
    result = CliRunner().invoke(app, ["evaluate-cases", str(sample), "--by-writer",
                                      "--json", str(figures)])
    assert result.exit_code == 0, result.output
    pooled, _, rest = result.stdout.partition("\n== W1\n")
    assert "clock state right" in pooled and "== W10" in rest
    assert rest.index("clock state right") < rest.index("== W10")  # W1 first, then W10
    data = json.loads(figures.read_text())
    assert list(data["by_writer"]) == ["W1", "W10"]
    assert [data["by_writer"][w]["timelines"] for w in ("W1", "W10")] == [3, 2]
    assert sum(own["hazards"] for own in data["by_writer"].values()) == data["hazards"]


def test_the_report_links_each_clock_verdict_to_its_notes(
        clock_report: Callable[[dict[str, list[str]]], str]) -> None:
    page = clock_report({
        "id": ["a1", "a2"], "targetId": ["P1", "P1"],
        "createdAt": ["2025-11-10T08:00", "2025-11-10T15:00"],
        "description": ["Tenant reports strong smell of gas in the kitchen, P1 raised",
                        "Engineer attended, escape at the meter, supply capped, made safe."],
    })
    assert 'href="#note-a1"' in page and 'href="#note-a2"' in page
    assert 'card.id = "note-" + note.id' in page
