"""Engineer search at /search: results, facets, did-you-mean, paging and a helpful empty state."""

from __future__ import annotations

import heapq
import math

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from kb.activity import SearchRecord
from kb.answers.question import worth_answering
from kb.cases import lookup, store
from kb.errors import NotFound
from kb.model import TYPE_LABELS
from kb.visibility import Reader
from web import params
from web.answers import card_for
from web.auth import staff_required
from web.render import clean_snippet
from web.services import catalog, services

bp = Blueprint("search", __name__)

# (facet key in SearchPage.facets, URL parameter, label)
FACET_NAMES = (("type", "type", "Type"), ("product", "product", "Product"), ("tag", "tag", "Tag"),
               ("resolution_code", "code", "Resolution code"))
PUBLIC_FACET_NAMES = FACET_NAMES[:3]  # resolution codes mean nothing to customers


def log_search(query: str, reader: Reader, total: int, took_ms: float, kind: str) -> None:
    """Queue the search for the search log (written in batches)."""
    user_id = reader.user.id if reader.user else None
    services().search_log.record(SearchRecord(query=query, audience=reader.audience, total=total,
                                              took_ms=took_ms, kind=kind, user_id=user_id))


def most_used(reader: Reader, limit: int = 5) -> tuple[str, list]:
    """(heading, articles): the most reused (then most helpful) articles, or, while nothing
    has usage yet, the most recently updated ones."""
    cat = catalog()
    ranked = heapq.nlargest(limit * 3, cat.signals().items(),
                            key=lambda item: (item[1].reuse_count, item[1].helpful - item[1].unhelpful))
    used = [aid for aid, s in ranked if s.reuse_count or s.helpful > s.unhelpful]
    found = cat.visible_ids(reader, used)[:limit]
    if found:
        return "Most-used articles", found
    _total, recent = cat.list(reader, limit=limit, sort="updated")
    return "Recently updated articles", recent


def run_search(reader: Reader, search_endpoint: str, article_endpoint: str, kind: str,
               facet_names: tuple = FACET_NAMES) -> dict:
    """Parse the request, search, log it; the template context for a results page.

    Shared by /search and /help/search: the reader decides what can be found, the
    endpoints decide where facet, page and result links point.
    """
    per_page = current_app.config["PER_PAGE"]
    context: dict = {"q": "", "filters": params.Filters(), "page": None, "page_no": 1, "pages": 0,
                     "answer": None, "base_args": {}, "search_endpoint": search_endpoint,
                     "article_endpoint": article_endpoint, "most_used": ("", []), "facet_names": facet_names}
    try:
        q = params.query(request.args)
        filters = params.filters(request.args, reader)
        page_no = params.integer(request.args, "page", 1, low=1, high=10**9)
    except params.BadParameter as exc:
        flash(exc.description, "error")
        return context
    max_page = params.MAX_OFFSET // per_page
    page_no = min(page_no, max_page)
    # url_for arguments of this search; templates add or blank out (None) one to build links.
    base_args = {"q": q, **filters.active()}
    context.update(q=q, filters=filters, page_no=page_no, base_args=base_args)
    if not q:
        return context
    page = catalog().search(reader, q, status=filters.status, limit=per_page, offset=(page_no - 1) * per_page,
                            **filters.options())
    log_search(q, reader, page.total, page.took_ms, kind)
    context.update(page=page, pages=min(max_page, math.ceil(page.total / per_page)))
    if page_no == 1 and worth_answering(q):  # the answer card leads the first page of a question
        context["answer"] = card_for(reader, q, product=filters.product, surface=kind)[0]
    if page.total == 0:
        context["most_used"] = most_used(reader)
    return context


@bp.app_template_filter("type_label")
def type_label_filter(article_type: str | None) -> str:
    """An article type as people call it ("Troubleshooting guide" for ``tsg``)."""
    return TYPE_LABELS.get(article_type or "", article_type or "")


@bp.app_template_filter("snippet")
def snippet_filter(snippet: str | None):
    """Highlighted snippet with nothing but ``<mark>`` left in it."""
    return clean_snippet(snippet)


CASES_SHOWN = 3  # cases of a customer named in the query, above the article results


def _case_lookup(q: str):
    """(redirect, cases found): a case number opens the case; a customer's name lists theirs."""
    number = lookup.case_number(q)
    if number is not None:
        try:
            case = store.get_case(services().engine, number)
        except NotFound:
            flash(f"There is no case {store.format_case_id(number)}; searching articles instead.", "error")
        else:
            return redirect(url_for("cases.case_page", case_id=case.display_id)), None
    if not q or len(q) > lookup.MAX_QUERY_CHARS:
        return None, None
    found = lookup.find_cases(services().engine, q, fields=("customer",), limit=CASES_SHOWN)
    return None, found if found.total else None


@bp.route("/search")
@staff_required
def search():
    """Search the internal knowledge base (engineers, authors, admins); a case number opens the case."""
    q = request.args.get("q", "").strip()
    opened, cases = _case_lookup(q)
    if opened is not None:
        return opened
    context = run_search(g.reader, "search.search", "articles.article", "search")
    context["cases"] = cases
    if context["page"] is None and not context["q"]:  # the landing page suggests where to start
        context["most_used"] = most_used(g.reader)
        context["empty_kb"] = not context["most_used"][1] and catalog().list(g.reader, limit=1)[0] == 0
    return render_template("search/search.html", staff=True, **context)
