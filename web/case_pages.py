"""Cases: the engineer's workspace at /cases.

Pages only: the list (find by number, customer or words; sort by a column), a new case,
and the case page with its knowledge panel. What an engineer does to a case (link, close,
...) is :mod:`web.case_actions`; the JSON API for the same cases is :mod:`web.case_api`;
what they share is :mod:`web.casework`. Finding cases is :mod:`kb.cases.lookup`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from kb.cases import learning, lookup, store
from kb.cases.rules import CLOSED, DONE, OPEN_STATUSES, STATUS_LABELS, STATUSES, TRANSITIONS, CaseRuleError
from kb.errors import IndexMissing
from web import resume
from web.answers import card_for
from web.auth import staff_required
from web.casework import CASE_FIELDS, REFUSAL_KEY, engine, linked_articles, suggestions_for
from web.errors import handle_error
from web.services import catalog, services

bp = Blueprint("cases", __name__)



@bp.errorhandler(CaseRuleError)
@bp.errorhandler(store.CaseConflict)
def refused(exc: CaseRuleError | store.CaseConflict):
    """A refusal no form caught: the error page (the forms catch these themselves and flash them)."""
    return handle_error(exc)


def _form_fields() -> dict:
    return {name: request.form.get(name, "") for name in CASE_FIELDS}


# Columns of the case list a person can sort by (URL value -> header), in table order.
SORTABLE = {"number": "Case", "title": "Title", "customer": "Customer", "status": "Status",
            "priority": "Priority", "owner": "Owner", "updated": "Updated"}


@dataclass(frozen=True)
class SortLink:
    """A way to sort the case list: its column, the link that sorts by it, and its state now."""

    key: str
    label: str
    url: str
    current: str | None  # "asc" or "desc" when the list is sorted by this column


def sort_links(base_args: dict, sort: str | None, order: str | None) -> list[SortLink]:
    """One link per sortable column: it sorts by that column, or reverses it when already sorted so.
    Numbers and dates start newest first, words from A."""
    links = []
    for key, label in SORTABLE.items():
        natural = "desc" if key in ("number", "updated") else "asc"
        current = (order or natural) if sort == key else None
        following = ("asc" if current == "desc" else "desc") if current else natural
        url = url_for("cases.case_list", **dict(base_args, sort=key, order=following, page=None))
        links.append(SortLink(key, label, url, current))
    return links


@bp.app_template_filter("when")
def when_filter(moment) -> str:
    """A stored time for people: the date alone when no time of day was recorded (imports)."""
    if moment is None:
        return ""
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M")


@bp.route("/cases")
@staff_required
def case_list():
    """The queue: open cases first by default; find by number, customer or words; sort by a column."""
    status = request.args.get("status", "open")
    mine = request.args.get("mine") == "1"
    q = request.args.get("q", "").strip()[:lookup.MAX_QUERY_CHARS]
    statuses = OPEN_STATUSES if status == "open" else (None if status == "all" else (status,))
    if statuses and any(s not in STATUSES for s in statuses):
        flash(f"Unknown status '{status}'.", "error")
        statuses, status = OPEN_STATUSES, "open"
    sort = request.args.get("sort") if request.args.get("sort") in SORTABLE else None
    order = request.args.get("order") if request.args.get("order") in ("asc", "desc") else None
    per_page = current_app.config["PER_PAGE"] * 2
    filters = {"status": statuses, "owner": g.user.name if mine else None, "sort": sort,
               "descending": None if order is None else order == "desc"}
    page_no = max(1, request.args.get("page", 1, type=int) or 1)
    found = lookup.find_cases(engine(), q, limit=per_page, offset=(page_no - 1) * per_page, **filters)
    pages = max(1, math.ceil(found.total / per_page))
    if page_no > pages:
        page_no = pages
        found = lookup.find_cases(engine(), q, limit=per_page, offset=(page_no - 1) * per_page, **filters)
    base_args = {k: v for k, v in {"status": status, "mine": "1" if mine else None, "q": q or None,
                                   "sort": sort, "order": order}.items() if v}
    return render_template("cases/list.html", cases=found.cases, total=found.total, status=status,
                           mine=mine, page_no=page_no, pages=pages, base_args=base_args,
                           labels=STATUS_LABELS, q=q, sort=sort, order=order, sortable=SORTABLE,
                           sort_links=sort_links(base_args, sort, order))


@bp.route("/cases/new", methods=["GET", "POST"])
@staff_required
def new_case():
    """Open a case; "Find articles" shows suggestions first (the no-script path of live suggestions)."""
    values = _form_fields() if request.method == "POST" else {"severity": "C", "priority": "3"}
    page = None
    if request.method == "POST" and request.form.get("action") != "find":
        try:
            case = store.create_case(engine(), created_by=g.user.name, owner=g.user.name, **values)
        except store.CaseFieldError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Opened {case.display_id}.", "success")
            return redirect(url_for("cases.case_page", case_id=case.display_id))
    card = None
    if values.get("title", "").strip() or values.get("description", "").strip():
        page = suggestions_for(g.reader, values.get("title", ""), values.get("description", ""),
                               values.get("product"))
        card = _card(values.get("title", ""), values.get("description", ""), values.get("product"), page)
    return render_template("cases/new.html", values=values, page=page, case=None, answer=card,
                           answer_back=url_for("cases.new_case"))


@bp.route("/cases/suggestions", methods=["POST"])
@staff_required
def live_suggestions():
    """The suggestions panel for what the engineer is typing (fetched by suggest.js)."""
    title = request.form.get("title", "").strip()[:store.LIMITS["title"]]
    description = request.form.get("description", "")
    page = card = None
    if title or description.strip():
        page = suggestions_for(g.reader, title, description, request.form.get("product") or None)
        card = _card(title, description, request.form.get("product") or None, page)
    return render_template("cases/_suggestions.html", page=page, answer=card,
                           answer_back=url_for("cases.new_case"))


def _card(title: str, description: str, product: str | None, page):
    """The answer card for a case's text, from the suggestions already found for it."""
    if page is None:
        return None
    return card_for(g.reader, title, description or "", product, surface="case", page=page)[0]


KNOWLEDGE_HITS = 8


def _kept_close(case: store.Case) -> tuple[dict, dict | None, bool]:
    """(close form values, refusal, cut): what a refused or interrupted close left to show again."""
    kept = resume.take(url_for("case_actions.close", case_id=case.display_id))
    refusal = session.pop(REFUSAL_KEY, None)
    if not isinstance(refusal, dict) or refusal.get("case") != case.display_id:
        refusal = None
    if kept is None:
        return {}, refusal, False
    return dict(kept["values"]), refusal, bool(kept.get("cut"))


def _one_click_fixes(case: store.Case, refusal: dict | None, page) -> list[tuple[str, str]]:
    """(article id, title) that would satisfy a "needs an article" refusal if linked as solved."""
    if not refusal or refusal.get("rule") != "requires_article":
        return []
    fixes = [(link.article_id, getattr(article, "title", link.article_id))
             for link, article in linked_articles(g.reader, case) if not link.solved]
    if not fixes and page is not None:
        fixes = [(hit.id, hit.title) for hit in page.hits[:2]]
    return fixes[:3]


def _case_page(case: store.Case):
    closed = case.status == CLOSED
    kq = request.args.get("kq", "").strip()[:200]
    page = knowledge = card = None
    if not closed:
        page = suggestions_for(g.reader, case.title, case.description, case.product)
        card = None if kq else _card(case.title, case.description, case.product, page)
        if kq:
            try:
                knowledge = catalog().search(g.reader, kq, limit=KNOWLEDGE_HITS)
            except IndexMissing:
                knowledge = None
    close_values, refusal, cut = _kept_close(case)
    kept_edit = None if closed else resume.take(url_for("case_actions.edit_case", case_id=case.display_id))
    interrupted = bool(close_values) and refusal is None
    similar = []
    if not closed:
        similar = [c for c in learning.similar_cases(engine(), case.title, case.description,
                                                     product=case.product, limit=6)
                   if c.case_id != case.id and c.similarity > 0][:5]
    taxonomy = services().taxonomy
    return render_template(
        "cases/case.html", case=case, page=page, knowledge=knowledge, kq=kq, answer=card,
        answer_back=url_for("cases.case_page", case_id=case.display_id),
        links=linked_articles(g.reader, case), linked={link.article_id: link.solved for link in case.links},
        similar=similar, codes=list(taxonomy), code_names={c.code: c.name for c in taxonomy},
        close_values=close_values, refusal=refusal,
        edit_values=kept_edit["values"] if kept_edit else None, interrupted=interrupted, cut=cut,
        fixes=_one_click_fixes(case, refusal, page), labels=STATUS_LABELS,
        next_statuses=[s for s in TRANSITIONS[case.status] if s not in DONE],
        can_capture=case.is_done and not case.links, closed=closed)


@bp.route("/cases/<case_id>")
@staff_required
def case_page(case_id: str):
    """The case, the knowledge panel (kb's suggestions, or a search with ``kq``), links and closing."""
    return _case_page(store.get_case(engine(), case_id))


@bp.route("/cases/<case_id>/knowledge")
@staff_required
def knowledge_panel(case_id: str):
    """The knowledge panel alone, for a search typed in it (fetched by case.js)."""
    case = store.get_case(engine(), case_id)
    kq = request.args.get("kq", "").strip()[:200]
    knowledge = catalog().search(g.reader, kq, limit=KNOWLEDGE_HITS) if kq else None
    page = None if kq else suggestions_for(g.reader, case.title, case.description, case.product)
    card = None if kq or case.status == CLOSED else _card(case.title, case.description, case.product, page)
    return render_template("cases/_knowledge_results.html", case=case, page=page, knowledge=knowledge,
                           answer=card, answer_back=url_for("cases.case_page", case_id=case.display_id),
                           kq=kq, linked={link.article_id: link.solved for link in case.links},
                           closed=case.status == CLOSED)
