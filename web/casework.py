"""What the case pages and the case API share: a reader's view of one case.

Suggestions for a case are the catalog's ticket suggestions for the reader, re-ranked by
what solved similar closed cases (:func:`kb.cases.learning.learned_boosts`); a case's
links carry their article only when the reader may see it.
"""

from __future__ import annotations

from indexer import MAX_DESCRIPTION_CHARS
from kb.cases import learning, store
from kb.errors import IndexMissing
from kb.visibility import Reader
from web.services import catalog, services

SUGGESTIONS = 8
# What an engineer sets on a case, on the page or through the API; the owner is whoever opens it.
CASE_FIELDS = tuple(name for name in store.EDITABLE if name != "owner")


def engine():
    """The app's database."""
    return services().engine


def suggestions_for(reader: Reader, title: str, description: str = "", product: str | None = None,
                    limit: int = SUGGESTIONS):
    """The reader's ticket suggestions, boosted by what solved similar cases; None without an index.

    The product only weighs which cases count as similar; it doesn't filter articles, because
    tickets name products loosely ("Outlook" for an Exchange Online article).
    """
    description = description[:MAX_DESCRIPTION_CHARS]  # the engine reads no further either
    boosts = learning.learned_boosts(engine(), title, description, product=product)
    try:
        return catalog().suggest(reader, title, description, limit=limit, boosts=boosts or None)
    except IndexMissing:
        return None  # a case must still be workable before the first `kb index`


def linked_articles(reader: Reader, case: store.Case) -> list[tuple[store.CaseLink, object]]:
    """Each link with its article when this reader may see it (else None: the id alone is shown)."""
    out = []
    for link in case.links:
        try:
            article = catalog().get(reader, link.article_id, include_archived=reader.is_staff)
        except IndexMissing:
            article = None
        out.append((link, article))
    return out


def reuse_changed() -> None:
    """Reuse counts changed: the next ranking must not use cached signals."""
    services().signals.invalidate()
