"""Scoring a known set of documents, without walking everything the query matches.

The search layer already knows, from posting-list set operations, exactly which
documents belong to a tier. Whoosh's collector would still iterate every document the
query's matcher tree produces; for a few thousand candidates it is much cheaper to move
one matcher tree per segment forward with ``skip_to`` and read the score at each
candidate. Scores are Whoosh's own (same weighting model, same statistics).
"""

from __future__ import annotations

from collections.abc import Iterable

from whoosh import query as wq


def score_docs(searcher, q: wq.Query | None, docnums: Iterable[int]) -> dict[int, float]:
    """Score of ``q`` for each of ``docnums`` that it matches (others are left out)."""
    if q is None:
        return {}
    q = q.normalize()
    wanted = sorted(set(docnums))
    out: dict[int, float] = {}
    if not wanted:
        return out
    for sub, offset in searcher.leaf_searchers():
        end = offset + sub.doc_count_all()
        local = [d - offset for d in wanted if offset <= d < end]
        if not local:
            continue
        matcher = q.matcher(sub, sub.context(needs_current=True))
        for d in local:
            if not matcher.is_active():
                break
            if matcher.id() < d:
                matcher.skip_to(d)
                if not matcher.is_active():
                    break
            if matcher.id() == d:
                out[d + offset] = float(matcher.score())
    return out


def score_in_doc(searcher, q: wq.Query | None, docnum: int) -> float:
    """The score ``q`` gives one document (0.0 when it does not match)."""
    return score_docs(searcher, q, [docnum]).get(docnum, 0.0)


def matched_terms(searcher, q: wq.Query, docnum: int) -> list[tuple[str, str]]:
    """The (field, term) pairs of ``q`` that occur in a document, for explanations."""
    reader = searcher.reader()
    found = []
    for fieldname, text in sorted(set(q.iter_all_terms())):
        if not isinstance(text, str | bytes) or (fieldname, text) not in reader:
            continue
        matcher = reader.postings(fieldname, text)
        if matcher.is_active() and matcher.id() < docnum:
            matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum:
            found.append((fieldname, text.decode("utf-8") if isinstance(text, bytes) else text))
    return found
