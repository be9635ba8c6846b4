"""Word classes: one Aho-Corasick pass gives exactly what the classes' regular expressions give;
the faster counts of words and imperatives give what their patterns give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casenotes.features import (
    _IMPERATIVE,
    _SPACE_RUN,
    _WORD,
    _count_imperatives,
    _fold_spaces,
    _word_count,
    word_classes,
)

SPLITS = ("train.jsonl", "dev.jsonl", "test.jsonl")


def sample_texts(samples: Path) -> list[str]:
    return [json.loads(line)["text"] for split in SPLITS
            for line in (samples / split).read_text(encoding="utf-8").splitlines()]


def test_every_sample_note_gets_the_same_word_classes_both_ways(samples: Path) -> None:
    classes = word_classes()
    differing = [text[:80] for text in sample_texts(samples)
                 if classes.find(text) != classes.find_by_regex(text)]
    assert differing == []


@pytest.mark.parametrize("text, name, starts", [
    ("none  found\tthere", "not_found", [0]),
    ("no access  today, card left", "pending", [0, 18]),
    ("works were Re-Sealed", "fixed", [11]),
    ("resealed-ish", "fixed", []),
])
def test_phrases_match_whole_words_across_any_spacing(text: str, name: str,
                                                      starts: list[int]) -> None:
    classes = word_classes()
    assert classes.find(text)[name] == classes.find_by_regex(text)[name]
    if starts:
        assert classes.find(text)[name] == starts


words = st.sampled_from(["no", "access", "fixed", "re-sealed", "you", "should", "mould",
                         "%", "5", "follow-up", "t/c", "İ", "made", "safe", "\u00a0"])
gaps = st.sampled_from([" ", "  ", "\n", "\t", " \n ", "", "-", "/", ". ", "\r\n", "\x0b",
                        "\x85", "\u2003", " \u3000", "é", "'", "_", "%"])


@given(st.lists(st.tuples(words, gaps), max_size=20))
def test_any_mix_of_words_and_gaps_gets_the_same_classes_both_ways(
        pieces: list[tuple[str, str]]) -> None:
    text = "".join(word + gap for word, gap in pieces)
    classes = word_classes()
    assert classes.find(text) == classes.find_by_regex(text)


imperative_pieces = st.sampled_from(["Please", "please ", "open", "OPEN", "keep", "don't",
                                     "dont", "fitted", "test", "the", "window", ".", ". ",
                                     "\n", "\n\n", ":", "•", "*", "-", "?", "!", " ", "  ",
                                     "K", "\u212a", "opened", "\t", "\xa0", "\x85", "é",
                                     "_", "keep1", "Do", "DON'T", "pLeAsE\n", "ſ"])


@given(st.lists(imperative_pieces, max_size=25))
def test_imperatives_are_counted_as_the_pattern_finds_them(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert _count_imperatives(text) == len(_IMPERATIVE.findall(text))


def test_imperatives_are_counted_as_the_pattern_finds_them_in_every_sample_note(
        samples: Path) -> None:
    texts = [record["text"] for path in sorted(samples.rglob("*.jsonl"))
             for record in map(json.loads, path.read_text(encoding="utf-8").splitlines())
             if isinstance(record.get("text"), str)]
    assert [_count_imperatives(t) for t in texts] == [len(_IMPERATIVE.findall(t)) for t in texts]


word_pieces = st.sampled_from(["tenant", "'s", "’s", "'", "’", "_", "x_y", "5", "٣", "é",
                               "ß", " ", "-", "o'clock", "rock'n'roll", "\u00a0", "İ"])


@given(st.lists(word_pieces, max_size=20), st.integers(0, 30), st.integers(0, 30),
       st.integers(-1, 6))
def test_words_are_counted_as_the_word_pattern_finds_them(
        pieces: list[str], begin: int, end: int, enough: int) -> None:
    text = "".join(pieces)
    expected = 0
    for _ in _WORD.finditer(text, begin, end):
        expected += 1
        if 0 <= enough < expected:
            break
    assert _word_count(text, begin, end, enough) == expected


def test_the_space_check_agrees_with_the_space_run_pattern() -> None:
    for text in ["a b", "a  b", "a\tb", "a\u00a0b", "a\nb", "a \n", "", " "]:
        assert (_fold_spaces(text)[1] is not None) == bool(_SPACE_RUN.search(text))
