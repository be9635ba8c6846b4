"""Engines: score many notes through the scorer, on one machine (``batch``: chunks over a
process pool), in a DataFrame (``accessor``: ``df.casenotes``) or on a cluster (``spark``,
``dask``)."""
