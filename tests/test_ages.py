"""Ages written as numbers: read beside a person, never from a flat, a reading or a date."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casenotes.nlp.ages import stated_ages, states_age_from


@pytest.mark.parametrize(("text", "age"), [
    ("NB T now has no heating or hot water, she is 79 with arthritis", 79),
    ("No heating or hot water now - tenant is 81 and lives alone", 81),
    ("No heating or hot water now. Mr O is 88 and flat is 14C", 88),
    ("He says he is 91 and lives alone, its -3 out there", 91),
    ("she's 86, v frail", 86),
    ("Daughter of Mr B (84, lives alone, COPD) at 3 Primrose Cottages", 84),
    ("Mrs Pryce (82) rang - night storage heater giving off burning smell", 82),
    ("OOH. mr O 84 lives alone 5 peel cl. boiler showing F28", 84),
    ("Mrs L, 79, rang heating not working", 79),
    ("Winter check call Mr F, 90. Says all good", 90),
    ("Daughter of Mr O (flat 3, 92) called: dad's CO alarm has been going off", 92),
    ("tenant's dad (COPD, 80) is staying", 80),
    ("Follow-up with Mrs K (lives alone, 79).", 79),
    ("heaters not working x3 flat 20, tenant 79 w/ dementia", 79),
    ("Tenant 72 with COPD. Also condensation", 72),
    ("RESIDENT 93, HARD OF HEARING", 93),
    ("Tenant age: 86", 86),
    ("Mrs Ballantyne-Kerr 79, 1 Wicket Lane bungalow", 79),
    ("mum is in her late 80s", 87),
    ("he is in his eighties", 80),
])
def test_an_age_beside_a_person_is_read(text: str, age: int) -> None:
    assert age in stated_ages(text)


@pytest.mark.parametrize("text", [
    "Flat 84, Cedar Tower: no heating",
    "Resident at flat 91 Cedar Tower has requested a PEEP",
    "Ms F 72 Wickham Road says smell of gas",
    "Mr D, house 72: rats seen daily",
    "Mrs A flat 84, boiler down",
    "CO reading is 70ppm in the kitchen",
    "humidity is 80% in the bedroom",
    "T is 80% sure the smell is gas",
    "lounge is 14C with the heating on full",
    "she is 79 minutes from the depot",
    "w/o 66120 raised, job ref 84531",
    "attended 12/10/84, capped",
    "the block is 70 years old",
    "CO alarm (85) sounding",
])
def test_a_number_that_is_not_a_persons_age_is_not_read(text: str) -> None:
    assert all(age < 65 for age in stated_ages(text)), stated_ages(text)


def test_every_age_a_note_states_is_read_in_order() -> None:
    assert stated_ages("Mr and Mrs L: he is 81, she's 79. Son is 12.") == (81, 79)


@given(st.text(max_size=300))
def test_any_text_reads_as_ages_of_two_or_three_digits(text: str) -> None:
    assert all(10 <= age <= 999 for age in stated_ages(text))


@given(st.integers(min_value=65, max_value=119),
       st.sampled_from(["%", "ppm", "mm", " mins", " days", "C"]))
def test_a_number_with_a_unit_is_never_an_age(number: int, unit: str) -> None:
    assert stated_ages(f"tenant is {number}{unit} today") == ()


@given(st.text(max_size=200), st.sampled_from([60, 65, 80, 100]))
def test_the_quick_rule_out_never_changes_the_answer(text: str, from_age: int) -> None:
    assert states_age_from(text, from_age) == any(age >= from_age for age in stated_ages(text))


@pytest.mark.parametrize(("text", "from_age", "states"), [
    ("she is 79, lives alone", 65, True),
    ("she is 79, lives alone", 80, False),
    ("tenant is 41", 65, False),
    ("mum is in her eighties", 65, True),
])
def test_a_note_states_an_age_from(text: str, from_age: int, states: bool) -> None:
    assert states_age_from(text, from_age) is states
