"""Write casenotes' English tokenizer rules, read from the installed spaCy, beside the reader.

    python scripts/english_rules.py [--check]

Scoring cuts words with the stored rules (``casenotes/nlp/english_rules.json``) so that it
need not import spaCy; run this after changing ``casenotes/nlp/english.py`` or the spaCy
version. ``--check`` writes nothing and exits 1 if the stored rules are not what spaCy gives.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources

from casenotes.nlp.english import RULES_FILE, rules_from_spacy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare the stored rules with spaCy's, write nothing")
    args = parser.parse_args()
    target = resources.files("casenotes.nlp").joinpath(RULES_FILE)
    text = rules_from_spacy().to_json()
    if args.check:
        same = target.is_file() and target.read_text(encoding="utf-8") == text
        print(f"{RULES_FILE}: {'current' if same else 'out of date: run scripts/english_rules.py'}")
        return 0 if same else 1
    with resources.as_file(target) as path:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path} ({len(text):,} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
