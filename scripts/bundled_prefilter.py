"""Write the bundled lexicon's prefilter beside the reader, as data.

    python scripts/bundled_prefilter.py [--check]

Each scoring process reads it (``casenotes/nlp/prefilter.json``) instead of building the
prefilter, a quarter of the time; run this after changing the bundled lexicon, the tokenizer
rules (``scripts/english_rules.py`` first) or ``casenotes/nlp/prefilter.py``. A reader whose
lexicon or rules differ builds its own. ``--check`` writes nothing and exits 1 if the stored
prefilter is not what building gives.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources

from casenotes.nlp.reader import PREFILTER_FILE, NoteReader, prefilter_key


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare the stored prefilter with a fresh build, write nothing")
    args = parser.parse_args()
    reader = NoteReader()
    text = reader.built_prefilter().to_json(prefilter_key(reader.lexicon, reader.tokenizer))
    target = resources.files("casenotes.nlp").joinpath(PREFILTER_FILE)
    if args.check:
        same = target.is_file() and target.read_text(encoding="utf-8") == text
        print(f"{PREFILTER_FILE}: "
              f"{'current' if same else 'out of date: run scripts/bundled_prefilter.py'}")
        return 0 if same else 1
    with resources.as_file(target) as path:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path} ({len(text):,} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
