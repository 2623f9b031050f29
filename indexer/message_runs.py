"""Does an article quote the query? Runs of the query's words found in order in its text.

A message pasted from a log or a dialog, or a sentence copied from an article, occurs
word for word in the article that explains it, apart from what differs from one
occurrence to the next (a timestamp, a process id, a path, a user name). Such a query is a
known item however it is worded, so it is ranked by words even when it reads like a
question or a description: meaning would only blur an exact answer. The plan's runs
(:attr:`indexer.plan.Plan.runs`, :data:`~indexer.ranking.RUN_LENGTH` words each) are
checked as phrases in the best candidate by words (a search) or in the few best (a
ticket), on the index's positions alone.
"""

from __future__ import annotations

import math

import numpy as np

MIN_RUNS = 2  # a query with fewer runs than this is too short to be quoted


def most_quoting(ev, runs: list[tuple[str, ...]], docnums: list[int], share: float, *,
                 whole: bool = False) -> int | None:
    """Where in ``docnums`` the document is that has the most of ``runs`` in order (one word
    of slop), at least ``share`` of them; on a tie the earlier one; None when none has enough.

    Articles often share a passage (a disclaimer, a message two products print), so more
    than one candidate may quote part of a ticket; the one that quotes most of it is its
    source. Runs are checked one by one in all the documents at once, and checking stops
    as soon as the leader is settled (no other document could still pass it) or no
    document could still reach ``share``.

    :param ev: the engine's evaluation (:class:`indexer.engine.Evaluation`) of the version.
    :param whole: the one run is a whole sentence's content words, enough to be quoted.
    """
    if len(runs) < (1 if whole else MIN_RUNS) or not docnums:
        return None
    need = math.ceil(share * len(runs))
    place = np.argsort(np.argsort(docnums))  # each document's place among the sorted ids
    universe = np.sort(np.asarray(docnums, dtype=np.int64))  # one array: each word is read once
    found = np.zeros(len(docnums), dtype=np.int64)
    order = np.arange(len(docnums))
    for checked, run in enumerate(runs, start=1):
        found += ev.phrases_in("content", [run], 1, universe)[0][place]
        left = len(runs) - checked
        if not (found + left >= need).any():
            return None
        leader = int(np.argmax(found))  # the first of the most
        if found[leader] < need:
            continue
        # An earlier document passes the leader by equalling it; a later one must exceed it.
        reach = found + left + (order < leader)
        reach[leader] = 0
        if (reach <= found[leader]).all():
            return leader
    return None


__all__ = ["MIN_RUNS", "most_quoting"]
