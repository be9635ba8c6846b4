"""Residents' ages written as numbers: "she is 79", "Mr B (84, lives alone)", "Mrs L, 79, rang".

The vulnerability lexicon reads the unambiguous forms ("aged 84", "84 years old", "84yo"). A
bare number is an age only beside a person ("she is 79", "tenant 72 with COPD") or in a
person's bracket or list ("Mrs K (lives alone, 79)"); the same number after a flat, a reading
or a date is not. The urgency rules read these ages for the tier (see
:meth:`casenotes.triage.priority.UrgencyTable.tier`).
"""

from __future__ import annotations

import re
from typing import Final

#: Two or three digits, not part of a longer number, a decimal, a range or a date.
_NUMBER: Final = r"(?<![\d.,/:-])(\d{2,3})(?![\d]|\.\d|/\d|:\d|-\d)"
#: A unit or a time after the number: "is 80%", "was 70ppm", "is 14C", "aged 15 mins".
_NOT_A_UNIT: Final = (r"(?!\s*(?:%|ppm|p\b|mm\b|cm\b|m\b|kg\b|°|deg|c\b|f\b|mins?\b|minutes|"
                      r"hours?\b|hrs?\b|days?\b|weeks?\b|wks?\b|months?\b|years?\s+ago|"
                      r"yrs?\s+ago|mb\b|psi\b|bar\b|sq\b))")
#: "Mrs K", "Mr Walter Keane", "Mrs Ballantyne-Kerr"; not "Mrs A flat 14".
_TITLE: Final = (r"(?:mr|mrs|ms|miss|mx)\.?\s+[a-z][\w'’-]*"
                 r"(?:\s+(?!(?:flat|fl|house|no|block|apt|unit|at|of|in)\b)[a-z][\w'’-]*)?")
_PERSON: Final = (r"(?:he|she|who|tenant|tnt|resident|occupant|mum|mother|dad|father|husband|"
                  r"wife|partner|nan|gran|grandma|grandad|granddad|lady|gentleman|" + _TITLE
                  + ")")
_DECADES: Final = (r"(?:late\s+|mid[\s-]+|early\s+)?(?:[789]0['’]?s|seventies|eighties|nineties)"
                   r"|late\s+(?:60['’]?s|sixties)")
_FORMS: Final = (
    # "she is 79", "Mr O is 88", "mum was 91", "tenant now 84"
    rf"\b{_PERSON}\s+(?:is|was|now|turned|aged)\s+{_NUMBER}{_NOT_A_UNIT}",
    # "she's 86"
    rf"\b(?:he|she)['’]s\s+{_NUMBER}{_NOT_A_UNIT}",
    # "age 86", "aged: 84"
    rf"\baged?\s*:?\s*{_NUMBER}{_NOT_A_UNIT}",
    # "84 lives alone", "91, living on her own"
    rf"\b{_NUMBER},?\s+(?:and\s+)?(?:lives|living)\s+(?:alone|on\s+(?:his|her)\s+own)",
    # "Mrs L, 79, rang", "Mr F, 90. Says", "Mrs Ballantyne-Kerr 79, 1 Wicket Lane", "Mr P, 84 yrs"
    rf"\b{_TITLE},?\s+{_NUMBER}\s*(?:,|\)|\.\s|yrs?\b|y/?o\b)",
    # "tenant 79 w/ dementia", "tnt 84, dec", "resident 93, hard of hearing", "tenant 80+"
    rf"\b(?:tenant|tnt|resident|occupant)\s+{_NUMBER}\s*(?:\+|,|\)|w/|with\b|and\b|who\b|"
    r"has\b|is\b)",
    # "Mr B (84, lives alone", "Mrs Pryce (82)", "Mr O (flat 3, 92)", "dad (COPD, 80)"
    rf"\b(?:t|{_PERSON})\s*\((?:[^()\n]{{1,40}}?,\s*)?{_NUMBER}\s*(?:[),]|yrs?\b)",
    # "in her late 80s", "in his eighties"
    rf"\bin\s+(?:his|her|their)\s+(?:{_DECADES})",
)
_STATED_AGE: Final = re.compile("|".join(f"(?:{form})" for form in _FORMS), re.IGNORECASE)
_DECADE_AGE: Final = {"six": 60, "seven": 70, "eigh": 80, "nine": 90}


def stated_ages(text: str) -> tuple[int, ...]:
    """The ages the note gives a person, in order of writing ("in her 80s" gives 80, "in her
    late 60s" 67)."""
    ages = []
    for match in _STATED_AGE.finditer(text):
        number = next((group for group in match.groups() if group), None)
        if number is not None:
            ages.append(int(number))
            continue
        decade = match.group(0).lower()
        digits = re.search(r"[6-9]0", decade)
        base = int(digits.group(0)) if digits else next(
            value for stem, value in _DECADE_AGE.items() if stem in decade)
        ages.append(base + 7 if "late" in decade else base + 4 if "mid" in decade else base)
    return tuple(ages)


#: Every age of 60 or more the forms read holds one of these ("79", "104", "eighties").
_MAYBE_SIXTY_OR_MORE: Final = re.compile(r"[6-9]\d|1[01]\d|ties", re.IGNORECASE)
#: How much of the note around such a number the forms need: the longest reaches back from
#: the age over a title, a name and a bracket of 40 characters.
_BEFORE, _AFTER = 100, 30


def states_age_from(text: str, from_age: int) -> bool:
    """Whether the note gives a person an age of ``from_age`` or more. For 60 or more only the
    text around each number of 60 or more (or "...ties") is read: long notes are full of
    dates and job numbers, and the forms are slow to try at every place."""
    if from_age < 60:
        return any(age >= from_age for age in stated_ages(text))
    for candidate in _MAYBE_SIXTY_OR_MORE.finditer(text):
        start, end = candidate.span()
        if text[start].isdigit() and ((start and text[start - 1].isdigit())
                                      or (end < len(text) and text[end].isdigit())):
            continue  # part of a longer number: a year, a job number
        window = text[max(0, start - _BEFORE):end + _AFTER]
        if any(age >= from_age for age in stated_ages(window)):
            return True
    return False
