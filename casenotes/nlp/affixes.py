"""spaCy's tokenizer algorithm for one run of non-space characters, over its rules as data.

Scoring asks a tokenizer about each distinct run of non-space characters it cannot cut
itself. spaCy's ``Tokenizer`` answers with its prefix, suffix and infix rules and its
special cases; importing spaCy and building that tokenizer costs a scoring process half a
second before it reads a note. :class:`AffixSplitter` applies the same rules, kept as data
(:class:`TokenizerRules`), in the same order as spaCy 3.8's ``Tokenizer`` (special cases,
affixes, token and URL matches, infixes, and the special cases that only show once the affixes
are split off), so a run is cut exactly as spaCy cuts it: a test checks every sample note's
runs, every special case wrapped in marks and a hypothesis strategy of punctuation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

#: Bumped when the stored form of :class:`TokenizerRules` changes.
RULES_FORMAT: Final = 1


@dataclass(frozen=True)
class TokenizerRules:
    """What a spaCy tokenizer needs to cut a run: its affix, token and URL patterns (regular
    expression source and flags) and its special cases (a run and the pieces it is cut into).

    ``spacy_version`` records the spaCy the rules were read from: the stored rules are used
    only with that version, so a spaCy upgrade cannot cut notes differently unnoticed."""

    spacy_version: str
    prefix: tuple[str, int] | None
    suffix: tuple[str, int] | None
    infix: tuple[str, int] | None
    url: tuple[str, int] | None
    token: tuple[str, int] | None
    special_cases: Mapping[str, tuple[str, ...]] = field(repr=False)

    def to_json(self) -> str:
        """The rules as JSON text (sorted, so a rewrite of unchanged rules is identical)."""
        data = {
            "format": RULES_FORMAT, "spacy_version": self.spacy_version,
            "prefix": self.prefix, "suffix": self.suffix, "infix": self.infix,
            "url": self.url, "token": self.token,
            "special_cases": {key: list(self.special_cases[key])
                              for key in sorted(self.special_cases)},
        }
        return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> TokenizerRules:
        """Rules stored by :meth:`to_json`; ``ValueError`` if they are not."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != RULES_FORMAT:
            raise ValueError("not casenotes tokenizer rules of format "
                             f"{RULES_FORMAT}: write them again with this version")

        def pattern(name: str) -> tuple[str, int] | None:
            value = data[name]
            return None if value is None else (str(value[0]), int(value[1]))

        return cls(str(data["spacy_version"]), pattern("prefix"), pattern("suffix"),
                   pattern("infix"), pattern("url"), pattern("token"),
                   {str(key): tuple(map(str, pieces))
                    for key, pieces in data["special_cases"].items()})


def _compiled(pattern: tuple[str, int] | None) -> re.Pattern[str] | None:
    return None if pattern is None else re.compile(pattern[0], pattern[1])


class AffixSplitter:
    """Cuts one run of non-space characters into token texts as spaCy's tokenizer would with
    the same rules (``faster_heuristics`` on, spaCy's default)."""

    def __init__(self, rules: TokenizerRules) -> None:
        self.rules = rules
        self.special_cases: Mapping[str, tuple[str, ...]] = rules.special_cases
        self._prefix = _compiled(rules.prefix)
        self._suffix = _compiled(rules.suffix)
        self._infix = _compiled(rules.infix)
        self._url = _compiled(rules.url)
        self._token = _compiled(rules.token)

    def __call__(self, run: str) -> tuple[str, ...]:
        """The token texts of ``run``, which holds no whitespace; they join to ``run``."""
        special = self.special_cases.get(run)
        tokens = list(special) if special is not None else self._affix_tokens(run, specials=True)
        return self._merge_special_spans(tokens)

    # ------------------------------------------------------------------------ spaCy's steps

    def _prefix_length(self, text: str) -> int:
        found = self._prefix.search(text) if self._prefix is not None else None
        return found.end() - found.start() if found is not None else 0

    def _suffix_length(self, text: str) -> int:
        found = self._suffix.search(text) if self._suffix is not None else None
        return found.end() - found.start() if found is not None else 0

    def _infixes(self, text: str) -> list[re.Match[str]]:
        return [] if self._infix is None else list(self._infix.finditer(text))

    def _is_token(self, text: str) -> bool:
        return self._token is not None and self._token.match(text) is not None

    def _affix_tokens(self, run: str, *, specials: bool) -> list[str]:
        """``Tokenizer._split_affixes`` then ``_attach_tokens`` on one run."""
        cases = self.special_cases if specials else {}
        prefixes: list[str] = []
        suffixes: list[str] = []
        text = run
        last_size = -1
        while text and len(text) != last_size:
            if self._is_token(text) or text in cases:
                break
            last_size = len(text)
            pre_len = self._prefix_length(text)
            if pre_len:
                prefix, minus_pre = text[:pre_len], text[pre_len:]
                if minus_pre and minus_pre in cases:
                    text = minus_pre
                    prefixes.append(prefix)
                    break
            suf_len = self._suffix_length(text[pre_len:])
            if suf_len:
                suffix, minus_suf = text[-suf_len:], text[:-suf_len]
                if minus_suf and minus_suf in cases:
                    text = minus_suf
                    suffixes.append(suffix)
                    break
            if pre_len and suf_len and pre_len + suf_len <= len(text):
                text = text[pre_len:-suf_len]
                prefixes.append(prefix)
                suffixes.append(suffix)
            elif pre_len:
                text = minus_pre
                prefixes.append(prefix)
            elif suf_len:
                text = minus_suf
                suffixes.append(suffix)
        tokens = prefixes
        if text:
            if text in cases:
                tokens.extend(cases[text])
            elif self._is_token(text) or (self._url is not None and self._url.match(text)):
                tokens.append(text)
            else:
                tokens.extend(self._infix_pieces(text))
        tokens.extend(reversed(suffixes))
        return tokens

    def _infix_pieces(self, text: str) -> list[str]:
        matches = self._infixes(text)
        if not matches:
            return [text]
        pieces = []
        start = 0
        for found in matches:
            infix_start, infix_end = found.start(), found.end()
            if infix_start == 0:
                continue
            if infix_start != start:
                pieces.append(text[start:infix_start])
            if infix_start != infix_end:
                pieces.append(text[infix_start:infix_end])
            start = infix_end
        if text[start:]:
            pieces.append(text[start:])
        return pieces

    @cached_property
    def _special_patterns(self) -> tuple[dict[tuple[str, ...], str], tuple[int, ...]]:
        """The special cases spaCy's special matcher looks for in a tokenized run: each as the
        tokens its affixes split it into, and the lengths of those token sequences."""
        patterns: dict[tuple[str, ...], str] = {}
        for key in sorted(self.special_cases):
            if any(char.isspace() for char in key):
                continue  # cannot occur inside a run
            if self._prefix_length(key) or self._suffix_length(key) or self._infixes(key):
                patterns.setdefault(tuple(self._affix_tokens(key, specials=False)), key)
        return patterns, tuple(sorted({len(tokens) for tokens in patterns}))

    def _merge_special_spans(self, tokens: list[str]) -> tuple[str, ...]:
        """``Tokenizer._apply_special_cases``: token sequences that spell a special case once
        their affixes are split become its pieces (longest first, then leftmost)."""
        patterns, lengths = self._special_patterns
        spans = [(start, start + length) for length in lengths
                 for start in range(len(tokens) - length + 1)
                 if tuple(tokens[start:start + length]) in patterns]
        if not spans:
            return tuple(tokens)
        spans.sort(key=lambda span: (span[0] - span[1], span[0]))
        seen: set[int] = set()
        kept = {}
        for start, end in spans:
            if start not in seen and end - 1 not in seen:
                kept[start] = end
            seen.update(range(start, end))
        out: list[str] = []
        i = 0
        while i < len(tokens):
            span_end = kept.get(i)
            if span_end is None:
                out.append(tokens[i])
                i += 1
            else:
                out.extend(self.special_cases["".join(tokens[i:span_end])])
                i = span_end
        return tuple(out)


def rules_of(tokenizer: Any, spacy_version: str) -> TokenizerRules:
    """The rules of a built spaCy ``Tokenizer`` (its special cases as their ORTH pieces)."""
    from spacy.attrs import ORTH

    def pattern(bound: Callable[..., Any] | None) -> tuple[str, int] | None:
        if bound is None:
            return None
        compiled = getattr(bound, "__self__", None)
        if not isinstance(compiled, re.Pattern):
            raise TypeError(f"{bound!r} is not a method of a compiled regular expression")
        return compiled.pattern, compiled.flags

    special_cases = {}
    for key, parts in (tokenizer.rules or {}).items():
        pieces = tuple(str(part.get("ORTH", part.get(ORTH))) for part in parts)
        if "".join(pieces) != key:
            raise ValueError(f"special case {key!r} changes the text: {pieces}")
        special_cases[str(key)] = pieces
    return TokenizerRules(spacy_version, pattern(tokenizer.prefix_search),
                          pattern(tokenizer.suffix_search), pattern(tokenizer.infix_finditer),
                          pattern(tokenizer.url_match), pattern(tokenizer.token_match),
                          special_cases)
