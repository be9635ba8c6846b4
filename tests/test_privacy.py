"""Personal-data masking: every kind found in realistic notes, and near-misses left alone."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casenotes.privacy import find_personal_data, mask_personal_data, personal_words

# (note, the text that must be masked, its kind). Invented people and places only.
POSITIVES = [
    ("T/C from Mrs Okafor re damp in bedroom", "Okafor", "NAME"),
    ("Spoke to Mr J Kowalski on the phone", "J Kowalski", "NAME"),
    ("Dr. Amelia Price (GP) wrote re mould", "Amelia Price", "NAME"),
    ("Miss Tran says the CO alarm is beeping", "Tran", "NAME"),
    ("call back on 07700 900123 after 5pm", "07700 900123", "PHONE"),
    ("tenant mob 07700900456", "07700900456", "PHONE"),
    ("landline 020 7946 0018", "020 7946 0018", "PHONE"),
    ("ring +44 7700 900789 (daughter)", "+44 7700 900789", "PHONE"),
    ("office 0161 496 0321 ext 4", "0161 496 0321", "PHONE"),
    ("email sent to j.doe+repairs@example.org today", "j.doe+repairs@example.org", "EMAIL"),
    ("property at SW1A 1AA has damp", "SW1A 1AA", "POSTCODE"),
    ("moved to m1 1ae last week", "m1 1ae", "POSTCODE"),
    ("postcode EC1A1BB on file", "EC1A1BB", "POSTCODE"),
    ("NI number QQ 12 34 56 C given", "QQ 12 34 56 C", "NI_NUMBER"),
    ("NINO: AB123456D", "AB123456D", "NI_NUMBER"),
    ("NHS no 943 476 5919 for the referral", "943 476 5919", "NHS_NUMBER"),
    ("nhs number 9434765919", "9434765919", "NHS_NUMBER"),
    ("DOB 04/07/1941, lives alone", "04/07/1941", "DATE_OF_BIRTH"),
    ("date of birth: 3rd March 1950", "3rd March 1950", "DATE_OF_BIRTH"),
    ("visited 12 Acacia Avenue re leak", "12 Acacia Avenue", "ADDRESS"),
    ("Flat 3, 21b Mill Lane - no heating", "Flat 3, 21b Mill Lane", "ADDRESS"),
    ("keys left at 7 Orchard Close.", "7 Orchard Close.", "ADDRESS"),
]

# Look like personal data, but are not (or not in these kinds).
NEAR_MISSES = [
    "Job ref 943 476 5918 raised",            # ten digits, NHS checksum fails
    "Readings 12 34 56 ppm over three days",  # numbers, not an NI number
    "Invoice 0123 raised for the boiler",     # too short for a phone number
    "CP12 done, LGSR uploaded",               # gas shorthand, not a postcode
    "ASB case closed, CO alarm fitted",       # not a postcode
    "Dr appointment on Friday for the tenant",  # a title with no name after it
    "Mrs said the smell of gas has gone",      # a title with no name
    "Reported 3 times in March 2024",           # a date, but not a date of birth
    "Took 2 hours to fix the Main Road leak",  # no house number before the street
    "Smell of gas, 2 Engineers attended",       # number + capitalised word, no street type
    "See www.example.org/report for the policy",  # no @: not an email
]


@pytest.mark.parametrize(("note", "secret", "kind"), POSITIVES)
def test_each_kind_of_personal_data_is_found_and_masked(note: str, secret: str,
                                                        kind: str) -> None:
    spans = find_personal_data(note)
    assert [(note[s.start:s.end], s.kind) for s in spans] == [(secret, kind)]
    masked = mask_personal_data(note)
    assert secret not in masked and f"[{kind}]" in masked


@pytest.mark.parametrize("note", NEAR_MISSES)
def test_near_misses_are_left_alone(note: str) -> None:
    assert find_personal_data(note) == []
    assert mask_personal_data(note) == note


def test_a_timeline_note_masks_everything_and_keeps_the_hazard_words() -> None:
    note = ("05/02 T/C Mrs Adeyemi (07700 900321), 14 Cedar Road, N1 9GU: black mould in baby's "
            "room. DOB 02/03/1988. NI QQ123456C. Email a.adeyemi@example.com")
    masked = mask_personal_data(note)
    assert masked == ("05/02 T/C Mrs [NAME] ([PHONE]), [ADDRESS], [POSTCODE]: black mould in "
                      "baby's room. DOB [DATE_OF_BIRTH]. NI [NI_NUMBER]. Email [EMAIL]")


def test_personal_words_name_the_words_to_hide_in_reasons() -> None:
    assert personal_words("Mr Jon Smith reports damp") == {"jon": "NAME", "smith": "NAME"}


@given(st.text(max_size=300))
def test_spans_slice_the_text_in_order_without_overlap(text: str) -> None:
    spans = find_personal_data(text)
    for before, after in pairwise(spans):
        assert before.end <= after.start
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
    masked = mask_personal_data(text, spans)
    assert len(masked) >= len(text) - sum(s.end - s.start for s in spans)
