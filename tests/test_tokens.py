"""The note tokenizer gives exactly spaCy's tokens (customised English rules, case-blind), and
so does its splitter, spaCy's algorithm over the stored rules, without spaCy."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from casenotes.nlp.affixes import AffixSplitter, TokenizerRules
from casenotes.nlp.english import english_rules, english_tokenizer, rules_from_spacy
from casenotes.nlp.text import normalise
from casenotes.nlp.tokens import NoteTokenizer

SPLITS = ("train.jsonl", "dev.jsonl", "test.jsonl")
SPACY = english_tokenizer()
SPLITTER = AffixSplitter(english_rules())
TOKENIZER = NoteTokenizer(SPLITTER)


def spacy_tokens(text: str) -> tuple[list[str], list[bool]]:
    doc = SPACY(text.lower())
    return [t.text for t in doc], [bool(t.whitespace_) for t in doc]


def agree(tokenizer: NoteTokenizer, text: str) -> bool:
    normalised = normalise(text)[0]
    if len(normalised.lower()) != len(normalised):
        return True  # tokenised as written, like spaCy; not this test's case
    tokens = tokenizer(normalised)
    return spacy_tokens(normalised) == (list(tokens.lowers), list(tokens.spaces))


def test_every_sample_note_gets_spacys_tokens(samples: Path) -> None:
    tokenizer = NoteTokenizer(SPLITTER)
    texts = [json.loads(line)["text"] for split in SPLITS
             for line in (samples / split).read_text(encoding="utf-8").splitlines()]
    assert [text[:60] for text in texts if not agree(tokenizer, text)] == []


WORDS = ["cannot", "gonna", "10am", "e-bike", "T/C", "can't", "tenant's", "02/12/24", "Co.",
         "asbestos.ceiling", "leak+mould", "www.gov.uk", "£1,200.50", "50%", "(gas)", "...",
         "x", "07700", "900123", "JOB-448213", "A&E", "mould", "İ", "don't", "e.g.", "c.o."]


@given(st.lists(st.tuples(st.sampled_from(WORDS),
                          st.sampled_from([" ", "  ", "\n", "", " \n ", ".", ","])),
                max_size=15))
def test_any_mix_of_tricky_words_gets_spacys_tokens(pieces: list[tuple[str, str]]) -> None:
    assert agree(TOKENIZER, "".join(w + g for w, g in pieces))


REFERENCE_PIECES = st.sampled_from(["wo", "jb", "r", "a", "km", "m", "am", "pm", "x", "st",
                                    "0", "12", "620842", "4", "cannot", "dont", "no", "etc",
                                    "e", "g", ".", ",", "-", "/", "'", ":", ";", "!", "?",
                                    "£", "(", ")"])


@given(st.lists(REFERENCE_PIECES, min_size=1, max_size=6))
def test_words_and_references_the_tokenizer_cuts_without_spacy_are_cut_as_spacy_cuts_them(
        pieces: list[str]) -> None:
    """Job refs, words, numbers and sums in pounds, with or without a mark after them, are
    cut without asking spaCy (the fast paths of ``NoteTokenizer.pieces``): as spaCy cuts
    them, and so are the runs that only look like them ("12km", "cannot:", "etc.", "£1.50")."""
    run = "".join(pieces)
    _, texts = NoteTokenizer(SPLITTER).pieces(run)
    assert list(texts) == [token.text for token in SPACY(run)]


def test_memory_is_bounded_and_answers_survive_a_refresh(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import casenotes.nlp.tokens as tokens

    monkeypatch.setattr(tokens, "CACHE_SIZE", 50)
    tokenizer = NoteTokenizer(SPLITTER)
    text = " ".join(f"ref-{i} can't x{i}y" for i in range(200))
    assert agree(tokenizer, text)
    assert len(tokenizer._pieces) <= 50
    assert tokenizer._runs is None or len(tokenizer._runs) <= 50  # the core's memory too
    assert agree(tokenizer, text)  # cut again from what is remembered: the same tokens


# ------------------------------------------------------------------ the splitter, without spaCy


def spacy_cut(run: str) -> tuple[str, ...]:
    return tuple(token.text for token in SPACY(run))


def test_the_stored_rules_are_what_the_installed_spacy_gives() -> None:
    """``casenotes/nlp/english_rules.json`` is current (else: ``python
    scripts/stored_data.py``), and scoring uses it rather than importing spaCy."""
    assert english_rules() == rules_from_spacy()
    assert TokenizerRules.from_json(english_rules().to_json()) == english_rules()


def test_every_special_case_wrapped_in_marks_is_cut_as_spacy_cuts_it() -> None:
    marks = [("", ""), ("(", ")"), ("", "."), ("", ","), ('"', ""), ("", "!)"), ("x", ""),
             ("", "s"), ("'", "'"), ("", "..."), ("", "-a.m.")]
    runs = {before + key + after for key in SPLITTER.special_cases
            if not any(char.isspace() for char in key) for before, after in marks}
    assert [run for run in sorted(runs) if SPLITTER(run) != spacy_cut(run)] == []


def test_every_run_of_the_sample_notes_is_cut_as_spacy_cuts_it(samples: Path) -> None:
    runs = {run for split in SPLITS
            for line in (samples / split).read_text(encoding="utf-8").splitlines()
            for run in normalise(json.loads(line)["text"])[0].lower().split()}
    assert [run for run in sorted(runs) if SPLITTER(run) != spacy_cut(run)] == []


MARKS = st.sampled_from([*".,;:!?'\"()[]{}-/\\&+*%$£€#@_~`<>=^|…–—’“”",
    "gas", "co", "t/c", "a.m.", "p.m.", "don't", "'s", "n't", "www.", "http://", ".com", "cp12",
    "e.g.", "i.e.", "mr.", "st.", "1st", "10am", "5pm", "km", "x", "0", "19", "İ"])


@given(st.lists(st.one_of(MARKS, st.sampled_from(sorted(SPLITTER.special_cases))),
                min_size=1, max_size=6))
def test_any_run_of_marks_words_and_special_cases_is_cut_as_spacy_cuts_it(
        pieces: list[str]) -> None:
    run = "".join(pieces)
    if not any(char.isspace() for char in run):
        assert SPLITTER(run) == spacy_cut(run)


def test_the_rules_survive_serialisation(tmp_path: Path) -> None:
    """The spaCy view saves the tokenizer as its rules (``nlp.to_disk``) and loads them back."""
    tokenizer = NoteTokenizer(SPLITTER)
    tokenizer.to_disk(tmp_path / "tokenizer")
    loaded = NoteTokenizer(AffixSplitter(english_rules())).from_disk(tmp_path / "tokenizer")
    assert loaded.splitter.rules == english_rules()
    assert NoteTokenizer(SPLITTER).from_bytes(tokenizer.to_bytes()).splitter.rules == (
        english_rules())


def test_the_english_tokenizer_is_spacys_english_one_with_casenotes_rules() -> None:
    """Built in one step, it keeps every rule of ``spacy.blank("en")``'s tokenizer but "co."
    and adds housing shorthand and the splits notes need."""
    import spacy

    from casenotes.nlp.english import SHORTHAND

    english = spacy.blank("en").tokenizer
    assert set(SPACY.rules) == ({key for key in english.rules if key.lower() != "co."}
                                | set(SHORTHAND))
    expected = {
        "t/c smell of gas": ["t/c", "smell", "of", "gas"],  # asked lower-cased
        "bowing;no leak+mould": ["bowing", ";", "no", "leak", "+", "mould"],
        "asbestos.ceiling": ["asbestos", ".", "ceiling"],
        "see www.gov.uk/mould": ["see", "www.gov.uk/mould"],
        "tested for co.": ["tested", "for", "co", "."],
        "can't (gas) £1,200.50, 10am": ["ca", "n't", "(", "gas", ")", "£", "1,200.50", ",",
                                        "10", "am"],
    }
    assert {text: [t.text for t in SPACY(text)] for text in expected} == expected
    plain = "Tenant's boiler (Worcester) isn't working, £40 - see e.g. JOB-448213 at 10am!"
    assert [t.text for t in SPACY(plain)] == [t.text for t in english(plain)]


def test_with_another_spacy_installed_the_rules_are_read_from_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import casenotes.nlp.english as english

    monkeypatch.setattr(english.metadata, "version", lambda name: "3.8.999")
    english.english_rules.cache_clear()
    try:
        read: list[bool] = []
        monkeypatch.setattr(english, "rules_from_spacy",
                            lambda: read.append(True) or rules_from_spacy())
        assert english.english_rules() == rules_from_spacy()
        assert read == [True]
    finally:
        english.english_rules.cache_clear()
