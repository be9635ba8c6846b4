"""Urgency tiers, rules that raise them, and a priority monotone in what it combines."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casenotes.errors import LexiconError
from casenotes.lexicon import default_lexicon
from casenotes.nlp.pipeline import MentionFinder
from casenotes.scoring import score_text
from casenotes.triage.priority import (
    PRIORITY_GROUPS,
    TIER_WEIGHT,
    URGENCIES,
    load_urgency,
    priority_of,
    vulnerability_factor,
)

TABLE = load_urgency()


def test_every_hazard_term_has_a_tier() -> None:
    assert {t.id for t in default_lexicon().hazards} <= set(TABLE.tiers)


@pytest.mark.parametrize(("term_id", "category", "groups", "sentence", "tier", "rule"), [
    ("gas_smell", "gas", [], "smell of gas", "emergency", None),
    ("mould", "damp_mould", [], "mould in bedroom", "significant", None),
    ("electrical_check", "electrical", [], "EICR overdue", "standard", None),
    ("no_heating", "cold", [], "no heating since Friday", "significant", None),
    ("no_heating", "cold", ["elderly"], "no heating since Friday", "emergency",
     "cold_and_vulnerable"),
    ("no_heating", "cold", ["lives_alone"], "no heating", "significant", None),
    ("co_alarm", "carbon_monoxide", [], "CO alarm going off, headaches", "emergency", None),
    ("asbestos", "asbestos", [], "artex ceiling drilled, dust everywhere", "emergency",
     "asbestos_disturbed"),
    ("asbestos", "asbestos", [], "artex has a hairline crack, not crumbling, no dust",
     "significant", None),
    ("asbestos", "asbestos", [], "been scraping the asbestos artex off, debris on the bed",
     "emergency", "asbestos_disturbed"),
    ("gas_supply", "gas", [], "gas supply checked, tenant has no headache", "significant",
     None),
    ("gas_supply", "gas", [], "gas supply checked, tenant has a headache", "emergency",
     "symptoms"),
    ("leak", "water", [], "leak coming through the ceiling onto the lights", "emergency",
     "water_near_electrics"),
    ("leak", "water", [], "water pouring thru bthrm clg from flat above", "emergency",
     "water_through_ceiling"),
    ("leak", "water", [], "mould round the bathroom ceiling, and the cistern keeps leaking",
     "significant", None),
    ("leak", "water", [], "damp coming through the bedroom wall, gutter leaking", "significant",
     None),
])
def test_tiers_and_the_rules_that_raise_them(term_id: str, category: str, groups: list[str],
                                            sentence: str, tier: str, rule: str | None) -> None:
    assert TABLE.tier(term_id, category, groups, sentence) == (tier, rule)


def test_a_gas_smell_with_symptoms_outranks_mould() -> None:
    gas = max(s.risk_probability for s in score_text("Smell of gas in hall, tenant dizzy"))
    assert priority_of(gas, "emergency", []) > priority_of(0.95, "significant", [])


@given(p=st.floats(0, 1), q=st.floats(0, 1), tier=st.sampled_from(URGENCIES),
       groups=st.sets(st.sampled_from([*PRIORITY_GROUPS, "lives_alone", "hoarding"])),
       extra=st.sampled_from(PRIORITY_GROUPS))
def test_priority_is_monotone_in_probability_tier_and_vulnerability(
        p: float, q: float, tier: str, groups: set[str], extra: str) -> None:
    low, high = sorted((p, q))
    assert priority_of(low, tier, groups) <= priority_of(high, tier, groups)
    assert priority_of(p, tier, groups) <= priority_of(p, tier, groups | {extra})
    ranks = list(reversed(URGENCIES))  # standard, significant, emergency
    for weaker, stronger in pairwise(ranks):
        assert priority_of(p, weaker, groups) <= priority_of(p, stronger, groups)
    assert 0 <= priority_of(p, tier, groups) <= 100


def test_the_vulnerability_factor_is_capped() -> None:
    assert vulnerability_factor([]) == 1.0
    assert vulnerability_factor(["child"]) == 1.25
    assert vulnerability_factor(PRIORITY_GROUPS) == 2.0


@pytest.mark.parametrize(("data", "message"), [
    ({"tiers": {"gas_smell": "urgent"}}, "'urgent' is not one of"),
    ({"rules": [{"categories": ["gas"], "raise_to": "now"}]}, "raise_to must be one of"),
    ({"rules": [{"categories": ["gaz"], "raise_to": "emergency"}]}, "hazard categories"),
    ({"rules": [{"categories": ["gas"], "raise_to": "emergency", "wrods": []}]},
     "unknown key 'wrods'"),
    ({"rules": [{"categories": ["water"], "raise_to": "emergency", "also_words": ["thru"]}]},
     "also_words needs words"),
    ({"rules": [{"categories": ["fire"], "raise_to": "emergency", "lower_to": "significant"}]},
     "give one of raise_to .* or lower_to"),
    ({"rules": [{"categories": ["fire"], "words": ["fire"]}]}, "give one of raise_to"),
    ({"rules": [{"categories": ["fire"], "lower_to": "low"}]}, "lower_to must be one of"),
    ({"rules": [{"categories": ["water"], "raise_to": "emergency", "words": ["ceiling"],
                 "within": 3}]}, "within is how many words apart .* with also_words"),
    ({"rules": [{"categories": ["water"], "raise_to": "emergency", "words": ["ceiling"],
                 "also_words": ["thru"], "within": 0}]}, "a whole number of 1 or more"),
    ({"rules": [{"categories": ["fire"], "lower_to": "significant", "terms": "fire"}]},
     "terms must be a list of hazard term ids"),
    ({"stated_age": {"group": "old", "from": 65}}, "group must be one of"),
    ({"stated_age": {"group": "elderly", "from": "65"}}, "from must be a whole number"),
    ({"stated_age": {"group": "elderly", "form": 65}}, 'expected {"group"'),
])
def test_a_bad_urgency_file_names_the_problem(tmp_path: Path, data: dict,  # type: ignore[type-arg]
                                               message: str) -> None:
    path = tmp_path / "urgency.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LexiconError, match=message):
        load_urgency(path)


@pytest.mark.parametrize(("note", "tier"), [
    ("No heating or hot water now. Mr O is 88 and the flat is 14C", "emergency"),
    ("Mrs Pryce (82) rang. No heating since last night", "emergency"),
    ("No heating since last night. T is 41, works from home", "significant"),
    ("No heating since last night, flat 84 Cedar Tower", "significant"),
])
def test_a_stated_age_from_65_raises_cold_as_an_older_resident_does(note: str,
                                                                    tier: str) -> None:
    assert TABLE.tier("no_heating", "cold", frozenset(), "No heating", note)[0] == tier


def test_a_disturbance_anywhere_in_the_note_makes_asbestos_an_emergency() -> None:
    note = ("Kitchen refit - drilled into board behind boiler, board cracked, greyish fibrous "
            "dust on worktop. Not on the register. Stopped work, reporting as suspected AIB.")
    sentence = "Stopped work, reporting as suspected AIB."
    assert TABLE.tier("aib", "asbestos", frozenset(), sentence, note) \
        == ("emergency", "asbestos_disturbed")
    assert TABLE.tier("aib", "asbestos", frozenset(), sentence,
                      "Board intact, not disturbed, no dust. Suspected AIB.")[0] == "significant"


@pytest.mark.parametrize(("text", "tier"), [
    ("FLOOR IN FRONT OF SINK GONE SPONGY WHEN YOU STAND ON IT", "significant"),
    ("stair nosing loose on the 2nd floor flight", "significant"),
    ("ceiling came down in the bedroom overnight", "emergency"),
])
def test_a_soft_floor_or_a_trip_is_a_defect_and_only_a_collapse_an_emergency(
        finder: MentionFinder, text: str, tier: str) -> None:
    """The terms' own tiers: a floor gone soft is investigated, a ceiling down is made safe."""
    (mention,) = finder.find(text)
    assert TABLE.tier(mention.term_id, mention.category, frozenset(), text)[0] == tier


@pytest.mark.parametrize(("text", "term_id", "tier", "rule"), [
    ("Big diagonal crack in the kitchen ceiling, plaster bowing slightly.", "ceiling_collapse",
     "significant", "ceiling_not_falling"),
    ("Plasterboard above sink saturated and sagging approx 1m sq, not down.",
     "ceiling_collapse", "significant", "ceiling_not_falling"),
    ("bedroom ceiling bowing badly, looks like it could come down", "ceiling_collapse",
     "emergency", None),
    ("Thinks the gutter above is overflowing, water pours down the front of the house.",
     "flood", "significant", "gutter_overflowing"),
    ("overflowing toilet, water over the bathroom floor", "flood", "emergency", None),
    ("Gutter overflowing and water now coming through the bedroom ceiling.", "leak",
     "emergency", "water_through_ceiling"),
    ("Flat v cluttered, would be hard to get out in a fire.", "fire", "significant", "fire_if"),
    ("small fire in the kitchen last night, out now", "fire", "emergency", None),
    ("mould round bathroom ceiling & on window frame, and toilet cistern keeps leaking onto "
     "floor, towels down", "leak", "significant", None),
    ("leak from the flat above coming through the kitchen ceiling", "leak", "emergency",
     "water_through_ceiling"),
])
def test_a_sentence_that_says_the_hazard_is_milder_lowers_its_terms_tier(
        finder: MentionFinder, text: str, term_id: str, tier: str, rule: str | None) -> None:
    """Lowering rules read the sentence first: a ceiling bowing slightly or not down is a
    defect, a gutter overflowing outside is not a flood, a fire that might happen is not a fire;
    a raising rule (water through a ceiling) still raises after them, and only where its
    words stand near each other."""
    tiers = {TABLE.tier(m.term_id, m.category, frozenset(), text)
             for m in finder.find(text) if m.term_id == term_id}
    assert tiers == {(tier, rule)}


def test_a_lowering_rule_never_raises_and_a_raising_rule_never_lowers(tmp_path: Path) -> None:
    path = tmp_path / "urgency.json"
    path.write_text(json.dumps({"tiers": {"fire": "emergency", "smoke_alarm": "standard"},
                                "rules": [{"id": "down", "categories": ["fire"],
                                           "words": ["maybe"], "lower_to": "significant"},
                                          {"id": "up", "categories": ["fire"],
                                           "words": ["maybe"], "raise_to": "significant"}]}),
                    encoding="utf-8")
    table = load_urgency(path)
    assert table.tier("fire", "fire", frozenset(), "maybe a fire") == ("significant", "down")
    assert table.tier("smoke_alarm", "fire", frozenset(), "maybe") == ("significant", "up")
    assert table.tier("fire", "fire", frozenset(), "a fire") == ("emergency", None)


def test_a_bad_reach_names_the_choices(tmp_path: Path) -> None:
    path = tmp_path / "urgency.json"
    path.write_text(json.dumps({"rules": [{"categories": ["asbestos"], "raise_to": "emergency",
                                           "words": ["dust"], "reach": "case"}]}),
                    encoding="utf-8")
    with pytest.raises(LexiconError, match=r"reach must be 'sentence'.*or 'note'"):
        load_urgency(path)


def test_a_stated_age_raises_only_the_rules_that_ask_for_its_group() -> None:
    note = "Mould in the bedroom. She is 84."
    assert TABLE.tier("mould", "damp_mould", frozenset(), "Mould in the bedroom", note) \
        == ("significant", None)


def test_without_a_stated_age_entry_ages_raise_nothing(tmp_path: Path) -> None:
    path = tmp_path / "urgency.json"
    data = json.loads(json.dumps({"tiers": dict(TABLE.tiers), "rules": [
        {"id": "cold_and_vulnerable", "categories": ["cold"], "vulnerability": ["elderly"],
         "raise_to": "emergency"}]}))
    path.write_text(json.dumps(data), encoding="utf-8")
    table = load_urgency(path)
    assert table.tier("no_heating", "cold", frozenset(), "No heating", "she is 88")[0] \
        == "significant"
    assert table.tier("no_heating", "cold", {"elderly"}, "No heating", "")[0] == "emergency"


def test_the_scorer_reads_a_stated_age_for_the_tier() -> None:
    scored = score_text("Tenant rang, boiler broken down, no heating or hot water since "
                        "Friday. She is 84 and lives on her own.")
    cold = [m for m in scored if m.mention.category == "cold" and m.label == "risk"]
    assert cold and all(m.urgency == "emergency" for m in cold)


def test_the_scorer_gives_urgency_and_priority_as_the_tables_do() -> None:
    import pandas as pd

    from casenotes.engines.batch import score_frame
    from casenotes.scoring import default_scorer

    text = ("T/C strong smell of gas in the kitchen, tenant has a headache and a 3 month old "
            "baby. Black mould in the bathroom.")
    note = default_scorer().score_note(text, "n1")
    assert note.urgency and note.priority > 0 and note.priority_reason
    risky = [m for m in note.mentions if m.label == "risk"]
    assert risky and all(m.urgency for m in risky)
    assert all(m.urgency == "" for m in note.mentions if m.label == "routine")
    assert all(h.urgency for h in note.hazards if h.verdict == "risk")
    notes, mentions = score_frame(pd.DataFrame({"id": ["n1"], "text": [text]}))
    row = notes.iloc[0]
    assert (row["urgency"], row["priority"], row["priority_reason"]) == (
        note.urgency, note.priority, note.priority_reason)
    assert mentions["urgency"].fillna("").tolist() == [m.urgency for m in note.mentions]


_RULE_WORDS = sorted({w for rule in TABLE.rules for w in rule.words | rule.also_words}
                     | {"no", "not"})
_TERMS = sorted({t for rule in TABLE.rules for t in rule.terms} | {"term"})


def _tier_by_word_list(term_id: str, category: str, groups: frozenset[str],
                       sentence: str) -> tuple[str, str | None]:
    """The rules as written: a rule's words and phrases (and its also-words) are looked up in
    the sentence's word list, less those a denial stands in the two words before; the
    lowering rules first, then the raising ones."""
    import re

    def split(text: str) -> list[str]:
        return [w.lower() for w in re.findall(r"[^\W_]+(?:[&'’][^\W_]+)?", text)]

    tokens = split(sentence)
    denials = {"no", "not", "without", "nothing", "never", "nor", "isn't", "wasn't", "aren't",
               "don't", "doesn't", "didn't", "hasn't"}

    def places(phrases: frozenset[str]) -> set[int]:
        return {i for phrase in phrases for i in range(len(tokens))
                if tokens[i:i + len(split(phrase))] == split(phrase)
                and denials.isdisjoint(tokens[max(0, i - 2):i])}

    def holds(rule: object) -> bool:
        if category not in rule.categories or (rule.terms and term_id not in rule.terms):
            return False
        if rule.vulnerability and rule.vulnerability.isdisjoint(groups):
            return False
        found = places(rule.words) if rule.words else {-1}
        beside = places(rule.also_words) if rule.also_words else found
        return bool(found) and any(rule.within is None or abs(i - j) <= rule.within
                                   for i in found for j in beside)

    tier, rule_id = TABLE.tiers.get(term_id, "standard"), None
    for rule in TABLE.rules:
        if rule.lower_to and TIER_WEIGHT[rule.lower_to] < TIER_WEIGHT[tier] and holds(rule):
            tier, rule_id = rule.lower_to, rule.id
    for rule in TABLE.rules:
        if rule.raise_to and TIER_WEIGHT[rule.raise_to] > TIER_WEIGHT[tier] and holds(rule):
            tier, rule_id = rule.raise_to, rule.id
    return tier, rule_id


@given(words=st.lists(st.one_of(st.sampled_from(_RULE_WORDS), st.text(max_size=5)),
                      max_size=8),
       gaps=st.lists(st.sampled_from([" ", "", "'", "&", "-", "_", "K", "\u212a", "'s "]),
                     min_size=8, max_size=8),
       casing=st.sampled_from([str, str.upper, str.title]),
       category=st.sampled_from(sorted({c for rule in TABLE.rules for c in rule.categories})),
       term_id=st.sampled_from(_TERMS),
       groups=st.frozensets(st.sampled_from(sorted(PRIORITY_GROUPS))))
def test_a_rule_word_counts_only_as_a_word_of_the_sentence(
        words: list[str], gaps: list[str], casing: object, category: str, term_id: str,
        groups: frozenset[str]) -> None:
    """The quick check for a rule's words (anywhere in the lower-cased sentence) never
    changes a tier: a word or phrase counts only as words of the sentence, as the rules say,
    within the reach the rule gives its also-words."""
    joined = "".join(w + g for w, g in zip(words, gaps, strict=False))
    sentence = casing(joined)  # type: ignore[operator]
    assert TABLE.tier(term_id, category, groups, sentence) == _tier_by_word_list(
        term_id, category, groups, sentence)
