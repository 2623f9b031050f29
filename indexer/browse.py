"""Without a ranked query: browsing sorted by title or date, title autocomplete, and
looking one article up by its id."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping

import numpy as np
from whoosh import query as wq

from indexer.analyzers import fold, title_key
from indexer.filters import run_whoosh, visible
from indexer.ranking import Candidate
from indexer.results import SearchHit, Signals, make_hit
from indexer.schema import article_from_stored
from indexer.versions import Context
from kb.model import Article

MAX_PREFIX_TERMS = 200  # title words a typed prefix may expand to


def sorted_page(ctx: Context, allow: set[int] | None, deny: frozenset[int], sort: str, limit: int,
                offset: int, signals: Mapping[str, Signals]) -> tuple[int, np.ndarray, list[SearchHit]]:
    """Every visible document (after filters and exclusions), sorted by title or date:
    (total, mask of the documents, hits of the page)."""
    docs = visible(ctx, allow, deny)
    total = int(np.count_nonzero(docs))
    if not total or limit == 0:
        return total, docs, []
    by_date = sort == "updated"
    results = run_whoosh(ctx.searcher, wq.Every(), allow, deny, sortedby="updated" if by_date else "title_sort",
                         reverse=by_date, limit=offset + limit)
    reuse = ctx.column("reuse_count")
    hits = [make_hit(h.fields(), Candidate(h.docnum, 0.0, "browse"), None, None, signals, int(reuse[h.docnum] or 0))
            for h in results[offset:]]
    return total, docs, hits


def autocomplete(ctx: Context, text: str, allow: set[int] | None, limit: int) -> list[dict]:
    """Titles whose words start with the typed words, best first (see ``Searcher.autocomplete``)."""
    words = [fold(w) for w in re.findall(r"\w+", text.lower())[:8] if len(w) >= 2]
    if not words:
        return []
    reader = ctx.reader
    subs = []
    for word in dict.fromkeys(words):
        # Each typed word starts a title word; expansions are capped so that a
        # two-letter prefix on a large index stays one quick union.
        expanded = list(itertools.islice(reader.expand_prefix("title_words", word), MAX_PREFIX_TERMS))
        if not expanded:
            return []
        terms = [wq.Term("title_words", t.decode("utf-8") if isinstance(t, bytes) else t) for t in expanded]
        subs.append(terms[0] if len(terms) == 1 else wq.Or(terms))
    q = subs[0] if len(subs) == 1 else wq.And(subs)
    results = run_whoosh(ctx.searcher, q, allow, frozenset(), limit=200)
    reuse = ctx.column("reuse_count")
    key = title_key(text)
    rows = []
    for hit in results:
        stored = hit.fields()
        title = stored.get("title", "")
        rows.append((not title_key(title).startswith(key), -int(reuse[hit.docnum] or 0),
                     len(title), title.casefold(), {"id": stored.get("id", ""), "title": title}))
    rows.sort(key=lambda r: r[:4])
    return [r[4] for r in rows[:limit]]


def article_by_id(ctx: Context, article_id: str, allow: set[int] | None,
                  written_for: str | None) -> Article | None:
    """The visible article with this id, else None, in constant work: the id is found in the
    version's id-to-document map, and every check runs whether or not it was found (-1 reads
    the last document's values); they are combined only at the end, and stored fields are
    read only for an article that passes them all."""
    docnum = ctx.engine.docnum_of(article_id, ctx.searcher)
    passes = allow is None or docnum in allow
    audiences = ctx.column("audience")
    fits = not audiences or written_for is None or audiences[docnum] == written_for
    if docnum < 0 or not passes or not fits:
        return None
    return article_from_stored(ctx.searcher.stored_fields(docnum))
