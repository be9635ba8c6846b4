"""casenotes' English tokenizer rules: spaCy's English ones with the splits case notes need.

Scoring cuts words with these rules through :class:`~casenotes.nlp.affixes.AffixSplitter`,
without importing spaCy: the rules are stored in ``english_rules.json`` beside this module,
read from the spaCy they were made with (``python scripts/stored_data.py`` writes them
again; a test checks they are what the installed spaCy gives). With another spaCy version
installed they are read from it at start-up instead. :func:`english_tokenizer` is the same
rules as a spaCy ``Tokenizer``: the reference the splitter is tested against.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import metadata, resources
from typing import TYPE_CHECKING, Final

from .affixes import AffixSplitter, TokenizerRules, rules_of
from .tokens import NoteTokenizer

if TYPE_CHECKING:
    from spacy.tokenizer import Tokenizer

#: The stored rules, beside this module.
RULES_FILE: Final = "english_rules.json"

#: Housing shorthand the default English tokenizer would split ("T/C" -> "T", "/", "C").
SHORTHAND = (
    "t/c", "w/c", "o/s", "c/o", "f/u", "n/a", "a/c", "w/e", "h/o", "s/w", "u/s", "d/s",
    "b/c", "r/h", "l/h", "i/d", "y/o", "p/w", "r&m", "r&d", "k&b", "a&e", "b&b",
)
_URL = re.compile(
    r"^(?:(?:https?|ftp)://|www\.)\S+$|^[\w.-]+\.(?:com|org|net|uk|gov|io|info|eu)(?:/\S*)?$",
    re.IGNORECASE,
)


def english_tokenizer() -> Tokenizer:
    """A fresh spaCy English tokenizer, taught housing shorthand and a few splits notes need.

    "T/C", "w/c", "R&M" stay whole; "bowing;no" and "leak+mould" split; "asbestos.ceiling"
    (a missing space after a full stop) splits, and only real web addresses stay whole;
    "co." is no longer kept whole, so "tested for co." finds CO and the look-alike "& Co." is
    written in the same tokens as the text. Built in one step, as ``spacy.blank("en")`` builds
    its own: each setter of a built tokenizer loads its 1,300 special cases again (0.6 s
    against 0.25 s for every scoring process).
    """
    from spacy.lang.en import English
    from spacy.tokenizer import Tokenizer
    from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex
    from spacy.vocab import create_vocab

    defaults = English.Defaults
    rules = {key: value for key, value in defaults.tokenizer_exceptions.items()
             if key.lower() != "co."}
    rules.update({short: [{"ORTH": short}] for short in SHORTHAND})
    infixes = [
        *(defaults.infixes or ()),
        r"(?<=[\w)])[;+](?=[\w(])",
        r"(?<=[a-zA-Z])/(?=[a-zA-Z]{3,})",
        r"(?<=[^\W\d_]{2})\.(?=[^\W\d_]{2})",
    ]
    return Tokenizer(
        create_vocab("en", defaults),
        rules=rules,
        prefix_search=compile_prefix_regex(defaults.prefixes or ()).search,
        suffix_search=compile_suffix_regex(defaults.suffixes or ()).search,
        infix_finditer=compile_infix_regex(infixes).finditer,
        token_match=defaults.token_match,
        # spaCy reads any "word.word" as a web address; in notes it is a missing space.
        url_match=_URL.match,
    )


def rules_from_spacy() -> TokenizerRules:
    """The rules of :func:`english_tokenizer`, read from the installed spaCy."""
    from spacy.about import __version__

    return rules_of(english_tokenizer(), __version__)


@lru_cache(maxsize=1)
def english_rules() -> TokenizerRules:
    """The English rules: the stored ones when the installed spaCy is the version they were
    read from (no spaCy import), else read from spaCy."""
    try:
        stored = TokenizerRules.from_json(
            resources.files(__package__).joinpath(RULES_FILE).read_bytes())
        installed = metadata.version("spacy")
    except (OSError, ValueError, KeyError, metadata.PackageNotFoundError):
        return rules_from_spacy()
    return stored if stored.spacy_version == installed else rules_from_spacy()


@lru_cache(maxsize=1)
def note_tokenizer(*, compiled: bool | None = None) -> NoteTokenizer:
    """A note tokenizer with casenotes' English rules (``compiled``: walk the text in the
    compiled core, in Python, or None for the core when it was built)."""
    return NoteTokenizer(AffixSplitter(english_rules()), compiled=compiled)


def letter_split_pieces(tokenizer: NoteTokenizer) -> set[str]:
    """Lower-cased pieces the tokenizer's special cases cut from a word between two letters.

    "cannot" -> "can", "not" and "gonna" -> "gon", "na": such a piece can match a lexicon token
    with a letter right beside it, which the prefilter must allow for.
    """
    pieces: set[str] = set()
    for text, forms in tokenizer.splitter.special_cases.items():
        if len(forms) < 2:
            continue
        position = 0
        for form in forms[:-1]:
            position += len(form)
            if text[position - 1].isalpha() and text[position].isalpha():
                pieces.update(form.lower() for form in forms)
                break
    return pieces
