"""Preloaded by the scoring pool's fork server only: the server dies with the run that started
it (see :mod:`casenotes.lifetime`), and holds what every scoring process needs, so each forks
with it instead of building its own.

Importing the scorer (not spaCy: scoring cuts words with the stored tokenizer rules; not pandas
or scipy, which scoring processes never use) takes about a sixth of a second, and building the
bundled lexicon's reader (tokenizer, automata, lemma table, the stored prefilter) and scoring a
first note about as long again, in every process: done once here, the pool's processes start
in a few milliseconds. Nothing
here holds a thread, so forking it is safe; each process loads its own model, and an encoder
(whose onnxruntime threads would not survive a fork).
"""

from .lifetime import die_with_parent

die_with_parent()


_WARM_UP = ("02/12/24 10:15 - T/C reports smell of gas in the kitchen and black mould in the "
            "bedroom, baby in the flat; engineer booked, ref JB123456.")


def _preload() -> None:
    """Import the scoring modules and build the bundled reader; any failure is left to the
    scoring processes, which report it as they would without the preload."""
    import gc

    try:
        from .engines import batch  # noqa: F401  (the scorer, Arrow)
        from .nlp.reader import reader_for
        from .scoring import default_scorer

        reader_for().prefilter  # noqa: B018  (built on first use: here, once)
        # One note scored loads what the first note of a run would (the model, the urgency
        # table, the date parser), and fills the first caches.
        default_scorer().score_note(_WARM_UP)
    except Exception:  # the processes build their own and say why
        return
    # What is loaded lives as long as the server: its forks need never scan it again.
    gc.freeze()


_preload()
