"""Preloaded by the scoring pool's fork server only: the server dies with the run that started
it (see :mod:`casenotes.lifetime`), and holds what every scoring process needs, so each forks
with it instead of building its own.

Importing spaCy, pandas and the scorer takes about a second, and building the bundled lexicon's
reader (tokenizer, automata, lemma table, prefilter) most of another, in every process: done
once here, the pool's processes start in a few milliseconds. The reader holds no threads, so
forking it is safe; the model and an encoder (whose onnxruntime threads would not survive a
fork) are loaded by each process.
"""

from .lifetime import die_with_parent

die_with_parent()


def _preload() -> None:
    """Import the scoring modules and build the bundled reader; any failure is left to the
    scoring processes, which report it as they would without the preload."""
    import gc

    try:
        from .engines import batch  # noqa: F401  (spaCy, pandas, the scorer)
        from .nlp.reader import reader_for

        reader_for().prefilter  # noqa: B018  (built on first use: here, once)
    except Exception:  # the processes build their own and say why
        return
    # What is loaded lives as long as the server: its forks need never scan it again.
    gc.freeze()


_preload()
