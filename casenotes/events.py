"""Events: what a note records happening to each hazard it touches (booked, no access,
inspected, made safe, works done, resolved...), for the case timeline and the clock.

Two layers, as for risk. **Rules as data** (``resources/events.json``): phrases that signal an
event, found in one Aho-Corasick pass and given to the hazard categories of their sentence (else
the nearest mention). **An event model** (``models/hazard-events-v1``) weighs, for each
(note, category) and event, the rule hits with the words around them (negation, plans), the
hazard verdict and its context, and the note's words; trained on the project's labelled
timelines. Without a model
the rules decide alone. Every event carries its evidence span and named reasons.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
from bisect import bisect_right
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any, Final, NamedTuple

import ahocorasick
import numpy as np

from .errors import LexiconError, ModelError
from .triage.priority import TIER_WEIGHT, load_urgency
from .types import (
    CATEGORIES,
    EVENT_NAMES,
    OPENING_EVENTS,
    EventBasis,
    EventName,
    NoteEvent,
    Reason,
    ScoredNote,
    named_only_as_part,
)

EVENTS_FORMAT: Final = 1
EVENT_MODEL: Final = "hazard-events-v1"
EVENT_MODEL_FILE: Final = "events.json"
CARD_FILE: Final = "card.json"
#: P(works_done) a note the model reads as a chaser needs to record works done too: a
#: resident chasing the works ("asking when clg done") says they are not done, so the low
#: threshold of works done (a closing note the model is unsure of) does not hold there.
CHASED_DONE_AT: Final = 0.5
#: The thresholds key of the hazard P(risk) at which a note that shows the hazard reports it,
#: whatever the words around it (the first note that shows a hazard opens its episode).
VERDICT_REPORTS: Final = "verdict_reports"
#: Words that turn a following phrase into a plan or a denial, not an event ("will book",
#: "not attended"); read up to this many tokens before a hit.
LOOK_BEHIND: Final = 3
_NEGATIONS: Final = frozenset({"no", "not", "never", "nothing", "without", "n't", "cannot",
                               "unable", "failed", "yet"})
_PLANS: Final = frozenset({"will", "to", "should", "shall", "would", "needs", "need", "plan",
                           "planned", "awaiting", "await", "pending", "requested", "request",
                           "asked", "chase", "please", "must", "can", "could", "may"})
_TOKEN: Final = re.compile(r"[a-z0-9]+(?:[/'’][a-z0-9]+)*")


class FeatureNames(NamedTuple):
    """The candidate feature names a phrase sets, built once per phrase, not per hit."""

    rule: tuple[str, ...]
    phrase: tuple[str, ...]
    negated: tuple[str, ...]
    planned: tuple[str, ...]
    elsewhere: tuple[str, ...]
    rule_id: tuple[str, ...]
    historical: tuple[str, ...]


class RuleHit(NamedTuple):
    """A phrase of the event rules found in a note (character offsets) and the rules it fires."""

    start: int
    end: int
    phrase: str
    rules: tuple[str, ...]
    events: tuple[EventName, ...]
    names: FeatureNames


@dataclass(frozen=True, slots=True)
class EventRule:
    """Phrases that signal one event."""

    id: str
    event: EventName
    phrases: tuple[str, ...]
    description: str = ""
    #: A certain rule's hit (not negated, not a plan) records its event whatever the model
    #: says: "card left", "made safe", "status changed ... to Completed".
    certain: bool = False


@dataclass(frozen=True)
class EventRules:
    """The event rules and the automaton that finds their phrases (longest hit wins)."""

    rules: tuple[EventRule, ...]
    hash: str = ""
    _automaton: Any = field(default=None, repr=False, compare=False)
    #: Trade words, parts and shorthand by hazard category ("stopcock": water, "fused spur":
    #: electrical), beside the lexicon's equipment, for placing an event phrase: what a
    #: trade's note acts on when it names no hazard ("floor up, supply rerun to new stopcock").
    trades: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Shorthand and spellings read as the phrase they stand for, its rules, events and
    #: features ("cppd": "capped", "attd": "attended"): a voice that writes them shares what
    #: the model learned of the full form from other writers, and a certain rule of the full
    #: form is certain for them too. Words of one token also stand for their full form among
    #: the note's words and the words beside a phrase.
    same_as: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: object, *, source: str = "events") -> EventRules:
        """Validate a parsed ``events.json``; a bad entry raises LexiconError naming it."""
        if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
            raise LexiconError(f"{source}: expected an object with a 'rules' list")
        rules, seen = [], set()
        for i, entry in enumerate(data["rules"]):
            where = f"{source}: rule {i}"
            if not isinstance(entry, dict):
                raise LexiconError(f"{where} is not an object")
            rule_id, event = entry.get("id"), entry.get("event")
            if not isinstance(rule_id, str) or not rule_id or rule_id in seen:
                raise LexiconError(f"{where}: 'id' must be a new, non-empty string")
            if event not in EVENT_NAMES:
                raise LexiconError(f"{where} ({rule_id}): 'event' must be one of "
                                   f"{', '.join(EVENT_NAMES)}, got {event!r}")
            phrases = _phrase_list(entry.get("phrases"))
            if not phrases:
                raise LexiconError(f"{where} ({rule_id}): 'phrases' must be a non-empty list "
                                   "of non-empty strings")
            certain = entry.get("certain", False)
            if not isinstance(certain, bool):
                raise LexiconError(f"{where} ({rule_id}): 'certain' must be true or false")
            seen.add(rule_id)
            rules.append(EventRule(rule_id, event, phrases, str(entry.get("description", "")),
                                   certain))
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
        by_phrase = _rules_by_phrase(rules)
        same_as = _same_as(data.get("same_as", {}), by_phrase, source)
        return cls(tuple(rules), digest, _build_automaton(by_phrase, same_as),
                   _trades(data.get("trades", {}), source), same_as)

    @cached_property
    def word_same_as(self) -> Mapping[str, str]:
        """The one-word entries of :attr:`same_as` ("attd": "attended")."""
        return _one_word(self.same_as)

    @property
    def certain(self) -> frozenset[str]:
        """The ids of the certain rules."""
        return frozenset(rule.id for rule in self.rules if rule.certain)

    def hits(self, text: str) -> list[RuleHit]:
        """Every phrase at word boundaries in ``text``, longest first where they overlap
        ("no recurrence", not "recurrence"), in text order."""
        lower = _lower_same_length(text)
        found = []
        for last, (phrase, rules, events, names) in self._automaton.iter(lower):
            start = last - len(phrase) + 1
            if _whole_word(lower, start, last + 1):
                found.append(RuleHit(start, last + 1, phrase, rules, events, names))
        kept: list[RuleHit] = []
        taken = bytearray(len(lower))
        for hit in sorted(found, key=lambda h: (h.start - h.end, h.start)):
            if 1 not in taken[hit.start:hit.end]:
                kept.append(hit)
                taken[hit.start:hit.end] = b"\x01" * (hit.end - hit.start)
        return sorted(kept)


def _phrase_list(value: object) -> tuple[str, ...] | None:
    """A list of non-empty strings as matching phrases (lower case, single spaces, each once);
    None for anything else."""
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        return None
    return tuple(dict.fromkeys(" ".join(p.lower().split()) for p in value))


def _trades(data: object, source: str) -> dict[str, tuple[str, ...]]:
    """The ``trades`` section: phrases by hazard category; a bad entry raises LexiconError."""
    if not isinstance(data, dict):
        raise LexiconError(f"{source}: 'trades' must map hazard categories to phrase lists")
    out = {}
    for category, value in data.items():
        if category not in CATEGORIES:
            raise LexiconError(f"{source}: trades category {category!r} is not one of "
                               f"{', '.join(CATEGORIES)}")
        phrases = _phrase_list(value)
        if phrases is None:
            raise LexiconError(f"{source}: trades[{category!r}] must be a list of non-empty "
                               "strings")
        out[category] = phrases
    return out


def _rules_by_phrase(rules: Sequence[EventRule],
                     ) -> dict[str, tuple[list[str], list[EventName]]]:
    """Each phrase of the rules with the ids of its rules and its events (each once)."""
    by_phrase: dict[str, tuple[list[str], list[EventName]]] = {}
    for rule in rules:
        for phrase in rule.phrases:
            ids, events = by_phrase.setdefault(phrase, ([], []))
            ids.append(rule.id)
            if rule.event not in events:
                events.append(rule.event)
    return by_phrase


def _same_as(data: object, by_phrase: Mapping[str, tuple[list[str], list[EventName]]],
             source: str) -> dict[str, str]:
    """The ``same_as`` section: shorthand phrase -> the phrase of the rules it stands for (a
    shorthand that is a phrase of the rules too must signal an event of its full form); a bad
    entry raises LexiconError."""
    if not isinstance(data, dict):
        raise LexiconError(f"{source}: 'same_as' must map a shorthand phrase to its full form")
    events = {phrase: set(found) for phrase, (_, found) in by_phrase.items()}
    out = {}
    for short, full in data.items():
        if not isinstance(full, str):
            raise LexiconError(f"{source}: same_as[{short!r}] must be a phrase (a string)")
        short_key, full_key = " ".join(short.lower().split()), " ".join(full.lower().split())
        if full_key not in events:
            raise LexiconError(f"{source}: same_as {short!r} -> {full!r}: {full_key!r} is "
                               "not a phrase of any rule; add it to a rule first")
        if short_key in events and not events[short_key] & events[full_key]:
            raise LexiconError(f"{source}: same_as {short!r} -> {full!r}: the two phrases "
                               "signal no event in common")
        out[short_key] = full_key
    return out


def _one_word(same_as: Mapping[str, str]) -> dict[str, str]:
    return {short: full for short, full in same_as.items()
            if _WORD.fullmatch(short) and _WORD.fullmatch(full)}


def _build_automaton(by_phrase: Mapping[str, tuple[list[str], list[EventName]]],
                     same_as: Mapping[str, str]) -> Any:
    """The automaton of the rules' phrases (``by_phrase``: :func:`_rules_by_phrase`) and their
    shorthand, each read as its full form ("cppd" as "capped", wholly)."""
    read_as = {phrase: phrase for phrase in by_phrase} | dict(same_as)
    automaton = ahocorasick.Automaton()
    for phrase, full in read_as.items():
        ids, events = by_phrase[full]
        names = FeatureNames(tuple(f"rule={e}" for e in events),
                             tuple(f"phrase={e}:{full}" for e in events),
                             tuple(f"negated={e}" for e in events),
                             tuple(f"planned={e}" for e in events),
                             tuple(f"elsewhere={e}" for e in events),
                             tuple(f"rule_id={r}" for r in ids),
                             tuple(f"historical={e}" for e in events))
        automaton.add_word(phrase, (phrase, tuple(ids), tuple(events), names))
    automaton.make_automaton()
    return automaton


def _whole_word(lower: str, start: int, end: int) -> bool:
    """No letter or digit joins ``lower[start:end]`` on a side where it has one itself."""
    return not ((start > 0 and lower[start - 1].isalnum() and lower[start].isalnum())
                or (end < len(lower) and lower[end].isalnum() and lower[end - 1].isalnum()))


def _lower_same_length(text: str) -> str:
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


@lru_cache(maxsize=4)
def load_event_rules(path: str | None = None) -> EventRules:
    """The bundled event rules, or those of a JSON file in the same format."""
    if path is None:
        raw = resources.files("casenotes").joinpath("resources").joinpath("events.json").read_text(
            encoding="utf-8")
        source = "bundled events.json"
    else:
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise LexiconError(f"{path}: cannot read the event rules ({exc.strerror})") from None
        source = str(path)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LexiconError(f"{source}: not valid JSON (line {exc.lineno}); fix the file") from None
    return EventRules.from_dict(data, source=source)


# ---------------------------------------------------------------------------- candidates


@dataclass(frozen=True, slots=True)
class EventCandidate:
    """One (note, category) the event model reads: its features and the hits given to it."""

    category: str
    features: Mapping[str, float]
    hits: tuple[RuleHit, ...]
    evidence: tuple[int, int]
    tier: str
    #: For a note that names no hazard: the category its equipment points to ("boiler":
    #: cold), and the job or reference numbers it names, for the roll-up to place it.
    about: str = ""
    refs: tuple[str, ...] = ()
    #: Events a certain rule records here (unnegated, not a plan).
    certain: frozenset[str] = frozenset()
    #: The note does not name this hazard, only its equipment beside an event phrase ("LGSR
    #: completed, CO alarm tested": the inspection is the gas's). Such a candidate never
    #: opens an episode: it records no report, chaser or recurrence.
    by_equipment: bool = False
    #: The note's words as feature names (:func:`note_words`): one tuple shared by every
    #: candidate of the note, so the model weighs them once per note.
    words: tuple[str, ...] = ()

    @property
    def all_features(self) -> dict[str, float]:
        """The features with the note's words: what the model is trained on."""
        return {**self.features, **dict.fromkeys(self.words, 1.0)}

    @property
    def possible_events(self) -> tuple[EventName, ...]:
        """The events this candidate may record: every one, but for a hazard named only by its
        equipment none that opens an episode."""
        return _NOT_OPENING if self.by_equipment else EVENT_NAMES


_NOT_OPENING: Final = tuple(e for e in EVENT_NAMES if e not in OPENING_EVENTS)


def candidates(text: str, note: ScoredNote, rules: EventRules,
               equipment: Any = None) -> list[EventCandidate]:
    """The (note, category) pairs to read for events: one per category the note names, or a
    single uncategorised one for a note that names none but holds an event phrase (with the
    category its equipment points to, from ``equipment``, an automaton of equipment phrases).
    With ``equipment``, also one per category the note names only by equipment in the clause
    of an event phrase."""
    hits = rules.hits(text)
    lower = _lower_same_length(text)
    same_words = rules.word_same_as
    ordered = _own_hazards(sorted(note.mentions, key=lambda m: m.mention.start))
    mentions = [m.mention for m in ordered]
    refs = tuple(dict.fromkeys(REFERENCE.findall(text)))[:MAX_REFS]
    if not mentions:
        if not hits:
            return []
        about = _equipment_category(lower, equipment) if equipment is not None else ""
        return [_candidate("", hits, hits, _hit_contexts(lower, hits, (), same_words), None,
                           (hits[0].start, hits[0].end), "", rules.certain, about, refs,
                           words=note_words(lower, same_words))]
    given: dict[str, list[RuleHit]] = {m.category: [] for m in mentions}
    risky = [m.mention for m in ordered if m.label == "risk"]
    for hit in hits:
        for category in _attribute(hit, mentions, risky):
            given[category].append(hit)
    verdicts = {h.category: h for h in note.hazards}
    kit = _equipment_spans(lower, equipment) if equipment is not None else ()
    contexts = _hit_contexts(lower, hits, kit, same_words)
    words = note_words(lower, same_words)
    out = []
    for category, mine in given.items():
        verdict = verdicts.get(category)  # type: ignore[call-overload]
        strongest = verdict.evidence[0].mention if verdict and verdict.evidence else next(
            m for m in mentions if m.category == category)
        tier = max((s.urgency for s in verdict.evidence), key=_tier_rank,
                   default="") if verdict else ""
        out.append(_candidate(category, mine, hits, contexts, verdict,
                              (strongest.start, strongest.end),
                              tier or _term_tier(note, category, text), rules.certain, "", refs,
                              shared=len(given) > 1, words=words))
    named = {m.mention.category for m in note.mentions}  # those named as part of another too
    out.extend(_equipment_candidates(hits, contexts, named, rules.certain, refs, words))
    return out


def _own_hazards(ordered: list[Any]) -> list[Any]:
    """The note's scored mentions less those of a category it names only as part of another's
    danger (``NAMED_AS_PART_OF``: "no heating or hot water" records its events about the
    cold, not the water too)."""
    named = {m.mention.category for m in ordered}
    part = {category for category, carrier in named_only_as_part(
        (m.mention.category, m.mention.term_id) for m in ordered).items() if carrier in named}
    return [m for m in ordered if m.mention.category not in part] if part else ordered


def _equipment_candidates(hits: Sequence[RuleHit], contexts: Mapping[int, HitContext],
                          named: Collection[str], certain_rules: frozenset[str],
                          refs: tuple[str, ...], words: tuple[str, ...] = (),
                          ) -> list[EventCandidate]:
    """A candidate for each category the note names only by equipment in an event phrase's
    clause, with the phrases of those clauses."""
    by_category: dict[str, list[RuleHit]] = {}
    for hit in hits:
        for category in sorted(contexts[hit.start].equipment):
            if category not in named:
                by_category.setdefault(category, []).append(hit)
    out = []
    for category, mine in by_category.items():
        out.append(_candidate(category, mine, hits, contexts, None,
                              (mine[0].start, mine[0].end), "", certain_rules, "", refs,
                              shared=True, by_equipment=True, words=words))
    return out


#: Job, works order and reference numbers (5 to 8 digits: not times, years or phones).
REFERENCE: Final = re.compile(r"(?<![\d/.:-])\d{5,8}(?![\d/.:])")
MAX_REFS: Final = 5


def _equipment_category(lower: str, equipment: Any) -> str:
    """The category the lower-cased note's equipment, trades and procedures point to most
    often."""
    counts: dict[str, int] = {}
    for _, _, category in _equipment_spans(lower, equipment):
        counts[category] = counts.get(category, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else ""


def _equipment_spans(lower: str, equipment: Any) -> list[tuple[int, int, str]]:
    """Where the lower-cased note (``_lower_same_length``) names equipment, a trade or a
    procedure, and the category of each."""
    out = []
    for last, (phrase, category) in equipment.iter(lower):
        start = last - len(phrase) + 1
        if _whole_word(lower, start, last + 1):
            out.append((start, last + 1, category))
    return out


def equipment_automaton(lexicon: Any = None, rules: EventRules | None = None) -> Any:
    """An automaton of the lexicon's equipment phrases and the event rules' trade words, with
    their categories (a phrase in both keeps the lexicon's)."""
    from .lexicon import default_lexicon

    automaton = ahocorasick.Automaton()
    pairs = [(phrase, term.category) for term in (lexicon or default_lexicon()).equipment
             for phrase in term.phrases]
    pairs += [(phrase, category)
              for category, phrases in (rules or load_event_rules()).trades.items()
              for phrase in phrases]
    for phrase, category in pairs:
        key = " ".join(phrase.lower().split())
        if key and key not in automaton:
            automaton.add_word(key, (key, category))
    automaton.make_automaton()
    return automaton


def _attribute(hit: RuleHit, mentions: Sequence[Any], risky: Sequence[Any] = ()) -> set[str]:
    """The categories a rule hit belongs to: those mentioned in its sentence, else the nearest
    mention before it, else the nearest after it; outside the hazards' sentences only the
    mentions read as a risk count when there are any ("on site. ... no leaks found. mould
    wash raised": the visit is the mould's, not the denied leak's)."""
    same = {m.category for m in mentions if m.sentence_start <= hit.start < m.sentence_end}
    if same:
        return same
    if risky:
        mentions = risky
    before = [m for m in mentions if m.end <= hit.start]
    if before:
        return {before[-1].category}
    return {next(m for m in mentions if m.start >= hit.end).category} if any(
        m.start >= hit.end for m in mentions) else {mentions[0].category}


def _tier_rank(tier: str) -> float:
    return TIER_WEIGHT.get(tier, 0.0)


def _term_tier(note: ScoredNote, category: str, text: str) -> str:
    """The tier the category would take as a risk here (its terms' base tiers, raised by the
    note's vulnerable groups and stated ages)."""
    table = load_urgency()
    groups = note.findings.vulnerability_groups
    return max((table.tier(m.mention.term_id, m.mention.category, groups, "", text)[0]
                for m in note.mentions if m.mention.category == category),
               key=_tier_rank, default="")


class HitContext(NamedTuple):
    """What surrounds one rule hit, the same for every hazard it is given to: a negation or a
    plan in the words before it, the feature names of the two words either side, the
    categories of the equipment or trades its clause names, and whether its clause dates it
    in the past ("gas fire was condemned 2023", "leak fixed last year")."""

    negated: bool
    planned: bool
    window: tuple[str, ...]
    equipment: frozenset[str]
    historical: bool = False


def _hit_contexts(lower: str, hits: Sequence[RuleHit], kit: Sequence[tuple[int, int, str]],
                  same_as: Mapping[str, str] | None = None) -> dict[int, HitContext]:
    """Each hit's context in the lower-cased note, by its start (hits do not overlap); ``kit``
    is where the note names equipment and of which category."""
    ends = [h.end for h in hits]  # hits come in text order; overlaps were removed
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(lower)]
    past = _past_offsets(lower)
    out = {}
    for at, hit in enumerate(hits):
        before = _TOKEN.findall(lower, _clause_start(hit.start, ends, breaks), hit.start)[
            -LOOK_BEHIND:]
        begin, end = _clause_span(len(lower), hit, breaks)
        out[hit.start] = HitContext(
            any(word in _NEGATIONS or word.endswith("n't") for word in before),
            any(word in _PLANS for word in before) or _booked_after(at, hits, end),
            _window(lower, hit, same_as),
            _equipment_in_clause(kit, begin, end) if kit else frozenset(),
            bool(past) and _in_clause(past, begin, end))
    return out


def _booked_after(at: int, hits: Sequence[RuleHit], clause_end: int) -> bool:
    """Whether a booking follows hit ``at`` before ``clause_end``, so the hit is what was
    booked ("mould wash + treat bed 1 booked 07/01"), not done."""
    if "booked" in hits[at].events:
        return False
    for later in islice(hits, at + 1, None):
        if later.start >= clause_end:
            return False
        if "booked" in later.events:
            return True
    return False


#: Words that date an event phrase's clause in the past: a year on its own (not part of a
#: date: "condemned 2023", "capped since 2019"), "last year", "years ago", "previously",
#: "history". An expiry year ahead ("CO alarm tested, expiry 2031") matches too: the model
#: weighs the flag per event, and only a certain rule's hit is dropped for it. The pattern
#: has no lookarounds, so it scans fast; :func:`_past_offsets` checks the edges.
_PAST: Final = re.compile(r"(?:19[5-9]|20[0-4])\d|last year|(?:years?|months?) ago|previously"
                          r"|histor(?:ical|ic|y)|in the past")
_DATE_JOINERS: Final = frozenset("0123456789/.:-")


def _past_offsets(lower: str) -> list[int]:
    """Where the lower-cased note dates something in the past (:data:`_PAST`): a year not
    joined to a date or a longer number, words at word boundaries."""
    out = []
    for match in _PAST.finditer(lower):
        start, end = match.span()
        before = lower[start - 1] if start else " "
        after = lower[end] if end < len(lower) else " "
        if lower[start].isdigit():
            if before in _DATE_JOINERS or after in _DATE_JOINERS:
                continue
        elif before.isalnum() or after.isalnum():
            continue
        out.append(start)
    return out


def _in_clause(offsets: Sequence[int], begin: int, end: int) -> bool:
    """Whether any of ``offsets`` (sorted) falls in the clause from ``begin`` to ``end``."""
    i = bisect_right(offsets, begin - 1)
    return i < len(offsets) and offsets[i] < end


def _candidate(category: str, mine: Sequence[RuleHit], every: Sequence[RuleHit],
               contexts: Mapping[int, HitContext], verdict: Any, evidence: tuple[int, int],
               tier: str, certain_rules: frozenset[str] = frozenset(), about: str = "",
               refs: tuple[str, ...] = (), *, shared: bool = False,
               by_equipment: bool = False, words: tuple[str, ...] = ()) -> EventCandidate:
    """The features of one (note, category): the rule hits given to it, each with its context
    (negation, plan, the two words either side, the equipment or trade in its clause:
    "plumber job raised" books the leak, not the mould beside it), the hazard's verdict, and
    the note's words (``words``: :func:`note_words`), kept apart as they are the same for every
    candidate of the note."""
    features: dict[str, float] = {"bias": 1.0, "named" if category else "unnamed": 1.0}
    if shared:
        features["shared"] = 1.0
    if by_equipment:
        features["by_equipment"] = 1.0
    if category:
        features[f"category={category}"] = 1.0
    if about:
        features[f"about={about}"] = 1.0
    if verdict is not None:
        features[f"verdict={verdict.verdict}"] = 1.0
        features["p_risk"] = float(verdict.risk_probability)
        for scored in verdict.evidence[:1]:
            features[f"context={scored.mention.context}"] = 1.0
    if len(mine) != len(every):
        own = {id(hit) for hit in mine}
        for hit in every:
            if id(hit) not in own:  # a phrase of another hazard's sentence: weaker evidence
                features.update(dict.fromkeys(hit.names.elsewhere, 1.0))
    certain: set[str] = set()
    for hit in mine:
        names = hit.names
        negated, planned, window, equipment, historical = contexts[hit.start]
        if not negated and not planned and not historical and \
                certain_rules.intersection(hit.rules) and _about_this(equipment, category):
            certain.update(rule.split(".")[0] for rule in hit.rules if rule in certain_rules)
        for name in names.rule:
            features[name] = min(features.get(name, 0.0) + 1.0, 3.0)
        features.update(dict.fromkeys(names.phrase, 1.0))
        features.update(dict.fromkeys(names.rule_id, 1.0))
        for event in hit.events:
            features[f"category_rule={category or 'unnamed'}:{event}"] = 1.0
        if negated:
            features.update(dict.fromkeys(names.negated, 1.0))
        if planned:
            features.update(dict.fromkeys(names.planned, 1.0))
        if historical:
            features.update(dict.fromkeys(names.historical, 1.0))
        if equipment:
            _trade_features(features, hit, category, equipment)
        features.update(dict.fromkeys(window, 1.0))
    return EventCandidate(category, features, tuple(mine), evidence, tier, about, refs,
                          frozenset(certain), by_equipment, words)


def _about_this(equipment: frozenset[str], category: str) -> bool:
    """Whether a phrase whose clause names ``equipment`` (categories) can be certain for
    ``category``: not where the clause names only other hazards' equipment ("lighting
    circuit isolated at consumer unit" beside water through the light makes the electrics
    safe, not the leak)."""
    return not equipment or not category or category in equipment


#: Words either side of a phrase that the model weighs: "booked for" / "booked by", "status
#: changed from Issued", "test pass", "to be raised".
WINDOW_WORDS: Final = 2
_WINDOW_CHARS: Final = 30
_WORD: Final = re.compile(r"[a-z]+|\d+")


def _plain(word: str, same_as: Mapping[str, str] | None = None) -> str:
    """A word of :data:`_WORD` as the features name it: every number is "0" (dates, times
    and job numbers alike), shorthand its full form (``same_as``: "attd" is "attended")."""
    if word[0].isdigit():
        return "0"
    return same_as.get(word, word) if same_as else word


def note_words(lower: str, same_as: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The feature names of every word of the lower-cased note, once each (every number is
    "0", shorthand of ``same_as`` its full form): what happens is often said in words no
    phrase lists ("FGA within limits", "readings 40%+", "hammer tested", "all rads warm"), and
    the model learns them from the timelines."""
    return tuple(dict.fromkeys(f"word={_plain(word, same_as)}" for word in _WORD.findall(lower)))


def _window(lower: str, hit: RuleHit, same_as: Mapping[str, str] | None = None,
            ) -> tuple[str, ...]:
    """The feature names of the words either side of a hit in the lower-cased note, for each
    of its events; every number is the word "0" (dates, times and job numbers alike)."""
    after = _WORD.findall(lower, hit.end, hit.end + _WINDOW_CHARS)[:WINDOW_WORDS]
    before = _WORD.findall(lower, max(0, hit.start - _WINDOW_CHARS), hit.start)[-WINDOW_WORDS:]
    return tuple(f"{side}={event}:{_plain(word, same_as)}"
                 for event in hit.events
                 for side, words in (("after", after), ("before", before)) for word in words)


def _equipment_in_clause(kit: Sequence[tuple[int, int, str]], begin: int, end: int,
                         ) -> frozenset[str]:
    """The categories of the equipment named in the clause from ``begin`` to ``end``."""
    return frozenset(category for start, _, category in kit if begin <= start < end)


def _clause_span(length: int, hit: RuleHit, breaks: Sequence[int]) -> tuple[int, int]:
    """Where the hit's clause begins and ends in a note of ``length`` characters (``breaks``:
    the offsets just after each clause break)."""
    first = bisect_right(breaks, hit.start)
    last = bisect_right(breaks, hit.end)
    return (breaks[first - 1] if first else 0,
            breaks[last] if last < len(breaks) else length)


def _trade_features(features: dict[str, float], hit: RuleHit, category: str,
                    near: frozenset[str]) -> None:
    """Mark each of the hit's events as beside this hazard's equipment or trade, or only
    beside another hazard's (``near``: the categories its clause's equipment points to)."""
    for event in hit.events:
        if category in near:
            features[f"trade_here={event}"] = 1.0
        elif near:
            features[f"trade_other={event}"] = 1.0


_CLAUSE_BREAK: Final = re.compile(r"[,.;:\n!?]| - ")


def _clause_start(start: int, hit_ends: Sequence[int], breaks: Sequence[int]) -> int:
    """Where the words before a hit in its clause begin: after any earlier hit ("no answer,
    card left": the "no" belongs to "no answer", not to "card left") and at most 40
    characters back; ``breaks`` are the offsets just after each clause break of the note."""
    earlier = bisect_right(hit_ends, start)
    after_break = bisect_right(breaks, start)
    return max(start - 40, hit_ends[earlier - 1] if earlier else 0,
               breaks[after_break - 1] if after_break else 0, 0)


# ---------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class EventModel:
    """A linear model per event over candidate features, with its own threshold per event."""

    weights: Mapping[str, Mapping[str, float]]
    intercepts: Mapping[str, float]
    thresholds: Mapping[str, float]
    card: Mapping[str, Any] = field(default_factory=dict)
    _index: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)
    _matrix: Any = field(default=None, repr=False, compare=False)
    _bias: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Each feature's weights for every event as one row of a matrix, so a candidate
        costs one product over the rows of its features (a note's words are many)."""
        names = sorted({name for weights in self.weights.values() for name in weights})
        matrix = np.zeros((len(names), len(EVENT_NAMES)))
        index = {name: row for row, name in enumerate(names)}
        for column, event in enumerate(EVENT_NAMES):
            for name, weight in self.weights.get(event, {}).items():
                matrix[index[name], column] = weight
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_matrix", matrix)
        object.__setattr__(self, "_bias", np.array(
            [self.intercepts.get(event, -10.0) for event in EVENT_NAMES]))

    def shared_logits(self, words: Sequence[str]) -> Any:
        """The log-odds, for every event, of features that are 1.0 for every candidate of a
        note (its words): summed once per note, not once per candidate."""
        index = self._index
        rows = [index[word] for word in words if word in index]
        return self._matrix[rows].sum(axis=0) if rows else 0.0

    def probabilities(self, features: Mapping[str, float], shared: Any = 0.0,
                      ) -> dict[EventName, float]:
        """P(event) for one candidate, for every event (``shared``: :meth:`shared_logits` of
        the candidate's note)."""
        index = self._index
        rows, values = [], []
        for name, value in features.items():
            row = index.get(name)
            if row is not None:
                rows.append(row)
                values.append(value)
        z = self._bias + shared
        if rows:
            z = z + np.asarray(values) @ self._matrix[rows]
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))
        return dict(zip(EVENT_NAMES, p.tolist(), strict=True))

    def reasons(self, event: str, features: Mapping[str, float], top: int = 3,
                words: Sequence[str] = ()) -> tuple[Reason, ...]:
        """The features that pushed hardest towards ``event``, in words, with their log-odds:
        e.g. ``Reason("phrase 'card left'", 2.10)`` (``words``: the note's, each 1.0)."""
        weights = self.weights.get(event, {})
        parts = [(weights[name] * value, name) for name, value in features.items()
                 if name in weights and name != "bias"]
        parts += [(weights[name], name) for name in words if name in weights]
        return tuple(Reason(describe_feature(name), value)
                     for value, name in heapq.nlargest(top, parts) if value > 0)

    def to_dict(self) -> dict[str, Any]:
        return {"format": EVENTS_FORMAT, "weights": self.weights,
                "intercepts": self.intercepts, "thresholds": self.thresholds}


_FEATURE_WORDS: Final = {
    "rule": "a {} phrase here", "elsewhere": "a {} phrase elsewhere in the note",
    "negated": "a negated {} phrase", "planned": "a planned {} phrase",
    "historical": "a {} phrase dated in the past",
    "rule_id": "rule {}", "verdict": "hazard verdict {}", "context": "mention context {}",
    "category": "hazard {}", "about": "equipment of {}",
    "trade_here": "a {} phrase beside this hazard's equipment or trade",
    "trade_other": "a {} phrase beside another hazard's equipment or trade",
}


_FLAG_WORDS: Final = {
    "named": "the note names the hazard", "unnamed": "the note names no hazard",
    "shared": "the note names more than one hazard",
    "by_equipment": "the note names the hazard only by its equipment",
}


def describe_feature(name: str) -> str:
    """An event feature in words: ``phrase=no_access:card left`` -> ``phrase 'card left'``."""
    if name == "p_risk":
        return "hazard P(risk)"
    if name in _FLAG_WORDS:
        return _FLAG_WORDS[name]
    kind, _, value = name.partition("=")
    if kind == "phrase":
        return f"phrase {value.partition(':')[2]!r}"
    if kind == "word":
        return f"the word {value!r} in the note"
    if kind in ("after", "before"):
        event, _, word = value.partition(":")
        return f"{word!r} {kind} a {event.replace('_', ' ')} phrase"
    if kind == "category_rule":
        category, _, event = value.partition(":")
        return f"a {event.replace('_', ' ')} phrase for {category.replace('_', ' ')}"
    template = _FEATURE_WORDS.get(kind)
    if template is None:
        return name
    return template.format(value if kind == "rule_id" else value.replace("_", " "))


def save_event_model(model: EventModel, directory: str | Path) -> dict[str, Any]:
    """Write ``events.json`` and ``card.json`` (with the weights' SHA-256) to a folder."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(model.to_dict(), sort_keys=True).encode("utf-8")
    card = {**model.card, "format": EVENTS_FORMAT,
            "events_sha256": hashlib.sha256(payload).hexdigest()}
    (directory / EVENT_MODEL_FILE).write_bytes(payload)
    (directory / CARD_FILE).write_text(json.dumps(card, indent=1, sort_keys=True) + "\n")
    return card


def load_event_model(path: str | Path | None = None) -> EventModel:
    """Load an event model folder, or the bundled one; the hash is checked before parsing."""
    if path is None:
        from .model import bundled_model_dir

        folder: Any = bundled_model_dir(EVENT_MODEL)
        source = f"bundled event model {EVENT_MODEL}"
    else:
        folder, source = Path(path), str(path)
    try:
        card = json.loads(folder.joinpath(CARD_FILE).read_bytes())
        payload = folder.joinpath(EVENT_MODEL_FILE).read_bytes()
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        raise ModelError(f"{source}: no readable {CARD_FILE} and {EVENT_MODEL_FILE}; pass the "
                         "folder scripts/train_events.py wrote, or reinstall casenotes") from None
    found = card.get("format") if isinstance(card, dict) else None
    if found != EVENTS_FORMAT:
        raise ModelError(f"{source}: event model format {found!r}, this casenotes reads "
                         f"{EVENTS_FORMAT}; retrain with scripts/train_events.py")
    if hashlib.sha256(payload).hexdigest() != card.get("events_sha256"):
        raise ModelError(f"{source}: {EVENT_MODEL_FILE} does not match its card; the file was "
                         "altered. Retrain with scripts/train_events.py or reinstall casenotes")
    try:
        data = json.loads(payload)
        return EventModel({str(k): {str(n): float(w) for n, w in v.items()}
                           for k, v in data["weights"].items()},
                          {str(k): float(v) for k, v in data["intercepts"].items()},
                          {str(k): float(v) for k, v in data["thresholds"].items()}, card)
    except (KeyError, TypeError, ValueError, AttributeError, json.JSONDecodeError):
        raise ModelError(f"{source}: {EVENT_MODEL_FILE} is not casenotes event weights; retrain "
                         "with scripts/train_events.py") from None


def event_examples(pairs: Iterable[tuple[str, ScoredNote, Iterable[tuple[str, str]]]],
                   rules: EventRules | None = None,
                   ) -> tuple[list[Mapping[str, float]], list[frozenset[str]]]:
    """Training rows from ``(text, scored note, gold (category, event) pairs)``: each
    candidate's features and its gold events (an uncategorised candidate takes every gold
    event of its note, whatever the category)."""
    rules = rules or load_event_rules()
    equipment = equipment_automaton(rules=rules)
    features: list[Mapping[str, float]] = []
    labels: list[frozenset[str]] = []
    for text, note, gold in pairs:
        gold = list(gold)
        for candidate in candidates(text, note, rules, equipment):
            features.append(candidate.all_features)
            labels.append(frozenset(e for c, e in gold
                                    if not candidate.category or c == candidate.category))
    return features, labels


def train_event_model(features: Sequence[Mapping[str, float]], labels: Sequence[frozenset[str]],
                      *, c: float = 1.0, card: Mapping[str, Any] | None = None,
                      sample_weight: Sequence[float] | None = None) -> EventModel:
    """One L2 logistic regression per event (an event never seen in training is never
    predicted); thresholds 0.5 until set (scripts/train_events.py). ``sample_weight``: one
    weight per candidate (None: each counts once)."""
    from .estimator import fit_one_vs_rest

    weights, intercepts = fit_one_vs_rest(
        [{k: v for k, v in f.items() if k != "bias"} for f in features],
        {event: [event in label for label in labels] for event in EVENT_NAMES}, c=c,
        sample_weight=sample_weight)
    return EventModel(weights, intercepts, dict.fromkeys(EVENT_NAMES, 0.5), dict(card or {}))


# ---------------------------------------------------------------------------- the reader


class EventReader:
    """Reads a scored note's events: the rules find and place the phrases, the model (when
    given) decides which events they record."""

    def __init__(self, rules: EventRules | None = None, model: EventModel | None = None, *,
                 lexicon: Any = None) -> None:
        self.rules = rules or load_event_rules()
        self.model = model
        self.equipment = equipment_automaton(lexicon, self.rules)

    def read(self, text: str, note: ScoredNote) -> tuple[NoteEvent, ...]:
        """The note's events, by category in order of first mention, then by event."""
        out: list[NoteEvent] = []
        found = candidates(text, note, self.rules, self.equipment)
        # Every candidate of the note holds the same words: their log-odds are summed once.
        shared = (self.model.shared_logits(found[0].words)
                  if found and self.model is not None else None)
        for candidate in found:
            decided = self._decide(note.note_id, candidate, shared)
            have = {e.event for e in decided}
            for event in sorted(candidate.certain - have, key=EVENT_NAMES.index):
                hit = next(h for h in candidate.hits if event in h.events
                           and self.rules.certain.intersection(h.rules))
                decided.append(self._event(note.note_id, candidate, event, 1.0,
                                           (hit.start, hit.end),
                                           (Reason(f"certain rule {hit.phrase!r}"),), "rule"))
            decided.sort(key=lambda e: EVENT_NAMES.index(e.event))
            out.extend(decided)
        return tuple(out)

    @staticmethod
    def _event(note_id: str, candidate: EventCandidate, event: str, probability: float,
               span: tuple[int, int], reasons: tuple[Reason, ...],
               basis: EventBasis = "model") -> NoteEvent:
        return NoteEvent(note_id, candidate.category,  # type: ignore[arg-type]
                         event, probability, span[0], span[1],  # type: ignore[arg-type]
                         reasons, candidate.tier, candidate.about, candidate.refs, basis)

    def _decide(self, note_id: str, candidate: EventCandidate, shared: Any = None,
                ) -> list[NoteEvent]:
        """The events the model reads for one candidate (``shared``: the log-odds of its
        note's words, :meth:`EventModel.shared_logits`, when already summed for the note)."""
        if self.model is None:
            return self._by_rules(note_id, candidate)
        out = []
        if shared is None:
            shared = self.model.shared_logits(candidate.words)
        probabilities = self.model.probabilities(candidate.features, shared)
        shown = candidate.features.get("p_risk", 0.0)
        if probabilities["resolved"] >= self.model.thresholds.get("resolved", 0.5):
            shown = 0.0  # "the mould hasn't come back": the note shows the hazard gone
        for event in candidate.possible_events:
            probability = probabilities[event]
            if event == "reported" and shown >= self.model.thresholds.get(
                    VERDICT_REPORTS, 2.0) and probability < self.model.thresholds["reported"]:
                out.append(self._event(note_id, candidate, "reported", round(shown, 4),
                                       candidate.evidence,
                                       (Reason(f"hazard verdict risk (P {shown:.2f}): "
                                               "the note shows the hazard"),), "verdict"))
                continue
            if probability < self.model.thresholds.get(event, 0.5):
                continue
            span = next(((h.start, h.end) for h in candidate.hits if event in h.events),
                        candidate.evidence)
            out.append(self._event(note_id, candidate, event, round(probability, 4), span,
                                   self.model.reasons(event, candidate.features,
                                                      words=candidate.words)))
        if any(e.event == "chaser" for e in out):  # "asking when clg done": chased, not done
            out = [e for e in out if e.event != "works_done" or e.probability >= CHASED_DONE_AT]
        return out

    def _by_rules(self, note_id: str, candidate: EventCandidate) -> list[NoteEvent]:
        """Rules alone: an event for each rule that fires unnegated, not as a plan and not
        dated in the past; a report only where the verdict is risk."""
        features = candidate.features
        out = []
        for event in candidate.possible_events:
            if not features.get(f"rule={event}") or features.get(f"negated={event}") or \
                    features.get(f"planned={event}") or features.get(f"historical={event}"):
                continue
            if event == "reported" and not features.get("verdict=risk"):
                continue
            hit = next(h for h in candidate.hits if event in h.events)
            out.append(self._event(note_id, candidate, event, 1.0, (hit.start, hit.end),
                                   (Reason(f"rule {hit.rules[0]} {hit.phrase!r}"),), "rule"))
        return out


@lru_cache(maxsize=1)
def default_event_reader() -> EventReader:
    """The bundled rules and event model (rules alone when the model is not installed)."""
    try:
        model: EventModel | None = load_event_model()
    except ModelError:
        model = None
    return EventReader(load_event_rules(), model)


__all__ = [
    "EventCandidate",
    "EventModel",
    "EventReader",
    "EventRule",
    "EventRules",
    "RuleHit",
    "candidates",
    "default_event_reader",
    "event_examples",
    "load_event_model",
    "load_event_rules",
    "note_words",
    "save_event_model",
    "train_event_model",
]
