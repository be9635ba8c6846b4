"""Small frozen records that flow between the stages of casenotes.

Nothing here imports spaCy: a :class:`Mention` pickles, goes into a DataFrame row and into a
report without any pipeline object attached.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal, cast, get_args

Category = Literal[
    "asbestos", "carbon_monoxide", "gas", "damp_mould", "fire",
    "electrical", "structural", "water", "cold", "pests",
]
Label = Literal["risk", "routine"]
Context = Literal[
    "present", "negated", "hypothetical", "historical",
    "inspection", "administrative", "other_person",
]
CueKind = Literal[
    "negated", "hypothetical", "historical", "inspection", "administrative",
    "other_person", "concern", "uncertain", "pseudo", "terminate",
]
Direction = Literal["forward", "backward", "both", "none"]
#: Context words of the lexicon's equipment section: fittings and appliances, trades, procedures.
EquipmentKind = Literal["equipment", "trade", "procedure"]
Position = Literal["before", "after"]
#: What a note records happening to a hazard (``resources/events.json``; 10/10 of the issues).
EventName = Literal[
    "reported", "booked", "no_access", "refused", "inspected", "made_safe", "works_done",
    "resolved", "chaser", "recurrence",
]
#: What an event rests on: the event model's reading, a certain rule, or (for a report only)
#: the hazard verdict, where the note shows the hazard as a risk but the model read no report.
EventBasis = Literal["model", "rule", "verdict"]
VulnerabilityGroup = Literal[
    "child", "pregnancy", "elderly", "disability", "respiratory", "health",
    "mental_health", "hoarding", "lives_alone", "general",
]

CATEGORIES: Final[tuple[Category, ...]] = get_args(Category)
EVENT_NAMES: Final[tuple[EventName, ...]] = get_args(EventName)
#: Events that open an episode of a hazard when none is open (the case roll-up).
OPENING_EVENTS: Final[frozenset[str]] = frozenset({"reported", "chaser", "recurrence"})
#: One danger named as two hazards: a note that reports no heating and no hot water (a boiler
#: down) records its events about the cold. Where a note names the first category only through
#: these terms and also names the second, the first has no events of its own there (the event
#: reader) and opens no episode (the case roll-up). The hazards table still lists both; a leak
#: beside no heating stays a water hazard.
NAMED_AS_PART_OF: Final[dict[str, tuple[str, frozenset[str]]]] = {
    "water": ("cold", frozenset({"no_hot_water"})),
}
LABELS: Final[tuple[Label, ...]] = get_args(Label)
CONTEXTS: Final[tuple[Context, ...]] = get_args(Context)
CUE_KINDS: Final[tuple[CueKind, ...]] = get_args(CueKind)
DIRECTIONS: Final[tuple[Direction, ...]] = get_args(Direction)
EQUIPMENT_KINDS: Final[tuple[EquipmentKind, ...]] = get_args(EquipmentKind)
VULNERABILITY_GROUPS: Final[tuple[VulnerabilityGroup, ...]] = get_args(VulnerabilityGroup)


def named_only_as_part(term_ids: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The categories a note names only through their :data:`NAMED_AS_PART_OF` terms, each
    with the category it would be part of; ``term_ids``: (category, term id) of its mentions.
    Whether that carrier is named (or has events) is the caller's to ask."""
    named: dict[str, set[str]] = {}
    for category, term_id in term_ids:
        named.setdefault(category, set()).add(term_id)
    return {category: carrier for category, (carrier, terms) in NAMED_AS_PART_OF.items()
            if category in named and named[category] <= terms}


#: Cue kinds that map onto a mention context, nearest first wins; ties go to the earlier one here.
CONTEXT_PRIORITY: Final[tuple[Context, ...]] = (
    "negated", "other_person", "hypothetical", "historical", "inspection", "administrative",
)


@dataclass(frozen=True, slots=True)
class Cue:
    """A context cue that reaches a mention: the "why" behind its context.

    ``position`` says where the cue sits relative to the mention and ``distance`` counts the
    tokens between them (0 when adjacent). ``start``/``end`` are character offsets in the note.
    """

    kind: CueKind
    cue_id: str
    text: str
    position: Position
    distance: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Mention:
    """One hazard term in one note. ``start``/``end`` are character offsets, not token indices.

    ``text[start:end] == term`` always holds for the note the mention was found in.
    ``before``/``after`` are the lower-cased tokens left and right of the term within its
    sentence (nearest last / nearest first), ``before_lemmas``/``after_lemmas`` their lemmas.
    """

    note_id: str
    start: int
    end: int
    term: str
    term_id: str
    category: Category
    hhsrs_hazard: str
    sentence_start: int
    sentence_end: int
    clause_start: int
    clause_end: int
    cues: tuple[Cue, ...] = ()
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    before_lemmas: tuple[str, ...] = ()
    after_lemmas: tuple[str, ...] = ()

    @property
    def context(self) -> Context:
        """The rule-based context: the nearest cue that names one, else ``"present"``."""
        return context_from_cues(self.cues)


@dataclass(frozen=True, slots=True)
class VulnerabilityCue:
    """A mention of a vulnerable person or condition (a baby, COPD, lives alone) in a note."""

    start: int
    end: int
    term: str
    cue_id: str
    group: VulnerabilityGroup


@dataclass(frozen=True, slots=True)
class EquipmentMatch:
    """Equipment, a trade or a procedure named in a note ("boiler", "electrician", "LGSR").

    Context for the mentions near it, never a mention itself.
    """

    start: int
    end: int
    term: str
    term_id: str
    category: Category
    kind: EquipmentKind


@dataclass(frozen=True, slots=True)
class CueMatch:
    """A context cue found anywhere in a note, whether or not it reaches a mention."""

    kind: CueKind
    cue_id: str
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class NoteFindings:
    """Everything the mention stage found in one note.

    ``timeline`` holds the character offsets where dated entries ("02/12/24 14:30 - ...") start;
    ``cues`` every context cue in the note (those reaching a mention are also on the mention);
    ``equipment`` the equipment, trades and procedures it names (context, not mentions).
    """

    note_id: str
    mentions: tuple[Mention, ...]
    vulnerabilities: tuple[VulnerabilityCue, ...]
    timeline: tuple[int, ...] = ()
    cues: tuple[CueMatch, ...] = ()
    equipment: tuple[EquipmentMatch, ...] = ()

    @property
    def vulnerability_groups(self) -> frozenset[VulnerabilityGroup]:
        """The distinct vulnerability groups cued anywhere in the note."""
        return frozenset(v.group for v in self.vulnerabilities)


def context_from_cues(cues: tuple[Cue, ...]) -> Context:
    """Choose a mention's context from its cues: nearest contextual cue wins, else present.

    A concern cue ("reports", "sounding") that is nearer than every contextual cue keeps the
    mention ``present``: "no access - tenant reports smell of gas" is a present concern.
    """
    best: tuple[int, int] | None = None
    chosen: Context = "present"
    for cue in cues:
        kind = cue.kind
        index = CONTEXT_RANK.get(kind)
        if index is None:
            continue
        rank = (cue.distance, index)
        if best is None or rank < best:
            best, chosen = rank, "present" if kind == "concern" else cast(Context, kind)
    return chosen


#: Cue kinds that set a context, by priority at equal distance; a concern cue ranks last
#: and keeps the mention present.
CONTEXT_RANK: Final[dict[str, int]] = {
    **{kind: index for index, kind in enumerate(CONTEXT_PRIORITY)},
    "concern": len(CONTEXT_PRIORITY)}


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason behind a decision: what weighed, in words, and its contribution to the
    log-odds (of risk, or of an event) when a model weighed it; ``None`` for a fact stated
    beside the decision (the encoder's probability, a cue word). Formatted only where a table
    or page is written: ``str(Reason("cue=negated:before:0-1", -2.31))`` is
    ``"cue=negated:before:0-1 (-2.31)"``.
    """

    what: str
    weight: float | None = None

    def __str__(self) -> str:
        return self.what if self.weight is None else f"{self.what} ({self.weight:+.2f})"


@dataclass(frozen=True, slots=True)
class ScoredMention:
    """A mention with its calibrated risk probability, label and the reasons behind it.

    ``reasons`` name the features that pushed hardest towards the label, with their
    contribution to the log-odds of risk: ``Reason("cue=negated:before:0-1", -2.31)``.
    """

    mention: Mention
    risk_probability: float
    label: Label
    reasons: tuple[Reason, ...]
    model_id: str
    #: The urgency tier of a risk mention (``resources/urgency.json``); "" for a routine one.
    urgency: str = ""


@dataclass(frozen=True, slots=True)
class HazardVerdict:
    """The verdict on one hazard category in one note: what an analyst acts on.

    ``risk_probability`` is calibrated on dev hazards from the note's strongest mention of the
    category; ``evidence`` holds the note's mentions of the category, strongest first, and
    ``reasons`` are those of the strongest.
    """

    note_id: str
    category: Category
    hhsrs_hazard: str
    verdict: Label
    risk_probability: float
    evidence: tuple[ScoredMention, ...]
    reasons: tuple[Reason, ...]
    #: For a risk verdict, the highest tier of its mentions, each tiered as a risk; else "".
    urgency: str = ""


@dataclass(frozen=True, slots=True)
class NoteEvent:
    """One event a note records about one hazard category, e.g. ``no_access`` on damp_mould.

    ``category`` is "" when the note names no hazard ("attended, no answer, card left"): the
    case roll-up gives such an event to the case's open hazard. ``start``/``end`` are the
    character offsets of the evidence (the phrase that signals it, else the hazard mention);
    ``tier`` is the urgency the hazard would take as a risk in this note ("" if none named).
    """

    note_id: str
    category: Category | Literal[""]
    event: EventName
    probability: float
    start: int
    end: int
    reasons: tuple[Reason, ...] = ()
    tier: str = ""
    #: For a note that names no hazard: the category its equipment points to ("boiler"
    #: -> cold). And the job or reference numbers the note names. The roll-up uses both to
    #: give the event to the right open hazard of the case.
    about: str = ""
    refs: tuple[str, ...] = ()
    #: What the event rests on (:data:`EventBasis`): the roll-up does not let a report that
    #: rests on the verdict alone start a new episode after an emergency's close.
    basis: EventBasis = "model"


@dataclass(frozen=True, slots=True)
class ScoredNote:
    """One note's findings, scored mentions and hazard verdicts (one per category present);
    ``risk_score`` is the highest mention probability."""

    note_id: str
    findings: NoteFindings
    mentions: tuple[ScoredMention, ...]
    hazards: tuple[HazardVerdict, ...] = ()
    #: The note's urgency (its most urgent risk mention), priority score and why.
    urgency: str = ""
    priority: float = 0.0
    priority_reason: str = ""
    #: What the note records happening to each hazard (booked, inspected, made safe...).
    events: tuple[NoteEvent, ...] = ()

    @property
    def risk_score(self) -> float:
        return max((m.risk_probability for m in self.mentions), default=0.0)

    @property
    def flagged(self) -> bool:
        return any(m.label == "risk" for m in self.mentions)
