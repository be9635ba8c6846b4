"""Case roll-up and the Awaab's Law clock, from dated notes and the events they record.

Notes are grouped by case (a tenancy or property id); each note brings its events per hazard
category (``casenotes.events``: reported, booked, no_access, refused, inspected, made_safe,
works_done, resolved, chaser, recurrence). In date order, per category, an *episode* opens at
a report (or a chaser or a return, when nothing is open) and closes at works done or a
resolution; a report after a close opens a new episode (a recurrence) with a new clock. A
repeat report or complaint while an episode is open is a chaser: same episode, same clock; a
chaser after the close (a complaint about how it went) opens nothing, nor does a note that
only shows an emergency after its close (a letter retelling it: :func:`_retells`).
Events of a note that names no hazard ("attended, no answer, card left") go to the case's
most recently active open episode.

For the latest episode the clock runs from the note that opened it: **24 hours** to make an
emergency hazard safe (stopped by made_safe, works_done or resolved), **10 working days** to
investigate damp and mould (also stopped by inspected; England and Wales bank holidays from
the ``holidays`` package). Bookings, no-access visits, refusals and chasers never stop it.
This is a triage aid computed from case notes, not a legal determination: a note is only
evidence that someone wrote something down.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Final, Literal

from ..io.schema import is_missing, join_list, split_list
from ..types import OPENING_EVENTS, named_only_as_part
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
    #: The lexicon entry it matched ("no_hot_water"), where the roll-up needs to know.
    term_id: str = ""


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One event of a note: its category ("" when the note names no hazard) and the tier the
    hazard takes in that note (for an episode opened by an event on a routine verdict)."""

    category: str
    event: str
    tier: str = ""
    #: For an event of no category: the category the note's equipment points to.
    about: str = ""
    #: Job or reference numbers the note names.
    refs: tuple[str, ...] = ()
    #: What the event rests on ("model", "rule", "verdict"; "" where not known, as for events
    #: derived from the mentions or read from an events table written before the column).
    basis: str = ""


@dataclass(frozen=True, slots=True)
class CaseNote:
    """One dated note of a case, with its scored mentions and events (None: derive the events
    from the mentions, as tables scored without ``--events`` require)."""

    case: str
    when: datetime
    note_id: str
    mentions: tuple[CaseMention, ...]
    priority: float = 0.0
    events: tuple[CaseEvent, ...] | None = None


@dataclass(frozen=True, slots=True)
class EpisodeEvent:
    """An event of an episode as the roll-up read it (a report while open becomes a chaser)."""

    when: datetime
    note_id: str
    event: str
    episode: int = 1

    def __str__(self) -> str:
        return f"{self.when:%Y-%m-%d %H:%M} {self.note_id} {self.event}"


@dataclass(frozen=True)
class CaseHazard:
    """One hazard category of one case: its reports, state and Awaab's Law clock, with the
    notes that opened the latest episode, stopped its clock and closed it."""

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
    opened_by: str = ""
    action_by: str = ""
    resolved_by: str = ""
    #: Every episode's events, in order (``episode`` numbers them from 1).
    all_events: tuple[EpisodeEvent, ...] = field(default=())

    @property
    def events(self) -> tuple[EpisodeEvent, ...]:
        """The latest episode's events, in order."""
        return tuple(e for e in self.all_events if e.episode == self.episodes)


#: Events that close an episode (those that open one: ``types.OPENING_EVENTS``).
CLOSING_EVENTS: Final = frozenset({"works_done", "resolved"})
#: Events that, after an episode closed and before another opens, confirm the close ("no
#: mould on revisit"): listed with the closed episode, changing neither its clock nor its close.
CONFIRMING_EVENTS: Final = frozenset({"inspected", "resolved"})
#: Events that together show a hazard was found: a note that names the hazard and inspects and
#: makes it safe with no episode open (an engineer's "tightness test FAIL ... capped at ECV")
#: reports it there. A hazard the note names only by its equipment opens nothing.
FINDING_EVENTS: Final = frozenset({"inspected", "made_safe"})
#: Hazards whose making safe causes another: no heating after a boiler is condemned for a
#: gas or carbon monoxide danger ends when that danger's works are done. Only these hazards
#: are linked to another episode (see ``_Episode.linked_to``).
CAUSES_OF: Final[dict[str, tuple[str, ...]]] = {"cold": ("carbon_monoxide", "gas")}
#: Hazards with one source: making the appliance or circuit safe makes both safe ("boiler
#: ID, condemned & disconnected, capped" ends the carbon monoxide danger the engineer
#: inspected; isolating a burnt socket ends the fire danger the electrician inspected there;
#: see also ``MAKES_SAFE``).
ONE_SOURCE: Final = (frozenset({"gas", "carbon_monoxide"}), frozenset({"electrical", "fire"}))
#: A source whose making safe ends an open danger of another hazard even where the note does
#: not name it: isolating the circuit that burned or smoked ("fused spur melted ... circuit
#: isolated, cable terminated - safe") ends the fire danger reported from it. Not the other way
#: (a fire's debris cleared leaves the circuit live), and not gas for carbon monoxide, whose
#: alarm may have another source (a solid-fuel stove, a neighbour's flue).
MAKES_SAFE: Final[dict[str, str]] = {"electrical": "fire"}
#: Events that stop the clock, by the hazard's deadline rule.
CLOCK_STOPPING: Final[dict[str, frozenset[str]]] = {
    "emergency": frozenset({"made_safe", "works_done", "resolved"}),
    "significant": frozenset({"inspected", "made_safe", "works_done", "resolved"}),
    "standard": frozenset({"inspected", "made_safe", "works_done", "resolved"}),
}


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


def events_from_mentions(mentions: Iterable[CaseMention]) -> tuple[CaseEvent, ...]:
    """Events as mention labels and contexts suggest them, for notes scored without events:
    a risk mention reports, an inspection context inspects, a historical or negated mention
    (with no risk mention of the category) resolves."""
    by_category: dict[str, list[CaseMention]] = defaultdict(list)
    for mention in mentions:
        by_category[mention.category].append(mention)
    out = []
    for category, mine in by_category.items():
        risky = [m for m in mine if m.label == "risk"]
        if risky:
            tier = max((m.urgency for m in risky if m.urgency in TIER_WEIGHT),
                       key=TIER_WEIGHT.__getitem__, default="")
            out.append(CaseEvent(category, "reported", tier))
        if any(m.context == "inspection" for m in mine):
            out.append(CaseEvent(category, "inspected"))
        if not risky and any(m.context in RESOLVING_CONTEXTS for m in mine):
            out.append(CaseEvent(category, "resolved"))
    return tuple(out)


def roll_up(notes: Iterable[CaseNote], *, as_of: datetime) -> list[CaseHazard]:
    """Every (case, category) with an episode, sorted by clock state then priority."""
    cases: dict[str, list[CaseNote]] = defaultdict(list)
    for note in notes:
        cases[note.case].append(note)
    out = []
    for case, timeline in cases.items():
        out.extend(_case_hazards(case, sorted(timeline, key=lambda n: n.when), as_of))
    out.sort(key=lambda h: (CLOCK_ORDER.index(h.clock), -h.priority, h.case, h.category))
    return out


@dataclass
class _Episode:
    category: str
    first: CaseNote
    reports: list[CaseNote] = field(default_factory=list)
    events: list[tuple[CaseNote, str]] = field(default_factory=list)
    urgency: str = ""
    closed: CaseNote | None = None
    refs: set[str] = field(default_factory=set)
    #: The open episode this one was found with ("boiler condemned for CO: no heating"): it
    #: closes when that one does, unless its own notes close it first.
    linked_to: _Episode | None = None

    def raise_urgency(self, tier: str) -> None:
        if tier in TIER_WEIGHT and (not self.urgency
                                    or TIER_WEIGHT[tier] > TIER_WEIGHT[self.urgency]):
            self.urgency = tier


def with_verdicts(mentions: Iterable[CaseMention], verdicts: Mapping[str, tuple[str, str]],
                  ) -> tuple[CaseMention, ...]:
    """Mentions labelled by their note's verdict on their category, ``verdicts[category] =
    (verdict, urgency)``, the urgency kept only for a risk verdict; a category with no
    verdict keeps its mentions' own labels."""
    return tuple(CaseMention(m.category, verdicts[m.category][0], m.context,
                             verdicts[m.category][1] if verdicts[m.category][0] == "risk"
                             else "", m.term_id) if m.category in verdicts else m
                 for m in mentions)


def _closes_with(category: str, other: _Episode) -> bool:
    """Whether works done on (or the resolution of) ``category`` also close ``other``, an open
    episode the note does not name: one source ("boiler replaced" ends its gas and carbon
    monoxide dangers; a circuit renewed, its electrical and fire ones); the cause's works end
    the hazard it caused (the condemned boiler replaced: no heating ends); the caused
    hazard's works end its cause only once the cause was made safe (the boiler capped and the
    heating restored by its replacement: never a gas escape left live)."""
    if any({category, other.category} == pair for pair in ONE_SOURCE):
        return True
    if category in CAUSES_OF.get(other.category, ()):
        return True
    return other.category in CAUSES_OF.get(category, ()) and any(
        name == "made_safe" for _, name in other.events)


def _note_events(note: CaseNote, open_episodes: dict[str, _Episode],
                 active: dict[str, datetime]) -> dict[str, dict[str, str]]:
    """The note's events by category, each with its tier. Events of no category (a note that
    names no hazard) go to one open episode: the one its equipment points to, else one that
    shares a job or reference number with it, else the most recently active (a report among
    them is a chaser there). Works done or a resolution also close the open hazards of the
    same source or cause (:func:`_closes_with`) that the note does not name. With no episode
    open, only the events that confirm a close go, to the hazards last active (in one note)."""
    events = note.events if note.events is not None else events_from_mentions(note.mentions)
    by_category: dict[str, dict[str, str]] = defaultdict(dict)
    loose = [event for event in events if not event.category]
    for event in events:
        if event.category:
            by_category[event.category][event.event] = event.tier
    for category, carrier in named_only_as_part(
            (m.category, m.term_id) for m in note.mentions).items():
        if category in by_category and carrier in by_category and category not in open_episodes:
            del by_category[category]
    for pair in ONE_SOURCE:  # the source made safe, every hazard of it inspected there is
        made_safe = [c for c in pair if "made_safe" in by_category.get(c, {})]
        for category in pair.difference(made_safe) if made_safe else ():
            if "inspected" in by_category.get(category, {}):
                by_category[category]["made_safe"] = by_category[made_safe[0]]["made_safe"]
    for caused, causes in CAUSES_OF.items():  # "boiler capped, no heating now": what left
        if "made_safe" in by_category.get(caused, {}):  # the cold made its cause safe
            for category in causes:
                if category in open_episodes and (category in by_category or any(
                        m.category == category for m in note.mentions)):
                    by_category[category].setdefault("made_safe", "")
    if loose and open_episodes:
        about = next((e.about for e in loose if e.about in open_episodes), "")
        refs = {ref for e in loose for ref in e.refs}
        sharing = [c for c, episode in open_episodes.items() if episode.refs & refs]
        target = about or max(sharing or open_episodes,
                              key=lambda c: (active.get(c, datetime.min), c))
        for event in loose:
            name = "chaser" if event.event in OPENING_EVENTS else event.event
            by_category[target].setdefault(name, event.tier)
    elif loose and active:  # "no smell since the engineer came": confirms the latest close,
        last = max(active.values())  # of every hazard active in that note ("new boiler": the
        for category in [c for c, when in active.items() if when == last]:  # CO and the cold)
            for event in loose:
                if event.event in CONFIRMING_EVENTS:
                    by_category[category].setdefault(event.event, event.tier)
    for category in list(by_category):  # "new combi fitted": its other hazards end too
        for name in CLOSING_EVENTS.intersection(by_category[category]):
            for other, episode in open_episodes.items():
                if other not in by_category and _closes_with(category, episode):
                    by_category[other][name] = by_category[category][name]
    for source, danger in MAKES_SAFE.items():  # "circuit isolated": its fire danger is safe
        if "made_safe" in by_category.get(source, {}) and danger in open_episodes:
            by_category[danger].setdefault("made_safe", by_category[source]["made_safe"])
    return by_category


def _note_refs(note: CaseNote) -> set[str]:
    return {ref for event in note.events or () for ref in event.refs}


def _case_hazards(case: str, timeline: Sequence[CaseNote], as_of: datetime) -> list[CaseHazard]:
    episodes: dict[str, list[_Episode]] = defaultdict(list)
    open_episodes: dict[str, _Episode] = {}
    active: dict[str, datetime] = {}
    for note in timeline:
        risk_tiers: dict[str, list[str]] = defaultdict(list)
        for mention in note.mentions:
            if mention.label == "risk":
                risk_tiers[mention.category].append(mention.urgency)
        refs = _note_refs(note)
        by_category = _note_events(note, open_episodes, active)
        named = {mention.category for mention in note.mentions}
        already_open = [open_episodes[c] for c in by_category if c in open_episodes]
        for category, events in by_category.items():
            current = open_episodes.get(category)
            names = list(events)
            found_by_action = False
            if current is not None and "recurrence" in names and "chaser" not in names \
                    and _attended(current):  # back after a visit: a new episode and clock
                del open_episodes[category]
                current = None
            if current is None and {"reported", "recurrence"}.intersection(names) \
                    and category in episodes:
                current = _reopened(episodes[category][-1], note)
                if current is not None:
                    open_episodes[category] = current
            if current is None:
                if category in episodes:  # a chaser is about an open hazard: after a close
                    names = [n for n in names if n != "chaser"]  # it retells, it does not open
                    if _retells(note, category, episodes[category][-1], names):
                        names = [n for n in names if n != "reported"]
                if not OPENING_EVENTS.intersection(names):
                    if not FINDING_EVENTS.issubset(names) or category not in named:
                        if category in episodes:  # "tenant confirms no recurrence" after works
                            episodes[category][-1].events.extend(
                                (note, name) for name in names if name in CONFIRMING_EVENTS)
                        continue
                    names, found_by_action = ["reported", *names], True
                current = _Episode(category, note)
                current.linked_to = None if category not in CAUSES_OF else next(
                    (e for e in already_open if e.category != category
                     and e.urgency == "emergency"), None) or next(
                    (open_episodes[c] for c in CAUSES_OF[category] if c in open_episodes), None)
                episodes[category].append(current)
                open_episodes[category] = current
                opening = "recurrence" if len(episodes[category]) > 1 else (
                    "reported" if "reported" in names else next(
                        n for n in names if n in OPENING_EVENTS))
                names = [opening if n in OPENING_EVENTS else n for n in names]
            else:  # a repeat report is a chaser, unless the note acts on the hazard: then
                # it only describes what is being dealt with ("attd, mould 2m2, readings")
                acting = any(n not in OPENING_EVENTS for n in names)
                names = [n for n in names if not (n == "reported" and acting)]
                names = ["chaser" if n in OPENING_EVENTS else n for n in names]
            names = list(dict.fromkeys(names))
            current.events.extend((note, name) for name in names)
            if OPENING_EVENTS.intersection(names) or risk_tiers.get(category):
                current.reports.append(note)
            for tier in risk_tiers.get(category, ()):
                current.raise_urgency(tier)
            for name, tier in events.items():
                if name in OPENING_EVENTS or (name == "made_safe" and found_by_action):
                    current.raise_urgency(tier)
            active[category] = note.when
            current.refs |= refs
            if CLOSING_EVENTS.intersection(names):
                current.closed = note
                del open_episodes[category]
        for category, episode in list(open_episodes.items()):
            if episode.linked_to is not None and episode.linked_to.closed is note:
                episode.events.append((note, "works_done"))
                episode.closed = note
                del open_episodes[category]
    return [_hazard(case, category, found, as_of) for category, found in episodes.items()]


#: A report this soon after the works that closed a hazard that is not an emergency says the
#: works did not hold ("the mould wash was done but it's back on the wall"): the episode goes
#: on and its clock stands; it is not a recurrence with a new clock. An emergency reported
#: again always has a new 24-hour clock, however soon: a danger told again is treated as back.
HELD_FOR: Final = timedelta(days=21)


def _attended(episode: _Episode) -> bool:
    """Whether someone inspected or made the hazard safe in ``episode``: a note that then reads
    it as back ("smelling gas again, stronger than last time"), and not as a chaser ("still
    not been, mould back"), starts a new episode with its own clock, though no note closed the
    first (the engineer's "all safe" read as an inspection only)."""
    return any(name in FINDING_EVENTS for _, name in episode.events)


def _retells(note: CaseNote, category: str, latest: _Episode, names: Sequence[str]) -> bool:
    """Whether ``note``, after the close of ``latest``, an emergency, only tells it again: the
    note shows the hazard, but its report rests on that verdict alone (the event reader read
    no report and no recurrence) and it books nothing, as in a complaint or a councillor's
    letter that tells the story ("on New Year's Day ... the gas fire was spilling fumes"). It
    opens no episode; "smell of gas in hall, P1 raised" still does."""
    if latest.urgency != "emergency" or {"recurrence", "booked"}.intersection(names):
        return False
    return any(event.category == category and event.event == "reported"
               and event.basis == "verdict" for event in note.events or ())


def _reopened(latest: _Episode, note: CaseNote) -> _Episode | None:
    """The hazard's last episode, open again, when ``note`` reports it within
    :data:`HELD_FOR` of its close and it is not an emergency; else None."""
    if latest.closed is None or latest.urgency == "emergency" \
            or note.when - latest.closed.when > HELD_FOR:
        return None
    latest.closed = None
    return latest


def _hazard(case: str, category: str, episodes: Sequence[_Episode], as_of: datetime) -> CaseHazard:
    latest = episodes[-1]
    reports = [n for episode in episodes for n in episode.reports] or [latest.first]
    deadline = deadline_for(category, latest.urgency, latest.first.when)
    stopping = CLOCK_STOPPING.get(latest.urgency, CLOCK_STOPPING["significant"])
    action = next((note for note, name in latest.events if name in stopping), None)
    if deadline is None:
        clock: Clock = "not applicable"
    elif action is not None:
        clock = "met" if action.when <= deadline else "late"
    else:
        clock = "overdue" if as_of > deadline else "due"
    closed = latest.closed
    return CaseHazard(
        case=case, category=category, urgency=latest.urgency,
        first_reported=reports[0].when, last_reported=reports[-1].when, reports=len(reports),
        episodes=len(episodes), resolved_on=closed.when if closed else None,
        open=closed is None, clock_from=latest.first.when, deadline=deadline,
        action_on=action.when if action else None, clock=clock,
        priority=max(n.priority for n in latest.reports or [latest.first]),
        note_ids=tuple(dict.fromkeys(n.note_id for n in reports)),
        opened_by=latest.first.note_id, action_by=action.note_id if action else "",
        resolved_by=closed.note_id if closed else "",
        all_events=tuple(EpisodeEvent(note.when, note.note_id, name, number)
                         for number, episode in enumerate(episodes, 1)
                         for note, name in episode.events),
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
               hazards: Any = None, events: Any = None) -> tuple[list[CaseNote], int]:
    """CaseNotes from a notes table and its mentions table (input order, as score writes
    them), and the number of notes skipped for a missing case or an unreadable date.

    With the hazards table of the same run, a note reports a hazard when its verdict for the
    category is risk (its mentions of the category take the verdict as their label, and the
    hazard's urgency); without it, when any mention of the category is labelled risk. With
    the events table, each note brings its events; without it they are derived from the
    mentions (:func:`events_from_mentions`: coarser, for tables scored before events).
    """
    import pandas as pd

    from ..errors import InputSchemaError

    for column in (case_column, date_column):
        if column not in notes.columns:
            raise InputSchemaError(
                f"the notes table has no column {column!r} (columns: "
                f"{', '.join(map(str, notes.columns))}); score with --keep "
                f"{case_column},{date_column}")
    by_row = (_events_by_row(events, notes["note_id"].astype(str).tolist())
              if events is not None else None)
    when = parse_dates(notes[date_column])
    out, skipped = [], 0
    rows = mentions.itertuples(index=False)
    hazard_rows = hazards.itertuples(index=False) if hazards is not None else None
    for position, (note, stamp) in enumerate(zip(notes.itertuples(index=False), when,
                                                 strict=True)):
        recorded = by_row.get(position + 1, ()) if by_row is not None else None
        found = []
        for _ in range(int(note.n_mentions)):
            row = next(rows)
            found.append(CaseMention(str(row.category), str(row.label), str(row.context),
                                     _text_cell(getattr(row, "urgency", "")),
                                     _text_cell(getattr(row, "term_id", ""))))
        if hazard_rows is not None and found:
            verdicts = {}
            for hazard in next_hazard_rows(hazard_rows, {m.category for m in found}):
                verdicts[str(hazard.category)] = (str(hazard.verdict),
                                                  _text_cell(hazard.urgency))
            found = list(with_verdicts(found, verdicts))
        case = getattr(note, case_column)
        if pd.isna(stamp) or pd.isna(case) or str(case) == "":
            skipped += 1
            continue
        priority = getattr(note, "priority", 0.0)
        out.append(CaseNote(str(case), stamp.to_pydatetime().replace(tzinfo=None),
                            str(note.note_id), tuple(found),
                            0.0 if pd.isna(priority) else float(priority), recorded))
    return out, skipped


def _events_by_row(events: Any, note_ids: Sequence[str]) -> dict[int, tuple[CaseEvent, ...]]:
    """The events table's events by the row of their note (1 for the first note); an event
    whose row is not in the notes table, or holds another note id, is from another run."""
    from ..errors import InputSchemaError

    missing = [c for c in ("row", "note_id", "category", "event") if c not in events.columns]
    if missing:
        raise InputSchemaError(
            f"the events table has no column {missing[0]!r}; give the events table casenotes "
            "score --events wrote in the same run as the notes table")
    grouped: dict[int, list[CaseEvent]] = defaultdict(list)
    for row in events.itertuples(index=False):
        number = int(row.row)
        if not 1 <= number <= len(note_ids) or str(row.note_id) != note_ids[number - 1]:
            raise InputSchemaError(
                f"the events table names row {number} (note {str(row.note_id)!r}), which is "
                "not that note in the notes table; give the notes and events tables of the "
                "same casenotes score run")
        grouped[number].append(_case_event(row))
    return {number: tuple(found) for number, found in grouped.items()}


def _text_cell(value: Any) -> str:
    """A table cell as text; a missing one (None, NaN, NA) as ""."""
    return "" if is_missing(value) else str(value)


def _case_event(row: Any) -> CaseEvent:
    return CaseEvent(_text_cell(row.category), str(row.event), _text_cell(row.tier),
                     _text_cell(getattr(row, "about", "")),
                     split_list(getattr(row, "refs", "")), _text_cell(getattr(row, "basis", "")))


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
        "opened_by": [h.opened_by for h in hazards],
        "action_by": [h.action_by for h in hazards],
        "resolved_by": [h.resolved_by for h in hazards],
        "events": [join_list(map(str, h.events)) for h in hazards],
        "note_ids": [join_list(h.note_ids) for h in hazards],
    })
