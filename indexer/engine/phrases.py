"""Phrase checks over the index's own positions, many candidate documents at once.

A phrase holds in a document when its words occur there in order, each at most ``slop``
positions after the one before (Whoosh's ``Phrase``: an ordered ``SpanNear`` with a
minimum distance of 1). The positions are those the index stored
(:func:`indexer.engine.sidecars.segment_positions`), so a check can neither miss nor invent
a phrase that Whoosh's own matcher would find; tests compare the two on random phrases.

Each word's positions in the candidates become sorted keys ``candidate << 32 | position``.
Going from one word to the next, a key of the next word survives when the largest key of
the previous word's survivors below it is at most ``slop`` smaller: a previous word in the
same candidate, before it and close enough (two candidates' keys are 2**32 apart). One
``searchsorted`` per word, whatever the number of candidates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indexer.engine.whoosh_adapter import Positions

_SHIFT = np.int64(32)


def phrase_found(words: Sequence[np.ndarray], slop: int, candidates: int) -> np.ndarray:
    """Which of ``candidates`` documents hold the phrase.

    :param words: each word's :func:`position_keys` in the candidates, in phrase order.
    :param slop: the largest distance from one word to the next (1: adjacent).
    :param candidates: how many candidates the keys describe.
    :returns: a boolean mask over the candidates.
    """
    found = np.zeros(candidates, dtype=bool)
    if not len(words) or slop < 1:
        return found
    ends = words[0]
    for keys in words[1:]:
        if not len(ends):
            return found
        before = np.searchsorted(ends, keys, side="left") - 1
        near = before >= 0
        near[near] = keys[near] - ends[before[near]] <= slop
        ends = keys[near]
    found[ends >> _SHIFT] = True
    return found


def position_keys(positions: Positions, first: int = 0) -> np.ndarray:
    """Sorted keys ``candidate << 32 | position`` of a word's positions in consecutive
    candidates, numbered from ``first``."""
    counts, flat = positions
    owner = np.repeat(np.arange(first, first + len(counts), dtype=np.int64), counts)
    # Whoosh stores a document's positions in order, so the keys come sorted: a stable sort
    # (a merge sort that finds the one run) checks that in a pass, where the default sort
    # would take as long as on shuffled keys.
    return np.sort((owner << _SHIFT) | flat.astype(np.int64), kind="stable")
