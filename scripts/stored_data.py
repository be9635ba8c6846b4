"""Write the data scoring reads instead of building it, beside the reader: casenotes' English
tokenizer rules and the bundled lexicon's prefilter.

    python scripts/stored_data.py [--check]

Scoring cuts words with the stored rules (``casenotes/nlp/english_rules.json``, read from the
installed spaCy) so that it need not import spaCy, and reads the stored prefilter
(``casenotes/nlp/prefilter.json``, built from the bundled lexicon with those rules) instead of
building it. Run this after changing ``casenotes/nlp/english.py``, the spaCy version, the
bundled lexicon or ``casenotes/nlp/prefilter.py``. A reader whose lexicon or rules differ
builds its own prefilter. ``--check`` writes nothing and exits 1 if either file is not what
a fresh build gives.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from importlib import resources

from casenotes.nlp.english import RULES_FILE, rules_from_spacy
from casenotes.nlp.reader import PREFILTER_FILE, NoteReader, prefilter_key


def stored_prefilter() -> str:
    reader = NoteReader()
    return reader.built_prefilter().to_json(prefilter_key(reader.lexicon, reader.tokenizer))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare the stored files with a fresh build, write nothing")
    args = parser.parse_args()
    # The rules first: the prefilter is built with them.
    made: list[tuple[str, Callable[[], str]]] = [
        (RULES_FILE, lambda: rules_from_spacy().to_json()), (PREFILTER_FILE, stored_prefilter)]
    current = True
    for name, make in made:
        target = resources.files("casenotes.nlp").joinpath(name)
        text = make()
        if args.check:
            same = target.is_file() and target.read_text(encoding="utf-8") == text
            print(f"{name}: {'current' if same else 'out of date: run scripts/stored_data.py'}")
            current = current and same
            continue
        with resources.as_file(target) as path:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({len(text):,} characters)")
    return 0 if current else 1


if __name__ == "__main__":
    sys.exit(main())
