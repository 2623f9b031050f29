"""Does an article quote the query? Runs of the query's words found in order in its text.

A message pasted from a log or a dialog, or a sentence copied from an article, occurs
word for word in the article that explains it, apart from what differs from one
occurrence to the next (a timestamp, a process id, a path, a user name). Such a query is a
known item however it is worded, so it is ranked by words even when it reads like a
question or a description: meaning would only blur an exact answer. The plan's runs
(:attr:`indexer.plan.Plan.runs`, :data:`~indexer.ranking.RUN_LENGTH` words each) are
checked as phrases in one candidate, the best by words.
"""

from __future__ import annotations

import numpy as np

MIN_RUNS = 2  # a query with fewer runs than this is too short to be quoted


def quoted_share(ev, runs: list[tuple[str, ...]], docnum: int, *, whole: bool = False) -> float:
    """The share of ``runs`` that occur in order (one word of slop) in document ``docnum``.

    :param ev: the engine's evaluation (:class:`indexer.engine.Evaluation`) of the version.
    :param whole: the one run is a whole sentence's content words, enough to be quoted.
    """
    if len(runs) < (1 if whole else MIN_RUNS):
        return 0.0
    return float(ev.phrases_in("content", runs, 1, np.asarray([docnum])).mean())


def quoted_shares(ev, runs: list[tuple[str, ...]], docnums: list[int]) -> np.ndarray:
    """For each of ``docnums``: the share of ``runs`` it has in order (one word of slop),
    from the index's positions alone."""
    if len(runs) < MIN_RUNS or not docnums:
        return np.zeros(len(docnums))
    order = np.argsort(docnums)
    shares = np.empty(len(docnums))
    shares[order] = ev.phrases_in("content", runs, 1, np.asarray(docnums, dtype=np.int64)[order]).mean(axis=0)
    return shares


__all__ = ["MIN_RUNS", "quoted_share", "quoted_shares"]
