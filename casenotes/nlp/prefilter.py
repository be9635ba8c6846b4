"""The raw-text prefilter: one Aho-Corasick pass that tells which notes could hold a hazard term.

Most case notes mention no hazard. Before any spaCy work, each note is lower-cased and scanned
once for *anchors*: for every hazard phrase, misspelling, abbreviation and token pattern of the
lexicon, its most selective token or pair of adjacent tokens ("come down" rather than
"come"). A note without an
anchor cannot produce a mention, so the batch scorer skips the pipeline for it; the result is
the same as running the pipeline (``tests/test_prefilter.py`` checks this as a property).

An anchor is a whole token, so it counts only when no letter touches it ("co" in "could" does
not), except on a side where the tokenizer can cut a word between two letters ("cannot" ->
"can", "not"); such pieces are passed in as ``split_pieces``. The text is
first folded as :func:`casenotes.nlp.text.normalise` folds it (space runs, zero-width marks),
so a phrase split by a double space or a tab is still seen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Final

import ahocorasick

from ..lexicon import Lexicon, TokenPattern
from .compiled import core
from .text import CONTROL, UNICODE_SPACES, ZERO_WIDTH

_RUN = re.compile(r"[^\W_]+")
# Folded as casenotes.nlp.text.normalise folds them: zero-width marks dropped, runs of spaces,
# tabs, control characters and Unicode spaces -> " ".
_ZERO_WIDTH_TABLE: Final = dict.fromkeys(map(ord, ZERO_WIDTH))
_UNICODE_SPACE = re.compile(f"[{UNICODE_SPACES}]")
_UNUSUAL = re.compile(f"[{ZERO_WIDTH}{UNICODE_SPACES}]")
_CONTROL = re.compile(f"[{CONTROL}]")
_SPACE_RUN = re.compile(f"[ {CONTROL}{UNICODE_SPACES}]{{2,}}|[{CONTROL}{UNICODE_SPACES}]")
#: The compiled core's scan for anything normalising changes (a control character, a space
#: other than the plain one, a double space, a zero-width mark): a note without any of them
#: needs none of the rewrites below. Asked with no limit on repeated marks, which are kept.
_needs_normalising: Any = None if core is None else core.needs_normalising
_NO_RUN_LIMIT: Final = 2**62

Tokenize = Callable[[str], Sequence[str]]


class UnanchoredPatternError(ValueError):
    """A token pattern has no literal token to anchor the prefilter on."""


def _quality(anchors: set[str]) -> tuple[int, int]:
    """Longer shortest anchor first, then fewer anchors: a rough stand-in for rarity."""
    return min(map(len, anchors)), -len(anchors)


def _joined(left: Iterable[str], right: Iterable[str]) -> set[str]:
    """Two adjacent tokens as the normalised text can hold them: glued or one space apart."""
    return {f"{a}{gap}{b}" for a in left for b in right for gap in ("", " ")}


def best_anchors(options: Sequence[Sequence[str] | None]) -> set[str] | None:
    """The most selective anchor set for a token sequence.

    ``options[i]`` lists the lower-cased strings token ``i`` may be (None: unknown or
    optional). Candidates are each known token and each pair of adjacent known tokens (written
    glued and one space apart); the candidate with the longest shortest string wins.
    """
    candidates = [set(o) for o in options if o and all(_RUN.search(x) for x in o)]
    for left, right in pairwise(options):
        if left and right:
            candidates.append(_joined(left, right))
    return max(candidates, key=_quality) if candidates else None


def phrase_anchors(phrase: str, tokenize: Tokenize) -> set[str] | None:
    """Anchors for a phrase: every text matching it holds one of them, lower-cased."""
    return best_anchors([[token.lower()] for token in tokenize(phrase) if token.strip()])


def pattern_anchors(pattern: TokenPattern, tokenize: Tokenize) -> set[str]:
    """Anchors for a token pattern, from its required tokens matched by literal strings.

    A token with no ``OP`` (or ``OP: "+"``) matched on ``LOWER``/``ORTH``/``TEXT``/``NORM`` by a
    string or an ``IN`` list is known; others are not. Raises :class:`UnanchoredPatternError`
    if no token is known.
    """
    options: list[list[str] | None] = []
    for spec in pattern.tokens:
        literals: list[str] | None = None
        if spec.get("OP") in (None, "+", "1", "{1}"):
            for attr in ("LOWER", "ORTH", "TEXT", "NORM"):
                value: Any = spec.get(attr)
                if isinstance(value, str):
                    literals = [value]
                elif isinstance(value, dict) and isinstance(value.get("IN"), list):
                    literals = [str(v) for v in value["IN"]]
                if literals:
                    break
        if literals is not None:
            words = [[t.lower() for t in tokenize(x) if t.strip()] for x in literals]
            literals = [w[0] for w in words if len(w) == 1] if all(
                len(w) == 1 for w in words) else None
        if spec.get("OP") == "+":
            # "+" repeats the token: only the token itself is sure to appear next to others.
            options.extend([literals, None])
        else:
            options.append(literals)
    anchors = best_anchors(options)
    if anchors is None:
        raise UnanchoredPatternError(
            f"token pattern {pattern.pattern_json} has no required token matched by a literal "
            "string (LOWER, ORTH or TEXT), so the prefilter cannot find it; add such a token"
        )
    return anchors


def _single_spaced(text: str) -> str:
    """``text`` without zero-width marks, with every run of spaces, tabs, control characters
    and Unicode spaces as one plain space, as the tokenizer's normalising leaves it."""
    if not text.isascii() and _UNUSUAL.search(text):
        text = _UNICODE_SPACE.sub(" ", text.translate(_ZERO_WIDTH_TABLE))
    if "  " in text or "\t" in text or _CONTROL.search(text):
        text = _SPACE_RUN.sub(" ", text)
    return text


@dataclass(frozen=True)
class Prefilter:
    """Says whether a note could hold a hazard term, from one pass over its lower-cased text.

    Build it with :meth:`from_lexicon`; call :meth:`could_match` per note or :meth:`mask` per
    batch. ``always`` is set when some lexicon entry yields no anchor: then every note passes.
    """

    automaton: Any
    always: bool = False

    @classmethod
    def from_lexicon(cls, lexicon: Lexicon, tokenize: Tokenize,
                     split_pieces: Iterable[str] = ()) -> Prefilter:
        """Anchors for every hazard phrase, misspelling, abbreviation and token pattern.

        ``tokenize`` must split text exactly as the pipeline's tokenizer does; ``split_pieces``
        are the lower-cased pieces the tokenizer may cut from inside a word.
        """
        anchors: set[str] = set()
        always = False
        for term in lexicon.hazards:
            for phrase in (*term.phrases, *term.misspellings, *term.abbreviations):
                found = phrase_anchors(phrase, tokenize)
                if found is None:
                    always = True
                else:
                    anchors.update(found)
            for pattern in term.patterns:
                try:
                    anchors.update(pattern_anchors(pattern, tokenize))
                except UnanchoredPatternError:
                    always = True
        free = {piece.lower() for piece in split_pieces}
        automaton = ahocorasick.Automaton()
        for anchor in sorted(anchors):
            # A letter may touch punctuation ("e-bikes"), but not a word token's edge.
            check_left = anchor[0].isalnum() and not any(anchor.startswith(p) for p in free)
            check_right = anchor[-1].isalnum() and not any(anchor.endswith(p) for p in free)
            automaton.add_word(anchor, (len(anchor), check_left, check_right))
        if anchors:
            automaton.make_automaton()
        return cls(automaton, always or not anchors)

    def could_match(self, text: str) -> bool:
        """False only when ``text`` cannot hold a hazard term."""
        if self.always:
            return True
        if _needs_normalising is None or _needs_normalising(text, _NO_RUN_LIMIT):
            text = _single_spaced(text)
        lowered = text.lower()
        last = len(lowered) - 1
        for end, (length, check_left, check_right) in self.automaton.iter(lowered):
            start = end - length + 1
            if check_left and start > 0 and lowered[start - 1].isalpha():
                continue
            if check_right and end < last and lowered[end + 1].isalpha():
                continue
            return True
        return False

    def mask(self, texts: Iterable[object]) -> list[bool]:
        """``could_match`` for each text; anything that is not a ``str`` passes (to be reported)."""
        return [self.could_match(t) if isinstance(t, str) else True for t in texts]
