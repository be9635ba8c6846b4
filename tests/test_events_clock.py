"""The clock read from events: what stops it, what closes an episode, where loose events go."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from casenotes.triage.cases import (
    CLOCK_ORDER,
    CaseEvent,
    CaseHazard,
    CaseMention,
    CaseNote,
    roll_up,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def note(when: str, *events: CaseEvent, note_id: str = "", case: str = "P1",
         mentions: tuple[CaseMention, ...] = ()) -> CaseNote:
    return CaseNote(case, at(when), note_id or when, mentions, 50.0, events)


def gas(event: str) -> CaseEvent:
    return CaseEvent("gas", event, "emergency")


def mould(event: str) -> CaseEvent:
    return CaseEvent("damp_mould", event, "significant")


def loose(event: str, about: str = "", refs: tuple[str, ...] = ()) -> CaseEvent:
    return CaseEvent("", event, "", about, refs)


def hazards(notes: list[CaseNote], as_of: str) -> dict[str, CaseHazard]:
    return {h.category: h for h in roll_up(notes, as_of=at(as_of))}


def test_bookings_chasers_no_access_and_refusals_never_stop_the_clock() -> None:
    timeline = [note("2025-11-10T18:40", gas("reported"), gas("booked"), note_id="a"),
                note("2025-11-10T23:30", gas("no_access"), note_id="b"),
                note("2025-11-11T09:00", gas("chaser"), gas("booked"), note_id="c"),
                note("2025-11-11T12:00", gas("refused"), note_id="d")]
    hazard = hazards(timeline, "2025-11-12")["gas"]
    assert (hazard.clock, hazard.open, hazard.action_by) == ("overdue", True, "")
    assert hazard.reports == 2 and hazard.episodes == 1


def test_a_confirmation_after_the_close_is_listed_with_the_episode_and_changes_nothing() -> None:
    timeline = [note("2025-11-10T09:00", mould("reported"), note_id="a"),
                note("2025-11-12T10:00", mould("inspected"), note_id="b"),
                note("2025-11-20T10:00", mould("works_done"), note_id="c"),
                note("2025-12-20T10:00", mould("inspected"), mould("resolved"),
                     mould("booked"), note_id="revisit")]
    hazard = hazards(timeline, "2026-01-10")["damp_mould"]
    assert (hazard.action_by, hazard.resolved_by, hazard.open, hazard.episodes) == (
        "b", "c", False, 1)
    assert [(e.note_id, e.event) for e in hazard.events][-2:] == [
        ("revisit", "inspected"), ("revisit", "resolved")]        # not the booking


def test_a_call_naming_no_hazard_after_every_close_confirms_the_latest_closed_hazard() -> None:
    timeline = [note("2025-11-10T09:00", mould("reported"), note_id="a"),
                note("2025-11-11T09:00", gas("reported"), gas("made_safe"), note_id="b"),
                note("2025-11-20T10:00", mould("works_done"), note_id="c"),
                note("2025-11-21T10:00", gas("works_done"), note_id="d"),
                note("2025-12-01T10:00", loose("resolved"), loose("booked"), loose("reported"),
                     note_id="thanks")]      # "T rang to say thank you, no smell since"
    found = hazards(timeline, "2026-01-10")
    gas_events = [(e.note_id, e.event) for e in found["gas"].events]
    assert gas_events[-1] == ("thanks", "resolved")       # only what confirms the close
    assert "thanks" not in {e.note_id for e in found["damp_mould"].events}
    assert (found["gas"].open, found["gas"].episodes, found["gas"].resolved_by) == (
        False, 1, "d")


def test_a_call_naming_no_hazard_confirms_every_hazard_closed_by_the_last_works() -> None:
    """ "Mr O very pleased with new boiler, flat warm, no alarms since": the boiler's
    replacement closed its carbon monoxide danger and the cold, and the call confirms both."""
    co = (CaseMention("carbon_monoxide", "risk", "present", "emergency", "carbon_monoxide"),)
    timeline = [note("2025-11-10T18:40", CaseEvent("carbon_monoxide", "reported", "emergency"),
                     CaseEvent("carbon_monoxide", "made_safe"), CaseEvent("cold", "reported"),
                     note_id="a", mentions=co),
                note("2025-11-14T10:00", CaseEvent("carbon_monoxide", "works_done"),
                     CaseEvent("cold", "works_done"), note_id="new boiler"),
                note("2025-11-20T10:00", loose("resolved"), note_id="thanks")]
    found = hazards(timeline, "2025-12-01")
    for category in ("carbon_monoxide", "cold"):
        assert [(e.note_id, e.event) for e in found[category].events][-1] == (
            "thanks", "resolved")
        assert found[category].resolved_by == "new boiler"


def test_making_safe_stops_the_24_hour_clock_and_works_done_close_the_episode() -> None:
    timeline = [note("2025-11-10T18:40", gas("reported"), note_id="a"),
                note("2025-11-10T22:00", gas("inspected"), gas("made_safe"), note_id="b"),
                note("2025-11-14T10:00", gas("works_done"), note_id="c")]
    hazard = hazards(timeline, "2025-11-20")["gas"]
    assert (hazard.clock, hazard.action_by, hazard.resolved_by, hazard.open) == (
        "met", "b", "c", False)
    assert [str(e).split(" ", 2)[2] for e in hazard.events] == [
        "a reported", "b inspected", "b made_safe", "c works_done"]


def test_an_inspection_stops_the_damp_clock_but_not_an_emergency_one() -> None:
    damp = [note("2025-11-03T09:00", mould("reported")),
            note("2025-11-05T09:00", mould("inspected"), note_id="insp")]
    assert hazards(damp, "2025-12-01")["damp_mould"].clock == "met"
    emergency = [note("2025-11-03T09:00", gas("reported")),
                 note("2025-11-03T12:00", gas("inspected"))]
    assert hazards(emergency, "2025-12-01")["gas"].clock == "overdue"


def test_a_report_while_open_is_a_chaser_and_a_report_after_a_close_is_a_recurrence() -> None:
    timeline = [note("2025-11-03T09:00", mould("reported"), note_id="a"),
                note("2025-11-06T09:00", mould("reported"), note_id="b"),
                note("2025-11-07T09:00", mould("works_done"), note_id="c"),
                note("2026-01-05T09:00", mould("reported"), note_id="d")]
    hazard = hazards(timeline, "2026-02-01")["damp_mould"]
    assert (hazard.episodes, hazard.opened_by, hazard.open) == (2, "d", True)
    names = [(e.note_id, e.event, e.episode) for e in hazard.all_events]
    assert ("b", "chaser", 1) in names and ("d", "recurrence", 2) in names
    assert hazard.clock == "overdue"          # the recurrence has a clock of its own


def test_mould_reported_again_within_three_weeks_of_the_works_goes_on_with_its_clock() -> None:
    """The works did not hold: one episode, still open, its clock from the first report."""
    timeline = [note("2025-11-03T09:00", mould("reported"), note_id="a"),
                note("2025-11-06T09:00", mould("inspected"), note_id="b"),
                note("2025-11-20T09:00", mould("works_done"), note_id="c"),
                note("2025-12-05T09:00", mould("reported"), note_id="back")]
    hazard = hazards(timeline, "2026-01-05")["damp_mould"]
    assert (hazard.episodes, hazard.opened_by, hazard.open) == (1, "a", True)
    assert (hazard.clock, hazard.action_by) == ("met", "b")
    assert ("back", "chaser", 1) in [(e.note_id, e.event, e.episode) for e in hazard.all_events]


def test_an_emergency_reported_again_soon_after_its_close_has_a_new_clock() -> None:
    timeline = [note("2025-11-03T21:00", gas("reported"), note_id="a"),
                note("2025-11-03T23:00", gas("made_safe"), note_id="b"),
                note("2025-11-04T12:00", gas("resolved"), note_id="c"),
                note("2025-11-07T19:00", gas("reported"), note_id="smell-again")]
    hazard = hazards(timeline, "2025-11-09")["gas"]
    assert (hazard.episodes, hazard.opened_by, hazard.clock) == (2, "smell-again", "overdue")


def test_a_hazard_told_as_back_after_a_visit_is_a_new_episode_with_a_new_clock() -> None:
    """The engineer found nothing and no note closed the episode; "smelling gas again" months
    later is a new danger with its own 24 hours, not a chaser of the old one."""
    timeline = [note("2025-09-08T14:00", gas("reported"), note_id="a"),
                note("2025-09-08T16:30", gas("inspected"), note_id="all-safe"),
                note("2026-11-21T22:30", gas("reported"), gas("recurrence"), note_id="again")]
    hazard = hazards(timeline, "2026-11-22T02:00")["gas"]
    assert (hazard.episodes, hazard.opened_by, hazard.clock) == (2, "again", "due")


def test_a_chaser_that_says_the_hazard_is_back_stays_in_its_episode() -> None:
    """"Still not been, mould back where she wiped it": the works are outstanding, one episode."""
    timeline = [note("2025-11-03T09:00", mould("reported"), note_id="a"),
                note("2025-11-10T09:00", mould("inspected"), note_id="b"),
                note("2025-11-24T09:00", mould("chaser"), mould("recurrence"), note_id="back")]
    hazard = hazards(timeline, "2025-12-01")["damp_mould"]
    assert (hazard.episodes, hazard.opened_by, hazard.action_by) == (1, "a", "b")


def test_a_hazard_told_again_before_anyone_attended_is_a_chaser() -> None:
    timeline = [note("2025-11-03T21:00", gas("reported"), note_id="a"),
                note("2025-11-03T22:00", gas("reported"), gas("recurrence"), note_id="again")]
    hazard = hazards(timeline, "2025-11-04T09:00")["gas"]
    assert (hazard.episodes, hazard.opened_by) == (1, "a")


def test_a_complaint_after_the_close_opens_no_new_episode() -> None:
    timeline = [note("2025-11-03T09:00", mould("reported"), note_id="a"),
                note("2025-11-07T09:00", mould("works_done"), note_id="c"),
                note("2025-12-01T09:00", mould("chaser"), note_id="stage-1-complaint")]
    hazard = hazards(timeline, "2026-01-01")["damp_mould"]
    assert (hazard.episodes, hazard.open, hazard.resolved_by) == (1, False, "c")
    assert "stage-1-complaint" not in {e.note_id for e in hazard.all_events}


def test_a_letter_retelling_an_emergency_after_its_close_opens_no_new_episode() -> None:
    """"On New Year's Day your CO alarm sounded ...": the note shows the danger, but its report
    rests on that verdict alone (the reader read no report and no recurrence)."""
    retold = CaseEvent("gas", "reported", "emergency", basis="verdict")
    timeline = [note("2026-01-01T07:15", gas("reported"), note_id="a"),
                note("2026-01-01T09:05", gas("made_safe"), note_id="b"),
                note("2026-01-12T15:50", gas("works_done"), note_id="c"),
                note("2026-01-26T14:00", retold, note_id="cllr-letter")]
    hazard = hazards(timeline, "2026-02-01")["gas"]
    assert (hazard.episodes, hazard.open, hazard.clock) == (1, False, "met")
    assert "cllr-letter" not in {e.note_id for e in hazard.all_events}


def test_an_emergency_read_as_reported_back_or_booked_after_its_close_is_a_new_episode(
        ) -> None:
    """"Smell of gas in hall, P1 raised" rests on the verdict too, but books a visit."""
    closed = [note("2026-01-01T07:15", gas("reported"), note_id="a"),
              note("2026-01-01T09:05", gas("made_safe"), note_id="b"),
              note("2026-01-12T15:50", gas("works_done"), note_id="c")]
    reported = CaseEvent("gas", "reported", "emergency", basis="model")
    shown = CaseEvent("gas", "reported", "emergency", basis="verdict")
    for events in ((reported,), (shown, gas("recurrence")), (shown, gas("booked"))):
        hazard = hazards([*closed, note("2026-01-26T22:00", *events, note_id="new")],
                         "2026-01-28")["gas"]
        assert (hazard.episodes, hazard.opened_by, hazard.clock) == (2, "new", "overdue")


def test_a_damp_hazard_shown_again_after_its_close_is_still_a_recurrence() -> None:
    """Only an emergency's retelling is set aside: mould shown again months after the wash is
    back, whatever the report rests on."""
    shown = CaseEvent("damp_mould", "reported", "significant", basis="verdict")
    timeline = [note("2025-11-03T09:00", mould("reported"), note_id="a"),
                note("2025-11-07T09:00", mould("works_done"), note_id="c"),
                note("2026-02-05T09:00", shown, note_id="d")]
    hazard = hazards(timeline, "2026-03-01")["damp_mould"]
    assert (hazard.episodes, hazard.opened_by, hazard.open) == (2, "d", True)


def test_a_note_that_only_mentions_the_hazard_while_works_are_outstanding_does_not_close() -> None:
    timeline = [note("2025-11-03T09:00", mould("reported")),
                note("2025-11-04T09:00", mould("inspected"), mould("booked")),
                note("2025-11-20T09:00", mentions=(CaseMention("damp_mould", "routine",
                                                               "historical"),))]
    assert hazards(timeline, "2025-12-01")["damp_mould"].open


def test_routine_events_alone_raise_no_clock() -> None:
    timeline = [note("2025-11-03T09:00", gas("booked")), note("2025-11-10T09:00",
                                                              gas("inspected"))]
    assert roll_up(timeline, as_of=at("2025-12-01")) == []


def test_a_loose_event_goes_to_the_hazard_its_equipment_or_job_number_names() -> None:
    opened = [note("2025-11-03T09:00", mould("reported"), note_id="m"),
              note("2025-11-04T09:00", CaseEvent("cold", "reported", "significant",
                                                 refs=("552233",)), note_id="c"),
              note("2025-11-05T09:00", mould("chaser"), note_id="m2")]
    by_job = hazards([*opened, note("2025-11-06T09:00", loose("works_done",
                                                              refs=("552233",)))],
                     "2025-12-01")
    assert not by_job["cold"].open and by_job["damp_mould"].open
    by_equipment = hazards([*opened, note("2025-11-06T09:00", loose("works_done",
                                                                    about="cold"))],
                           "2025-12-01")
    assert not by_equipment["cold"].open and by_equipment["damp_mould"].open
    most_recent = hazards([*opened, note("2025-11-06T09:00", loose("works_done"))],
                          "2025-12-01")
    assert not most_recent["damp_mould"].open and most_recent["cold"].open


def test_no_heating_from_a_condemned_boiler_closes_with_the_carbon_monoxide_works() -> None:
    co = CaseEvent("carbon_monoxide", "reported", "emergency")
    timeline = [note("2026-01-24T03:00", co),
                note("2026-01-24T05:00", CaseEvent("carbon_monoxide", "made_safe"),
                     CaseEvent("cold", "reported", "emergency"),
                     CaseEvent("cold", "made_safe")),
                note("2026-01-30T15:00", CaseEvent("carbon_monoxide", "works_done"),
                     note_id="fixed")]
    found = hazards(timeline, "2026-02-05")
    assert found["cold"].resolved_by == "fixed" and found["cold"].clock == "met"


def test_the_new_boiler_that_ends_no_heating_closes_the_capped_gas_danger_too() -> None:
    timeline = [note("2025-11-29T22:37", gas("reported"), note_id="smell"),
                note("2025-11-30T00:55", gas("made_safe"), CaseEvent("cold", "reported"),
                     note_id="capped"),
                note("2025-12-04T16:15", loose("works_done", about="cold"), note_id="new combi")]
    found = hazards(timeline, "2025-12-20")
    assert found["cold"].resolved_by == found["gas"].resolved_by == "new combi"


def test_heating_fixed_never_closes_a_gas_danger_that_was_not_made_safe() -> None:
    timeline = [note("2026-01-05T09:00", CaseEvent("cold", "reported"), note_id="cold"),
                note("2026-01-06T20:00", gas("reported"), note_id="smell"),
                note("2026-01-07T11:00", CaseEvent("cold", "works_done"), note_id="heating on")]
    found = hazards(timeline, "2026-01-10")
    assert found["cold"].resolved_by == "heating on"
    assert found["gas"].open and found["gas"].clock == "overdue"


def test_a_circuit_renewed_closes_the_fire_danger_of_that_circuit() -> None:
    fire = CaseEvent("fire", "reported", "emergency")
    timeline = [note("2026-01-13T14:45", fire, CaseEvent("electrical", "reported", "emergency"),
                     note_id="scorched"),
                note("2026-01-13T19:00", CaseEvent("electrical", "made_safe"), note_id="isolated"),
                note("2026-01-20T10:00", CaseEvent("electrical", "works_done"), note_id="rewired")]
    found = hazards(timeline, "2026-01-25")
    assert found["fire"].resolved_by == found["electrical"].resolved_by == "rewired"
    assert not found["fire"].open


def test_mould_noticed_while_the_heating_is_fixed_does_not_close_with_the_heating() -> None:
    """Only a hazard the remedy causes (no heating from a capped boiler) closes with it; mould
    seen on the heating engineer's visit is its own episode."""
    cold = CaseEvent("cold", "reported", "emergency")
    timeline = [note("2026-04-03T08:50", cold),
                note("2026-04-03T13:30", CaseEvent("cold", "made_safe"), mould("reported"),
                     note_id="noticed"),
                note("2026-04-08T14:20", CaseEvent("cold", "works_done"), note_id="fixed")]
    found = hazards(timeline, "2026-04-10")
    assert found["cold"].resolved_by == "fixed"
    assert found["damp_mould"].open and found["damp_mould"].opened_by == "noticed"


def test_no_heating_or_hot_water_is_one_breakdown_and_one_cold_episode() -> None:
    boiler_down = (CaseMention("cold", "risk", "present", "significant", "no_heating"),
                   CaseMention("water", "risk", "present", "significant", "no_hot_water"))
    timeline = [note("2025-12-01T18:00", CaseEvent("cold", "reported", "significant"),
                     CaseEvent("water", "reported", "significant"), mentions=boiler_down),
                note("2025-12-02T10:00", CaseEvent("cold", "works_done"),
                     CaseEvent("water", "works_done"), mentions=boiler_down, note_id="fixed")]
    found = hazards(timeline, "2025-12-10")
    assert set(found) == {"cold"}
    assert found["cold"].resolved_by == "fixed" and not found["cold"].open


def test_a_leak_beside_no_heating_is_still_its_own_water_episode() -> None:
    leak = (CaseMention("cold", "risk", "present", "significant", "no_heating"),
            CaseMention("water", "risk", "present", "significant", "leak"))
    timeline = [note("2025-12-01T18:00", CaseEvent("cold", "reported", "significant"),
                     CaseEvent("water", "reported", "significant"), mentions=leak)]
    assert set(hazards(timeline, "2025-12-10")) == {"cold", "water"}


def test_no_hot_water_alone_opens_a_water_episode() -> None:
    hot_water = (CaseMention("water", "risk", "present", "significant", "no_hot_water"),)
    timeline = [note("2025-12-01T18:00", CaseEvent("water", "reported", "significant"),
                     mentions=hot_water)]
    assert set(hazards(timeline, "2025-12-10")) == {"water"}


def test_a_hazard_named_only_by_its_equipment_opens_nothing_when_inspected_and_made_safe(
) -> None:
    """"LGSR done ... room-sealed boiler, cap at the old fire point checked": the events of a
    routine check on equipment, not a gas danger found."""
    timeline = [note("2026-10-01T11:30", CaseEvent("gas", "inspected", "emergency"),
                     CaseEvent("gas", "made_safe", "emergency"), note_id="lgsr")]
    assert "gas" not in hazards(timeline, "2026-10-10")


def test_a_hazard_found_and_made_safe_on_one_visit_opens_an_episode_there() -> None:
    """An engineer's "tightness test FAIL ... capped at ECV" shows a gas danger even when the
    reader took the report's own words as routine: reported there, clock met there."""
    named = (CaseMention("gas", "routine", "present", "emergency", "gas_smell"),)
    timeline = [note("2026-10-01T11:30", CaseEvent("gas", "inspected", "emergency"),
                     CaseEvent("gas", "made_safe", "emergency"), note_id="visit",
                     mentions=named),
                note("2026-10-06T14:40", gas("works_done"), note_id="fixed")]
    hazard = hazards(timeline, "2026-10-10")["gas"]
    assert (hazard.opened_by, hazard.action_by, hazard.resolved_by) == ("visit", "visit",
                                                                       "fixed")
    assert [e.event for e in hazard.events[:2]] == ["reported", "inspected"]
    assert (hazard.urgency, hazard.clock, hazard.open) == ("emergency", "met", False)


def test_a_making_safe_retold_with_nothing_open_opens_no_episode() -> None:
    """ "The gas fire is disconnected" in an email after the episode closed is history, not a
    new hazard; nor does an inspection alone open one."""
    timeline = [note("2026-02-07T23:05", gas("reported"), note_id="report"),
                note("2026-02-08T01:10", gas("made_safe"), gas("works_done"), note_id="fixed"),
                note("2026-02-09T09:20", gas("made_safe"), note_id="email"),
                note("2026-03-01T10:00", gas("inspected"), note_id="service")]
    hazard = hazards(timeline, "2026-03-10")["gas"]
    assert (hazard.episodes, hazard.open, hazard.resolved_by) == (1, False, "fixed")


def test_condemning_the_gas_appliance_makes_the_inspected_co_danger_safe() -> None:
    """ "Boiler ID, condemned & disconnected, capped" is read as making the gas safe; the
    carbon monoxide the engineer measured there came from the same boiler."""
    co = CaseEvent("carbon_monoxide", "reported", "emergency")
    timeline = [note("2025-12-24T19:05", co, note_id="alarm"),
                note("2025-12-24T22:40", CaseEvent("carbon_monoxide", "inspected", "emergency"),
                     gas("made_safe"), note_id="condemned"),
                note("2025-12-30T16:45", CaseEvent("carbon_monoxide", "works_done"),
                     note_id="new boiler")]
    hazard = hazards(timeline, "2026-01-05")["carbon_monoxide"]
    assert (hazard.clock, hazard.action_by) == ("met", "condemned")


def test_capping_the_boiler_that_leaves_no_heating_makes_the_open_co_danger_safe() -> None:
    """ "Boiler capped, labelled. No heating or hot water now": the reader gives the making
    safe to the cold it leaves; the carbon monoxide open in the case was what it made safe."""
    co = CaseEvent("carbon_monoxide", "reported", "emergency")
    timeline = [note("2026-02-07T06:12", co, note_id="alarm"),
                note("2026-02-07T08:10", CaseEvent("carbon_monoxide", "reported", "emergency"),
                     CaseEvent("cold", "reported", "significant"), CaseEvent("cold", "made_safe"),
                     note_id="capped")]
    hazard = hazards(timeline, "2026-02-10")["carbon_monoxide"]
    assert (hazard.clock, hazard.action_by) == ("met", "capped")


def test_capping_the_boiler_makes_safe_the_co_danger_the_note_only_names() -> None:
    """ "180ppm at boiler ... condemned ID, capped. CO clear after venting. No heating now":
    the reader gave this note no carbon monoxide event, but it names the danger it made safe."""
    co_named = (CaseMention("carbon_monoxide", "routine", "present"),)
    timeline = [note("2026-01-17T06:10", CaseEvent("carbon_monoxide", "reported", "emergency"),
                     note_id="alarm"),
                note("2026-01-17T07:25", CaseEvent("cold", "reported", "emergency"),
                     CaseEvent("cold", "made_safe"), note_id="capped", mentions=co_named)]
    hazard = hazards(timeline, "2026-01-20")["carbon_monoxide"]
    assert (hazard.clock, hazard.action_by) == ("met", "capped")


def test_heaters_for_no_heating_make_no_hazard_safe_that_is_not_open_there() -> None:
    timeline = [note("2026-02-07T06:12", CaseEvent("cold", "reported", "significant"),
                     CaseEvent("cold", "made_safe"), gas("inspected"), note_id="heaters")]
    assert "gas" not in hazards(timeline, "2026-02-10")


def test_isolating_the_circuit_makes_the_inspected_fire_danger_safe() -> None:
    fire = CaseEvent("fire", "reported", "emergency")
    timeline = [note("2026-04-03T02:10", fire, note_id="smoke"),
                note("2026-04-03T04:35", CaseEvent("fire", "inspected", "emergency"),
                     CaseEvent("electrical", "inspected", "emergency"),
                     CaseEvent("electrical", "made_safe", "emergency"), note_id="isolated")]
    found = hazards(timeline, "2026-04-10")
    assert (found["fire"].clock, found["fire"].action_by) == ("met", "isolated")


def test_isolating_the_circuit_makes_an_open_fire_danger_safe_though_the_note_names_none() -> None:
    """"Fused spur melted ... circuit isolated, cable terminated - safe" after a report of smoke
    and a flame from it: the electrical making safe stops the fire's clock too. Clearing a
    fire's debris leaves the circuit's clock running."""
    timeline = [note("2026-04-04T19:55", CaseEvent("fire", "reported", "emergency"),
                     note_id="flame"),
                note("2026-04-04T23:30", CaseEvent("electrical", "reported", "emergency"),
                     CaseEvent("electrical", "made_safe", "emergency"), note_id="isolated")]
    found = hazards(timeline, "2026-04-10")
    assert (found["fire"].clock, found["fire"].action_by) == ("met", "isolated")
    cleared = [note("2026-04-04T19:55", CaseEvent("fire", "reported", "emergency"),
                    CaseEvent("electrical", "reported", "emergency"), note_id="scorched"),
               note("2026-04-05T09:00", CaseEvent("fire", "made_safe"), note_id="debris out")]
    found = hazards(cleared, "2026-04-10")
    assert found["fire"].clock == "met"
    assert (found["electrical"].clock, found["electrical"].action_by) == ("overdue", "")


def test_a_making_safe_stops_no_other_hazard_the_note_did_not_look_at() -> None:
    """Capping the gas says nothing of an alarm the note never inspected (its carbon monoxide may
    come from a stove or a neighbour's flue), nor of damp."""
    timeline = [note("2025-12-24T19:05", CaseEvent("carbon_monoxide", "reported", "emergency"),
                     mould("reported"), note_id="alarm"),
                note("2025-12-24T22:40", gas("made_safe"), note_id="capped")]
    found = hazards(timeline, "2025-12-27")
    assert found["carbon_monoxide"].clock == "overdue"
    assert found["damp_mould"].action_by == ""


kinds = st.sampled_from(["reported", "booked", "no_access", "refused", "inspected",
                         "made_safe", "works_done", "resolved", "chaser", "recurrence"])


@given(events=st.lists(st.tuples(st.integers(0, 60 * 24 * 30), kinds), min_size=1,
                       max_size=10),
       later=st.integers(1, 60 * 24 * 30), as_of=st.integers(0, 60 * 24 * 90),
       closer=st.sampled_from(["made_safe", "works_done", "resolved"]))
def test_a_later_making_safe_or_closing_note_never_makes_the_clock_worse(
        events: list[tuple[int, str]], later: int, as_of: int, closer: str) -> None:
    start = at("2025-11-03T08:00")
    notes = [note((start + timedelta(minutes=m)).isoformat(), gas(kind), note_id=str(i))
             for i, (m, kind) in enumerate(sorted(events))]
    when = notes[-1].when + timedelta(minutes=later)
    moment = max(start + timedelta(minutes=as_of), when)
    before = roll_up(notes, as_of=moment)
    after = roll_up([*notes, CaseNote("P1", when, "later", (), 0.0, (gas(closer),))],
                    as_of=moment)
    assert len(after) == len(before)
    if before:
        assert CLOCK_ORDER.index(after[0].clock) >= CLOCK_ORDER.index(before[0].clock)


@given(events=st.lists(st.tuples(st.integers(0, 60 * 24 * 30), kinds), max_size=10))
def test_every_hazard_has_an_opening_note_among_its_events(
        events: list[tuple[int, str]]) -> None:
    start = at("2025-11-03T08:00")
    notes = [note((start + timedelta(minutes=m)).isoformat(), mould(kind), note_id=str(i))
             for i, (m, kind) in enumerate(sorted(events))]
    for hazard in roll_up(notes, as_of=start + timedelta(days=60)):
        assert hazard.events[0].note_id == hazard.opened_by
        assert hazard.events[0].event in ("reported", "chaser", "recurrence")
        assert hazard.open == (hazard.resolved_by == "")
