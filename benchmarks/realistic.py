"""A realistic case-note export for benchmarks: everyday notes that name trades and appliances.

Real exports name trades, appliances, rooms and fittings all the time ("gas engineer running
late", "electrician booked for the extractor fan", "radiator valve replaced"), carry job refs,
phone numbers and addresses, and repeat system templates word for word. So the everyday
sentences here do exactly that, and are *not* filtered for lexicon terms: many pass the
prefilter, some hold equipment words, and some a routine hazard word. About one note in five
also holds a hazard sentence from the training split, as in ``synthetic.py``; a quarter of
notes are templated system entries (job raised, appointment booked, survey logged) with only
the ref and date changed. Lengths follow the same log-normal (median ~60 words, tail to 2,000).
Columns mimic a housing-system export: ``id, targetId, createdAt, description,
categorisation``. Every name, ref and address is invented.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from synthetic import (
    DAYS,
    MAX_WORDS,
    MEDIAN_WORDS,
    SIGMA,
    export_row,
    hazard_sentences,
    write_export,
)

HAZARD_SHARE = 0.2
TEMPLATED_SHARE = 0.25

EVERYDAY = """\
Gas engineer running late, tenant informed by text on {phone}.
Electrician booked for {d} to replace the extractor fan in the bathroom.
Radiator valve replaced in the back bedroom, system bled and topped up.
Boiler service booked for {d}, LGSR due next month, access letter sent.
T/C from tenant re the boiler pressure dropping, talked through repressurising, ok now.
Plumber attended, kitchen tap cartridge replaced, no further issues.
Carpenter to ease the front door, it is catching on the frame, job {ref}.
Job {ref} raised for the handyperson to refix the bathroom cabinet.
Annual gas safety check completed, CP12 issued, copy given to tenant.
Smoke alarm tested on the visit, working, tenant shown how to test it.
Window fitter measured up for the new lounge window, install in 6 weeks.
Tenant asked when the new kitchen is going in, advised the programme date.
Roofer to look at the guttering at the rear of {addr}, blocked with leaves.
Heating engineer replaced the thermostat, tenant shown the new controls.
Electrical test (EICR) booked for {d}, tenant to provide access.
Washing machine hose replaced by the tenant, asked us to check the tap, plumber booked.
Extractor fan in the kitchen noisy, electrician to look at it, ref {ref}.
Shower pump replaced, tested, working, job closed.
Immersion timer reset, tenant shown how it works.
Loft hatch refitted after the insulation top-up by the contractor.
Fire door closer on the communal landing adjusted by the caretaker.
Storage heater in the hall not charging, electrician booked.
Called {phone}, no answer, voicemail left re access for the boiler service.
Tenant at {addr} asked for a new cooker point, passed to the electrical contractor.
Asbestos survey certificate on file for the block, no action for this job.
Damp and mould leaflet given at sign-up as standard.
Letter sent re the annual gas safety check, 3rd attempt, legal warning next.
Contractor completed the kitchen refit, snagging list sent to the tenant.
Garden gate latch replaced, job {ref} complete.
Tenant asked if she can paint the lounge, permission given.
Door entry system repaired by the engineer, all flats tested.
Tiler to regrout around the bath, booked for {d}.
Water meter reading taken for the tenant's bill query.
Caretaker reports the communal lights on the 3rd floor out, electrician booked.
Rent account reviewed, arrears of {n}, repayment plan agreed.
Tenant asked for an update on the transfer application, advised band {b}.
Visited {addr} with the surveyor for the stock condition survey, no issues raised.
Tenancy audit done, photo ID seen, household composition confirmed.
Cooker hood filter replaced, tenant satisfied.
Scaffolding to go up on {d} for the roof works on the block.
Pest control contract renewed for the estate bin stores, routine visits monthly.
Tenant reports the bathroom light pull cord broken, electrician to replace.
Sink waste unblocked by the plumber, job closed same day.
Chimney sweep certificate received for the solid fuel property.
Gas meter moved by the supplier, tenant to tell us if any problems.
Repairs appointment booked for {d} AM, tenant on {phone}.
Tenant moving out on {d}, void inspection booked, keys to the area office.
Carbon monoxide alarm fitted as part of the gas service, tested ok.
Heating and hot water working on arrival, tenant confirmed no issues.
Planned works: new boiler programme for the block, letters out in spring.
"""

TEMPLATES = """\
REPAIR JOB {ref} RAISED - PRIORITY ROUTINE - TRADE: {trade} - DUE {d}
APPOINTMENT CONFIRMED FOR {d} AM - JOB {ref} - SMS SENT TO {phone}
Job {ref} completed by {trade} operative, no further works required.
Automated note: annual gas safety check letter 1 sent to {addr}.
Survey logged against {addr}: stock condition, ref {ref}.
Customer contact: general enquiry, resolved at first point of contact.
Job {ref} cancelled by user - reason: duplicate order.
"""

TRADES = ["GAS", "ELECTRICAL", "PLUMBING", "CARPENTRY", "ROOFING", "GENERAL BUILDER",
          "HEATING", "GLAZING", "DRAINAGE"]
STREETS = ["Example Road", "Sample Court", "Placeholder Way", "Fictional Close", "Model Estate",
           "Test Gardens"]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        n=f"£{rng.randint(5, 900)}", b=rng.randint(1, 4), d=rng.choice(DAYS),
        ref=f"{rng.choice(['JB', 'WO', 'R'])}{rng.randint(100_000, 999_999)}",
        phone=f"07700 900{rng.randint(100, 999)}",
        addr=f"Flat {rng.randint(1, 80)}, {rng.randint(1, 200)} {rng.choice(STREETS)}",
        trade=rng.choice(TRADES))


def notes(count: int, *, seed: int = 0) -> Iterator[dict[str, str]]:
    """Yield ``count`` export rows, deterministically for a seed."""
    rng = random.Random(seed)
    everyday = [line for line in EVERYDAY.splitlines() if line.strip()]
    templated = [line for line in TEMPLATES.splitlines() if line.strip()]
    hazards = hazard_sentences()
    for index in range(count):
        if rng.random() < TEMPLATED_SHARE:
            text = _fill(rng.choice(templated), rng)
        else:
            target = min(MAX_WORDS, max(3, round(rng.lognormvariate(0, SIGMA) * MEDIAN_WORDS)))
            words: list[str] = []
            while len(words) < target:
                words.extend(_fill(rng.choice(everyday), rng).split())
            words = words[:target]
            if rng.random() < HAZARD_SHARE:
                at = rng.randint(0, len(words))
                words[at:at] = rng.choice(hazards).split()
            text = " ".join(words)
            if rng.random() < 0.1:
                text = text.lower()
        yield export_row(rng, 2_000_000 + index, text)


def write_csv(path: Path, count: int, *, seed: int = 0) -> None:
    """Write ``count`` realistic export rows to a UTF-8 CSV."""
    write_export(path, notes(count, seed=seed))
