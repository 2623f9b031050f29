"""What the case pages and the case API share: a reader's view of one case.

Suggestions for a case are the catalog's ticket suggestions for the reader, re-ranked by
what solved similar closed cases (:func:`kb.cases.learning.learned_boosts`); a case's
links carry their article only when the reader may see it.
"""

from __future__ import annotations

from indexer import MAX_DESCRIPTION_CHARS
from kb.cases import learning, store
from kb.cases.rules import CaseRuleError
from kb.errors import IndexMissing, UnknownResolutionCode
from kb.resolution_codes import Taxonomy
from kb.visibility import Reader
from web.services import catalog, services

SUGGESTIONS = 8
# Session key of a refused close, shown once at the field to fix on the case page.
REFUSAL_KEY = "_close_refused"
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


def plain_refusal(exc: Exception, taxonomy: Taxonomy, code: str | None) -> tuple[str, str]:
    """(field id, message) for a refused close, in the words of the form rather than the rules.

    The field is where the page puts the message and the focus: the code, the bug
    reference, or the links when the code needs an article.
    """
    try:
        name = f"“{taxonomy.get(code).name}”" if code else ""
    except UnknownResolutionCode:
        name = ""
    rule = getattr(exc, "rule", "") if isinstance(exc, CaseRuleError) else ""
    if rule == "resolution_code" or (rule == "" and not code and isinstance(exc, CaseRuleError)):
        return "resolution_code", "Choose how the case ended."
    if rule == "requires_article":
        return "resolution_code", (f"{name or 'This code'} needs the article that solved the case, linked "
                                   "and marked as “Solved it”. Link it below, or choose another way the "
                                   "case ended.")
    if rule == "requires_bug_reference":
        return "bug_reference", f"{name or 'This code'} needs the reference of the bug that was filed."
    if isinstance(exc, store.CaseFieldError):
        field = {"resolution_notes": "notes"}.get(exc.field, exc.field)
        return field, f"{exc.message[0].upper()}{exc.message[1:]}."
    return "resolution_code", str(exc)
