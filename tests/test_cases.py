"""Case roll-up and the Awaab's Law clock over hand-written dated timelines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from casenotes.cli import app
from casenotes.triage.cases import (
    CLOCK_ORDER,
    CaseMention,
    CaseNote,
    add_working_days,
    deadline_for,
    is_working_day,
    roll_up,
)

RISK_MOULD = CaseMention("damp_mould", "risk", "present", "significant")
MOULD_GONE = CaseMention("damp_mould", "routine", "historical", "")
MOULD_INSPECTED = CaseMention("damp_mould", "routine", "inspection", "")
GAS = CaseMention("gas", "risk", "present", "emergency")
GAS_CAPPED = CaseMention("gas", "routine", "historical", "")
GAS_ATTENDED = CaseMention("gas", "routine", "inspection", "")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def note(when: str, *mentions: CaseMention, case: str = "P1", note_id: str = "",
         priority: float = 50.0) -> CaseNote:
    return CaseNote(case, at(when), note_id or when, mentions, priority)


def only(notes: list[CaseNote], as_of: str) -> object:
    hazards = roll_up(notes, as_of=at(as_of))
    assert len(hazards) == 1
    return hazards[0]


# ------------------------------------------------------------------------ working days


@pytest.mark.parametrize(("start", "days", "expected"), [
    ("2025-11-03", 10, "2025-11-17"),   # Monday + 10 working days: two weekends
    ("2025-11-07", 1, "2025-11-10"),    # Friday + 1: the Monday
    ("2025-11-08", 1, "2025-11-10"),    # Saturday + 1: the Monday
    ("2025-12-19", 10, "2026-01-07"),   # Christmas Day, Boxing Day and New Year's Day skipped
    ("2026-03-27", 10, "2026-04-14"),   # Good Friday 3 April and Easter Monday 6 April skipped
    ("2026-12-24", 1, "2026-12-29"),    # Boxing Day on a Saturday: Monday 28th is the holiday
])
def test_working_days_skip_weekends_and_bank_holidays(start: str, days: int,
                                                      expected: str) -> None:
    assert add_working_days(date.fromisoformat(start), days) == date.fromisoformat(expected)


def test_bank_holidays_are_not_working_days() -> None:
    assert not is_working_day(date(2025, 12, 25))
    assert not is_working_day(date(2026, 5, 4))      # Early May bank holiday
    assert is_working_day(date(2026, 5, 5))


def test_deadlines_by_urgency_and_category() -> None:
    aware = at("2025-11-03T09:30")
    assert deadline_for("gas", "emergency", aware) == at("2025-11-04T09:30")
    assert deadline_for("damp_mould", "significant", aware) == at("2025-11-17T23:59:59")
    assert deadline_for("pests", "significant", aware) is None   # not yet in force
    assert deadline_for("gas", "emergency", at("2025-10-20T09:00")) is None  # before 27 Oct 2025


# ------------------------------------------------------------------------ timelines


def test_a_gas_smell_made_safe_within_24_hours_meets_the_clock() -> None:
    hazard = only([note("2025-11-10T08:00", GAS),
                   note("2025-11-10T14:00", GAS_ATTENDED),
                   note("2025-11-11T07:00", GAS_CAPPED)], "2025-11-20")
    assert (hazard.clock, hazard.open, hazard.resolved_on) == ("met", False,
                                                               at("2025-11-11T07:00"))
    assert hazard.action_on == at("2025-11-11T07:00")


def test_an_attendance_that_does_not_make_safe_does_not_stop_an_emergency_clock() -> None:
    hazard = only([note("2025-11-10T08:00", GAS), note("2025-11-10T14:00", GAS_ATTENDED)],
                  "2025-11-12")
    assert hazard.clock == "overdue" and hazard.action_on is None


def test_a_gas_smell_with_no_later_note_is_overdue_after_24_hours() -> None:
    timeline = [note("2025-11-10T08:00", GAS)]
    assert only(timeline, "2025-11-10T20:00").clock == "due"
    assert only(timeline, "2025-11-11T08:01").clock == "overdue"


def test_made_safe_after_the_deadline_is_late() -> None:
    hazard = only([note("2025-11-10T08:00", GAS), note("2025-11-12T10:00", GAS_CAPPED)],
                  "2025-11-20")
    assert hazard.clock == "late" and not hazard.open


def test_damp_investigated_on_the_tenth_working_day_is_in_time() -> None:
    # Reported Friday 19 December 2025: the 10th working day after is 7 January 2026.
    timeline = [note("2025-12-19T16:00", RISK_MOULD), note("2026-01-07T15:00", MOULD_INSPECTED)]
    assert only(timeline, "2026-02-01").clock == "met"
    late = [note("2025-12-19T16:00", RISK_MOULD), note("2026-01-08T09:00", MOULD_INSPECTED)]
    assert only(late, "2026-02-01").clock == "late"


def test_resolved_then_recurring_restarts_the_clock() -> None:
    timeline = [note("2025-11-03T09:00", RISK_MOULD, note_id="a"),
                note("2025-11-05T09:00", MOULD_GONE, note_id="b"),
                note("2026-01-05T09:00", RISK_MOULD, note_id="c")]
    hazard = only(timeline, "2026-02-01")
    assert (hazard.episodes, hazard.reports, hazard.open) == (2, 2, True)
    assert hazard.first_reported == at("2025-11-03T09:00")
    assert hazard.clock_from == at("2026-01-05T09:00")
    assert hazard.clock == "overdue"
    assert hazard.note_ids == ("a", "c")


def test_cases_and_categories_are_kept_apart_and_overdue_comes_first() -> None:
    hazards = roll_up([note("2025-11-03T09:00", RISK_MOULD, case="P1", priority=40),
                       note("2025-11-03T09:00", GAS, case="P2", priority=90),
                       note("2025-11-04T09:00", GAS_CAPPED, case="P2")],
                      as_of=at("2025-12-01"))
    assert [(h.case, h.category, h.clock) for h in hazards] == [
        ("P1", "damp_mould", "overdue"), ("P2", "gas", "met")]


def test_a_hazard_first_reported_before_the_law_has_no_clock() -> None:
    assert only([note("2025-09-01T09:00", GAS)], "2025-12-01").clock == "not applicable"


mention_kinds = st.sampled_from([RISK_MOULD, MOULD_GONE, MOULD_INSPECTED,
                                 CaseMention("damp_mould", "routine", "present", "")])
timelines = st.lists(
    st.tuples(st.integers(0, 60 * 24 * 40), mention_kinds), min_size=1, max_size=8)


@given(events=timelines, extra=st.integers(1, 60 * 24 * 60), as_of=st.integers(0, 60 * 24 * 90))
def test_a_later_resolved_note_never_makes_a_case_more_overdue(
        events: list[tuple[int, CaseMention]], extra: int, as_of: int) -> None:
    start = at("2025-11-03T08:00")
    notes = [note((start + timedelta(minutes=m)).isoformat(), kind, note_id=str(i))
             for i, (m, kind) in enumerate(events)]
    last = max(n.when for n in notes)
    later = last + timedelta(minutes=extra)
    moment = max(start + timedelta(minutes=as_of), later)  # judged at the same moment
    before = roll_up(notes, as_of=moment)
    if not before:
        return
    after = roll_up([*notes, CaseNote("P1", later, "later", (MOULD_GONE,))], as_of=moment)
    assert len(after) == len(before)
    assert CLOCK_ORDER.index(after[0].clock) >= CLOCK_ORDER.index(before[0].clock)
    assert not after[0].open


def test_the_cases_command_lists_overdue_hazards(tmp_path) -> None:  # type: ignore[no-untyped-def]
    export = tmp_path / "export.csv"
    pd.DataFrame({
        "id": ["1", "2", "3", "4"],
        "targetId": ["P1", "P1", "P2", "P2"],
        "createdAt": ["10/11/2025 08:00", "11/11/2025 09:00", "10/11/2025 08:00",
                      "10/11/2025 10:00"],
        "description": ["Strong smell of gas in the kitchen, tenant has a headache",
                        "Rent paid", "Smell of gas in hall reported by tenant",
                        "Engineer attended, gas leak found and capped, made safe"],
    }).to_csv(export, index=False)
    notes, mentions = tmp_path / "n.csv", tmp_path / "m.csv"
    runner = CliRunner()
    assert runner.invoke(app, ["score", str(export), "--keep", "targetId,createdAt", "--notes",
                               str(notes), "--mentions", str(mentions), "-j", "1",
                               "-q"]).exit_code == 0
    out = tmp_path / "cases.csv"
    result = runner.invoke(app, ["cases", str(notes), "--mentions", str(mentions), "-o",
                                 str(out), "--as-of", "2025-11-20"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    gas = table[table["category"] == "gas"].set_index("case")
    assert gas.loc["P1", "clock"] == "overdue"
    assert "P1" in result.stderr and "not a legal determination" in result.stderr
    assert "holidays" in result.stderr
    garbage = runner.invoke(app, ["cases", str(notes), "--mentions", str(mentions), "-o",
                                  str(tmp_path / "never.csv"), "--as-of", "garbage"])
    assert garbage.exit_code == 2
    assert "--as-of 'garbage' is not a date" in garbage.stderr
    assert "internal error" not in garbage.stderr
    assert not (tmp_path / "never.csv").exists()


def test_the_report_opens_with_the_clock(
        clock_report: Callable[[dict[str, list[str]]], str]) -> None:
    page = clock_report({
        "id": ["1", "2"], "targetId": ["P1", "P2"],
        "createdAt": ["2025-11-10T08:00", "2025-11-10T09:00"],
        "description": ["Strong smell of gas in the kitchen", "Black mould in baby's room"],
    })
    assert "Law clock: 1 overdue, 1 due" in page
    assert page.index('id="clock"') < page.index('id="report-data"')
    assert "not a legal determination" in page


def test_dates_are_read_iso_as_written_and_others_day_first() -> None:
    from casenotes.triage.cases import parse_dates

    parsed = parse_dates(["2025-11-10T08:00", "10/11/2025 08:00", "3 Dec 2025 14:05",
                          "not a date", None])
    assert parsed.tolist()[:3] == [pd.Timestamp("2025-11-10 08:00"),
                                   pd.Timestamp("2025-11-10 08:00"),
                                   pd.Timestamp("2025-12-03 14:05")]
    assert parsed.isna().tolist()[3:] == [True, True]
