"""Urgency and priority: how soon a scored note needs a person, and why.

Each hazard term has an urgency tier (``emergency``, ``significant`` or ``standard``, after
Awaab's Law) in ``resources/urgency.json``; rules there raise a tier when a vulnerable resident
is noted (by the vulnerability lexicon, or by an age the note states: "she is 79") or symptoms
are named near the mention, and lower a term's own tier where the sentence says it is milder
than the term ("bowing slightly", "not down", a gutter overflowing outside, "hard to get out in
a fire"). A note's priority combines, for its strongest
mention, the probability of risk, the tier and the vulnerability noted:

    priority = 100 x max over mentions of  P(risk) x tier weight / 3  x  vulnerability factor / 2

with tier weights emergency 3, significant 2, standard 1, and a vulnerability factor of 1 plus
0.25 for each priority group noted (child, pregnancy, elderly, disability, respiratory), at
most 2. Every factor is non-negative and non-decreasing, so the priority is monotone in the
probability, the tier and the vulnerability; it runs from 0 to 100.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal, cast

from ..errors import LexiconError
from ..nlp.ages import states_age_from
from ..types import CATEGORIES

Urgency = Literal["emergency", "significant", "standard"]
URGENCIES: Final[tuple[Urgency, ...]] = ("emergency", "significant", "standard")
TIER_WEIGHT: Final[dict[str, float]] = {"emergency": 3.0, "significant": 2.0, "standard": 1.0}
#: Vulnerability groups that raise priority (the lexicon's "baby" is in the child group).
PRIORITY_GROUPS: Final = ("child", "pregnancy", "elderly", "disability", "respiratory")
_WORD = re.compile(r"[^\W_]+(?:[&'’][^\W_]+)?")


@dataclass(frozen=True, slots=True)
class UrgencyRule:
    """Raise a mention's tier to ``raise_to`` (or lower its term's own tier to ``lower_to``)
    when its category is one of ``categories``, its term one of ``terms`` (if given), a
    vulnerability group of the note is in ``vulnerability`` (if given), a word or phrase of
    its sentence is in ``words`` (if given) with no denial in the two words before it ("not
    crumbling, no dust" raises nothing), and a word of ``also_words`` too (if given: "ceiling"
    and "through"), at most ``within`` words from it (if given)."""

    id: str
    categories: frozenset[str]
    raise_to: Urgency | None = None
    lower_to: Urgency | None = None
    vulnerability: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    also_words: frozenset[str] = frozenset()
    #: Where the words are read: the mention's ``sentence`` or the whole ``note``.
    reach: Literal["sentence", "note"] = "sentence"
    terms: frozenset[str] = frozenset()
    within: int | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class StatedAge:
    """A person's age written as a number in the note ("she is 79", "Mr B (84, lives alone)")
    notes ``group`` for the rules when it is ``from_age`` or more."""

    group: str
    from_age: int


@dataclass(frozen=True)
class UrgencyTable:
    """Base tiers by hazard term id, the rules that raise them, and the age from which a
    stated age notes a vulnerability group for the rules."""

    tiers: Mapping[str, Urgency]
    rules: tuple[UrgencyRule, ...] = ()
    stated_age: StatedAge | None = None

    @classmethod
    def from_dict(cls, data: object, *, source: str = "urgency") -> UrgencyTable:
        """Validate and build; errors name the file, entry and key."""
        if not isinstance(data, dict):
            raise LexiconError(f"{source}: expected a JSON object with 'tiers' and 'rules'")
        unknown = set(data) - {"casenotes_urgency", "about", "tiers", "rules", "stated_age"}
        if unknown:
            raise LexiconError(f"{source}: unknown key {sorted(unknown)[0]!r}; allowed: "
                               "casenotes_urgency, about, tiers, rules, stated_age")
        tiers = data.get("tiers", {})
        if not isinstance(tiers, dict):
            raise LexiconError(f"{source}: 'tiers' must map hazard term ids to a tier")
        for term_id, tier in tiers.items():
            if tier not in URGENCIES:
                raise LexiconError(f"{source} tier of {term_id!r}: {tier!r} is not one of "
                                   f"{', '.join(URGENCIES)}")
        rules = []
        for number, raw in enumerate(data.get("rules", []), 1):
            where = f"{source} rule #{number}"
            if not isinstance(raw, dict):
                raise LexiconError(f"{where}: expected an object")
            allowed = {"id", "description", "categories", "vulnerability", "words",
                       "also_words", "reach", "raise_to", "lower_to", "terms", "within"}
            extra = set(raw) - allowed
            if extra:
                raise LexiconError(f"{where}: unknown key {sorted(extra)[0]!r}; allowed: "
                                   f"{', '.join(sorted(allowed))}")
            if ("raise_to" in raw) == ("lower_to" in raw):
                raise LexiconError(f"{where}: give one of raise_to (the rule raises a tier) or "
                                   "lower_to (it lowers the term's own tier)")
            direction = "raise_to" if "raise_to" in raw else "lower_to"
            if raw[direction] not in URGENCIES:
                raise LexiconError(f"{where}: {direction} must be one of {', '.join(URGENCIES)}")
            if raw.get("reach", "sentence") not in ("sentence", "note"):
                raise LexiconError(f"{where}: reach must be 'sentence' (the mention's, the "
                                   "default) or 'note'")
            if raw.get("also_words") and not raw.get("words"):
                raise LexiconError(f"{where}: also_words needs words (the rule holds when the "
                                   "sentence has one of each)")
            within = raw.get("within")
            if within is not None and (not raw.get("also_words") or not isinstance(within, int)
                                       or isinstance(within, bool) or within < 1):
                raise LexiconError(f"{where}: within is how many words apart a word and an "
                                   "also-word may stand: a whole number of 1 or more, with "
                                   "also_words")
            categories = raw.get("categories") or []
            bad = [c for c in categories if c not in CATEGORIES]
            if not categories or bad:
                raise LexiconError(f"{where}: categories must be hazard categories "
                                   f"({', '.join(CATEGORIES)})")
            terms = raw.get("terms") or []
            if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
                raise LexiconError(f"{where}: terms must be a list of hazard term ids")
            rules.append(UrgencyRule(
                id=str(raw.get("id") or f"rule{number}"), categories=frozenset(categories),
                raise_to=cast("Urgency | None", raw.get("raise_to")),
                lower_to=cast("Urgency | None", raw.get("lower_to")),
                vulnerability=frozenset(raw.get("vulnerability") or ()),
                words=frozenset(w.lower() for w in raw.get("words") or ()),
                also_words=frozenset(w.lower() for w in raw.get("also_words") or ()),
                reach=cast(Literal["sentence", "note"], raw.get("reach", "sentence")),
                terms=frozenset(terms), within=within,
                description=str(raw.get("description", ""))))
        return cls(dict(tiers), tuple(rules), _stated_age(data.get("stated_age"), source))

    def tier(self, term_id: str, category: str, vulnerability: Iterable[str],
             sentence: str, note: str = "") -> tuple[Urgency, str | None]:
        """The tier of a risk mention and the rule that set it (None: the term's own).

        The term's own tier is lowered by the lowering rules that hold, then raised by the
        raising rules that hold. ``vulnerability`` holds the note's groups; ``note``, the
        whole note, is read by the rules whose ``reach`` is the note, and for a stated age
        when a rule of the category asks for its group and the lexicon noted none of the
        rule's groups.
        """
        tier = self.tiers.get(term_id, "standard")
        rule_id = None
        rules = self._rules_by_category.get(category, ())
        if not rules:
            return tier, rule_id
        groups = vulnerability if isinstance(vulnerability, (set, frozenset)) \
            else set(vulnerability)
        read: dict[str, _Words] = {}  # the sentence's and the note's words, as rules ask
        for rule in rules:
            if rule.lower_to is not None and TIER_WEIGHT[rule.lower_to] < TIER_WEIGHT[tier] \
                    and self._holds(rule, term_id, groups, sentence, note, read):
                tier, rule_id = rule.lower_to, rule.id
        for rule in rules:
            if rule.raise_to is not None and TIER_WEIGHT[rule.raise_to] > TIER_WEIGHT[tier] \
                    and self._holds(rule, term_id, groups, sentence, note, read):
                tier, rule_id = rule.raise_to, rule.id
        return tier, rule_id

    def _holds(self, rule: UrgencyRule, term_id: str, groups: Iterable[str], sentence: str,
               note: str, read: dict[str, _Words]) -> bool:
        """Whether ``rule`` holds for a mention of ``term_id`` (its category already matched);
        ``read`` keeps the words of the sentence and the note once read."""
        if rule.terms and term_id not in rule.terms:
            return False
        if rule.vulnerability and rule.vulnerability.isdisjoint(groups) \
                and not self._age_group_of(rule, note):
            return False
        if not rule.words:
            return True
        reach = rule.reach if note else "sentence"
        words = read.get(reach) or read.setdefault(
            reach, _Words(note if reach == "note" else sentence))
        wanted, also = self._word_patterns[rule.id]
        found = words.places(wanted)
        if not found or also is None:
            return bool(found)
        beside = words.places(also)
        if rule.within is None:
            return bool(beside)
        return any(abs(i - j) <= rule.within for i in found for j in beside)

    def _age_group_of(self, rule: UrgencyRule, note: str) -> bool:
        """Whether the note states an age that notes one of the rule's groups."""
        age = self.stated_age
        return age is not None and age.group in rule.vulnerability and bool(note) \
            and _states_age_from(note, age.from_age)

    @cached_property
    def _word_patterns(self) -> dict[str, tuple[_RuleWords, _RuleWords | None]]:
        """For each rule with words, its words and its also-words, ready to look up."""
        return {rule.id: (_RuleWords.of(rule.words),
                          _RuleWords.of(rule.also_words) if rule.also_words else None)
                for rule in self.rules if rule.words}

    @cached_property
    def _rules_by_category(self) -> dict[str, tuple[UrgencyRule, ...]]:
        """The rules for each category, in file order: most mentions meet one or two."""
        return {category: tuple(r for r in self.rules if category in r.categories)
                for category in {c for r in self.rules for c in r.categories}}


def _stated_age(raw: object, source: str) -> StatedAge | None:
    """The ``stated_age`` entry, validated: ``{"group": "elderly", "from": 65}``."""
    if raw is None:
        return None
    where = f"{source} stated_age"
    if not isinstance(raw, dict) or set(raw) - {"group", "from", "about"}:
        raise LexiconError(f'{where}: expected {{"group": "elderly", "from": 65}} (and an '
                           f'optional "about")')
    group, from_age = raw.get("group"), raw.get("from")
    if group not in PRIORITY_GROUPS:
        raise LexiconError(f"{where}: group must be one of {', '.join(PRIORITY_GROUPS)}, "
                           f"not {group!r}")
    if not isinstance(from_age, int) or isinstance(from_age, bool) or not 1 <= from_age <= 119:
        raise LexiconError(f"{where}: from must be a whole number of years from 1 to 119, "
                           f"not {from_age!r}")
    return StatedAge(group, from_age)


@lru_cache(maxsize=64)
def _states_age_from(note: str, from_age: int) -> bool:
    """Whether the note gives a person an age of ``from_age`` or more (cached: a note's
    mentions ask in turn)."""
    return states_age_from(note, from_age)


@dataclass(frozen=True, slots=True)
class _RuleWords:
    """A rule's words and phrases: a regex that finds any of them in the lower-cased text (the
    quick check: most sentences have none) and each as its words, by its first word."""

    quick: re.Pattern[str]
    by_first: dict[str, tuple[tuple[str, ...], ...]]

    @classmethod
    def of(cls, phrases: frozenset[str]) -> _RuleWords:
        split = sorted({tuple(_WORD.findall(p)) for p in phrases if _WORD.search(p)})
        by_first: dict[str, list[tuple[str, ...]]] = {}
        for words in split:
            by_first.setdefault(words[0], []).append(words)
        quick = re.compile("|".join(map(re.escape, sorted(phrases))))  # only asks "any?"
        return cls(quick, {first: tuple(found) for first, found in by_first.items()})


class _Words:
    """A sentence (or note), lower-cased once, as the rules read it: a rule word or phrase counts
    where it stands as whole words with no denial in the two words before it."""

    def __init__(self, text: str) -> None:
        self.lowered = text.lower()
        self._words: list[str] | None = None

    def places(self, rule_words: _RuleWords) -> list[int]:
        """The word positions where one of the rule's words or phrases starts, as whole words,
        with no denial in the two words before it. The text is split into words only when the
        quick regex finds one of them in it."""
        if rule_words.quick.search(self.lowered) is None:
            return []
        if self._words is None:
            self._words = _WORD.findall(self.lowered)
        words, by_first = self._words, rule_words.by_first
        return [at for at, word in enumerate(words)
                if word in by_first
                and any(tuple(words[at:at + len(phrase)]) == phrase for phrase in by_first[word])
                and _DENIALS.isdisjoint(words[max(0, at - 2):at])]


#: Words that deny the rule word after them ("not crumbling, no dust", "no headache").
_DENIALS: Final = frozenset({"no", "not", "without", "nothing", "never", "nor", "isn't",
                             "wasn't", "aren't", "don't", "doesn't", "didn't", "hasn't"})


def load_urgency(path: str | Path | None = None) -> UrgencyTable:
    """The urgency table from a JSON file, or the bundled one."""
    if path is None:
        return _bundled_urgency()
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LexiconError(f"{path}: no such urgency file") from None
    except json.JSONDecodeError as exc:
        raise LexiconError(f"{path.name}: not valid JSON ({exc.msg} at line {exc.lineno})") \
            from None
    return UrgencyTable.from_dict(data, source=path.name)


@lru_cache(maxsize=1)
def _bundled_urgency() -> UrgencyTable:
    text = resources.files("casenotes").joinpath("resources").joinpath("urgency.json") \
        .read_text(encoding="utf-8")
    return UrgencyTable.from_dict(json.loads(text), source="urgency.json")


def vulnerability_factor(groups: Iterable[str]) -> float:
    """1 + 0.25 per priority vulnerability group noted, at most 2."""
    return min(2.0, 1.0 + 0.25 * len(set(groups) & set(PRIORITY_GROUPS)))


@dataclass(frozen=True, slots=True)
class Priority:
    """A note's priority (0-100), its highest urgency among risk mentions, and why."""

    score: float
    urgency: str
    reason: str


def priority_of(probability: float, tier: str, groups: Iterable[str]) -> float:
    """The priority of one mention: monotone in each argument, from 0 to 100."""
    return _priority(probability, tier, vulnerability_factor(groups))


def _priority(probability: float, tier: str, factor: float) -> float:
    return 100.0 * probability * TIER_WEIGHT[tier] / 3.0 * factor / 2.0


def note_priority(mentions: Sequence[Any], groups: Iterable[str], texts: Sequence[str],
                  table: UrgencyTable | None = None, note: str = "",
                  ) -> tuple[Priority, list[str]]:
    """Priority of a note from its scored mentions, and the tier of each risk mention.

    ``mentions`` are :class:`~casenotes.types.ScoredMention`; ``texts[i]`` is mention i's
    sentence. Routine mentions get the tier "" but still count towards the priority (with
    their term's own tier), so the priority rises smoothly with P(risk).
    """
    tiers = mention_tiers([scored.mention for scored in mentions], groups, texts, table, note)
    risk_tiers = [tier if scored.label == "risk" else ""
                  for scored, (tier, _) in zip(mentions, tiers, strict=True)]
    return rank_note(mentions, tiers, groups), risk_tiers


def mention_tiers(mentions: Sequence[Any], groups: Iterable[str], texts: Sequence[str],
                  table: UrgencyTable | None = None, note: str = "",
                  ) -> list[tuple[Urgency, str | None]]:
    """The tier each :class:`~casenotes.types.Mention` would take as a risk, and the rule
    that set it; ``texts[i]`` is mention i's sentence, ``note`` the whole note (read for a
    stated age, see :meth:`UrgencyTable.tier`)."""
    table = table or load_urgency()
    noted = frozenset(groups)
    return [table.tier(mention.term_id, mention.category, noted, sentence, note)
            for mention, sentence in zip(mentions, texts, strict=True)]


def rank_note(mentions: Sequence[Any], tiers: Sequence[tuple[Urgency, str | None]],
              groups: Iterable[str]) -> Priority:
    """A note's priority from its scored mentions and their tiers (from :func:`mention_tiers`):
    the strongest mention's, with its urgency the highest tier among risk mentions."""
    groups = sorted(set(groups))
    factor = vulnerability_factor(groups)
    best: tuple[float, str, Any, str | None] | None = None
    top_urgency = ""
    for scored, (tier, rule) in zip(mentions, tiers, strict=True):
        if scored.label == "risk" and (not top_urgency
                                       or TIER_WEIGHT[tier] > TIER_WEIGHT[top_urgency]):
            top_urgency = tier
        value = _priority(scored.risk_probability, tier, factor)
        if best is None or value > best[0]:
            best = (value, tier, scored, rule)
    if best is None:
        return Priority(0.0, "", "")
    value, best_tier, scored, rule = best
    noted = [g for g in groups if g in PRIORITY_GROUPS]
    reason = (f"{scored.mention.term}: P(risk) {scored.risk_probability:.2f} x {best_tier} "
              f"({TIER_WEIGHT[best_tier]:.0f}/3{', rule ' + rule if rule else ''}) x vulnerability "
              f"{', '.join(noted) if noted else 'none noted'} ({factor:.2f}/2)")
    return Priority(round(value, 2), top_urgency, reason)
