"""Synthetic case-note exports for benchmarks: a realistic length mix, few hazard notes.

Lengths follow a log-normal with a median of about 60 words and a long tail capped at 2,000;
about one note in five holds a hazard sentence taken from the project's own labelled notes
(``data/samples/train.jsonl``); the rest are built from everyday housing-management sentences
below, checked at start-up to contain no hazard term. Columns mimic a housing-system export:
``id, targetId, createdAt, description, categorisation``.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterator
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
HAZARD_SHARE = 0.2
MEDIAN_WORDS, SIGMA, MAX_WORDS = 60, 0.9, 2000
EXPORT_COLUMNS = ["id", "targetId", "createdAt", "description", "categorisation"]

EVERYDAY = """\
T/C from tenant re rent account, agreed repayment plan of {n} per week starting next Monday.
Tenant asked for an update on the transfer application, advised band {b} and bidding is open.
Left voicemail for Mr {x} to call back re tenancy audit appointment.
Home visit completed, tenancy audit done, photo ID seen, household composition confirmed.
Kitchen cupboard door hinge replaced, job complete, tenant satisfied.
Front door lock changed at tenant's request after lost keys, recharge of {n} explained.
Letter sent re garden maintenance, hedge overgrown onto the path, 28 days to cut back.
Resident asked about parking permits for the estate, passed to estates team.
Universal Credit direct payments set up, landlord portal updated.
Tenant reports noise from a neighbour playing music late at night, diary sheets sent.
Discussed succession rights with the daughter, copy of tenancy agreement provided.
Bin store door not closing, caretaker to adjust the closer on next visit.
Tenant requested a copy of the rent statement for the council tax office, emailed same day.
Mutual exchange paperwork received, references requested from both landlords.
Caller wanted to know when the communal windows will be cleaned, schedule sent.
Arrears now {n}, notice of seeking possession discussed, tenant engaging.
Repairs appointment booked for {d} AM to ease a sticking bedroom door.
Tenant thanked the team for the new kitchen worktop, no further issues.
Shower curtain rail loose, handyperson to refix, low priority.
Visited with interpreter, explained the tenancy conditions and how to report repairs.
Housing benefit claim form completed with the tenant and sent off today.
Tenant moving out on {d}, keys to be returned to the area office, end of tenancy visit booked.
Garden fence panel blown over in the wind, tenant will arrange replacement themselves.
Change of address for correspondence recorded, tenant staying with family for two weeks.
Complaint about the estate lifts being slow, passed to the lift contractor to look at.
Request for a garden shed, permission granted with standard conditions.
Rent increase letter queried, explained the new weekly charge of {n}.
Tenant asked for help with a food bank referral, voucher issued.
Intro visit to new tenant, sign-up pack explained, direct debit set up.
Missed appointment, card left, tenant to ring to rebook.
Loose towel rail in bathroom refixed, plugs and fixings supplied.
Kitchen tap dripping, washer replaced, job closed.
Door entry handset buzzing intermittently, engineer booked.
Communal carpet on the landing worn, added to planned works list.
Tenant asked whether they can keep a cat, permission granted in writing.
Estate inspection done with residents' association, litter pick requested.
Pest-free estate walkabout not needed this quarter per estates manager.
Tenant disputes recharge for a broken window blind, evidence requested.
Sign-up for new tenant at flat {n} completed, keys handed over.
Tenant reports a stolen bicycle from the bike store, crime reference noted.
Called the tenant back about the decoration allowance, vouchers posted.
Statutory notice served correctly, copy on file.
Occupational therapist assessment requested for a grab rail by the front step.
Tenant unhappy with the time taken to answer the phone, apology given.
Spoke with support worker, tenant settling in well, no concerns raised.
Tenant asked about adding partner to the tenancy, joint tenancy form sent.
Estate car park barrier stuck open, contractor informed.
Quarterly newsletter delivered to all blocks on the estate.
Tenant asked for a replacement fob for the main entrance, fob issued.
Case closed after resolution agreed with the tenant by phone.
Handyperson fitted curtain poles in the lounge and second bedroom.
Reviewed the case file, no further action required at this time.
Tenant requested a larger home due to overcrowding, housing register form completed.
Payment of {n} received, account now clear.
Appointment rearranged to {d} at tenant's request.
"""

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "12/03", "4 June", "the 21st"]


def everyday_sentences() -> list[str]:
    """The everyday sentence templates, minus any in which the finder sees a hazard."""
    from casenotes import find_mentions

    lines = [line for line in EVERYDAY.splitlines() if line.strip()]
    clean = [line for line in lines
             if not find_mentions(line.format(n="£25", b="2", x="A", d="Mon"))]
    if len(clean) < len(lines) * 0.9:
        raise RuntimeError("too many everyday sentences mention a hazard; fix the templates")
    return clean


def hazard_sentences() -> list[str]:
    """Sentences holding a labelled hazard mention, from the training split."""
    from casenotes.evaluation import read_labelled

    out = []
    for note in read_labelled(SAMPLES / "train.jsonl"):
        for mention in note.mentions:
            start = max(note.text.rfind(".", 0, mention.start), note.text.rfind("\n", 0,
                                                                                mention.start))
            end = min((i for i in (note.text.find(".", mention.end),
                                   note.text.find("\n", mention.end)) if i >= 0),
                      default=len(note.text))
            sentence = re.sub(r"\s+", " ", note.text[start + 1:end + 1]).strip()
            if 3 <= len(sentence.split()) <= 60:
                out.append(sentence)
    return sorted(set(out))


def notes(count: int, *, seed: int = 0) -> Iterator[dict[str, str]]:
    """Yield ``count`` export rows, deterministically for a seed."""
    rng = random.Random(seed)
    everyday, hazards = everyday_sentences(), hazard_sentences()
    for index in range(count):
        target = min(MAX_WORDS, max(3, round(rng.lognormvariate(0, SIGMA) * MEDIAN_WORDS)))
        words: list[str] = []
        while len(words) < target:
            template = rng.choice(everyday)
            words.extend(template.format(n=f"£{rng.randint(5, 900)}", b=rng.randint(1, 4),
                                         x=rng.choice("ABCDHJKLMPRST"),
                                         d=rng.choice(DAYS)).split())
        words = words[:target]
        if rng.random() < HAZARD_SHARE:
            at = rng.randint(0, len(words))
            words[at:at] = rng.choice(hazards).split()
        text = " ".join(words)
        if rng.random() < 0.1:
            text = text.lower()
        yield export_row(rng, 1_000_000 + index, text)


def export_row(rng: random.Random, number: int, text: str) -> dict[str, str]:
    """One row of a housing-system export around a note's text: id, property, time, category."""
    return {
        "id": str(number), "targetId": f"PROP{rng.randint(1, 40_000):06d}",
        "createdAt": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
                     f"{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:00",
        "description": text,
        "categorisation": rng.choice(["Repairs", "Tenancy", "Rent", "ASB", "Compliance",
                                      "Complaint", "Welfare"]),
    }


def write_export(path: Path, rows: Iterator[dict[str, str]]) -> None:
    """Write export rows (:func:`export_row`) to a UTF-8 CSV."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def write_csv(path: Path, count: int, *, seed: int = 0) -> None:
    """Write ``count`` synthetic export rows to a UTF-8 CSV."""
    write_export(path, notes(count, seed=seed))
