"""Whoosh query trees rewritten without deep copies.

Whoosh's ``with_boost`` deep-copies the whole tree below the node it re-boosts, and its
``normalize`` re-boosts every child it lifts out of a nested And or Or: for a ticket's
dozen key terms in two fields that is some 70,000 ``deepcopy`` calls. Query trees are
never changed in place (kb builds new ones, and so do Whoosh's own rewrites), so a
shallow copy of the re-boosted node is enough. :func:`normalized` gives what Whoosh's
``normalize`` gives, node for node, and hands anything but plain And/Or to Whoosh.
"""

from __future__ import annotations

import copy

from whoosh import query as wq


def boosted(q: wq.Query, boost: float) -> wq.Query:
    """``q`` with another boost (a shallow copy; ``q`` itself when the boost is the same).
    Kinds that re-boost in their own way (an AndMaybe boosts both its sides) ask Whoosh."""
    if type(q).with_boost is not wq.Query.with_boost:
        return q.with_boost(boost)  # even to the same boost: some kinds rewrite their parts
    if boost == getattr(q, "boost", 1.0):
        return q
    q = copy.copy(q)
    q.boost = boost
    return q


def normalized(q: wq.Query) -> wq.Query:
    """Whoosh's ``q.normalize()``: nested And/Or of the same kind flattened (boosts
    multiplied), duplicates and null queries dropped, a lone child lifted."""
    if type(q) not in (wq.And, wq.Or):
        return q.normalize()
    children = []
    for child in q.subqueries:
        child = normalized(child)
        if isinstance(child, (wq.Every, wq.TermRange, wq.NumericRange)):
            return q.normalize()  # range merging and Every: Whoosh's own rules
        if isinstance(child, q.__class__):
            children += [boosted(grandchild, grandchild.boost * child.boost) for grandchild in child]
        else:
            children.append(child)
    kept, seen = [], set()
    for child in children:
        if child in seen or child is wq.NullQuery:
            continue
        seen.add(child)
        kept.append(child)
    if not kept:
        return wq.NullQuery
    if len(kept) == 1:
        only = kept[0]
        boost = getattr(only, "boost", 1.0)
        return only if q.boost == 1.0 and boost == 1.0 else boosted(only, boost * q.boost)
    return q.__class__(kept, boost=q.boost)
