"""Check a timelines file: format, and the clock per hazard derived from its gold events.

Usage: python scripts/check_timelines.py data/samples/timelines/source/W1.jsonl

The annotation check for the labelled timelines: it re-derives every hazard row (episodes,
deadline, clock, the notes that stopped and closed it) from the gold events by the rules of
data/samples/timelines/README.md, independently of casenotes, and lists disagreements.
Prints every problem; exit 0 when there are none.
"""
import json
import sys
from datetime import date, datetime, time, timedelta

import holidays

CATEGORIES = {"asbestos", "carbon_monoxide", "gas", "damp_mould", "fire", "electrical",
              "structural", "water", "cold", "pests"}
EVENTS = {"reported", "booked", "no_access", "refused", "inspected", "made_safe",
          "works_done", "resolved", "chaser", "recurrence"}
TIERS = {"emergency", "significant", "standard"}
CLOCKS = {"met", "late", "overdue", "due", "not applicable"}
AWAAB = datetime(2025, 10, 27)
STOP = {"emergency": {"made_safe", "works_done", "resolved"},
        "significant": {"inspected", "made_safe", "works_done", "resolved"}}
BANK = set(holidays.country_holidays("GB", subdiv="ENG", years=range(2024, 2029)))


def working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in BANK


def deadline(category: str, tier: str, aware: datetime):
    if aware < AWAAB:
        return None
    if tier == "emergency":
        return aware + timedelta(hours=24)
    if category == "damp_mould" and tier == "significant":
        d, n = aware.date(), 0
        while n < 10:
            d += timedelta(days=1)
            n += working_day(d)
        return datetime.combine(d, time(23, 59, 59))
    return None


def derive(notes, category, tier):
    """Episodes of one category from the gold events: (clock_from, stopped_by, closed_by, n)."""
    current = None
    episodes = []
    for note in notes:
        mine = {e["event"] for e in note["events"] if e["category"] == category}
        if not mine:
            continue
        if current is None and mine & {"reported", "recurrence", "chaser"}:
            current = {"from": note, "stop": None, "close": None}
            episodes.append(current)
        if current is None:
            continue
        if current["stop"] is None and mine & STOP.get(tier, {"inspected", "made_safe",
                                                                "works_done", "resolved"}):
            current["stop"] = note
        if mine & {"works_done", "resolved"}:
            current["close"] = note
            current = None
    return episodes


def main(path: str) -> int:
    problems = []
    seen_cases, seen_notes = set(), set()
    with open(path, encoding="utf-8") as lines:
        timelines = [json.loads(line) for line in lines if line.strip()]
    n_notes = 0
    for tl in timelines:
        case = tl.get("case")
        where = f"{case}"
        if case in seen_cases:
            problems.append(f"{where}: case id repeated")
        seen_cases.add(case)
        for key in ("case", "writer", "as_of", "notes", "hazards", "tags"):
            if key not in tl:
                problems.append(f"{where}: missing {key}")
        as_of = datetime.fromisoformat(tl["as_of"])
        last = None
        for note in tl["notes"]:
            n_notes += 1
            nid = note.get("note_id")
            if nid in seen_notes:
                problems.append(f"{where}: note id {nid} repeated")
            seen_notes.add(nid)
            when = datetime.fromisoformat(note["when"])
            if last and when < last:
                problems.append(f"{where}/{nid}: notes not in time order")
            last = when
            if when > as_of:
                problems.append(f"{where}/{nid}: note after as_of")
            if not note.get("text", "").strip():
                problems.append(f"{where}/{nid}: empty text")
            for e in note.get("events", []):
                if e.get("category") not in CATEGORIES or e.get("event") not in EVENTS:
                    problems.append(f"{where}/{nid}: bad event {e}")
            pairs = [(e["category"], e["event"]) for e in note.get("events", [])]
            if len(pairs) != len(set(pairs)):
                problems.append(f"{where}/{nid}: an event repeated")
        stated = {h["category"]: h for h in tl["hazards"]}
        with_events = {e["category"] for n in tl["notes"] for e in n["events"]}
        for category in sorted(with_events | set(stated)):
            h = stated.get(category)
            tier = h["tier"] if h else "significant"
            episodes = derive(tl["notes"], category, tier)
            if not episodes:
                if h:
                    problems.append(f"{where}: {category} listed but no reported/recurrence/"
                                    "chaser event opens an episode")
                continue
            if h is None:
                problems.append(f"{where}: {category} has an episode (opened by "
                                f"{episodes[0]['from']['note_id']}) but is not in hazards")
                continue
            if h["tier"] not in TIERS:
                problems.append(f"{where}: {category} bad tier {h['tier']}")
            ep = episodes[-1]
            aware = datetime.fromisoformat(ep["from"]["when"])
            due = deadline(category, h["tier"], aware)
            stop = ep["stop"]
            if due is None:
                clock = "not applicable"
            elif stop is not None:
                clock = "met" if datetime.fromisoformat(stop["when"]) <= due else "late"
            else:
                clock = "overdue" if as_of > due else "due"
            want = {
                "clock_from": ep["from"]["note_id"],
                "deadline": due.isoformat(timespec="seconds") if due else None,
                "clock": clock,
                "clock_stopped_by": stop["note_id"] if stop and due else None,
                "open": ep["close"] is None,
                "closed_by": ep["close"]["note_id"] if ep["close"] else None,
                "episodes": len(episodes),
            }
            for key, value in want.items():
                got = h.get(key)
                if key == "deadline" and got:
                    got = datetime.fromisoformat(got).isoformat(timespec="seconds")
                if got != value:
                    problems.append(f"{where}: {category} {key} stated {got!r}, events give "
                                    f"{value!r}")
    for p in problems:
        print(p)
    print(f"{path}: {len(timelines)} timelines, {n_notes} notes, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
