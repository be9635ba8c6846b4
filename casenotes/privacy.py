"""Personal-data masking: find names, phone numbers, emails, postcodes, NI and NHS numbers,
dates of birth and street addresses in note text, and mask them as ``[PHONE]``, ``[NAME]``...

Rules only, tuned for UK housing notes; each kind has realistic positives and near-misses in
``tests/test_privacy.py``. :func:`find_personal_data` returns spans on the original text, so a
caller can mask while keeping its own offsets (the report masks between highlighted hazard
terms, and hazard offsets stay those of the original note). Nothing here logs or raises with
note text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from .types import Reason

PersonalKind = Literal["NAME", "PHONE", "EMAIL", "POSTCODE", "NI_NUMBER", "NHS_NUMBER",
                       "DATE_OF_BIRTH", "ADDRESS"]
PERSONAL_KINDS: Final[tuple[PersonalKind, ...]] = (
    "EMAIL", "NHS_NUMBER", "NI_NUMBER", "PHONE", "POSTCODE", "DATE_OF_BIRTH", "ADDRESS", "NAME")


@dataclass(frozen=True, slots=True)
class PersonalData:
    """One piece of personal data at ``text[start:end]``."""

    start: int
    end: int
    kind: PersonalKind

    @property
    def placeholder(self) -> str:
        return f"[{self.kind}]"


_EMAIL = re.compile(r"\b[\w.+'-]+@[\w-]+(?:\.[\w-]+)+\b")
# UK numbers: +44 / 0044 / 0 then 9-10 digits, in the usual groupings.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)44\s?\(?0?\)?\s?|0)"
    r"(?:\d{2}\s?\d{4}\s?\d{4}|\d{3}\s?\d{3}\s?\d{4}|\d{4}\s?\d{3}\s?\d{3,4}|\d{4}\s?\d{6}"
    r"|\d{3}\s?\d{4}\s?\d{4}|7\d{3}\s?\d{6}|7\d{3}\s?\d{3}\s?\d{3})(?!\d)"
)
# Postcodes: outward code (A9, A99, AA9, AA99, A9A, AA9A) + inward code (9AA).
_POSTCODE = re.compile(
    r"\b(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])\s?[0-9][ABD-HJLNP-UW-Z]{2}\b",
    re.IGNORECASE,
)
# National Insurance numbers: two letters (not D, F, I, U, V; second not O; QQ, the example
# prefix, is masked too: better masked than leaked), six digits,
# a suffix A-D; with or without spaces.
_NI_NUMBER = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-TW-Z][A-CEGHJ-NP-TW-Z]"
    r"\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b",
    re.IGNORECASE,
)
_NHS_CANDIDATE = re.compile(r"(?<![\d-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d-])")
_DOB = re.compile(
    r"\b(?:d\.?o\.?b\.?|date of birth|born(?: on)?)\s*[:\-]?\s*"
    r"(\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?\s+\d{4})",
    re.IGNORECASE,
)
_STREET_TYPES = (
    "road", "rd", "street", "st", "avenue", "ave", "av", "lane", "ln", "close", "cl", "drive",
    "dr", "way", "court", "ct", "crescent", "cres", "place", "pl", "gardens", "gdns", "grove",
    "gr", "terrace", "terr", "square", "sq", "hill", "park", "rise", "walk", "mews", "row",
    "green", "parade", "view", "house", "estate", "wharf",
)
# A house or flat number, optionally a flat/letter, then one to four capitalised words and a
# street type: "12 Acacia Avenue", "Flat 3, 21b Mill Lane".
_ADDRESS = re.compile(
    r"\b(?:(?:flat|apartment|apt|unit)\s+\d+[A-Za-z]?,?\s+)?\d{1,4}[A-Za-z]?,?\s+"
    r"(?:[A-Z][a-z'’]+\s+){1,4}(?:" + "|".join(_STREET_TYPES) + r")\b\.?",
    re.IGNORECASE,
)
_TITLE_NAME = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Master)\.?\s+"
    r"((?:[A-Z][a-zA-Z'’-]+|[A-Z]\.?)(?:\s+(?:[A-Z][a-zA-Z'’-]+|[A-Z]\.?))?)"
    r"(?:\s+([A-Z][a-zA-Z'’-]+))?"
)
#: Capitalised words after a title that are not names ("Mr Repairs"? no: "Dr appointment").
_NOT_NAMES: Final = frozenset({
    "and", "or", "the", "to", "at", "in", "on", "is", "was", "has", "had", "said", "says",
    "reports", "reported", "called", "rang", "phoned", "appointment", "surgery", "letter",
    "note", "advised", "agreed", "states", "stated", "asked", "will", "would",
})


def _nhs_valid(digits: str) -> bool:
    """The NHS number check digit (modulus 11)."""
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def find_personal_data(text: str) -> list[PersonalData]:
    """Personal data in ``text``, in order, without overlaps (earlier and longer spans win)."""
    found: list[PersonalData] = []
    for match in _EMAIL.finditer(text):
        found.append(PersonalData(match.start(), match.end(), "EMAIL"))
    for match in _NHS_CANDIDATE.finditer(text):
        if _nhs_valid("".join(match.groups())):
            found.append(PersonalData(match.start(), match.end(), "NHS_NUMBER"))
    for match in _NI_NUMBER.finditer(text):
        found.append(PersonalData(match.start(), match.end(), "NI_NUMBER"))
    for match in _PHONE.finditer(text):
        found.append(PersonalData(match.start(), match.end(), "PHONE"))
    for match in _POSTCODE.finditer(text):
        found.append(PersonalData(match.start(), match.end(), "POSTCODE"))
    for match in _DOB.finditer(text):
        found.append(PersonalData(match.start(1), match.end(1), "DATE_OF_BIRTH"))
    for match in _ADDRESS.finditer(text):
        found.append(PersonalData(match.start(), match.end(), "ADDRESS"))
    for match in _TITLE_NAME.finditer(text):
        words = [(m.start(), m.end()) for m in re.finditer(r"\S+", match.group(0))][1:]
        end = match.start()
        for start_in, end_in in words:
            word = match.group(0)[start_in:end_in].strip(".,").lower()
            if word in _NOT_NAMES:
                break
            end = match.start() + end_in
        name_start = match.start(1)
        if end > name_start:
            found.append(PersonalData(name_start, end, "NAME"))
    return _without_overlaps(found)


def _without_overlaps(spans: Iterable[PersonalData]) -> list[PersonalData]:
    rank = {kind: i for i, kind in enumerate(PERSONAL_KINDS)}
    ordered = sorted(spans, key=lambda s: (s.start, -(s.end - s.start), rank[s.kind]))
    kept: list[PersonalData] = []
    for span in ordered:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def mask_personal_data(text: str, spans: Sequence[PersonalData] | None = None) -> str:
    """``text`` with each piece of personal data replaced by its placeholder ("[PHONE]")."""
    spans = find_personal_data(text) if spans is None else spans
    pieces, cursor = [], 0
    for span in spans:
        pieces.append(text[cursor:span.start])
        pieces.append(span.placeholder)
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def personal_words(text: str, spans: Sequence[PersonalData] | None = None,
                   ) -> dict[str, PersonalKind]:
    """The lower-cased words inside personal-data spans, with their kind (to mask reasons)."""
    spans = find_personal_data(text) if spans is None else spans
    words: dict[str, PersonalKind] = {}
    for span in spans:
        for word in re.findall(r"[^\W_]+(?:['’][^\W_]+)?", text[span.start:span.end]):
            words[word.lower()] = span.kind
    return words


def mask_reason(reason: Reason, hidden: Mapping[str, str]) -> Reason:
    """A reason whose feature names a word of personal data, with the word replaced by its
    placeholder: ``L1=okafor (+0.31)`` -> ``L1=[NAME] (+0.31)``; ``hidden`` is
    :func:`personal_words` of the note."""
    feature, equals, value = reason.what.partition("=")
    if equals and value in hidden:
        return Reason(f"{feature}=[{hidden[value]}]", reason.weight)
    return reason


def hashed_reference(ref: str) -> str:
    """A job or reference number as 12 hex digits of its SHA-256: equal numbers stay equal,
    so a masked table still ties an event to its job."""
    import hashlib

    return "#" + hashlib.sha256(ref.encode()).hexdigest()[:12]
