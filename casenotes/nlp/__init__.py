"""Reading a note: normalised text, tokens, sentences, lexicon matches and findings.

``text`` (normalising with an offset map), ``tokens`` (the case-folding tokenizer),
``matching`` (compiled lexicon matchers over token sequences), ``reader`` (one reading of a
note: :class:`~casenotes.nlp.reader.NoteReader`) and ``components`` (the spaCy view of the
same reading). Nothing is imported here, so ``import casenotes.nlp.text`` stays light.
"""
