"""Case roll-up and the Awaab's Law clock, from dated, scored notes.

Notes are grouped by case (a tenancy or property id) and hazard category. In date order, a
risk mention opens an *episode*; a later note that mentions the category only as routine
history or a negated finding ("mould treated, no recurrence") resolves it; a risk mention after
that opens a new episode (a recurrence). For the latest episode the clock applies from the
first note that reported it: **24 hours** to make an emergency hazard safe, **10 working days**
to investigate damp and mould (England and Wales bank holidays, from the ``holidays``
package). A later note that records an inspection of the category, or its resolution, counts
as the action. This is a triage aid computed from case notes, not a legal determination: a
note is only evidence that someone wrote something down.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Final, Literal

from .priority import TIER_WEIGHT

Clock = Literal["met", "late", "overdue", "due", "not applicable"]
#: Awaab's Law (the Hazards in Social Housing (Prescribed Requirements) (England) Regulations
#: 2025) applies to hazards a landlord became aware of from this day.
AWAAB_IN_FORCE: Final = datetime(2025, 10, 27)
EMERGENCY_HOURS: Final = 24
DAMP_WORKING_DAYS: Final = 10
#: Mention contexts that mean a later note resolved the hazard.
RESOLVING_CONTEXTS: Final = frozenset({"historical", "negated"})
#: Clock states from worst to best, for ordering and properties.
CLOCK_ORDER: Final[tuple[Clock, ...]] = ("overdue", "late", "due", "met", "not applicable")
HOLIDAY_SOURCE: Final = ("England and Wales bank holidays from the 'holidays' package "
                         "(country GB, subdivision ENG)")


@dataclass(frozen=True, slots=True)
class CaseMention:
    """What the roll-up needs of one scored mention."""

    category: str
    label: str
    context: str
    urgency: str = ""


@dataclass(frozen=True, slots=True)
class CaseNote:
    """One dated note of a case, with its scored mentions."""

    case: str
    when: datetime
    note_id: str
    mentions: tuple[CaseMention, ...]
    priority: float = 0.0


@dataclass(frozen=True)
class CaseHazard:
    """One hazard category of one case: its reports, state and Awaab's Law clock."""

    case: str
    category: str
    urgency: str
    first_reported: datetime
    last_reported: datetime
    reports: int
    episodes: int
    resolved_on: datetime | None
    open: bool
    clock_from: datetime
    deadline: datetime | None
    action_on: datetime | None
    clock: Clock
    priority: float
    note_ids: tuple[str, ...] = field(default=())


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=[year]).keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
    if days < 0:
        raise ValueError("days must be zero or more")
    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        if is_working_day(current):
            counted += 1
    return current


def deadline_for(category: str, urgency: str, aware: datetime) -> datetime | None:
    """When the clock runs out for a hazard reported at ``aware`` (None: no deadline applies:
    reported before Awaab's Law came into force, or not an emergency or damp and mould)."""
    if aware.replace(tzinfo=None) < AWAAB_IN_FORCE:
        return None
    if urgency == "emergency":
        return aware + timedelta(hours=EMERGENCY_HOURS)
    if category == "damp_mould" and urgency == "significant":
        return datetime.combine(add_working_days(aware.date(), DAMP_WORKING_DAYS),
                                time(23, 59, 59), tzinfo=aware.tzinfo)
    return None


def roll_up(notes: Iterable[CaseNote], *, as_of: datetime) -> list[CaseHazard]:
    """Every (case, category) with a risk report, sorted by clock state then priority."""
    timelines: dict[tuple[str, str], list[CaseNote]] = defaultdict(list)
    for note in notes:
        for category in {m.category for m in note.mentions}:
            timelines[(note.case, category)].append(note)
    out = []
    for (case, category), timeline in timelines.items():
        hazard = _one_hazard(case, category, sorted(timeline, key=lambda n: n.when), as_of)
        if hazard is not None:
            out.append(hazard)
    out.sort(key=lambda h: (CLOCK_ORDER.index(h.clock), -h.priority, h.case, h.category))
    return out


@dataclass
class _Episode:
    first: CaseNote
    reports: list[CaseNote] = field(default_factory=list)
    urgency: str = ""
    resolved_on: datetime | None = None
    action_on: datetime | None = None


def _one_hazard(case: str, category: str, timeline: Sequence[CaseNote],
                as_of: datetime) -> CaseHazard | None:
    episodes: list[_Episode] = []
    current: _Episode | None = None
    for note in timeline:
        mine = [m for m in note.mentions if m.category == category]
        risky = [m for m in mine if m.label == "risk"]
        if risky:
            if current is None:
                current = _Episode(note)
                episodes.append(current)
            elif current.action_on is None and any(m.context == "inspection" for m in mine):
                current.action_on = note.when  # "on inspection, mould found": investigated
            current.reports.append(note)
            for m in risky:
                if m.urgency in TIER_WEIGHT and (
                        not current.urgency
                        or TIER_WEIGHT[m.urgency] > TIER_WEIGHT[current.urgency]):
                    current.urgency = m.urgency
        elif current is not None:
            if any(m.context in RESOLVING_CONTEXTS for m in mine):
                current.resolved_on = note.when
                current.action_on = current.action_on or note.when
                current = None
            elif current.action_on is None and any(m.context == "inspection" for m in mine):
                current.action_on = note.when
    if not episodes:
        return None
    latest = episodes[-1]
    reports = [n for episode in episodes for n in episode.reports]
    deadline = deadline_for(category, latest.urgency, latest.first.when)
    if deadline is None:
        clock: Clock = "not applicable"
    elif latest.action_on is not None:
        clock = "met" if latest.action_on <= deadline else "late"
    else:
        clock = "overdue" if as_of > deadline else "due"
    return CaseHazard(
        case=case, category=category, urgency=latest.urgency,
        first_reported=reports[0].when, last_reported=reports[-1].when, reports=len(reports),
        episodes=len(episodes), resolved_on=latest.resolved_on,
        open=latest.resolved_on is None, clock_from=latest.first.when, deadline=deadline,
        action_on=latest.action_on, clock=clock,
        priority=max(n.priority for n in latest.reports),
        note_ids=tuple(n.note_id for n in reports),
    )


# ------------------------------------------------------------------------------ tables


def parse_dates(values: Any) -> Any:
    """Dates as exports write them: ISO (2025-11-10T08:00) as is, others day first (10/11/2025,
    the UK way). Unreadable ones become NaT. (pandas' ``dayfirst`` would also swap the day and
    month of an ISO date, so the two kinds are parsed apart.)"""
    import pandas as pd

    text = pd.Series(values, dtype="string").str.strip()
    iso = text.str.match(r"^\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if iso.any():
        parsed[iso] = pd.to_datetime(text[iso], errors="coerce", format="ISO8601",
                                     utc=True).dt.tz_localize(None)
    if (~iso).any():
        parsed[~iso] = pd.to_datetime(text[~iso], errors="coerce", dayfirst=True,
                                      format="mixed")
    return parsed


def next_hazard_rows(rows: Iterator[Any], categories: set[str]) -> list[Any]:
    """A note's rows of the hazards table: the next one per category its mentions name (the
    hazards table follows the notes' order, one row per note and category)."""
    from ..errors import InputSchemaError

    taken = []
    for _ in range(len(categories)):
        hazard = next(rows, None)
        if hazard is None:
            raise InputSchemaError(
                "the hazards table has fewer rows than the mentions table's categories; give "
                "the tables from the same casenotes score run")
        taken.append(hazard)
    return taken


def case_notes(notes: Any, mentions: Any, *, case_column: str, date_column: str,
               hazards: Any = None) -> tuple[list[CaseNote], int]:
    """CaseNotes from a notes table and its mentions table (input order, as score writes
    them), and the number of notes skipped for a missing case or an unreadable date.

    With the hazards table of the same run, a note reports a hazard when its verdict for the
    category is risk (its mentions of the category take the verdict as their label, and the
    hazard's urgency); without it, when any mention of the category is labelled risk.
    """
    import pandas as pd

    from ..errors import InputSchemaError

    for column in (case_column, date_column):
        if column not in notes.columns:
            raise InputSchemaError(
                f"the notes table has no column {column!r} (columns: "
                f"{', '.join(map(str, notes.columns))}); score with --keep "
                f"{case_column},{date_column}")
    when = parse_dates(notes[date_column])
    out, skipped = [], 0
    rows = mentions.itertuples(index=False)
    hazard_rows = hazards.itertuples(index=False) if hazards is not None else None
    for note, stamp in zip(notes.itertuples(index=False), when, strict=True):
        found = []
        for _ in range(int(note.n_mentions)):
            row = next(rows)
            found.append(CaseMention(str(row.category), str(row.label), str(row.context),
                                     "" if pd.isna(getattr(row, "urgency", "")) else
                                     str(getattr(row, "urgency", ""))))
        if hazard_rows is not None and found:
            verdicts = {}
            for hazard in next_hazard_rows(hazard_rows, {m.category for m in found}):
                urgency = "" if pd.isna(hazard.urgency) else str(hazard.urgency)
                verdicts[str(hazard.category)] = (str(hazard.verdict), urgency)
            found = [CaseMention(m.category, verdicts[m.category][0], m.context,
                                 verdicts[m.category][1] if verdicts[m.category][0] == "risk"
                                 else "") if m.category in verdicts else m for m in found]
        case = getattr(note, case_column)
        if pd.isna(stamp) or pd.isna(case) or str(case) == "":
            skipped += 1
            continue
        priority = getattr(note, "priority", 0.0)
        out.append(CaseNote(str(case), stamp.to_pydatetime().replace(tzinfo=None),
                            str(note.note_id), tuple(found),
                            0.0 if pd.isna(priority) else float(priority)))
    return out, skipped


def hazards_table(hazards: Sequence[CaseHazard]) -> Any:
    """The roll-up as a DataFrame, one row per case and category."""
    import pandas as pd

    return pd.DataFrame({
        "case": [h.case for h in hazards],
        "category": [h.category for h in hazards],
        "urgency": [h.urgency for h in hazards],
        "first_reported": [h.first_reported for h in hazards],
        "last_reported": [h.last_reported for h in hazards],
        "reports": [h.reports for h in hazards],
        "episodes": [h.episodes for h in hazards],
        "open": [h.open for h in hazards],
        "resolved_on": [h.resolved_on for h in hazards],
        "clock_from": [h.clock_from for h in hazards],
        "deadline": [h.deadline for h in hazards],
        "action_on": [h.action_on for h in hazards],
        "clock": [h.clock for h in hazards],
        "priority": [h.priority for h in hazards],
        "note_ids": ["; ".join(h.note_ids) for h in hazards],
    })
