"""The compiled matcher core finds exactly what the Python matcher finds.

``matching.py`` is the reference; ``_core.pyx`` keeps a note's raw hits, pattern states
and the choice among overlapping hits in C arrays. Both must give the same hits on every
sample note, on made-up notes of lexicon words, and for token patterns with every repeat
operator.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casenotes import MentionFinder, features
from casenotes.errors import LexiconError
from casenotes.lexicon import TokenPattern, default_lexicon
from casenotes.nlp import matching
from casenotes.nlp.context import CueHit, Reach
from casenotes.nlp.english import note_tokenizer
from casenotes.nlp.matching import JoinedTokens, LexiconMatcher
from casenotes.nlp.reader import NoteReader, _add_lexicon, segment
from casenotes.nlp.text import normalise
from casenotes.nlp.tokens import NoteTokenizer
from casenotes.types import (
    Cue,
    CueMatch,
    EquipmentMatch,
    HazardVerdict,
    Mention,
    NoteFindings,
    Reason,
    ScoredMention,
    ScoredNote,
    VulnerabilityCue,
)

compiled_only = pytest.mark.skipif(matching.MatcherCore is None,
                                   reason="casenotes was built without its compiled core")
TOKENIZER = note_tokenizer()
PYTHON_TOKENIZER = NoteTokenizer(TOKENIZER.splitter, compiled=False)


def lexicon_matcher(*, compiled: bool) -> LexiconMatcher:
    matcher = LexiconMatcher(TOKENIZER.words, compiled=compiled)
    _add_lexicon(matcher, default_lexicon())
    return matcher


@pytest.fixture(scope="module")
def both() -> tuple[LexiconMatcher, LexiconMatcher]:
    return lexicon_matcher(compiled=False), lexicon_matcher(compiled=True)


def hits_both_ways(both: tuple[LexiconMatcher, LexiconMatcher], text: str):  # type: ignore[no-untyped-def]
    tokens = TOKENIZER(normalise(text)[0])
    python, compiled = both
    return python(JoinedTokens.of(tokens)), compiled(JoinedTokens.of(tokens))


def sample_texts(samples: Path) -> list[str]:
    texts = []
    for path in sorted(samples.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if isinstance(record.get("text"), str):
                texts.append(record["text"])
    return texts


@compiled_only
def test_every_sample_note_gets_the_same_hits_both_ways(
        both: tuple[LexiconMatcher, LexiconMatcher], samples: Path) -> None:
    texts = sample_texts(samples)
    differing = []
    for text in texts:
        python_hits, compiled_hits = hits_both_ways(both, text)
        if compiled_hits != python_hits:
            differing.append(text[:60])
    assert differing == []
    assert len(texts) > 2_900
    python, _ = both
    found = sum(len(hits) for text in texts[:300]
                for hits in python(JoinedTokens.of(TOKENIZER(normalise(text)[0]))).values())
    assert found > 3_000  # the notes exercise every section, not only empty answers


def _phrases() -> list[str]:
    lexicon = default_lexicon()
    out = [p for term in lexicon.hazards for p in term.phrases + term.lookalikes
           + term.abbreviations]
    out += [p for item in lexicon.equipment for p in item.phrases]
    out += [p for rule in lexicon.cues for p in rule.phrases]
    out += [p for cue in lexicon.vulnerability for p in cue.phrases]
    return sorted(set(out))


PIECES = st.one_of(
    st.sampled_from(_phrases()),
    st.sampled_from(["the", "tenant", "said", "no", "not", "but", ".", ",", "(", ")", "CO",
                     "Damp", "ACM", "03/12", "\n", "survey", "smell", "checked", "ok"]),
    st.text(alphabet="abcdeCO./-()' ", min_size=1, max_size=6),
)


@compiled_only
@given(st.lists(PIECES, min_size=1, max_size=40))
def test_notes_made_of_lexicon_words_get_the_same_hits_both_ways(
        both: tuple[LexiconMatcher, LexiconMatcher], pieces: list[str]) -> None:
    python_hits, compiled_hits = hits_both_ways(both, " ".join(pieces))
    assert compiled_hits == python_hits


WORDS = ["a", "b", "c", "gas", "leak"]
TOKEN_SPECS = st.one_of(
    st.builds(lambda w: {"LOWER": w}, st.sampled_from(WORDS)),
    st.builds(lambda ws: {"LOWER": {"IN": ws}}, st.lists(st.sampled_from(WORDS), min_size=1,
                                                          max_size=3, unique=True)),
    st.just({"IS_ALPHA": True}),
    st.just({"TEXT": {"REGEX": "^[A-Z]"}}),
)
OPERATORS = st.sampled_from([None, "?", "+", "*"])


@st.composite
def token_patterns(draw: st.DrawFn) -> TokenPattern:
    specs = []
    for _ in range(draw(st.integers(1, 4))):
        spec = dict(draw(TOKEN_SPECS))
        operator = draw(OPERATORS)
        if operator:
            spec["OP"] = operator
        specs.append(spec)
    keep = None
    if draw(st.booleans()) and len(specs) > 1:
        keep = (0, 1)
    return TokenPattern(json.dumps(specs), keep, draw(st.booleans()))


@compiled_only
@given(st.lists(token_patterns(), min_size=1, max_size=4),
       st.lists(st.sampled_from([*WORDS, "Gas", "A", "1", "."]), max_size=25),
       st.lists(st.sampled_from(WORDS), max_size=3))
def test_token_patterns_with_every_operator_match_the_same_both_ways(
        patterns: list[TokenPattern], words: list[str], blockers: list[str]) -> None:
    python, compiled = (LexiconMatcher(TOKENIZER.words, compiled=flag) for flag in (False, True))
    for matcher in (python, compiled):
        for number, pattern in enumerate(patterns):
            matcher.add("hazards", "gas", f"entry{number}", patterns=[pattern],
                        phrases=["gas leak"] if number == 0 else (), blockers=blockers)
    tokens = TOKENIZER(" ".join(words))
    assert compiled(JoinedTokens.of(tokens)) == python(JoinedTokens.of(tokens))


@pytest.mark.parametrize("compiled", [False, pytest.param(True, marks=compiled_only)])
def test_repeat_operators_find_every_end_and_the_longest_hit_wins(compiled: bool) -> None:
    matcher = LexiconMatcher(TOKENIZER.words, compiled=compiled)
    pattern = TokenPattern(json.dumps([{"LOWER": "a"}, {"LOWER": "b", "OP": "+"},
                                       {"LOWER": "c", "OP": "?"}, {"LOWER": "d", "OP": "*"}]))
    matcher.add("hazards", "gas", "abcd", patterns=[pattern])
    matcher.add("hazards", "gas", "bb", phrases=["b b"])
    matcher.add("hazards", "gas", "d", phrases=["d"], blockers=["x d"])
    found = matcher(JoinedTokens.of(TOKENIZER("a b b c d d . b b x d d")))["hazards"]
    assert [(hit.start, hit.end, hit.entry_id) for hit in found] == [
        (0, 6, "abcd"), (7, 9, "bb"), (11, 12, "d")]


def test_the_python_path_is_used_when_asked() -> None:
    matcher = lexicon_matcher(compiled=False)
    found = matcher(JoinedTokens.of(TOKENIZER("strong smell of gas in the kitchen")))
    assert [hit.entry_id for hit in found["hazards"]] and matcher._core is None


def test_asking_for_the_compiled_matcher_without_it_says_how_to_get_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matching, "MatcherCore", None)
    with pytest.raises(LexiconError, match="reinstall it where a C compiler is available"):
        LexiconMatcher(TOKENIZER.words, compiled=True)


# ---------------------------------------------------------------------- tokens, sentences


def tokens_both_ways(text: str):  # type: ignore[no-untyped-def]
    return TOKENIZER(text), PYTHON_TOKENIZER(text)


@compiled_only
def test_every_sample_note_gets_the_same_tokens_and_sentences_both_ways(samples: Path) -> None:
    differing = []
    for text in sample_texts(samples):
        compiled, python = tokens_both_ways(normalise(text)[0])
        if compiled != python or segment(compiled.lowers) != segment(python.lowers,
                                                                     compiled=False):
            differing.append(text[:60])
    assert differing == []


SPACING = st.text(alphabet=" \t\n\r\u00a0\u2003\u200b\x0b", min_size=1, max_size=4)


@compiled_only
@given(st.lists(st.tuples(PIECES, SPACING), max_size=30))
def test_any_spacing_gets_the_same_tokens_and_sentences_both_ways(
        pieces: list[tuple[str, str]]) -> None:
    text = "".join(piece + gap for piece, gap in pieces)
    for version in (text, normalise(text)[0]):  # the walk must agree on any text
        compiled, python = tokens_both_ways(version)
        assert compiled == python
        assert segment(compiled.lowers) == segment(python.lowers, compiled=False)


@functools.cache
def readers_both_ways() -> tuple[NoteReader, NoteReader]:
    return NoteReader(compiled=True), NoteReader(compiled=False)


@compiled_only
@given(st.lists(st.tuples(PIECES, SPACING), max_size=30))
def test_any_spacing_gets_the_same_findings_both_ways(pieces: list[tuple[str, str]]) -> None:
    """Mentions, their windows, lemmas, sentences, clauses and cues, with offsets mapped back
    through normalising (spaces folded, zero-width marks dropped)."""
    text = "".join(piece + gap for piece, gap in pieces)
    compiled, python = readers_both_ways()
    assert compiled.read(text) == python.read(text)  # cue hits, clauses, reaches
    assert compiled.analyse(text) == python.analyse(text)


# ------------------------------------------------------------------------------ features


@compiled_only
def test_every_sample_note_gets_the_same_features_both_ways(
        samples: Path, finder: MentionFinder, monkeypatch: pytest.MonkeyPatch) -> None:
    notes = [(text, finder.analyse(text)) for text in sample_texts(samples)]
    compiled = [features.note_features(text, found) for text, found in notes]
    monkeypatch.setattr(features, "_core", None)
    python = [features.note_features(text, found) for text, found in notes]
    assert compiled == python
    assert sum(map(len, python)) > 2_000


WORD_CLASS_PIECES = st.sampled_from(sorted(
    phrase for phrases in json.loads(features.word_classes().source_json)["classes"].values()
    for phrase in phrases))


@compiled_only
@given(st.lists(st.tuples(st.one_of(PIECES, WORD_CLASS_PIECES), SPACING), max_size=40))
def test_any_note_gets_the_same_features_both_ways(pieces: list[tuple[str, str]]) -> None:
    """Lexicon words, word-class words, dates and marks in any order and spacing: the core's
    feature maker names what the Python reference names, for every mention."""
    text = "".join(piece + gap for piece, gap in pieces)
    found = readers_both_ways()[0].analyse(text)
    compiled = features.note_features(text, found)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(features, "_core", None)
        python = features.note_features(text, found)
    assert compiled == python


# ------------------------------------------------------------------------------ findings


@compiled_only
def test_every_sample_note_gets_the_same_findings_both_ways(samples: Path) -> None:
    compiled, python = NoteReader(compiled=True), NoteReader(compiled=False)
    texts = sample_texts(samples)
    differing = [text[:60] for text in texts if compiled.read(text) != python.read(text)
                 or compiled.analyse(text) != python.analyse(text)]
    assert differing == []


_MENTION = Mention("n1", 0, 3, "gas", "gas", "gas", "fire", 0, 10, 0, 10, (), (), (), (), ())

RECORD_VALUES = [
    (CueMatch, ("negated", "neg-no", "no", 3, 5)),
    (Cue, ("negated", "neg-no", "no", "before", 2, 3, 5)),
    (EquipmentMatch, (4, 10, "boiler", "eq-boiler", "gas", "appliance")),
    (VulnerabilityCue, (0, 7, "elderly", "vuln-elderly", "age")),
    (Mention, ("n1", 0, 3, "gas", "gas", "gas", "fire", 0, 10, 0, 10,
               (Cue("negated", "neg-no", "no", "before", 2, 3, 5),), ("smell", "of"), ("leak",),
               ("smell", "of"), ("leak",))),
    (CueHit, (1, 2, default_lexicon().cues[0])),
    (Reach, ("hit", "before", 3)),
    (NoteFindings, ("n1", (), (), (), (), ())),
    (ScoredMention, (_MENTION, 0.9, "risk", (Reason("term=gas", 0.5),), "fast-v2", "emergency")),
    (HazardVerdict, ("n1", "gas", "Fire", "risk", 0.9, (), (Reason("term=gas", 0.5),), "")),
    (ScoredNote, ("n1", NoteFindings("n1", (), ()), (), (), "", 0.0, "", ())),
]


@compiled_only
@pytest.mark.parametrize(("kind", "values"), RECORD_VALUES,
                         ids=[kind.__name__ for kind, _ in RECORD_VALUES])
def test_every_record_kind_made_by_the_core_is_the_one_init_makes(kind, values) -> None:  # type: ignore[no-untyped-def]
    """Filled slot by slot, without the dataclass's __init__: equal, same hash and fields, and
    each value held once (no reference leaked or lost)."""
    import sys

    from casenotes.nlp._core import Records

    maker = Records(kind)
    assert maker.fills_slots
    marker = f"value-{kind.__name__}"  # a fresh object whose references can be counted
    values = (*values[:-1], marker)
    before = sys.getrefcount(marker)
    made = [maker(*values) for _ in range(100)]
    assert sys.getrefcount(marker) == before + 100
    assert made[0] == kind(*values)
    assert hash(made[0]) == hash(kind(*values))
    assert [getattr(made[0], f.name) for f in dataclasses.fields(kind)] == list(values)
    del made
    assert sys.getrefcount(marker) == before


@compiled_only
def test_records_made_by_the_core_equal_the_ones_init_makes() -> None:
    from casenotes.nlp._core import Records

    made = Records(CueMatch)("negated", "neg-no", "no", 3, 5)
    assert made == CueMatch(kind="negated", cue_id="neg-no", text="no", start=3, end=5)
    assert hash(made) == hash(CueMatch("negated", "neg-no", "no", 3, 5))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.start = 4  # type: ignore[misc]


@compiled_only
def test_the_core_will_not_make_a_record_that_checks_itself() -> None:
    from casenotes.nlp._core import Records

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            assert self.value >= 0

    with pytest.raises(TypeError, match="__post_init__"):
        Records(Checked)


TRICKY_CHARACTERS = st.sampled_from(
    [*"aZ09_ .,;:!?-*=#/\\'\"()\n\r\t\x00\x0b\x0c\x1f\x7f\x85\xa0\xad",
     "\u2003", "\u200b", "\u200d", "\u2028", "\u2060", "\u3000", "\ufeff", "\ud800", "\udfff",
     "é", "ß", "٣", "²", "Ⅷ", "中", "\u0301", "€", "—", "…", "🔥"])


@compiled_only
@given(st.lists(st.tuples(st.one_of(TRICKY_CHARACTERS, st.characters()),
                          st.integers(min_value=1, max_value=20)), max_size=25))
def test_the_compiled_check_for_text_to_normalise_answers_as_the_pattern_does(
        runs: list[tuple[str, int]]) -> None:
    from casenotes.nlp._core import needs_normalising
    from casenotes.nlp.text import _NEEDS_NORMALISING, PUNCTUATION_RUN

    text = "".join(character * count for character, count in runs)
    expected = _NEEDS_NORMALISING.search(text) is not None
    assert needs_normalising(text, 2 * PUNCTUATION_RUN) is expected


@compiled_only
@given(st.text(alphabet=st.one_of(st.characters(max_codepoint=0x9f), st.characters()),
               max_size=40))
def test_the_compiled_check_for_control_junk_answers_as_the_pattern_does(text: str) -> None:
    from casenotes.engines.batch import _CONTROL_JUNK
    from casenotes.nlp._core import has_control_junk

    assert has_control_junk(text) is (_CONTROL_JUNK.search(text) is not None)


def test_the_environment_can_ask_for_the_python_reader_and_it_reads_the_same(
        samples: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    script = (
        "import json, sys\n"
        "from casenotes.nlp import compiled, matching\n"
        "from casenotes import MentionFinder\n"
        "finder = MentionFinder()\n"
        "texts = json.load(sys.stdin)\n"
        "print(json.dumps({'core': compiled.core is not None,\n"
        "                  'matcher': matching.MatcherCore is not None,\n"
        "                  'mentions': [[m.term_id for m in finder.find(t, str(i))]\n"
        "                               for i, t in enumerate(texts)]}))\n")
    texts = json.dumps(sample_texts(samples)[:200])

    def run(**environment: str) -> dict[str, object]:
        import os
        # From outside the source tree, which would shadow the installed package.
        done = subprocess.run([sys.executable, "-c", script], input=texts, text=True,
                              capture_output=True, check=True, cwd=tmp_path,
                              env={**os.environ, **environment})
        return dict(json.loads(done.stdout))

    pure = run(CASENOTES_PURE_PYTHON="1")
    assert pure["core"] is False and pure["matcher"] is False
    default = run(CASENOTES_PURE_PYTHON="0")
    built = importlib.util.find_spec("casenotes.nlp._core") is not None  # this install's
    assert default["core"] is built and default["matcher"] is built
    assert default["mentions"] == pure["mentions"]
    assert any(pure["mentions"])
