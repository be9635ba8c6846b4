"""Load and validate the hazard lexicon, the vulnerability cues and the context cue rules.

All three live as JSON data in ``casenotes/resources`` and share one file format, so a user
file can extend or replace any of them::

    {"hazards": [...], "vulnerability": [...], "cues": [...]}

Every entry is checked on load; a bad entry fails with a message naming the file, the entry
and the key, e.g. ``hazards.json entry 'co_alarm': unknown key 'catgory'; allowed: ...``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeVar, cast

from .errors import LexiconError
from .types import (
    CATEGORIES,
    CUE_KINDS,
    DIRECTIONS,
    EQUIPMENT_KINDS,
    VULNERABILITY_GROUPS,
    Category,
    CueKind,
    Direction,
    EquipmentKind,
    VulnerabilityGroup,
)

SECTIONS: Final = ("hazards", "equipment", "senses", "vulnerability", "cues")
DEFAULT_FILES: Final = ("hazards.json", "vulnerability.json", "cues.json")
DEFAULT_MAX_SCOPE: Final = 8
#: Words before a mention's sentence in which a sense still looks for evidence.
DEFAULT_SENSE_REACH: Final = 12
#: What a sense may take as evidence: hazard hits and the kinds of the equipment section.
EVIDENCE_KINDS: Final = ("hazard", *EQUIPMENT_KINDS)

#: The 29 hazards of the Housing Health and Safety Rating System (England), by their HHSRS names.
HHSRS_HAZARDS: Final = (
    "Damp and mould growth", "Excess cold", "Excess heat", "Asbestos and MMF", "Biocides",
    "Carbon monoxide and fuel combustion products", "Lead", "Radiation",
    "Uncombusted fuel gas", "Volatile organic compounds", "Crowding and space",
    "Entry by intruders", "Lighting", "Noise", "Domestic hygiene, pests and refuse",
    "Food safety", "Personal hygiene, sanitation and drainage", "Water supply",
    "Falls associated with baths etc", "Falling on level surfaces etc",
    "Falling on stairs etc", "Falling between levels", "Electrical hazards", "Fire",
    "Flames, hot surfaces etc", "Collision and entrapment", "Explosions",
    "Position and operability of amenities", "Structural collapse and falling elements",
)


@dataclass(frozen=True, slots=True)
class TokenPattern:
    """A spaCy ``Matcher`` token pattern, kept as canonical JSON so the record stays hashable.

    ``keep`` is the ``(first, last + 1)`` token slice of the match that becomes the mention, so
    ``asb survey`` can require "survey" while the mention stays "asb". A match claims all its
    tokens against overlapping hits; with ``claim_kept`` it claims only the kept ones, so the
    context it reads stays free for other entries ("no heating" in "no heating or hot water").
    """

    pattern_json: str
    keep: tuple[int, int] | None = None
    claim_kept: bool = False

    @property
    def tokens(self) -> list[dict[str, Any]]:
        """The pattern as the list of token dicts spaCy's ``Matcher`` takes."""
        return cast(list[dict[str, Any]], json.loads(self.pattern_json))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pattern": self.tokens}
        if self.keep is not None:
            out["keep"] = list(self.keep)
        if self.claim_kept:
            out["claim"] = "kept"
        return out


@dataclass(frozen=True, slots=True)
class HazardTerm:
    """One lexicon entry: the phrases that name one hazard concept, and its look-alikes.

    ``phrases`` and ``misspellings`` match case-insensitively, ``abbreviations`` and
    ``lookalikes_cased`` exactly; ``lookalikes`` (case-insensitive) suppress any shorter or
    equal hit they overlap.
    """

    id: str
    category: Category
    hhsrs_hazard: str
    phrases: tuple[str, ...] = ()
    misspellings: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    patterns: tuple[TokenPattern, ...] = ()
    lookalikes: tuple[str, ...] = ()
    lookalikes_cased: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class EquipmentTerm:
    """Equipment, a trade or a procedure of one hazard category: context, never a mention.

    "boiler", "electrician", "LGSR": a hazard hit lying inside one is dropped, and the finder
    reports where they stand so features can use equipment near a mention. A fault pattern in
    the hazards section ("boiler broken down", "socket sparking") makes a mention of them.
    """

    id: str
    category: Category
    kind: EquipmentKind
    phrases: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    patterns: tuple[TokenPattern, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class ContextSense:
    """Another category for an ambiguous hazard word, taken when its evidence is nearest.

    "burning smell" is a fire mention, but an electrical one beside "socket"; "fire" is the
    gas category's in "spillage test on the fire failed"; "cracked" is asbestos beside "AIB".
    ``terms`` are mentions as matched (lower case, one space between words). The nearest
    evidence in the mention's sentence decides (its own category's keeps the default); without
    any, the nearest within ``reach`` words before the sentence.
    """

    id: str
    terms: tuple[str, ...]
    category: Category
    hhsrs_hazard: str
    evidence: tuple[Category, ...]
    evidence_kinds: tuple[str, ...] = EVIDENCE_KINDS
    reach: int = DEFAULT_SENSE_REACH
    description: str = ""


@dataclass(frozen=True, slots=True)
class VulnerabilityTerm:
    """Phrases that cue a vulnerable resident (a baby, COPD, lives alone)."""

    id: str
    group: VulnerabilityGroup
    phrases: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    patterns: tuple[TokenPattern, ...] = ()
    lookalikes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CueRule:
    """A ConText rule: phrases of one kind that reach mentions in ``direction`` within the clause.

    ``forward`` cues reach mentions after them ("no mould"), ``backward`` ones mentions before
    them ("mould not found"), ``both`` either way; ``terminate`` cues end a clause ("but") and
    ``pseudo`` cues only block shorter cues inside them ("no access" is not a negation).
    """

    id: str
    kind: CueKind
    direction: Direction
    phrases: tuple[str, ...] = ()
    patterns: tuple[TokenPattern, ...] = ()
    max_scope: int = DEFAULT_MAX_SCOPE


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The lexicon groups. Frozen: ``merged`` and ``with_terms`` return new lexicons."""

    hazards: tuple[HazardTerm, ...] = ()
    vulnerability: tuple[VulnerabilityTerm, ...] = ()
    cues: tuple[CueRule, ...] = ()
    sources: tuple[str, ...] = field(default=(), compare=False)
    equipment: tuple[EquipmentTerm, ...] = ()
    senses: tuple[ContextSense, ...] = ()

    def __post_init__(self) -> None:
        others = {phrase.lower(): ("a look-alike", term.id)
                  for term in self.hazards for phrase in term.lookalikes}
        others.update((phrase.lower(), ("equipment", item.id))
                      for item in self.equipment for phrase in item.phrases)
        for term in self.hazards:
            for phrase in term.phrases + term.misspellings:
                clash = others.get(phrase.lower())
                if clash is not None:
                    raise LexiconError(
                        f"hazard entry {term.id!r}: phrase {phrase!r} is also {clash[0]} of "
                        f"entry {clash[1]!r}; remove it from one of them"
                    )

    @classmethod
    def from_dict(cls, data: object, *, source: str = "lexicon") -> Lexicon:
        """Build a lexicon from parsed JSON, validating every entry."""
        if not isinstance(data, Mapping):
            raise LexiconError(
                f"{source}: top level must be a JSON object with any of the sections "
                f"{', '.join(SECTIONS)}; got {type(data).__name__}"
            )
        unknown = sorted(set(data) - set(SECTIONS) - {"casenotes_lexicon", "about"})
        if unknown:
            raise LexiconError(
                f"{source}: unknown section {unknown[0]!r}; allowed: {', '.join(SECTIONS)}"
            )
        hazards = _entries(data, "hazards", source, _hazard_from_dict)
        vulnerability = _entries(data, "vulnerability", source, _vulnerability_from_dict)
        cues = _entries(data, "cues", source, _cue_from_dict)
        equipment = _entries(data, "equipment", source, _equipment_from_dict)
        senses = _entries(data, "senses", source, _sense_from_dict)
        return cls(hazards, vulnerability, cues, sources=(source,), equipment=equipment,
                   senses=senses)

    @classmethod
    def from_file(cls, path: str | Path) -> Lexicon:
        """Read one lexicon file (UTF-8 JSON)."""
        path = Path(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise LexiconError(
                f"lexicon file {str(path)!r} does not exist; check the path"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise LexiconError(
                f"cannot read lexicon file {str(path)!r} ({type(exc).__name__}); "
                "it must be a readable UTF-8 JSON file"
            ) from None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise LexiconError(
                f"{path.name}: not valid JSON at line {exc.lineno} column {exc.colno} "
                f"({exc.msg}); fix the file and try again"
            ) from None
        return cls.from_dict(data, source=path.name)

    def merged(self, other: Lexicon, *, replace_sections: bool = False) -> Lexicon:
        """Return this lexicon extended by ``other``: entries with the same id are replaced.

        With ``replace_sections=True`` every non-empty section of ``other`` replaces this one's.
        """

        def combine(mine: tuple[_E, ...], theirs: tuple[_E, ...]) -> tuple[_E, ...]:
            if replace_sections and theirs:
                return theirs
            by_id = {entry.id: entry for entry in mine}
            by_id.update((entry.id, entry) for entry in theirs)
            return tuple(by_id.values())

        return Lexicon(
            combine(self.hazards, other.hazards),
            combine(self.vulnerability, other.vulnerability),
            combine(self.cues, other.cues),
            sources=self.sources + other.sources,
            equipment=combine(self.equipment, other.equipment),
            senses=combine(self.senses, other.senses),
        )

    def with_terms(self, *terms: HazardTerm) -> Lexicon:
        """Return a copy with these hazard terms added (same id replaces)."""
        return self.merged(Lexicon(hazards=terms))

    def to_dict(self) -> dict[str, Any]:
        """The lexicon as JSON-ready data, in the file format it was read from."""
        data: dict[str, Any] = {
            "casenotes_lexicon": 1,
            "hazards": [_hazard_to_dict(term) for term in self.hazards],
            "equipment": [_equipment_to_dict(item) for item in self.equipment],
            "vulnerability": [_vulnerability_to_dict(term) for term in self.vulnerability],
            "cues": [_cue_to_dict(rule) for rule in self.cues],
        }
        if self.senses:  # absent when empty, so older lexicons keep their hash
            data["senses"] = [_sense_to_dict(sense) for sense in self.senses]
        return data

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON form: models record it to detect lexicon drift."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def term(self, term_id: str) -> HazardTerm:
        """Look up a hazard term by id."""
        for term in self.hazards:
            if term.id == term_id:
                return term
        raise KeyError(term_id)


_E = TypeVar("_E", HazardTerm, EquipmentTerm, ContextSense, VulnerabilityTerm, CueRule)


def default_lexicon() -> Lexicon:
    """The lexicon shipped with casenotes (hazards, vulnerability cues, context cues)."""
    return _default_lexicon()


@lru_cache(maxsize=1)
def _default_lexicon() -> Lexicon:
    lexicon = Lexicon()
    package = resources.files("casenotes.resources")
    for name in DEFAULT_FILES:
        data = json.loads(package.joinpath(name).read_text(encoding="utf-8"))
        lexicon = lexicon.merged(Lexicon.from_dict(data, source=name))
    return lexicon


def load_lexicon(*paths: str | Path, replace: bool = False) -> Lexicon:
    """Load the default lexicon extended by user files, or replaced by them.

    Parameters
    ----------
    *paths : str or Path
        Lexicon files in the casenotes JSON format; later files win on equal ids.
    replace : bool, default=False
        If True, each section a user file provides replaces the default section instead of
        extending it (sections the files leave out keep their defaults).

    Raises
    ------
    LexiconError
        If a file is missing, is not JSON, or has an invalid entry (named in the message).
    """
    lexicon = default_lexicon()
    for path in paths:
        lexicon = lexicon.merged(Lexicon.from_file(path), replace_sections=replace)
    return lexicon


# ---------------------------------------------------------------------------- validation


def _entries(
    data: Mapping[str, object], section: str, source: str,
    build: Callable[[Mapping[str, object], str], _E],
) -> tuple[_E, ...]:
    raw = data.get(section, [])
    if not isinstance(raw, list):
        raise LexiconError(f"{source}: section {section!r} must be a list of entries")
    entries: list[_E] = []
    seen: set[str] = set()
    for index, item in enumerate(raw, 1):
        if not isinstance(item, Mapping):
            raise LexiconError(f"{source} {section} entry #{index}: must be a JSON object")
        label = f"{source} entry {item['id']!r}" if isinstance(item.get("id"), str) else (
            f"{source} {section} entry #{index}"
        )
        entry = build(item, label)
        if entry.id in seen:
            raise LexiconError(f"{label}: id {entry.id!r} appears twice; ids must be unique")
        seen.add(entry.id)
        entries.append(entry)
    return tuple(entries)


def _check_keys(item: Mapping[str, object], label: str, required: Sequence[str],
                optional: Sequence[str]) -> None:
    allowed = [*required, *optional]
    for key in item:
        if key not in allowed:
            raise LexiconError(f"{label}: unknown key {key!r}; allowed: {', '.join(allowed)}")
    for key in required:
        if key not in item:
            raise LexiconError(f"{label}: missing required key {key!r}")


def _string(item: Mapping[str, object], key: str, label: str, default: str | None = None) -> str:
    value = item.get(key, default)
    if not isinstance(value, str) or (not value.strip() and default is None):
        raise LexiconError(f"{label}: key {key!r} must be a non-empty string")
    return value


def _choice(item: Mapping[str, object], key: str, label: str, allowed: Iterable[str],
            default: str | None = None) -> str:
    value = _string(item, key, label, default)
    options = tuple(allowed)
    if value not in options:
        raise LexiconError(
            f"{label}: {key} {value!r} is not one of: {', '.join(options)}"
        )
    return value


def _strings(item: Mapping[str, object], key: str, label: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(
        isinstance(v, str) and v.strip() and v == v.strip() for v in value
    ):
        raise LexiconError(
            f"{label}: key {key!r} must be a list of non-empty strings without "
            "leading or trailing spaces"
        )
    return tuple(value)


def _patterns(item: Mapping[str, object], key: str, label: str) -> tuple[TokenPattern, ...]:
    value = item.get(key, [])
    if not isinstance(value, list):
        raise LexiconError(f"{label}: key {key!r} must be a list of {{'pattern': [...]}} objects")
    patterns = []
    for number, spec in enumerate(value, 1):
        where = f"{label}: {key} #{number}"
        if not isinstance(spec, Mapping):
            raise LexiconError(
                f"{where} must be an object like {{'pattern': [{{'LOWER': 'asb'}}]}}"
            )
        _check_keys(spec, where, ["pattern"], ["keep", "claim"])
        tokens = spec["pattern"]
        if not isinstance(tokens, list) or not tokens or not all(
            isinstance(t, Mapping) and t for t in tokens
        ):
            raise LexiconError(f"{where}: 'pattern' must be a non-empty list of token objects")
        keep = spec.get("keep")
        keep_slice: tuple[int, int] | None = None
        if keep is not None:
            if (
                not isinstance(keep, list) or len(keep) != 2
                or not all(isinstance(k, int) and not isinstance(k, bool) for k in keep)
                or not 0 <= keep[0] < keep[1] <= len(tokens)
            ):
                raise LexiconError(
                    f"{where}: 'keep' must be [first, last+1] token indices within the pattern "
                    f"(0 <= first < last+1 <= {len(tokens)})"
                )
            keep_slice = (keep[0], keep[1])
        claim = spec.get("claim", "match")
        if claim not in ("match", "kept") or (claim == "kept" and keep_slice is None):
            raise LexiconError(
                f"{where}: 'claim' must be \"match\" (the default) or \"kept\", and \"kept\" "
                "needs a 'keep' slice"
            )
        patterns.append(TokenPattern(json.dumps(tokens, sort_keys=True), keep_slice,
                                     claim == "kept"))
    return tuple(patterns)


def _hazard_from_dict(item: Mapping[str, object], label: str) -> HazardTerm:
    _check_keys(item, label, ["id", "category", "hhsrs_hazard"], [
        "phrases", "misspellings", "abbreviations", "patterns", "lookalikes",
        "lookalikes_cased", "description",
    ])
    term = HazardTerm(
        id=_string(item, "id", label),
        category=cast(Category, _choice(item, "category", label, CATEGORIES)),
        hhsrs_hazard=_choice(item, "hhsrs_hazard", label, HHSRS_HAZARDS),
        phrases=_strings(item, "phrases", label),
        misspellings=_strings(item, "misspellings", label),
        abbreviations=_strings(item, "abbreviations", label),
        patterns=_patterns(item, "patterns", label),
        lookalikes=_strings(item, "lookalikes", label),
        lookalikes_cased=_strings(item, "lookalikes_cased", label),
        description=_string(item, "description", label, ""),
    )
    if not (term.phrases or term.misspellings or term.abbreviations or term.patterns):
        raise LexiconError(
            f"{label}: needs at least one of 'phrases', 'misspellings', 'abbreviations', 'patterns'"
        )
    clash = {p.lower() for p in term.phrases + term.misspellings} & {
        p.lower() for p in term.lookalikes
    }
    if clash:
        raise LexiconError(f"{label}: {sorted(clash)[0]!r} is both a phrase and a look-alike")
    return term


def _equipment_from_dict(item: Mapping[str, object], label: str) -> EquipmentTerm:
    _check_keys(item, label, ["id", "category", "kind"],
                ["phrases", "abbreviations", "patterns", "description"])
    term = EquipmentTerm(
        id=_string(item, "id", label),
        category=cast(Category, _choice(item, "category", label, CATEGORIES)),
        kind=cast(EquipmentKind, _choice(item, "kind", label, EQUIPMENT_KINDS)),
        phrases=_strings(item, "phrases", label),
        abbreviations=_strings(item, "abbreviations", label),
        patterns=_patterns(item, "patterns", label),
        description=_string(item, "description", label, ""),
    )
    if not (term.phrases or term.abbreviations or term.patterns):
        raise LexiconError(f"{label}: needs at least one of 'phrases', 'abbreviations', 'patterns'")
    return term


def _sense_from_dict(item: Mapping[str, object], label: str) -> ContextSense:
    _check_keys(item, label, ["id", "terms", "category", "hhsrs_hazard", "evidence"],
                ["evidence_kinds", "reach", "description"])
    category = cast(Category, _choice(item, "category", label, CATEGORIES))
    terms = _strings(item, "terms", label)
    if not terms or any(term != " ".join(term.lower().split()) for term in terms):
        raise LexiconError(
            f"{label}: 'terms' must list mentions as matched: lower case, one space between "
            "words (\"burning smell\")")
    evidence = _strings(item, "evidence", label)
    kinds = _strings(item, "evidence_kinds", label) or EVIDENCE_KINDS
    for name, values, allowed in (("evidence", evidence, CATEGORIES),
                                  ("evidence_kinds", kinds, EVIDENCE_KINDS)):
        unknown = [v for v in values if v not in allowed]
        if unknown or not values:
            raise LexiconError(f"{label}: {name} must list some of: {', '.join(allowed)}; "
                               f"got {unknown[0] if unknown else 'none'!r}")
    reach = item.get("reach", DEFAULT_SENSE_REACH)
    if not isinstance(reach, int) or isinstance(reach, bool) or not 0 <= reach <= 200:
        raise LexiconError(f"{label}: 'reach' must be a whole number of words from 0 to 200")
    return ContextSense(
        id=_string(item, "id", label), terms=terms, category=category,
        hhsrs_hazard=_choice(item, "hhsrs_hazard", label, HHSRS_HAZARDS),
        evidence=cast(tuple[Category, ...], evidence), evidence_kinds=kinds, reach=reach,
        description=_string(item, "description", label, ""))


def _vulnerability_from_dict(item: Mapping[str, object], label: str) -> VulnerabilityTerm:
    _check_keys(item, label, ["id", "group"],
                ["phrases", "abbreviations", "patterns", "lookalikes"])
    term = VulnerabilityTerm(
        id=_string(item, "id", label),
        group=cast(VulnerabilityGroup, _choice(item, "group", label, VULNERABILITY_GROUPS)),
        phrases=_strings(item, "phrases", label),
        abbreviations=_strings(item, "abbreviations", label),
        patterns=_patterns(item, "patterns", label),
        lookalikes=_strings(item, "lookalikes", label),
    )
    if not (term.phrases or term.abbreviations or term.patterns):
        raise LexiconError(f"{label}: needs at least one of 'phrases', 'abbreviations', 'patterns'")
    return term


def _cue_from_dict(item: Mapping[str, object], label: str) -> CueRule:
    _check_keys(item, label, ["id", "kind", "direction"], ["phrases", "patterns", "max_scope"])
    kind = cast(CueKind, _choice(item, "kind", label, CUE_KINDS))
    direction = cast(Direction, _choice(item, "direction", label, DIRECTIONS))
    if (kind in ("terminate", "pseudo")) != (direction == "none"):
        raise LexiconError(
            f"{label}: direction must be 'none' exactly for kinds 'terminate' and 'pseudo'"
        )
    max_scope = item.get("max_scope", DEFAULT_MAX_SCOPE)
    if not isinstance(max_scope, int) or isinstance(max_scope, bool) or max_scope < 0:
        raise LexiconError(f"{label}: key 'max_scope' must be a whole number of tokens >= 0")
    rule = CueRule(
        id=_string(item, "id", label), kind=kind, direction=direction,
        phrases=_strings(item, "phrases", label), patterns=_patterns(item, "patterns", label),
        max_scope=max_scope,
    )
    if not (rule.phrases or rule.patterns):
        raise LexiconError(f"{label}: needs at least one of 'phrases', 'patterns'")
    return rule


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in ((), [], "", None)}


def _hazard_to_dict(term: HazardTerm) -> dict[str, Any]:
    return _drop_empty({
        "id": term.id, "category": term.category, "hhsrs_hazard": term.hhsrs_hazard,
        "phrases": list(term.phrases), "misspellings": list(term.misspellings),
        "abbreviations": list(term.abbreviations),
        "patterns": [p.to_dict() for p in term.patterns],
        "lookalikes": list(term.lookalikes), "lookalikes_cased": list(term.lookalikes_cased),
        "description": term.description,
    })


def _equipment_to_dict(term: EquipmentTerm) -> dict[str, Any]:
    return _drop_empty({
        "id": term.id, "category": term.category, "kind": term.kind,
        "phrases": list(term.phrases), "abbreviations": list(term.abbreviations),
        "patterns": [p.to_dict() for p in term.patterns], "description": term.description,
    })


def _sense_to_dict(sense: ContextSense) -> dict[str, Any]:
    data = _drop_empty({
        "id": sense.id, "terms": list(sense.terms), "category": sense.category,
        "hhsrs_hazard": sense.hhsrs_hazard, "evidence": list(sense.evidence),
        "description": sense.description,
    })
    if sense.evidence_kinds != EVIDENCE_KINDS:
        data["evidence_kinds"] = list(sense.evidence_kinds)
    if sense.reach != DEFAULT_SENSE_REACH:
        data["reach"] = sense.reach
    return data


def _vulnerability_to_dict(term: VulnerabilityTerm) -> dict[str, Any]:
    return _drop_empty({
        "id": term.id, "group": term.group, "phrases": list(term.phrases),
        "abbreviations": list(term.abbreviations),
        "patterns": [p.to_dict() for p in term.patterns], "lookalikes": list(term.lookalikes),
    })


def _cue_to_dict(rule: CueRule) -> dict[str, Any]:
    data = _drop_empty({
        "id": rule.id, "kind": rule.kind, "direction": rule.direction,
        "phrases": list(rule.phrases), "patterns": [p.to_dict() for p in rule.patterns],
    })
    if rule.max_scope != DEFAULT_MAX_SCOPE:
        data["max_scope"] = rule.max_scope
    return data


__all__ = [
    "HHSRS_HAZARDS", "ContextSense", "CueRule", "EquipmentTerm", "HazardTerm", "Lexicon",
    "TokenPattern", "VulnerabilityTerm", "default_lexicon", "load_lexicon",
]
