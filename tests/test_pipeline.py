"""Mention finding: categories, look-alikes, tokenisation, sentences, timelines, vulnerability."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import spacy

from casenotes import (
    CasenotesWarning,
    Lexicon,
    MentionFinder,
    NoteTooLongError,
    NoteTypeError,
    analyse_notes,
    find_mentions,
)
from casenotes.nlp.pipeline import MAX_NOTE_LENGTH, build_nlp, is_date, normalise


def terms(finder: MentionFinder, text: str) -> list[tuple[str, str]]:
    return [(m.term, m.category) for m in finder.find(text)]


@pytest.mark.parametrize(("text", "term", "category"), [
    ("Tenant drilled into the artex ceiling, asbestos disturbed", "asbestos", "asbestos"),
    ("ACM found in bath panel", "ACM", "asbestos"),
    ("AIB panels behind the boiler cupboard", "AIB panels", "asbestos"),
    ("asbestoss in the loft", "asbestoss", "asbestos"),
    ("CO alarm sounding in the kitchen", "CO alarm", "carbon_monoxide"),
    ("tenant worried about carbon monoxcide", "carbon monoxcide", "carbon_monoxide"),
    ("engineer found CO in the lounge", "CO", "carbon_monoxide"),
    ("flue spillage on the boiler", "flue spillage", "carbon_monoxide"),
    ("strong smell of gas on the landing", "strong smell of gas", "gas"),
    ("LGSR: flue spillage, appliance capped", "flue spillage", "carbon_monoxide"),
    ("gas hob capped, loose bayonet", "gas hob capped", "gas"),
    ("black mould in the baby's room", "black mould", "damp_mould"),
    ("mold behind the wardrobe", "mold", "damp_mould"),
    ("rising damp in the hall", "rising damp", "damp_mould"),
    ("smoke alarm missing from hallway", "smoke alarm", "fire"),
    ("fire door closer broken", "door closer broken", "fire"),
    ("fire door propped open on landing", "fire door propped", "fire"),
    ("exposed wires in the bathroom", "exposed wires", "electrical"),
    ("socket sparking behind the fridge", "socket sparking", "electrical"),
    ("ceiling collapse in the kitchen", "ceiling collapse", "structural"),
    ("loose handrail on the stairs", "loose handrail", "structural"),
    ("burst pipe under the sink", "burst pipe", "water"),
    ("no water supply since Monday", "no water supply", "water"),
    ("no heating for 84 year old", "no heating", "cold"),
    ("boiler broken down again", "boiler broken down", "cold"),
    ("mice droppings behind the cooker", "mice droppings", "pests"),
    ("bed bugs in the mattress", "bed bugs", "pests"),
    ("brigade out in the night for a chimney fire", "chimney fire", "fire"),
])
def test_each_category_is_found(finder: MentionFinder, text: str, term: str,
                                category: str) -> None:
    assert (term, category) in terms(finder, text)


@pytest.mark.parametrize("text", [
    "Tenant behind with the gas bill",
    "needs a new gas card from the supplier",
    "letters to go c/o her sister",
    "Letter from Smith & Co. solicitors",
    "Jones & Co wrote again",
    "CO-ORDINATOR: Ms T",
    "spoke to the tenancy co-ordinator",
    "kids made a jelly mould",
    "ornate mouldings in the lounge",
    "the meeting was a damp squib",
    "lost her fire door key",
    "it fired up first time after the reset",
    "help with an electric meter top-up",
    "warned about a cold caller",
    "she has a cold this week",
    "ASB case opened re noise",
    "asb reported by neighbour",
    "ASB",
    "visible debris wet-wiped and bagged",
    "surfaces wet wiped, H-vac clean of the landing",
])
def test_lookalikes_never_match(finder: MentionFinder, text: str) -> None:
    assert finder.find(text) == []


@pytest.mark.parametrize(("text", "expected"), [
    # Two hazards in one phrase: the kept words alone claim their tokens (pattern "claim").
    ("no heating or hot water since Monday",
     [("no heating", "cold"), ("or hot water", "water")]),
    ("Water coming through the bathroom light fitting from flat above",
     [("Water coming through", "water"), ("the bathroom light fitting", "electrical")]),
    ("Boiler classed AR, turned off. AR label applied.",
     [("classed AR", "gas"), ("AR label", "gas")]),
    ("CERT UPLOADED: LGSR - RESULT: AT RISK", [("AT RISK", "gas")]),
    ("Kitchen electrics left isolated until the electrician tests",
     [("electrics left isolated", "electrical")]),
    ("mum has been leaving the gas hob on unlit", [("gas hob on unlit", "gas")]),
    ("intumescent strip missing, door doesn't self-close",
     [("intumescent strip missing", "fire"), ("doesn't self-close", "fire")]),
    ("heating has not worked properly for a week", [("heating has not worked", "cold")]),
    # Trades' shorthand and a short place between the fitting and its fault (session 22).
    ("kitchen dbl skt by fridge crackling", [("skt by fridge crackling", "electrical")]),
    ("skt melted bhnd fridge", [("skt melted", "electrical")]),
    ("FRS say wiring above hob heat damaged", [("wiring above hob heat damaged", "electrical")]),
    ("water dripping out of the light fitting",
     [("water dripping", "water"), ("the light fitting", "electrical")]),
    ("water is once again coming through the kitchen ceiling",
     [("water is once again coming through", "water")]),
    ("attd flt 3 lkg wc cist", [("lkg", "water")]),
    ("clg down approx 1m x 0.5", [("clg down", "structural")]),
    # Asbestos disturbed, told verb first.
    ("been sanding textured clg bk bedroom, white dust everywhere",
     [("sanding textured clg", "asbestos")]),
    ("drilled through the artex to put up a light", [("drilled through the artex", "asbestos")]),
    ("stair lobby fire door won't self close", [("won't self close", "fire")]),
    ("supply pipe split in kitchen floor void", [("pipe split", "water")]),
    ("split flexi bath tap, isol + cppd", [("split flexi", "water")]),
])
def test_fault_phrases_make_equipment_a_mention(finder: MentionFinder, text: str,
                                                expected: list[tuple[str, str]]) -> None:
    assert terms(finder, text) == expected


@pytest.mark.parametrize("text", [
    "the child is at risk of harm",
    "heating and hot water working fine",
    "new light fitting in the hall",
    "ID checked at the door",
    "CO/CO2 ratio fine, flue integrity OK",      # a flue gas analyser's reading
    "WME ceiling plaster 25-30, walls 15-17",    # a surface, not its collapse
    "thermal camera - cold band along the bay",  # a thermal image, not a cold home
])
def test_equipment_and_classification_words_alone_stay_context(finder: MentionFinder,
                                                               text: str) -> None:
    assert finder.find(text) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("no water at all from any tap since she got up", [("no water", "no_water")]),
    ("Tenant has no water.", [("no water", "no_water")]),
    ("no water supply to block D", [("no water supply", "no_water")]),
    ("Checked loft, no water ingress found.", [("water ingress", "leak")]),
    ("Ceiling below checked - dry, no water damage.", [("water damage", "leak")]),
])
def test_no_water_is_the_supply_unless_a_finding_follows(
        finder: MentionFinder, text: str, expected: list[tuple[str, str]]) -> None:
    """"No water ingress" denies a leak; it is not a home without water (session 23)."""
    assert [(m.term, m.term_id) for m in finder.find(text)] == expected


def test_asb_means_asbestos_only_next_to_survey_words(finder: MentionFinder) -> None:
    assert terms(finder, "asb survey booked for the void") == [("asb", "asbestos")]
    assert terms(finder, "suspected asb in soffit") == [("asb", "asbestos")]
    assert terms(finder, "ASB diary sheets sent") == []


def test_abbreviations_are_case_sensitive(finder: MentionFinder) -> None:
    assert terms(finder, "Engineer: CO found") == [("CO", "carbon_monoxide")]
    assert terms(finder, "spoke to Co about it") == []
    assert terms(finder, "spoke to co about it") == []


def test_lower_case_co_counts_only_beside_co_words(finder: MentionFinder) -> None:
    assert terms(finder, "co detected in lounge") == [("co", "carbon_monoxide")]
    assert terms(finder, "tested for co.") == [("co", "carbon_monoxide")]
    assert terms(finder, "co alarm fitted") == [("co alarm", "carbon_monoxide")]


def test_longest_match_wins(finder: MentionFinder) -> None:
    assert terms(finder, "black mould growth everywhere") == [("black mould growth", "damp_mould")]
    assert terms(finder, "gas fire condemned") == [("gas fire condemned", "gas")]


def test_a_lookalike_does_not_swallow_a_longer_hazard_beside_it(finder: MentionFinder) -> None:
    assert ("smell of gas", "gas") in terms(finder, "smell of gas bill")


def test_mentions_carry_the_lexicon_entry_and_sentence(finder: MentionFinder) -> None:
    text = "Visit done. Tenant reports smell of gas in kitchen. Job raised."
    (mention,) = finder.find(text, note_id="n1")
    assert mention.note_id == "n1"
    assert mention.term_id == "gas_smell"
    assert mention.hhsrs_hazard == "Uncombusted fuel gas"
    assert text[mention.sentence_start:mention.sentence_end] == (
        "Tenant reports smell of gas in kitchen."
    )
    assert mention.before == ("tenant", "reports")
    assert mention.after[:2] == ("in", "kitchen")
    assert mention.before_lemmas == ("tenant", "report")


@pytest.mark.parametrize("shorthand", ["T/C", "t/c", "TNT", "w/c", "o/s", "R&M", "HO", "TSO",
                                       "LGSR", "CP12", "c/o"])
def test_housing_shorthand_stays_one_token(finder: MentionFinder, shorthand: str) -> None:
    doc = finder.nlp.make_doc(f"{shorthand} today")
    assert doc[0].text == shorthand


@pytest.mark.parametrize("stamp", ["02/12", "14:30", "02/12/24", "2/12/2024", "JOB-448213"])
def test_dates_times_and_job_numbers_stay_one_token(finder: MentionFinder, stamp: str) -> None:
    doc = finder.nlp.make_doc(f"on {stamp} eng attended")
    assert doc[1].text == stamp


def test_is_date_accepts_case_note_dates_only() -> None:
    assert all(map(is_date, ["02/12", "02/12/24", "2.12.2024", "2024-12-02"]))
    assert not any(map(is_date, ["2.50", "14:30", "P1", "1/2/3/4"]))


def test_sentences_split_at_line_breaks_punctuation_and_dates(finder: MentionFinder) -> None:
    doc = finder.nlp("leak in kitchen\nmould in bathroom. eng booked 05/12 eng attended due 06/12")
    sentences = [s.text.strip() for s in doc.sents]
    assert sentences == ["leak in kitchen", "mould in bathroom.", "eng booked",
                         "05/12 eng attended due 06/12"]


def test_timeline_entries_are_reported(finder: MentionFinder) -> None:
    text = "02/12/24 14:30 - T/C leak\n05/12/24 - eng attended\nMon 09/12 leak back"
    findings = finder.analyse(text)
    assert [text[i:i + 3] for i in findings.timeline] == ["02/", "05/", "Mon"]


def test_whitespace_and_zero_width_characters_do_not_break_phrases(finder: MentionFinder) -> None:
    text = "smell  of\u00a0gas and as\u200bbestos\r\nin loft"
    found = finder.find(text)
    assert [m.term for m in found] == ["smell  of\u00a0gas", "as\u200bbestos"]
    assert all(text[m.start:m.end] == m.term for m in found)


def test_normalise_maps_offsets_back() -> None:
    text = "a  b\u200bc\r\nd"
    normalised, offsets = normalise(text)
    assert normalised == "a bc\nd"
    assert [text[offsets.start(i)] for i in range(len(normalised))] == list("a bc\rd")


def test_vulnerability_cues_are_reported_per_note(finder: MentionFinder) -> None:
    findings = finder.analyse("no heating, 84 year old lives alone with COPD; baby due in May "
                              "(pregnant daughter), uses a wheelchair, hoarding, anxiety")
    assert findings.vulnerability_groups == {"elderly", "lives_alone", "respiratory", "child",
                                            "pregnancy", "disability", "hoarding",
                                            "mental_health"}


@pytest.mark.parametrize(("text", "groups"), [
    ("Ms Okafor rang, no heating since Friday.", set()),
    ("MS SMITH RANG RE HEATING", set()),
    ("Tenant has MS, struggles with stairs.", {"disability"}),
    ("MR B HAS MS", {"disability"}),
    ("No children in the household and she is not pregnant.", set()),
    ("no health issues or support needs disclosed, not vulnerable", set()),
    ("No kids. Grandson (4) stays weekends.", {"child"}),
])
def test_a_title_or_a_denial_is_not_a_vulnerability(finder: MentionFinder, text: str,
                                                     groups: set[str]) -> None:
    """"Ms" is a title, not multiple sclerosis: "MS" is the illness after "has", "with" or
    "diagnosed" (in capitals, so an all-capitals note's "MS SMITH" is a title too);
    "no children", "not pregnant" and "not vulnerable" deny the group they name."""
    assert finder.analyse(text).vulnerability_groups == groups


def test_batch_streams_in_order_and_matches_single(finder: MentionFinder) -> None:
    notes = [("a", "smell of gas"), ("b", ""), ("c", "no mould seen"), ("d", "nothing here")]
    batch = list(finder.analyse_many(iter(notes)))
    assert [f.note_id for f in batch] == ["a", "b", "c", "d"]
    assert [f.mentions for f in batch] == [finder.analyse(t, i).mentions for i, t in notes]


def test_module_level_functions_use_a_default_finder() -> None:
    assert [m.term for m in find_mentions("CO alarm sounding")] == ["CO alarm"]
    (findings,) = analyse_notes([("x", "damp in hall")])
    assert findings.note_id == "x"


def test_bad_text_raises_without_quoting_the_note(finder: MentionFinder) -> None:
    with pytest.raises(NoteTypeError, match="note 'n9': text must be a str, got float"):
        finder.find(float("nan"), note_id="n9")  # type: ignore[arg-type]
    with pytest.raises(NoteTooLongError, match="note 'big' has"):
        finder.find("x" * (MAX_NOTE_LENGTH + 1), note_id="big")


def test_empty_hazard_section_warns_once() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_nlp(Lexicon(), lemmatize=False)
    assert any(issubclass(w.category, CasenotesWarning) and "no hazards entries" in str(w.message)
               for w in caught)


def test_pipeline_components_are_registered_and_round_trip(tmp_path: Path) -> None:
    nlp = build_nlp()
    assert nlp.pipe_names == ["casenotes_segmenter", "lemmatizer", "casenotes_hazards",
                              "casenotes_equipment", "casenotes_vulnerability",
                              "casenotes_context"]
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    text = "No ACMs found. Smell of gas reported by baby's mum."
    loaded_doc, built_doc = loaded(text), nlp(text)
    spans = [(s.text, s.label_, s.id_) for s in loaded_doc.spans["casenotes_hazards"]]
    assert spans == [(s.text, s.label_, s.id_) for s in built_doc.spans["casenotes_hazards"]]
    assert spans == [("ACMs", "asbestos", "acm"), ("Smell of gas", "gas", "gas_smell")]
    doc = loaded("LGSR done, boiler serviced")
    equipment = [(s.text, s.label_) for s in doc.spans["casenotes_equipment"]]
    assert equipment == [("LGSR", "procedure"), ("boiler", "equipment")]


def test_tokenisation_does_not_depend_on_case(finder: MentionFinder) -> None:
    for text in ["can't afford to heat", "CAN'T AFFORD TO HEAT", "caN't AFFord to heat"]:
        assert [m.term for m in finder.find(text)] == [text]


def test_a_missing_space_after_a_full_stop_still_splits(finder: MentionFinder) -> None:
    assert terms(finder, "asbestos.Ceiling damp.mould") == [
        ("asbestos", "asbestos"), ("damp", "damp_mould"), ("mould", "damp_mould")]
    doc = finder.nlp.make_doc("see www.gov.uk/damp")
    assert [t.text for t in doc] == ["see", "www.gov.uk/damp"]


def test_a_long_run_of_one_punctuation_mark_is_cut_and_offsets_still_slice(
        finder: MentionFinder) -> None:
    text = "(" * 5_000 + "smell of gas" + '"' * 5_000 + " ok"
    mentions = finder.find(text)
    assert [text[m.start:m.end] for m in mentions] == ["smell of gas"]
    assert [m.term for m in mentions] == ["smell of gas"]


def test_a_spaced_dash_ends_a_cue_scope_but_a_glued_hyphen_does_not(finder: MentionFinder) -> None:
    glued = finder.find("No sign of mould on the self-closer door")
    assert [(m.term, m.context) for m in glued] == [("mould", "negated")]
    glued = finder.find("No sign of mould by the e-bike")
    assert [(m.term, m.context) for m in glued] == [("mould", "negated"), ("e-bike", "negated")]
    spaced = finder.find("No sign of mould - tenant reports damp")
    assert [(m.term, m.context) for m in spaced] == [("mould", "negated"), ("damp", "present")]


def test_every_way_of_asking_for_the_bundled_reader_gets_the_same_one() -> None:
    """One reader per lexicon per process: the default, None and the bundled lexicon itself
    are the same lexicon."""
    from casenotes.lexicon import default_lexicon
    from casenotes.nlp.reader import reader_for

    assert reader_for() is reader_for(None) is reader_for(default_lexicon())
